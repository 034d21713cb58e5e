/*
 * The commands that act on named containers: `pier inspect`, `start`,
 * `stop`, `restart`, `kill`, `pause`, `unpause`, `rm`, `update` (each
 * on one or more NODE/CONTAINER), `rename` and `top`. They share one runner:
 * the options become the params of one method, every target is parsed
 * first (a bad one is a usage error before anything is done), then each
 * is called in turn over one connection per node. As the docker CLI
 * does, each success prints the target as given, and each failure goes
 * to stderr with the node's reason while the rest go on; the exit code
 * is 1 if any failed. inspect prints the engine's objects as one JSON
 * array instead.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli-out.h"

#define CT_NODES_MAX	64	/* connections kept open in one run */

static int	ct_main(const struct cli_cmd *, int, char **);
static int	top_main(const struct cli_cmd *, int, char **);

/* The help text of the commands with no options. */
#define CT_HELP_TARGET							\
	"  NODE/CONTAINER  a container: name, id or unique id prefix; the\n" \
	"                  NODE/ part may be left out when one node is joined\n"

const struct cli_cmd cli_cmd_inspect = {
	.name = "inspect", .main = ct_main, .usage = "NODE/CONTAINER...",
	.summary = "show containers' configuration and state as JSON",
	.help = CT_HELP_TARGET,
};
const struct cli_cmd cli_cmd_start = {
	.name = "start", .main = ct_main, .usage = "NODE/CONTAINER...",
	.summary = "start stopped containers", .help = CT_HELP_TARGET,
};
const struct cli_cmd cli_cmd_stop = {
	.name = "stop", .main = ct_main,
	.usage = "[-t SECS] NODE/CONTAINER...",
	.summary = "stop containers (SIGTERM, then SIGKILL after a grace "
	    "period)",
	.help = CT_HELP_TARGET
	    "  -t, --time SECS seconds before SIGKILL (default: the "
	    "container's)\n",
};
const struct cli_cmd cli_cmd_restart = {
	.name = "restart", .main = ct_main,
	.usage = "[-t SECS] NODE/CONTAINER...",
	.summary = "restart containers",
	.help = CT_HELP_TARGET
	    "  -t, --time SECS seconds before SIGKILL (default: the "
	    "container's)\n",
};
const struct cli_cmd cli_cmd_kill = {
	.name = "kill", .main = ct_main,
	.usage = "[-s SIGNAL] NODE/CONTAINER...",
	.summary = "send a signal to containers' main processes",
	.help = CT_HELP_TARGET
	    "  -s, --signal SIG  signal name or number (default SIGKILL)\n",
};
const struct cli_cmd cli_cmd_pause = {
	.name = "pause", .main = ct_main, .usage = "NODE/CONTAINER...",
	.summary = "freeze containers' processes", .help = CT_HELP_TARGET,
};
const struct cli_cmd cli_cmd_unpause = {
	.name = "unpause", .main = ct_main, .usage = "NODE/CONTAINER...",
	.summary = "thaw paused containers", .help = CT_HELP_TARGET,
};
const struct cli_cmd cli_cmd_rm = {
	.name = "rm", .main = ct_main, .usage = "[-f] [-v] NODE/CONTAINER...",
	.summary = "remove containers",
	.help = CT_HELP_TARGET
	    "  -f, --force     kill a running container first\n"
	    "  -v, --volumes   remove its anonymous volumes too\n",
};
const struct cli_cmd cli_cmd_rename = {
	.name = "rename", .main = ct_main, .usage = "NODE/CONTAINER NEW_NAME",
	.summary = "give a container a new name", .help = CT_HELP_TARGET,
};
const struct cli_cmd cli_cmd_top = {
	.name = "top", .main = top_main,
	.usage = "NODE/CONTAINER [PS_OPTIONS]",
	.summary = "show the processes running in a container",
	.help = CT_HELP_TARGET
	    "  PS_OPTIONS      options for ps on the node (default -ef)\n",
};
const struct cli_cmd cli_cmd_update = {
	.name = "update", .main = ct_main,
	.usage = "[--cpus N] [--memory SIZE] [--restart POLICY] "
	    "NODE/CONTAINER...",
	.summary = "change containers' limits and restart policy in place",
	.help = CT_HELP_TARGET
	    "  --cpus N          CPU limit, fractions allowed\n"
	    "  --memory SIZE     memory limit: 512m, 1g, ...\n"
	    "  --restart POLICY  no, always, unless-stopped, "
	    "on-failure[:N]\n"
	    "\n"
	    "A limit can be changed but not lifted in place (the engine\n"
	    "reads 0 as 'unchanged'): pier dup --cpus 0 or --memory 0 makes\n"
	    "a copy without it.\n",
};

/* The open connections of a run, one per node. */
struct ct_conns {
	struct cli_ctx	*x;
	char		*node[CT_NODES_MAX];
	struct cli_rpc	*rpc[CT_NODES_MAX];	/* NULL: could not open */
	char		*cause[CT_NODES_MAX];
	size_t		 n;
};

/* The connection to node, opened on first use; NULL with *cause. */
static struct cli_rpc *
ct_conn(struct ct_conns *c, const char *node, const char **cause)
{
	size_t	 i;

	for (i = 0; i < c->n; i++) {
		if (strcmp(c->node[i], node) == 0)
			break;
	}
	if (i == c->n) {
		if (c->n == CT_NODES_MAX) {
			*cause = "too many nodes in one command";
			return (NULL);
		}
		c->node[i] = strdup(node);
		if (c->node[i] == NULL ||
		    cli_rpc_open(c->x, node, &c->rpc[i], &c->cause[i]) != 0)
			c->rpc[i] = NULL;
		c->n++;
	}
	*cause = c->cause[i] != NULL ? c->cause[i] : "cannot connect";
	return (c->rpc[i]);
}

/* Closes every connection of a run. */
static void
ct_conns_close(struct ct_conns *c)
{
	size_t	 i;

	for (i = 0; i < c->n; i++) {
		cli_rpc_close(c->rpc[i]);
		free(c->node[i]);
		free(c->cause[i]);
	}
}

/* The method a command calls. */
static const char *
ct_method(const char *cmd)
{
	static const char *const map[][2] = {
		{ "inspect", "container.inspect" },
		{ "start", "container.start" },
		{ "stop", "container.stop" },
		{ "restart", "container.restart" },
		{ "kill", "container.kill" },
		{ "pause", "container.pause" },
		{ "unpause", "container.unpause" },
		{ "rm", "container.remove" },
		{ "rename", "container.rename" },
		{ "update", "container.update" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(map[i][0], cmd) == 0)
			return (map[i][1]);
	}
	return (NULL);
}

/* Parses a restart policy ("on-failure:3") into params. */
static int
ct_restart(json_t *params, const char *s)
{
	const char	*colon = strchr(s, ':');
	char		*end;
	long		 n;

	if (colon == NULL) {
		if (strcmp(s, "no") != 0 && strcmp(s, "always") != 0 &&
		    strcmp(s, "unless-stopped") != 0 &&
		    strcmp(s, "on-failure") != 0)
			return (-EINVAL);
		return (json_object_set_new(params, "restart",
		    json_string(s)));
	}
	if (strncmp(s, "on-failure:", 11) != 0)
		return (-EINVAL);
	n = strtol(colon + 1, &end, 10);
	if (*end != '\0' || end == colon + 1 || n < 0 || n > 1000)
		return (-EINVAL);
	(void)json_object_set_new(params, "restart", json_string(
	    "on-failure"));
	return (json_object_set_new(params, "restart_retries",
	    json_integer(n)));
}

/* Reads the options of a command into params; an exit code or -1. */
static int
ct_options(const struct cli_cmd *self, int argc, char **argv, json_t *p)
{
	static const struct option longopts[] = {
		{ "time", required_argument, NULL, 't' },
		{ "signal", required_argument, NULL, 's' },
		{ "force", no_argument, NULL, 'f' },
		{ "volumes", no_argument, NULL, 'v' },
		{ "cpus", required_argument, NULL, 'C' },
		{ "memory", required_argument, NULL, 'M' },
		{ "restart", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*name = self->name, *allowed = "";
	char		*cause = NULL, *end;
	int64_t		 v;
	long		 secs;
	int		 ch;

	if (strcmp(name, "stop") == 0 || strcmp(name, "restart") == 0)
		allowed = "t";
	else if (strcmp(name, "kill") == 0)
		allowed = "s";
	else if (strcmp(name, "rm") == 0)
		allowed = "fv";
	else if (strcmp(name, "update") == 0)
		allowed = "CMR";
	optind = 0;
	while ((ch = getopt_long(argc, argv, "t:s:fvh", longopts,
	    NULL)) != -1) {
		if (ch == 'h')
			return (cli_help(self));
		if (ch == '?' || strchr(allowed, ch) == NULL)
			return (cli_usage(self));
		switch (ch) {
		case 't':
			secs = strtol(optarg, &end, 10);
			if (*end != '\0' || end == optarg || secs < 0 ||
			    secs > 3600) {
				return (cli_usage_error(self, "-t: expected "
				    "seconds from 0 to 3600, not %s", optarg));
			}
			(void)json_object_set_new(p, "timeout",
			    json_integer(secs));
			break;
		case 's':
			if (optarg[0] == '\0' || strlen(optarg) > 32)
				return (cli_usage_error(self, "-s: expected a "
				    "signal name or number, not \"%s\"",
				    optarg));
			(void)json_object_set_new(p, "signal",
			    json_string(optarg));
			break;
		case 'f':
			(void)json_object_set_new(p, "force", json_true());
			break;
		case 'v':
			(void)json_object_set_new(p, "volumes", json_true());
			break;
		case 'C':
		case 'M':
			if ((ch == 'C' ? cli_parse_cpus(optarg, &v, &cause) :
			    cli_parse_size(optarg, &v, &cause)) != 0) {
				cli_usage_error(self, "%s", cause);
				free(cause);
				return (CLI_EXIT_USAGE);
			}
			/* The engine reads 0 as "leave it": no limit to lift. */
			if (v == 0)
				return (cli_usage_error(self, "--%s 0: the "
				    "engine cannot lift a limit in place; 'pier "
				    "dup --%s 0' makes a copy without it",
				    ch == 'C' ? "cpus" : "memory", ch == 'C' ?
				    "cpus" : "memory"));
			(void)json_object_set_new(p, ch == 'C' ? "cpus" :
			    "memory", ch == 'C' ? json_real((double)v / 1e9) :
			    json_integer(v));
			break;
		case 'R':
			if (ct_restart(p, optarg) != 0) {
				return (cli_usage_error(self, "--restart: "
				    "expected no, always, unless-stopped or "
				    "on-failure[:N], not %s", optarg));
			}
			break;
		}
	}
	if (strcmp(name, "update") == 0 && json_object_size(p) == 0) {
		return (cli_usage_error(self, "nothing to change: give --cpus, "
		    "--memory or --restart"));
	}
	if (optind >= argc || (strcmp(name, "rename") == 0 &&
	    argc - optind != 2))
		return (cli_usage(self));
	return (-1);
}

/* Calls the command's method on one target; 0 or -1 (reported). */
static int
ct_one(const struct cli_cmd *self, struct ct_conns *c, const char *arg,
    const struct cli_target *t, const json_t *opts, json_t *out)
{
	struct cli_rpc		*r;
	struct cli_rpc_error	 e;
	const char		*cause;
	json_t			*params, *res = NULL;	/* owned */
	int			 rc = -1;

	memset(&e, 0, sizeof(e));
	r = ct_conn(c, t->node, &cause);
	if (r == NULL) {
		cli_error(self, "%s: %s", arg, cause);
		return (-1);
	}
	params = json_deep_copy(opts);
	if (params == NULL || json_object_set_new(params, "id",
	    json_string(t->container)) != 0) {
		json_decref(params);
		cli_error(self, "%s: out of memory", arg);
		return (-1);
	}
	if (cli_rpc_call(r, ct_method(self->name), params, 0, &res,
	    &e) != 0) {
		cli_error(self, "%s: %s", arg, e.message != NULL ? e.message :
		    e.name != NULL ? e.name : "failed");
		goto out;
	}
	if (out != NULL)
		(void)json_array_append(out, res);
	else if (strcmp(self->name, "rename") != 0)
		printf("%s\n", arg);
	rc = 0;
out:
	json_decref(res);
	cli_rpc_error_clear(&e);
	return (rc);
}

/* The runner of every command in this file. */
static int
ct_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_ctx		 x;
	struct ct_conns		 c;
	struct cli_target	*t = NULL;
	json_t			*opts, *out = NULL;	/* owned */
	char			*cause = NULL;
	int			 rc, i, n, failed = 0, err;

	opts = json_object();
	if (opts == NULL)
		return (CLI_EXIT_FAIL);
	rc = ct_options(self, argc, argv, opts);
	if (rc >= 0) {
		json_decref(opts);
		return (rc);
	}
	if (strcmp(self->name, "rename") == 0) {
		(void)json_object_set_new(opts, "name",
		    json_string(argv[optind + 1]));
		argc--;
	}
	rc = CLI_EXIT_FAIL;
	memset(&c, 0, sizeof(c));
	if (cli_ctx_open(&x, &cause) != 0) {
		cli_fail(self, NULL, cause, "failed");
		free(cause);
		json_decref(opts);
		return (rc);
	}
	c.x = &x;
	n = argc - optind;
	t = calloc((size_t)n, sizeof(*t));
	if (t == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		err = cli_target_parse(&x.book, argv[optind + i], &t[i],
		    &cause);
		if (err != 0) {
			cli_fail(self, NULL, cause, "bad target");
			rc = err == -EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
			goto out;
		}
	}
	if (strcmp(self->name, "inspect") == 0 && (out = json_array()) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if (ct_one(self, &c, argv[optind + i], &t[i], opts, out) != 0)
			failed++;
	}
	if (out != NULL && json_dumpf(out, stdout, JSON_INDENT(4) |
	    JSON_PRESERVE_ORDER) == 0)
		putchar('\n');
	rc = failed > 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
out:
	for (i = 0; t != NULL && i < n; i++)
		cli_target_free(&t[i]);
	free(t);
	ct_conns_close(&c);
	cli_ctx_close(&x);
	json_decref(opts);
	json_decref(out);
	free(cause);
	return (rc);
}

/* Prints container.top's answer as docker top does. */
static int
top_print(const json_t *res)
{
	const json_t		*titles, *procs, *row;
	const char		*h[CLI_TABLE_MAX_COLS];
	const char		*cells[CLI_TABLE_MAX_COLS];
	struct cli_table	*t;
	size_t			 i, j, nc;
	int			 err = 0;

	titles = json_object_get(res, "titles");
	procs = json_object_get(res, "processes");
	nc = json_array_size(titles);
	if (nc == 0 || nc > CLI_TABLE_MAX_COLS)
		return (-EPROTO);
	for (i = 0; i < nc; i++)
		h[i] = json_string_value(json_array_get(titles, i));
	t = cli_table_new(h, nc);
	if (t == NULL)
		return (-ENOMEM);
	for (i = 0; err == 0 && i < json_array_size(procs); i++) {
		row = json_array_get(procs, i);
		for (j = 0; j < nc; j++)
			cells[j] = json_string_value(json_array_get(row, j));
		err = cli_table_add(t, cells);
	}
	if (err == 0)
		err = cli_table_print(t, stdout, CLI_TABLE_NO_TRUNC);
	cli_table_free(t);
	return (err);
}

/* `pier top NODE/CONTAINER [PS_OPTIONS]`. */
static int
top_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_link		 l;
	struct cli_target	 t;
	struct cli_rpc_error	 e;
	struct cli__buf		 ps;
	json_t			*params, *res = NULL;	/* owned */
	char			*cause = NULL;
	int			 i, rc = CLI_EXIT_FAIL, err;

	if (argc < 2 || argv[1][0] == '-')
		return (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
		    strcmp(argv[1], "-h") == 0) ? cli_help(self) :
		    cli_usage(self));
	memset(&t, 0, sizeof(t));
	memset(&e, 0, sizeof(e));
	memset(&ps, 0, sizeof(ps));
	for (i = 2; i < argc; i++) {
		cli__buf_str(&ps, i > 2 ? " " : "");
		cli__buf_str(&ps, argv[i]);
	}
	cli__buf_add(&ps, "", 1);
	if (cli_link_ctx(self, &l) != CLI_EXIT_OK)
		goto out;
	err = cli_target_parse(&l.x.book, argv[1], &t, &cause);
	if (err != 0) {
		cli_fail(self, NULL, cause, "failed");
		rc = err == -EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
		goto out;
	}
	if (cli_link_connect(self, &l, t.node) != CLI_EXIT_OK)
		goto out;
	params = json_pack("{s:s}", "id", t.container);
	if (params != NULL && argc > 2 && ps.p != NULL)
		(void)json_object_set_new(params, "ps_args", json_string(ps.p));
	/* Its errors name the target, not the node: no cli_link_call. */
	if (cli_rpc_call(l.r, "container.top", params, 0, &res, &e) != 0) {
		rc = cli_error(self, "%s: %s", argv[1], e.message != NULL ?
		    e.message : "failed");
		goto out;
	}
	if (top_print(res) != 0)
		cli_error(self, "%s: the node's answer is not a process "
		    "table", argv[1]);
	else
		rc = CLI_EXIT_OK;
out:
	json_decref(res);
	cli_rpc_error_clear(&e);
	cli_link_close(&l);
	cli_target_free(&t);
	free(ps.p);
	free(cause);
	return (rc);
}
