/*
 * The dispatcher on one client connection. Channel 0 carries JSON-RPC:
 * a proto decoder cuts it into messages; each request is parsed, checked
 * against the catalogue (method, role, schema, choice roles), bounded
 * (CMD_INFLIGHT_MAX in flight), given its stream channel if the method
 * streams, and handed to its handler from cmd_table. Replies go back on
 * channel 0 in the order handlers end their requests, so an answer that
 * waits on Docker never holds up a quick one.
 *
 * A malformed message gets an error reply and the connection goes on; a
 * frame over the size limit cannot be resynchronised, so it ends this
 * connection (go-away "limit") and nothing else. When the connection
 * drops, its requests in flight are detached and cancelled
 * (cmd__req_cancel stops the Docker work each waits on), and each ends
 * as usual with its reply going nowhere. What happens to a request
 * between its dispatch and its end is cmd-req.c's.
 *
 * Stream channels are opened by the client before the request that uses
 * them. They wait here, paused, until a request names them in its
 * "channel" parameter; the handler then takes the channel over. A
 * request refused before its handler takes the channel (role, params,
 * the in-flight bound, Docker unreachable, ...) resets the channel it
 * names, so refused calls never use up the client's 128 channels.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "node.h"
#include "reach.h"

#define CMD_STREAMS_MAX		OVL_MAX_CHANS	/* waiting stream channels */
#define CMD_OUT_MAX		(16u << 20)	/* replies held, unread */

/* A reply that did not fit the channel's send queue yet. */
struct cmd_out {
	struct cmd_out	*next;
	size_t		 len;
	char		*buf;		/* owned */
};

/* The dispatcher's state for one connection. */
struct cmd_conn {
	struct node		*node;
	struct ovl_conn		*conn;
	struct ovl_chan		*ctl;		/* channel 0 */
	struct proto_dec	 dec;
	struct cmd_caller	 caller;
	struct cmd_req		*reqs;		/* in flight */
	size_t			 ninflight;
	struct ovl_chan		*streams[CMD_STREAMS_MAX]; /* unclaimed */
	size_t			 nstreams;
	struct ovl_chan		*doomed[CMD_STREAMS_MAX]; /* to reset */
	size_t			 ndoomed;
	struct cmd_out		*out, **out_tail;
	size_t			 out_bytes;
	int			 dead;		/* input no longer read */
	int			 closed;	/* the connection ended */
	unsigned		 busy;		/* inside ctl_on_data */
};

static void	ctl_on_data(struct ovl_chan *, const uint8_t *, size_t,
		    void *);
static void	ctl_on_drain(struct ovl_chan *, void *);
static void	ctl_on_close(struct ovl_chan *, int, void *);
static void	stream_on_data(struct ovl_chan *, const uint8_t *, size_t,
		    void *);
static void	stream_on_close(struct ovl_chan *, int, void *);
static void	conn_on_chan_open(struct ovl_conn *, struct ovl_chan *,
		    void *);
static void	conn_on_close(struct ovl_conn *, int, const char *, void *);

static const struct ovl_chan_cbs ctl_cbs = {
	.on_data = ctl_on_data,
	.on_drain = ctl_on_drain,
	.on_close = ctl_on_close,
};

static const struct ovl_chan_cbs stream_cbs = {
	.on_data = stream_on_data,
	.on_close = stream_on_close,
};

static const struct ovl_conn_cbs conn_cbs = {
	.on_chan_open = conn_on_chan_open,
	.on_close = conn_on_close,
};

/* Writes queued replies while the channel takes them. */
static void
out_flush(struct cmd_conn *cc)
{
	struct cmd_out	*o;

	while ((o = cc->out) != NULL) {
		if (ovl_chan_write(cc->ctl, o->buf, o->len) != 0)
			return;
		cc->out = o->next;
		if (cc->out == NULL)
			cc->out_tail = &cc->out;
		cc->out_bytes -= o->len;
		free(o->buf);
		free(o);
	}
}

/* Drops replies that can no longer be sent. */
static void
out_free(struct cmd_conn *cc)
{
	struct cmd_out	*o;

	while ((o = cc->out) != NULL) {
		cc->out = o->next;
		free(o->buf);
		free(o);
	}
	cc->out_tail = &cc->out;
	cc->out_bytes = 0;
}

/*
 * Sends a message on channel 0 (decref'd here). One that cannot be
 * encoded or is too large is replaced by an error reply to its id.
 */
static void
conn_send(struct cmd_conn *cc, json_t *msg)
{
	struct cmd_out	*o;
	json_t		*id;	/* borrowed */
	json_t		*alt;	/* owned */
	char		*buf = NULL;
	size_t		 len;
	int		 err;

	if (msg == NULL || cc->ctl == NULL) {
		json_decref(msg);
		return;
	}
	err = proto_encode(msg, 0, &buf, &len);
	if (err == -EMSGSIZE || err == -EINVAL) {
		id = json_object_get(msg, "id");
		alt = proto_errorf(id, err == -EMSGSIZE ? PROTO_E_TOOLARGE :
		    PROTO_E_INTERNAL, "%s", err == -EMSGSIZE ? "the reply is "
		    "larger than the 1 MiB message limit" : "the reply could "
		    "not be encoded");
		err = alt != NULL ? proto_encode(alt, 0, &buf, &len) : -ENOMEM;
		json_decref(alt);
	}
	json_decref(msg);
	if (err != 0) {
		node_log(&cc->node->log, NODE_LOG_ERROR, "cannot send a reply "
		    "to %s: %s", cc->caller.client, strerror(-err));
		return;
	}
	if (cc->out == NULL && ovl_chan_write(cc->ctl, buf, len) == 0) {
		free(buf);
		return;
	}
	if (cc->out_bytes + len > CMD_OUT_MAX) {
		free(buf);
		node_log(&cc->node->log, NODE_LOG_WARN, "client %s does not "
		    "read its replies; closing", cc->caller.client);
		ovl_conn_close(cc->conn, OVL_GA_LIMIT, "replies not read");
		return;
	}
	o = calloc(1, sizeof(*o));
	if (o == NULL) {
		free(buf);
		return;
	}
	o->buf = buf;
	o->len = len;
	*cc->out_tail = o;
	cc->out_tail = &o->next;
	cc->out_bytes += len;
}

/* Resets the doomed channels once no reply waits on channel 0. */
static void
doomed_reset(struct cmd_conn *cc)
{
	struct ovl_chan	*ch;

	if (cc->ctl != NULL && (cc->out != NULL ||
	    ovl_chan_queued(cc->ctl) > 0))
		return;		/* on_drain comes */
	while (cc->ndoomed > 0) {
		ch = cc->doomed[--cc->ndoomed];
		ovl_chan_reset(ch);
	}
}

/*
 * Resets a stream channel no request will serve, once the replies sent
 * before it have left: the multiplexer sends RST frames ahead of channel
 * 0's data, and a client should read why (the error reply) before it
 * sees the channel go.
 */
static void
stream_doom(struct cmd_conn *cc, struct ovl_chan *ch)
{
	ovl_chan_set_data(ch, NULL);
	if (cc == NULL || cc->ndoomed == CMD_STREAMS_MAX) {
		ovl_chan_reset(ch);
		return;
	}
	cc->doomed[cc->ndoomed++] = ch;
	doomed_reset(cc);
}

/* Channel 0 can take more: send what waited, then reset the doomed. */
static void
ctl_on_drain(struct ovl_chan *ch, void *arg)
{
	out_flush(arg);
	doomed_reset(arg);
}

/*
 * A request ended: send its last message (stolen; NULL: none), doom the
 * stream channel it never handed over (or NULL), unlink it. cc is NULL
 * once the connection dropped.
 */
void
cmd__conn_end(struct cmd_conn *cc, struct cmd_req *r, json_t *msg,
    struct ovl_chan *ch)
{
	struct cmd_req	**pp;

	if (cc != NULL)
		conn_send(cc, msg);
	else
		json_decref(msg);
	if (ch != NULL)
		stream_doom(cc, ch);
	r->next = NULL;
	if (cc == NULL)
		return;
	for (pp = &cc->reqs; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			cc->ninflight--;
			break;
		}
	}
}

/* Requests in flight on a connection. */
size_t
cmd_conn_inflight(const struct cmd_conn *cc)
{
	return (cc->ninflight);
}

/* Finds and claims a waiting stream channel by id; NULL if none. */
static struct ovl_chan *
stream_claim(struct cmd_conn *cc, json_int_t id)
{
	struct ovl_chan	*ch;
	size_t		 i;

	for (i = 0; i < cc->nstreams; i++) {
		ch = cc->streams[i];
		if ((json_int_t)ovl_chan_id(ch) != id)
			continue;
		cc->streams[i] = cc->streams[--cc->nstreams];
		return (ch);
	}
	return (NULL);
}

/*
 * Resets the waiting stream channel a refused request names, if any: it
 * would serve nobody, and it counts against the client's channels.
 */
static void
stream_refuse(struct cmd_conn *cc, const struct proto_msg *m)
{
	struct ovl_chan	*ch;
	json_t		*id;

	id = json_object_get(m->params, "channel");
	if (!json_is_integer(id))
		return;
	ch = stream_claim(cc, json_integer_value(id));
	if (ch != NULL)
		stream_doom(cc, ch);
}

/* Runs a checked request: limits, stream channel, Docker, handler. */
static void
dispatch(struct cmd_conn *cc, const struct proto_msg *m,
    const struct proto_method *pm)
{
	struct cmd_req		*r;
	struct ovl_chan		*ch;
	json_int_t		 chan_id;

	if (cc->ninflight >= CMD_INFLIGHT_MAX) {
		if (m->id != NULL)
			conn_send(cc, proto_errorf(m->id, PROTO_E_BUSY, "%d "
			    "requests are already in flight on this connection;"
			    " wait for their replies", CMD_INFLIGHT_MAX));
		cmd__audit_refusal(cc->node, &cc->caller, m, pm, PROTO_E_BUSY,
		    NULL);
		stream_refuse(cc, m);
		return;
	}
	r = cmd__req_new(cc->node, cc, &cc->caller, m, pm);
	if (r == NULL) {
		if (m->id != NULL)
			conn_send(cc, proto_errorf(m->id, PROTO_E_INTERNAL,
			    "out of memory"));
		stream_refuse(cc, m);
		return;
	}
	r->next = cc->reqs;
	cc->reqs = r;
	cc->ninflight++;
	cmd_req_ref(r);
	/* The channel first: any refusal below then resets it (req_end). */
	if (pm->flags & PROTO_STREAM) {
		chan_id = json_integer_value(json_object_get(r->params,
		    "channel"));
		ch = stream_claim(cc, chan_id);
		if (ch == NULL)
			(void)cmd_fail(r, PROTO_E_CHANNEL, "channel %lld is "
			    "not open or already in use: open it before the "
			    "request", (long long)chan_id);
		else {
			r->chan = ch;
			ovl_chan_set_data(ch, r);
		}
	}
	cmd__req_run(r);
	cmd_req_unref(r);
}

/* One whole message on channel 0. */
static int
on_msg(void *arg, const char *body, size_t len)
{
	struct cmd_conn			*cc = arg;
	const struct proto_method	*pm = NULL;
	struct proto_msg		 m;
	json_t				*reply = NULL;	/* owned */
	char				*cause = NULL;
	int				 rc;

	rc = proto_msg_parse(&m, body, len, 0, &cause);
	if (rc != 0) {
		conn_send(cc, proto_error_new(m.id, rc, cause, NULL));
		goto out;
	}
	if (m.kind != PROTO_REQUEST) {
		/* Version 1 has no client notifications to run. */
		node_log(&cc->node->log, NODE_LOG_DEBUG, "client %s sent a "
		    "%s; dropped", cc->caller.client, m.kind == PROTO_NOTIFY ?
		    "notification" : "reply");
		goto out;
	}
	rc = proto_request_check(&m, cc->caller.role, &pm, &reply);
	if (rc != 0) {
		if (pm == NULL)
			pm = proto_method_find(m.method);
		cmd__audit_refusal(cc->node, &cc->caller, &m, pm, rc, reply);
		conn_send(cc, reply);
		reply = NULL;
		stream_refuse(cc, &m);
		goto out;
	}
	dispatch(cc, &m, pm);
out:
	json_decref(reply);
	free(cause);
	proto_msg_clear(&m);
	return (cc->dead || cc->closed ? -ECONNABORTED : 0);
}

/* Frees the dispatcher state of a connection that ended. */
static void
cc_free(struct cmd_conn *cc)
{
	out_free(cc);
	proto_dec_free(&cc->dec);
	sodium_memzero(&cc->caller, sizeof(cc->caller));
	free(cc);
}

/* Bytes on channel 0: feed the decoder; a broken frame ends the conn. */
static void
ctl_on_data(struct ovl_chan *ch, const uint8_t *buf, size_t len, void *arg)
{
	struct cmd_conn	*cc = arg;
	int		 err;

	if (len == 0 || cc->dead)
		return;		/* FIN: replies may still go out */
	cc->busy++;
	err = proto_dec_feed(&cc->dec, buf, len, on_msg, cc);
	cc->busy--;
	if (cc->closed) {
		if (cc->busy == 0)
			cc_free(cc);
		return;
	}
	if (err == 0 || cc->dead)
		return;
	cc->dead = 1;
	node_log(&cc->node->log, NODE_LOG_WARN, "client %s: %s; closing its "
	    "connection", cc->caller.client, err == -EMSGSIZE ? "a message "
	    "over the size limit" : strerror(-err));
	ovl_conn_close(cc->conn, err == -EMSGSIZE ? OVL_GA_LIMIT :
	    OVL_GA_INTERNAL, err == -EMSGSIZE ? "message too large" :
	    "cannot read messages");
}

/* Channel 0 ended: nothing more can be sent. */
static void
ctl_on_close(struct ovl_chan *ch, int status, void *arg)
{
	struct cmd_conn	*cc = arg;

	cc->ctl = NULL;
	cc->dead = 1;
	out_free(cc);
}

/* Data on a stream channel nobody claimed: it is paused, so none. */
static void
stream_on_data(struct ovl_chan *ch, const uint8_t *buf, size_t len,
    void *arg)
{
}

/* A waiting or claimed-but-not-taken stream channel ended. */
static void
stream_on_close(struct ovl_chan *ch, int status, void *arg)
{
	struct cmd_conn	*cc = arg;
	struct cmd_req	*r = ovl_chan_data(ch);
	size_t		 i;

	if (r != NULL) {
		r->chan = NULL;
		return;
	}
	for (i = 0; i < cc->nstreams; i++) {
		if (cc->streams[i] == ch) {
			cc->streams[i] = cc->streams[--cc->nstreams];
			return;
		}
	}
	for (i = 0; i < cc->ndoomed; i++) {
		if (cc->doomed[i] == ch) {
			cc->doomed[i] = cc->doomed[--cc->ndoomed];
			return;
		}
	}
}

/* The client opened a stream channel: hold it, paused, for a request. */
static void
conn_on_chan_open(struct ovl_conn *c, struct ovl_chan *ch, void *arg)
{
	struct cmd_conn	*cc = arg;

	if (cc->dead || cc->nstreams >= CMD_STREAMS_MAX) {
		ovl_chan_reset(ch);
		return;
	}
	ovl_chan_set_cbs(ch, &stream_cbs, cc);
	ovl_chan_set_data(ch, NULL);
	ovl_chan_pause(ch);
	cc->streams[cc->nstreams++] = ch;
}

/* The connection ended: cancel what is in flight and free the state. */
static void
conn_on_close(struct ovl_conn *c, int status, const char *reason, void *arg)
{
	struct cmd_conn	*cc = arg;
	struct cmd_req	*r;

	node_log(&cc->node->log, NODE_LOG_DEBUG, "client %s from %s "
	    "disconnected: %s; %zu request%s in flight cancelled",
	    cc->caller.client, ovl_conn_peer(c), reason != NULL &&
	    reason[0] != '\0' ? reason : status == 0 ? "closed" :
	    uv_strerror(status), cc->ninflight,
	    cc->ninflight == 1 ? "" : "s");
	cc->dead = 1;
	if (cc->caller.role == PROTO_ROLE_RELAY)
		ovl_relay_link_remove(node_reach_relay(cc->node->reach), c);
	while ((r = cc->reqs) != NULL) {
		cc->reqs = r->next;
		r->next = NULL;
		cc->ninflight--;
		cmd__req_cancel(r);
	}
	ovl_conn_set_data(c, NULL);
	cc->closed = 1;
	cc->ctl = NULL;
	if (cc->node->nreqs == 0)
		node_idle_soon(cc->node);
	if (cc->busy == 0)
		cc_free(cc);
}

/* Starts serving a connection that just authenticated. */
int
cmd_conn_attach(struct node *n, struct ovl_conn *c, const struct ovl_auth *a)
{
	const struct ovl_access_key	*k;
	struct cmd_conn			*cc;

	k = ovl_keystore_find(n->ks, a->key_name);
	if (k == NULL)
		return (-ENOENT);
	cc = calloc(1, sizeof(*cc));
	if (cc == NULL)
		return (-ENOMEM);
	cc->node = n;
	cc->conn = c;
	cc->caller.role = k->role;
	snprintf(cc->caller.key, sizeof(cc->caller.key), "%s", a->key_name);
	ovl_fingerprint(a->client_key, cc->caller.client);
	snprintf(cc->caller.client_name, sizeof(cc->caller.client_name), "%s",
	    a->hello->name);
	memcpy(cc->caller.client_key, a->client_key, OVL_KEY_LEN);
	cc->out_tail = &cc->out;
	proto_dec_init(&cc->dec, 0);
	cc->ctl = ovl_conn_control(c);
	ovl_chan_set_cbs(cc->ctl, &ctl_cbs, cc);
	ovl_conn_set_data(c, cc);
	ovl_conn_set_cbs(c, &conn_cbs, cc);
	return (0);
}

/* The overlay connection of a client. */
struct ovl_conn *
cmd_conn_ovl(const struct cmd_conn *cc)
{
	return (cc->conn);
}
