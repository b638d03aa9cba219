#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "cli/cmd_util.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/container.h"

struct row {
	struct container_state *st;
	enum oci_status status;
};

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->st->id, ((const struct row *)b)->st->id);
}

static size_t collect(const char *root, struct row **rows)
{
	size_t n = 0, cap = 0;
	*rows = NULL;
	cleanup_dir DIR *d = opendir(root);
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		struct container_state *st = NULL;
		struct husk_err *err = NULL;
		if (container_state_load(root, de->d_name, &st, &err) < 0) {
			husk_err_free(&err); /* half-created or foreign: not a container yet */
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			*rows = xrealloc(*rows, cap * sizeof(**rows));
		}
		(*rows)[n].st = st;
		(*rows)[n].status = container_status(root, st);
		n++;
	}
	if (n)
		qsort(*rows, n, sizeof(**rows), by_id);
	return n;
}

static const char *status_str(enum oci_status s)
{
	static const char *w[] = {"creating", "created", "running", "stopped", "paused"};
	return w[s];
}

static void print_table(const struct row *rows, size_t n)
{
	static const char *hdr[] = {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"};
	size_t w[6];
	for (int c = 0; c < 6; c++)
		w[c] = strlen(hdr[c]);
	char pid[24];
	for (size_t i = 0; i < n; i++) {
		const struct container_state *st = rows[i].st;
		const char *cells[6] = {st->id,
					pid,
					status_str(rows[i].status),
					st->bundle,
					st->created ? st->created : "",
					st->owner ? st->owner : ""};
		snprintf(pid, sizeof(pid), "%d",
			 rows[i].status == OCI_STATUS_STOPPED ? 0 : st->pid);
		for (int c = 0; c < 6; c++)
			if (strlen(cells[c]) > w[c])
				w[c] = strlen(cells[c]);
	}
	/* runc's tabwriter: min width 12, padding 3. */
	for (int c = 0; c < 6; c++)
		w[c] = w[c] + 3 < 12 ? 12 : w[c] + 3;
	for (int c = 0; c < 6; c++)
		printf("%-*s%s", c < 5 ? (int)w[c] : 0, hdr[c], c < 5 ? "" : "\n");
	for (size_t i = 0; i < n; i++) {
		const struct container_state *st = rows[i].st;
		snprintf(pid, sizeof(pid), "%d",
			 rows[i].status == OCI_STATUS_STOPPED ? 0 : st->pid);
		const char *cells[6] = {st->id,
					pid,
					status_str(rows[i].status),
					st->bundle,
					st->created ? st->created : "",
					st->owner ? st->owner : ""};
		for (int c = 0; c < 6; c++)
			printf("%-*s%s", c < 5 ? (int)w[c] : 0, cells[c], c < 5 ? "" : "\n");
	}
}

static void put(yajl_gen g, const char *k, const char *v)
{
	yajl_gen_string(g, (const unsigned char *)k, strlen(k));
	yajl_gen_string(g, (const unsigned char *)(v ? v : ""), v ? strlen(v) : 0);
}

static void print_json(const struct row *rows, size_t n)
{
	if (!n) {
		puts("null"); /* what runc prints for no containers */
		return;
	}
	yajl_gen g = yajl_gen_alloc(NULL);
	yajl_gen_array_open(g);
	for (size_t i = 0; i < n; i++) {
		const struct container_state *st = rows[i].st;
		yajl_gen_map_open(g);
		put(g, "ociVersion", OCI_SPEC_VERSION);
		put(g, "id", st->id);
		yajl_gen_string(g, (const unsigned char *)"pid", 3);
		yajl_gen_integer(g, rows[i].status == OCI_STATUS_STOPPED ? 0 : st->pid);
		put(g, "status", status_str(rows[i].status));
		put(g, "bundle", st->bundle);
		put(g, "rootfs", st->rootfs);
		put(g, "created", st->created);
		yajl_gen_string(g, (const unsigned char *)"annotations", 11);
		yajl_gen_map_open(g);
		for (size_t k = 0; k < st->annotations.n; k++)
			put(g, st->annotations.v[k].key, st->annotations.v[k].value);
		yajl_gen_map_close(g);
		put(g, "owner", st->owner);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	const unsigned char *buf;
	size_t len;
	yajl_gen_get_buf(g, &buf, &len);
	printf("%.*s\n", (int)len, buf);
	yajl_gen_free(g);
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
	struct row *rows;
	size_t n = collect(g->root, &rows);
	if (quiet)
		for (size_t i = 0; i < n; i++)
			puts(rows[i].st->id);
	else if (!strcmp(format, "json"))
		print_json(rows, n);
	else
		print_table(rows, n);
	for (size_t i = 0; i < n; i++)
		container_state_free(rows[i].st);
	free(rows);
	return 0;
}

HUSK_COMMAND(cmd_list, {.name = "list", .summary = "list containers", .run = cmd_list_run});
