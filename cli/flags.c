#include "cli/flags.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"

static bool name_matches(const char *names, const char *name, size_t len)
{
	const char *p = names;
	while (*p) {
		size_t n = strcspn(p, "|");
		if (n == len && strncmp(p, name, len) == 0)
			return true;
		p += n;
		if (*p == '|')
			p++;
	}
	return false;
}

static const struct cli_flag *find_flag(const struct cli_flag *flags, const char *name, size_t len)
{
	for (const struct cli_flag *f = flags; f && f->names; f++)
		if (name_matches(f->names, name, len))
			return f;
	return NULL;
}

static bool looks_like_number(const char *s)
{
	return s[0] == '-' && s[1] >= '0' && s[1] <= '9';
}

static int parse_bool(const char *v, bool *out)
{
	static const char *yes[] = {"1", "t", "T", "true", "TRUE", "True"};
	static const char *no[] = {"0", "f", "F", "false", "FALSE", "False"};
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcmp(v, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcmp(v, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static int set_value(const struct cli_flag *f, const char *name, size_t nlen, const char *value,
		     struct husk_err **err)
{
	switch (f->kind) {
	case CLI_FLAG_BOOL:
		if (parse_bool(value, (bool *)f->target) < 0)
			return husk_err_set(err, EINVAL,
					    "invalid boolean value \"%s\" for flag -%.*s", value,
					    (int)nlen, name);
		return 0;
	case CLI_FLAG_STRING:
		*(const char **)f->target = value;
		return 0;
	case CLI_FLAG_STRV: {
		struct cli_strv *sv = f->target;
		sv->v = xrealloc(sv->v, (sv->n + 2) * sizeof(char *));
		sv->v[sv->n++] = value;
		sv->v[sv->n] = NULL;
		return 0;
	}
	case CLI_FLAG_UINT:
		if (parse_u64(value, (unsigned long long *)f->target) < 0)
			return husk_err_set(err, EINVAL, "invalid value \"%s\" for flag -%.*s",
					    value, (int)nlen, name);
		return 0;
	}
	return 0;
}

void cli_args_free(struct cli_args *a)
{
	free(a->pos);
	a->pos = NULL;
	a->npos = 0;
}

struct cli_describer *cli_describer;

int cli_parse_flags(const struct cli_flag *flags, int argc, char **argv, int first,
		    bool stop_at_positional, struct cli_args *out, int *next, struct husk_err **err)
{
	out->pos = xcalloc(argc + 1, sizeof(char *));
	out->npos = 0;
	out->help = false;
	if (cli_describer) {
		/* Documenting: whatever argv says, take the help path. */
		out->help = true;
		if (next)
			*next = argc;
		return 0;
	}
	int i = first;
	for (; i < argc; i++) {
		char *arg = argv[i];
		if (!strcmp(arg, "--")) {
			if (stop_at_positional) {
				i++;
				break;
			}
			for (i++; i < argc; i++)
				out->pos[out->npos++] = argv[i];
			break;
		}
		if (arg[0] != '-' || arg[1] == '\0' || looks_like_number(arg)) {
			if (stop_at_positional)
				break;
			out->pos[out->npos++] = arg;
			continue;
		}
		const char *name = arg + 1 + (arg[1] == '-');
		size_t nlen = strcspn(name, "=");
		const char *inline_value = name[nlen] == '=' ? name + nlen + 1 : NULL;
		if ((nlen == 4 && !strncmp(name, "help", 4)) || (nlen == 1 && name[0] == 'h')) {
			if (!find_flag(flags, name, nlen)) {
				out->help = true;
				continue;
			}
		}
		const struct cli_flag *f = find_flag(flags, name, nlen);
		if (!f) {
			cli_args_free(out);
			return husk_err_set(err, EINVAL, "flag provided but not defined: -%.*s",
					    (int)nlen, name);
		}
		const char *value = inline_value;
		if (f->kind == CLI_FLAG_BOOL && !value)
			value = "true";
		if (!value) {
			if (i + 1 >= argc) {
				cli_args_free(out);
				return husk_err_set(err, EINVAL, "flag needs an argument: -%.*s",
						    (int)nlen, name);
			}
			value = argv[++i];
		}
		if (set_value(f, name, nlen, value, err) < 0) {
			cli_args_free(out);
			return -1;
		}
	}
	if (next)
		*next = i;
	return 0;
}

void cli_print_flags(const struct cli_flag *flags)
{
	for (const struct cli_flag *f = flags; f && f->names; f++) {
		char buf[96];
		size_t used = 0;
		const char *p = f->names;
		while (*p && used < sizeof(buf) - 8) {
			size_t n = strcspn(p, "|");
			used += snprintf(buf + used, sizeof(buf) - used, "%s%s%.*s",
					 used ? ", " : "", n == 1 ? "-" : "--", (int)n, p);
			p += n;
			if (*p == '|')
				p++;
		}
		if (f->kind != CLI_FLAG_BOOL)
			snprintf(buf + used, sizeof(buf) - used, " %s",
				 f->arg_name ? f->arg_name : "value");
		printf("   %-32s %s\n", buf, f->help ? f->help : "");
	}
}

void cli_print_usage(const char *name, const char *usage, const struct cli_flag *flags)
{
	if (cli_describer) {
		cli_describer->command(cli_describer->ctx, name, usage, flags);
		return;
	}
	printf("USAGE:\n   husk %s %s\n", name, usage);
	if (flags && flags->names) {
		printf("\nOPTIONS:\n");
		cli_print_flags(flags);
	}
}
