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
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "overlay.h"

#define CHUNK_MAX	(16 * 1024)	/* data bytes a channel sends per turn */
#define NBUCKETS	64		/* channel hash buckets */

/* Channel state bits. */
#define CH_LOCAL	0x0001	/* opened by this side */
#define CH_SYN_OUT	0x0002	/* our SYN is still to send */
#define CH_ACK_OUT	0x0004	/* our ACK is still to send */
#define CH_GRANT	0x0008	/* a window update is due */
#define CH_FIN_WANT	0x0010	/* the user closed: FIN after the queue */
#define CH_FIN_SENT	0x0020
#define CH_FIN_RECV	0x0040
#define CH_RST_OUT	0x0080	/* reset locally: RST is still to send */
#define CH_PAUSED	0x0100
#define CH_EOF_HELD	0x0200	/* FIN came while data was held */
#define CH_DRAIN	0x0400	/* the user waits for on_drain */
#define CH_DRAIN_NOW	0x0800	/* on_drain is due */
#define CH_DELIVERING	0x1000	/* resume is delivering held data */
#define CH_CLOSED	0x2000	/* on_close was called */
#define CH_REMOVED	0x4000	/* out of the table and the list */

/* A piece of queued bytes. */
struct qchunk {
	struct qchunk	*next;
	size_t		 len;
	size_t		 off;
	uint8_t		 data[];
};

/* A FIFO of byte chunks. */
struct bufq {
	struct qchunk	*head;
	struct qchunk	*tail;
	size_t		 bytes;
};

struct ovl_chan {
	struct ovl_mux		*mux;
	struct ovl_chan		*hnext;		/* hash chain */
	struct ovl_chan		*prev;		/* list of all, in turn order */
	struct ovl_chan		*next;
	uint32_t		 id;
	unsigned		 st;
	int			 refs;
	uint32_t		 credit;	/* bytes we may still send */
	uint32_t		 rwin;		/* bytes the peer may still send */
	uint32_t		 unacked;	/* consumed, not yet granted */
	struct bufq		 sendq;
	struct bufq		 held;		/* arrived while paused */
	struct ovl_chan_cbs	 cbs;
	void			*arg;
	void			*data;
};

struct ovl_mux {
	struct ovl_mux_cfg	 cfg;
	struct ovl_mux_cbs	 cbs;
	void			*arg;
	int			 dialer;
	struct ovl_chan		*buckets[NBUCKETS];
	struct ovl_chan		*head;		/* all channels, turn order */
	struct ovl_chan		*tail;
	struct ovl_chan		*control;
	uint32_t		 next_local;	/* next id we open */
	uint32_t		 peer_last;	/* highest id the peer opened */
	uint32_t		 nlocal;	/* open channels we opened */
	uint32_t		 npeer;		/* ... the peer opened */
	size_t			 nchans;
	size_t			 buffered;
	uint32_t		 pings[OVL_MAX_PINGS];
	size_t			 npings;
	uint32_t		 pongs[OVL_MAX_PINGS];
	size_t			 npongs;
	int			 goaway_out;	/* queued, not sent */
	int			 goaway_sent;
	int			 goaway_recv;
	uint32_t		 goaway_code;
	char			 goaway_reason[OVL_REASON_MAX + 1];
	int			 err;		/* sticky input error */
	int			 dead;		/* shut down */
};

/* Writes a frame header. */
static void
put_hdr(uint8_t *p, uint8_t type, uint16_t flags, uint32_t id, uint32_t len)
{
	p[0] = OVL_MUX_VERSION;
	p[1] = type;
	p[2] = (uint8_t)(flags >> 8);
	p[3] = (uint8_t)flags;
	p[4] = (uint8_t)(id >> 24);
	p[5] = (uint8_t)(id >> 16);
	p[6] = (uint8_t)(id >> 8);
	p[7] = (uint8_t)id;
	p[8] = (uint8_t)(len >> 24);
	p[9] = (uint8_t)(len >> 16);
	p[10] = (uint8_t)(len >> 8);
	p[11] = (uint8_t)len;
}

/* Reads a big-endian 32-bit value. */
static uint32_t
get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}

/* Appends a copy of len bytes; -ENOMEM. */
static int
bufq_push(struct bufq *q, const uint8_t *p, size_t len)
{
	struct qchunk *k;

	k = malloc(sizeof *k + len);
	if (k == NULL)
		return (-ENOMEM);
	k->next = NULL;
	k->len = len;
	k->off = 0;
	memcpy(k->data, p, len);
	if (q->tail != NULL)
		q->tail->next = k;
	else
		q->head = k;
	q->tail = k;
	q->bytes += len;
	return (0);
}

/* Copies n bytes off the front of the queue into out. */
static void
bufq_take(struct bufq *q, uint8_t *out, size_t n)
{
	struct qchunk *k;
	size_t take;

	while (n > 0) {
		k = q->head;
		take = k->len - k->off;
		if (take > n)
			take = n;
		memcpy(out, k->data + k->off, take);
		out += take;
		n -= take;
		k->off += take;
		q->bytes -= take;
		if (k->off == k->len) {
			q->head = k->next;
			if (q->head == NULL)
				q->tail = NULL;
			free(k);
		}
	}
}

/* Frees every chunk. */
static void
bufq_free(struct bufq *q)
{
	struct qchunk *k, *next;

	for (k = q->head; k != NULL; k = next) {
		next = k->next;
		free(k);
	}
	memset(q, 0, sizeof *q);
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
	};

	if (code < sizeof names / sizeof names[0])
		return (names[code]);
	return ("unknown");
}

/* Asks the owner to pull. */
static void
want_write(struct ovl_mux *m)
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
static void
chan_unref(struct ovl_chan *c)
{
	if (--c->refs > 0)
		return;
	bufq_free(&c->sendq);
	bufq_free(&c->held);
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
static void
list_to_tail(struct ovl_mux *m, struct ovl_chan *c)
{
	if (m->tail == c)
		return;
	list_unlink(m, c);
	c->prev = m->tail;
	m->tail->next = c;
	m->tail = c;
}

/* Tells the user the channel ended, once; the caller holds a ref. */
static void
chan_notify_close(struct ovl_chan *c, int status)
{
	if (c->st & CH_CLOSED)
		return;
	c->st |= CH_CLOSED;
	if (c->cbs.on_close != NULL)
		c->cbs.on_close(c, status, c->arg);
}

/* Takes a channel out of the table, tells the user, drops the table's ref. */
static void
chan_remove(struct ovl_chan *c, int status)
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
	bufq_free(&c->sendq);
	bufq_free(&c->held);
	chan_notify_close(c, status);
	chan_unref(c);
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
		chan_remove(m->head, status);
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
	want_write(m);
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
static void
consumed(struct ovl_chan *c, size_t n)
{
	c->unacked += (uint32_t)n;
	if (c->unacked >= c->mux->cfg.window / 2 && !(c->st & CH_GRANT)) {
		c->st |= CH_GRANT;
		want_write(c->mux);
	}
}

/* Hands bytes (or EOF when len is 0) to the user. */
static void
deliver(struct ovl_chan *c, const uint8_t *p, size_t len)
{
	if (c->cbs.on_data != NULL) {
		c->refs++;
		c->cbs.on_data(c, p, len, c->arg);
		chan_unref(c);
	}
}

/* Ends a channel once both sides have finished. */
static void
maybe_finish(struct ovl_chan *c)
{
	if ((c->st & CH_FIN_SENT) && (c->st & CH_FIN_RECV) &&
	    !(c->st & CH_EOF_HELD) && c->held.bytes == 0)
		chan_remove(c, 0);
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
	want_write(m);
	c->refs++;
	if (m->cbs.on_open != NULL)
		m->cbs.on_open(m, c, m->arg);
	else
		ovl_chan_reset(c);
	closed = (c->st & CH_CLOSED) || m->dead;
	if (closed) {
		chan_unref(c);
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
		if (bufq_push(&c->held, p, len) != 0)
			return (violation(m, OVL_GA_INTERNAL,
			    "out of memory", cause));
		m->buffered += len;
		return (0);
	}
	deliver(c, p, len);
	if (!(c->st & CH_CLOSED))
		consumed(c, len);
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
		chan_remove(c, -ECONNRESET);
		return (0);
	}
	if (type == OVL_FT_DATA) {
		c->refs++;
		rc = chan_data(m, c, p, len, cause);
		if (rc != 0 || (c->st & CH_CLOSED) || m->dead) {
			chan_unref(c);
			return (rc);
		}
		c->refs--;
	} else {
		credit = (uint64_t)c->credit + len;
		if (credit > INT32_MAX)
			return (violation(m, OVL_GA_PROTOCOL,
			    "window beyond 2^31", cause));
		if (c->credit == 0 && len > 0 && c->sendq.bytes > 0)
			want_write(m);
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
		deliver(c, NULL, 0);
		if (!(c->st & CH_CLOSED))
			maybe_finish(c);
		chan_unref(c);
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
		want_write(m);
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

/* Tells whether a channel has data (or a FIN) it may send now. */
static int
chan_ready(const struct ovl_chan *c)
{
	if (c->st & (CH_CLOSED | CH_REMOVED))
		return (0);
	if (c->sendq.bytes > 0)
		return (c->credit > 0);
	return ((c->st & (CH_FIN_WANT | CH_FIN_SENT)) == CH_FIN_WANT);
}

/* Tells whether a channel has a control frame to send. */
static int
chan_ctl(const struct ovl_chan *c)
{
	if (c->st & CH_REMOVED)
		return (0);
	if (c->st & CH_RST_OUT)
		return (1);
	if (c->st & CH_CLOSED)
		return (0);
	return ((c->st & (CH_SYN_OUT | CH_ACK_OUT | CH_GRANT)) != 0);
}

/* Tells whether ovl_mux_pull has something to give. */
int
ovl_mux_pending(const struct ovl_mux *m)
{
	const struct ovl_chan *c;

	if (m->dead || m->goaway_sent)
		return (0);
	if (m->npings > 0 || m->npongs > 0 || m->goaway_out)
		return (1);
	for (c = m->head; c != NULL; c = c->next)
		if (chan_ctl(c) || chan_ready(c))
			return (1);
	return (0);
}

/* Writes one channel's control frame (SYN, ACK, grant or RST). */
static size_t
put_ctl(struct ovl_chan *c, uint8_t *p)
{
	uint16_t flags = 0;
	uint32_t delta = 0;

	if (c->st & CH_RST_OUT) {
		put_hdr(p, OVL_FT_WINDOW, OVL_FL_RST, c->id, 0);
		c->st &= ~CH_RST_OUT;
		chan_remove(c, -ECONNRESET);
		return (OVL_MUX_HDR);
	}
	if (c->st & CH_SYN_OUT)
		flags |= OVL_FL_SYN;
	if (c->st & CH_ACK_OUT)
		flags |= OVL_FL_ACK;
	if (c->st & CH_GRANT) {
		delta = c->unacked;
		c->rwin += delta;
		c->unacked = 0;
	}
	c->st &= ~(CH_SYN_OUT | CH_ACK_OUT | CH_GRANT);
	put_hdr(p, OVL_FT_WINDOW, flags, c->id, delta);
	return (OVL_MUX_HDR);
}

/* Gives one channel a turn: a data frame of up to CHUNK_MAX bytes. */
static size_t
put_data(struct ovl_chan *c, uint8_t *p, size_t room)
{
	struct ovl_mux *m = c->mux;
	uint16_t flags = 0;
	size_t n;

	n = c->sendq.bytes;
	if (n > c->credit)
		n = c->credit;
	if (n > CHUNK_MAX)
		n = CHUNK_MAX;
	if (n > room - OVL_MUX_HDR)
		n = room - OVL_MUX_HDR;
	if ((c->st & CH_FIN_WANT) && n == c->sendq.bytes)
		flags |= OVL_FL_FIN;
	if (c->st & CH_SYN_OUT)
		flags |= OVL_FL_SYN;
	c->st &= ~CH_SYN_OUT;
	put_hdr(p, OVL_FT_DATA, flags, c->id, (uint32_t)n);
	bufq_take(&c->sendq, p + OVL_MUX_HDR, n);
	c->credit -= (uint32_t)n;
	m->buffered -= n;
	if (c->sendq.bytes == 0 && (c->st & CH_DRAIN))
		c->st = (c->st & ~CH_DRAIN) | CH_DRAIN_NOW;
	if (flags & OVL_FL_FIN)
		c->st |= CH_FIN_SENT;
	return (OVL_MUX_HDR + n);
}

/* Runs due drains and finishes after a pull (user callbacks). */
static void
after_pull(struct ovl_mux *m)
{
	struct ovl_chan *c;

again:
	for (c = m->head; c != NULL && !m->dead; c = c->next) {
		if ((c->st & CH_FIN_SENT) && (c->st & CH_FIN_RECV) &&
		    !(c->st & CH_EOF_HELD) && c->held.bytes == 0) {
			chan_remove(c, 0);
			goto again;
		}
		if (c->st & CH_DRAIN_NOW) {
			c->st &= ~CH_DRAIN_NOW;
			if (c->cbs.on_drain != NULL) {
				c->refs++;
				c->cbs.on_drain(c, c->arg);
				chan_unref(c);
			}
			goto again;
		}
	}
}

/* Fills buf with whole frames for one record. */
size_t
ovl_mux_pull(struct ovl_mux *m, uint8_t *buf, size_t cap)
{
	struct ovl_chan *c, *next;
	size_t off = 0, reason_len;
	int served;

	if (m->dead || m->goaway_sent)
		return (0);
	while (m->npongs > 0 && off + OVL_MUX_HDR <= cap) {
		put_hdr(buf + off, OVL_FT_PING, OVL_FL_ACK, 0, m->pongs[0]);
		memmove(m->pongs, m->pongs + 1, --m->npongs * sizeof(uint32_t));
		off += OVL_MUX_HDR;
	}
	while (m->npings > 0 && off + OVL_MUX_HDR <= cap) {
		put_hdr(buf + off, OVL_FT_PING, OVL_FL_SYN, 0, m->pings[0]);
		memmove(m->pings, m->pings + 1, --m->npings * sizeof(uint32_t));
		off += OVL_MUX_HDR;
	}
	for (c = m->head; c != NULL && off + OVL_MUX_HDR <= cap; c = next) {
		next = c->next;
		if (chan_ctl(c))
			off += put_ctl(c, buf + off);
	}
	if (m->goaway_out) {
		reason_len = strlen(m->goaway_reason);
		if (off + OVL_MUX_HDR + 4 + reason_len > cap)
			return (off);
		put_hdr(buf + off, OVL_FT_GOAWAY, 0, 0,
		    (uint32_t)(4 + reason_len));
		off += OVL_MUX_HDR;
		buf[off++] = (uint8_t)(m->goaway_code >> 24);
		buf[off++] = (uint8_t)(m->goaway_code >> 16);
		buf[off++] = (uint8_t)(m->goaway_code >> 8);
		buf[off++] = (uint8_t)m->goaway_code;
		memcpy(buf + off, m->goaway_reason, reason_len);
		off += reason_len;
		m->goaway_out = 0;
		m->goaway_sent = 1;
		return (off);
	}
	while (off + OVL_MUX_HDR < cap) {
		c = m->control;
		if (c != NULL && chan_ready(c)) {
			off += put_data(c, buf + off, cap - off);
			continue;
		}
		served = 0;
		for (c = m->head; c != NULL; c = c->next) {
			if (c == m->control || !chan_ready(c))
				continue;
			off += put_data(c, buf + off, cap - off);
			list_to_tail(m, c);
			served = 1;
			break;
		}
		if (!served)
			break;
	}
	after_pull(m);
	return (off);
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
	want_write(m);
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
	want_write(m);
	return (0);
}

/* Channel 0. */
struct ovl_chan *
ovl_mux_control(struct ovl_mux *m)
{
	return (m->control);
}

/* The owner's argument. */
void *
ovl_mux_arg(const struct ovl_mux *m)
{
	return (m->arg);
}

/* Sets a channel's callbacks. */
void
ovl_chan_set_cbs(struct ovl_chan *c, const struct ovl_chan_cbs *cbs,
    void *arg)
{
	if (cbs != NULL)
		c->cbs = *cbs;
	else
		memset(&c->cbs, 0, sizeof c->cbs);
	c->arg = arg;
}

/* Queues bytes to send, all or nothing. */
int
ovl_chan_write(struct ovl_chan *c, const void *buf, size_t len)
{
	struct ovl_mux *m = c->mux;
	int rc;

	if ((c->st & (CH_CLOSED | CH_FIN_WANT)) || ovl_mux_closing(m))
		return (-EPIPE);
	if (len == 0)
		return (0);
	if (c->sendq.bytes + len > m->cfg.chan_queue ||
	    m->buffered + len > m->cfg.max_buffered) {
		c->st |= CH_DRAIN;
		return (-ENOBUFS);
	}
	rc = bufq_push(&c->sendq, buf, len);
	if (rc != 0)
		return (rc);
	m->buffered += len;
	c->st |= CH_DRAIN;
	if (c->credit > 0)
		want_write(m);
	return (0);
}

/* Bytes queued on a channel. */
size_t
ovl_chan_queued(const struct ovl_chan *c)
{
	return (c->sendq.bytes);
}

/* Stops delivering and granting. */
void
ovl_chan_pause(struct ovl_chan *c)
{
	c->st |= CH_PAUSED;
}

/* Delivers held data and grants credit again. */
void
ovl_chan_resume(struct ovl_chan *c)
{
	struct ovl_mux *m = c->mux;
	struct qchunk *k;

	c->st &= ~CH_PAUSED;
	if (c->st & (CH_DELIVERING | CH_CLOSED))
		return;
	c->st |= CH_DELIVERING;
	c->refs++;
	while (c->held.head != NULL && !(c->st & (CH_PAUSED | CH_CLOSED))) {
		k = c->held.head;
		c->held.head = k->next;
		if (c->held.head == NULL)
			c->held.tail = NULL;
		c->held.bytes -= k->len;
		m->buffered -= k->len;
		deliver(c, k->data, k->len);
		if (!(c->st & CH_CLOSED))
			consumed(c, k->len);
		free(k);
	}
	if ((c->st & CH_EOF_HELD) && c->held.bytes == 0 &&
	    !(c->st & (CH_PAUSED | CH_CLOSED))) {
		c->st &= ~CH_EOF_HELD;
		deliver(c, NULL, 0);
		if (!(c->st & CH_CLOSED))
			maybe_finish(c);
	}
	c->st &= ~CH_DELIVERING;
	chan_unref(c);
}

/* Finishes sending after the queue. */
int
ovl_chan_close(struct ovl_chan *c)
{
	if (c->id == 0)
		return (-EINVAL);
	if (c->st & (CH_CLOSED | CH_FIN_WANT))
		return (-EPIPE);
	c->st |= CH_FIN_WANT;
	want_write(c->mux);
	return (0);
}

/* Abandons a channel: RST goes out, the user hears on_close now. */
void
ovl_chan_reset(struct ovl_chan *c)
{
	struct ovl_mux *m = c->mux;

	if (c->id == 0 || (c->st & CH_CLOSED))
		return;
	m->buffered -= c->sendq.bytes + c->held.bytes;
	bufq_free(&c->sendq);
	bufq_free(&c->held);
	c->st &= ~(CH_SYN_OUT | CH_ACK_OUT | CH_GRANT | CH_DRAIN_NOW);
	if (m->dead || ovl_mux_closing(m)) {
		chan_remove(c, -ECONNRESET);
		return;
	}
	c->st |= CH_RST_OUT;
	c->refs++;
	chan_notify_close(c, -ECONNRESET);
	chan_unref(c);
	want_write(m);
}

/* The channel's id. */
uint32_t
ovl_chan_id(const struct ovl_chan *c)
{
	return (c->id);
}

/* Credit left to send. */
uint32_t
ovl_chan_credit(const struct ovl_chan *c)
{
	return (c->credit);
}

/* The channel's multiplexer. */
struct ovl_mux *
ovl_chan_mux(const struct ovl_chan *c)
{
	return (c->mux);
}

/* Sets the user's pointer. */
void
ovl_chan_set_data(struct ovl_chan *c, void *data)
{
	c->data = data;
}

/* Returns the user's pointer. */
void *
ovl_chan_data(const struct ovl_chan *c)
{
	return (c->data);
}
