/*
 * The channel API (ovl_chan_*) over the multiplexer's state, and the byte
 * queues behind it. Writes copy into a bounded send queue; pausing holds
 * what arrives (within the credit already granted) and grants nothing
 * more until resume delivers it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mux-int.h"

/* Appends a copy of len bytes; -ENOMEM. */
int
ovl__bufq_push(struct bufq *q, const uint8_t *p, size_t len)
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
void
ovl__bufq_take(struct bufq *q, uint8_t *out, size_t n)
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
void
ovl__bufq_free(struct bufq *q)
{
	struct qchunk *k, *next;

	for (k = q->head; k != NULL; k = next) {
		next = k->next;
		free(k);
	}
	memset(q, 0, sizeof *q);
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
	rc = ovl__bufq_push(&c->sendq, buf, len);
	if (rc != 0)
		return (rc);
	m->buffered += len;
	c->st |= CH_DRAIN;
	if (c->credit > 0)
		ovl__mux_want_write(m);
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
		ovl__chan_deliver(c, k->data, k->len);
		if (!(c->st & CH_CLOSED))
			ovl__chan_consumed(c, k->len);
		free(k);
	}
	if ((c->st & CH_EOF_HELD) && c->held.bytes == 0 &&
	    !(c->st & (CH_PAUSED | CH_CLOSED))) {
		c->st &= ~CH_EOF_HELD;
		ovl__chan_deliver(c, NULL, 0);
		if (!(c->st & CH_CLOSED))
			ovl__chan_maybe_finish(c);
	}
	c->st &= ~CH_DELIVERING;
	ovl__chan_unref(c);
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
	ovl__mux_want_write(c->mux);
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
	ovl__bufq_free(&c->sendq);
	ovl__bufq_free(&c->held);
	c->st &= ~(CH_SYN_OUT | CH_ACK_OUT | CH_GRANT | CH_DRAIN_NOW);
	if (m->dead || ovl_mux_closing(m)) {
		ovl__chan_remove(c, -ECONNRESET);
		return;
	}
	c->st |= CH_RST_OUT;
	c->refs++;
	ovl__chan_notify_close(c, -ECONNRESET);
	ovl__chan_unref(c);
	ovl__mux_want_write(m);
}

/* Non-zero once our FIN is queued or sent, or the channel is gone. */
int
ovl_chan_finished(const struct ovl_chan *c)
{
	return ((c->st & (CH_FIN_WANT | CH_FIN_SENT | CH_CLOSED)) != 0);
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
