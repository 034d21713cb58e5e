/*
 * `pier logs [-f] [--tail N] [--since T] [--until T] [-t] NODE/CONTAINER`:
 * a container's logs as `docker logs` prints them: its stdout on pier's
 * stdout and its stderr on pier's stderr (a TTY container's output is
 * all stdout, as the engine keeps it). With -f pier follows until the
 * container stops or Ctrl-C, and exits 0 either way.
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
	{ .name = NULL }
};

const struct cli_cmd cli_cmd_logs = {
	.name = "logs",
	.main = logs_main,
	.method = "container.logs",
	.role = PROTO_ROLE_VIEWER,
	.opts = logs_opts,
	.args_min = 1,
	.args_max = 1,
	.usage = "[-f] [--tail N] [--since T] [--until T] [-t] NODE/CONTAINER",
	.summary = "show a container's logs",
	.help = "",
	.notes = "\n"
	    "The container's stdout goes to stdout and its stderr to stderr.\n",
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

/* `pier logs`. */
static int
logs_main(const struct cli_cmd *self, int argc, char **argv)
{
	static const char *const times[] = { "since", "until" };
	struct cli_args		 a;
	struct cli_target	 tg;
	struct cli_ctx		 x;
	json_t			*params;	/* owned */
	const char		*arg;
	char			*cause = NULL, *end;
	long long		 tail;
	size_t			 i;
	int			 rc = CLI_EXIT_FAIL;

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
