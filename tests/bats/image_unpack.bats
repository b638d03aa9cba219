#!/usr/bin/env bats
# husk image unpack: OCI images (oci:, oci-archive:, docker-archive:) to
# bundles.  Images are built offline by tests/image/make_image.py (tarfile)
# and by podman save from a private store; umoci is the peer the unpacked
# tree is compared with, entry by entry.

load helpers

MK=$BATS_TEST_DIRNAME/../image/make_image.py

setup() {
	TEST_TMP=$(mktemp -d /tmp/husk-image.XXXXXX)
	chmod 755 "$TEST_TMP"
	HUSK_ROOT=$TEST_TMP/state
	OUTSIDE=$TEST_TMP/outside
	mkdir -p "$OUTSIDE"
	echo "outside" >"$OUTSIDE/target"
	CID=img$$-$BATS_TEST_NUMBER-$RANDOM
}

teardown() {
	teardown_bundle
}

# The multi-layer test image, once per test that needs it.
multi() { # [make_image.py options]
	python3 "$MK" multi "$TEST_TMP/layout" "$@"
}

# OUTSIDE holds only what setup put there, untouched.
outside_untouched() {
	[ "$(ls -A "$OUTSIDE")" = "target" ] || { ls -la "$OUTSIDE"; return 1; }
	[ "$(cat "$OUTSIDE/target")" = "outside" ]
	[ "$(stat -c %h "$OUTSIDE/target")" = 1 ]
}

@test "image unpack: a 3-layer image gives the same tree as umoci's, entry by entry" {
	command -v umoci >/dev/null || skip "umoci is not installed (scripts/deps.d/image.txt)"
	multi
	run "$HUSK" image unpack "oci:$TEST_TMP/layout:v1" "$TEST_TMP/husk"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run umoci unpack --image "$TEST_TMP/layout:v1" "$TEST_TMP/umoci"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run python3 "$MK" compare "$TEST_TMP/husk/rootfs" "$TEST_TMP/umoci/rootfs"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *" 0 differ"* ]]
	# The comparison sees the interesting entries (not two empty trees).
	[[ "$output" != "0 entries"* ]]
	[ -c "$TEST_TMP/umoci/rootfs/data/chr" ]
	[ -u "$TEST_TMP/umoci/rootfs/usr/local/bin/suid" ]
}

@test "image unpack: a zstd layer unpacks like the same layer gzip'd" {
	multi --zstd
	python3 "$MK" multi "$TEST_TMP/layout-gz"
	grep -q 'tar+zstd' "$TEST_TMP"/layout/blobs/sha256/* || { echo "no zstd layer"; false; }
	"$HUSK" image unpack "oci:$TEST_TMP/layout:v1" "$TEST_TMP/zstd"
	"$HUSK" image unpack "oci:$TEST_TMP/layout-gz:v1" "$TEST_TMP/gzip"
	run python3 "$MK" compare "$TEST_TMP/zstd/rootfs" "$TEST_TMP/gzip/rootfs"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "image unpack: whiteouts, hard links, symlinks, devices, setuid, xattrs, owners and mtimes" {
	multi
	"$HUSK" image unpack "oci:$TEST_TMP/layout:v1" "$TEST_TMP/b"
	r=$TEST_TMP/b/rootfs
	# .wh.motd removed a lower file; .wh..wh..opq emptied opq/ of lower entries only
	[ ! -e "$r/etc/motd" ]
	[ "$(ls "$r/opq")" = "c" ]
	[ "$(cd "$r/opq2" && find . | sort | tr '\n' ' ')" = ". ./sub ./sub/new " ]
	[ ! -e "$r/data/fifo" ]
	# replaced entries: dir -> file, file -> dir, symlink -> file
	[ -f "$r/repl" ]
	[ -d "$r/f2" ]
	[ -f "$r/f2/inner" ]
	[ -f "$r/s2" ]
	[ ! -L "$r/s2" ]
	# hard link made in layer 2, its first name replaced in layer 3: the link keeps the old file
	[ "$(cat "$r/data/hard2")" = "linked content" ]
	[ "$(cat "$r/data/hard1")" = "replaced in layer 3" ]
	[ "$(readlink "$r/data/rel")" = "../etc/passwd" ]
	[ "$(readlink "$r/data/abs")" = "/etc/group" ]
	[ "$(stat -c '%F %t:%T %a' "$r/data/chr")" = "character special file 1:3 666" ]
	[ "$(stat -c '%F %t:%T %a' "$r/data/blk")" = "block special file 7:c8 660" ]
	[ "$(stat -c '%a %u:%g' "$r/usr/local/bin/suid")" = "4755 0:0" ]
	[ "$(stat -c '%a %u:%g' "$r/usr/local/bin/sgid")" = "2755 0:50" ]
	[ "$(stat -c '%a %u:%g' "$r/data/owned")" = "700 1000:1000" ]
	[ "$(stat -c '%a %u:%g' "$r/data/owned/secret")" = "640 1000:1000" ]
	[ "$(stat -c '%a %u:%g' "$r/data-keep")" = "600 7:8" ]
	[ "$(stat -c '%a' "$r/tmp")" = "1777" ]
	[ "$(stat -c %Y "$r/data/mtime")" = 1234567890 ]
	[ "$(stat -c %Y "$r/data/owned")" = 1700000000 ]
	# a directory whose entries a later layer changed has the time of that change
	[ "$(stat -c %Y "$r/data")" != 1700000000 ]
	run python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.comment").decode())' "$r/data/xattr"
	[ "$output" = "hello" ]
	# no scratch directory left in the bundle
	[ "$(ls -A "$TEST_TMP/b")" = "$(printf 'config.json\nrootfs')" ]
}

@test "image unpack: a multi-platform index is followed to this host's manifest" {
	[ "$(uname -m)" = x86_64 ] || skip "the test index names linux/amd64"
	multi --nested
	jq -e '.manifests[0].mediaType == "application/vnd.oci.image.index.v1+json"' \
		"$TEST_TMP/layout/index.json" >/dev/null
	run "$HUSK" image unpack "oci:$TEST_TMP/layout:v1" "$TEST_TMP/b"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -f "$TEST_TMP/b/rootfs/opq/c" ]
}

@test "image unpack: config.json comes from the image config" {
	multi
	"$HUSK" image unpack "oci:$TEST_TMP/layout:v1" "$TEST_TMP/b"
	c=$TEST_TMP/b/config.json
	[ "$(jq -c .process.args "$c")" = '["/bin/sh","-c","echo hello-from-image; id; pwd; echo FOO=$FOO"]' ]
	[ "$(jq -c .process.env "$c")" = '["PATH=/usr/local/bin:/bin","FOO=bar","HOME=/home/app"]' ]
	[ "$(jq -r .process.cwd "$c")" = /data ]
	[ "$(jq -c .process.user "$c")" = '{"uid":1000,"gid":1000,"additionalGids":[50]}' ]
	[ "$(jq -r '.annotations["org.example.label"]' "$c")" = v ]
	[ "$(jq -r '.annotations["org.opencontainers.image.stopSignal"]' "$c")" = SIGINT ]
	[ "$(jq -r '.annotations["org.opencontainers.image.exposedPorts"]' "$c")" = 80/tcp ]
	[ "$(jq -r '.annotations["org.husk.vm"]' "$c")" = null ]
	# the rest is husk's default spec
	"$HUSK" spec --bundle "$TEST_TMP"
	[ "$(jq -c .linux "$c")" = "$(jq -c .linux "$TEST_TMP/config.json")" ]
	[ "$(jq -c .mounts "$c")" = "$(jq -c .mounts "$TEST_TMP/config.json")" ]
	[ "$(jq -c .process.capabilities "$c")" = "$(jq -c .process.capabilities "$TEST_TMP/config.json")" ]
	# --vm marks the bundle for VM mode
	"$HUSK" image unpack --vm "oci:$TEST_TMP/layout:v1" "$TEST_TMP/vm"
	[ "$(jq -r '.annotations["org.husk.vm"]' "$TEST_TMP/vm/config.json")" = true ]
}

@test "image unpack: User resolves against the image's /etc/passwd and /etc/group" {
	check_user() { # USER EXPECTED_JSON
		rm -rf "$TEST_TMP/layout" "$TEST_TMP/u"
		multi --user "$1"
		"$HUSK" image unpack "oci:$TEST_TMP/layout:v1" "$TEST_TMP/u"
		run jq -c .process.user "$TEST_TMP/u/config.json"
		[ "$output" = "$2" ] || { echo "User \"$1\": $output, want $2"; return 1; }
	}
	check_user "" '{"uid":0,"gid":0,"additionalGids":[10]}'
	check_user app '{"uid":1000,"gid":1000,"additionalGids":[50]}'
	check_user 1000 '{"uid":1000,"gid":1000,"additionalGids":[50]}'
	check_user 1000:50 '{"uid":1000,"gid":50}'
	check_user app:staff '{"uid":1000,"gid":50}'
	check_user 4242 '{"uid":4242,"gid":0}'
	check_user 4242:4343 '{"uid":4242,"gid":4343}'
	rm -rf "$TEST_TMP/layout"
	multi --user nosuch
	run "$HUSK" image unpack "oci:$TEST_TMP/layout:v1" "$TEST_TMP/bad"
	[ "$status" -ne 0 ]
	[[ "$output" == *'image user "nosuch": no such user in /etc/passwd'* ]]
	[ ! -e "$TEST_TMP/bad" ]
	rm -rf "$TEST_TMP/layout"
	multi --user app:nogroup
	run "$HUSK" image unpack "oci:$TEST_TMP/layout:v1" "$TEST_TMP/bad"
	[ "$status" -ne 0 ]
	[[ "$output" == *'no such group "nogroup"'* ]]
}

@test "image unpack: the unpacked image runs with husk run, as its User, in its WorkingDir" {
	multi
	"$HUSK" image unpack "oci:$TEST_TMP/layout:v1" "$TEST_TMP/b"
	run husk run --bundle "$TEST_TMP/b" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = hello-from-image ]
	[ "${lines[1]}" = "uid=1000(app) gid=1000(app) groups=50(staff)" ]
	[ "${lines[2]}" = /data ]
	[ "${lines[3]}" = FOO=bar ]
}

@test "husk run --image: runs an image in one line; its private bundle goes with the container" {
	multi
	run husk run --image "oci:$TEST_TMP/layout:v1" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = hello-from-image ]
	[ ! -e "$HUSK_ROOT/.images/$CID" ]
	assert_no_leftovers "$CID"
	# detached: the bundle stays until delete
	run husk run -d --image "oci:$TEST_TMP/layout:v1" "$CID"
	[ "$status" -eq 0 ]
	[ -d "$HUSK_ROOT/.images/$CID/rootfs/data" ]
	[ "$(husk state "$CID" | jq -r .bundle)" = "$HUSK_ROOT/.images/$CID" ]
	for _ in $(seq 100); do [ "$(husk state "$CID" | jq -r .status)" = stopped ] && break; sleep 0.05; done
	husk delete "$CID"
	[ ! -e "$HUSK_ROOT/.images/$CID" ]
	assert_no_leftovers "$CID"
	# a bad image: nothing made
	run husk run --image "oci:$TEST_TMP/nowhere" "$CID"
	[ "$status" -ne 0 ]
	[ ! -e "$HUSK_ROOT/.images/$CID" ]
	[ ! -e "$HUSK_ROOT/$CID" ]
	run husk run --image "oci:$TEST_TMP/layout:v1" --bundle "$TEST_TMP" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--image and --bundle exclude each other"* ]]
}

# podman save from a private store (vfs, own root/runroot/tmpdir/conf) in a
# mount namespace of its own whose /dev/shm and /var/lib are private tmpfs:
# podman's lock file (/dev/shm/libpod_lock) and containers/image's blob info
# cache (/var/lib/containers/cache) never reach the host.
podman_save() {
	command -v podman >/dev/null || skip "podman is not installed"
	local d=$TEST_TMP/podman
	mkdir -p "$d"
	"$BATS_TEST_DIRNAME/../engines/make-busybox-image.sh" "$d/img" >/dev/null
	cat >"$d/containers.conf" <<CONF
[engine]
events_logger = "file"
events_logfile_path = "$d/events.log"
tmp_dir = "$d/tmp"
static_dir = "$d/root/libpod"
volume_path = "$d/root/volumes"
num_locks = 16
CONF
	printf 'unqualified-search-registries = []\n' >"$d/registries.conf"
	CONTAINERS_CONF=$d/containers.conf CONTAINERS_REGISTRIES_CONF=$d/registries.conf \
		unshare -m --propagation private sh -ec '
		mount -t tmpfs tmpfs /dev/shm
		mount -t tmpfs tmpfs /var/lib
		p() { r=$1; shift; timeout -k 5 60 podman --root "$r/root" --runroot "$r/runroot" \
			--tmpdir "$r/tmp" --storage-driver vfs --cgroup-manager cgroupfs --events-backend file "$@"; }
		d=$1
		p "$d" load -q -i "$d/img/oci.tar" >/dev/null
		p "$d" save -q --format docker-archive -o "$d/docker.tar" localhost/husk-busybox:latest
		p "$d" save -q --format oci-archive -o "$d/oci-archive.tar" localhost/husk-busybox:latest
		p "$d" rmi -a -f >/dev/null' sh "$d"
}

@test "image unpack: an image saved by podman (docker-archive, oci-archive) unpacks and runs" {
	podman_save
	d=$TEST_TMP/podman
	"$HUSK" image unpack "docker-archive:$d/docker.tar" "$TEST_TMP/docker"
	"$HUSK" image unpack "docker-archive:$d/docker.tar:husk-busybox:latest" "$TEST_TMP/docker-tag"
	"$HUSK" image unpack "oci-archive:$d/oci-archive.tar" "$TEST_TMP/oci"
	"$HUSK" image unpack "oci-archive:$d/oci-archive.tar:localhost/husk-busybox:latest" "$TEST_TMP/oci-tag"
	run python3 "$MK" compare "$TEST_TMP/docker/rootfs" "$TEST_TMP/oci/rootfs"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -x "$TEST_TMP/docker/rootfs/bin/busybox" ]
	# the same tree as umoci's from podman's oci-archive
	if command -v umoci >/dev/null; then
		mkdir "$TEST_TMP/layout" && tar -xf "$d/oci-archive.tar" -C "$TEST_TMP/layout"
		umoci unpack --image "$TEST_TMP/layout:localhost/husk-busybox:latest" "$TEST_TMP/umoci" >/dev/null
		run python3 "$MK" compare "$TEST_TMP/docker/rootfs" "$TEST_TMP/umoci/rootfs"
		echo "$output"
		[ "$status" -eq 0 ]
		[[ "$output" == *" 0 differ"* ]]
	fi
	run husk run --image "docker-archive:$d/docker.tar" "$CID" </dev/null
	[ "$status" -eq 0 ]
	run husk run --image "docker-archive:$d/docker.tar" "$CID" sh
	[ "$status" -ne 0 ] # one container id only
	jq '.process.args = ["sh", "-c", "echo from-podman-save; cat /etc/passwd | head -1"]' \
		"$TEST_TMP/docker/config.json" >"$TEST_TMP/c" && mv "$TEST_TMP/c" "$TEST_TMP/docker/config.json"
	run husk run --bundle "$TEST_TMP/docker" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = from-podman-save ]
	[ "${lines[1]}" = "root:x:0:0:root:/root:/bin/sh" ]
	# a tag that is not there
	run "$HUSK" image unpack "docker-archive:$d/docker.tar:nosuch:tag" "$TEST_TMP/x"
	[ "$status" -ne 0 ]
	[[ "$output" == *'no image tagged "nosuch:tag"'* ]]
}

# A hostile image: unpack must fail, write nothing outside, leave no bundle.
hostile_fails() { # KIND EXPECTED_MESSAGE
	python3 "$MK" hostile "$1" "$TEST_TMP/h-$1" "$OUTSIDE"
	run "$HUSK" image unpack "oci:$TEST_TMP/h-$1" "$TEST_TMP/b-$1"
	echo "$1: $output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"$2"* ]]
	[ ! -e "$TEST_TMP/b-$1" ]
	outside_untouched
	[ ! -e "$TEST_TMP/escape-dotdot" ]
	[ ! -e "$TEST_TMP/escape-deep" ]
}

@test "image unpack: hostile names fail cleanly: ../, absolute, hard links out, whiteout of .." {
	hostile_fails dotdot 'entry "../escape-dotdot": absolute or ".." names may not be unpacked'
	hostile_fails dotdot-deep 'entry "a/../../escape-deep"'
	hostile_fails absolute "entry \"$OUTSIDE/escape-abs\": absolute"
	hostile_fails hardlink-dotdot 'hard link to "../'
	hostile_fails hardlink-abs "hard link to \"$OUTSIDE/target\""
	hostile_fails hardlink-via-symlink 'hard link to evil/target'
	hostile_fails whiteout-dotdot 'whiteout of ".."'
	# An existing bundle dir stays, without a rootfs or config.json.
	mkdir "$TEST_TMP/keep"
	python3 "$MK" hostile dotdot "$TEST_TMP/h2" "$OUTSIDE"
	run "$HUSK" image unpack "oci:$TEST_TMP/h2" "$TEST_TMP/keep"
	[ "$status" -ne 0 ]
	[ -d "$TEST_TMP/keep" ]
	[ -z "$(ls -A "$TEST_TMP/keep")" ]
}

@test "image unpack: a symlink planted by one layer and followed by a later one stays inside the rootfs" {
	for kind in symlink-abs symlink-rel symlink-same-layer; do
		python3 "$MK" hostile "$kind" "$TEST_TMP/h-$kind" "$OUTSIDE"
		run "$HUSK" image unpack "oci:$TEST_TMP/h-$kind" "$TEST_TMP/b-$kind"
		echo "$kind: $output"
		[ "$status" -eq 0 ]
		outside_untouched
		# what went through the link landed under the rootfs, where the link
		# points when the rootfs is /
		found=$(find "$TEST_TMP/b-$kind/rootfs" -name escape-sym)
		[ "$found" = "$TEST_TMP/b-$kind/rootfs$OUTSIDE/escape-sym" ] ||
			[ "$found" = "$TEST_TMP/b-$kind/rootfs$OUTSIDE/sub/escape-sym" ]
	done
}

@test "image unpack: device nodes are made as root and skipped otherwise" {
	python3 "$MK" hostile device "$TEST_TMP/dev" "$OUTSIDE"
	"$HUSK" image unpack "oci:$TEST_TMP/dev" "$TEST_TMP/root-b"
	[ -c "$TEST_TMP/root-b/rootfs/null2" ]
	# as nobody: the unpack works, the device is not made
	mkdir "$TEST_TMP/nobody" && chown 65534:65534 "$TEST_TMP/nobody"
	chmod -R a+rX "$TEST_TMP/dev"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$HUSK" image unpack \
		"oci:$TEST_TMP/dev" "$TEST_TMP/nobody/b"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 device node(s) skipped"* ]]
	[ ! -e "$TEST_TMP/nobody/b/rootfs/null2" ]
	[ -f "$TEST_TMP/nobody/b/rootfs/after" ]
	[ "$(stat -c %u "$TEST_TMP/nobody/b/rootfs/after")" = 65534 ]
}

@test "image unpack: every digest is checked; a mismatch names the blob and leaves nothing" {
	check_tamper() { # KIND EXPECTED
		python3 "$MK" hostile "$1" "$TEST_TMP/t-$1" "$OUTSIDE"
		run "$HUSK" image unpack "oci:$TEST_TMP/t-$1:latest" "$TEST_TMP/b-$1"
		echo "$1: $output"
		[ "$status" -ne 0 ]
		[[ "$output" =~ $2 ]]
		[ ! -e "$TEST_TMP/b-$1" ]
	}
	check_tamper manifest-digest 'manifest sha256:[0-9a-f]{64}: digest mismatch: want sha256:[0-9a-f]{64}, got sha256:'
	check_tamper config-digest 'config sha256:[0-9a-f]{64}: digest mismatch'
	check_tamper layer-digest 'layer 2 \(sha256:[0-9a-f]{64}\): digest mismatch'
	check_tamper diff-id 'layer 2 \(sha256:[0-9a-f]{64}\): diff_id \(uncompressed digest\) mismatch: want sha256:0{64}'
	check_tamper bad-field 'layers\[0\]\.digest: "sha256:xyz" is not a sha256 or sha512 digest'
}

@test "image unpack: usage errors are clear and leave nothing" {
	multi
	run "$HUSK" image unpack "docker://busybox" "$TEST_TMP/b"
	[ "$status" -ne 0 ]
	[[ "$output" == *"unknown transport"* ]]
	run "$HUSK" image unpack "oci:$TEST_TMP/layout:nosuch" "$TEST_TMP/b"
	[ "$status" -ne 0 ]
	[[ "$output" == *'no image tagged "nosuch" in index.json'* ]]
	run "$HUSK" image unpack "oci:$TEST_TMP" "$TEST_TMP/b"
	[ "$status" -ne 0 ]
	[[ "$output" == *"not an OCI image layout"* ]]
	[ ! -e "$TEST_TMP/b" ]
	# one manifest, no tag: that one
	"$HUSK" image unpack "oci:$TEST_TMP/layout" "$TEST_TMP/b"
	# a bundle that already has a rootfs is refused and kept
	run "$HUSK" image unpack "oci:$TEST_TMP/layout" "$TEST_TMP/b"
	[ "$status" -ne 0 ]
	[[ "$output" == *"already has a rootfs or config.json"* ]]
	[ -f "$TEST_TMP/b/rootfs/etc/passwd" ]
	run "$HUSK" image unpack "oci:$TEST_TMP/layout"
	[ "$status" -ne 0 ]
	[[ "$output" == *'requires exactly 2 argument(s)'* ]]
	run "$HUSK" image frobnicate
	[ "$status" -ne 0 ]
}

@test "image unpack: nothing of it runs at husk's start (no nettle cpuid constructor linked)" {
	command -v nm >/dev/null || skip "nm (binutils) is not installed"
	nm "$HUSK" | grep -q ' _nettle_sha256_compress_sha_ni$' || skip "husk is stripped or has no nettle"
	# nettle's fat dispatch object brings a constructor (fat_init) that runs cpuid at every start
	run sh -c "nm '$HUSK' | grep -w fat_init"
	[ "$status" -ne 0 ]
}
