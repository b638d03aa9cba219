/* husk check [--format text|json]: what this host can do for husk, and why
 * not.  The modules report their own features (common/check.h); this prints
 * them, one line per item and one more on the effect of anything not ok.
 *
 * Like `podman info`, the exit status says whether husk could report, not
 * whether the host is complete: 0 whatever is missing, 1 on a usage error or
 * when the report cannot be written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "cli/cmd_util.h"
#include "common/check.h"
#include "oci/json_gen.h"

static void print_text(const struct check_report *r)
{
	int count[3] = {0};
	const char *section = NULL;
	printf("husk %s: what this host can do\n", HUSK_VERSION);
	for (size_t i = 0; i < r->n; i++) {
		const struct check_item *it = &r->items[i];
		if (!section || strcmp(section, it->section) != 0) {
			section = it->section;
			printf("\n%s\n", section);
		}
		count[it->status]++;
		printf("  %-20s %-8s %s\n", it->name, check_status_name(it->status), it->detail);
		if (it->status != CHECK_OK)
			printf("  %-20s %-8s -> %s\n", "", "", it->effect);
	}
	printf("\n%d ok, %d limited, %d missing\n", count[CHECK_OK], count[CHECK_LIMITED],
	       count[CHECK_MISSING]);
}

/* {"version": ..., "sections": {"namespaces": {"user": {"status", "detail",
 * "effect"}, ...}, ...}, "summary": {"ok": N, ...}} */
static int print_json(const struct check_report *r, struct husk_err **err)
{
	yajl_gen g = jg_new(true);
	int count[3] = {0};
	bool ok = yajl_gen_map_open(g) == yajl_gen_status_ok &&
		  jg_kstr(g, "version", HUSK_VERSION) && jg_key(g, "sections") &&
		  yajl_gen_map_open(g) == yajl_gen_status_ok;
	const char *section = NULL;
	for (size_t i = 0; ok && i < r->n; i++) {
		const struct check_item *it = &r->items[i];
		if (!section || strcmp(section, it->section) != 0) {
			if (section)
				ok = yajl_gen_map_close(g) == yajl_gen_status_ok;
			section = it->section;
			ok = ok && jg_key(g, section) && yajl_gen_map_open(g) == yajl_gen_status_ok;
		}
		count[it->status]++;
		ok = ok && jg_key(g, it->name) && yajl_gen_map_open(g) == yajl_gen_status_ok &&
		     jg_kstr(g, "status", check_status_name(it->status)) &&
		     jg_kstr(g, "detail", it->detail) && jg_kstr(g, "effect", it->effect) &&
		     yajl_gen_map_close(g) == yajl_gen_status_ok;
	}
	if (section)
		ok = ok && yajl_gen_map_close(g) == yajl_gen_status_ok;
	ok = ok && yajl_gen_map_close(g) == yajl_gen_status_ok && jg_key(g, "summary") &&
	     yajl_gen_map_open(g) == yajl_gen_status_ok && jg_kint(g, "ok", count[CHECK_OK]) &&
	     jg_kint(g, "limited", count[CHECK_LIMITED]) &&
	     jg_kint(g, "missing", count[CHECK_MISSING]) &&
	     yajl_gen_map_close(g) == yajl_gen_status_ok &&
	     yajl_gen_map_close(g) == yajl_gen_status_ok;
	char *out = NULL;
	size_t len = 0;
	if (jg_finish(g, ok, &out, &len, err) < 0)
		return -1;
	bool written = fwrite(out, 1, len, stdout) == len;
	free(out);
	if (!written || fflush(stdout) != 0)
		return husk_err_sys(err, "write the report");
	return 0;
}

static int cmd_check_run(struct husk_globals *g, int argc, char **argv)
{
	const char *format = "text";
	const struct cli_flag flags[] = {
	    {"format|f", CLI_FLAG_STRING, &format, "output format: text or json", "text|json"},
	    {0},
	};
	struct cli_args a;
	int rc;
	if (!cli_cmd_parse("check", "[--format text|json]", flags, argc, argv, 0, 0, &a, &rc))
		return rc;
	cli_args_free(&a);
	bool json = strcmp(format, "json") == 0;
	if (!json && strcmp(format, "text") != 0)
		return cli_usage_error("check", "invalid format \"%s\" (text or json)", format);
	struct check_report r = {0};
	check_run_all(&r);
	struct husk_err *err = NULL;
	rc = 0;
	if (json) {
		if (print_json(&r, &err) < 0)
			rc = cli_fail_free(&err);
	} else {
		print_text(&r);
		if (fflush(stdout) != 0 || ferror(stdout)) {
			husk_err_sys(&err, "write the report");
			rc = cli_fail_free(&err);
		}
	}
	check_report_free(&r);
	return rc;
}

HUSK_COMMAND(
    cmd_check,
    {.name = "check",
     .summary = "report what this host can do for husk, and why not",
     .description = "Each item (kernel, namespaces, cgroups, seccomp, LSMs, capabilities, "
		    "syscalls, KVM and the guest kernel) is ok, limited or missing, with one line "
		    "on its effect for containers. Every answer is probed on this host, not "
		    "assumed from the kernel version.\n\n"
		    "Exit status: 0 whatever the host lacks (like podman info); 1 when husk "
		    "itself fails (usage error, the report cannot be written).",
     .run = cmd_check_run});
