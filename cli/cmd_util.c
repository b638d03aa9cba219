#include "cli/cmd_util.h"

#include <stdio.h>

bool cli_cmd_parse(const char *name, const char *usage, const struct cli_flag *flags, int argc,
		   char **argv, int min_pos, int max_pos, struct cli_args *a, int *rc)
{
	struct husk_err *err = NULL;
	if (cli_parse_flags(flags, argc, argv, 1, false, a, NULL, &err) < 0) {
		*rc = cli_usage_error(name, "%s", err->msg);
		husk_err_free(&err);
		return false;
	}
	if (a->help) {
		printf("USAGE:\n   husk %s %s\n", name, usage);
		if (flags && flags->names) {
			printf("\nOPTIONS:\n");
			cli_print_flags(flags);
		}
		cli_args_free(a);
		*rc = 0;
		return false;
	}
	if (a->npos < min_pos || (max_pos >= 0 && a->npos > max_pos)) {
		if (min_pos == max_pos)
			*rc = cli_usage_error(name, "\"%s\" requires exactly %d argument(s)", name,
					      min_pos);
		else if (a->npos < min_pos)
			*rc = cli_usage_error(name, "\"%s\" requires at least %d argument(s)", name,
					      min_pos);
		else
			*rc = cli_usage_error(name, "\"%s\" requires at most %d argument(s)", name,
					      max_pos);
		cli_args_free(a);
		return false;
	}
	return true;
}

int cli_fail_free(struct husk_err **err)
{
	int r = cli_fail(*err);
	husk_err_free(err);
	return r;
}
