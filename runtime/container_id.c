/* Container ids and where their state directories live. */
#include <ctype.h>
#include <string.h>

#include "common/util.h"
#include "runtime/state.h"

char *container_dir(const char *root, const char *id)
{
	return xasprintf("%s/%s", root, id);
}

int container_id_validate(const char *id, struct husk_err **err)
{
	if (!id || !*id)
		return husk_err_set(err, EINVAL, "container id cannot be empty");
	if (strlen(id) > 1024)
		return husk_err_set(err, EINVAL, "invalid container id: too long");
	if (!isalnum((unsigned char)id[0]))
		return husk_err_set(err, EINVAL, "invalid container id format: %s", id);
	for (const char *p = id; *p; p++) {
		unsigned char c = *p;
		if (!isalnum(c) && c != '_' && c != '.' && c != '+' && c != '-')
			return husk_err_set(err, EINVAL, "invalid container id format: %s", id);
	}
	if (strstr(id, ".."))
		return husk_err_set(err, EINVAL, "invalid container id format: %s", id);
	return 0;
}
