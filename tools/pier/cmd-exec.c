/*
 * `pier exec [-it] [-u U] [-w DIR] [-e K=V] NODE/CONTAINER CMD [ARG...]`:
 * a command in a container. With -t it runs under a PTY as a session
 * (interactive, reattached after a dropped connection, see
 * term-client.c); without, its stdout and stderr arrive apart on pier's
 * own and its exit code becomes pier's, as with `docker exec`.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "cli.h"
#include "cli-out.h"

static int	exec_main(const struct cli_cmd *, int, char **);

const struct cli_cmd cli_cmd_exec = {
	.name = "exec",
	.main = exec_main,
	.usage = "[-it] [-u U] [-w DIR] [-e K=V] [--escape CHAR] NODE/CONTAINER "
	    "CMD [ARG...]",
	.summary = "run a command in a container",
	.help =
	    "  -i, --interactive  keep input open (with -t: a session)\n"
	    "  -t, --tty       run under a PTY, interactively (as -it)\n"
	    "  -u, --user U    user[:group] to run as\n"
	    "  -w, --workdir DIR  working directory\n"
	    "  -e, --env K=V   set an environment variable (repeatable)\n"
	    "  --escape CHAR   with -t, the escape character: one character,\n"
	    "                  ^X for a control character (^] is Ctrl-]), or\n"
	    "                  none (default ~; -e is --env, as in docker)\n"
	    "\n"
	    "Without -t, stdout and stderr stay apart and pier exits with the\n"
	    "command's exit code; if pier goes away first, the node ends the\n"
	    "command (docker exec would leave it running). With -t the\n"
	    "command runs in a session on the node; escapes after a newline:\n"
	    "~. detaches, ~? lists them, ~~ sends a ~ (~ being the escape\n"
	    "character).\n",
};

/* One exec.run in flight. */
struct xrun {
	struct cli_ctx		*x;
	struct ovl_chan		*ch;
	struct proto_fdec	 fdec;
	int			 done;
	int			 code;	/* exit code, or -1 */
	char			*err;
};

/* Ends the run with an error message (the first wins). */
static void
xr_fail(struct xrun *xr, const char *msg)
{
	if (xr->done)
		return;
	xr->done = 1;
	xr->err = strdup(msg);
	uv_stop(&xr->x->loop);
}

/* One frame of the output channel. */
static int
xr_frame(void *arg, enum proto_frame type, const uint8_t *data, size_t len)
{
	struct xrun	*xr = arg;
	json_t		*o;	/* owned */
	int32_t		 code;

	switch (type) {
	case PROTO_FRAME_STDOUT:
		cli_write_all(1, data, len);
		return (0);
	case PROTO_FRAME_STDERR:
		cli_write_all(2, data, len);
		return (0);
	case PROTO_FRAME_EXIT:
		if (proto_frame_exit_parse(data, len, &code) != 0)
			return (-EPROTO);
		xr->code = code;
		xr->done = 1;
		uv_stop(&xr->x->loop);
		return (1);
	case PROTO_FRAME_ERROR:
		o = json_loadb((const char *)data, len, 0, NULL);
		xr_fail(xr, json_string_value(json_object_get(o,
		    "message")) != NULL ? json_string_value(json_object_get(o,
		    "message")) : "the command failed on the node");
		json_decref(o);
		return (1);
	default:
		return (0);
	}
}

/* Output channel bytes. */
static void
xr_data(struct ovl_chan *ch, const uint8_t *buf, size_t len, void *arg)
{
	struct xrun	*xr = arg;

	if (len == 0 || xr->done)
		return;
	if (proto_fdec_feed(&xr->fdec, buf, len, xr_frame, xr) < 0)
		xr_fail(xr, "the node sent a broken stream");
}

/*
 * The channel ended. Before the exit code, an ERROR frame or the reply
 * says why; when the whole connection ended, xr_lost does.
 */
static void
xr_close(struct ovl_chan *ch, int status, void *arg)
{
	struct xrun	*xr = arg;

	xr->ch = NULL;
}

/* The connection ended before the exit code: the node's reason, or why. */
static void
xr_lost(struct cli_rpc *r, const char *why, void *arg)
{
	char	msg[CLI_CLOSE_TEXT_MAX + 64];

	snprintf(msg, sizeof(msg), "%s (before the command ended)", why);
	xr_fail(arg, msg);
}

static const struct ovl_chan_cbs xr_cbs = {
	.on_data = xr_data,
	.on_close = xr_close,
};

/* exec.run's reply: only an error matters. */
static void
xr_reply(struct cli_rpc *r, const json_t *result,
    const struct cli_rpc_error *e, void *arg)
{
	if (e != NULL)
		xr_fail(arg, e->message != NULL ? e->message : "failed");
}

/* Runs exec.run and returns the command's exit code. */
static int
exec_run(const struct cli_cmd *self, struct cli_ctx *x, const char *node,
    json_t *params)
{
	struct cli_rpc	*r = NULL;
	struct xrun	 xr;
	char		*cause = NULL;
	int		 rc = CLI_EXIT_FAIL;

	memset(&xr, 0, sizeof(xr));
	xr.x = x;
	xr.code = -1;
	proto_fdec_init(&xr.fdec);
	if (cli_rpc_open(x, node, &r, &cause) != 0) {
		rc = cli_error(self, "%s", cause != NULL ? cause : "failed");
		free(cause);
		return (rc);
	}
	cli_rpc_on_lost(r, xr_lost, &xr);
	json_incref(params);
	if (cli_rpc_stream_open(r, &xr_cbs, &xr, params, &xr.ch) != 0 ||
	    cli_rpc_call_async(r, "exec.run", params, 0, xr_reply, &xr) != 0)
		xr_fail(&xr, "cannot send the request");
	else
		uv_run(&x->loop, UV_RUN_DEFAULT);
	if (xr.ch != NULL) {
		ovl_chan_set_data(xr.ch, NULL);
		ovl_chan_reset(xr.ch);
	}
	cli_rpc_close(r);
	if (xr.err != NULL)
		rc = cli_error(self, "%s: %s", node, xr.err);
	else if (xr.code >= 0)
		rc = xr.code;
	free(xr.err);
	return (rc);
}

/* `pier exec`. */
static int
exec_main(const struct cli_cmd *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "interactive", no_argument, NULL, 'i' },
		{ "tty", no_argument, NULL, 't' },
		{ "user", required_argument, NULL, 'u' },
		{ "workdir", required_argument, NULL, 'w' },
		{ "env", required_argument, NULL, 'e' },
		{ "escape", required_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct cli_term_opts	 o;
	struct cli_target	 tg;
	struct cli_ctx		 x;
	json_t			*params;	/* owned */
	char			*cause = NULL;
	int			 ch, i, tty = 0, rc = CLI_EXIT_FAIL, bad = 0;
	int			 esc_set = 0, esc = CLI_ESC_DEFAULT;

	params = json_object();
	if (params == NULL)
		return (cli_error(self, "out of memory"));
	optind = 0;
	while ((ch = getopt_long(argc, argv, "+itu:w:e:h", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'i':
			break;	/* input is always on with -t */
		case 't':
			tty = 1;
			break;
		case 'u':
		case 'w':
			bad |= json_object_set_new(params, ch == 'u' ? "user" :
			    "workdir", json_string(optarg));
			break;
		case 'e':
			if (strchr(optarg, '=') == NULL) {
				json_decref(params);
				return (cli_usage_error(self, "--env %s: "
				    "expected K=V", optarg));
			}
			bad |= cli_params_push(params, "env", optarg);
			break;
		case 'E':
			if (cli_esc_option("exec", optarg, &esc) != 0) {
				json_decref(params);
				return (CLI_EXIT_USAGE);
			}
			esc_set = 1;
			break;
		case 'h':
			json_decref(params);
			return (cli_help(self));
		default:
			json_decref(params);
			return (cli_usage(self));
		}
	}
	if (argc - optind < 2 || bad) {
		json_decref(params);
		return (cli_usage(self));
	}
	for (i = optind + 1; i < argc; i++)
		bad |= cli_params_push(params, "cmd", argv[i]);
	memset(&tg, 0, sizeof(tg));
	if (cli_ctx_open(&x, &cause) != 0) {
		cli_error(self, "%s", cause != NULL ? cause : "failed");
		free(cause);
		json_decref(params);
		return (CLI_EXIT_FAIL);
	}
	if (cli_target_parse(&x.book, argv[optind], &tg, &cause) != 0) {
		rc = cli_error(self, "%s", cause != NULL ? cause : "bad target");
		goto out;
	}
	if (!tty) {
		/* exec.run names the container "id"; session.open "container". */
		(void)json_object_set_new(params, "id",
		    json_string(tg.container));
		rc = exec_run(self, &x, tg.node, params);
		goto out;
	}
	(void)json_object_set_new(params, "container",
	    json_string(tg.container));
	(void)json_object_set_new(params, "kind", json_string("exec"));
	memset(&o, 0, sizeof(o));
	o.node = tg.node;
	o.method = "session.open";
	o.params = params;
	o.reconnect = 1;
	o.escape_set = esc_set;
	o.escape = esc;
	rc = cli_term_run(self, &x, &o);
out:
	cli_target_free(&tg);
	json_decref(params);
	cli_ctx_close(&x);
	free(cause);
	return (rc);
}
