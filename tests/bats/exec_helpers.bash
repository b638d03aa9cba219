# Shared by the exec_*.bats suites: husk's helpers, the engines' spec helpers
# (spec_bundle, create_detached, wait_status, state_pid) and what the suites
# do alike.
load helpers
load ../engines/spec

# Start the bundle's container detached; PID is its init.
start_container() {
	create_detached
	husk start "$CID"
	wait_status running
	PID=$(state_pid)
}
