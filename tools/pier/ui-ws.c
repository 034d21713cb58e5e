/*
 * The page's WebSocket (docs/UI.md has the protocol). Text messages are
 * JSON objects with an "op"; binary messages carry a stream's bytes
 * behind its 4-byte id (big-endian), both ways, as the node's channel
 * carries them (frames or JSON lines: the page decodes them).
 *
 *	call	{op, id, node, method, params} -> result or error (same id):
 *		one request of the catalogue on one node's connection.
 *	open	{op, id, node, method, params}: a stream method; the node's
 *		channel becomes stream id, "opened" or "error" answers the
 *		request, then binary data, "fin" and "closed" follow.
 *	credit	{op, id, bytes}: the page has taken bytes of stream id.
 *	close	{op, id}: finish sending on the stream (a terminal
 *		detaches); reset {op, id}: abandon it.
 *	nodes	{op, id} -> result: the joined nodes and their state.
 *
 * Memory: what goes to the page waits in the session's queue until lws
 * says the socket is writable. A stream may have at most UI_WINDOW bytes
 * that the page has not credited back; past that its channel is paused
 * (ovl_chan_pause), so the node stops sending once the overlay's own
 * credit runs out: a slow or frozen tab holds pier to UI_WINDOW per
 * stream and UI_STREAMS_MAX streams, and the node to its channel window.
 * Replies are bounded by PROTO_MSG_MAX and UI_PENDING_MAX calls in flight.
 * What the page writes to a full channel waits (one message) while lws
 * stops reading the socket, until the channel drains.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "cli-lws.h"
#include "ui.h"

#define UI_WINDOW	(256 * 1024)	/* uncredited bytes per stream */
#define UI_STREAMS_MAX	64		/* open streams per page */
#define UI_PENDING_MAX	64		/* calls in flight per page */
#define UI_IN_MAX	(256 * 1024)	/* one message from the page */

/* One message waiting for the socket. */
struct ui_msg {
	struct ui_msg	*next;
	size_t		 len;
	int		 binary;
	unsigned char	 buf[];		/* LWS_PRE, then len bytes */
};

/* A call or stream open waiting for its node and its reply. */
struct ui_pend {
	struct ui_sess	*s;		/* NULL once the page has gone */
	struct ui_pend	*next;
	json_int_t	 id;
	char		*method;
	json_t		*params;	/* owned until sent */
	int		 open;		/* a stream */
};

/* One stream: a node's channel seen by the page. */
struct ui_stream {
	struct ui_sess	*s;
	struct ui_stream *next;
	json_int_t	 id;
	struct ovl_chan	*ch;		/* NULL once closed */
	size_t		 unacked;	/* sent, not credited */
	int		 paused;
	unsigned char	*wq;		/* page bytes for a full channel */
	size_t		 wqlen;
};

/* One page's WebSocket. */
struct ui_sess {
	struct ui	*u;
	struct lws	*wsi;
	struct ui_sess	*next;
	struct ui_msg	*qhead, *qtail;
	unsigned char	*rx;		/* message being assembled */
	size_t		 rxlen;
	struct ui_pend	*pend;
	size_t		 npend;
	struct ui_stream *streams;
	size_t		 nstreams;
	int		 rx_off;	/* lws reading stopped */
};

/* Queues a message; the socket is asked to become writable. */
static int
sess_queue(struct ui_sess *s, const void *a, size_t alen, const void *b,
    size_t blen, int binary)
{
	struct ui_msg	*m;

	m = malloc(sizeof(*m) + LWS_PRE + alen + blen);
	if (m == NULL)
		return (-ENOMEM);
	m->next = NULL;
	m->len = alen + blen;
	m->binary = binary;
	memcpy(m->buf + LWS_PRE, a, alen);
	if (blen > 0)
		memcpy(m->buf + LWS_PRE + alen, b, blen);
	if (s->qtail != NULL)
		s->qtail->next = m;
	else
		s->qhead = m;
	s->qtail = m;
	ui_http_want_write(s->wsi);
	return (0);
}

/* Sends a JSON message to the page. */
int
ui_ws_send_json(struct ui_sess *s, json_t *m)
{
	char	*txt;
	int	 err;

	if (m == NULL)
		return (-ENOMEM);
	txt = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	if (txt == NULL)
		return (-ENOMEM);
	err = sess_queue(s, txt, strlen(txt), NULL, 0, 0);
	free(txt);
	return (err);
}

/* Sends {op, id} with an error object. */
static void
send_error(struct ui_sess *s, json_int_t id, int code, const char *name,
    const char *message)
{
	(void)ui_ws_send_json(s, json_pack("{s:s, s:I, s:{s:i, s:s, s:s}}",
	    "op", "error", "id", id, "error", "code", code, "name", name,
	    "message", message != NULL ? message : ""));
}

/* Frees a pending record. */
static void
pend_free(struct ui_pend *p)
{
	struct ui_pend	**pp;

	if (p->s != NULL) {
		for (pp = &p->s->pend; *pp != NULL; pp = &(*pp)->next)
			if (*pp == p) {
				*pp = p->next;
				break;
			}
		p->s->npend--;
	}
	json_decref(p->params);
	free(p->method);
	free(p);
}

/* The stream with id, or NULL. */
static struct ui_stream *
stream_find(struct ui_sess *s, json_int_t id)
{
	struct ui_stream	*st;

	for (st = s->streams; st != NULL; st = st->next)
		if (st->id == id)
			return (st);
	return (NULL);
}

/* Unlinks and frees a stream whose channel has gone. */
static void
stream_free(struct ui_stream *st)
{
	struct ui_stream	**pp;

	if (st->s != NULL) {
		for (pp = &st->s->streams; *pp != NULL; pp = &(*pp)->next)
			if (*pp == st) {
				*pp = st->next;
				break;
			}
		st->s->nstreams--;
	}
	free(st->wq);
	free(st);
}

/* Bytes from the node: to the page behind the stream's id. */
static void
stream_data(struct ovl_chan *ch, const uint8_t *buf, size_t len, void *arg)
{
	struct ui_stream	*st = arg;
	uint8_t			 id[4];

	if (st->s == NULL)
		return;
	if (len == 0) {
		(void)ui_ws_send_json(st->s, json_pack("{s:s, s:I}", "op",
		    "fin", "id", st->id));
		return;
	}
	id[0] = (uint8_t)(st->id >> 24);
	id[1] = (uint8_t)(st->id >> 16);
	id[2] = (uint8_t)(st->id >> 8);
	id[3] = (uint8_t)st->id;
	if (sess_queue(st->s, id, sizeof(id), buf, len, 1) != 0) {
		ovl_chan_reset(ch);
		return;
	}
	st->unacked += len;
	if (st->unacked >= UI_WINDOW && !st->paused) {
		st->paused = 1;
		ovl_chan_pause(ch);
	}
}

/* Writes what the page sent while the channel was full. */
static int
stream_flush(struct ui_stream *st)
{
	int	err;

	if (st->wqlen == 0)
		return (0);
	if (st->ch == NULL)
		return (-EPIPE);
	err = ovl_chan_write(st->ch, st->wq, st->wqlen);
	if (err != 0)
		return (err);
	free(st->wq);
	st->wq = NULL;
	st->wqlen = 0;
	if (st->s != NULL && st->s->rx_off) {
		st->s->rx_off = 0;
		lws_rx_flow_control(st->s->wsi, 1);
	}
	return (0);
}

/* The channel has room again. */
static void
stream_drain(struct ovl_chan *ch, void *arg)
{
	struct ui_stream	*st = arg;

	(void)stream_flush(st);
}

/* The channel ended: the page hears how, the stream is gone. */
static void
stream_close(struct ovl_chan *ch, int status, void *arg)
{
	struct ui_stream	*st = arg;
	const char		*how;

	st->ch = NULL;
	if (st->s != NULL) {
		how = status == 0 ? "end" : status == -ECONNABORTED ?
		    "lost" : "reset";
		(void)ui_ws_send_json(st->s, json_pack("{s:s, s:I, s:s}",
		    "op", "closed", "id", st->id, "status", how));
		if (st->wqlen > 0 && st->s->rx_off) {
			st->s->rx_off = 0;
			lws_rx_flow_control(st->s->wsi, 1);
		}
	}
	stream_free(st);
}

static const struct ovl_chan_cbs ui_stream_cbs = {
	.on_data = stream_data,
	.on_drain = stream_drain,
	.on_close = stream_close,
};

/* The node's reply to a call or a stream's request. */
static void
pend_reply(struct cli_rpc *r, const json_t *result,
    const struct cli_rpc_error *e, void *arg)
{
	struct ui_pend		*p = arg;
	struct ui_stream	*st;

	if (p->s == NULL) {
		pend_free(p);
		return;
	}
	if (e != NULL) {
		send_error(p->s, p->id, e->code, e->name, e->message);
		st = p->open ? stream_find(p->s, p->id) : NULL;
		if (st != NULL && st->ch != NULL)
			ovl_chan_reset(st->ch);
	} else
		(void)ui_ws_send_json(p->s, json_pack("{s:s, s:I, s:O}",
		    "op", p->open ? "opened" : "result", "id", p->id,
		    "result", result));
	pend_free(p);
}

/* Opens the stream's channel on r; params gets "channel". */
static int
stream_start(struct ui_pend *p, struct cli_rpc *r)
{
	struct ui_stream	*st;
	int			 err;

	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return (-ENOMEM);
	st->s = p->s;
	st->id = p->id;
	err = cli_rpc_stream_open(r, &ui_stream_cbs, st, p->params, &st->ch);
	if (err != 0) {
		free(st);
		return (err);
	}
	st->next = p->s->streams;
	p->s->streams = st;
	p->s->nstreams++;
	return (0);
}

/* The node's connection is there (or not): send the request. */
static void
pend_dialed(struct ui_node *n, struct cli_rpc *r, const char *why,
    void *arg)
{
	struct ui_pend		*p = arg;
	struct ui_stream	*st;
	json_t			*params;	/* owned */
	int			 err;

	if (p->s == NULL) {
		pend_free(p);
		return;
	}
	if (r == NULL) {
		send_error(p->s, p->id, 0, "connection", why);
		pend_free(p);
		return;
	}
	if (p->open && (err = stream_start(p, r)) != 0) {
		send_error(p->s, p->id, 0, "connection", strerror(-err));
		pend_free(p);
		return;
	}
	params = p->params;
	p->params = NULL;
	err = cli_rpc_call_async(r, p->method, params, 0, pend_reply, p);
	if (err != 0) {
		send_error(p->s, p->id, 0, "connection", strerror(-err));
		st = p->open ? stream_find(p->s, p->id) : NULL;
		if (st != NULL && st->ch != NULL)
			ovl_chan_reset(st->ch);
		pend_free(p);
	}
}

/* {op: call|open}: checks, then waits for the node. */
static void
op_request(struct ui_sess *s, json_int_t id, json_t *msg, int open)
{
	const struct proto_method	*m;
	struct ui_node			*n;
	struct ui_pend			*p;
	const char			*method, *node;
	json_t				*params;	/* borrowed */

	method = json_string_value(json_object_get(msg, "method"));
	node = json_string_value(json_object_get(msg, "node"));
	params = json_object_get(msg, "params");
	m = method != NULL ? proto_method_find(method) : NULL;
	if (m == NULL || strncmp(method, "relay.", 6) == 0) {
		send_error(s, id, PROTO_E_NOMETHOD, "method_not_found",
		    "no such method");
		return;
	}
	if (((m->flags & PROTO_STREAM) != 0) != open) {
		send_error(s, id, PROTO_E_PARAMS, "invalid_params", open ?
		    "not a stream method: use call" :
		    "a stream method: use open");
		return;
	}
	if ((n = ui_node_find(s->u, node)) == NULL) {
		send_error(s, id, 0, "connection", "no such node");
		return;
	}
	if (params != NULL && !json_is_object(params)) {
		send_error(s, id, PROTO_E_PARAMS, "invalid_params",
		    "params: expected an object");
		return;
	}
	if (s->npend >= UI_PENDING_MAX || (open && (s->nstreams >=
	    UI_STREAMS_MAX || stream_find(s, id) != NULL))) {
		send_error(s, id, 0, "busy", "too many calls or streams, or "
		    "the stream id is taken");
		return;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL || (p->method = strdup(method)) == NULL ||
	    (p->params = params != NULL ? json_deep_copy(params) :
	    json_object()) == NULL) {
		if (p != NULL)
			free(p->method);
		free(p);
		send_error(s, id, 0, "busy", "out of memory");
		return;
	}
	p->s = s;
	p->id = id;
	p->open = open;
	p->next = s->pend;
	s->pend = p;
	s->npend++;
	if (ui_node_with(n, pend_dialed, p) != 0) {
		send_error(s, id, 0, "busy", "out of memory");
		pend_free(p);
	}
}

/* {op: credit|close|reset} on a stream. */
static void
op_stream(struct ui_sess *s, json_int_t id, const char *op, json_t *msg)
{
	struct ui_stream	*st;
	json_int_t		 n;

	st = stream_find(s, id);
	if (st == NULL || st->ch == NULL)
		return;		/* it ended meanwhile: "closed" said so */
	if (strcmp(op, "credit") == 0) {
		n = json_integer_value(json_object_get(msg, "bytes"));
		if (n <= 0)
			return;
		st->unacked -= (size_t)n > st->unacked ? st->unacked :
		    (size_t)n;
		if (st->paused && st->unacked < UI_WINDOW) {
			st->paused = 0;
			ovl_chan_resume(st->ch);
		}
	} else if (strcmp(op, "close") == 0) {
		if (ovl_chan_close(st->ch) != 0)
			ovl_chan_reset(st->ch);
	} else
		ovl_chan_reset(st->ch);
}

/* {op: templates|deploy}: answered by pier ui itself (ui-tpl.c). */
static void
op_local(struct ui_sess *s, json_int_t id, const char *op, json_t *msg)
{
	json_t	*r;	/* owned */
	char	*cause = NULL;

	r = op[0] == 't' ? ui_tpl_list(s->u, &cause) :
	    ui_tpl_params(s->u, msg, &cause);
	if (r != NULL)
		(void)ui_ws_send_json(s, json_pack("{s:s, s:I, s:o}", "op",
		    "result", "id", id, "result", r));
	else
		send_error(s, id, PROTO_E_PARAMS, "invalid_params",
		    cause != NULL ? cause : "out of memory");
	free(cause);
}

/* A whole text message. */
static int
on_text(struct ui_sess *s, const unsigned char *buf, size_t len)
{
	json_t		*msg;	/* owned */
	const char	*op;
	json_int_t	 id;

	msg = json_loadb((const char *)buf, len, 0, NULL);
	op = json_string_value(json_object_get(msg, "op"));
	id = json_integer_value(json_object_get(msg, "id"));
	if (op == NULL || !json_is_integer(json_object_get(msg, "id")) ||
	    id < 0 || id > INT32_MAX) {
		json_decref(msg);
		return (-1);	/* not our page */
	}
	if (strcmp(op, "call") == 0 || strcmp(op, "open") == 0)
		op_request(s, id, msg, op[0] == 'o');
	else if (strcmp(op, "nodes") == 0)
		(void)ui_ws_send_json(s, json_pack("{s:s, s:I, s:o}", "op",
		    "result", "id", id, "result", ui_nodes_json(s->u)));
	else if (strcmp(op, "templates") == 0 || strcmp(op, "deploy") == 0)
		op_local(s, id, op, msg);
	else if (strcmp(op, "credit") == 0 || strcmp(op, "close") == 0 ||
	    strcmp(op, "reset") == 0)
		op_stream(s, id, op, msg);
	else
		send_error(s, id, PROTO_E_NOMETHOD, "method_not_found",
		    "unknown op");
	json_decref(msg);
	return (0);
}

/* A whole binary message: bytes for a stream's channel. */
static int
on_binary(struct ui_sess *s, const unsigned char *buf, size_t len)
{
	struct ui_stream	*st;
	json_int_t		 id;

	if (len < 4)
		return (-1);
	id = (json_int_t)((uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
	    (uint32_t)buf[2] << 8 | buf[3]);
	st = stream_find(s, id);
	if (st == NULL || st->ch == NULL || len == 4)
		return (0);
	if (st->wqlen == 0 && ovl_chan_write(st->ch, buf + 4, len - 4) == 0)
		return (0);
	/* Full: keep this one, read no more until the channel drains. */
	st->wq = realloc(st->wq, st->wqlen + len - 4);
	if (st->wq == NULL)
		return (-1);
	memcpy(st->wq + st->wqlen, buf + 4, len - 4);
	st->wqlen += len - 4;
	if (!s->rx_off) {
		s->rx_off = 1;
		lws_rx_flow_control(s->wsi, 0);
	}
	return (0);
}

/* A piece of a message from the page. */
int
ui_ws_recv(struct ui_sess *s, const void *buf, size_t len, int binary,
    int first, int final)
{
	unsigned char	*nb;
	int		 rc;

	if (first) {
		free(s->rx);
		s->rx = NULL;
		s->rxlen = 0;
	}
	if (s->rxlen + len > UI_IN_MAX)
		return (-1);
	if (first && final)
		return (binary ? on_binary(s, buf, len) : on_text(s, buf,
		    len));
	nb = realloc(s->rx, s->rxlen + len + 1);
	if (nb == NULL)
		return (-1);
	s->rx = nb;
	memcpy(s->rx + s->rxlen, buf, len);
	s->rxlen += len;
	if (!final)
		return (0);
	rc = binary ? on_binary(s, s->rx, s->rxlen) : on_text(s, s->rx,
	    s->rxlen);
	free(s->rx);
	s->rx = NULL;
	s->rxlen = 0;
	return (rc);
}

/* Writes the oldest queued message. */
int
ui_ws_writable(struct ui_sess *s)
{
	struct ui_msg	*m = s->qhead;
	int		 n;

	if (m == NULL)
		return (0);
	s->qhead = m->next;
	if (s->qhead == NULL)
		s->qtail = NULL;
	n = lws_write(s->wsi, m->buf + LWS_PRE, m->len, m->binary ?
	    LWS_WRITE_BINARY : LWS_WRITE_TEXT);
	free(m);
	if (n < 0)
		return (-1);
	if (s->qhead != NULL)
		ui_http_want_write(s->wsi);
	return (0);
}

/* The catalogue's methods and their least roles, for the page's buttons. */
static json_t *
methods_json(void)
{
	json_t	*o;	/* owned */
	size_t	 i;

	o = json_object();
	for (i = 0; o != NULL && i < proto_nmethods; i++)
		if (json_object_set_new(o, proto_methods[i].name,
		    json_string(proto_role_name(proto_methods[i].role))) != 0) {
			json_decref(o);
			return (NULL);
		}
	return (o);
}

/* A new page. */
struct ui_sess *
ui_ws_open(struct ui *u, struct lws *wsi)
{
	struct ui_sess	*s;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return (NULL);
	s->u = u;
	s->wsi = wsi;
	s->next = u->sessions;
	u->sessions = s;
	(void)ui_ws_send_json(s, json_pack("{s:s, s:i, s:o, s:o}", "op",
	    "hello", "version", 1, "nodes", ui_nodes_json(u), "methods",
	    methods_json()));
	return (s);
}

/* The page has gone: its streams end, its calls answer no one. */
void
ui_ws_close(struct ui_sess *s)
{
	struct ui_sess		**pp;
	struct ui_pend		*p;
	struct ui_stream	*st;
	struct ui_msg		*m;

	for (pp = &s->u->sessions; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	while ((p = s->pend) != NULL) {
		s->pend = p->next;
		p->s = NULL;	/* freed when its node or reply comes */
	}
	while ((st = s->streams) != NULL) {
		s->streams = st->next;
		st->s = NULL;
		if (st->ch != NULL)
			ovl_chan_reset(st->ch);	/* its on_close frees it */
		else
			stream_free(st);
	}
	while ((m = s->qhead) != NULL) {
		s->qhead = m->next;
		free(m);
	}
	free(s->rx);
	free(s);
}
