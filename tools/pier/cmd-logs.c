/*
 * `pier logs [-f] [--tail N] [--since T] [--until T] [-t] NODE/CONTAINER`:
 * a container's logs as `docker logs` prints them: its stdout on pier's
 * stdout and its stderr on pier's stderr (a TTY container's output is
 * all stdout, as the engine keeps it). With -f pier follows until the
 * container stops or Ctrl-C, and exits 0 either way.
 */
#include <errno.h>
#include <getopt.h>
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

const struct cli_cmd cli_cmd_logs = {
	.name = "logs",
	.main = logs_main,
	.usage = "[-f] [--tail N] [--since T] [--until T] [-t] NODE/CONTAINER",
	.summary = "show a container's logs",
	.help =
	    "  -f, --follow      keep printing new lines until the container\n"
	    "                    stops or Ctrl-C\n"
	    "  -n, --tail N      only the last N lines (\"all\": every line)\n"
	    "      --since T     lines since T: a duration before now (10m),\n"
	    "                    an RFC 3339 time or unix seconds\n"
	    "      --until T     lines before T (same forms)\n"
	    "  -t, --timestamps  show each line's time\n"
	    "\n"
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
	static const struct option longopts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "tail", required_argument, NULL, 'n' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "timestamps", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct cli_target	 tg;
	struct cli_ctx		 x;
	json_t			*params;	/* owned */
	char			*cause = NULL, *end;
	long long		 tail;
	int			 ch, rc = CLI_EXIT_FAIL, bad = 0;

	params = json_object();
	if (params == NULL)
		return (cli_error(self, "out of memory"));
	optind = 0;
	while ((ch = getopt_long(argc, argv, "fn:th", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'f':
			bad |= json_object_set_new(params, "follow",
			    json_true());
			break;
		case 'n':
			if (strcmp(optarg, "all") == 0)
				break;
			errno = 0;
			tail = strtoll(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg ||
			    tail < 0 || tail > 100000000) {
				json_decref(params);
				return (cli_usage_error(self, "--tail: %s is "
				    "not a number of lines (or \"all\")",
				    optarg));
			}
			bad |= json_object_set_new(params, "tail",
			    json_integer(tail));
			break;
		case 'S':
		case 'U':
			if (logs_time(params, ch == 'S' ? "since" : "until",
			    optarg, &cause) != 0) {
				(void)cli_fail(self, ch == 'S' ? "--since" :
				    "--until", cause, "bad time");
				free(cause);
				json_decref(params);
				return (CLI_EXIT_USAGE);
			}
			break;
		case 't':
			bad |= json_object_set_new(params, "timestamps",
			    json_true());
			break;
		case 'h':
			json_decref(params);
			return (cli_help(self));
		default:
			json_decref(params);
			return (cli_usage(self));
		}
	}
	if (argc - optind != 1 || bad) {
		json_decref(params);
		return (cli_usage(self));
	}
	memset(&tg, 0, sizeof(tg));
	if (cli_ctx_open(&x, &cause) != 0) {
		cli_fail(self, NULL, cause, "failed");
		free(cause);
		json_decref(params);
		return (CLI_EXIT_FAIL);
	}
	if (cli_target_parse(&x.book, argv[optind], &tg, &cause) != 0) {
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
