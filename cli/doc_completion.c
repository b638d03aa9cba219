/* The bash completion script, from the CLI's description: subcommands, each
 * command's flags (with directory, file or fixed-choice values) and container
 * ids from `husk list -q` under the --root given on the command line. */
#include <string.h>

#include "cli/doc.h"
#include "common/cleanup.h"
#include "common/util.h"

/* The words a flag's value completes from, by its argument name: DIR and
 * FILE/PATH complete paths; "stdio|none" the choices; anything else nothing. */
static const char *value_kind(const char *arg_name)
{
	size_t word = strspn(arg_name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"); /* "FILE" of "FILE[,ro]" */
	if (word == 3 && !strncmp(arg_name, "DIR", 3))
		return "dir";
	if (word == 4 && (!strncmp(arg_name, "FILE", 4) || !strncmp(arg_name, "PATH", 4)))
		return "file";
	if (strchr(arg_name, '|')) {
		for (const char *p = arg_name; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || *p == '|' || *p == '-'))
				return "-";
		return arg_name;
	}
	return "-";
}

static char *key_of(const struct cli_doc_cmd *c)
{
	return xasprintf("husk%s%s", *c->name ? " " : "", c->name);
}

static void table(FILE *f, const struct cli_doc *doc, const char *var, bool values)
{
	fprintf(f, "declare -gA %s=(\n", var);
	for (size_t i = 0; i < doc->n; i++) {
		const struct cli_doc_cmd *c = &doc->cmds[i];
		cleanup_free char *key = key_of(c);
		fprintf(f, "\t[%s]='", key);
		bool first = true;
		for (size_t j = 0; j < c->n_flags; j++) {
			const struct cli_doc_flag *fl = &c->flags[j];
			if (values && !fl->arg_name)
				continue;
			for (size_t k = 0; k < fl->n_names; k++) {
				char sp[96];
				cli_doc_flag_spelling(fl->names[k], sp, sizeof(sp));
				fprintf(f, "%s%s", first ? "" : " ", sp);
				if (values)
					fprintf(f, "=%s", value_kind(fl->arg_name));
				first = false;
			}
		}
		fputs("'\n", f);
	}
	fputs(")\n", f);
}

static void subcommands(FILE *f, const struct cli_doc *doc)
{
	fputs("declare -gA _husk_subcommands=(\n", f);
	for (size_t i = 0; i < doc->n; i++) {
		const struct cli_doc_cmd *c = &doc->cmds[i];
		if (*c->name && !cli_doc_has_subcommands(doc, c))
			continue;
		cleanup_free char *key = key_of(c);
		fprintf(f, "\t[%s]='", key);
		size_t len = strlen(c->name);
		bool first = true;
		for (size_t j = 0; j < doc->n; j++) {
			const char *n = doc->cmds[j].name;
			/* direct children only: "vm boot" under "vm", "run" under husk */
			const char *rest =
			    len ? (!strncmp(n, c->name, len) && n[len] == ' ' ? n + len + 1 : NULL)
				: (*n ? n : NULL);
			if (!rest || strchr(rest, ' '))
				continue;
			fprintf(f, "%s%s", first ? "" : " ", rest);
			first = false;
		}
		fputs("'\n", f);
	}
	fputs(")\n", f);
}

static void id_commands(FILE *f, const struct cli_doc *doc)
{
	fputs("_husk_id_commands=' ", f);
	for (size_t i = 0; i < doc->n; i++)
		if (cli_doc_takes_container_id(&doc->cmds[i])) {
			cleanup_free char *key = key_of(&doc->cmds[i]);
			fprintf(f, "%s ", key);
		}
	fputs("'\n", f);
}

static const char completion_function[] =
    "\n"
    "# The kind of value FLAG takes under KEY (dir, file, a|b choices, -); fails\n"
    "# for a flag without a value.  -flag is Go's spelling of --flag.\n"
    "_husk_value_kind() {\n"
    "\tlocal spec=\" ${_husk_values[$1]} \" w=$2\n"
    "\t[[ $w == -[!-]?* ]] && w=-$w\n"
    "\t[[ $spec == *\" $w=\"* ]] || return 1\n"
    "\tspec=${spec#*\" $w=\"}\n"
    "\tprintf '%s\\n' \"${spec%% *}\"\n"
    "}\n"
    "\n"
    "_husk() {\n"
    "\tlocal cur=${COMP_WORDS[COMP_CWORD]} key=husk npos=0 i w kind='' flag='' root=()\n"
    "\tCOMPREPLY=()\n"
    "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
    "\t\tw=${COMP_WORDS[i]}\n"
    "\t\tif [[ -n $kind ]]; then\n"
    "\t\t\t# COMP_WORDBREAKS splits --root=DIR into --root = DIR\n"
    "\t\t\t[[ $w == = ]] && continue\n"
    "\t\t\t[[ $key == husk && ($flag == --root || $flag == -root) ]] && root=(--root \"$w\")\n"
    "\t\t\tkind=''\n"
    "\t\t\tcontinue\n"
    "\t\tfi\n"
    "\t\tcase $w in\n"
    "\t\t-?*=*)\n"
    "\t\t\t[[ $key == husk && (${w%%=*} == --root || ${w%%=*} == -root) ]] && root=(--root "
    "\"${w#*=}\")\n"
    "\t\t\tcontinue ;;\n"
    "\t\t-?*)\n"
    "\t\t\tflag=$w\n"
    "\t\t\tkind=$(_husk_value_kind \"$key\" \"$w\") || kind=''\n"
    "\t\t\tcontinue ;;\n"
    "\t\tesac\n"
    "\t\tif ((npos == 0)) && [[ -n ${_husk_subcommands[$key]+set} ]] &&\n"
    "\t\t\t[[ \" ${_husk_subcommands[$key]} \" == *\" $w \"* ]]; then\n"
    "\t\t\tkey=\"$key $w\"\n"
    "\t\telse\n"
    "\t\t\tnpos=$((npos + 1))\n"
    "\t\tfi\n"
    "\tdone\n"
    "\tif [[ -n $kind ]]; then\n"
    "\t\t[[ $cur == = ]] && cur=''\n"
    "\t\tcase $kind in\n"
    "\t\tdir) COMPREPLY=($(compgen -d -- \"$cur\")) ;;\n"
    "\t\tfile) COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
    "\t\t*\\|*) COMPREPLY=($(compgen -W \"${kind//|/ }\" -- \"$cur\")) ;;\n"
    "\t\tesac\n"
    "\t\treturn 0\n"
    "\tfi\n"
    "\tif [[ $cur == -* ]]; then\n"
    "\t\tCOMPREPLY=($(compgen -W \"${_husk_flags[$key]}\" -- \"$cur\"))\n"
    "\telif ((npos == 0)) && [[ -n ${_husk_subcommands[$key]+set} ]]; then\n"
    "\t\tCOMPREPLY=($(compgen -W \"${_husk_subcommands[$key]}\" -- \"$cur\"))\n"
    "\telif ((npos == 0)) && [[ $_husk_id_commands == *\" $key \"* ]]; then\n"
    "\t\tlocal ids\n"
    "\t\tids=$(\"${COMP_WORDS[0]}\" \"${root[@]}\" list -q 2>/dev/null)\n"
    "\t\tCOMPREPLY=($(compgen -W \"$ids\" -- \"$cur\"))\n"
    "\tfi\n"
    "\treturn 0\n"
    "}\n"
    "\n"
    "complete -F _husk husk husk-vm\n";

int cli_doc_write_completion(const struct cli_doc *doc, FILE *f, struct husk_err **err)
{
	fputs("# bash completion for husk and husk-vm.\n"
	      "# Generated by `husk __gen-completion` from the CLI's flag tables; do not edit.\n"
	      "\n"
	      "# Flags per command (\"husk\": the global flags).\n",
	      f);
	table(f, doc, "_husk_flags", false);
	fputs("# Flags that take a value, and what completes it.\n", f);
	table(f, doc, "_husk_values", true);
	subcommands(f, doc);
	fputs("# Commands whose first argument is a container id.\n", f);
	id_commands(f, doc);
	fputs(completion_function, f);
	if (fflush(f) != 0 || ferror(f))
		return husk_err_sys(err, "write the completion script");
	return 0;
}
