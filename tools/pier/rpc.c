/*
 * The client's side of the protocol: connect to a joined node by name,
 * call methods on channel 0 and get back the result or the node's error
 * (code, name, message, data), open stream channels for the methods that
 * stream. Calling one method on many nodes at once (`pier ps` and
 * friends) is rpc-multi.c's, on top of this file's connections.
 *
 * Everything runs on the command's private loop (struct cli_ctx). The
 * synchronous calls run that loop until their reply has come; the async
 * ones let a command keep several calls and streams going at once.
 *
 * When the connection ends, every message says why in the same words
 * (cli_close_text): the node's own reason when it sent a go-away (a
 * revoked client key, the node shutting down), else the transport's.
 * A node that turns the client away right after the handshake makes
 * cli_rpc_open fail with that reason rather than the first call.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "rpc-int.h"

/* One call waiting for its reply. */
struct rpc_call {
	struct rpc_call	*next;
	struct cli_rpc	*rpc;
	json_int_t	 id;
	uv_timer_t	 timer;
	cli_rpc_cb	 cb;
	void		*arg;
	long		 timeout_ms;
};

static void	rpc_on_data(struct ovl_chan *, const uint8_t *, size_t,
		    void *);
static void	rpc_on_close(struct ovl_conn *, int, const char *, void *);

static const struct ovl_chan_cbs rpc_ctl_cbs = {
	.on_data = rpc_on_data,
};

static const struct ovl_conn_cbs rpc_conn_cbs = {
	.on_close = rpc_on_close,
};

/* Sets *cause to a formatted text; returns err. */
int
cli__rpc_cause(char **cause, int err, const char *fmt, ...)
{
	va_list	ap;

	if (cause == NULL)
		return (err);
	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) < 0)
		*cause = NULL;
	va_end(ap);
	return (err);
}

/* Fills an error with a local failure (no reply came). */
void
cli__rpc_err_local(struct cli_rpc_error *e, int local, const char *fmt, ...)
{
	va_list	ap;

	memset(e, 0, sizeof(*e));
	e->local = local;
	e->name = strdup(local == CLI_RPC_TIMEOUT ? "timeout" : "connection");
	va_start(ap, fmt);
	if (vasprintf(&e->message, fmt, ap) < 0)
		e->message = NULL;
	va_end(ap);
}

/* Frees what an error holds and zeroes it. */
void
cli_rpc_error_clear(struct cli_rpc_error *e)
{
	free(e->name);
	free(e->message);
	json_decref(e->data);
	memset(e, 0, sizeof(*e));
}

/* Copies src into dst (dst overwritten). */
void
cli__rpc_err_copy(struct cli_rpc_error *dst, const struct cli_rpc_error *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->code = src->code;
	dst->local = src->local;
	dst->name = src->name != NULL ? strdup(src->name) : NULL;
	dst->message = src->message != NULL ? strdup(src->message) : NULL;
	dst->data = src->data != NULL ? json_incref(src->data) : NULL;
}

/* Prints an error for a command; returns CLI_EXIT_FAIL. */
int
cli_rpc_fail(const struct cli_cmd *cmd, const char *node,
    const struct cli_rpc_error *e)
{
	return (cli_error(cmd, "%s: %s", node, e->message != NULL ?
	    e->message : e->name != NULL ? e->name : "failed"));
}

/* Loads what commands need to talk to nodes. */
int
cli_ctx_open(struct cli_ctx *x, char **cause)
{
	int	err;

	memset(x, 0, sizeof(*x));
	x->dir = cli_config_dir();
	if (x->dir == NULL)
		return (cli__rpc_cause(cause, -ENOENT, "no config directory: "
		    "set PIER_CONFIG_DIR or HOME"));
	err = cli_book_load(&x->book, x->dir, cause);
	if (err == 0)
		err = cli_identity_load(x->dir, &x->id, cause);
	if (err == 0) {
		err = uv_loop_init(&x->loop);
		if (err != 0)
			(void)cli__rpc_cause(cause, err, "cannot make a loop: "
			    "%s", uv_strerror(err));
		else
			x->loop_ready = 1;
	}
	return (err);
}

/*
 * Runs the loop dry, closes it and frees what the context holds. The
 * loop runs until nothing is left: a uv_stop made outside a run would
 * end the first run early.
 */
void
cli_ctx_close(struct cli_ctx *x)
{
	int	i;

	if (x->loop_ready) {
		cli_out_unwatch(x);
		for (i = 0; i < 2 && uv_run(&x->loop, UV_RUN_DEFAULT) != 0;
		    i++)
			;
		if (uv_loop_close(&x->loop) != 0)
			fprintf(stderr, "pier: handles left open at exit\n");
		x->loop_ready = 0;
	}
	cli_book_free(&x->book);
	ovl_identity_clear(&x->id);
	free(x->dir);
	x->dir = NULL;
}

/* Frees the connection record once nothing refers to it any more. */
void
cli__rpc_maybe_free(struct cli_rpc *r)
{
	if (!r->closing || r->timers > 0 || r->dial != NULL)
		return;
	proto_dec_free(&r->dec);
	free(r->node);
	free(r->addrs);
	free(r->dial_cause);
	free(r->close_reason);
	free(r);
}

/* A call's timer closed: the call is gone. */
static void
on_call_timer_closed(uv_handle_t *h)
{
	struct rpc_call	*c = h->data;
	struct cli_rpc	*r = c->rpc;

	free(c);
	r->timers--;
	cli__rpc_maybe_free(r);
}

/* Unlinks a call and closes its timer (which frees it). */
static void
call_end(struct rpc_call *c)
{
	struct rpc_call	**pp;

	for (pp = &c->rpc->calls; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	uv_close((uv_handle_t *)&c->timer, on_call_timer_closed);
}

/* Ends a call with a local error. */
static void
call_fail(struct rpc_call *c, int local, const char *msg)
{
	struct cli_rpc_error	 e;

	cli__rpc_err_local(&e, local, "%s", msg);
	call_end(c);
	c->cb(c->rpc, NULL, &e, c->arg);
	cli_rpc_error_clear(&e);
}

/* A reply did not come in time. */
static void
on_call_timeout(uv_timer_t *t)
{
	struct rpc_call	*c = t->data;
	char		*msg;

	if (asprintf(&msg, "no reply within %lds", c->timeout_ms / 1000) < 0)
		msg = NULL;
	call_fail(c, CLI_RPC_TIMEOUT, msg != NULL ? msg : "no reply in time");
	free(msg);
}

/* One message from the node: match it with its call. */
static int
rpc_on_msg(void *arg, const char *body, size_t len)
{
	struct cli_rpc		*r = arg;
	struct rpc_call		*c;
	struct cli_rpc_error	 e;
	struct proto_msg	 m;
	const char		*name;
	char			*cause = NULL;
	json_int_t		 id;

	if (proto_msg_parse(&m, body, len, 0, &cause) != 0 ||
	    (m.kind != PROTO_RESULT && m.kind != PROTO_ERROR)) {
		free(cause);
		proto_msg_clear(&m);
		return (0);
	}
	id = json_integer_value(m.id);
	for (c = r->calls; c != NULL && c->id != id; c = c->next)
		;
	if (c == NULL) {
		proto_msg_clear(&m);
		return (0);
	}
	call_end(c);
	if (m.kind == PROTO_RESULT)
		c->cb(r, m.result, NULL, c->arg);
	else {
		memset(&e, 0, sizeof(e));
		e.code = m.code;
		name = json_string_value(json_object_get(m.data, "name"));
		e.name = strdup(name != NULL ? name : proto_err_name(m.code));
		e.message = strdup(m.message != NULL ? m.message : "");
		e.data = m.data != NULL ? json_incref(m.data) : NULL;
		c->cb(r, NULL, &e, c->arg);
		cli_rpc_error_clear(&e);
	}
	proto_msg_clear(&m);
	return (0);
}

/* Channel 0 bytes from the node. */
static void
rpc_on_data(struct ovl_chan *ch, const uint8_t *buf, size_t len, void *arg)
{
	struct cli_rpc	*r = arg;

	if (len == 0 || r->closed)
		return;
	if (proto_dec_feed(&r->dec, buf, len, rpc_on_msg, r) != 0)
		ovl_conn_close(r->conn, OVL_GA_PROTOCOL, "bad message framing");
}

/*
 * The connection ended: every waiting call fails with the reason, then
 * the lost callback hears it (last: it may close and free r).
 */
static void
rpc_on_close(struct ovl_conn *conn, int status, const char *reason,
    void *arg)
{
	struct cli_rpc	*r = arg;
	char		 why[CLI_CLOSE_TEXT_MAX];

	r->closed = 1;
	cli__move_stop(r);
	(void)cli_close_text(status, reason, why, sizeof(why));
	free(r->close_reason);
	r->close_reason = strdup(why);
	while (r->calls != NULL)
		call_fail(r->calls, CLI_RPC_LOST, why);
	if (!r->closing && r->lost_cb != NULL)
		r->lost_cb(r, why, r->lost_arg);
}

/* The dial finished. */
static void
rpc_dial_done(struct ovl_dial *d, struct ovl_conn *conn, int status,
    const char *cause, void *arg)
{
	struct cli_rpc	*r = arg;

	cli_find_tried(r->find, r->tried, sizeof(r->tried));
	cli_find_stop(r->find);
	r->find = NULL;
	r->dial = NULL;
	r->dialed = 1;
	r->dial_status = status;
	if (status == 0 && r->closing) {
		ovl_conn_close(conn, OVL_GA_NORMAL, "bye");
		cli__rpc_maybe_free(r);
		return;
	}
	if (status != 0) {
		if (status == -ETIMEDOUT || status == -EACCES)
			(void)cli__rpc_cause(&r->dial_cause, status,
			    "no answer from %s: the node is down, unreachable, "
			    "or the join key is wrong or revoked%s%s", r->addrs,
			    status == -EACCES ? " (it closed the connection "
			    "without answering; it does so too for more than "
			    "100 connections a second from one address)" : "",
			    r->tried);
		else
			(void)cli__rpc_cause(&r->dial_cause, status,
			    "cannot reach %s%s: %s", r->addrs, r->tried,
			    cause != NULL ?
			    cause : strerror(-status));
	} else {
		r->conn = conn;
		ovl_conn_ref(conn, "cli_rpc");
		ovl_conn_set_cbs(conn, &rpc_conn_cbs, r);
		ovl_chan_set_cbs(ovl_conn_control(conn), &rpc_ctl_cbs, r);
		cli__move_start(r);	/* a relayed one moves when it can */
	}
	if (r->on_dialed != NULL)
		r->on_dialed(r, r->dial_arg);
	else
		cli__rpc_maybe_free(r);
}

/* Starts dialing a book entry; the outcome comes to rpc_dial_done. */
int
cli__rpc_start(struct cli_ctx *x, struct cli_node *n, long timeout_ms,
    struct cli_rpc **out, char **cause)
{
	struct ovl_dial_cfg	 cfg;
	struct ovl_joinkey	 jk;
	struct cli_rpc		*r;
	const char		*addrs[CLI_ADDRS_MAX];
	char			 name[OVL_HS_NAME_MAX + 1];
	size_t			 naddrs = 0, i, len = 0;
	int			 err;

	*out = NULL;
	memset(&jk, 0, sizeof(jk));
	err = cli_node_target(n, &jk, addrs, &naddrs, cause);
	if (err != 0)
		return (err);
	r = calloc(1, sizeof(*r));
	if (r == NULL || (r->node = strdup(n->name)) == NULL) {
		free(r);
		sodium_memzero(&jk, sizeof(jk));
		return (-ENOMEM);
	}
	r->x = x;
	r->next_id = 1;
	proto_dec_init(&r->dec, 0);
	for (i = 0; i < naddrs; i++)
		len += strlen(addrs[i]) + 2;
	/* With no address, the LAN is all there is to ask. */
	r->addrs = naddrs == 0 ? strdup("the LAN") : calloc(1, len + 1);
	for (i = 0; r->addrs != NULL && i < naddrs; i++) {
		if (i > 0)
			strcat(r->addrs, ", ");
		strcat(r->addrs, addrs[i]);
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.timeout_ms = (uint32_t)(timeout_ms > 0 ? timeout_ms :
	    CLI_TIMEOUT_MS);
	ovl_limits_default(&cfg.lim);
	cli_client_name(name, sizeof(name));
	err = ovl_dial(&x->loop, &x->id, jk.node_pub, jk.secret, addrs, naddrs,
	    name, &cfg, rpc_dial_done, r, &r->dial);
	if (err == 0)
		r->find = cli_find_start(&x->loop, &jk, r->dial, naddrs);
	sodium_memzero(&jk, sizeof(jk));
	if (err != 0) {
		r->dial = NULL;
		r->closing = 1;
		cli__rpc_maybe_free(r);
		return (cli__rpc_cause(cause, err, "%s: cannot dial: %s",
		    n->name, strerror(-err)));
	}
	*out = r;
	return (0);
}

/* Connects to a node by name (NULL: the only one). */
int
cli_rpc_open(struct cli_ctx *x, const char *name, struct cli_rpc **out,
    char **cause)
{
	struct cli_node	*n;
	struct cli_rpc	*r;
	int		 err;

	*out = NULL;
	n = cli_target_node(&x->book, name, cause);
	if (n == NULL)
		return (-ENOENT);
	err = cli__rpc_start(x, n, CLI_TIMEOUT_MS, &r, cause);
	if (err != 0)
		return (err);
	r->on_dialed = NULL;
	while (!r->dialed && uv_run(&x->loop, UV_RUN_ONCE) != 0)
		;
	if (!r->dialed || r->dial_status != 0) {
		err = r->dialed ? r->dial_status : -EIO;
		(void)cli__rpc_cause(cause, err, "%s: %s", r->node,
		    r->dial_cause != NULL ? r->dial_cause : strerror(-err));
		r->closing = 1;
		cli__rpc_maybe_free(r);
		return (err);
	}
	if (r->closed) {
		/* Turned away with the handshake's answer: say why. */
		(void)cli__rpc_cause(cause, 0, "%s: %s", r->node,
		    r->close_reason != NULL ? r->close_reason :
		    "node closed the connection");
		cli_rpc_close(r);
		return (-ECONNABORTED);
	}
	*out = r;
	return (0);
}

/* What cli_rpc_open_async waits with. */
struct rpc_open_wait {
	cli_rpc_open_cb	 cb;
	void		*arg;
};

/* cli_rpc_open_async's dial finished: hand over r or say why not. */
static void
rpc_open_dialed(struct cli_rpc *r, void *arg)
{
	struct rpc_open_wait	 w = *(struct rpc_open_wait *)arg;
	char			*cause = NULL;
	int			 err;

	free(arg);
	r->on_dialed = NULL;
	if (r->dial_status != 0 || r->closed) {
		err = r->dial_status != 0 ? r->dial_status : -ECONNABORTED;
		(void)cli__rpc_cause(&cause, err, "%s: %s", r->node,
		    r->dial_status != 0 ? (r->dial_cause != NULL ?
		    r->dial_cause : strerror(-err)) : (r->close_reason !=
		    NULL ? r->close_reason : "node closed the connection"));
		if (r->conn != NULL)
			cli_rpc_close(r);
		else {
			r->closing = 1;
			cli__rpc_maybe_free(r);
		}
		w.cb(NULL, err, cause != NULL ? cause : "failed", w.arg);
		free(cause);
		return;
	}
	w.cb(r, 0, NULL, w.arg);
}

/* Connects to a node by name without running the loop. */
int
cli_rpc_open_async(struct cli_ctx *x, const char *name, long timeout_ms,
    cli_rpc_open_cb cb, void *arg, struct cli_rpc **out, char **cause)
{
	struct rpc_open_wait	*w;
	struct cli_node		*n;
	struct cli_rpc		*r;
	int			 err;

	n = cli_target_node(&x->book, name, cause);
	if (n == NULL)
		return (-ENOENT);
	w = malloc(sizeof(*w));
	if (w == NULL)
		return (-ENOMEM);
	w->cb = cb;
	w->arg = arg;
	err = cli__rpc_start(x, n, timeout_ms, &r, cause);
	if (err != 0) {
		free(w);
		return (err);
	}
	r->on_dialed = rpc_open_dialed;
	r->dial_arg = w;
	if (out != NULL)
		*out = r;
	return (0);
}

/* Closes the connection and frees the record once its timers closed. */
void
cli_rpc_close(struct cli_rpc *r)
{
	if (r == NULL || r->closing)
		return;
	r->closing = 1;
	cli__move_stop(r);
	if (r->dial != NULL) {
		/* Its callback (maybe from inside the cancel) frees r. */
		ovl_dial_cancel(r->dial);
		return;
	}
	if (r->conn != NULL) {
		if (!r->closed)
			ovl_conn_close(r->conn, OVL_GA_NORMAL, "bye");
		ovl_conn_unref(r->conn, "cli_rpc");
		r->conn = NULL;
	}
	cli__rpc_maybe_free(r);
}

/* The node's name. */
const char *
cli_rpc_node(const struct cli_rpc *r)
{
	return (r->node);
}

/* The overlay connection. */
struct ovl_conn *
cli_rpc_conn(struct cli_rpc *r)
{
	return (r->conn);
}

/* Why the connection ended, or NULL. */
const char *
cli_rpc_lost(const struct cli_rpc *r)
{
	return (r->closed && !r->closing ? r->close_reason : NULL);
}

/* Sets what runs when the connection ends by itself. */
void
cli_rpc_on_lost(struct cli_rpc *r, cli_rpc_lost_cb fn, void *arg)
{
	r->lost_cb = fn;
	r->lost_arg = arg;
}

/* Sends a request; cb gets the outcome. */
int
cli_rpc_call_async(struct cli_rpc *r, const char *method, json_t *params,
    long timeout_ms, cli_rpc_cb cb, void *arg)
{
	struct rpc_call	*c;
	json_t		*m;	/* owned */
	char		*buf = NULL;
	size_t		 len;
	int		 err;

	if (r->conn == NULL || r->closed || r->closing) {
		json_decref(params);
		return (-EPIPE);
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		json_decref(params);
		return (-ENOMEM);
	}
	c->id = r->next_id++;
	m = proto_request_new(c->id, method, params);
	err = m != NULL ? proto_encode(m, 0, &buf, &len) : -ENOMEM;
	json_decref(m);
	if (err == 0)
		err = ovl_chan_write(ovl_conn_control(r->conn), buf, len);
	free(buf);
	if (err != 0) {
		free(c);
		return (err);
	}
	c->rpc = r;
	c->cb = cb;
	c->arg = arg;
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : CLI_CALL_TIMEOUT_MS;
	(void)uv_timer_init(&r->x->loop, &c->timer);
	c->timer.data = c;
	(void)uv_timer_start(&c->timer, on_call_timeout,
	    (uint64_t)c->timeout_ms, 0);
	r->timers++;
	c->next = r->calls;
	r->calls = c;
	return (0);
}

/* The outcome of a synchronous call. */
struct sync_call {
	int			 done;
	json_t			*result;
	struct cli_rpc_error	*err;
	int			 status;
};

/* A synchronous call's reply came. */
static void
on_sync_reply(struct cli_rpc *r, const json_t *result,
    const struct cli_rpc_error *err, void *arg)
{
	struct sync_call	*s = arg;

	s->done = 1;
	if (err == NULL) {
		s->result = json_deep_copy(result);
		s->status = s->result != NULL ? 0 : -ENOMEM;
		return;
	}
	cli__rpc_err_copy(s->err, err);
	s->status = err->code != 0 ? -EREMOTEIO : err->local;
}

/* Calls a method and runs the loop until its reply. */
int
cli_rpc_call(struct cli_rpc *r, const char *method, json_t *params,
    long timeout_ms, json_t **result, struct cli_rpc_error *err)
{
	struct sync_call	s;
	int			rc;

	*result = NULL;
	memset(err, 0, sizeof(*err));
	memset(&s, 0, sizeof(s));
	s.err = err;
	rc = cli_rpc_call_async(r, method, params, timeout_ms, on_sync_reply,
	    &s);
	if (rc != 0) {
		if (r->closed && r->close_reason != NULL)
			cli__rpc_err_local(err, CLI_RPC_LOST, "%s",
			    r->close_reason);
		else
			cli__rpc_err_local(err, CLI_RPC_LOST, "cannot send the "
			    "request: %s", strerror(-rc));
		return (rc);
	}
	while (!s.done && uv_run(&r->x->loop, UV_RUN_ONCE) != 0)
		;
	if (!s.done) {
		cli__rpc_err_local(err, CLI_RPC_LOST,
		    "the loop ended before the reply");
		return (-EIO);
	}
	*result = s.result;
	return (s.status);
}

/* Opens a stream channel and adds its id to params. */
int
cli_rpc_stream_open(struct cli_rpc *r, const struct ovl_chan_cbs *cbs,
    void *arg, json_t *params, struct ovl_chan **out)
{
	struct ovl_chan	*ch;
	int		 err;

	*out = NULL;
	if (r->conn == NULL || r->closed)
		return (-EPIPE);
	err = ovl_conn_chan_open(r->conn, &ch);
	if (err != 0)
		return (err);
	ovl_chan_set_cbs(ch, cbs, arg);
	if (json_object_set_new(params, "channel",
	    json_integer((json_int_t)ovl_chan_id(ch))) != 0) {
		ovl_chan_reset(ch);
		return (-ENOMEM);
	}
	*out = ch;
	return (0);
}
