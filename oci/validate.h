/* Rules across fields of a decoded config (what runc checks at create). Private to oci/. */
#ifndef HUSK_OCI_VALIDATE_H
#define HUSK_OCI_VALIDATE_H

#include "oci/parse_util.h"

int oci_validate_config(struct pctx *c, const struct oci_config *cfg);

#endif
