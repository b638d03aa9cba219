/* libFuzzer target: the standalone documents.  The first byte picks the
 * parser: 'R' resources (`update --resources`), anything else process.json
 * (`exec --process`). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	struct husk_err *err = NULL;
	const char *json = (const char *)data + 1;
	if (data[0] == 'R') {
		struct oci_resources *r = NULL;
		if (oci_resources_parse(json, size - 1, "resources.json", &r, &err) == 0)
			oci_resources_free(r);
		else if (r || !err || strncmp(err->msg, "resources.json: ", 16) != 0)
			abort();
	} else {
		struct oci_process *p = NULL;
		if (oci_process_parse(json, size - 1, "process.json", &p, &err) == 0) {
			if (!p->present || p->args.n == 0 ||
			    (p->cwd && p->cwd[0] && p->cwd[0] != '/'))
				abort();
			oci_process_free(p);
		} else if (p || !err || strncmp(err->msg, "process.json: ", 14) != 0) {
			abort();
		}
	}
	husk_err_free(&err);
	return 0;
}
