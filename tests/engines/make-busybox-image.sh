#!/bin/bash
# Build a local busybox image without any registry:
#   make-busybox-image.sh OUTDIR [NAME]
# writes OUTDIR/rootfs.tar (a single layer: busybox-static + its applet links,
# passwd/group) and OUTDIR/oci.tar (an OCI image layout archive holding that
# layer, an image config, a manifest and an index naming the image NAME,
# default localhost/husk-busybox:latest).  `ctr image import` and
# `podman load` take oci.tar; `podman import` takes rootfs.tar.
set -euo pipefail
out=${1:?usage: make-busybox-image.sh OUTDIR [NAME]}
name=${2:-localhost/husk-busybox:latest}
busybox=$(command -v busybox || echo /bin/busybox)
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
	[ -x /bin/busybox ] || { echo "make-busybox-image: need busybox-static" >&2; exit 1; }

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "$out/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT

root=$work/rootfs
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,var/run,home}
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
	[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' >"$root/etc/group"
# Reproducible layer: fixed order, owner and mtime.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$root" -cf "$out/rootfs.tar" .

layout=$work/layout
mkdir -p "$layout/blobs/sha256"
put_blob() { # FILE -> prints "sha256:HEX SIZE", stores the blob
	local d s
	d=$(sha256sum "$1" | cut -d' ' -f1)
	s=$(stat -c %s "$1")
	cp "$1" "$layout/blobs/sha256/$d"
	echo "sha256:$d $s"
}
read -r layer_digest layer_size < <(put_blob "$out/rootfs.tar")

jq -n --arg diff "$layer_digest" '{
	architecture: "amd64", os: "linux", created: "1970-01-01T00:00:00Z",
	config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
		 Cmd: ["sh"], WorkingDir: "/"},
	rootfs: {type: "layers", diff_ids: [$diff]},
	history: [{created: "1970-01-01T00:00:00Z", created_by: "husk tests/engines/make-busybox-image.sh"}]
}' >"$work/config.json"
read -r config_digest config_size < <(put_blob "$work/config.json")

jq -n --arg cd "$config_digest" --argjson cs "$config_size" \
	--arg ld "$layer_digest" --argjson ls "$layer_size" '{
	schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
	config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $cd, size: $cs},
	layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $ld, size: $ls}]
}' >"$work/manifest.json"
read -r manifest_digest manifest_size < <(put_blob "$work/manifest.json")

jq -n --arg md "$manifest_digest" --argjson ms "$manifest_size" --arg name "$name" '{
	schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
	manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $md, size: $ms,
		platform: {architecture: "amd64", os: "linux"},
		annotations: {"io.containerd.image.name": $name,
			      "org.opencontainers.image.ref.name": ($name | sub(".*:"; ""))}}]
}' >"$layout/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$layout" -cf "$out/oci.tar" .
echo "$name"
