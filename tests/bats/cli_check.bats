#!/usr/bin/env bats
# husk check tells the truth about this host: each answer is compared with
# what the kernel shows through another door (/proc, /sys, mountinfo,
# unshare(1), capsh(8)), never with a hard-coded answer.
load helpers

setup() {
	CHECK_TMP=$(mktemp -d /tmp/husk-check.XXXXXX)
	"$HUSK" check --format json >"$CHECK_TMP/check.json"
}

teardown() {
	rm -rf "$CHECK_TMP"
}

# status / detail of SECTION ITEM
st() { jq -r --arg s "$1" --arg i "$2" '.sections[$s][$i].status' "$CHECK_TMP/check.json"; }
detail() { jq -r --arg s "$1" --arg i "$2" '.sections[$s][$i].detail' "$CHECK_TMP/check.json"; }

# kernel >= MAJOR.MINOR
kernel_at_least() {
	local maj min
	IFS=. read -r maj min _ <<<"$(uname -r)"
	min=${min%%[!0-9]*}
	((maj > $1 || (maj == $1 && min >= $2)))
}

@test "check: exit 0, text and json carry the same items and statuses" {
	run "$HUSK" check
	[ "$status" -eq 0 ]
	text=$output
	n=0
	while IFS=$'\t' read -r name status; do
		grep -qE "^  $(printf '%s' "$name" | sed 's/[][().*^$/]/\\&/g') +$status " <<<"$text" ||
			{ echo "text lacks: $name $status"; false; }
		n=$((n + 1))
	done < <(jq -r '.sections[] | to_entries[] | [.key, .value.status] | @tsv' "$CHECK_TMP/check.json")
	[ "$n" -ge 25 ]
	sum=$(jq '.summary.ok + .summary.limited + .summary.missing' "$CHECK_TMP/check.json")
	[ "$sum" -eq "$n" ]
	[[ "$text" == *"$(jq -r '"\(.summary.ok) ok, \(.summary.limited) limited, \(.summary.missing) missing"' "$CHECK_TMP/check.json")"* ]]
	# every item not ok says what it changes, in both formats
	[ "$(jq '[.sections[][] | select(.effect == "")] | length' "$CHECK_TMP/check.json")" -eq 0 ]
	notok=$(jq '[.sections[][] | select(.status != "ok")] | length' "$CHECK_TMP/check.json")
	[ "$(grep -c -- ' -> ' <<<"$text")" -eq "$notok" ]
}

@test "check: a bad format is a usage error" {
	run "$HUSK" check --format yaml
	[ "$status" -eq 1 ]
	[[ "$output" == *'invalid format "yaml"'* ]]
}

@test "check: kernel version is uname's" {
	[ "$(detail kernel version)" = "$(uname -r) $(uname -m)" ]
}

@test "check: namespaces match /proc/self/ns, the max_*_namespaces limits and unshare(1)" {
	for t in mount:mnt:mount uts:uts:uts ipc:ipc:ipc pid:pid:pid network:net:net user:user:user \
		cgroup:cgroup:cgroup time:time:time; do
		IFS=: read -r oci proc opt <<<"$t"
		limit=$(cat "/proc/sys/user/max_${proc}_namespaces" 2>/dev/null || echo none)
		if [ ! -e "/proc/self/ns/$proc" ] || [ "$limit" = 0 ]; then
			want=missing
		elif unshare "--$opt" true 2>/dev/null; then
			want=ok
		else
			want=limited
		fi
		[ "$(st namespaces "$oci")" = "$want" ] || { echo "$oci: $(st namespaces "$oci") want $want"; false; }
		[ "$limit" = none ] || [ "$want" != ok ] || [ "$(detail namespaces "$oci")" = "limit $limit" ]
	done
	# husk's own user namespace: the initial one has the full identity map
	if [ "$(awk '{print $1, $2, $3}' /proc/self/uid_map)" = "0 0 4294967295" ]; then
		[ "$(st namespaces "user (husk's own)")" = ok ]
	else
		[ "$(st namespaces "user (husk's own)")" = limited ]
	fi
	clone=$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo "(absent)")
	[[ "$(detail namespaces "user (unprivileged)")" == "kernel.unprivileged_userns_clone=$clone"* ]]
}

@test "check: cgroup layout and controllers match mountinfo and the cgroup files" {
	fstype=$(awk '$5 == "/sys/fs/cgroup" {sub(/.* - /, ""); print $1}' /proc/self/mountinfo | tail -1)
	unified=$(awk '$5 == "/sys/fs/cgroup/unified" {sub(/.* - /, ""); print $1}' /proc/self/mountinfo | tail -1)
	layout=$(detail cgroups layout)
	case $fstype in
	cgroup2) [[ "$layout" == "v2 (unified)"* ]] ;;
	tmpfs)
		if [ "$unified" = cgroup2 ]; then [[ "$layout" == hybrid* ]]; else [[ "$layout" == "v1 (legacy)"* ]]; fi ;;
	*) false ;;
	esac
	if [ "$fstype" = cgroup2 ]; then
		[ "$(detail cgroups "v2 controllers")" = "$(cat /sys/fs/cgroup/cgroup.controllers)" ]
		[ "$(st cgroups "v1 controllers")" = null ]
	else
		# the controllers of the v1 mounts, in mount order
		want=$(awk '/ - cgroup / {n = split($NF, o, ","); for (i = 1; i <= n; i++) print o[i]}' /proc/self/mountinfo |
			grep -xF -f <(awk 'NR > 1 && $4 == 1 {print $1}' /proc/cgroups) | awk '!seen[$0]++' | tr '\n' ' ')
		[ "$(detail cgroups "v1 controllers") " = "$want" ]
		for c in cpu memory pids; do
			if [[ " $want" != *" $c "* ]]; then [ "$(st cgroups "v1 controllers")" = limited ]; fi
		done
	fi
	if [ "$unified" = cgroup2 ]; then
		want=$(cat /sys/fs/cgroup/unified/cgroup.controllers)
		[ "$(detail cgroups "v2 controllers")" = "${want:-(none)}" ]
	fi
}

@test "check: seccomp actions, notify and flags match the kernel" {
	avail=$(cat /proc/sys/kernel/seccomp/actions_avail)
	[ "$(detail seccomp filters)" = "actions: $avail" ]
	if [[ " $avail " == *" user_notif "* ]]; then
		[ "$(st seccomp notify)" = ok ]
	else
		[ "$(st seccomp notify)" = missing ]
	fi
	flags=" $(detail seccomp "filter flags") "
	for f in TSYNC:3:17 LOG:4:14 SPEC_ALLOW:4:17 NEW_LISTENER:5:0 TSYNC_ESRCH:5:7 WAIT_KILLABLE_RECV:5:19; do
		IFS=: read -r name maj min <<<"$f"
		if kernel_at_least "$maj" "$min"; then
			[[ "$flags" == *" $name "* ]] || { echo "$name missing on $(uname -r)"; false; }
		fi
	done
	# husk inherits this shell's filter (seccomp filters pass to children)
	mode=$(awk '/^Seccomp:/ {print $2}' /proc/self/status)
	if [ "$mode" = 0 ]; then [ "$(st seccomp "husk's own filter")" = ok ]; else [ "$(st seccomp "husk's own filter")" = limited ]; fi
}

@test "check: LSMs match /sys/kernel/security" {
	if [ -r /sys/kernel/security/lsm ]; then
		[ "$(st lsm enabled)" = ok ]
		[ "$(detail lsm enabled)" = "$(cat /sys/kernel/security/lsm)" ]
	else
		[ "$(st lsm enabled)" = limited ]
	fi
	if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] && [ -d /sys/kernel/security/apparmor ]; then
		[ "$(st lsm apparmor)" = ok ]
	else
		[ "$(st lsm apparmor)" = missing ]
	fi
	if [ "$(stat -f -c %T /sys/fs/selinux 2>/dev/null)" = selinux ]; then
		[ "$(st lsm selinux)" = ok ]
	else
		[ "$(st lsm selinux)" = missing ]
	fi
}

@test "check: the capabilities missing from the bounding set are CapBnd's zero bits" {
	bnd=$((16#$(awk '/^CapBnd:/ {print $2}' /proc/self/status)))
	last=$(cat /proc/sys/kernel/cap_last_cap)
	missing=()
	for ((c = 0; c <= last; c++)); do
		((bnd >> c & 1)) || missing+=("$c")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		[ "$(st capabilities "bounding set")" = ok ]
	else
		[ "$(st capabilities "bounding set")" = limited ]
		[[ "$(detail capabilities "bounding set")" == "$((last + 1 - ${#missing[@]})) of $((last + 1)); missing "* ]]
	fi
	for c in "${missing[@]}"; do
		name=$(capsh --decode=$(printf '%x' $((1 << c))) | sed 's/.*=//' | tr a-z A-Z)
		[ "$(st capabilities "$name")" = missing ] || { echo "$name not reported"; false; }
	done
	n=$(jq '[.sections.capabilities | to_entries[] | select(.key | startswith("CAP_"))] | length' "$CHECK_TMP/check.json")
	[ "$n" -eq ${#missing[@]} ]
	# the effect of the one this machine lacks, if it does
	if ! ((bnd >> 24 & 1)); then
		[[ "$(jq -r '.sections.capabilities.CAP_SYS_RESOURCE.effect' "$CHECK_TMP/check.json")" == *rlimits* ]]
	fi
}

@test "check: pidfd, clone3, openat2, the mount API and idmapped mounts follow the kernel" {
	for f in "pidfd:5:6" "clone3:5:3" "openat2:5:6" "mount API:5:2"; do
		IFS=: read -r name maj min <<<"$f"
		if kernel_at_least "$maj" "$min"; then
			[ "$(st syscalls "$name")" = ok ] || { echo "$name: $(st syscalls "$name")"; false; }
		else
			[ "$(st syscalls "$name")" != ok ]
		fi
	done
	if kernel_at_least 5 12; then
		[ "$(st syscalls "idmapped mounts")" != missing ]
	else
		[ "$(st syscalls "idmapped mounts")" = missing ]
	fi
	fstype=$(awk '$5 == "/" {sub(/.* - /, ""); print $1}' /proc/self/mountinfo | tail -1)
	[[ "$(detail syscalls "idmapped mounts")" == *"$fstype"* ]]
}

@test "check: /dev/kvm and what backs it match /proc/cpuinfo and the kvm modules" {
	kvm=$(st vm /dev/kvm)
	if [ ! -e /dev/kvm ]; then
		[ "$kvm" = missing ]
	elif grep -qw vmx /proc/cpuinfo; then
		[ "$kvm" = ok ] && [[ "$(detail vm /dev/kvm)" == *vmx* ]]
	elif grep -qw svm /proc/cpuinfo; then
		[ "$kvm" = ok ] && [[ "$(detail vm /dev/kvm)" == *svm* ]]
	elif [ -d /sys/module/kvm_pvm ]; then
		[ "$kvm" = limited ] && [[ "$(detail vm /dev/kvm)" == *PVM* ]]
	else
		[ "$kvm" = limited ]
	fi
}

@test "check: the guest kernel, from HUSK_VM_KERNEL or not found" {
	echo kernel >"$CHECK_TMP/vmlinux"
	HUSK_VM_KERNEL=$CHECK_TMP/vmlinux "$HUSK" check --format json >"$CHECK_TMP/check.json"
	[ "$(st vm "guest kernel")" = ok ]
	[[ "$(detail vm "guest kernel")" == "$CHECK_TMP/vmlinux"* ]]
	HUSK_VM_KERNEL=$CHECK_TMP/none "$HUSK" check --format json >"$CHECK_TMP/check.json"
	[ "$(st vm "guest kernel")" = missing ]
	[[ "$(detail vm "guest kernel")" == *"$CHECK_TMP/none"* ]]
}

@test "check: as an unprivileged user, what it says matches what that user can do" {
	command -v setpriv >/dev/null || skip "no setpriv(1)"
	chmod 755 "$CHECK_TMP"
	cp "$HUSK" "$CHECK_TMP/husk"
	as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"; }
	as_nobody "$CHECK_TMP/husk" check --format json >"$CHECK_TMP/check.json"
	[ "$(st capabilities privilege)" = limited ]
	[ "$(detail capabilities privilege)" = "euid 65534" ]
	for t in mount:mount network:net pid:pid; do
		IFS=: read -r oci opt <<<"$t"
		if as_nobody unshare "--$opt" true 2>/dev/null; then
			want=ok
		elif as_nobody unshare --user "--$opt" true 2>/dev/null; then
			want=ok
			[[ "$(detail namespaces "$oci")" == *"inside a new user namespace" ]]
		else
			want=limited
		fi
		[ "$(st namespaces "$oci")" = "$want" ] || { echo "$oci: $(st namespaces "$oci") want $want"; false; }
	done
	# nobody cannot open /dev/kvm (crw------- root) nor mount
	if [ -e /dev/kvm ] && ! as_nobody test -r /dev/kvm; then
		[ "$(st vm /dev/kvm)" = limited ]
	fi
	[ "$(st syscalls "mount API")" = limited ]
}
