/*
 * The stack commands: compose stacks from the laptop to any node.
 *
 *	pier stack up [NODE] -f FILE... [--name N] [--env-file F]
 *	    [--include PATH]... [-e K=V]... [--pull] [--swarm]
 *	pier stack ls [NODE...] [--json]	(cmd-stack-list.c)
 *	pier stack ps NODE/NAME [--json]	(cmd-stack-list.c)
 *	pier stack logs [-f] [--tail N] NODE/NAME
 *	pier stack down NODE/NAME [-v] [--purge]
 *	pier stack restart NODE/NAME
 *	pier stack pull NODE/NAME
 *	pier services [NODE] [--json]		(cmd-stack-list.c)
 *
 * up, down, restart and pull run compose on the node with its output
 * live (stack-run.c); up sends the files first (stack-files.c). NODE/
 * may be left out when one node is joined.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "cli-out.h"
#include "cli-stack.h"

#define UP_FILES_MAX	16	/* -f */
#define UP_LIST_MAX	256	/* --include, -e */

static int	up_main(const struct cli_cmd *, int, char **);
static int	logs_main(const struct cli_cmd *, int, char **);
static int	op_main(const struct cli_cmd *, int, char **);

static const struct cli_opt up_opts[] = {
	{ .name = "file", .letter = 'f', .arg = "FILE", .kind = CLI_K_ARG,
	  .help = "a compose file (repeatable, in order)" },
	{ .name = "name", .arg = "N", .kind = CLI_K_ARG,
	  .help = "the stack's name (default: the first file's\n"
	  "folder's, as compose names a project)" },
	{ .name = "env-file", .arg = "F", .kind = CLI_K_ARG,
	  .help = "compose's --env-file (sent along)" },
	{ .name = "include", .arg = "PATH", .kind = CLI_K_ARG,
	  .help = "a file or folder to send too, e.g. a bind\n"
	  "mount's source (repeatable; relative to the\n"
	  "first file's folder, and inside it)" },
	{ .name = "env", .letter = 'e', .arg = "K=V", .kind = CLI_K_ARG,
	  .help = "a variable for compose's interpolation\n"
	  "(repeatable; kept on the node for later calls)" },
	{ .name = "pull", .help = "pull the images first (compose pull)" },
	{ .name = "swarm", .help = "deploy to the swarm with docker stack\n"
	  "deploy (NODE a manager)" },
	{ .name = NULL }
};
static const struct cli_cmd up = {
	.name = "stack up", .main = up_main,
	.method = "stack.up", .role = PROTO_ROLE_ADMIN,
	.opts = up_opts, .args_max = 1,
	.usage = "[NODE] -f FILE... [--name N] [--env-file F] "
	    "[--include PATH]... [-e K=V]... [--pull] [--swarm] | "
	    "NODE/NAME [--pull]",
	.summary = "deploy a compose stack from local files (admin)",
	.help = "",
	.notes = "\n"
	    "The files (the -f files, the .env beside the first, env_file:\n"
	    "entries, --env-file, --include) go to the node, which keeps them\n"
	    "in a root-only folder of its own and runs compose up there;\n"
	    "compose's output is shown live. Ctrl-C once detaches (compose\n"
	    "goes on), twice within 2 s stops it.\n",
};

static const struct cli_opt logs_opts[] = {
	{ .name = "follow", .letter = 'f', .help = "keep printing new lines" },
	{ .name = "tail", .letter = 'n', .arg = "N", .kind = CLI_K_ARG,
	  .help = "the last N lines of each container" },
	{ .name = NULL }
};
static const struct cli_cmd logs = {
	.name = "stack logs", .main = logs_main,
	.method = "stack.ps", .role = PROTO_ROLE_VIEWER,
	.opts = logs_opts, .args_min = 1, .args_max = 1,
	.usage = "[-f] [--tail N] NODE/NAME",
	.summary = "show a stack's logs, each line after its container",
	.help = "",
};

static const struct cli_opt down_opts[] = {
	{ .name = "volumes", .letter = 'v', .help = "remove the stack's "
	  "named volumes too" },
	{ .name = "purge", .help = "remove the files kept on the node too" },
	{ .name = NULL }
};
static const struct cli_cmd down = {
	.name = "stack down", .main = op_main,
	.method = "stack.down", .role = PROTO_ROLE_ADMIN,
	.opts = down_opts, .args_min = 1, .args_max = 1,
	.usage = "NODE/NAME [-v] [--purge]",
	.summary = "stop and remove a stack (its files stay unless --purge)",
	.help = "",
};

static const struct cli_cmd restart = {
	.name = "stack restart", .main = op_main,
	.method = "stack.restart", .role = PROTO_ROLE_ADMIN,
	.args_min = 1, .args_max = 1,
	.usage = "NODE/NAME",
	.summary = "restart a stack's containers",
	.help = "",
};

static const struct cli_cmd pull = {
	.name = "stack pull", .main = op_main,
	.method = "stack.pull", .role = PROTO_ROLE_ADMIN,
	.args_min = 1, .args_max = 1,
	.usage = "NODE/NAME",
	.summary = "pull a stack's images",
	.help = "",
};

/* `pier stack SUBCOMMAND ...`: its words, and what each runs. */
static const struct cli_sub stack_subs[] = {
	{ "up", "deploy", &up },
	{ "ls", "list", &cli_cmd_stack_ls },
	{ "ps", NULL, &cli_cmd_stack_ps },
	{ "logs", NULL, &logs },
	{ "down", "rm", &down },
	{ "restart", NULL, &restart },
	{ "pull", NULL, &pull },
	{ NULL, NULL, NULL }
};
const struct cli_cmd cli_cmd_stack = {
	.name = "stack",
	.main = cli_family_main,
	.usage = "up|ls|ps|logs|down|restart|pull ...",
	.summary = "compose stacks on nodes (up, ls, ps, logs, down, ...)",
	.help = "",
	.subs = stack_subs,
};

/* Collects a repeated option's arguments; a usage error past max. */
static int
collect(const struct cli_cmd *self, const struct cli_args *a,
    const char *opt, const char **out, size_t max, size_t *n)
{
	const char	*v;
	size_t		 pos = 0;

	*n = 0;
	while ((v = cli_args_next(self, a, opt, &pos)) != NULL) {
		if (*n >= max)
			return (cli_usage_error(self, "too many --%s", opt));
		out[(*n)++] = v;
	}
	return (-1);
}

/* `pier stack up NODE/NAME`: again, on the files the node keeps. */
static int
up_stored(const struct cli_cmd *self, const struct cli_args *a)
{
	struct cli_target	 tg;
	int			 rc;

	if (a->argc != 1 || cli_args_get(self, a, "name") != NULL ||
	    cli_args_get(self, a, "env-file") != NULL ||
	    cli_args_get(self, a, "include") != NULL ||
	    cli_args_get(self, a, "env") != NULL ||
	    cli_args_get(self, a, "swarm") != NULL)
		return (cli_usage_error(self, "-f FILE: a compose file is "
		    "needed (or NODE/NAME alone, for the files the node "
		    "keeps)"));
	rc = cli_stack_target(self, a->argv[0], &tg);
	if (rc >= 0)
		return (rc);
	if (cli_args_get(self, a, "pull") != NULL)
		rc = cli_stack_stream(self, tg.node, "stack.pull", json_pack(
		    "{s:s}", "name", tg.container));
	if (rc < 0 || rc == CLI_EXIT_OK)
		rc = cli_stack_stream(self, tg.node, self->method, json_pack(
		    "{s:s}", "name", tg.container));
	cli_target_free(&tg);
	return (rc);
}

/* `pier stack up`. */
static int
up_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_stack_src	 src;
	struct cli_args		 a;
	const char		*files[UP_FILES_MAX], *inc[UP_LIST_MAX];
	const char		*env[UP_LIST_MAX], *name;
	json_t			*params, *pp;	/* owned */
	char			*cause = NULL, *dflt = NULL;
	size_t			 i, nenv;
	int			 rc;

	rc = cli_args_parse(self, argc, argv, &a);
	cli_args_free(&a);
	if (rc >= 0)
		return (rc);
	memset(&src, 0, sizeof(src));
	src.compose = files;
	src.include = inc;
	if ((rc = collect(self, &a, "file", files, UP_FILES_MAX,
	    &src.ncompose)) >= 0 || (rc = collect(self, &a, "include", inc,
	    UP_LIST_MAX, &src.ninclude)) >= 0 || (rc = collect(self, &a,
	    "env", env, UP_LIST_MAX, &nenv)) >= 0)
		return (rc);
	if (src.ncompose == 0)
		return (up_stored(self, &a));
	src.env_file = cli_args_get(self, &a, "env-file");
	params = json_object();
	if (params == NULL)
		return (cli_error(self, "out of memory"));
	if (cli_stack_gather(&src, params, &dflt, &cause) != 0) {
		json_decref(params);
		rc = cli_fail(self, NULL, cause, "cannot read the files");
		free(cause);
		return (rc);
	}
	name = cli_args_get(self, &a, "name");
	if (name == NULL)
		name = dflt;
	if (!cli_stack_name_ok(name)) {
		json_decref(params);
		rc = cli_usage_error(self, "%s: not a stack name (1 to 63 of "
		    "a-z 0-9 - _, starting with a letter or digit)%s", name,
		    name == dflt ? "; use --name" : "");
		free(dflt);
		return (rc);
	}
	for (i = 0; i < nenv; i++)
		(void)cli_params_push(params, "env", env[i]);
	(void)json_object_set_new(params, "name", json_string(name));
	(void)json_object_set_new(params, "swarm", json_boolean(
	    cli_args_get(self, &a, "swarm") != NULL));
	free(dflt);
	rc = CLI_EXIT_OK;
	if (cli_args_get(self, &a, "pull") != NULL) {
		pp = json_deep_copy(params);
		(void)json_object_del(pp, "swarm");
		rc = cli_stack_stream(self, a.argc > 0 ? a.argv[0] : NULL,
		    "stack.pull", pp);
	}
	if (rc == CLI_EXIT_OK)
		rc = cli_stack_stream(self, a.argc > 0 ? a.argv[0] : NULL,
		    self->method, params);
	else
		json_decref(params);
	return (rc);
}

/* Reads NODE/NAME into *tg; an exit code, or -1 to go on. */
int
cli_stack_target(const struct cli_cmd *self, const char *arg,
    struct cli_target *tg)
{
	struct cli_book	 b;
	char		*dir, *cause = NULL;
	int		 rc = -1;

	memset(tg, 0, sizeof(*tg));
	dir = cli_config_dir();
	if (dir == NULL || cli_book_load(&b, dir, &cause) != 0) {
		free(dir);
		rc = cli_fail(self, NULL, cause, "no config directory");
		free(cause);
		return (rc);
	}
	if (cli_target_parse(&b, arg, tg, &cause) != 0)
		rc = cli_fail(self, NULL, cause, "bad target");
	else if (!cli_stack_name_ok(tg->container))
		rc = cli_usage_error(self, "%s: not a stack name",
		    tg->container);
	cli_book_free(&b);
	free(dir);
	free(cause);
	return (rc);
}

/* `pier stack down`, `restart`, `pull`: compose on the stored files. */
static int
op_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_target	 tg;
	struct cli_args		 a;
	json_t			*params;
	int			 rc;

	rc = cli_args_parse(self, argc, argv, &a);
	params = a.params;
	a.params = NULL;
	cli_args_free(&a);
	if (rc < 0)
		rc = cli_stack_target(self, a.argv[0], &tg);
	if (rc >= 0) {
		json_decref(params);
		return (rc);
	}
	if (params == NULL)
		params = json_object();
	(void)json_object_set_new(params, "name", json_string(tg.container));
	if (cli_args_get(self, &a, "volumes") != NULL)
		(void)json_object_set_new(params, "volumes", json_true());
	if (cli_args_get(self, &a, "purge") != NULL)
		(void)json_object_set_new(params, "purge", json_true());
	rc = cli_stack_stream(self, tg.node, self->method, params);
	cli_target_free(&tg);
	return (rc);
}

/* `pier stack logs`. */
static int
logs_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_target	 tg;
	struct cli_args		 a;
	const char		*tail;
	char			*end;
	long long		 n = -1;
	int			 rc;

	rc = cli_args_parse(self, argc, argv, &a);
	cli_args_free(&a);
	tail = rc < 0 ? cli_args_get(self, &a, "tail") : NULL;
	if (tail != NULL && strcmp(tail, "all") != 0) {
		n = strtoll(tail, &end, 10);
		if (end == tail || *end != '\0' || n < 0)
			return (cli_usage_error(self, "--tail %s: expected a "
			    "number of lines", tail));
	}
	if (rc < 0)
		rc = cli_stack_target(self, a.argv[0], &tg);
	if (rc >= 0)
		return (rc);
	rc = cli_stack_logs(self, tg.node, tg.container,
	    cli_args_get(self, &a, "follow") != NULL, n);
	cli_target_free(&tg);
	return (rc);
}
