/*
 * One overlay connection on libuv: a byte stream (TCP today), the record
 * layer and the multiplexer, and how a connection ends. The handshake
 * driver is in conn-hs.c, the timer (handshake timeout, stalls, idle,
 * keepalive, rekey by time, linger, quiet) in conn-timer.c; what users
 * call on a connection is in conn-user.c.
 *
 * The record layer and the multiplexer are pure (record.c, mux.c); this
 * file only moves bytes between them and a uv_stream_t, so another byte
 * transport (a relayed stream, reliable UDP) can carry them later.
 *
 * Memory: a connection that is quiet holds no buffer. The read buffer is
 * taken when bytes arrive; frames are pulled from the mux straight into a
 * write request sized to what the mux has ready and sealed there in
 * place, and the last finished request is kept as a spare for the next.
 * While bytes move the buffers stay, so a stream does not take and give
 * back 64 KiB per read or write (the allocator would hand the pages back
 * to the system and fault them in again); once nothing was read or
 * written for QUIET_MS (conn-timer.c) the timer gives the read buffer,
 * the spare and the record decoder's buffer back.
 *
 * Handshake: the client sends message 1 and waits for message 2; the
 * node reads message 1 within the handshake timeout and asks its owner
 * (server.c) to answer it. A refused or malformed message 1 closes the
 * connection without writing a single byte.
 *
 * Lifetime: a connection holds a reference on itself until both of its
 * handles (TCP, timer) have closed; users and owners take more. Ending
 * is in two steps: ovl__conn_end stops the channels and tells everyone
 * (once); once the go-away is written it sends FIN and reads (dropping)
 * until the peer closes or the linger ends, then closes the handles; the
 * last close callback releases the self reference.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "net-int.h"

#define READ_BUF	(64 * 1024)
#define BATCH_RECORDS	4		/* records per write request */
#define BATCH_MIN	256		/* smallest frame room of a write */

static void conn_flush(struct ovl_conn *);
static void note_busy(struct ovl_conn *);
static void keep_spare(struct ovl_conn *, struct wreq *);

/* Allocates a write request with room for cap bytes. */
struct wreq *
ovl__wreq_new(size_t cap)
{
	struct wreq *w;

	w = malloc(sizeof *w + cap);
	if (w != NULL)
		w->cap = cap;
	return (w);
}

/* Makes a connection. */
int
ovl__conn_new(uv_loop_t *loop, int dialer, const struct ovl_limits *lim,
    const struct ovl__conn_ops *ops, void *owner, struct ovl_conn **out)
{
	struct ovl_conn *c;
	int rc;

	*out = NULL;
	c = calloc(1, sizeof *c);
	if (c == NULL)
		return (-ENOMEM);
	if (lim != NULL)
		c->lim = *lim;
	ovl__limits_fill(&c->lim);
	rc = ovl_rec_init(&c->rec, &c->lim.rekey);
	if (rc != 0) {
		free(c);
		return (rc);
	}
	c->loop = loop;
	c->dialer = dialer;
	c->ops = ops;
	c->owner = owner;
	c->refs = 1;
	c->state = CONN_HS;
	snprintf(c->peer, sizeof c->peer, "?");
	rc = uv_tcp_init(loop, &c->tcp);
	if (rc != 0) {
		ovl_rec_clear(&c->rec);
		free(c);
		return (rc);
	}
	c->nhandles = 1;
	c->tcp.data = c;
	c->stream = (uv_stream_t *)&c->tcp;
	c->rstream = c->stream;
	(void)uv_timer_init(loop, &c->timer);	/* cannot fail on unix */
	c->nhandles = 2;
	*out = c;
	return (0);
}

/* Frees everything; handles are closed. */
static void
conn_free(struct ovl_conn *c)
{
	if (c->mux != NULL)
		ovl_mux_free(c->mux, -ECONNABORTED);
	ovl_hs_client_free(c->hs);
	ovl_rec_clear(&c->rec);
	free(c->rbuf);
	free(c->spare);
	free(c->pings);
	free(c->mv);
	sodium_memzero(c, sizeof *c);
	free(c);
}

/* Takes a reference. */
void
ovl_conn_ref(struct ovl_conn *c, const char *who)
{
	(void)who;
	c->refs++;
}

/* Drops a reference; the last frees (handles are closed by then). */
void
ovl_conn_unref(struct ovl_conn *c, const char *who)
{
	(void)who;
	if (--c->refs > 0)
		return;
	conn_free(c);
}

/* One handle closed; after the last, release the self reference. */
void
ovl__conn_handle_closed(uv_handle_t *h)
{
	struct ovl_conn *c = h->data;

	if (--c->nhandles > 0)
		return;
	if (c->ops != NULL && c->ops->released != NULL)
		c->ops->released(c);
	ovl_conn_unref(c, "self");
}

/* Closes both handles (once). */
void
ovl__conn_close_handles(struct ovl_conn *c)
{
	if (c->closing_handles)
		return;
	c->closing_handles = 1;
	c->tcp.data = c;
	c->timer.data = c;
	if (!c->tcp_closed) {
		c->tcp_closed = 1;
		uv_close((uv_handle_t *)&c->tcp, ovl__conn_handle_closed);
	}
	uv_close((uv_handle_t *)&c->timer, ovl__conn_handle_closed);
	ovl__move_close_handles(c);
}

/* Our FIN went out (or could not): the peer's end, or the linger, ends it. */
static void
on_shutdown(uv_shutdown_t *req, int status)
{
	struct ovl_conn *c = container_of(req, struct ovl_conn, sreq);

	if (status < 0 || c->peer_eof)	/* nothing more will be read */
		ovl__conn_close_handles(c);
	ovl_conn_unref(c, "shutdown");
}

/*
 * After the last write of a closing connection: send FIN and keep reading
 * (and dropping) until the peer closes too. Closing at once with unread
 * bytes in our socket would send a reset, which can destroy our go-away
 * before the peer reads it.
 */
static void
start_shutdown(struct ovl_conn *c)
{
	if (c->shut || c->closing_handles)
		return;
	c->shut = 1;
	if (uv_shutdown(&c->sreq, c->stream, on_shutdown) != 0) {
		ovl__conn_close_handles(c);
		return;
	}
	ovl_conn_ref(c, "shutdown");
}

/* A write finished. */
static void
on_written(uv_write_t *req, int status)
{
	struct wreq *w = container_of(req, struct wreq, req);
	struct ovl_conn *c = w->c;

	c->inflight -= w->len;
	c->last_wdone = uv_now(c->loop);
	keep_spare(c, w);
	note_busy(c);
	if (status < 0 && c->state != CONN_CLOSING)
		ovl__conn_end(c, status, "write failed", 0, 0);
	else if (c->state == CONN_CLOSING) {
		if (status < 0)
			ovl__conn_close_handles(c);
		else if (c->inflight == 0)
			start_shutdown(c);
	} else
		conn_flush(c);
	ovl_conn_unref(c, "write");
}

/* Keeps a finished write's buffer as the spare if it is the larger. */
static void
keep_spare(struct ovl_conn *c, struct wreq *w)
{
	if (c->state == CONN_OPEN && (c->spare == NULL ||
	    c->spare->cap < w->cap)) {
		free(c->spare);		/* the larger one is the spare */
		c->spare = w;
	} else
		free(w);
}

/*
 * Writes len bytes taken from w (already filled). With nothing in
 * flight the bytes go to the socket at once (uv_try_write): a keystroke's
 * record then costs one write(2), where uv_write also costs an epoll_ctl
 * and a callback on the next loop turn. What the socket does not take
 * is queued with uv_write.
 */
int
ovl__conn_write(struct ovl_conn *c, struct wreq *w, size_t len)
{
	uv_buf_t b;
	size_t off = 0;
	int n, rc;

	w->c = c;
	c->last_tx = uv_now(c->loop);
	if (c->inflight == 0) {
		b = uv_buf_init((char *)w->data, (unsigned)len);
		n = uv_try_write(c->stream, &b, 1);
		if (n > 0)
			off = (size_t)n;
		if (off == len) {
			c->last_wdone = c->last_tx;
			keep_spare(c, w);
			note_busy(c);
			return (0);
		}
	}
	w->len = len - off;
	b = uv_buf_init((char *)w->data + off, (unsigned)(len - off));
	rc = uv_write(&w->req, c->stream, &b, 1, on_written);
	if (rc != 0) {
		free(w);
		return (rc);
	}
	c->inflight += w->len;
	ovl_conn_ref(c, "write");
	return (0);
}

/*
 * Bytes of a write for est bytes of frames: BATCH_RECORDS records at
 * most, each with room for its header, tag, a rekey record and one frame
 * header more (a record's end may split a frame).
 */
static size_t
batch_room(size_t est)
{
	size_t nrec;

	if (est < BATCH_MIN)
		est = BATCH_MIN;
	if (est > BATCH_RECORDS * OVL_REC_PT_MAX)
		est = BATCH_RECORDS * OVL_REC_PT_MAX;
	nrec = (est + OVL_REC_PT_MAX - 1) / OVL_REC_PT_MAX;
	return (est + nrec * (OVL_REC_SEAL_MAX(0) + OVL_MUX_HDR));
}

/*
 * Pulls up to BATCH_RECORDS records of frames from the mux into one
 * write, each sealed where it lies.
 */
static int
flush_batch(struct ovl_conn *c)
{
	struct wreq *w;
	size_t off = 0, room, cap, n, m;
	int i, rc;

	room = batch_room(ovl_mux_pending_bytes(c->mux));
	if (c->spare != NULL && c->spare->cap >= room) {
		w = c->spare;
		c->spare = NULL;
		room = w->cap;
	} else {
		w = ovl__wreq_new(room);
		if (w == NULL)
			return (-ENOMEM);
	}
	for (i = 0; i < BATCH_RECORDS; i++) {
		if (room - off < OVL_REC_SEAL_MAX(0) + OVL_MUX_HDR + 1)
			break;
		cap = room - off - OVL_REC_SEAL_MAX(0);
		if (cap > OVL_REC_PT_MAX)
			cap = OVL_REC_PT_MAX;
		n = ovl_mux_pull(c->mux, w->data + off + OVL_REC_HDR, cap);
		if (n == 0)
			break;
		rc = ovl_rec_seal_inplace(&c->rec, uv_now(c->loop),
		    w->data + off, n, &m);
		if (rc != 0) {
			free(w);
			return (rc);
		}
		off += m;
	}
	if (off == 0) {
		free(w);
		return (0);
	}
	rc = ovl__conn_write(c, w, off);
	if (rc != 0)
		return (rc);
	/* the records are queued in order: now user callbacks may run */
	ovl_mux_pulled(c->mux);
	return (1);
}

/*
 * Moves frames from the mux to the stream while under the high-water
 * mark. Re-entered from user callbacks inside ovl_mux_pull: then it only
 * notes that another round is needed.
 */
static void
conn_flush(struct ovl_conn *c)
{
	int rc;

	if (c->state != CONN_OPEN)
		return;
	if (c->flushing || c->in_input) {
		c->flush_again = 1;
		return;
	}
	c->flushing = 1;
	do {
		c->flush_again = 0;
		while (c->state == CONN_OPEN &&
		    c->inflight < OVL_WRITE_HIGH && ovl_mux_pending(c->mux)) {
			rc = flush_batch(c);
			if (rc < 0) {
				c->flushing = 0;
				ovl__conn_end(c, rc, rc == -EOVERFLOW ?
				    "nonce space spent" : "write failed", 0, 0);
				return;
			}
			if (rc == 0)
				break;
		}
	} while (c->flush_again && c->state == CONN_OPEN);
	c->flushing = 0;
}

/* Writes what the mux has left (the go-away) regardless of the mark. */
static void
flush_final(struct ovl_conn *c)
{
	int i;

	for (i = 0; i < 4 && ovl_mux_pending(c->mux); i++)
		if (flush_batch(c) <= 0)
			break;
}

/* Fails every ping still waiting. */
static void
fail_pings(struct ovl_conn *c, int status)
{
	struct ping_wait p;

	while (c->npings > 0) {
		p = ovl__conn_take_ping(c, 0);
		if (p.cb != NULL)
			p.cb(c, status, 0, p.arg);
	}
}

/*
 * Ends the connection once: a go-away if asked and open, channels
 * closed, the user and the owner told; the handles close once the
 * go-away is written (or the linger runs out).
 */
void
ovl__conn_end(struct ovl_conn *c, int status, const char *why, int goaway,
    uint32_t code)
{
	int was_open = c->state == CONN_OPEN;

	if (c->state == CONN_CLOSING)
		return;
	ovl_conn_ref(c, "end");
	if (was_open && goaway) {
		ovl_mux_goaway(c->mux, code, why);
		flush_final(c);
	}
	c->state = CONN_CLOSING;
	c->linger_until = uv_now(c->loop) + OVL__LINGER_MS;
	ovl__move_end(c);
	if (was_open) {
		ovl_mux_shutdown(c->mux, -ECONNABORTED);
		fail_pings(c, -ECONNABORTED);
		if (c->cbs.on_close != NULL)
			c->cbs.on_close(c, status, why, c->arg);
	}
	if (c->ops != NULL && c->ops->ended != NULL)
		c->ops->ended(c, status, why, was_open);
	if (!was_open)
		ovl__conn_close_handles(c);	/* nothing of ours to deliver */
	else {
		if (c->inflight == 0)
			start_shutdown(c);
		ovl__conn_arm_timer(c);
	}
	ovl_conn_unref(c, "end");
}

/* Ends without writing anything more. */
void
ovl__conn_abort(struct ovl_conn *c, int status, const char *why)
{
	if (c->state == CONN_CLOSING) {
		ovl__conn_close_handles(c);
		return;
	}
	ovl__conn_end(c, status, why, 0, 0);
	ovl__conn_close_handles(c);
}

/* Ends with a go-away. */
void
ovl_conn_close(struct ovl_conn *c, uint32_t code, const char *reason)
{
	ovl__conn_end(c, code == OVL_GA_NORMAL ? 0 : -ECONNABORTED,
	    reason != NULL ? reason : "", 1, code);
}

/* The mux got a channel from the peer. */
static void
mux_on_open(struct ovl_mux *m, struct ovl_chan *ch, void *arg)
{
	struct ovl_conn *c = arg;

	(void)m;
	if (c->cbs.on_chan_open != NULL)
		c->cbs.on_chan_open(c, ch, c->arg);
	else
		ovl_chan_reset(ch);
}

/* The mux has frames to send. */
static void
mux_on_want_write(struct ovl_mux *m, void *arg)
{
	(void)m;
	conn_flush(arg);
}

/* A ping came back. */
static void
mux_on_pong(struct ovl_mux *m, uint32_t value, void *arg)
{
	struct ovl_conn *c = arg;
	struct ping_wait p;
	size_t i;

	(void)m;
	for (i = 0; i < c->npings; i++)
		if (c->pings[i].value == value)
			break;
	if (i == c->npings)
		return;
	p = ovl__conn_take_ping(c, i);
	if (p.cb != NULL)
		p.cb(c, 0, (uv_hrtime() - p.sent_ns) / 1000, p.arg);
}

/* The peer said go away. */
static void
mux_on_goaway(struct ovl_mux *m, uint32_t code, const char *reason,
    void *arg)
{
	struct ovl_conn *c = arg;
	char why[OVL_REASON_MAX + 64];

	(void)m;
	snprintf(why, sizeof why, "closed by peer (%s)%s%s",
	    ovl_goaway_name(code), reason[0] != '\0' ? ": " : "", reason);
	ovl__conn_end(c, code == OVL_GA_NORMAL ? -ECONNRESET : -ECONNABORTED,
	    why, 0, 0);
}

static const struct ovl_mux_cbs conn_mux_cbs = {
	.on_open = mux_on_open,
	.on_want_write = mux_on_want_write,
	.on_pong = mux_on_pong,
	.on_goaway = mux_on_goaway,
};

/* Switches to records with the handshake's keys. */
int
ovl__conn_go_open(struct ovl_conn *c, struct ovl_hs_keys *s)
{
	int rc;

	rc = ovl_mux_new(&c->mux, c->dialer, &c->lim.mux, &conn_mux_cbs, c);
	if (rc != 0)
		return (rc);
	ovl_rec_start(&c->rec, &s->tx, &s->rx, uv_now(c->loop));
	memcpy(c->remote_key, s->remote_static, OVL_KEY_LEN);
	c->state = CONN_OPEN;
	c->last_rx = uv_now(c->loop);
	c->last_tx = c->last_rx;
	c->last_wdone = c->last_rx;
	c->last_io = c->last_rx;
	ovl__conn_arm_timer(c);
	if (c->ops != NULL && c->ops->opened != NULL)
		c->ops->opened(c);
	return (0);
}


/* Gives libuv the read buffer, taking one if the connection was quiet. */
static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct ovl_conn *c = h->data;

	(void)hint;
	if (c->rbuf == NULL)
		c->rbuf = malloc(READ_BUF);
	*buf = uv_buf_init((char *)c->rbuf, c->rbuf != NULL ? READ_BUF : 0);
}

/*
 * Node side, first bytes: a dialer begins with message 1 or with a
 * preamble (first byte OVL_PRE_MAGIC), which goes whole to the owner.
 * Returns 1 when the input was used up here.
 */
static int
conn_preamble(struct ovl_conn *c, const uint8_t **p, size_t *len)
{
	size_t n;

	if (c->npre == 0 && (*p)[0] != OVL_PRE_MAGIC) {
		c->pre_done = 1;
		return (0);
	}
	n = OVL_PRE_LEN - c->npre;
	if (n > *len)
		n = *len;
	memcpy(c->pre + c->npre, *p, n);
	c->npre += (uint8_t)n;
	*p += n;
	*len -= n;
	if (c->npre < OVL_PRE_LEN)
		return (1);
	c->pre_done = 1;
	if (c->ops == NULL || c->ops->preamble == NULL)
		ovl__conn_abort(c, -EPROTO, "unexpected preamble");
	else
		c->ops->preamble(c, c->pre, *p, *len);
	return (1);
}

/* Feeds bytes through the record layer to the handshake or the mux. */
static void
conn_input(struct ovl_conn *c, const uint8_t *p, size_t len)
{
	const uint8_t *msg;
	const char *cause;
	size_t used, mlen;
	int rc;

	if (c->state == CONN_HS && !c->dialer && !c->pre_done && len > 0 &&
	    conn_preamble(c, &p, &len))
		return;
	while (len > 0 && c->state != CONN_CLOSING && c->state != CONN_RAW) {
		rc = ovl_rec_feed(&c->rec, p, len, &used, &msg, &mlen);
		p += used;
		len -= used;
		if (rc != 0) {
			if (c->state == CONN_HS)
				ovl__conn_abort(c, rc, rc == -ENOMEM ?
				    "out of memory" :
				    "malformed handshake message");
			else if (rc == -ENOMEM)
				ovl__conn_end(c, rc, "out of memory", 1,
				    OVL_GA_INTERNAL);
			else
				ovl__conn_end(c, rc, rc == -EBADMSG ?
				    "a record failed to decrypt" :
				    "bad record length", 1, OVL_GA_PROTOCOL);
			return;
		}
		if (msg == NULL)
			continue;
		if (c->state == CONN_HS) {
			if (c->dialer)
				ovl__conn_client_msg2(c, msg, mlen);
			else
				ovl__conn_node_msg1(c, msg, mlen);
			continue;
		}
		if (ovl__move_is_record(msg, mlen)) {
			rc = ovl__move_rx(c);
			if (rc == 0 && len > 0)
				rc = -EPROTO;
			if (rc != 0)
				ovl__conn_end(c, rc, "a path move out of turn",
				    1, OVL_GA_PROTOCOL);
			return;
		}
		c->in_input = 1;
		rc = ovl_mux_input(c->mux, msg, mlen, &cause);
		c->in_input = 0;
		if (rc != 0) {
			/* the mux queued a go-away naming the violation */
			ovl__conn_end(c, rc, cause, 1, OVL_GA_PROTOCOL);
			return;
		}
	}
}


/* Bytes of the buffers the connection holds now. */
size_t
ovl__conn_held(const struct ovl_conn *c)
{
	return ((c->rbuf != NULL ? READ_BUF : 0) +
	    (c->spare != NULL ? c->spare->cap : 0) +
	    ovl_rec_held(&c->rec) + c->pings_cap * sizeof c->pings[0]);
}


/* Bytes moved: make sure the timer comes back to give buffers back. */
static void
note_busy(struct ovl_conn *c)
{
	c->last_io = uv_now(c->loop);
	if (!c->quiet_armed && c->state == CONN_OPEN)
		ovl__conn_arm_timer(c);
}

/* Bytes (or the end) from the stream. */
static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct ovl_conn *c = s->data;

	(void)buf;
	if (nread == 0)
		return;
	if (c->state == CONN_CLOSING) {
		if (nread < 0)		/* the peer closed too */
			ovl__conn_close_handles(c);
		return;			/* dropped: we said go-away */
	}
	ovl_conn_ref(c, "read");
	if (nread == UV_EOF)
		c->peer_eof = 1;
	if (nread < 0) {
		if (c->state == CONN_HS)
			ovl__conn_abort(c, nread == UV_EOF ? -ECONNRESET :
			    (int)nread, c->dialer ? "the node closed the "
			    "connection without answering" :
			    "closed during the handshake");
		else
			ovl__conn_end(c, nread == UV_EOF ? -ECONNRESET :
			    (int)nread, nread == UV_EOF ?
			    "connection closed by peer" :
			    uv_strerror((int)nread), 0, 0);
	} else {
		c->last_rx = uv_now(c->loop);
		conn_input(c, (const uint8_t *)buf->base, (size_t)nread);
		if (c->state == CONN_RAW) {	/* the stream is another's */
			free(c->rbuf);
			c->rbuf = NULL;
		}
		if (c->flush_again && c->state == CONN_OPEN)
			conn_flush(c);
		note_busy(c);
	}
	ovl_conn_unref(c, "read");
}

/* Starts reading the stream into the connection. */
int
ovl__conn_read_start(struct ovl_conn *c)
{
	return (uv_read_start(c->rstream, on_alloc, on_read));
}

/* Reads s from now on (a path move: s is the new path's stream). */
int
ovl__conn_read_from(struct ovl_conn *c, uv_stream_t *s)
{
	(void)uv_read_stop(c->rstream);
	c->rstream = s;
	s->data = c;
	return (uv_read_start(s, on_alloc, on_read));
}

/* Moves what the mux has ready to the stream. */
void
ovl__conn_kick(struct ovl_conn *c)
{
	conn_flush(c);
}

/* Takes the stream for raw bytes: no more reads here, no timer. */
uv_stream_t *
ovl__conn_take(struct ovl_conn *c)
{
	(void)uv_read_stop(c->stream);
	(void)uv_timer_stop(&c->timer);
	c->state = CONN_RAW;
	ovl_rec_clear(&c->rec);
	return (c->stream);
}
