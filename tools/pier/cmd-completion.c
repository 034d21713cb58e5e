/*
 * `pier completion bash|zsh|fish`: a completion script generated from
 * the command table (cmds.c), so a new command or option completes the
 * day it is declared. Commands, a family's subcommands and each one's
 * options come from the table; arguments complete from `pier __complete
 * nodes` (the address book) and `pier __complete containers`
 * (NODE/NAME of every container of the joined nodes, kept in a cache
 * for CACHE_TTL seconds so a tab press is quick and no node is asked
 * twice in a row). The scripts hold no state of their own.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"
#include "cli.h"

#define CACHE_TTL	10	/* seconds a container list is reused */
#define CACHE_ASK_MS	3000	/* per node, when the cache is stale */

static int	completion_main(const struct cli_cmd *, int, char **);
static int	complete_main(const struct cli_cmd *, int, char **);

const struct cli_cmd cli_cmd_completion = {
	.name = "completion",
	.main = completion_main,
	.args_min = 1,
	.args_max = 1,
	.usage = "bash|zsh|fish",
	.summary = "print a shell completion script",
	.help = "",
	.notes =
	    "\nbash:  source <(pier completion bash)\n"
	    "zsh:   source <(pier completion zsh)\n"
	    "fish:  pier completion fish | source\n"
	    "Node names complete from the address book, NODE/CONTAINER from\n"
	    "the joined nodes (asked at most every 10 seconds).\n",
};

const struct cli_cmd cli_cmd_complete = {
	.name = "__complete",
	.main = complete_main,
	.method = "container.list",
	.role = PROTO_ROLE_VIEWER,
	.args_min = 1,
	.args_max = 1,
	.flags = CLI_F_HIDDEN,
	.usage = "nodes|containers",
	.summary = "the words completion scripts offer",
	.help = "",
};

/* What a command's arguments complete to: 'c' containers, 'n' nodes. */
static int
arg_kind(const struct cli_cmd *c)
{
	if (strstr(c->usage, "CONTAINER") != NULL)
		return ('c');
	if (strstr(c->usage, "NODE") != NULL)
		return ('n');
	return (0);
}

/* Prints a command's options as words: -a --all ... */
static void
opt_words(FILE *fp, const struct cli_cmd *c)
{
	size_t	i;

	fputs("--help", fp);
	for (i = 0; c->opts != NULL && c->opts[i].name != NULL; i++) {
		if (c->opts[i].letter != 0)
			fprintf(fp, " -%c", c->opts[i].letter);
		fprintf(fp, " --%s", c->opts[i].name);
	}
}

/* Prints the bash script's case arm for one command (or subcommand). */
static void
bash_arm(FILE *fp, const char *pat, const struct cli_cmd *c)
{
	size_t	i;

	fprintf(fp, "\t%s)\n\t\topts='", pat);
	opt_words(fp, c);
	fprintf(fp, "'\n\t\tkind=%c\n", arg_kind(c) != 0 ? arg_kind(c) :
	    '-');
	if (c->subs != NULL) {
		fputs("\t\tsubs='", fp);
		for (i = 0; c->subs[i].name != NULL; i++)
			fprintf(fp, "%s%s%s%s", i > 0 ? " " : "",
			    c->subs[i].name, c->subs[i].alias != NULL ?
			    " " : "", c->subs[i].alias != NULL ?
			    c->subs[i].alias : "");
		fputs("'\n", fp);
	}
	fputs("\t\t;;\n", fp);
}

/* The case arms of every command and subcommand (bash and zsh alike). */
static void
case_arms(FILE *fp)
{
	size_t	i, k;

	for (i = 0; i < cli_ncmds; i++) {
		const struct cli_cmd *c = cli_cmds[i];
		char pat[256];

		if (c->flags & CLI_F_HIDDEN)
			continue;
		for (k = 0; c->subs != NULL && c->subs[k].name != NULL; k++) {
			snprintf(pat, sizeof(pat), "'%s %s'", c->name,
			    c->subs[k].name);
			if (c->subs[k].alias != NULL)
				snprintf(pat, sizeof(pat), "'%s %s'|'%s %s'",
				    c->name, c->subs[k].name, c->name,
				    c->subs[k].alias);
			bash_arm(fp, pat, c->subs[k].cmd);
		}
		if (c->subs == NULL)
			snprintf(pat, sizeof(pat), "'%s'|'%s '*", c->name,
			    c->name);
		else
			snprintf(pat, sizeof(pat), "'%s'", c->name);
		bash_arm(fp, pat, c);
	}
}

/* The bash script. */
static void
gen_bash(FILE *fp)
{
	size_t	i, k;

	fputs("# bash completion for pier (pier completion bash)\n"
	    "_pier_complete() {\n"
	    "\tlocal cur=${COMP_WORDS[COMP_CWORD]} opts='' kind=- subs=''\n"
	    "\tlocal key=${COMP_WORDS[1]}\n"
	    "\tif [ \"$COMP_CWORD\" -eq 1 ]; then\n"
	    "\t\tCOMPREPLY=($(compgen -W '", fp);
	for (i = 0, k = 0; i < cli_ncmds; i++) {
		if (cli_cmds[i]->flags & CLI_F_HIDDEN)
			continue;
		fprintf(fp, "%s%s", k++ > 0 ? " " : "", cli_cmds[i]->name);
	}
	fputs(" --help --version' -- \"$cur\"))\n"
	    "\t\treturn\n\tfi\n"
	    "\t[ \"$COMP_CWORD\" -gt 2 ] && key=\"$key ${COMP_WORDS[2]}\"\n"
	    "\tcase $key in\n", fp);
	case_arms(fp);
	fputs("\tesac\n"
	    "\tif [ -n \"$subs\" ] && [ \"$COMP_CWORD\" -eq 2 ]; then\n"
	    "\t\tCOMPREPLY=($(compgen -W \"$subs\" -- \"$cur\"))\n"
	    "\t\treturn\n\tfi\n"
	    "\tcase $cur in\n"
	    "\t-*)\tCOMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
	    "\t\treturn ;;\n\tesac\n"
	    "\tcase $kind in\n"
	    "\tc)\tCOMPREPLY=($(compgen -W \"$(pier __complete nodes "
	    "2>/dev/null) $(pier __complete containers 2>/dev/null)\" -- "
	    "\"$cur\")) ;;\n"
	    "\tn)\tCOMPREPLY=($(compgen -W \"$(pier __complete nodes "
	    "2>/dev/null)\" -- \"$cur\")) ;;\n"
	    "\t*)\tCOMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
	    "\tesac\n}\n"
	    "complete -F _pier_complete pier\n", fp);
}

/* Prints s for a single-quoted shell word ('\'' for a quote), one line. */
static void
squote(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			fputs("'\\''", fp);
		else
			fputc(*s == '\n' ? ' ' : *s, fp);
	}
}

/* The zsh script: the same logic over compadd. */
static void
gen_zsh(FILE *fp)
{
	size_t	i;

	fputs("#compdef pier\n# zsh completion for pier (pier completion "
	    "zsh)\n_pier() {\n"
	    "\tlocal opts='' kind=- subs='' key=${words[2]}\n"
	    "\tif (( CURRENT == 2 )); then\n\t\tlocal -a cmds\n"
	    "\t\tcmds=(\n", fp);
	for (i = 0; i < cli_ncmds; i++) {
		if (cli_cmds[i]->flags & CLI_F_HIDDEN)
			continue;
		fprintf(fp, "\t\t    '%s:", cli_cmds[i]->name);
		squote(fp, cli_cmds[i]->summary);
		fputs("'\n", fp);
	}
	fputs("\t\t)\n\t\t_describe command cmds\n\t\treturn\n\tfi\n"
	    "\t(( CURRENT > 3 )) && key=\"$key ${words[3]}\"\n"
	    "\tcase $key in\n", fp);
	case_arms(fp);
	fputs("\tesac\n"
	    "\tif [[ -n $subs ]] && (( CURRENT == 3 )); then\n"
	    "\t\tcompadd -- ${=subs}\n\t\treturn\n\tfi\n"
	    "\tif [[ $PREFIX == -* ]]; then\n"
	    "\t\tcompadd -- ${=opts}\n\t\treturn\n\tfi\n"
	    "\tcase $kind in\n"
	    "\tc)\tcompadd -- ${(f)\"$(pier __complete nodes 2>/dev/null)\"}"
	    " ${(f)\"$(pier __complete containers 2>/dev/null)\"} ;;\n"
	    "\tn)\tcompadd -- ${(f)\"$(pier __complete nodes 2>/dev/null)\"}"
	    " ;;\n"
	    "\t*)\t_files ;;\n"
	    "\tesac\n}\n"
	    "if (( $+functions[compdef] )); then\n"
	    "\tcompdef _pier pier\nfi\n", fp);
}

/* The fish lines of one command's options, under condition cond. */
static void
fish_opts(FILE *fp, const char *cond, const struct cli_cmd *c)
{
	const struct cli_opt	*o;
	size_t			 i;
	int			 kind = arg_kind(c);

	for (i = 0; c->opts != NULL && c->opts[i].name != NULL; i++) {
		o = &c->opts[i];
		fprintf(fp, "complete -c pier -n '%s'", cond);
		if (o->letter != 0)
			fprintf(fp, " -s %c", o->letter);
		fprintf(fp, " -l %s%s -d '", o->name, o->arg != NULL ?
		    " -r" : "");
		squote(fp, o->help);
		fputs("'\n", fp);
	}
	if (kind != 0)
		fprintf(fp, "complete -c pier -n '%s' -a '(pier __complete "
		    "nodes 2>/dev/null)%s'\n", cond, kind == 'c' ?
		    " (pier __complete containers 2>/dev/null)" : "");
}

/* The fish script. */
static void
gen_fish(FILE *fp)
{
	char	cond[256];
	size_t	i, k;

	fputs("# fish completion for pier (pier completion fish)\n"
	    "complete -c pier -f\n", fp);
	for (i = 0; i < cli_ncmds; i++) {
		const struct cli_cmd *c = cli_cmds[i];

		if (c->flags & CLI_F_HIDDEN)
			continue;
		fprintf(fp, "complete -c pier -n '__fish_use_subcommand' "
		    "-a %s -d '", c->name);
		squote(fp, c->summary);
		fputs("'\n", fp);
		snprintf(cond, sizeof(cond), "__fish_seen_subcommand_from %s",
		    c->name);
		for (k = 0; c->subs != NULL && c->subs[k].name != NULL; k++) {
			fprintf(fp, "complete -c pier -n '%s; and not "
			    "__fish_seen_subcommand_from", cond);
			for (size_t j = 0; c->subs[j].name != NULL; j++)
				fprintf(fp, " %s", c->subs[j].name);
			fprintf(fp, "' -a %s -d '", c->subs[k].name);
			squote(fp, c->subs[k].cmd->summary);
			fputs("'\n", fp);
		}
		for (k = 0; c->subs != NULL && c->subs[k].name != NULL; k++) {
			char sc[300];

			snprintf(sc, sizeof(sc), "%s; and "
			    "__fish_seen_subcommand_from %s", cond,
			    c->subs[k].name);
			fish_opts(fp, sc, c->subs[k].cmd);
		}
		if (c->subs == NULL)
			fish_opts(fp, cond, c);
	}
}

/* `pier completion bash|zsh|fish`. */
static int
completion_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_args	a;
	int		rc;

	rc = cli_args_parse(self, argc, argv, &a);
	cli_args_free(&a);
	if (rc >= 0)
		return (rc);
	if (strcmp(a.argv[0], "bash") == 0)
		gen_bash(stdout);
	else if (strcmp(a.argv[0], "zsh") == 0)
		gen_zsh(stdout);
	else if (strcmp(a.argv[0], "fish") == 0)
		gen_fish(stdout);
	else
		return (cli_usage_error(self, "unknown shell %s; the shells "
		    "are bash, zsh and fish", a.argv[0]));
	return (fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL);
}

/* The cache file of container words (caller frees), or NULL. */
static char *
cache_path(void)
{
	const char	*xdg = getenv("XDG_CACHE_HOME"), *home;
	char		*base = NULL, *p = NULL;

	if (xdg != NULL && xdg[0] == '/')
		base = strdup(xdg);
	else if ((home = getenv("HOME")) != NULL && home[0] == '/' &&
	    asprintf(&base, "%s/.cache", home) < 0)
		base = NULL;
	if (base == NULL)
		return (NULL);
	if ((mkdir(base, 0700) != 0 && errno != EEXIST) ||
	    asprintf(&p, "%s/pier", base) < 0) {
		free(base);
		return (NULL);
	}
	free(base);
	if (mkdir(p, 0700) != 0 && errno != EEXIST) {
		free(p);
		return (NULL);
	}
	base = p;
	if (asprintf(&p, "%s/complete-containers", base) < 0)
		p = NULL;
	free(base);
	return (p);
}

/* Prints the cache when it is younger than CACHE_TTL; 0 if it did. */
static int
cache_print(const char *path)
{
	struct stat	 st;
	char		 buf[4096];
	size_t		 n;
	FILE		*fp;

	if (stat(path, &st) != 0 || time(NULL) - st.st_mtime >= CACHE_TTL ||
	    time(NULL) < st.st_mtime)
		return (-1);
	fp = fopen(path, "r");
	if (fp == NULL)
		return (-1);
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		fwrite(buf, 1, n, stdout);
	fclose(fp);
	return (0);
}

/* Asks every joined node for its containers: NODE/NAME lines. */
static int
containers_ask(const struct cli_cmd *self, const char *path)
{
	struct cli_ctx		 x;
	struct cli_multi	*m = NULL;
	const json_t		*rows;
	json_t			*params;
	char			*cause = NULL, *tmp = NULL;
	const char		*name;
	size_t			 nm = 0, i, k;
	FILE			*fp = NULL;
	int			 fd;

	if (cli_ctx_open(&x, &cause) != 0) {
		free(cause);
		return (CLI_EXIT_FAIL);
	}
	params = json_pack("{s:b}", "all", 1);
	if (cli_rpc_multi(&x, NULL, 0, self->method, params, CACHE_ASK_MS,
	    &m, &nm, &cause) != 0)
		goto out;
	if (path != NULL && asprintf(&tmp, "%s.%ld", path, (long)getpid()) >=
	    0 && (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0)
		fp = fdopen(fd, "w");
	for (i = 0; i < nm; i++) {
		rows = json_object_get(m[i].result, "containers");
		for (k = 0; m[i].status == 0 && k < json_array_size(rows);
		    k++) {
			name = json_string_value(json_object_get(
			    json_array_get(rows, k), "name"));
			if (name == NULL || strpbrk(name, " \t\n'\"\\") != NULL)
				continue;
			printf("%s/%s\n", m[i].node, name);
			if (fp != NULL)
				fprintf(fp, "%s/%s\n", m[i].node, name);
		}
	}
	if (fp != NULL && fclose(fp) == 0)
		(void)rename(tmp, path);
	else if (tmp != NULL)
		(void)unlink(tmp);
out:
	free(tmp);
	free(cause);
	json_decref(params);
	cli_multi_free(m, nm);
	cli_ctx_close(&x);
	return (CLI_EXIT_OK);
}

/* `pier __complete nodes|containers`: words for the scripts. */
static int
complete_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_book	 b;
	char		*dir, *cause = NULL, *path;
	size_t		 i;
	int		 rc;

	if (argc != 2)
		return (cli_usage(self));
	if (strcmp(argv[1], "containers") == 0) {
		path = cache_path();
		if (path != NULL && cache_print(path) == 0) {
			free(path);
			return (CLI_EXIT_OK);
		}
		rc = containers_ask(self, path);
		free(path);
		return (rc);
	}
	if (strcmp(argv[1], "nodes") != 0)
		return (cli_usage(self));
	dir = cli_config_dir();
	if (dir == NULL || cli_book_load(&b, dir, &cause) != 0) {
		free(dir);
		free(cause);
		return (CLI_EXIT_FAIL);
	}
	for (i = 0; i < b.n; i++)
		printf("%s\n", b.nodes[i].name);
	cli_book_free(&b);
	free(dir);
	return (CLI_EXIT_OK);
}
