/*
 * The one timer of a connection (conn.c) and what it watches: the
 * handshake deadline, a peer that stopped reading (stall), a peer that
 * went silent (idle), the keepalive ping, the rekey record due by time,
 * the linger of a closing connection, and the quiet moment when an open
 * connection gives its buffers back. ovl__conn_arm_timer works out the
 * nearest of these deadlines each time the state or the clocks move.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "net-int.h"

#define QUIET_MS	250		/* no I/O this long: buffers go back */

/* Tells whether the connection holds buffers that quiet gives back. */
static int
holds_buffers(const struct ovl_conn *c)
{
	return (c->rbuf != NULL || c->spare != NULL ||
	    ovl_rec_held(&c->rec) > 0);
}

/*
 * Gives the buffers of a quiet connection back (the decoder keeps its
 * own while a record is only partly here).
 */
static void
release_buffers(struct ovl_conn *c)
{
	free(c->rbuf);
	c->rbuf = NULL;
	free(c->spare);
	c->spare = NULL;
	ovl_rec_trim(&c->rec);
}

/* Sends a rekey record now (the time budget ran out while idle). */
static void
send_rekey(struct ovl_conn *c)
{
	struct wreq *w;
	size_t n;
	int rc;

	w = ovl__wreq_new(OVL_REC_SEAL_MAX(0));
	if (w == NULL)
		return;
	rc = ovl_rec_seal_rekey(&c->rec, uv_now(c->loop), w->data, &n);
	if (rc != 0) {
		free(w);
		ovl__conn_end(c, rc, "nonce space spent", 0, 0);
		return;
	}
	if (ovl__conn_write(c, w, n) != 0)
		ovl__conn_end(c, -EIO, "write failed", 0, 0);
}

/* The timer: handshake timeout, stalls, idle, keepalive, rekey, linger. */
static void
on_timer(uv_timer_t *t)
{
	struct ovl_conn *c = container_of(t, struct ovl_conn, timer);
	uint64_t now = uv_now(c->loop);
	char why[80];

	ovl_conn_ref(c, "timer");
	switch (c->state) {
	case CONN_HS:
		if (now >= c->hs_deadline)
			ovl__conn_abort(c, -ETIMEDOUT, "handshake timeout");
		break;
	case CONN_OPEN:
		if (c->inflight > 0 && now >= c->last_wdone + c->lim.stall_ms) {
			ovl__conn_end(c, -ETIMEDOUT,
			    "the peer stopped reading", 0, 0);
			break;
		}
		if (now >= c->last_rx + c->lim.idle_ms) {
			snprintf(why, sizeof why, "idle: nothing heard for "
			    "%u ms", c->lim.idle_ms);
			ovl__conn_end(c, -ETIMEDOUT, why, 1, OVL_GA_IDLE);
			break;
		}
		if (now >= ovl_rec_deadline(&c->rec))
			send_rekey(c);
		if (c->state == CONN_OPEN &&
		    now >= c->last_tx + c->lim.keepalive_ms) {
			c->last_tx = now;	/* even if no ping fits */
			(void)ovl__conn_send_ping(c, NULL, NULL);
		}
		if (c->state == CONN_OPEN && now >= c->last_io + QUIET_MS)
			release_buffers(c);
		break;
	case CONN_CLOSING:
		ovl__conn_close_handles(c);
		break;
	case CONN_RAW:
		break;
	}
	ovl__conn_arm_timer(c);
	ovl_conn_unref(c, "timer");
}

/* Works out the next deadline and sets the timer. */
void
ovl__conn_arm_timer(struct ovl_conn *c)
{
	uint64_t now = uv_now(c->loop), next;

	if (c->closing_handles || c->state == CONN_RAW)
		return;
	switch (c->state) {
	case CONN_HS:
		next = c->hs_deadline;
		break;
	case CONN_OPEN:
		next = c->last_tx + c->lim.keepalive_ms;
		if (c->last_rx + c->lim.idle_ms < next)
			next = c->last_rx + c->lim.idle_ms;
		if (c->inflight > 0 && c->last_wdone + c->lim.stall_ms < next)
			next = c->last_wdone + c->lim.stall_ms;
		if (ovl_rec_deadline(&c->rec) < next)
			next = ovl_rec_deadline(&c->rec);
		/* a deadline passed means all that could go went */
		c->quiet_armed = holds_buffers(c) &&
		    c->last_io + QUIET_MS > now;
		if (c->quiet_armed && c->last_io + QUIET_MS < next)
			next = c->last_io + QUIET_MS;
		break;
	default:
		next = c->linger_until;
		break;
	}
	(void)uv_timer_start(&c->timer, on_timer, next > now ? next - now : 0,
	    0);
}
