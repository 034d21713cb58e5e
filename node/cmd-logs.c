/*
 * container.logs: a container's logs on an output channel, stdout and
 * stderr in their own frames (a TTY container's undivided output comes
 * as STDOUT), then END, or ERROR when the engine failed. With follow the
 * stream lasts until the container stops or the client closes the
 * channel.
 *
 * Back-pressure runs end to end: when the channel will not take a chunk
 * (its queue is at its bound because the client's credit ran out), the
 * rest of the chunk is held here and the Docker stream is paused, so the
 * engine's bytes wait in its socket; the channel's drain writes what is
 * held and resumes the stream. The node so holds at most one chunk per
 * stream, however slow the client.
 *
 * The engine frames every log line alone, so output is gathered into
 * frames of up to LOGS_FRAME_MAX bytes of one kind and written when a
 * frame is full, the kind changes, or the loop turn's reads are done (a
 * check handle): one record carries many lines instead of one each.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"

#define LOGS_FRAME_MAX	NODE_FWRITER_FRAME_MAX	/* payload bytes per frame */

/* One container.logs stream. */
struct lrun {
	struct node		*n;
	struct node_fwriter	 fw;	/* the channel and held frames */
	struct dk_stream	*s;
	char			 name[128];	/* for the log */
	int			 ended;	/* the Docker stream ended */
	int			 end_code;	/* proto error, or 0 */
	char			*end_msg;
	uv_check_t		 flush;	/* writes the gathered frame */
	uint8_t			*pend;	/* frame being gathered */
	size_t			 pend_len;	/* its payload bytes */
	int			 pend_kind;
	int			 closing;
};

/* The flush handle is closed: free the run. */
static void
lr_closed(uv_handle_t *h)
{
	struct lrun	*lr;

	lr = container_of((uv_check_t *)h, struct lrun, flush);

	free(lr->pend);
	node_fwriter_free(&lr->fw);
	free(lr->end_msg);
	free(lr);
}

/* Frees the run once neither the channel nor the stream holds it. */
static void
lr_maybe_free(struct lrun *lr)
{
	if (lr->fw.ch != NULL || lr->s != NULL || lr->closing)
		return;
	lr->closing = 1;
	node_log(&lr->n->log, NODE_LOG_INFO, "logs of %s: stream freed "
	    "(%llu bytes sent)", lr->name, (unsigned long long)lr->fw.bytes);
	uv_close((uv_handle_t *)&lr->flush, lr_closed);
}

/* The frame type of an engine stream kind. */
static enum proto_frame
lr_type(int kind)
{
	return (kind == DK_STREAM_STDERR ? PROTO_FRAME_STDERR :
	    PROTO_FRAME_STDOUT);
}

/*
 * Writes the gathered frame. If the channel will not take it, the frame
 * moves to the held output and -ENOBUFS says to pause the stream.
 */
static int
lr_flush(struct lrun *lr)
{
	size_t	len = lr->pend_len;

	if (len == 0 || lr->fw.ch == NULL)
		return (0);
	lr->pend_len = 0;
	proto_frame_hdr(lr->pend, lr_type(lr->pend_kind), (uint32_t)len);
	return (node_fwriter_frame(&lr->fw, lr->pend, PROTO_FRAME_HDR + len));
}

/* The loop turn's reads are done: write what was gathered. */
static void
lr_on_check(uv_check_t *h)
{
	struct lrun	*lr = container_of(h, struct lrun, flush);

	uv_check_stop(h);
	if (lr_flush(lr) != 0 && lr->s != NULL)
		dk_stream_pause(lr->s);
}

/* Sends the last frame (END, or ERROR) and finishes the channel. */
static void
lr_finish(struct lrun *lr)
{
	if (lr->end_code == 0)
		node_fwriter_end(&lr->fw, PROTO_FRAME_END, NULL, 0);
	else
		node_fwriter_error(&lr->fw, lr->end_code, lr->end_msg != NULL ?
		    lr->end_msg : "the logs failed");
}

/* Output from the engine: gathered into frames; paused when full. */
static void
lr_chunk(struct dk_stream *s, int kind, const char *buf, size_t len,
    void *arg)
{
	struct lrun	*lr = arg;
	size_t		 n;
	int		 err;

	if (lr->fw.ch == NULL)
		return;
	if (lr->fw.held_len > 0) {
		/* Only if the pause came late: keep it, the stream waits. */
		if (node_fwriter_write(&lr->fw, lr_type(kind), buf, len) ==
		    -ENOBUFS)
			dk_stream_pause(s);
		return;
	}
	while (len > 0) {
		err = 0;
		if (lr->pend_len > 0 && (lr->pend_kind != kind ||
		    lr->pend_len == LOGS_FRAME_MAX))
			err = lr_flush(lr);
		if (err != 0) {
			/* Held: the rest waits behind it, with the stream. */
			if (err == -ENOBUFS && node_fwriter_write(&lr->fw,
			    lr_type(kind), buf, len) == -ENOBUFS)
				dk_stream_pause(s);
			return;
		}
		n = LOGS_FRAME_MAX - lr->pend_len;
		if (n > len)
			n = len;
		memcpy(lr->pend + PROTO_FRAME_HDR + lr->pend_len, buf, n);
		lr->pend_len += n;
		lr->pend_kind = kind;
		buf += n;
		len -= n;
	}
	if (!uv_is_active((uv_handle_t *)&lr->flush))
		(void)uv_check_start(&lr->flush, lr_on_check);
}

/* The Docker stream is over: the end follows what is held. */
static void
lr_end(struct dk_stream *s, int status, const char *message, void *arg)
{
	struct lrun	*lr = arg;

	lr->s = NULL;
	lr->ended = 1;
	if (status != 0 && status != DK_E_CANCELLED) {
		lr->end_code = cmd_stream_err_from_dk(status);
		lr->end_msg = strdup(message != NULL && message[0] != '\0' ?
		    message : dk_strerror(status));
	}
	if (lr_flush(lr) == 0 && lr->fw.held_len == 0)
		lr_finish(lr);
	lr_maybe_free(lr);
}

/* The channel has room: what is held, then the engine again. */
static void
lr_drain(struct ovl_chan *ch, void *arg)
{
	struct lrun	*lr = arg;

	if (!node_fwriter_drain(&lr->fw))
		return;
	if (lr->s != NULL)
		dk_stream_resume(lr->s);
	else if (lr->ended)
		lr_finish(lr);
}

/* The channel ended: the client left or read the end. */
static void
lr_chan_close(struct ovl_chan *ch, int status, void *arg)
{
	struct lrun	*lr = arg;

	lr->fw.ch = NULL;
	if (lr->s != NULL) {
		node_log(&lr->n->log, NODE_LOG_INFO, "logs of %s: the client "
		    "closed the stream; stopping it", lr->name);
		dk_stream_cancel(lr->s);
	}
	lr_maybe_free(lr);
}

static const struct ovl_chan_cbs lr_chan_cbs = {
	.on_data = cmd_out_chan_data,
	.on_drain = lr_drain,
	.on_close = lr_chan_close,
};

/* The container is known: start the stream and reply. */
static void
lr_resolved(struct cmd_req *r, const char *id, const char *name, void *arg)
{
	struct dk_stream_cbs	 cbs;
	struct dk_logs_opts	 o;
	struct dk_client	*dk;
	struct lrun		*lr;
	int			 err;

	dk = cmd_docker(r);
	if (dk == NULL)
		return;
	lr = calloc(1, sizeof(*lr));
	if (lr == NULL) {
		(void)cmd_fail(r, PROTO_E_INTERNAL, "out of memory");
		return;
	}
	lr->n = r->node;
	lr->pend = malloc(PROTO_FRAME_HDR + LOGS_FRAME_MAX);
	if (lr->pend == NULL) {
		free(lr);
		(void)cmd_fail(r, PROTO_E_INTERNAL, "out of memory");
		return;
	}
	snprintf(lr->name, sizeof(lr->name), "%s", name != NULL &&
	    name[0] != '\0' ? name : id);
	memset(&o, 0, sizeof(o));
	o.stdout_on = proto_param_bool(r->params, "stdout", 1);
	o.stderr_on = proto_param_bool(r->params, "stderr", 1);
	if (!o.stdout_on && !o.stderr_on) {
		free(lr->pend);
		free(lr);
		(void)cmd_fail(r, PROTO_E_PARAMS, "params: stdout and stderr "
		    "are both false: nothing to show");
		return;
	}
	o.follow = proto_param_bool(r->params, "follow", 0);
	o.timestamps = proto_param_bool(r->params, "timestamps", 0);
	o.tail = proto_param_int(r->params, "tail", -1);
	o.since = proto_param_int(r->params, "since", 0);
	o.until = proto_param_int(r->params, "until", 0);
	o.tty = DK_TTY_AUTO;
	(void)uv_check_init(r->node->loop, &lr->flush);
	lr->fw.ch = cmd_take_chan(r);
	if (lr->fw.ch == NULL) {
		lr->closing = 1;
		uv_close((uv_handle_t *)&lr->flush, lr_closed);
		(void)cmd_fail(r, PROTO_E_CHANNEL, "the stream channel is "
		    "gone");
		return;
	}
	ovl_chan_set_cbs(lr->fw.ch, &lr_chan_cbs, lr);
	memset(&cbs, 0, sizeof(cbs));
	cbs.on_chunk = lr_chunk;
	cbs.on_end = lr_end;
	cbs.arg = lr;
	err = dk_logs(dk, id, &o, &cbs, &lr->s);
	if (err != 0) {
		lr->s = NULL;
		(void)cmd_fail_docker(r, NULL, err);
		ovl_chan_reset(lr->fw.ch);		/* frees lr */
		return;
	}
	node_log(&lr->n->log, NODE_LOG_DEBUG, "logs of %s: streaming%s",
	    lr->name, o.follow ? " (follow)" : "");
	ovl_chan_resume(lr->fw.ch);
	(void)cmd_reply(r, NULL);
}

/* container.logs: resolve the container, then stream. */
enum cmd_retval
cmd_container_logs(struct cmd_req *r)
{
	const char	*c = proto_param_str(r->params, "id", "");

	cmd_set_target(r, "%s", c);
	return (node_resolve_container(r, c, lr_resolved, NULL));
}
