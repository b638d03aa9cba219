#!/usr/bin/env bats
# VM containers' bridged networking (vm-sandbox/README.md, "Networking"): the
# engine's veth in the container's network namespace, a tap next to it joined
# with tc (mirred redirect both ways), the guest's eth0 with the veth's MAC,
# addresses, routes and MTU.  A CNI-bridge-like set-up made here, all in
# network namespaces of its own (nothing touches the host's): "hub" holds a
# bridge with 10.213.N.1/24 and a host-side listener, "a" and "b" each a veth
# onto it with an address and a default route, as the CNI bridge plugin makes
# them.  Runs in the nested harness where the host lacks hardware
# virtualization.  No test has a time bound.

load helpers
bats_require_minimum_version 1.5.0

KERNEL=${BUILD:-$REPO_ROOT/build}/guest-kernel/vmlinux

setup() {
	[ -c /dev/kvm ] || skip "no /dev/kvm on this host"
	grep -qwE 'vmx|svm' /proc/cpuinfo ||
		skip "no hardware virtualization (no vmx/svm flag): run in tests/nested/run"
	[ -f "$KERNEL" ] || skip "guest kernel not built: run 'make guest-kernel'"
	command -v ip >/dev/null && command -v tc >/dev/null || skip "iproute2 (ip, tc) not installed"
	export HUSK_VM_KERNEL=$KERNEL
	setup_runtime_bundle
	SFX=$$$RANDOM
	SFX=${SFX: -6}
	NS_HUB=husk-hub-$SFX NS_A=husk-a-$SFX NS_B=husk-b-$SFX
	NET=10.213.$((RANDOM % 200 + 20))
	NETNS_MADE=()
}

teardown() {
	teardown_bundle
	local pid
	for pid in ${LISTENER_PID:-}; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
	local ns
	# Removing a namespace takes its veth ends, bridge, taps and qdiscs along.
	for ns in "${NETNS_MADE[@]}"; do ip netns del "$ns" 2>/dev/null; done
	true
}

# A namespace with an end of a veth pair on the hub's bridge:
# NAME HOST_END ADDR MTU: eth0 with ADDR/24, default route via the bridge's address.
add_netns() {
	local ns=$1 host=$2$SFX addr=$3 mtu=$4
	ip netns add "$ns" && NETNS_MADE+=("$ns")
	ip -n "$NS_HUB" link add "$host" type veth peer name eth0 netns "$ns"
	ip -n "$NS_HUB" link set "$host" mtu "$mtu" master br0 up
	ip -n "$ns" link set lo up
	ip -n "$ns" link set eth0 mtu "$mtu" up
	ip -n "$ns" addr add "$addr/24" dev eth0
	ip -n "$ns" route add default via "$NET.1"
}

make_hub() {
	ip netns add "$NS_HUB" && NETNS_MADE+=("$NS_HUB")
	ip -n "$NS_HUB" link set lo up
	ip -n "$NS_HUB" link add br0 type bridge
	ip -n "$NS_HUB" link set br0 up
	ip -n "$NS_HUB" addr add "$NET.1/24" dev br0
}

# The bundle at DIR joins the namespace NS (linux.namespaces network path).
join_netns() { # DIR NS
	jq --arg p "/run/netns/$2" \
		'.linux.namespaces |= map(if .type == "network" then .path = $p else . end)' \
		"$1/config.json" >"$1/config.json.new" && mv "$1/config.json.new" "$1/config.json"
}

# A copy of the bundle for a second container.
second_bundle() { # DIR
	mkdir -p "$1"
	cp "$BUNDLE/config.json" "$1/"
	jq --arg r "$BUNDLE/rootfs" '.root.path = $r | .root.readonly = true' "$1/config.json" \
		>"$1/config.json.new" && mv "$1/config.json.new" "$1/config.json"
}

@test "vm net: two VM containers on a bridge reach each other and a host-side listener; eth0 is the veth's" {
	make_hub
	add_netns "$NS_A" hva "$NET.2" 1400
	add_netns "$NS_B" hvb "$NET.3" 1400
	# the host-side listener, on the bridge's address (busybox's wget crashes:
	# the guests ask with nc)
	mkdir -p "$TEST_TMP/www" && echo "from-the-host-side" >"$TEST_TMP/www/hello"
	ip netns exec "$NS_HUB" busybox httpd -f -p "$NET.1:8080" -h "$TEST_TMP/www" &
	LISTENER_PID=$!
	# B serves a file from its guest
	local b=$TEST_TMP/bundle-b
	second_bundle "$b"
	join_netns "$b" "$NS_B"
	mkdir -p "$BUNDLE/rootfs/www-b" && echo "from-guest-b" >"$BUNDLE/rootfs/www-b/hello"
	jq '.process.args = ["httpd", "-f", "-p", "8080", "-h", "/www-b"]' "$b/config.json" \
		>"$b/config.json.new" && mv "$b/config.json.new" "$b/config.json"
	husk create --vm --bundle "$b" "$CID-b" </dev/null >"$TEST_TMP/b.log" 2>&1
	husk start "$CID-b"
	# A: the engine's /etc/resolv.conf and /etc/hosts come through the root share
	printf 'nameserver %s.1\n' "$NET" >"$TEST_TMP/resolv.conf"
	printf '127.0.0.1 localhost\n%s.3 guest-b\n' "$NET" >"$TEST_TMP/hosts"
	join_netns "$BUNDLE" "$NS_A"
	cfg --arg r "$TEST_TMP/resolv.conf" --arg h "$TEST_TMP/hosts" \
		'.mounts += [{"destination": "/etc/resolv.conf", "type": "bind", "source": $r, "options": ["rbind", "ro"]},
		             {"destination": "/etc/hosts", "type": "bind", "source": $h, "options": ["rbind", "ro"]}]'
	cfg --arg n "$NET" '.process.args = ["sh", "-c", "
		echo mac=$(cat /sys/class/net/eth0/address) mtu=$(cat /sys/class/net/eth0/mtu)
		ip -4 addr show dev eth0 | grep inet
		ip route
		ls /sys/class/net
		cat /etc/resolv.conf /etc/hosts
		get() { printf \"GET /hello HTTP/1.0\\r\\n\\r\\n\" | nc -w 3 $1 8080 | grep from-; }
		for i in $(seq 90); do get \($n).1 && break; sleep 1; done
		for i in $(seq 90); do get \($n).3 && break; sleep 1; done"]'
	run --separate-stderr husk run --vm "$CID-a"
	echo "status $status"
	echo "stdout: $output"
	echo "stderr: $stderr"
	echo "b: $(cat "$TEST_TMP/b.log")"
	[ "$status" -eq 0 ]
	# eth0 is the veth's twin: MAC, MTU, address, default route
	local mac
	mac=$(ip netns exec "$NS_A" cat /sys/class/net/eth0/address)
	[[ "$output" == *"mac=$mac mtu=1400"* ]]
	[[ "$output" == *"inet $NET.2/24 "* ]]
	[[ "$output" == *"default via $NET.1 dev eth0"* ]]
	[ "$(grep -cx 'eth0\|lo' <<<"$output")" -eq 2 ]
	[[ "$output" == *"nameserver $NET.1"* ]]
	[[ "$output" == *"$NET.3 guest-b"* ]]
	# the host-side listener, then guest B
	[[ "$output" == *"from-the-host-side"* ]]
	[[ "$output" == *"from-guest-b"* ]]
	husk kill "$CID-b" KILL
	for i in $(seq 300); do [ "$(husk state "$CID-b" | jq -r .status)" = stopped ] && break; sleep 0.2; done
	husk delete "$CID-b"
	assert_no_leftovers "$CID-a"
	assert_no_leftovers "$CID-b"
	# the taps went with their monitors
	run ip -n "$NS_A" -o link show
	[[ "$output" != *husktap* ]]
	run ip -n "$NS_B" -o link show
	[[ "$output" != *husktap* ]]
}

@test "vm net: a network namespace with only lo gives the guest loopback only" {
	# husk spec's default: a new network namespace (as --network none)
	cfg '.process.args = ["sh", "-c", "ls /sys/class/net; ip -o link show lo; cat /proc/cmdline"]'
	run --separate-stderr husk run --vm "$CID"
	echo "status $status"
	echo "stdout: $output"
	echo "stderr: $stderr"
	[ "$status" -eq 0 ]
	[ "$(grep -c . <<<"$(ls_lines "$output")")" -eq 1 ]
	[[ "$output" == *"lo: <LOOPBACK,UP,LOWER_UP>"* ]]
	[[ "$output" != *HUSK_NET* ]]
	assert_no_leftovers "$CID"
}

# The /sys/class/net listing in OUTPUT: the lines before the `ip` one.
ls_lines() {
	sed -n '/^[0-9]*: /q;p' <<<"$1"
}

@test "vm net: a failed set-up says what and why, and leaves no tap or qdisc" {
	make_hub
	# a veth the tap cannot follow (tap devices stop below 65535)
	add_netns "$NS_A" hva "$NET.2" 65535
	join_netns "$BUNDLE" "$NS_A"
	cfg '.process.args = ["true"]'
	run --separate-stderr husk run --vm "$CID"
	echo "status $status"
	echo "stderr: $stderr"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"bridge eth0 to the VM"* ]]
	[[ "$stderr" == *"mtu 65535"* ]]
	assert_no_leftovers "$CID"
	run ip -n "$NS_A" -o link show
	[[ "$output" != *husktap* ]]
	run tc -n "$NS_A" qdisc show dev eth0
	[[ "$output" != *ingress* ]]
}
