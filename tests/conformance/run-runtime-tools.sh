#!/bin/bash
# Run the OCI runtime-tools validation suite against a runtime.
#   run-runtime-tools.sh RUNTIME [FILTER]
# RUNTIME is a command name or path (husk, runc, crun, build/husk).  FILTER is a
# regex on the validation program name (e.g. 'hooks|poststop').
#
# Where the suite comes from: a runtime-tools source tree holding validation/
# and cmd/runtimetest/ (RUNTIME_TOOLS_SRC, default: the Debian package's copy
# under /usr/share/gocode).  It is built offline in GOPATH mode: no module
# proxy, Go dependencies from Debian's -dev packages plus the tree's vendor/.
# Each validation program is built once into build/runtime-tools/ and run from
# there, like upstream's `make localvalidation` (RUNTIME=... prove
# validation/*.t): every program reads RUNTIME from the environment, expects
# ./runtimetest and ./rootfs-$GOARCH.tar.gz in its cwd, and prints TAP.
#
# Env: TIMEOUT (seconds per file, default 120), BUILD (default build),
#      KEEP_LOGS=1 keeps each file's TAP in build/runtime-tools/logs/.
# Exit status: 0 when every selected file passed, 1 otherwise, 2 when the
# suite cannot be built here (the reason is printed).
set -u
runtime=${1:?usage: $0 RUNTIME [FILTER]}
filter=${2:-.}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${BUILD:-$repo/build}
case $build in /*) ;; *) build=$repo/$build ;; esac
out=$build/runtime-tools
timeout_s=${TIMEOUT:-120}
debian_src=/usr/share/gocode/src/github.com/opencontainers/runtime-tools
src=${RUNTIME_TOOLS_SRC:-$debian_src}

die2() { echo "run-runtime-tools: $*" >&2; exit 2; }

# The programs are told the runtime's absolute path: they exec it from a temp cwd.
case $runtime in
*/*) runtime_path=$(cd "$(dirname "$runtime")" && pwd)/$(basename "$runtime") ;;
*) runtime_path=$(command -v "$runtime") || die2 "runtime '$runtime' not found in PATH" ;;
esac
[ -x "$runtime_path" ] || die2 "runtime '$runtime_path' is not executable"

# Installed on demand, not by `make check`: the suite's sources come from outside.
if ! command -v go >/dev/null; then
	[ "$(id -u)" = 0 ] || die2 "go is not installed (Debian: golang-go), and installing it needs root"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		golang-go golang-github-opencontainers-runtime-tools-dev >/dev/null ||
		die2 "could not install golang-go golang-github-opencontainers-runtime-tools-dev"
fi
[ -d "$src/validation" ] && [ -d "$src/cmd/runtimetest" ] ||
	die2 "no validation programs in $src (Debian's golang-github-opencontainers-runtime-tools-dev ships only the library packages; point RUNTIME_TOOLS_SRC at a runtime-tools source tree with validation/ and cmd/runtimetest/)"

# A writable GOPATH first (the suite, with its vendor/), Debian's second.
gopath=$out/gopath
pkgdir=$gopath/src/github.com/opencontainers/runtime-tools
stamp=$out/.built-from
mkdir -p "$out/validation" "$out/logs"
export GO111MODULE=off GOPROXY=off GOFLAGS= GOPATH=$gopath:/usr/share/gocode GOCACHE=$out/gocache CGO_ENABLED=1
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$(cd "$src" && pwd) " ] ||
	[ -n "$(find "$src" -name '*.go' -newer "$stamp" 2>/dev/null | head -1)" ]; then
	rm -rf "$pkgdir" && mkdir -p "$(dirname "$pkgdir")" && cp -a "$src" "$pkgdir" || die2 "cannot copy $src"
	rm -f "$pkgdir/go.mod" "$pkgdir/go.sum" # GOPATH mode: vendor/ and Debian's gocode
	(cd "$pkgdir" && go build -o "$out/runtimetest" ./cmd/runtimetest) >"$out/logs/build.log" 2>&1 ||
		{ cat "$out/logs/build.log" >&2; die2 "cannot build cmd/runtimetest"; }
	for d in "$pkgdir"/validation/*/; do
		name=$(basename "$d")
		[ "$name" = util ] && continue
		ls "$d"/*.go >/dev/null 2>&1 || continue
		(cd "$pkgdir" && go build -o "$out/validation/$name.t" "./validation/$name") >>"$out/logs/build.log" 2>&1 ||
			echo "run-runtime-tools: cannot build validation/$name (see $out/logs/build.log)" >&2
	done
	echo "$(cd "$src" && pwd) " >"$stamp"
fi

# The rootfs the programs untar into each bundle: busybox-static, like the
# busybox image upstream's harness uses.
arch=$(go env GOARCH)
tarball=$out/rootfs-$arch.tar.gz
if [ ! -s "$tarball" ]; then
	tmp=$(mktemp -d /tmp/husk-validation-rootfs.XXXXXX)
	HUSK=${HUSK:-$repo/build/husk} "$repo/scripts/make-bundle.sh" "$tmp/b" true >/dev/null ||
		{ rm -rf "$tmp"; die2 "cannot make the busybox rootfs (scripts/make-bundle.sh)"; }
	tar -C "$tmp/b/rootfs" -czf "$tarball" . || { rm -rf "$tmp"; die2 "cannot write $tarball"; }
	rm -rf "$tmp"
fi

cd "$out" || exit 2
pass=0 total=0 failed_files=()
printf '%-40s %s\n' FILE RESULT
for t in validation/*.t; do
	[ -x "$t" ] || continue
	name=$(basename "$t" .t)
	[[ $name =~ $filter ]] || continue
	total=$((total + 1))
	log=logs/$name.tap
	RUNTIME=$runtime_path timeout -k 5 "$timeout_s" "./$t" >"$log" 2>&1
	rc=$?
	nok=$(grep -c '^not ok' "$log")
	oks=$(grep -c '^ok' "$log")
	plan=$(grep -cE '^1\.\.[0-9]+' "$log")
	# Several programs (prestart, poststart, poststop, hooks, *_fail) have no
	# test points: they print "1..0" and report a broken rule only as a YAML
	# diagnostic with an "error:" key.  prove would call that a skip; here it
	# is the failure it means.
	yerr=$(grep -cE '^ +error:' "$log")
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		res="FAIL (timeout ${timeout_s}s)"
	elif [ $rc -ne 0 ]; then
		res="FAIL (exit $rc, $nok not ok)"
	elif [ "$plan" -eq 0 ]; then
		res="FAIL (no TAP plan)"
	elif [ "$nok" -ne 0 ]; then
		res="FAIL ($nok not ok of $((nok + oks)))"
	elif [ "$oks" -eq 0 ] && [ "$yerr" -ne 0 ]; then
		res="FAIL (no test points, error diagnostic)"
	else
		res="ok ($oks)"
		pass=$((pass + 1))
	fi
	case $res in FAIL*) failed_files+=("$name") ;; esac
	printf '%-40s %s\n' "$name" "$res"
done
for f in "${failed_files[@]}"; do
	echo "# --- $f"
	grep -E -A6 '^not ok|^Bail out|panic|failed to|^ +error:' "logs/$f.tap" | head -20 | sed 's/^/#   /'
done
[ -n "${KEEP_LOGS:-}" ] || rm -f logs/*.tap
echo "$pass of $total files passed ($(basename "$runtime_path"))"
[ "$pass" -eq "$total" ] && [ "$total" -gt 0 ]
