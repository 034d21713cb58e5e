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

#define LOGS_FRAME_MAX	16384	/* payload bytes per frame */

/* One container.logs stream. */
struct lrun {
	struct node		*n;
	struct ovl_chan		*ch;
	struct dk_stream	*s;
	char			 name[128];	/* for the log */
	char			*held;	/* framed, not yet taken */
	size_t			 held_len;
	int			 ended;	/* the Docker stream ended */
	int			 end_code;	/* proto error, or 0 */
	char			*end_msg;
	int			 writing;
	uint64_t		 bytes;	/* output bytes sent */
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
	free(lr->held);
	free(lr->end_msg);
	free(lr);
}

/* Frees the run once neither the channel nor the stream holds it. */
static void
lr_maybe_free(struct lrun *lr)
{
	if (lr->ch != NULL || lr->s != NULL || lr->closing)
		return;
	lr->closing = 1;
	node_log(&lr->n->log, NODE_LOG_INFO, "logs of %s: stream freed "
	    "(%llu bytes sent)", lr->name, (unsigned long long)lr->bytes);
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
	char	*p;
	int	 err;

	if (len == 0 || lr->ch == NULL)
		return (0);
	lr->pend_len = 0;
	proto_frame_hdr(lr->pend, lr_type(lr->pend_kind), (uint32_t)len);
	if (lr->held_len == 0) {
		lr->writing++;
		err = ovl_chan_write(lr->ch, lr->pend, PROTO_FRAME_HDR + len);
		lr->writing--;
		if (err == 0) {
			lr->bytes += len;
			return (0);
		}
	}
	p = realloc(lr->held, lr->held_len + PROTO_FRAME_HDR + len);
	if (p == NULL) {
		ovl_chan_reset(lr->ch);
		return (-ENOMEM);
	}
	lr->held = p;
	memcpy(lr->held + lr->held_len, lr->pend, PROTO_FRAME_HDR + len);
	lr->held_len += PROTO_FRAME_HDR + len;
	lr->bytes += len;
	return (-ENOBUFS);
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

/* Keeps output the channel did not take, framed; 0 or -ENOMEM. */
static int
lr_hold(struct lrun *lr, int kind, const char *buf, size_t len)
{
	size_t	 n, need;
	char	*p;

	need = len + PROTO_FRAME_HDR * (len / LOGS_FRAME_MAX + 1);
	p = realloc(lr->held, lr->held_len + need);
	if (p == NULL)
		return (-ENOMEM);
	lr->held = p;
	while (len > 0) {
		n = len > LOGS_FRAME_MAX ? LOGS_FRAME_MAX : len;
		proto_frame_hdr((uint8_t *)lr->held + lr->held_len,
		    lr_type(kind), (uint32_t)n);
		memcpy(lr->held + lr->held_len + PROTO_FRAME_HDR, buf, n);
		lr->held_len += PROTO_FRAME_HDR + n;
		lr->bytes += n;
		buf += n;
		len -= n;
	}
	return (0);
}

/* Sends the last frame (END, or ERROR) and finishes the channel. */
static void
lr_finish(struct lrun *lr)
{
	uint8_t	 frame[PROTO_FRAME_HDR + PROTO_FRAME_CTL_MAX];
	char	*body = NULL;
	json_t	*o;	/* owned */
	size_t	 len = 0;

	if (lr->ch == NULL)
		return;
	if (lr->end_code == 0)
		proto_frame_hdr(frame, PROTO_FRAME_END, 0);
	else {
		o = json_pack("{s:i, s:s, s:s}", "code", lr->end_code,
		    "name", proto_err_name(lr->end_code), "message",
		    lr->end_msg != NULL ? lr->end_msg : "the logs failed");
		body = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		len = body != NULL ? strlen(body) : 0;
		if (len > PROTO_FRAME_CTL_MAX)
			len = PROTO_FRAME_CTL_MAX;
		proto_frame_hdr(frame, PROTO_FRAME_ERROR, (uint32_t)len);
		if (len > 0)
			memcpy(frame + PROTO_FRAME_HDR, body, len);
		free(body);
	}
	if (ovl_chan_write(lr->ch, frame, PROTO_FRAME_HDR + len) != 0 ||
	    ovl_chan_close(lr->ch) != 0)
		ovl_chan_reset(lr->ch);
}

/* Output from the engine: gathered into frames; paused when full. */
static void
lr_chunk(struct dk_stream *s, int kind, const char *buf, size_t len,
    void *arg)
{
	struct lrun	*lr = arg;
	size_t		 n;

	if (lr->ch == NULL)
		return;
	if (lr->held_len > 0) {
		/* Only if the pause came late: keep it, the stream waits. */
		if (lr_hold(lr, kind, buf, len) != 0)
			ovl_chan_reset(lr->ch);
		else
			dk_stream_pause(s);
		return;
	}
	while (len > 0) {
		if (lr->pend_len > 0 && (lr->pend_kind != kind ||
		    lr->pend_len == LOGS_FRAME_MAX) && lr_flush(lr) != 0) {
			if (lr->ch == NULL ||
			    lr_hold(lr, kind, buf, len) != 0) {
				if (lr->ch != NULL)
					ovl_chan_reset(lr->ch);
				return;
			}
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
		lr->end_code = status == DK_E_UNAVAILABLE ?
		    PROTO_E_DOCKER_DOWN : status == DK_E_NOT_FOUND ?
		    PROTO_E_NOTFOUND : PROTO_E_DOCKER;
		lr->end_msg = strdup(message != NULL && message[0] != '\0' ?
		    message : dk_strerror(status));
	}
	if (lr_flush(lr) == 0 && lr->held_len == 0)
		lr_finish(lr);
	lr_maybe_free(lr);
}

/* The channel has room: what is held, then the engine again. */
static void
lr_drain(struct ovl_chan *ch, void *arg)
{
	struct lrun	*lr = arg;
	size_t		 n = 0, len;

	if (lr->held_len == 0 || lr->ch == NULL || lr->writing)
		return;		/* (a drain inside our own write) */
	while (n < lr->held_len) {
		/* Whole frames only: each held frame is written alone. */
		len = PROTO_FRAME_HDR + (((size_t)(uint8_t)lr->held[n + 1] <<
		    24) | ((size_t)(uint8_t)lr->held[n + 2] << 16) |
		    ((size_t)(uint8_t)lr->held[n + 3] << 8) |
		    (size_t)(uint8_t)lr->held[n + 4]);
		lr->writing++;
		if (ovl_chan_write(lr->ch, lr->held + n, len) != 0) {
			lr->writing--;
			break;
		}
		lr->writing--;
		n += len;
	}
	memmove(lr->held, lr->held + n, lr->held_len - n);
	lr->held_len -= n;
	if (lr->held_len > 0)
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

	lr->ch = NULL;
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
	lr->ch = cmd_take_chan(r);
	if (lr->ch == NULL) {
		lr->closing = 1;
		uv_close((uv_handle_t *)&lr->flush, lr_closed);
		(void)cmd_fail(r, PROTO_E_CHANNEL, "the stream channel is "
		    "gone");
		return;
	}
	ovl_chan_set_cbs(lr->ch, &lr_chan_cbs, lr);
	memset(&cbs, 0, sizeof(cbs));
	cbs.on_chunk = lr_chunk;
	cbs.on_end = lr_end;
	cbs.arg = lr;
	err = dk_logs(dk, id, &o, &cbs, &lr->s);
	if (err != 0) {
		lr->s = NULL;
		(void)cmd_fail_docker(r, NULL, err);
		ovl_chan_reset(lr->ch);		/* frees lr */
		return;
	}
	node_log(&lr->n->log, NODE_LOG_DEBUG, "logs of %s: streaming%s",
	    lr->name, o.follow ? " (follow)" : "");
	ovl_chan_resume(lr->ch);
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
