/* What the cgroup module reports to `husk features`. */
#include "cgroups/cgroup.h"

void cgroup_features(struct oci_features *f)
{
	f->linux_.cgroup.present = true;
	f->linux_.cgroup.v1 = (oci_opt_bool){true, true};
	f->linux_.cgroup.v2 = (oci_opt_bool){true, true};
	/* --systemd-cgroup is accepted and refused: no systemd driver yet */
	f->linux_.cgroup.systemd = (oci_opt_bool){true, false};
	f->linux_.cgroup.systemd_user = (oci_opt_bool){true, false};
	f->linux_.cgroup.rdma = (oci_opt_bool){true, true};
}
