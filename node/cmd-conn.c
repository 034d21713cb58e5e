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
 * drops, its requests in flight are detached and cancelled: each
 * handler's on_cancel stops its work, and the request ends as usual with
 * its reply going nowhere.
 *
 * Stream channels are opened by the client before the request that uses
 * them. They wait here, paused, until a request names them in its
 * "channel" parameter; the handler then takes the channel over. A
 * request refused before its handler takes the channel (role, params,
 * the in-flight bound, Docker unreachable, ...) resets the channel it
 * names, so refused calls never use up the client's 128 channels.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "node.h"

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
static enum cmd_retval cmd_vfail(struct cmd_req *, int, json_t *,
		    const char *, va_list) __attribute__((format(printf, 4, 0)));

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

/* The text a call acts on, for the audit: params id, name or image. */
static void
default_target(const json_t *params, char *buf, size_t len)
{
	static const char *const keys[] = { "id", "name", "image" };
	const char	*s;
	size_t		 i;

	buf[0] = '\0';
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		s = json_string_value(json_object_get(params, keys[i]));
		if (s != NULL) {
			snprintf(buf, len, "%s", s);
			return;
		}
	}
}

/* Writes one audit line for a call by caller c. */
static void
audit(struct node *n, const struct cmd_caller *c, const char *method,
    const char *target, const char *outcome, int code, const char *msg)
{
	struct node_audit_entry	 e;
	char			*error = NULL;

	memset(&e, 0, sizeof(e));
	e.client = c->client;
	e.client_name = c->client_name;
	e.key = c->key;
	e.role = proto_role_name(c->role);
	e.method = method;
	e.target = target != NULL && target[0] != '\0' ? target : NULL;
	e.outcome = outcome;
	if (code != 0)
		error = proto_xasprintf("%s: %s", proto_err_name(code),
		    msg != NULL ? msg : proto_strerror(code));
	e.error = error;
	if (node_audit_write(&n->audit, &e) != 0 && n->audit.failures == 1)
		node_log(&n->log, NODE_LOG_ERROR, "cannot write the audit log "
		    "%s", n->audit.path);
	free(error);
}

/* The outcome word of an ended call. */
static const char *
outcome_of(const struct cmd_req *r, int code)
{
	if (code == 0)
		return ("ok");
	if (r->cancelled)
		return ("cancelled");
	if (code == PROTO_E_FORBIDDEN || code == PROTO_E_KEYMGMT ||
	    code == PROTO_E_PARAMS)
		return ("refused");
	return ("failed");
}

/* Unlinks a request from its connection's list. */
static void
req_unlink(struct cmd_req *r)
{
	struct cmd_req	**pp;

	if (r->conn == NULL)
		return;
	for (pp = &r->conn->reqs; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			r->conn->ninflight--;
			break;
		}
	}
	r->next = NULL;
}

/* Ends a request: sends msg (stolen) if anyone listens, audits, frees. */
static void
req_end(struct cmd_req *r, json_t *msg, int code, const char *text)
{
	struct ovl_chan	*ch;

	r->ended = 1;
	if (r->conn != NULL && r->id != NULL)
		conn_send(r->conn, msg);
	else
		json_decref(msg);
	if (((r->method->flags & PROTO_MUTATING) && !(r->audit_later &&
	    code == 0)) || code == PROTO_E_FORBIDDEN)
		audit(r->node, &r->caller, r->method->name, r->target,
		    outcome_of(r, code), code, text);
	if (code != 0 && r->audit_later) {
		/* Audited above after all: nothing waits any more. */
		r->audit_later = 0;
		cmd_req_unref(r);
	}
	ch = r->chan;
	r->chan = NULL;
	if (ch != NULL)
		stream_doom(r->conn, ch);	/* never taken: nobody serves it */
	req_unlink(r);
	r->node->nserved++;
	cmd_req_unref(r);
}

/* Defers the audit of a request to cmd_audit_end; r with a reference. */
struct cmd_req *
cmd_audit_later(struct cmd_req *r)
{
	if (r->ended || r->audit_later)
		return (NULL);
	r->audit_later = 1;
	cmd_req_ref(r);
	return (r);
}

/* Writes the deferred audit line with the call's real outcome. */
void
cmd_audit_end(struct cmd_req *r, int code, const char *msg)
{
	if (r == NULL || !r->audit_later)
		return;
	r->audit_later = 0;
	if (r->method->flags & PROTO_MUTATING)
		audit(r->node, &r->caller, r->method->name, r->target,
		    code == PROTO_E_CANCELLED ? "cancelled" :
		    outcome_of(r, code), code, msg);
	cmd_req_unref(r);
}

/* Sends a result, audits, and ends the request. */
enum cmd_retval
cmd_reply(struct cmd_req *r, json_t *result)
{
	if (r->ended) {
		json_decref(result);
		return (CMD_DONE);
	}
	req_end(r, proto_result_new(r->id, result), 0, NULL);
	return (CMD_DONE);
}

/* Sends an error with data (stolen) and a formatted message; ends it. */
static enum cmd_retval
cmd_vfail(struct cmd_req *r, int code, json_t *data, const char *fmt,
    va_list ap)
{
	char	*msg = NULL;

	if (r->ended) {
		json_decref(data);
		return (CMD_ERROR);
	}
	if (fmt != NULL && vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	req_end(r, proto_error_new(r->id, code, msg, data), code, msg);
	free(msg);
	return (CMD_ERROR);
}

/* Sends an error (code, printf message), audits, and ends the request. */
enum cmd_retval
cmd_fail(struct cmd_req *r, int code, const char *fmt, ...)
{
	enum cmd_retval	rv;
	va_list		ap;

	va_start(ap, fmt);
	rv = cmd_vfail(r, code, NULL, fmt, ap);
	va_end(ap);
	return (rv);
}

/* cmd_fail with data for the error object (stolen). */
enum cmd_retval
cmd_fail_data(struct cmd_req *r, int code, json_t *data, const char *fmt,
    ...)
{
	enum cmd_retval	rv;
	va_list		ap;

	va_start(ap, fmt);
	rv = cmd_vfail(r, code, data, fmt, ap);
	va_end(ap);
	return (rv);
}

/* Ends a request after a failed Docker request, with a mapped code. */
enum cmd_retval
cmd_fail_docker(struct cmd_req *r, const struct dk_req *req, int status)
{
	const char	*msg = req != NULL ? dk_req_message(req) : "";

	if (msg == NULL || msg[0] == '\0')
		msg = dk_strerror(status);
	switch (status) {
	case DK_E_NOT_FOUND:
		return (cmd_fail(r, PROTO_E_NOTFOUND, "%s", msg));
	case DK_E_CONFLICT:
		return (cmd_fail(r, PROTO_E_CONFLICT, "%s", msg));
	case DK_E_NOT_MODIFIED:
		return (cmd_fail(r, PROTO_E_STATE, "%s", msg));
	case DK_E_UNAVAILABLE:
	case DK_E_PERMISSION:
		return (cmd_fail(r, PROTO_E_DOCKER_DOWN, "docker unavailable: "
		    "%s", msg));
	case DK_E_TIMEOUT:
		return (cmd_fail(r, PROTO_E_TIMEOUT, "Docker did not answer "
		    "in time: %s", msg));
	case DK_E_CANCELLED:
		return (cmd_fail(r, PROTO_E_CANCELLED, "%s", msg));
	default:
		return (cmd_fail(r, PROTO_E_DOCKER, "%s", msg));
	}
}

/* Sets the audit target of a request. */
void
cmd_set_target(struct cmd_req *r, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(r->target, sizeof(r->target), fmt, ap);
	va_end(ap);
}

/* Hands the request's stream channel to its handler. */
struct ovl_chan *
cmd_take_chan(struct cmd_req *r)
{
	struct ovl_chan	*ch = r->chan;

	r->chan = NULL;
	if (ch != NULL)
		ovl_chan_set_data(ch, NULL);
	return (ch);
}

/* The docker client, or NULL after answering docker_unavailable. */
struct dk_client *
cmd_docker(struct cmd_req *r)
{
	struct node	*n = r->node;

	if (n->dk != NULL)
		return (n->dk);
	(void)cmd_fail(r, PROTO_E_DOCKER_DOWN, "docker unavailable: %s",
	    n->dk_cause != NULL ? n->dk_cause : "no Docker endpoint");
	return (NULL);
}

/* Takes a reference on a request. */
void
cmd_req_ref(struct cmd_req *r)
{
	r->refs++;
}

/* Drops a reference; the last frees the request. */
void
cmd_req_unref(struct cmd_req *r)
{
	if (--r->refs > 0)
		return;
	json_decref(r->id);
	json_decref(r->params);
	r->node->nreqs--;
	sodium_memzero(&r->caller, sizeof(r->caller));
	free(r);
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

/* Audits a call refused before it reached a handler. */
static void
audit_refusal(struct cmd_conn *cc, const struct proto_msg *m,
    const struct proto_method *pm, int code, json_t *reply)
{
	const char	*msg = NULL;
	char		 target[256];

	if (code != PROTO_E_FORBIDDEN &&
	    (pm == NULL || !(pm->flags & PROTO_MUTATING)))
		return;
	if (reply != NULL)
		msg = json_string_value(json_object_get(json_object_get(reply,
		    "error"), "message"));
	default_target(m->params, target, sizeof(target));
	audit(cc->node, &cc->caller, m->method, target, "refused", code,
	    msg);
}

/* Makes the request record of a checked call. */
static struct cmd_req *
req_new(struct cmd_conn *cc, const struct proto_msg *m,
    const struct proto_method *pm, const struct cmd_entry *e)
{
	struct cmd_req	*r;

	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return (NULL);
	r->params = m->params != NULL ? json_incref(m->params) :
	    json_object();
	if (r->params == NULL) {
		free(r);
		return (NULL);
	}
	r->node = cc->node;
	r->conn = cc;
	r->method = pm;
	r->entry = e;
	r->id = m->id != NULL ? json_incref(m->id) : NULL;
	r->caller = cc->caller;
	default_target(r->params, r->target, sizeof(r->target));
	r->refs = 1;
	r->next = cc->reqs;
	cc->reqs = r;
	cc->ninflight++;
	cc->node->nreqs++;
	return (r);
}

/* Runs a checked request: limits, stream channel, Docker, handler. */
static void
dispatch(struct cmd_conn *cc, const struct proto_msg *m,
    const struct proto_method *pm)
{
	const struct cmd_entry	*e;
	struct cmd_req		*r;
	struct ovl_chan		*ch;
	enum cmd_retval		 rv;
	json_int_t		 chan_id;

	e = cmd_find(pm->name);
	if (cc->ninflight >= CMD_INFLIGHT_MAX) {
		if (m->id != NULL)
			conn_send(cc, proto_errorf(m->id, PROTO_E_BUSY, "%d "
			    "requests are already in flight on this connection;"
			    " wait for their replies", CMD_INFLIGHT_MAX));
		audit_refusal(cc, m, pm, PROTO_E_BUSY, NULL);
		stream_refuse(cc, m);
		return;
	}
	r = req_new(cc, m, pm, e);
	if (r == NULL) {
		if (m->id != NULL)
			conn_send(cc, proto_errorf(m->id, PROTO_E_INTERNAL,
			    "out of memory"));
		stream_refuse(cc, m);
		return;
	}
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
	if (!r->ended && e == NULL)
		(void)cmd_fail(r, PROTO_E_INTERNAL, "%s has no handler on this "
		    "node", pm->name);
	if (!r->ended && (pm->flags & PROTO_NEEDS_DOCKER))
		(void)cmd_docker(r);	/* answers when it fails */
	if (!r->ended) {
		rv = e->exec(r);
		if (!r->ended && rv != CMD_WAIT)
			(void)cmd_fail(r, PROTO_E_INTERNAL, "%s ended without "
			    "a reply", pm->name);
	}
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
		audit_refusal(cc, &m, pm, rc, reply);
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
	while ((r = cc->reqs) != NULL) {
		cc->reqs = r->next;
		r->next = NULL;
		r->conn = NULL;
		r->cancelled = 1;
		cc->ninflight--;
		if (r->on_cancel != NULL && !r->ended) {
			cmd_req_ref(r);
			r->on_cancel(r);
			cmd_req_unref(r);
		}
	}
	ovl_conn_set_data(c, NULL);
	cc->closed = 1;
	cc->ctl = NULL;
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
