#!/bin/sh
# Make an OCI bundle with a busybox rootfs: DIR/config.json + DIR/rootfs.
#   make-bundle.sh DIR [ARG...]    ARGs become process.args (default: a greeting)
# The config comes from `husk spec`, so the demo exercises husk's own defaults.
set -e
dir=$1; shift || { echo "usage: $0 DIR [ARG...]" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
husk=${HUSK:-$here/../build/husk}
busybox=$(command -v busybox || echo /bin/busybox)
rm -rf "$dir"
mkdir -p "$dir/rootfs"
cd "$dir/rootfs"
mkdir -p bin sbin usr/bin usr/sbin etc proc sys dev tmp root var/run home
cp "$busybox" bin/busybox
for applet in $(./bin/busybox --list); do
	[ -e "bin/$applet" ] || ln -s busybox "bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' > etc/passwd
printf 'root:x:0:\nnobody:x:65534:\n' > etc/group
cd ..
"$husk" spec
if [ $# -eq 0 ]; then
	set -- sh -c 'echo "Hello from inside a husk container: hostname=$(hostname) pid=$$ uid=$(id -u)"; echo "root filesystem:"; ls /'
fi
args=$(jq -n '$ARGS.positional' --args -- "$@")
jq --argjson a "$args" '.process.args = $a | .process.terminal = false' config.json > config.json.new
mv config.json.new config.json
