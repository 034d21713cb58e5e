/*
 * The commands that act on named containers: `pier inspect`, `start`,
 * `stop`, `restart`, `kill`, `pause`, `unpause`, `rm`, `update` (each
 * on one or more NODE/CONTAINER) and `rename` (top is in cmd-top.c).
 * Each entry declares
 * its method and options, so cli_args_parse turns the options into the
 * params of that method; one runner then parses every target
 * first (a bad one is a usage error before anything is done), then each
 * is called in turn over one connection per node. As the docker CLI
 * does, each success prints the target as given, and each failure goes
 * to stderr with the node's reason while the rest go on; the exit code
 * is 1 if any failed. inspect prints the engine's objects as one JSON
 * array instead.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "cli.h"
#include "cli-out.h"

#define CT_NODES_MAX	64	/* connections kept open in one run */

/* How a run shows its results. */
enum ct_mode {
	CT_PRINT,		/* each target as given */
	CT_QUIET,		/* nothing */
	CT_COLLECT,		/* the answers, as one JSON array */
};

static int	ct_main(const struct cli_cmd *, int, char **);
static int	inspect_main(const struct cli_cmd *, int, char **);
static int	rename_main(const struct cli_cmd *, int, char **);
static int	update_main(const struct cli_cmd *, int, char **);

/* A command on one or more targets (the lifecycle family). */
#define CT_ENTRY(n, fn, m, r, u, s, o)					\
	.name = (n), .main = (fn), .method = (m), .role = (r),		\
	.usage = (u), .summary = (s), .help = CLI_HELP_TARGET, .opts = (o), \
	.args_min = 1, .args_max = -1

static const struct cli_opt ct_time_opts[] = {
	{ .name = "time", .letter = 't', .arg = "SECS", .kind = CLI_K_INT,
	  .param = "timeout", .unit = "seconds",
	  .help = "seconds before SIGKILL (default: the container's)" },
	{ .name = NULL }
};
static const struct cli_opt ct_kill_opts[] = {
	{ .name = "signal", .letter = 's', .arg = "SIG", .kind = CLI_K_STRING,
	  .param = "signal", .unit = "a signal name or number",
	  .help = "signal name or number (default SIGKILL)" },
	{ .name = NULL }
};
static const struct cli_opt ct_rm_opts[] = {
	{ .name = "force", .letter = 'f', .param = "force",
	  .help = "kill a running container first" },
	{ .name = "volumes", .letter = 'v', .param = "volumes",
	  .help = "remove its anonymous volumes too" },
	{ .name = NULL }
};
static const struct cli_opt ct_update_opts[] = {
	{ .name = "cpus", .arg = "N", .kind = CLI_K_CPUS, .param = "cpus",
	  .help = "CPU limit, fractions allowed" },
	{ .name = "memory", .arg = "SIZE", .kind = CLI_K_SIZE,
	  .param = "memory", .help = "memory limit: 512m, 1g, ..." },
	{ .name = "restart", .arg = "POLICY", .kind = CLI_K_RESTART,
	  .param = "restart",
	  .help = "no, always, unless-stopped, on-failure[:N]" },
	{ .name = "memory-swap", .arg = "SIZE", .kind = CLI_K_ARG,
	  .help = "memory plus swap: 1g, ... (-1: unlimited)" },
	{ .name = "pids-limit", .arg = "N", .kind = CLI_K_INT,
	  .param = "pids_limit", .unit = "a count",
	  .help = "most processes (-1: no limit)" },
	{ .name = "cpu-shares", .letter = 'c', .arg = "N", .kind = CLI_K_INT,
	  .param = "cpu_shares", .unit = "a weight",
	  .help = "relative CPU weight (default 1024)" },
	{ .name = "cpuset-cpus", .arg = "CPUS", .kind = CLI_K_TEXT,
	  .param = "cpuset_cpus", .help = "CPUs it may run on: 0-3, 0,1" },
	{ .name = NULL }
};

static const struct cli_opt ct_inspect_opts[] = {
	{ .name = "format", .letter = 'f', .arg = "TEMPLATE",
	  .kind = CLI_K_ARG, .help = "print each with a Go template, as "
	  "docker: '{{.State.Status}}',\n'{{json .Config.Labels}}'; "
	  ".Node is the node" },
	{ .name = NULL }
};
const struct cli_cmd cli_cmd_inspect = {
	CT_ENTRY("inspect", inspect_main, "container.inspect",
	    PROTO_ROLE_VIEWER,
	    "[-f TEMPLATE] NODE/CONTAINER...",
	    "show containers' configuration and state as JSON",
	    ct_inspect_opts),
};
const struct cli_cmd cli_cmd_start = {
	CT_ENTRY("start", ct_main, "container.start", PROTO_ROLE_OPERATOR,
	    "NODE/CONTAINER...", "start stopped containers", NULL),
};
const struct cli_cmd cli_cmd_stop = {
	CT_ENTRY("stop", ct_main, "container.stop", PROTO_ROLE_OPERATOR,
	    "[-t SECS] NODE/CONTAINER...", "stop containers (SIGTERM, then "
	    "SIGKILL after a grace period)", ct_time_opts),
};
const struct cli_cmd cli_cmd_restart = {
	CT_ENTRY("restart", ct_main, "container.restart", PROTO_ROLE_OPERATOR,
	    "[-t SECS] NODE/CONTAINER...", "restart containers",
	    ct_time_opts),
};
const struct cli_cmd cli_cmd_kill = {
	CT_ENTRY("kill", ct_main, "container.kill", PROTO_ROLE_OPERATOR,
	    "[-s SIGNAL] NODE/CONTAINER...",
	    "send a signal to containers' main processes", ct_kill_opts),
};
const struct cli_cmd cli_cmd_pause = {
	CT_ENTRY("pause", ct_main, "container.pause", PROTO_ROLE_OPERATOR,
	    "NODE/CONTAINER...", "freeze containers' processes", NULL),
};
const struct cli_cmd cli_cmd_unpause = {
	CT_ENTRY("unpause", ct_main, "container.unpause", PROTO_ROLE_OPERATOR,
	    "NODE/CONTAINER...", "thaw paused containers", NULL),
};
const struct cli_cmd cli_cmd_rm = {
	CT_ENTRY("rm", ct_main, "container.remove", PROTO_ROLE_ADMIN,
	    "[-f] [-v] NODE/CONTAINER...", "remove containers", ct_rm_opts),
};
const struct cli_cmd cli_cmd_rename = {
	.name = "rename", .main = rename_main, .method = "container.rename",
	.role = PROTO_ROLE_ADMIN, .usage = "NODE/CONTAINER NEW_NAME",
	.summary = "give a container a new name", .help = CLI_HELP_TARGET,
	.args_min = 2, .args_max = 2,
};
const struct cli_cmd cli_cmd_update = {
	CT_ENTRY("update", update_main, "container.update", PROTO_ROLE_ADMIN,
	    "[--cpus N] [--memory SIZE] [--restart POLICY] NODE/CONTAINER...",
	    "change containers' limits and restart policy in place",
	    ct_update_opts),
	.notes = "\n"
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

/* Calls the command's method on one target; 0 or -1 (reported). */
static int
ct_one(const struct cli_cmd *self, struct ct_conns *c, const char *arg,
    const struct cli_target *t, const json_t *opts, enum ct_mode mode,
    json_t *out)
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
	if (cli_rpc_call(r, self->method, params, 0, &res, &e) != 0) {
		cli_error(self, "%s: %s", arg, e.message != NULL ? e.message :
		    e.name != NULL ? e.name : "failed");
		goto out;
	}
	if (mode == CT_COLLECT)
		(void)json_array_append(out, res);
	else if (mode == CT_PRINT)
		printf("%s\n", arg);
	rc = 0;
out:
	json_decref(res);
	cli_rpc_error_clear(&e);
	return (rc);
}

/* Prints one inspect object through the template; 0 or -1 (said). */
static int
ct_format(const struct cli_cmd *self, const struct cli_fmt *f,
    const json_t *obj, const char *node)
{
	struct cli__buf	 b;
	char		*cause = NULL;

	memset(&b, 0, sizeof(b));
	if (cli_fmt_row(f, obj, NULL, node, &b, &cause) != 0) {
		cli_error(self, "%s", cause != NULL ? cause : "out of memory");
		free(cause);
		free(b.p);
		return (-1);
	}
	cli_write_all(STDOUT_FILENO, b.p, b.len);
	free(b.p);
	return (0);
}

/* Calls the command's method with a's params on its first n targets. */
static int
ct_run(const struct cli_cmd *self, const struct cli_args *a, int n,
    enum ct_mode mode, const struct cli_fmt *f)
{
	struct cli_ctx		 x;
	struct ct_conns		 c;
	struct cli_target	*t = NULL;
	json_t			*out = NULL;	/* owned */
	char			*cause = NULL;
	size_t			 had;
	int			 rc = CLI_EXIT_FAIL, i, failed = 0, err;

	memset(&c, 0, sizeof(c));
	if (cli_ctx_open(&x, &cause) != 0) {
		cli_fail(self, NULL, cause, "failed");
		free(cause);
		return (rc);
	}
	c.x = &x;
	t = calloc((size_t)n, sizeof(*t));
	if (t == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		err = cli_target_parse(&x.book, a->argv[i], &t[i], &cause);
		if (err != 0) {
			cli_fail(self, NULL, cause, "bad target");
			rc = err == -EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
			goto out;
		}
	}
	if (mode == CT_COLLECT && (out = json_array()) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		had = json_array_size(out);
		if (ct_one(self, &c, a->argv[i], &t[i], a->params, mode,
		    out) != 0)
			failed++;
		else if (f != NULL && had < json_array_size(out) &&
		    ct_format(self, f, json_array_get(out, had),
		    t[i].node) != 0)
			failed++;
	}
	if (out != NULL && f == NULL && json_dumpf(out, stdout,
	    JSON_INDENT(4) | JSON_PRESERVE_ORDER) == 0)
		putchar('\n');
	rc = failed > 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
out:
	for (i = 0; t != NULL && i < n; i++)
		cli_target_free(&t[i]);
	free(t);
	ct_conns_close(&c);
	cli_ctx_close(&x);
	json_decref(out);
	free(cause);
	return (rc);
}

/* start, stop, restart, kill, pause, unpause, rm: the declared run. */
static int
ct_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_args	 a;
	int		 rc;

	rc = cli_args_parse(self, argc, argv, &a);
	if (rc < 0)
		rc = ct_run(self, &a, a.argc, CT_PRINT, NULL);
	cli_args_free(&a);
	return (rc);
}

/* `pier inspect`: the answers as one JSON array. */
static int
inspect_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_args	 a;
	int		 rc;

	static const struct cli_fmt_spec spec = { .fields = NULL };
	struct cli_fmt	*f = NULL;
	const char	*v;
	char		*cause = NULL;

	rc = cli_args_parse(self, argc, argv, &a);
	v = rc < 0 ? cli_args_get(self, &a, "format") : NULL;
	if (v != NULL && cli_fmt_parse(v, &spec, &f, &cause) != 0) {
		rc = cli_usage_error(self, "--format: %s", cause != NULL ?
		    cause : "out of memory");
		free(cause);
	}
	if (rc < 0)
		rc = ct_run(self, &a, a.argc, CT_COLLECT, f);
	cli_fmt_free(f);
	cli_args_free(&a);
	return (rc);
}

/* `pier rename NODE/CONTAINER NEW_NAME`: silent, as docker's. */
static int
rename_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_args	 a;
	int		 rc;

	rc = cli_args_parse(self, argc, argv, &a);
	if (rc < 0 && json_object_set_new(a.params, "name",
	    json_string(a.argv[1])) != 0)
		rc = cli_error(self, "out of memory");
	if (rc < 0)
		rc = ct_run(self, &a, 1, CT_QUIET, NULL);
	cli_args_free(&a);
	return (rc);
}

/* `pier update`: something to change, and no limit to lift. */
static int
update_main(const struct cli_cmd *self, int argc, char **argv)
{
	static const char *const limits[] = { "cpus", "memory" };
	struct cli_args	 a;
	json_t		*v;	/* borrowed */
	const char	*sw;
	char		*cause = NULL;
	int64_t		 n = 0;
	size_t		 i;
	int		 rc;

	rc = cli_args_parse(self, argc, argv, &a);
	for (i = 0; rc < 0 && i < 2; i++) {
		v = json_object_get(a.params, limits[i]);
		/* The engine reads 0 as "leave it": no limit to lift. */
		if (v != NULL && json_number_value(v) == 0)
			rc = cli_usage_error(self, "--%s 0: the engine cannot "
			    "lift a limit in place; 'pier dup --%s 0' makes a "
			    "copy without it", limits[i], limits[i]);
	}
	sw = cli_args_get(self, &a, "memory-swap");
	if (rc < 0 && sw != NULL) {
		if (strcmp(sw, "-1") == 0)
			n = -1;
		else if (cli_parse_size(sw, &n, &cause) != 0) {
			rc = cli_usage_error(self, "--memory-swap: %s", cause);
			free(cause);
		}
		if (rc < 0)
			(void)json_object_set_new(a.params, "memory_swap",
			    json_integer(n));
	}
	if (rc < 0 && json_object_size(a.params) == 0)
		rc = cli_usage_error(self, "nothing to change: give --cpus, "
		    "--memory, --memory-swap, --pids-limit, --cpu-shares, "
		    "--cpuset-cpus or --restart");
	if (rc < 0)
		rc = ct_run(self, &a, a.argc, CT_PRINT, NULL);
	cli_args_free(&a);
	return (rc);
}
