/*
 * `pier exec [-it] [-u U] [-w DIR] [-e K=V] NODE/CONTAINER CMD [ARG...]`:
 * a command in a container. With -t it runs under a PTY as a session
 * (interactive, reattached after a dropped connection, see
 * term-client.c); without, its stdout and stderr arrive apart on pier's
 * own and its exit code becomes pier's, as with `docker exec`; with -i
 * (and no -t) stdin goes to the command as STDIN frames and its end is a
 * FIN, which closes the command's stdin.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "cli.h"
#include "cli-out.h"
#include "cli-stream.h"

static int	exec_main(const struct cli_cmd *, int, char **);

static const struct cli_opt exec_opts[] = {
	{ .name = "interactive", .letter = 'i',
	  .help = "pass stdin to the command; its end closes\n"
	  "the command's stdin (with -t: typed input)" },
	{ .name = "tty", .letter = 't',
	  .help = "run under a PTY, in a session (with -i,\n"
	  "interactively; stdin must be a terminal)" },
	CLI_OPTS_TERM("user[:group] to run as",
	    "with -t, the escape character: one character,\n"
	    "^X for a control character (^] is Ctrl-]), or\n"
	    "none (default ~; -e is --env, as in docker)"),
	{ .name = NULL }
};

const struct cli_cmd cli_cmd_exec = {
	.name = "exec",
	.main = exec_main,
	.method = "exec.run",
	.role = PROTO_ROLE_OPERATOR,
	.opts = exec_opts,
	.args_min = 2,
	.args_max = -1,
	.flags = CLI_F_ORDER,
	.usage = "[-it] [-u U] [-w DIR] [-e K=V] [--escape CHAR] NODE/CONTAINER "
	    "CMD [ARG...]",
	.summary = "run a command in a container",
	.help = "",
	.notes = "\n"
	    "Without -t, stdout and stderr stay apart and pier exits with the\n"
	    "command's exit code; if pier goes away first, the node ends the\n"
	    "command (docker exec would leave it running). With -t the\n"
	    "command runs in a session on the node; escapes after a newline:\n"
	    "~. detaches, ~? lists them, ~~ sends a ~ (~ being the escape\n"
	    "character).\n",
};

#define XR_READ_SIZE	16384	/* stdin bytes per STDIN frame */

/* One exec.run in flight. */
struct xrun {
	struct cli_stream	 s;
	int			 code;	/* exit code, or -1 */
	uv_poll_t		 in;	/* stdin, a pipe or a terminal */
	uv_idle_t		 in_file; /* a file: read when idle */
	int			 in_on;	/* 1: poll, 2: idle reads */
	int			 in_held; /* the channel is full: wait */
	uint8_t			 pend[PROTO_FRAME_HDR + XR_READ_SIZE];
	size_t			 pend_len;
};

static void	xr_in_start(struct xrun *);
static void	xr_in_stop(struct xrun *);

/* A frame besides the output: EXIT ends the run with its code. */
static int
xr_frame(struct cli_stream *s, enum proto_frame type, const uint8_t *data,
    size_t len)
{
	struct xrun	*xr = container_of(s, struct xrun, s);
	int32_t		 code;

	if (type != PROTO_FRAME_EXIT)
		return (0);
	if (proto_frame_exit_parse(data, len, &code) != 0)
		return (-EPROTO);
	xr->code = code;
	return (1);
}

/* Sends stdin as STDIN frames and its end as FIN, as the channel takes it. */
static void
xr_input(struct xrun *xr)
{
	ssize_t	n;

	if (xr->s.ch == NULL || !xr->s.live) {
		xr_in_stop(xr);
		return;
	}
	if (xr->pend_len > 0) {
		if (ovl_chan_write(xr->s.ch, xr->pend, xr->pend_len) != 0) {
			xr->in_held = 1;	/* on_drain goes on */
			xr_in_stop(xr);
			return;
		}
		xr->pend_len = 0;
	}
	n = read(0, xr->pend + PROTO_FRAME_HDR, XR_READ_SIZE);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		xr_in_stop(xr);
		xr->in_on = -xr->in_on;	/* over: never again */
		if (ovl_chan_close(xr->s.ch) != 0)
			cli_stream_end(&xr->s, "cannot send the end of input");
		return;
	}
	proto_frame_hdr(xr->pend, PROTO_FRAME_STDIN, (uint32_t)n);
	xr->pend_len = PROTO_FRAME_HDR + (size_t)n;
	if (ovl_chan_write(xr->s.ch, xr->pend, xr->pend_len) == 0)
		xr->pend_len = 0;
	else {
		xr->in_held = 1;
		xr_in_stop(xr);
	}
}

/* stdin is readable. */
static void
xr_on_input(uv_poll_t *p, int status, int events)
{
	xr_input(container_of(p, struct xrun, in));
}

/* stdin is a file: one read per loop turn while the channel has room. */
static void
xr_on_input_idle(uv_idle_t *h)
{
	xr_input(container_of(h, struct xrun, in_file));
}

/* Reads stdin (again). */
static void
xr_in_start(struct xrun *xr)
{
	if (xr->in_on == 1)
		(void)uv_poll_start(&xr->in, UV_READABLE, xr_on_input);
	else if (xr->in_on == 2)
		(void)uv_idle_start(&xr->in_file, xr_on_input_idle);
}

/* Stops reading stdin. */
static void
xr_in_stop(struct xrun *xr)
{
	if (xr->in_on == 1)
		(void)uv_poll_stop(&xr->in);
	else if (xr->in_on == 2)
		(void)uv_idle_stop(&xr->in_file);
}

/* The channel has room: stdin again. */
static void
xr_drain(struct cli_stream *s)
{
	struct xrun	*xr = container_of(s, struct xrun, s);

	if (!xr->in_held)
		return;
	xr->in_held = 0;
	xr_in_start(xr);
}

/*
 * An exec ends on EXIT with its code; the channel's end alone says
 * nothing (an ERROR frame, the reply or the lost connection says why).
 */
static const struct cli_stream_ops xr_ops = {
	.flags = CLI_STREAM_CLOSE_WAITS,
	.failed = "the command failed on the node",
	.lost_suffix = " (before the command ended)",
	.frame = xr_frame,
	.drain = xr_drain,
};

/*
 * Runs an output-stream method (exec.run, docker.run) and returns the
 * command's exit code; with params.stdin true, stdin goes along.
 */
int
cli_exec_stream(const struct cli_cmd *self, struct cli_ctx *x,
    const char *node, const char *method, json_t *params)
{
	struct xrun	 xr;
	char		*cause = NULL;
	int		 rc = CLI_EXIT_FAIL, fl = -1;

	memset(&xr, 0, sizeof(xr));
	xr.code = -1;
	cli_stream_init(&xr.s, x, &xr_ops);
	if (cli_stream_open(&xr.s, node, &cause) != 0) {
		rc = cli_fail(self, NULL, cause, "failed");
		free(cause);
		return (rc);
	}
	if (json_is_true(json_object_get(params, "stdin"))) {
		fl = fcntl(0, F_GETFL);
		if (uv_poll_init(&x->loop, &xr.in, 0) == 0)
			xr.in_on = 1;
		else if (uv_idle_init(&x->loop, &xr.in_file) == 0)
			xr.in_on = 2;	/* a regular file cannot be polled */
	}
	json_incref(params);
	cli_stream_call(&xr.s, method, params);
	if (xr.s.live) {
		xr_in_start(&xr);
		(void)cli_stream_loop(x, 0);
	}
	if (xr.s.err != NULL)
		rc = cli_error(self, "%s: %s", node, xr.s.err);
	else if (xr.code >= 0)
		rc = xr.code;
	cli_stream_close(&xr.s);
	if (xr.in_on == 1 || xr.in_on == -1)
		uv_close((uv_handle_t *)&xr.in, NULL);
	else if (xr.in_on == 2 || xr.in_on == -2)
		uv_close((uv_handle_t *)&xr.in_file, NULL);
	if (fl >= 0)
		(void)fcntl(0, F_SETFL, fl);
	return (rc);
}

/* `pier exec`. */
static int
exec_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_term_opts	 o;
	struct cli_args		 a;
	struct cli_target	 tg;
	struct cli_ctx		 x;
	json_t			*params;	/* owned */
	char			*cause = NULL;
	int			 i, tty, interactive, rc, bad = 0;
	int			 esc_set = 0, esc = CLI_ESC_DEFAULT;

	rc = cli_args_term(self, argc, argv, &a, &params, &esc_set, &esc);
	for (i = 1; rc < 0 && i < a.argc; i++)
		bad |= cli_params_push(params, "cmd", a.argv[i]);
	if (rc < 0 && bad)
		rc = cli_usage(self);
	if (rc >= 0) {
		json_decref(params);
		return (rc);
	}
	rc = CLI_EXIT_FAIL;
	interactive = cli_args_get(self, &a, "interactive") != NULL;
	tty = cli_args_get(self, &a, "tty") != NULL;
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
	if (!tty) {
		/* exec.run names the container "id"; session.open "container". */
		(void)json_object_set_new(params, "id",
		    json_string(tg.container));
		if (interactive)
			(void)json_object_set_new(params, "stdin", json_true());
		rc = cli_exec_stream(self, &x, tg.node, self->method, params);
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
	o.need_tty = interactive;	/* as docker: -it needs a terminal */
	o.no_input = !interactive;	/* -t alone: stdin not attached */
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
