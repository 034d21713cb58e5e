/*
 * The multiplexer's sending side: fills the plaintext of one record with
 * whole frames. Order: ping replies and requests, then per-channel
 * control (SYN, ACK, credit, RST), then a go-away (after which nothing
 * more is sent), then channel 0's data, then the other channels in turn,
 * CHUNK_MAX bytes each per turn, so a bulk stream never holds the
 * control channel back by more than one record. A pull calls no user
 * code: what it makes due (on_drain, a channel finished by our FIN) runs
 * in ovl_mux_pulled, once the records are on their way, so a callback
 * that writes or closes cannot reorder records being sealed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mux-int.h"

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

/*
 * About the plaintext bytes pulls would give now, frame headers included:
 * what to allocate for them. Exact unless a record's end splits a frame.
 */
size_t
ovl_mux_pending_bytes(const struct ovl_mux *m)
{
	const struct ovl_chan *c;
	size_t n, d;

	if (m->dead || m->goaway_sent)
		return (0);
	n = (m->npings + m->npongs) * OVL_MUX_HDR;
	if (m->goaway_out)
		n += OVL_MUX_HDR + 4 + strlen(m->goaway_reason);
	for (c = m->head; c != NULL; c = c->next) {
		if (chan_ctl(c))
			n += OVL_MUX_HDR;
		if (!chan_ready(c))
			continue;
		d = c->sendq.bytes < c->credit ? c->sendq.bytes : c->credit;
		n += d + OVL_MUX_HDR * (d / CHUNK_MAX + 1);
	}
	return (n);
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
		ovl__chan_remove(c, -ECONNRESET);
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
	ovl__bufq_take(&c->sendq, p + OVL_MUX_HDR, n);
	c->credit -= (uint32_t)n;
	m->buffered -= n;
	if (c->sendq.bytes == 0 && (c->st & CH_DRAIN))
		c->st = (c->st & ~CH_DRAIN) | CH_DRAIN_NOW;
	if (flags & OVL_FL_FIN)
		c->st |= CH_FIN_SENT;
	return (OVL_MUX_HDR + n);
}

/* Runs what pulls made due: finished channels, then drains. */
void
ovl_mux_pulled(struct ovl_mux *m)
{
	struct ovl_chan *c;

again:
	for (c = m->head; c != NULL && !m->dead; c = c->next) {
		if ((c->st & CH_FIN_SENT) && (c->st & CH_FIN_RECV) &&
		    !(c->st & CH_EOF_HELD) && c->held.bytes == 0) {
			ovl__chan_remove(c, 0);
			goto again;
		}
		if (c->st & CH_DRAIN_NOW) {
			c->st &= ~CH_DRAIN_NOW;
			if (c->cbs.on_drain != NULL) {
				c->refs++;
				c->cbs.on_drain(c, c->arg);
				ovl__chan_unref(c);
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
			ovl__mux_to_tail(m, c);
			served = 1;
			break;
		}
		if (!served)
			break;
	}
	return (off);
}
