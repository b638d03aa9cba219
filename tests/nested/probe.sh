#!/bin/sh
# Can the nested harness run on this host?  Exit 0 if so; otherwise exit 1
# and say why on stdout (no QEMU, no L1 kernel to be had).
command -v qemu-system-x86_64 >/dev/null || {
	echo "the nested harness cannot run: qemu-system-x86_64 is not installed (make deps)"
	exit 1
}
err=$("$(dirname "$0")/l1-kernel.sh" 2>&1 >/dev/null) || {
	echo "the nested harness cannot run: ${err:-no L1 kernel}"
	exit 1
}
exit 0
