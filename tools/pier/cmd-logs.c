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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"
#include "cli.h"
#include "cli-out.h"

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

/* One logs stream in flight. */
struct lrun {
	struct cli_ctx		*x;
	struct ovl_chan		*ch;
	struct proto_fdec	 fdec;
	uv_signal_t		 sigint;
	int			 sig_ok;	/* sigint needs closing */
	int			 done;
	int			 interrupted;
	char			*err;
};

/* Ends the run, with an error message or not (the first end wins). */
static void
lr_done(struct lrun *lr, const char *msg)
{
	if (lr->done)
		return;
	lr->done = 1;
	if (msg != NULL)
		lr->err = strdup(msg);
	uv_stop(&lr->x->loop);
}

/* One frame of the output channel. */
static int
lr_frame(void *arg, enum proto_frame type, const uint8_t *data, size_t len)
{
	struct lrun	*lr = arg;
	json_t		*o;	/* owned */
	const char	*m;

	switch (type) {
	case PROTO_FRAME_STDOUT:
		cli_write_all(1, data, len);
		return (0);
	case PROTO_FRAME_STDERR:
		cli_write_all(2, data, len);
		return (0);
	case PROTO_FRAME_END:
	case PROTO_FRAME_EXIT:
		lr_done(lr, NULL);
		return (1);
	case PROTO_FRAME_ERROR:
		o = json_loadb((const char *)data, len, 0, NULL);
		m = json_string_value(json_object_get(o, "message"));
		lr_done(lr, m != NULL ? m : "the logs failed on the node");
		json_decref(o);
		return (1);
	default:
		return (0);
	}
}

/* Output channel bytes. */
static void
lr_data(struct ovl_chan *ch, const uint8_t *buf, size_t len, void *arg)
{
	struct lrun	*lr = arg;

	if (len == 0 || lr->done)
		return;
	if (proto_fdec_feed(&lr->fdec, buf, len, lr_frame, lr) < 0)
		lr_done(lr, "the node sent a broken stream");
}

/*
 * The channel ended; before END it means the link dropped. When the
 * whole connection ended (-ECONNABORTED), lr_lost follows with why.
 */
static void
lr_close(struct ovl_chan *ch, int status, void *arg)
{
	struct lrun	*lr = arg;

	lr->ch = NULL;
	if (status == -ECONNABORTED)
		return;
	lr_done(lr, status == 0 ? NULL : "the connection to the node "
	    "dropped");
}

/* The connection ended: the node's reason, or the transport's. */
static void
lr_lost(struct cli_rpc *r, const char *why, void *arg)
{
	lr_done(arg, why);
}

static const struct ovl_chan_cbs lr_cbs = {
	.on_data = lr_data,
	.on_close = lr_close,
};

/* container.logs' reply: only an error matters. */
static void
lr_reply(struct cli_rpc *r, const json_t *result,
    const struct cli_rpc_error *e, void *arg)
{
	if (e != NULL)
		lr_done(arg, e->message != NULL ? e->message : "failed");
}

/* Ctrl-C: stop following, exit 0. */
static void
lr_sigint(uv_signal_t *h, int signum)
{
	struct lrun	*lr = container_of(h, struct lrun, sigint);

	lr->interrupted = 1;
	lr_done(lr, NULL);
}

/* Runs container.logs on node and prints the stream. */
static int
logs_run(const struct cli_cmd *self, struct cli_ctx *x, const char *node,
    json_t *params)
{
	struct cli_rpc	*r = NULL;
	struct lrun	 lr;
	char		*cause = NULL;
	int		 rc = CLI_EXIT_OK;

	memset(&lr, 0, sizeof(lr));
	lr.x = x;
	proto_fdec_init(&lr.fdec);
	if (cli_rpc_open(x, node, &r, &cause) != 0) {
		rc = cli_error(self, "%s", cause != NULL ? cause : "failed");
		free(cause);
		return (rc);
	}
	cli_rpc_on_lost(r, lr_lost, &lr);
	(void)cli_out_watch(x);	/* `| head` ends it */
	lr.sig_ok = uv_signal_init(&x->loop, &lr.sigint) == 0;
	if (!lr.sig_ok || uv_signal_start(&lr.sigint, lr_sigint, SIGINT) != 0)
		lr_done(&lr, "cannot watch for Ctrl-C");
	json_incref(params);
	if (lr.done)
		json_decref(params);
	else if (cli_rpc_stream_open(r, &lr_cbs, &lr, params, &lr.ch) != 0 ||
	    cli_rpc_call_async(r, "container.logs", params, 0, lr_reply,
	    &lr) != 0)
		lr_done(&lr, "cannot send the request");
	if (!lr.done)
		uv_run(&x->loop, UV_RUN_DEFAULT);
	if (cli_out_lost())
		lr_done(&lr, NULL);	/* stdout's reader left: quietly */
	if (lr.ch != NULL) {
		ovl_chan_set_data(lr.ch, NULL);
		ovl_chan_reset(lr.ch);
	}
	if (lr.sig_ok)
		uv_close((uv_handle_t *)&lr.sigint, NULL);
	if (lr.err != NULL)
		rc = cli_error(self, "%s: %s", cli_rpc_node(r), lr.err);
	cli_rpc_close(r);
	free(lr.err);
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
				(void)cli_error(self, "--%s: %s", ch == 'S' ?
				    "since" : "until", cause != NULL ? cause :
				    "bad time");
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
		cli_error(self, "%s", cause != NULL ? cause : "failed");
		free(cause);
		json_decref(params);
		return (CLI_EXIT_FAIL);
	}
	if (cli_target_parse(&x.book, argv[optind], &tg, &cause) != 0) {
		rc = cli_error(self, "%s", cause != NULL ? cause :
		    "bad target");
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
