/*
 * The client side of a terminal session, shared by `pier shell`, `pier
 * exec -it`, `pier docker` and `pier attach`. As with docker, a stdin
 * that is not a terminal is refused before anything is opened on the
 * node ("the input device is not a TTY"), and `exec -t` without -i
 * leaves stdin alone. The local terminal goes
 * raw (restored on every way out, see tty.c); typed bytes pass through
 * the `~.` escape filter (another escape character, or none, with
 * --escape) and go out as STDIN frames; SIGWINCH sends a
 * RESIZE frame; STDOUT frames go to the terminal as they come.
 *
 * The session lives on the node, so a dropped connection (a reset, the
 * keepalive timing out) is not the end: the client dials again with a
 * backoff and attaches to the same session, whose repaint shows the
 * screen as it is now. Only the session's end (EXIT or ERROR), a detach
 * (`~.`) or giving up after CLI_TERM_RETRY_MAX_MS ends the command.
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

#define TERM_READ_SIZE		4096	/* typed bytes per read */
#define TERM_RETRY_MIN_MS	100	/* first reconnect wait */
#define TERM_RETRY_STEP_MAX_MS	5000	/* longest wait between tries */

/* How an attempt ended. */
enum term_state {
	TS_RUN,		/* streaming */
	TS_EXITED,	/* EXIT frame: exit_code */
	TS_ERROR,	/* the node refused or the session failed */
	TS_DETACHED,	/* ~. typed */
	TS_LOST,	/* the connection dropped: try again */
	TS_INPUT_EOF,	/* stdin ended and the node closed */
};

/* One terminal client. */
struct term {
	struct cli_ctx		*x;
	const struct cli_term_opts *o;
	struct cli_rpc		*r;
	struct ovl_chan		*ch;
	struct proto_fdec	 fdec;
	struct cli_esc		 esc;
	uv_poll_t		 in;		/* a terminal, a pipe */
	uv_idle_t		 in_file;	/* a file: read when idle */
	uv_signal_t		 winch;
	uv_timer_t		 wait;
	int			 in_on;		/* 1: poll, 2: idle reads */
	int			 in_eof;
	int			 in_paused;	/* channel queue full */
	uint8_t			 pend[2 * TERM_READ_SIZE + 2]; /* to send */
	size_t			 pend_len;
	int			 tty;		/* stdin is a terminal */
	enum term_state		 state;
	int			 done;		/* attempt over */
	int			 replied;
	int			 exit_code;
	char			*err;		/* TS_ERROR message */
	char			 session[64];
	unsigned		 rows, cols;
	int			 in_flags;	/* stdin's, to put back; -1 */
	int			 raw;		/* the terminal is raw */
};

static void	in_start(struct term *);
static void	in_unpause(struct term *);
static void	in_stop(struct term *);

/* Ends the attempt. */
static void
term_done(struct term *t, enum term_state st)
{
	if (t->done)
		return;
	t->state = st;
	t->done = 1;
	uv_stop(&t->x->loop);
}

/* Sends one frame; -ENOBUFS when the channel's queue is full. */
static int
send_frame(struct term *t, enum proto_frame type, const void *p,
    size_t len)
{
	uint8_t	buf[PROTO_FRAME_HDR + TERM_READ_SIZE];
	int	err;

	if (t->ch == NULL || len > TERM_READ_SIZE)
		return (-EPIPE);
	proto_frame_hdr(buf, type, (uint32_t)len);
	memcpy(buf + PROTO_FRAME_HDR, p, len);
	err = ovl_chan_write(t->ch, buf, PROTO_FRAME_HDR + len);
	return (err);
}

/* Sends the window size. */
static void
send_size(struct term *t)
{
	uint8_t	p[4];

	proto_frame_resize(p, t->rows, t->cols);
	(void)send_frame(t, PROTO_FRAME_RESIZE, p, sizeof(p));
}

/* One frame from the node. */
static int
on_frame(void *arg, enum proto_frame type, const uint8_t *data, size_t len)
{
	struct term	*t = arg;
	json_t		*o;	/* owned */
	int32_t		 code;

	switch (type) {
	case PROTO_FRAME_STDOUT:
	case PROTO_FRAME_STDERR:
		cli_write_all(type == PROTO_FRAME_STDOUT ? 1 : 2, data, len);
		return (0);
	case PROTO_FRAME_EXIT:
		if (proto_frame_exit_parse(data, len, &code) != 0)
			return (-EPROTO);
		t->exit_code = code;
		term_done(t, TS_EXITED);
		return (1);
	case PROTO_FRAME_END:
		t->exit_code = 0;
		term_done(t, TS_EXITED);
		return (1);
	case PROTO_FRAME_ERROR:
		o = json_loadb((const char *)data, len, 0, NULL);
		free(t->err);
		t->err = strdup(json_string_value(json_object_get(o,
		    "message")) != NULL ? json_string_value(json_object_get(o,
		    "message")) : "the session failed");
		json_decref(o);
		term_done(t, TS_ERROR);
		return (1);
	default:
		return (0);
	}
}

/* Bytes on the terminal channel. */
static void
chan_data(struct ovl_chan *ch, const uint8_t *buf, size_t len, void *arg)
{
	struct term	*t = arg;

	if (len == 0 || t->done)
		return;
	if (proto_fdec_feed(&t->fdec, buf, len, on_frame, t) < 0) {
		free(t->err);
		t->err = strdup("the node sent a broken stream");
		term_done(t, TS_ERROR);
	}
}

/* The channel has room: read typed input again. */
static void
chan_drain(struct ovl_chan *ch, void *arg)
{
	struct term	*t = arg;

	in_unpause(t);
}

/* The channel ended: after the end, a detach, or a dropped link. */
static void
chan_close(struct ovl_chan *ch, int status, void *arg)
{
	struct term	*t = arg;

	t->ch = NULL;
	if (t->done)
		return;
	if (status == -ECONNABORTED)
		term_done(t, TS_LOST);	/* the connection ended */
	else if (!t->replied)
		return;		/* refused: the error reply follows */
	else if (t->in_eof)
		term_done(t, TS_INPUT_EOF);
	else
		term_done(t, TS_LOST);	/* attach again: the node knows */
}

static const struct ovl_chan_cbs term_chan_cbs = {
	.on_data = chan_data,
	.on_drain = chan_drain,
	.on_close = chan_close,
};

/* The node's answer to session.open or session.attach. */
static void
on_reply(struct cli_rpc *r, const json_t *result,
    const struct cli_rpc_error *e, void *arg)
{
	struct term	*t = arg;
	const char	*id;

	if (e != NULL) {
		if (t->done)
			return;
		if (e->code == 0 && t->session[0] != '\0') {
			term_done(t, TS_LOST);	/* connection: try again */
			return;
		}
		free(t->err);
		t->err = strdup(e->message != NULL ? e->message : "failed");
		term_done(t, TS_ERROR);
		return;
	}
	t->replied = 1;
	id = json_string_value(json_object_get(result, "session"));
	if (id != NULL)
		snprintf(t->session, sizeof(t->session), "%s", id);
	in_unpause(t);
}

/* Sends the input waiting in t->pend: 0 when all of it went. */
static int
pend_flush(struct term *t)
{
	size_t	n;

	while (t->pend_len > 0) {
		if (t->ch == NULL)
			return (-EPIPE);
		n = t->pend_len > TERM_READ_SIZE ? TERM_READ_SIZE : t->pend_len;
		if (send_frame(t, PROTO_FRAME_STDIN, t->pend, n) != 0)
			return (-ENOBUFS);
		memmove(t->pend, t->pend + n, t->pend_len - n);
		t->pend_len -= n;
	}
	return (0);
}

/* Stops reading input until the channel can take more. */
static void
in_pause(struct term *t)
{
	if (!t->in_paused) {
		t->in_paused = 1;
		in_stop(t);
	}
}

/* Reads input again if it was held and the channel takes it. */
static void
in_unpause(struct term *t)
{
	if (!t->in_paused || t->in_eof || t->ch == NULL || !t->replied)
		return;
	if (pend_flush(t) != 0)
		return;
	t->in_paused = 0;
	in_start(t);
}

/* Typed input: through the escape filter to STDIN frames. */
static void
input_read(struct term *t)
{
	uint8_t			 in[TERM_READ_SIZE], out[TERM_READ_SIZE + 1];
	char			 help[512];
	size_t			 off = 0, used, outlen;
	enum cli_esc_action	 act;
	ssize_t			 n;

	if (t->in_on == 2 && (t->ch == NULL || !t->replied)) {
		in_pause(t);	/* a file waits for the session */
		return;
	}
	if (pend_flush(t) != 0) {
		in_pause(t);
		return;
	}
	n = read(0, in, sizeof(in));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* No more input: the session goes on; watch it. */
		t->in_eof = 1;
		in_stop(t);
		return;
	}
	while (off < (size_t)n) {
		act = cli_esc_feed(&t->esc, in + off, (size_t)n - off, &used,
		    out, &outlen);
		off += used;
		if (t->ch != NULL && !t->o->read_only &&
		    t->pend_len + outlen <= sizeof(t->pend)) {
			memcpy(t->pend + t->pend_len, out, outlen);
			t->pend_len += outlen;
		}
		if (act == CLI_ESC_DETACH) {
			(void)pend_flush(t);
			term_done(t, TS_DETACHED);
			return;
		}
		if (act == CLI_ESC_HELP) {
			cli_esc_help(t->esc.ch, help, sizeof(help));
			cli_write_all(1, help, strlen(help));
		}
	}
	if (pend_flush(t) != 0)
		in_pause(t);
}

/* Input is readable. */
static void
on_input(uv_poll_t *p, int status, int events)
{
	input_read(container_of(p, struct term, in));
}

/* Input from a file: one read per loop turn while the channel has room. */
static void
on_input_idle(uv_idle_t *h)
{
	input_read(container_of(h, struct term, in_file));
}

/* Reads input (again). */
static void
in_start(struct term *t)
{
	if (t->in_on == 1)
		(void)uv_poll_start(&t->in, UV_READABLE, on_input);
	else if (t->in_on == 2)
		(void)uv_idle_start(&t->in_file, on_input_idle);
}

/* Stops reading input. */
static void
in_stop(struct term *t)
{
	if (t->in_on == 1)
		(void)uv_poll_stop(&t->in);
	else if (t->in_on == 2)
		(void)uv_idle_stop(&t->in_file);
}

/* Reads the window size into t: a usual size when it says nothing. */
static int
get_size(struct term *t)
{
	if (cli_tty_winsize(0, &t->rows, &t->cols) != 0 &&
	    cli_tty_winsize(1, &t->rows, &t->cols) != 0)
		return (-ENOTTY);
	if (t->rows == 0 || t->cols == 0) {
		t->rows = 24;	/* a PTY nobody sized */
		t->cols = 80;
	}
	if (t->rows > 512)
		t->rows = 512;	/* the protocol's bounds */
	if (t->cols > 1024)
		t->cols = 1024;
	return (0);
}

/* The window changed: tell the node. */
static void
on_winch(uv_signal_t *s, int signum)
{
	struct term	*t = container_of(s, struct term, winch);

	if (get_size(t) == 0)
		send_size(t);
}

/* The reconnect wait is over. */
static void
on_wait(uv_timer_t *tm)
{
	struct term	*t = container_of(tm, struct term, wait);

	uv_stop(&t->x->loop);
}

/* One connection: open or attach, then stream until it ends. */
static int
attempt(struct term *t, char **cause)
{
	json_t	*params;	/* owned */
	int	 err;

	t->done = 0;
	t->state = TS_RUN;
	t->replied = 0;
	err = cli_rpc_open(t->x, t->o->node, &t->r, cause);
	if (err != 0 || t->done)
		return (err);	/* t->done: ~. typed while dialing */
	if (t->session[0] != '\0') {
		params = json_pack("{s:s, s:b}", "id", t->session,
		    "read_only", t->o->read_only);
		/* A repaint is screen drawing: for a terminal only. */
		if (params != NULL && !isatty(1))
			(void)json_object_set_new(params, "repaint",
			    json_false());
	} else
		params = json_deep_copy(t->o->params);
	if (params == NULL || json_object_set_new(params, "rows",
	    json_integer(t->rows)) != 0 || json_object_set_new(params,
	    "cols", json_integer(t->cols)) != 0) {
		json_decref(params);
		return (-ENOMEM);
	}
	proto_fdec_init(&t->fdec);
	err = cli_rpc_stream_open(t->r, &term_chan_cbs, t, params, &t->ch);
	if (err == 0)
		err = cli_rpc_call_async(t->r, t->session[0] != '\0' ?
		    "session.attach" : t->o->method, params, 0, on_reply, t);
	else
		json_decref(params);
	if (err != 0)
		return (err);
	uv_run(&t->x->loop, UV_RUN_DEFAULT);
	return (0);
}

/* Ends an attempt's connection (a FIN first: the node detaches). */
static void
attempt_end(struct term *t)
{
	if (t->ch != NULL) {
		ovl_chan_set_cbs(t->ch, &term_chan_cbs, t);
		if (ovl_chan_close(t->ch) != 0)
			ovl_chan_reset(t->ch);
		t->ch = NULL;
	}
	cli_rpc_close(t->r);
	t->r = NULL;
}

/* Waits ms on the loop (typed ~. still detaches). */
static void
backoff(struct term *t, uint64_t ms)
{
	t->done = 0;
	t->state = TS_RUN;
	(void)uv_timer_start(&t->wait, on_wait, ms, 0);
	uv_run(&t->x->loop, UV_RUN_DEFAULT);
	uv_timer_stop(&t->wait);
}

/* Sets up t for cli_term_run: size, escape, handles, raw mode; 0. */
static int
term_setup(struct term *t, const struct cli_cmd *cmd, struct cli_ctx *x,
    const struct cli_term_opts *o)
{
	memset(t, 0, sizeof(*t));
	t->x = x;
	t->o = o;
	t->rows = 24;
	t->cols = 80;
	t->tty = !o->no_input && isatty(0);
	if (get_size(t) != 0) {
		t->rows = 24;	/* not a terminal: a usual size */
		t->cols = 80;
	}
	if (o->attach_id != NULL)
		snprintf(t->session, sizeof(t->session), "%s", o->attach_id);
	if (o->escape_set)
		cli_esc_init(&t->esc, o->escape);
	else
		cli_esc_init(&t->esc, t->tty ? CLI_ESC_DEFAULT : CLI_ESC_NONE);
	t->in_flags = fcntl(0, F_GETFL);
	if (uv_timer_init(&x->loop, &t->wait) != 0 ||
	    uv_signal_init(&x->loop, &t->winch) != 0)
		return (cli_error(cmd, "cannot set up the loop"));
	(void)uv_signal_start(&t->winch, on_winch, SIGWINCH);
	if (!o->no_input && uv_poll_init(&x->loop, &t->in, 0) == 0)
		t->in_on = 1;
	else if (!o->no_input && uv_idle_init(&x->loop, &t->in_file) == 0)
		t->in_on = 2;	/* a regular file cannot be polled */
	in_start(t);
	if (t->tty && cli_tty_raw(0) == 0)
		t->raw = 1;
	return (0);
}

/*
 * Runs attempts until the session ends, is left, or cannot be reached
 * again (a refusal, no session to go back to, CLI_TERM_RETRY_MAX_MS of
 * trying); *cause: why, when the attempt said.
 */
static void
term_attempts(struct term *t, char **cause)
{
	const struct cli_term_opts *o = t->o;
	char		 msg[CLI_CLOSE_TEXT_MAX + 256];
	char		 lost[CLI_CLOSE_TEXT_MAX];
	uint64_t	 wait = TERM_RETRY_MIN_MS, start = 0;
	int		 err;

	for (;;) {
		err = attempt(t, cause);
		lost[0] = '\0';
		if (t->r != NULL && cli_rpc_lost(t->r) != NULL)
			snprintf(lost, sizeof(lost), "%s", cli_rpc_lost(t->r));
		attempt_end(t);
		if (err == 0 && t->state != TS_LOST)
			break;
		/* Refused by the node (a revoked key): trying again
		 * cannot help. */
		if (t->session[0] == '\0' || !o->reconnect ||
		    err == -ECONNABORTED) {
			if (err == 0)
				*cause = strdup(lost[0] != '\0' ? lost :
				    "the connection to the node dropped");
			t->state = TS_ERROR;
			break;
		}
		if (start == 0) {
			start = uv_now(&t->x->loop);
			snprintf(msg, sizeof(msg), "\r\n[pier: %s to %s; "
			    "reconnecting to session %s]\r\n", lost[0] != '\0' ?
			    lost : "connection lost", o->node != NULL ?
			    o->node : "the node", t->session);
			cli_write_all(2, msg, strlen(msg));
		}
		if (uv_now(&t->x->loop) - start > CLI_TERM_RETRY_MAX_MS) {
			t->state = TS_ERROR;
			break;
		}
		free(*cause);
		*cause = NULL;
		backoff(t, wait);
		if (t->state == TS_DETACHED)
			break;
		wait = wait * 2 > TERM_RETRY_STEP_MAX_MS ?
		    TERM_RETRY_STEP_MAX_MS : wait * 2;
	}
}

/* Puts the terminal and stdin back and closes t's handles. */
static void
term_teardown(struct term *t)
{
	if (t->raw)
		(void)cli_tty_restore();
	if (t->in_on == 1)
		uv_close((uv_handle_t *)&t->in, NULL);
	else if (t->in_on == 2)
		uv_close((uv_handle_t *)&t->in_file, NULL);
	uv_close((uv_handle_t *)&t->winch, NULL);
	uv_close((uv_handle_t *)&t->wait, NULL);
	uv_run(&t->x->loop, UV_RUN_DEFAULT);
	if (t->in_flags >= 0)
		(void)fcntl(0, F_SETFL, t->in_flags);
}

/* Runs an interactive terminal session; returns pier's exit code. */
int
cli_term_run(const struct cli_cmd *cmd, struct cli_ctx *x,
    const struct cli_term_opts *o)
{
	struct term	 t;
	char		*cause = NULL;
	int		 rc;

	if (o->need_tty && !o->no_input && !isatty(0)) {
		fprintf(stderr, "pier %s: the input device is not a TTY\n",
		    cmd->name);
		return (CLI_EXIT_FAIL);
	}
	rc = term_setup(&t, cmd, x, o);
	if (rc != 0)
		return (rc);
	term_attempts(&t, &cause);
	term_teardown(&t);
	switch (t.state) {
	case TS_EXITED:
		rc = t.exit_code;
		if (rc != 0 && !o->quiet_exit)
			fprintf(stderr, "pier %s: the session exited with code "
			    "%d\n", cmd->name, rc);
		break;
	case TS_DETACHED:
		fprintf(stderr, "\r\n[detached from session %s; pier attach "
		    "%s/%s returns to it]\n", t.session, o->node != NULL ?
		    o->node : "NODE", t.session);
		rc = CLI_EXIT_OK;
		break;
	case TS_INPUT_EOF:
		rc = CLI_EXIT_OK;
		break;
	default:
		cli_fail(cmd, o->node, t.err != NULL ? t.err : cause,
		    "the session failed");
		rc = CLI_EXIT_FAIL;
		break;
	}
	free(t.err);
	free(cause);
	return (rc);
}

/* Appends a string to an array member of params, making the array. */
int
cli_params_push(json_t *params, const char *key, const char *s)
{
	json_t	*a = json_object_get(params, key);	/* borrowed */

	if (a == NULL) {
		a = json_array();
		if (a == NULL || json_object_set_new(params, key, a) != 0)
			return (-1);
	}
	return (json_array_append_new(a, json_string(s)));
}
