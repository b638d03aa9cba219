#!/bin/sh
# Install the Debian packages husk needs to build, test and demo, if any is
# missing.  Safe to run again: it does nothing when everything is present.
# The list is scripts/deps.d/*.txt (one package per line; one file per module).
set -e
here=$(cd "$(dirname "$0")" && pwd)
PKGS=$(cat "$here"/deps.d/*.txt | sed 's/#.*//' | tr -s ' \n' '\n' | sort -u)
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
