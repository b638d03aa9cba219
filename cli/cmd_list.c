#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_util.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "oci/json_gen.h"
#include "runtime/container_open.h"

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

#define LIST_COLUMNS 6

/* One table row's cells; pid is the caller's buffer for the pid column. */
static void row_cells(const struct container_entry *r, char pid[24],
		      const char *cells[LIST_COLUMNS])
{
	const struct container_state *st = r->st;
	snprintf(pid, 24, "%d", (int)r->pid);
	cells[0] = st->id;
	cells[1] = pid;
	cells[2] = oci_status_name(r->status);
	cells[3] = st->bundle;
	cells[4] = or_empty(st->created);
	cells[5] = or_empty(st->owner);
}

static void print_cells(const size_t w[LIST_COLUMNS], const char *const cells[LIST_COLUMNS])
{
	for (int c = 0; c < LIST_COLUMNS; c++)
		printf("%-*s%s", c < LIST_COLUMNS - 1 ? (int)w[c] : 0, cells[c],
		       c < LIST_COLUMNS - 1 ? "" : "\n");
}

static void print_table(const struct container_entry *rows, size_t n)
{
	static const char *const hdr[LIST_COLUMNS] = {"ID",	"PID",	   "STATUS",
						      "BUNDLE", "CREATED", "OWNER"};
	size_t w[LIST_COLUMNS];
	for (int c = 0; c < LIST_COLUMNS; c++)
		w[c] = strlen(hdr[c]);
	char pid[24];
	const char *cells[LIST_COLUMNS];
	for (size_t i = 0; i < n; i++) {
		row_cells(&rows[i], pid, cells);
		for (int c = 0; c < LIST_COLUMNS; c++)
			if (strlen(cells[c]) > w[c])
				w[c] = strlen(cells[c]);
	}
	/* runc's tabwriter: min width 12, padding 3. */
	for (int c = 0; c < LIST_COLUMNS; c++)
		w[c] = w[c] + 3 < 12 ? 12 : w[c] + 3;
	print_cells(w, hdr);
	for (size_t i = 0; i < n; i++) {
		row_cells(&rows[i], pid, cells);
		print_cells(w, cells);
	}
}

/* runc's containerState fields, in its order (not the OCI state document). */
static bool gen_row(yajl_gen g, const struct container_entry *r)
{
	const struct container_state *st = r->st;
	bool ok = jg_open_map(g) && jg_kstr(g, "ociVersion", OCI_SPEC_VERSION) &&
		  jg_kstr(g, "id", st->id) && jg_kint(g, "pid", r->pid) &&
		  jg_kstr(g, "status", oci_status_name(r->status)) &&
		  jg_kstr(g, "bundle", or_empty(st->bundle)) &&
		  jg_kstr(g, "rootfs", or_empty(st->rootfs)) &&
		  jg_kstr(g, "created", or_empty(st->created)) && jg_key(g, "annotations") &&
		  jg_open_map(g);
	for (size_t k = 0; ok && k < st->annotations.n; k++)
		ok = jg_kstr(g, st->annotations.v[k].key, or_empty(st->annotations.v[k].value));
	return ok && jg_close_map(g) && jg_kstr(g, "owner", or_empty(st->owner)) && jg_close_map(g);
}

static int print_json(const struct container_entry *rows, size_t n)
{
	if (!n) {
		puts("null"); /* what runc prints for no containers */
		return 0;
	}
	yajl_gen g = jg_new(false);
	bool ok = jg_open_array(g);
	for (size_t i = 0; ok && i < n; i++)
		ok = gen_row(g, &rows[i]);
	ok = ok && jg_close_array(g);
	cleanup_free char *out = NULL;
	struct husk_err *err = NULL;
	if (jg_finish(g, ok, &out, NULL, &err) < 0) {
		husk_err_wrap(&err, "list");
		return cli_fail_free(&err);
	}
	puts(out);
	return 0;
}

static int cmd_list_run(struct husk_globals *g, int argc, char **argv)
{
	const char *format = "table";
	bool quiet = false;
	const struct cli_flag flags[] = {
	    {"format|f", CLI_FLAG_STRING, &format, "output format: table or json", "table|json"},
	    {"quiet|q", CLI_FLAG_BOOL, &quiet, "print only the ids", NULL},
	    {0},
	};
	struct cli_args a;
	int rc;
	if (!cli_cmd_parse("list", "[--format table|json] [--quiet]", flags, argc, argv, 0, 0, &a,
			   &rc))
		return rc;
	cli_args_free(&a);
	if (strcmp(format, "table") && strcmp(format, "json"))
		return cli_usage_error("list", "invalid format option \"%s\" (table or json)",
				       format);
	struct container_entry *rows;
	size_t n = container_list(g->root, &rows);
	rc = 0;
	if (quiet)
		for (size_t i = 0; i < n; i++)
			puts(rows[i].st->id);
	else if (!strcmp(format, "json"))
		rc = print_json(rows, n);
	else
		print_table(rows, n);
	container_list_free(rows, n);
	return rc;
}

HUSK_COMMAND(cmd_list, {.name = "list", .summary = "list containers", .run = cmd_list_run});
