/*
 * One node's stream, for every command that reads one (see cli-stream.h).
 *
 * The life of a stream: cli_stream_open connects to the node and the
 * stream is live; cli_stream_call opens a channel, puts its id in the
 * params as "channel" and sends the request; the node answers the request
 * at once (only an error reply matters) and sends the stream on the
 * channel, as frames (STDOUT, STDERR, EXIT, END, ERROR) or as JSON lines,
 * which the runner decodes and hands to the command's ops. The command
 * runs the loop (cli_stream_loop); at the end it prints what it has to and
 * calls cli_stream_close, which resets the channel if it is still open
 * (the node then stops the work behind it) and closes the connection.
 *
 * The end rules. The first end wins, and an end runs ops->end once (by
 * default it stops the loop); the stream's err keeps why, NULL for a
 * good end. A stream ends:
 *	- well, when ops->frame or ops->line says so (logs on END or EXIT,
 *	  exec on EXIT with its code, a pull's or the events' end line);
 *	- with the message of an ERROR frame or an {"error": ...} line;
 *	- with "the node sent a broken stream" for bytes that do not decode
 *	  or a callback's negative answer;
 *	- with the message of an error reply to the request;
 *	- when the channel ends first: with ops->fin after a clean end
 *	  (well when it is NULL), with ops->reset after a reset; never
 *	  with CLI_STREAM_CLOSE_WAITS (exec: an exit code, an ERROR or the
 *	  lost connection says how it ended);
 *	- when the connection is lost, with why (the node's go-away reason,
 *	  or the transport's). Its channel closes first with -ECONNABORTED,
 *	  which leaves the message to the connection's end;
 *	- quietly when the command stops: Ctrl-C, or stdout's reader gone
 *	  (out-watch.c stops the loop): cli_stream_close ends it without a
 *	  message, and resetting the channel then says nothing either.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli-stream.h"

#define STREAM_BROKEN	"the node sent a broken stream"
#define STREAM_DROPPED	"the connection to the node dropped"
#define STREAM_FAILED	"the stream failed on the node"

/* Sets up a stream that is not yet connected. */
void
cli_stream_init(struct cli_stream *s, struct cli_ctx *x,
    const struct cli_stream_ops *ops)
{
	memset(s, 0, sizeof(*s));
	s->ops = ops;
	s->x = x;
	proto_fdec_init(&s->fdec);
	proto_ldec_init(&s->ldec, 0);
}

/* Ends the stream with why, or well (the first end wins). */
void
cli_stream_end(struct cli_stream *s, const char *why)
{
	if (!s->live)
		return;
	s->live = 0;
	if (why != NULL)
		s->err = strdup(why);
	if (s->ops->end != NULL)
		s->ops->end(s, why);
	else
		uv_stop(&s->x->loop);
}

/* What an error without a message says. */
static const char *
stream_failed(const struct cli_stream *s)
{
	return (s->ops->failed != NULL ? s->ops->failed : STREAM_FAILED);
}

/* A callback's answer: 1 a good end, negative a broken stream. */
static int
stream_answer(struct cli_stream *s, int rc)
{
	if (rc == 1)
		cli_stream_end(s, NULL);
	else if (rc < 0)
		cli_stream_end(s, STREAM_BROKEN);
	return (s->live ? 0 : 1);
}

/* Writes the output pieces gathered from one delivery, in one writev. */
static void
stream_out_flush(struct cli_stream *s)
{
	if (s->nout > 0)
		cli_writev_all(s->out_fd, s->out, s->nout);
	s->nout = 0;
}

/*
 * Gathers a piece of output (pointing into the channel's buffer) to be
 * written when the delivery ends: a record brings a 16 KiB frame in
 * pieces, and one writev of them all costs one system call, not one each.
 */
static void
stream_out(struct cli_stream *s, int fd, const uint8_t *data, size_t len)
{
	if (s->nout > 0 && (s->out_fd != fd || s->nout == CLI_STREAM_IOV))
		stream_out_flush(s);
	s->out_fd = fd;
	s->out[s->nout].iov_base = (void *)(uintptr_t)data;
	s->out[s->nout].iov_len = len;
	s->nout++;
}

/* One frame of a framed stream. */
static int
stream_frame(void *arg, enum proto_frame type, const uint8_t *data,
    size_t len)
{
	struct cli_stream	*s = arg;
	json_t			*o;	/* owned */
	const char		*m;

	if ((type == PROTO_FRAME_STDOUT && s->ops->out == NULL) ||
	    type == PROTO_FRAME_STDERR) {
		stream_out(s, type == PROTO_FRAME_STDOUT ? 1 : 2, data, len);
		return (0);
	}
	stream_out_flush(s);	/* the output before what the frame ends */
	switch (type) {
	case PROTO_FRAME_STDOUT:
		return (stream_answer(s, s->ops->out(s, data, len)));
	case PROTO_FRAME_ERROR:
		o = json_loadb((const char *)data, len, 0, NULL);
		m = json_string_value(json_object_get(o, "message"));
		cli_stream_end(s, m != NULL ? m : stream_failed(s));
		json_decref(o);
		return (1);
	default:
		if (s->ops->frame == NULL)
			return (0);
		return (stream_answer(s, s->ops->frame(s, type, data, len)));
	}
}

/* One line of a JSON-lines stream. */
static int
stream_line(void *arg, const char *body, size_t len)
{
	struct cli_stream	*s = arg;
	json_t			*o, *e;	/* owned, borrowed */
	const char		*m;
	int			 rc;

	o = json_loadb(body, len, 0, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		cli_stream_end(s, STREAM_BROKEN);
		return (1);
	}
	e = json_object_get(o, "error");
	if (e != NULL) {
		m = json_is_string(e) ? json_string_value(e) :
		    json_string_value(json_object_get(e, "message"));
		cli_stream_end(s, m != NULL ? m : stream_failed(s));
		json_decref(o);
		return (1);
	}
	rc = s->ops->line != NULL ? s->ops->line(s, o) : 0;
	json_decref(o);
	return (stream_answer(s, rc));
}

/* Channel bytes. */
static void
stream_data(struct ovl_chan *ch, const uint8_t *buf, size_t len, void *arg)
{
	cli_stream_feed(arg, buf, len);
}

/* Decodes one delivery of the channel's bytes; see cli-stream.h. */
void
cli_stream_feed(struct cli_stream *s, const uint8_t *buf, size_t len)
{
	int			 err;

	if (len == 0 || !s->live)
		return;
	if (s->ops->flags & CLI_STREAM_LINES)
		err = proto_ldec_feed(&s->ldec, buf, len, stream_line, s);
	else
		err = proto_fdec_feed(&s->fdec, buf, len, stream_frame, s);
	stream_out_flush(s);
	if (err < 0)
		cli_stream_end(s, STREAM_BROKEN);
}

/* The channel has room again. */
static void
stream_drain(struct ovl_chan *ch, void *arg)
{
	struct cli_stream	*s = arg;

	if (s->ops->drain != NULL)
		s->ops->drain(s);
}

/*
 * The channel ended. With the whole connection (-ECONNABORTED) it is
 * stream_lost's to say why; else the end rules of the ops.
 */
static void
stream_close(struct ovl_chan *ch, int status, void *arg)
{
	struct cli_stream	*s = arg;
	int			 flags = s->ops->flags;

	s->ch = NULL;
	if (status == -ECONNABORTED || (flags & CLI_STREAM_CLOSE_WAITS))
		return;
	if (status == 0)
		cli_stream_end(s, s->ops->fin);
	else
		cli_stream_end(s, s->ops->reset != NULL ? s->ops->reset :
		    STREAM_DROPPED);
}

/* The connection ended: the node's reason, or the transport's. */
static void
stream_lost(struct cli_rpc *r, const char *why, void *arg)
{
	struct cli_stream	*s = arg;
	char			 msg[CLI_CLOSE_TEXT_MAX + 64];

	snprintf(msg, sizeof(msg), "%s%s", why, s->ops->lost_suffix != NULL ?
	    s->ops->lost_suffix : "");
	if (s->live)
		s->lost = 1;
	cli_stream_end(s, msg);
}

static const struct ovl_chan_cbs stream_cbs = {
	.on_data = stream_data,
	.on_drain = stream_drain,
	.on_close = stream_close,
};

/* The request's reply: an error ends the stream; ops->reply sees a result. */
static void
stream_reply(struct cli_rpc *r, const json_t *result,
    const struct cli_rpc_error *e, void *arg)
{
	struct cli_stream	*s = arg;

	if (e != NULL)
		cli_stream_end(s, e->message != NULL ? e->message :
		    "failed");
	else if (s->ops->reply != NULL && s->live)
		s->ops->reply(s, result);
}

/* Connects to node; the stream is live. */
int
cli_stream_open(struct cli_stream *s, const char *node, char **cause)
{
	int	err;

	err = cli_rpc_open(s->x, node, &s->r, cause);
	if (err != 0) {
		s->r = NULL;
		return (err);
	}
	s->live = 1;
	cli_rpc_on_lost(s->r, stream_lost, s);
	return (0);
}

/* Makes r the stream's connection. */
void
cli_stream_adopt(struct cli_stream *s, struct cli_rpc *r)
{
	s->r = r;
	s->live = 1;
	s->lost = 0;
	cli_rpc_on_lost(s->r, stream_lost, s);
}

/* Opens the channel and sends the request. */
void
cli_stream_call(struct cli_stream *s, const char *method, json_t *params)
{
	if (params == NULL || cli_rpc_stream_open(s->r, &stream_cbs, s,
	    params, &s->ch) != 0) {
		json_decref(params);
		cli_stream_end(s, "cannot open a stream");
		return;
	}
	if (cli_rpc_call_async(s->r, method, params, 0, stream_reply, s) != 0)
		cli_stream_end(s, "cannot send the request");
}

/* Ctrl-C: stop the loop. */
static void
stream_sigint(uv_signal_t *h, int signum)
{
	int	*interrupted = h->data;

	*interrupted = 1;
	uv_stop(h->loop);
}

/* Frees the Ctrl-C watch once closed. */
static void
stream_sig_free(uv_handle_t *h)
{
	free(h);
}

/* Runs the loop until a stream, stdout's watch or Ctrl-C stops it. */
int
cli_stream_loop(struct cli_ctx *x, int sigint)
{
	uv_signal_t	*sig;
	int		 interrupted = 0, err;

	(void)cli_out_watch(x);	/* `| head` ends it */
	if (!sigint) {
		uv_run(&x->loop, UV_RUN_DEFAULT);
		return (0);
	}
	sig = malloc(sizeof(*sig));
	if (sig == NULL)
		return (-ENOMEM);
	err = uv_signal_init(&x->loop, sig);
	if (err != 0) {
		free(sig);
		return (err);
	}
	sig->data = &interrupted;
	err = uv_signal_start(sig, stream_sigint, SIGINT);
	if (err == 0)
		uv_run(&x->loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)sig, stream_sig_free);
	return (err != 0 ? err : interrupted);
}

/* Ends the stream quietly, resets its channel, closes its connection. */
void
cli_stream_close(struct cli_stream *s)
{
	s->live = 0;
	if (s->ch != NULL)
		ovl_chan_reset(s->ch);	/* on_close: s->ch = NULL */
	if (s->r != NULL)
		cli_rpc_close(s->r);
	s->r = NULL;
	proto_ldec_free(&s->ldec);
	free(s->err);
	s->err = NULL;
}
