/*
 * What users and owners call on a connection: callbacks, channels, ping,
 * the peer's identity and address, user data, and the owner's hooks.
 * The engine (I/O, handshake, timers, closing) is in conn.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net-int.h"

/* The TCP handle. */
uv_tcp_t *
ovl__conn_tcp(struct ovl_conn *c)
{
	return (&c->tcp);
}

/* The owner. */
void *
ovl__conn_owner(const struct ovl_conn *c)
{
	return (c->owner);
}

/* Hands the connection to another owner. */
void
ovl__conn_set_owner(struct ovl_conn *c, const struct ovl__conn_ops *ops,
    void *owner)
{
	c->ops = ops;
	c->owner = owner;
}

/* Remembers the access key used. */
void
ovl__conn_set_key(struct ovl_conn *c, const char *name, size_t index)
{
	snprintf(c->key_name, sizeof c->key_name, "%s", name);
	c->key_index = index;
}

/* Reads the peer address off the socket. */
void
ovl__conn_set_peer(struct ovl_conn *c)
{
	struct sockaddr_storage ss;
	int len = sizeof ss;

	if (c->peer_fixed)
		return;
	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0)
		ovl__addr_format((struct sockaddr *)&ss, c->peer,
		    sizeof c->peer);
}

/* Sets the peer address text for good. */
void
ovl__conn_fix_peer(struct ovl_conn *c, const char *text)
{
	snprintf(c->peer, sizeof c->peer, "%s", text);
	c->peer_fixed = 1;
}

/* Sets the peer address text. */
void
ovl__conn_peer_from(struct ovl_conn *c, const struct sockaddr *sa)
{
	ovl__addr_format(sa, c->peer, sizeof c->peer);
}

/*
 * Sends a ping, remembering it; cb NULL for a keepalive. The list of
 * waiting pings grows by doubling and goes away when empty: most of the
 * time none waits, and an idle connection should not pay for 64.
 */
int
ovl__conn_send_ping(struct ovl_conn *c, ovl_ping_cb cb, void *arg)
{
	struct ping_wait *p;
	size_t cap;
	int rc;

	if (c->state != CONN_OPEN)
		return (-EPIPE);
	if (c->npings >= OVL_MAX_PINGS)
		return (-ENOBUFS);
	if (c->npings == c->pings_cap) {
		cap = c->pings_cap == 0 ? 4 : 2 * c->pings_cap;
		if (cap > OVL_MAX_PINGS)
			cap = OVL_MAX_PINGS;
		p = realloc(c->pings, cap * sizeof *p);
		if (p == NULL)
			return (-ENOMEM);
		c->pings = p;
		c->pings_cap = cap;
	}
	p = &c->pings[c->npings];
	p->value = ++c->ping_seq;
	p->sent_ns = uv_hrtime();
	p->cb = cb;
	p->arg = arg;
	c->npings++;
	rc = ovl_mux_ping(c->mux, p->value);
	if (rc != 0)
		(void)ovl__conn_take_ping(c, c->npings - 1);
	return (rc);
}

/* Takes the i-th waiting ping out of the list. */
struct ping_wait
ovl__conn_take_ping(struct ovl_conn *c, size_t i)
{
	struct ping_wait p = c->pings[i];

	memmove(c->pings + i, c->pings + i + 1,
	    (--c->npings - i) * sizeof c->pings[0]);
	if (c->npings == 0) {
		free(c->pings);
		c->pings = NULL;
		c->pings_cap = 0;
	}
	return (p);
}

/* Sets the user's callbacks. */
void
ovl_conn_set_cbs(struct ovl_conn *c, const struct ovl_conn_cbs *cbs,
    void *arg)
{
	if (cbs != NULL)
		c->cbs = *cbs;
	else
		memset(&c->cbs, 0, sizeof c->cbs);
	c->arg = arg;
}

/* Opens a channel. */
int
ovl_conn_chan_open(struct ovl_conn *c, struct ovl_chan **out)
{
	*out = NULL;
	if (c->state != CONN_OPEN)
		return (-EPIPE);
	return (ovl_mux_open(c->mux, out));
}

/* Channel 0. */
struct ovl_chan *
ovl_conn_control(struct ovl_conn *c)
{
	return (c->mux != NULL ? ovl_mux_control(c->mux) : NULL);
}

/* How a dialer's connection reached the node. */
enum ovl_path
ovl_conn_path(const struct ovl_conn *c)
{
	return (c->path);
}

/* Changes the channel limit of an open connection. */
void
ovl_conn_set_max_chans(struct ovl_conn *c, uint32_t n)
{
	if (c->mux != NULL)
		ovl_mux_set_max_chans(c->mux, n);
}

/* The connection of a channel. */
struct ovl_conn *
ovl_chan_conn(const struct ovl_chan *ch)
{
	return (ovl_mux_arg(ovl_chan_mux(ch)));
}

/* Sends a ping for the user. */
int
ovl_conn_ping(struct ovl_conn *c, ovl_ping_cb cb, void *arg)
{
	return (ovl__conn_send_ping(c, cb, arg));
}

/* The peer's static key. */
const uint8_t *
ovl_conn_remote_key(const struct ovl_conn *c)
{
	return (c->remote_key);
}

/* The peer's address. */
const char *
ovl_conn_peer(const struct ovl_conn *c)
{
	return (c->peer);
}

/* The access key used (node side). */
const char *
ovl_conn_key_name(const struct ovl_conn *c)
{
	return (c->key_name);
}

/* Open and not closing. */
int
ovl_conn_is_open(const struct ovl_conn *c)
{
	return (c->state == CONN_OPEN && !ovl_mux_closing(c->mux));
}

/* Sets the user's pointer. */
void
ovl_conn_set_data(struct ovl_conn *c, void *data)
{
	c->data = data;
}

/* Returns the user's pointer. */
void *
ovl_conn_data(const struct ovl_conn *c)
{
	return (c->data);
}

/* Copies the counters. */
void
ovl_conn_stats(const struct ovl_conn *c, struct ovl_conn_stats *st)
{
	memset(st, 0, sizeof *st);
	st->records_rx = c->rec.records_rx;
	st->rekeys_tx = c->rec.rekeys_tx;
	st->rekeys_rx = c->rec.rekeys_rx;
	st->inflight = c->inflight;
	st->held = ovl__conn_held(c);
	if (c->mux != NULL) {
		st->buffered = ovl_mux_buffered(c->mux);
		st->chans = ovl_mux_nchans(c->mux);
	}
}
