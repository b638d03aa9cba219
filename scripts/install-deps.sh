#!/bin/sh
# Install the Debian packages husk needs to build, test and demo, if any is
# missing.  Safe to run again: it does nothing when everything is present.
set -e
PKGS="build-essential pkg-config libyajl-dev libseccomp-dev libcap-dev libarchive-dev \
libcmocka-dev bats busybox-static jq clang llvm libclang-rt-14-dev valgrind iproute2 \
crun runc hyperfine cpio"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing (run as root)" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
