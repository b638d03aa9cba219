/* Flag parsing the way runc's callers spell flags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "tests/unit/helpers/unit_main.h"
#include <stdlib.h>
#include <string.h>

#include "cli/flags.h"

struct opts {
	const char *bundle, *pid_file;
	bool detach, keep;
	unsigned long long preserve;
};

static struct cli_flag *flags_for(struct opts *o)
{
	static struct cli_flag f[6];
	struct cli_flag tmp[] = {
	    {"bundle|b", CLI_FLAG_STRING, &o->bundle, NULL, NULL},
	    {"pid-file", CLI_FLAG_STRING, &o->pid_file, NULL, NULL},
	    {"detach|d", CLI_FLAG_BOOL, &o->detach, NULL, NULL},
	    {"keep", CLI_FLAG_BOOL, &o->keep, NULL, NULL},
	    {"preserve-fds", CLI_FLAG_UINT, &o->preserve, NULL, NULL},
	    {0},
	};
	memcpy(f, tmp, sizeof(tmp));
	return f;
}

static int parse(struct opts *o, struct cli_args *a, int argc, char **argv, struct husk_err **err)
{
	memset(o, 0, sizeof(*o));
	return cli_parse_flags(flags_for(o), argc, argv, 1, false, a, NULL, err);
}

/* Parse the NULL-terminated ARGV into *O and *A; the test fails on an error. */
static void parse_ok(struct opts *o, struct cli_args *a, char **argv)
{
	struct husk_err *err = NULL;
	int argc = 0;
	while (argv[argc])
		argc++;
	if (parse(o, a, argc, argv, &err) < 0)
		fail_msg("%s", err->msg);
}

/* Parsing ARGV fails, with an error that contains MSG (NULL: any error). */
static void parse_fails(char **argv, const char *msg)
{
	struct opts o;
	struct cli_args a;
	struct husk_err *err = NULL;
	int argc = 0;
	while (argv[argc])
		argc++;
	assert_true(parse(&o, &a, argc, argv, &err) < 0);
	if (msg)
		assert_non_null(strstr(err->msg, msg));
	husk_err_free(&err);
}

static void test_long_short_go_style(void **state)
{
	struct opts o;
	struct cli_args a;
	char *argv[] = {"run", "--bundle",	   "/b", "-pid-file=/p",
			"-d",  "--preserve-fds=3", "ID", NULL};
	parse_ok(&o, &a, argv);
	assert_string_equal(o.bundle, "/b");
	assert_string_equal(o.pid_file, "/p");
	assert_true(o.detach);
	assert_false(o.keep);
	assert_int_equal(o.preserve, 3);
	assert_int_equal(a.npos, 1);
	assert_string_equal(a.pos[0], "ID");
	cli_args_free(&a);
}

static void test_flags_after_positional_and_dashdash(void **state)
{
	struct opts o;
	struct cli_args a;
	char *argv[] = {"run", "ID", "-b", "x", "--keep=false", "--", "--bundle", NULL};
	parse_ok(&o, &a, argv);
	assert_string_equal(o.bundle, "x");
	assert_false(o.keep);
	assert_int_equal(a.npos, 2);
	assert_string_equal(a.pos[1], "--bundle");
	cli_args_free(&a);
}

static void test_negative_number_is_positional(void **state)
{
	struct opts o;
	struct cli_args a;
	char *argv[] = {"kill", "ID", "-9", NULL};
	parse_ok(&o, &a, argv);
	assert_int_equal(a.npos, 2);
	assert_string_equal(a.pos[1], "-9");
	cli_args_free(&a);
}

static void test_errors(void **state)
{
	char *unknown[] = {"run", "--nope", "ID", NULL};
	parse_fails(unknown, "flag provided but not defined: -nope");
	char *missing[] = {"run", "--bundle", NULL};
	parse_fails(missing, "needs an argument");
	char *badnum[] = {"run", "--preserve-fds", "x1", NULL};
	parse_fails(badnum, NULL);
	char *badbool[] = {"run", "--keep=maybe", NULL};
	parse_fails(badbool, NULL);
}

static void test_help_and_stop_at_positional(void **state)
{
	struct opts o;
	struct cli_args a;
	char *argv[] = {"run", "--help", NULL};
	parse_ok(&o, &a, argv);
	assert_true(a.help);
	cli_args_free(&a);
	/* Global flags: stop at the command name. */
	struct husk_err *err = NULL;
	char *g[] = {"husk", "--root", "/r", "-debug", "state", "--bundle", "x", NULL};
	const char *root = NULL;
	bool debug = false;
	struct cli_flag gf[] = {{"root", CLI_FLAG_STRING, &root, NULL, NULL},
				{"debug", CLI_FLAG_BOOL, &debug, NULL, NULL},
				{0}};
	int next = 0;
	assert_int_equal(cli_parse_flags(gf, 7, g, 1, true, &a, &next, &err), 0);
	assert_string_equal(root, "/r");
	assert_true(debug);
	assert_int_equal(next, 4);
	cli_args_free(&a);
}

static void test_repeatable(void **state)
{
	struct cli_strv env = {0};
	const char *user = NULL;
	struct cli_flag f[] = {{"env|e", CLI_FLAG_STRV, &env, NULL, NULL},
			       {"user|u", CLI_FLAG_STRING, &user, NULL, NULL},
			       {0}};
	char *argv[] = {"exec", "-e", "A=1", "--env=B=2", "-u", "0", "ID", "sh", "-c", "x", NULL};
	struct cli_args a;
	struct husk_err *err = NULL;
	int next = 0;
	/* exec stops at the id: the command's own flags are not ours. */
	assert_int_equal(cli_parse_flags(f, 10, argv, 1, true, &a, &next, &err), 0);
	assert_int_equal(env.n, 2);
	assert_string_equal(env.v[0], "A=1");
	assert_string_equal(env.v[1], "B=2");
	assert_null(env.v[2]);
	assert_string_equal(user, "0");
	assert_int_equal(next, 6);
	cli_args_free(&a);
	free(env.v);
}

UNIT_MAIN(NULL, NULL, cmocka_unit_test(test_long_short_go_style),
	  cmocka_unit_test(test_flags_after_positional_and_dashdash),
	  cmocka_unit_test(test_negative_number_is_positional), cmocka_unit_test(test_errors),
	  cmocka_unit_test(test_help_and_stop_at_positional), cmocka_unit_test(test_repeatable))
