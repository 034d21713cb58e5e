/*
 * The channel multiplexer, a pure state machine in the manner of yamux:
 * it reads the plaintext of records (whole frames only, never a frame
 * split across records) and fills the plaintext of records to send. The
 * connection moves the bytes; nothing here does I/O or reads a clock.
 *
 * Frame header, 12 bytes: version (1), type (1), flags (2), channel id
 * (4), length (4), big-endian. Data frames carry length bytes; window
 * updates carry a credit increment in length; pings an opaque value;
 * go-away a 4-byte code and a reason text.
 *
 * Flow control is by credit: each side starts with OVL_WINDOW bytes of
 * credit per channel and grants more as its user consumes. A paused
 * channel holds what arrives (never more than the credit it granted) and
 * grants nothing, so the peer stalls. Writes queue up to a bound, then
 * fail with -ENOBUFS until on_drain. Sending order gives control frames
 * first, then channel 0, then the other channels in turn, in chunks, so a
 * fast stream never starves the control channel.
 *
 * Any violation by the peer (bad version, unknown type or channel, data
 * beyond the window, a frame longer than its record, too many channels)
 * queues a go-away naming it and fails the input; the connection ends.
 *
 * This file holds the state, the channel table and the input side;
 * mux-out.c fills records to send and chan.c is the channel API.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mux-int.h"

/* Reads a big-endian 32-bit value. */
static uint32_t
get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}

/* A short name for a go-away code. */
const char *
ovl_goaway_name(uint32_t code)
{
	static const char *const names[] = {
		[OVL_GA_NORMAL] = "normal",
		[OVL_GA_PROTOCOL] = "protocol error",
		[OVL_GA_INTERNAL] = "internal error",
		[OVL_GA_LIMIT] = "limit exceeded",
		[OVL_GA_IDLE] = "idle timeout",
		[OVL_GA_REVOKED] = "access revoked",
		[OVL_GA_SHUTDOWN] = "shutting down",
		[OVL_GA_CLOCK] = "clock skew",
		[OVL_GA_KEY_EXPIRED] = "access key expired",
		[OVL_GA_KEY_DISABLED] = "access key disabled",
		[OVL_GA_KEY_USED] = "access key used",
	};

	if (code < sizeof names / sizeof names[0])
		return (names[code]);
	return ("unknown");
}

/* Asks the owner to pull. */
void
ovl__mux_want_write(struct ovl_mux *m)
{
	if (!m->dead && m->cbs.on_want_write != NULL)
		m->cbs.on_want_write(m, m->arg);
}

/* Finds an open channel by id. */
static struct ovl_chan *
chan_find(const struct ovl_mux *m, uint32_t id)
{
	struct ovl_chan *c;

	for (c = m->buckets[id % NBUCKETS]; c != NULL; c = c->hnext)
		if (c->id == id)
			return (c);
	return (NULL);
}

/* Drops a reference; the last one frees the channel. */
void
ovl__chan_unref(struct ovl_chan *c)
{
	if (--c->refs > 0)
		return;
	ovl__bufq_free(&c->sendq);
	ovl__bufq_free(&c->held);
	free(c);
}

/* Makes a channel and puts it in the table and at the end of the list. */
static struct ovl_chan *
chan_new(struct ovl_mux *m, uint32_t id, unsigned st)
{
	struct ovl_chan *c;

	c = calloc(1, sizeof *c);
	if (c == NULL)
		return (NULL);
	c->mux = m;
	c->id = id;
	c->st = st;
	c->refs = 1;
	c->credit = m->cfg.window;
	c->rwin = m->cfg.window;
	c->hnext = m->buckets[id % NBUCKETS];
	m->buckets[id % NBUCKETS] = c;
	c->prev = m->tail;
	if (m->tail != NULL)
		m->tail->next = c;
	else
		m->head = c;
	m->tail = c;
	m->nchans++;
	if (id != 0 && (st & CH_LOCAL))
		m->nlocal++;
	else if (id != 0)
		m->npeer++;
	return (c);
}

/* Unlinks a channel from the turn list. */
static void
list_unlink(struct ovl_mux *m, struct ovl_chan *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		m->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		m->tail = c->prev;
	c->prev = c->next = NULL;
}

/* Moves a channel to the end of the turn list. */
void
ovl__mux_to_tail(struct ovl_mux *m, struct ovl_chan *c)
{
	if (m->tail == c)
		return;
	list_unlink(m, c);
	c->prev = m->tail;
	m->tail->next = c;
	m->tail = c;
}

/* Tells the user the channel ended, once; the caller holds a ref. */
void
ovl__chan_notify_close(struct ovl_chan *c, int status)
{
	if (c->st & CH_CLOSED)
		return;
	c->st |= CH_CLOSED;
	if (c->cbs.on_close != NULL)
		c->cbs.on_close(c, status, c->arg);
}

/* Takes a channel out of the table, tells the user, drops the table's ref. */
void
ovl__chan_remove(struct ovl_chan *c, int status)
{
	struct ovl_mux *m = c->mux;
	struct ovl_chan **pp;

	if (c->st & CH_REMOVED)
		return;
	c->st |= CH_REMOVED;
	for (pp = &m->buckets[c->id % NBUCKETS]; *pp != c; pp = &(*pp)->hnext)
		;
	*pp = c->hnext;
	list_unlink(m, c);
	m->nchans--;
	if (c->id != 0 && (c->st & CH_LOCAL))
		m->nlocal--;
	else if (c->id != 0)
		m->npeer--;
	if (c == m->control)
		m->control = NULL;
	m->buffered -= c->sendq.bytes + c->held.bytes;
	ovl__bufq_free(&c->sendq);
	ovl__bufq_free(&c->held);
	ovl__chan_notify_close(c, status);
	ovl__chan_unref(c);
}

/* Makes a multiplexer with channel 0 open. */
int
ovl_mux_new(struct ovl_mux **out, int dialer, const struct ovl_mux_cfg *cfg,
    const struct ovl_mux_cbs *cbs, void *arg)
{
	struct ovl_mux *m;

	*out = NULL;
	m = calloc(1, sizeof *m);
	if (m == NULL)
		return (-ENOMEM);
	if (cfg != NULL)
		m->cfg = *cfg;
	if (m->cfg.max_chans == 0)
		m->cfg.max_chans = OVL_MAX_CHANS;
	if (m->cfg.max_buffered == 0)
		m->cfg.max_buffered = OVL_MAX_BUFFERED;
	if (m->cfg.window == 0)
		m->cfg.window = OVL_WINDOW;
	if (m->cfg.chan_queue == 0)
		m->cfg.chan_queue = OVL_CHAN_QUEUE;
	if (cbs != NULL)
		m->cbs = *cbs;
	m->arg = arg;
	m->dialer = dialer != 0;
	m->next_local = m->dialer ? 1 : 2;
	m->control = chan_new(m, 0, 0);
	if (m->control == NULL) {
		free(m);
		return (-ENOMEM);
	}
	*out = m;
	return (0);
}

/* Ends every channel and refuses further traffic. */
void
ovl_mux_shutdown(struct ovl_mux *m, int status)
{
	m->dead = 1;
	while (m->head != NULL)
		ovl__chan_remove(m->head, status);
}

/* Shuts down and frees. */
void
ovl_mux_free(struct ovl_mux *m, int status)
{
	if (m == NULL)
		return;
	ovl_mux_shutdown(m, status);
	free(m);
}

/* Queues a go-away unless one is already on its way. */
void
ovl_mux_goaway(struct ovl_mux *m, uint32_t code, const char *reason)
{
	size_t n;

	if (m->goaway_out || m->goaway_sent || m->dead)
		return;
	m->goaway_out = 1;
	m->goaway_code = code;
	n = reason != NULL ? strlen(reason) : 0;
	if (n > OVL_REASON_MAX)
		n = OVL_REASON_MAX;
	if (n > 0)
		memcpy(m->goaway_reason, reason, n);
	m->goaway_reason[n] = '\0';
	ovl__mux_want_write(m);
}

/* Records a violation: go-away, sticky error, cause for the log. */
static int
violation(struct ovl_mux *m, uint32_t code, const char *why,
    const char **cause)
{
	ovl_mux_goaway(m, code, why);
	m->err = code == OVL_GA_LIMIT ? -ENOBUFS : -EPROTO;
	*cause = why;
	return (m->err);
}

/* Grants credit back once half the window has been consumed. */
void
ovl__chan_consumed(struct ovl_chan *c, size_t n)
{
	c->unacked += (uint32_t)n;
	if (c->unacked >= c->mux->cfg.window / 2 && !(c->st & CH_GRANT)) {
		c->st |= CH_GRANT;
		ovl__mux_want_write(c->mux);
	}
}

/* Hands bytes (or EOF when len is 0) to the user; the caller holds a ref. */
void
ovl__chan_deliver(struct ovl_chan *c, const uint8_t *p, size_t len)
{
	if (c->cbs.on_data != NULL)
		c->cbs.on_data(c, p, len, c->arg);
}

/* Ends a channel once both sides have finished. */
void
ovl__chan_maybe_finish(struct ovl_chan *c)
{
	if ((c->st & CH_FIN_SENT) && (c->st & CH_FIN_RECV) &&
	    !(c->st & CH_EOF_HELD) && c->held.bytes == 0)
		ovl__chan_remove(c, 0);
}

/* The peer opened channel id (a SYN). */
static int
peer_open(struct ovl_mux *m, uint32_t id, struct ovl_chan **out,
    const char **cause)
{
	struct ovl_chan *c;
	int closed;

	if (chan_find(m, id) != NULL)
		return (violation(m, OVL_GA_PROTOCOL,
		    "SYN for a channel already open", cause));
	if (id == 0 || (id & 1) != (m->dialer ? 0 : 1))
		return (violation(m, OVL_GA_PROTOCOL,
		    "SYN with a channel id of the wrong side", cause));
	if (id <= m->peer_last)
		return (violation(m, OVL_GA_PROTOCOL,
		    "SYN reusing a channel id", cause));
	if (m->npeer >= m->cfg.max_chans)
		return (violation(m, OVL_GA_LIMIT, "too many channels",
		    cause));
	c = chan_new(m, id, CH_ACK_OUT);
	if (c == NULL)
		return (violation(m, OVL_GA_INTERNAL, "out of memory", cause));
	m->peer_last = id;
	*out = c;
	ovl__mux_want_write(m);
	c->refs++;
	if (m->cbs.on_open != NULL)
		m->cbs.on_open(m, c, m->arg);
	else
		ovl_chan_reset(c);
	closed = (c->st & CH_CLOSED) || m->dead;
	if (closed) {
		ovl__chan_unref(c);
		*out = NULL;
	} else
		c->refs--;	/* the table's ref remains */
	return (0);
}

/* Tells whether an id not in the table was once a channel. */
static int
was_open(const struct ovl_mux *m, uint32_t id)
{
	if (id == 0)
		return (0);
	if ((id & 1) == (m->dialer ? 1 : 0))
		return (id < m->next_local);
	return (id <= m->peer_last);
}

/* Handles the data of a frame for an open channel. */
static int
chan_data(struct ovl_mux *m, struct ovl_chan *c, const uint8_t *p,
    uint32_t len, const char **cause)
{
	if (len == 0)
		return (0);
	if (c->st & CH_FIN_RECV)
		return (violation(m, OVL_GA_PROTOCOL, "data after FIN",
		    cause));
	if (len > c->rwin)
		return (violation(m, OVL_GA_PROTOCOL,
		    "data beyond the window", cause));
	c->rwin -= len;
	if (c->st & CH_PAUSED || c->held.bytes > 0) {
		if (m->buffered + len > m->cfg.max_buffered)
			return (violation(m, OVL_GA_LIMIT,
			    "receive buffers full", cause));
		if (ovl__bufq_push(&c->held, p, len) != 0)
			return (violation(m, OVL_GA_INTERNAL,
			    "out of memory", cause));
		m->buffered += len;
		return (0);
	}
	ovl__chan_deliver(c, p, len);
	if (!(c->st & CH_CLOSED))
		ovl__chan_consumed(c, len);
	return (0);
}

/* Handles a data or window frame: open, payload, FIN, RST. */
static int
chan_frame(struct ovl_mux *m, uint8_t type, uint16_t flags, uint32_t id,
    uint32_t len, const uint8_t *p, const char **cause)
{
	struct ovl_chan *c;
	uint64_t credit;
	int rc;

	c = chan_find(m, id);
	if (flags & OVL_FL_SYN) {
		rc = peer_open(m, id, &c, cause);
		if (rc != 0 || c == NULL)
			return (rc);
	} else if (c == NULL) {
		if (was_open(m, id))
			return (0);	/* in flight when it closed */
		return (violation(m, OVL_GA_PROTOCOL,
		    "frame for an unknown channel", cause));
	}
	if (c->st & CH_CLOSED)
		return (0);
	if (id == 0 && (flags & (OVL_FL_FIN | OVL_FL_RST)))
		return (violation(m, OVL_GA_PROTOCOL,
		    "FIN or RST on channel 0", cause));
	if (flags & OVL_FL_RST) {
		ovl__chan_remove(c, -ECONNRESET);
		return (0);
	}
	if (type == OVL_FT_DATA) {
		c->refs++;
		rc = chan_data(m, c, p, len, cause);
		if (rc != 0 || (c->st & CH_CLOSED) || m->dead) {
			ovl__chan_unref(c);
			return (rc);
		}
		c->refs--;
	} else {
		credit = (uint64_t)c->credit + len;
		if (credit > INT32_MAX)
			return (violation(m, OVL_GA_PROTOCOL,
			    "window beyond 2^31", cause));
		if (c->credit == 0 && len > 0 && c->sendq.bytes > 0)
			ovl__mux_want_write(m);
		c->credit = (uint32_t)credit;
	}
	if (flags & OVL_FL_FIN) {
		if (c->st & CH_FIN_RECV)
			return (violation(m, OVL_GA_PROTOCOL, "second FIN",
			    cause));
		c->st |= CH_FIN_RECV;
		if (c->held.bytes > 0) {
			c->st |= CH_EOF_HELD;
			return (0);
		}
		c->refs++;
		ovl__chan_deliver(c, NULL, 0);
		if (!(c->st & CH_CLOSED))
			ovl__chan_maybe_finish(c);
		ovl__chan_unref(c);
	}
	return (0);
}

/* Handles a ping request or reply. */
static int
ping_frame(struct ovl_mux *m, uint16_t flags, uint32_t id, uint32_t value,
    const char **cause)
{
	if (id != 0)
		return (violation(m, OVL_GA_PROTOCOL,
		    "ping on a channel other than 0", cause));
	if (flags == OVL_FL_SYN) {
		if (m->npongs >= OVL_MAX_PINGS)
			return (violation(m, OVL_GA_LIMIT, "ping flood",
			    cause));
		m->pongs[m->npongs++] = value;
		ovl__mux_want_write(m);
		return (0);
	}
	if (flags == OVL_FL_ACK) {
		if (m->cbs.on_pong != NULL)
			m->cbs.on_pong(m, value, m->arg);
		return (0);
	}
	return (violation(m, OVL_GA_PROTOCOL, "ping with bad flags", cause));
}

/* Handles a go-away: keep its reason (printable) and tell the owner. */
static int
goaway_frame(struct ovl_mux *m, uint32_t id, const uint8_t *p, uint32_t len,
    const char **cause)
{
	char reason[OVL_REASON_MAX + 1];
	uint32_t code, i, n;

	if (id != 0 || len < 4 || len > 4 + OVL_REASON_MAX)
		return (violation(m, OVL_GA_PROTOCOL, "malformed go-away",
		    cause));
	code = get32(p);
	n = len - 4;
	for (i = 0; i < n; i++)
		reason[i] = p[4 + i] < 0x20 || p[4 + i] == 0x7f ? '?' :
		    (char)p[4 + i];
	reason[n] = '\0';
	m->goaway_recv = 1;
	if (m->cbs.on_goaway != NULL)
		m->cbs.on_goaway(m, code, reason, m->arg);
	return (0);
}

/* Reads the frames of one record. */
int
ovl_mux_input(struct ovl_mux *m, const uint8_t *pt, size_t len,
    const char **cause)
{
	uint32_t id, flen;
	uint16_t flags;
	uint8_t type;
	size_t off = 0;
	int rc;

	*cause = NULL;
	if (m->err != 0) {
		*cause = "input after a violation";
		return (m->err);
	}
	while (off < len && !m->dead && !m->goaway_recv) {
		if (len - off < OVL_MUX_HDR)
			return (violation(m, OVL_GA_PROTOCOL,
			    "truncated frame header", cause));
		if (pt[off] != OVL_MUX_VERSION)
			return (violation(m, OVL_GA_PROTOCOL,
			    "unknown frame version", cause));
		type = pt[off + 1];
		flags = (uint16_t)(pt[off + 2] << 8 | pt[off + 3]);
		id = get32(pt + off + 4);
		flen = get32(pt + off + 8);
		off += OVL_MUX_HDR;
		switch (type) {
		case OVL_FT_DATA:
			if (flen > len - off)
				return (violation(m, OVL_GA_PROTOCOL,
				    "frame longer than its record", cause));
			rc = chan_frame(m, type, flags, id, flen, pt + off,
			    cause);
			off += flen;
			break;
		case OVL_FT_WINDOW:
			rc = chan_frame(m, type, flags, id, flen, NULL, cause);
			break;
		case OVL_FT_PING:
			rc = ping_frame(m, flags, id, flen, cause);
			break;
		case OVL_FT_GOAWAY:
			if (flen > len - off)
				return (violation(m, OVL_GA_PROTOCOL,
				    "frame longer than its record", cause));
			rc = goaway_frame(m, id, pt + off, flen, cause);
			off += flen;
			break;
		case OVL_FT_REKEY:
			return (violation(m, OVL_GA_PROTOCOL,
			    "rekey frame not alone in its record", cause));
		default:
			return (violation(m, OVL_GA_PROTOCOL,
			    "unknown frame type", cause));
		}
		if (rc != 0)
			return (rc);
	}
	return (0);
}

/* Queues a ping request. */
int
ovl_mux_ping(struct ovl_mux *m, uint32_t value)
{
	if (m->dead || m->goaway_out || m->goaway_sent)
		return (-EPIPE);
	if (m->npings >= OVL_MAX_PINGS)
		return (-ENOBUFS);
	m->pings[m->npings++] = value;
	ovl__mux_want_write(m);
	return (0);
}

/* Tells whether a go-away was queued, sent or received. */
int
ovl_mux_closing(const struct ovl_mux *m)
{
	return (m->dead || m->goaway_out || m->goaway_sent || m->goaway_recv);
}

/* Bytes held in queues. */
size_t
ovl_mux_buffered(const struct ovl_mux *m)
{
	return (m->buffered);
}

/* Channels open, channel 0 included. */
size_t
ovl_mux_nchans(const struct ovl_mux *m)
{
	return (m->nchans);
}

/* Opens a channel with the next local id. */
int
ovl_mux_open(struct ovl_mux *m, struct ovl_chan **out)
{
	struct ovl_chan *c;

	*out = NULL;
	if (ovl_mux_closing(m))
		return (-EPIPE);
	if (m->nlocal >= m->cfg.max_chans || m->next_local > UINT32_MAX - 2)
		return (-EMFILE);
	c = chan_new(m, m->next_local, CH_LOCAL | CH_SYN_OUT);
	if (c == NULL)
		return (-ENOMEM);
	m->next_local += 2;
	*out = c;
	ovl__mux_want_write(m);
	return (0);
}

/* Channel 0. */
struct ovl_chan *
ovl_mux_control(struct ovl_mux *m)
{
	return (m->control);
}

/* Changes the channel limit. */
void
ovl_mux_set_max_chans(struct ovl_mux *m, uint32_t n)
{
	if (n > 0)
		m->cfg.max_chans = n;
}

/* The owner's argument. */
void *
ovl_mux_arg(const struct ovl_mux *m)
{
	return (m->arg);
}
