/*
 * `pier logs [-f] [--tail N] [--since T] [--until T] [-t] NODE/CONTAINER`:
 * a container's logs as `docker logs` prints them: its stdout on pier's
 * stdout and its stderr on pier's stderr (a TTY container's output is
 * all stdout, as the engine keeps it). With -f pier follows until the
 * container stops or Ctrl-C, and exits 0 either way. That one-container
 * form reads container.logs and prints the engine's bytes unchanged.
 *
 * Several targets, NODE/ (every container of a node), --filter (on every
 * joined node, or the NODE/ given), --grep or --json read logs.select
 * instead: the nodes merge and filter, logs-multi.c merges the nodes and
 * prints each line after NODE/CONTAINER (no prefix when exactly one
 * container is named).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"
#include "cli.h"
#include "cli-out.h"
#include "cli-stream.h"

static int	logs_main(const struct cli_cmd *, int, char **);

static const struct cli_opt logs_opts[] = {
	{ .name = "follow", .letter = 'f', .param = "follow",
	  .help = "keep printing new lines until the container\n"
	  "stops or Ctrl-C" },
	{ .name = "tail", .letter = 'n', .arg = "N", .kind = CLI_K_ARG,
	  .help = "only the last N lines (\"all\": every line)" },
	{ .name = "since", .arg = "T", .kind = CLI_K_ARG,
	  .help = "lines since T: a duration before now (10m),\n"
	  "an RFC 3339 time or unix seconds" },
	{ .name = "until", .arg = "T", .kind = CLI_K_ARG,
	  .help = "lines before T (same forms)" },
	{ .name = "timestamps", .letter = 't', .param = "timestamps",
	  .help = "show each line's time" },
	{ .name = "grep", .arg = "PATTERN", .kind = CLI_K_ARG,
	  .help = "only lines matching PATTERN (an extended\n"
	  "regular expression), filtered on the nodes" },
	{ .name = "ignore-case", .letter = 'i',
	  .help = "--grep ignores case" },
	{ .name = "invert-match", .letter = 'v',
	  .help = "only lines not matching --grep" },
	{ .name = "context", .letter = 'C', .arg = "N", .kind = CLI_K_ARG,
	  .help = "N lines before and after each match too\n"
	  "(printed after NODE/CONTAINER - )" },
	{ .name = "filter", .arg = "K=V", .kind = CLI_K_ARG,
	  .help = "select containers by the engine's filters\n"
	  "(label=app=web, name=web; repeatable)" },
	{ .name = "json", .help = "one JSON object per line: node, container,\n"
	  "stream, time, line" },
	{ .name = NULL }
};

const struct cli_cmd cli_cmd_logs = {
	.name = "logs",
	.main = logs_main,
	.method = "container.logs",
	.role = PROTO_ROLE_VIEWER,
	.opts = logs_opts,
	.args_min = 0,
	.args_max = -1,
	.usage = "[-f] [--tail N] [--since T] [--until T] [-t] [--grep P [-i] "
	"[-v] [-C N]] [--json] [--filter K=V] [NODE/CONTAINER | NODE/]...",
	.summary = "show the logs of containers on one node or many",
	.help = "",
	.notes = "\n"
	    "The containers' stdout goes to stdout and their stderr to stderr.\n"
	    "With several containers each line starts with NODE/CONTAINER\n"
	    "(coloured on a terminal) and lines are merged by their time;\n"
	    "with -f, containers that start and match join. Hosts' clocks\n"
	    "that differ reorder lines of different nodes by that much.\n",
};

/* A frame besides the output: END or EXIT is the logs' end. */
static int
logs_frame(struct cli_stream *s, enum proto_frame type, const uint8_t *data,
    size_t len)
{
	return (type == PROTO_FRAME_END || type == PROTO_FRAME_EXIT);
}

/* The logs end on END (or EXIT) or with the channel's clean end. */
static const struct cli_stream_ops logs_ops = {
	.failed = "the logs failed on the node",
	.frame = logs_frame,
};

/* Runs container.logs on node and prints the stream; Ctrl-C exits 0. */
static int
logs_run(const struct cli_cmd *self, struct cli_ctx *x, const char *node,
    json_t *params)
{
	struct cli_stream	 s;
	char			*cause = NULL;
	int			 rc = CLI_EXIT_OK;

	cli_stream_init(&s, x, &logs_ops);
	if (cli_stream_open(&s, node, &cause) != 0) {
		rc = cli_fail(self, NULL, cause, "failed");
		free(cause);
		return (rc);
	}
	json_incref(params);
	cli_stream_call(&s, "container.logs", params);
	if (s.live && cli_stream_loop(x, 1) < 0)
		cli_stream_end(&s, "cannot watch for Ctrl-C");
	if (s.err != NULL)
		rc = cli_error(self, "%s: %s", cli_rpc_node(s.r), s.err);
	cli_stream_close(&s);
	return (rc);
}

/* Parses a --since/--until value into unix seconds in params[key]. */
static int
logs_time(json_t *params, const char *key, const char *s, char **cause)
{
	struct timespec	ts;
	int64_t		ns;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	if (cli_parse_time(s, (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec,
	    &ns, cause) != 0)
		return (-EINVAL);
	if (ns < 0)
		ns = 0;
	return (json_object_set_new(params, key, json_integer(ns /
	    1000000000LL)) != 0 ? -ENOMEM : 0);
}

/*
 * The choices only logs.select has: --grep with -i, -v and -C, --filter
 * (into params); 1 when they ask for it, 0 if not, or an exit code.
 */
static int
logs_select_opts(const struct cli_cmd *self, const struct cli_args *a,
    json_t *params, struct cli_logs_how *how)
{
	const char	*grep, *arg;
	json_t		*f;	/* borrowed */
	char		*end;
	size_t		 pos = 0;
	long		 ctx;
	int		 any;

	grep = cli_args_get(self, a, "grep");
	if (grep != NULL)
		(void)json_object_set_new(params, "grep", json_string(grep));
	if (cli_args_get(self, a, "ignore-case") != NULL)
		(void)json_object_set_new(params, "icase", json_true());
	if (cli_args_get(self, a, "invert-match") != NULL)
		(void)json_object_set_new(params, "invert", json_true());
	arg = cli_args_get(self, a, "context");
	if (arg != NULL) {
		errno = 0;
		ctx = strtol(arg, &end, 10);
		if (errno != 0 || *end != '\0' || end == arg || ctx < 0 ||
		    ctx > 100)
			return (cli_usage_error(self, "--context: %s is not a "
			    "number of lines from 0 to 100", arg));
		(void)json_object_set_new(params, "context",
		    json_integer(ctx));
	}
	if (grep == NULL && (json_object_get(params, "icase") != NULL ||
	    json_object_get(params, "invert") != NULL ||
	    json_object_get(params, "context") != NULL))
		return (cli_usage_error(self, "-i, -v and -C go with --grep"));
	while ((arg = cli_args_next(self, a, "filter", &pos)) != NULL) {
		if (strchr(arg, '=') == NULL || arg[0] == '=')
			return (cli_usage_error(self, "--filter: %s is not "
			    "KEY=VALUE (label=app=web, name=web)", arg));
		f = json_object_get(params, "filters");
		if (f == NULL) {
			f = json_array();
			(void)json_object_set_new(params, "filters", f);
		}
		(void)json_array_append_new(f, json_string(arg));
	}
	how->filters = json_object_get(params, "filters") != NULL;
	how->json = cli_args_get(self, a, "json") != NULL;
	any = grep != NULL || how->filters || how->json || a->argc != 1 ||
	    (a->argc == 1 && a->argv[0][0] != '\0' &&
	    a->argv[0][strlen(a->argv[0]) - 1] == '/');
	if (a->argc == 0 && !how->filters)
		return (cli_usage_error(self, "name a container, a node's "
		    "containers (NODE/) or select with --filter"));
	how->prefix = !(a->argc == 1 && !how->filters &&
	    a->argv[0][strlen(a->argv[0]) - 1] != '/');
	how->follow = json_is_true(json_object_get(params, "follow"));
	how->timestamps = json_is_true(json_object_get(params,
	    "timestamps"));
	return (any ? 1 : 0);
}

/* `pier logs`. */
static int
logs_main(const struct cli_cmd *self, int argc, char **argv)
{
	static const char *const times[] = { "since", "until" };
	struct cli_logs_how	 how;
	struct cli_args		 a;
	struct cli_target	 tg;
	struct cli_ctx		 x;
	json_t			*params;	/* owned */
	const char		*arg;
	char			*cause = NULL, *end;
	long long		 tail;
	size_t			 i;
	int			 rc = CLI_EXIT_FAIL, multi = 0;

	memset(&how, 0, sizeof(how));
	rc = cli_args_parse(self, argc, argv, &a);
	params = a.params;
	a.params = NULL;
	arg = cli_args_get(self, &a, "tail");
	if (rc < 0 && arg != NULL && strcmp(arg, "all") != 0) {
		errno = 0;
		tail = strtoll(arg, &end, 10);
		if (errno != 0 || *end != '\0' || end == arg || tail < 0 ||
		    tail > 100000000)
			rc = cli_usage_error(self, "--tail: %s is not a number "
			    "of lines (or \"all\")", arg);
		else
			(void)json_object_set_new(params, "tail",
			    json_integer(tail));
	}
	for (i = 0; rc < 0 && i < 2; i++) {
		arg = cli_args_get(self, &a, times[i]);
		if (arg != NULL && logs_time(params, times[i], arg,
		    &cause) != 0) {
			(void)cli_fail(self, i == 0 ? "--since" : "--until",
			    cause, "bad time");
			rc = CLI_EXIT_USAGE;
		}
	}
	if (rc < 0) {
		multi = logs_select_opts(self, &a, params, &how);
		if (multi > 1)
			rc = multi;
	}
	cli_args_free(&a);
	if (rc >= 0) {
		free(cause);
		json_decref(params);
		return (rc);
	}
	rc = CLI_EXIT_FAIL;
	memset(&tg, 0, sizeof(tg));
	if (cli_ctx_open(&x, &cause) != 0) {
		cli_fail(self, NULL, cause, "failed");
		free(cause);
		json_decref(params);
		return (CLI_EXIT_FAIL);
	}
	if (multi) {
		(void)json_object_del(params, "timestamps");
		rc = cli_logs_multi(self, &x, params, a.argc, a.argv, &how);
		goto out;
	}
	if (cli_target_parse(&x.book, a.argv[0], &tg, &cause) != 0) {
		rc = cli_fail(self, NULL, cause, "bad target");
		goto out;
	}
	(void)json_object_set_new(params, "id", json_string(tg.container));
	rc = logs_run(self, &x, tg.node, params);
out:
	cli_target_free(&tg);
	json_decref(params);
	cli_ctx_close(&x);
	free(cause);
	return (rc);
}
