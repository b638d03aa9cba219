/* Until every module has landed on main, husk's runtime references the other
 * modules' entry points weakly so the binary links and the parts that exist can
 * be tested.  A missing module is reported as an error where it is needed
 * (see runtime_require()).  This file goes away once all modules are merged. */
#ifndef HUSK_RUNTIME_WEAK_H
#define HUSK_RUNTIME_WEAK_H

#pragma weak cgroup_manager_create
#pragma weak cgroup_enter
#pragma weak cgroup_apply
#pragma weak cgroup_freeze
#pragma weak cgroup_kill_all
#pragma weak cgroup_is_frozen
#pragma weak cgroup_destroy
#pragma weak cgroup_manager_free
#pragma weak cgroup_manager_serialize
#pragma weak cgroup_manager_load
#pragma weak rootfs_prepare
#pragma weak rootfs_finalize
#pragma weak process_security_prepare
#pragma weak process_security_apply
#pragma weak process_security_load_seccomp
#pragma weak process_security_free
#pragma weak process_close_inherited_fds
#pragma weak process_chdir_checked
#pragma weak ensure_sealed_binary
#pragma weak oci_config_load
#pragma weak oci_config_parse
#pragma weak oci_config_free
#pragma weak oci_state_to_json
#pragma weak oci_status_name
#pragma weak oci_default_spec_json

#endif
