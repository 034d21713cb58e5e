/*
 * Loop tests of the client's RPC plumbing (tools/pier/rpc.c) and target
 * parsing (target.c): real nodes (node/) on the client's own loop over
 * TCP on 127.0.0.1, a node that refuses connections and one that accepts
 * and never answers. Calls return results and the node's errors with
 * their codes and names; many nodes are asked at once and a dead or
 * silent one fails alone, within its time limit; a call in flight fails
 * when the node goes away; stream channels reach the node. A node that
 * closes with a go-away is reported with its reason everywhere: opening,
 * a call on many nodes, joining (also when the go-away comes in a later
 * read than the handshake's answer, through a relay that holds it back),
 * and a stream whose node shuts down. The stream runner (stream.c) ends
 * a stream once, with the error reply's message or the lost connection's
 * reason and its suffix, and its close says nothing.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "test.h"
#include "node.h"
#include "cli.h"
#include "cli-stream.h"

#define SILENT_MAX	8

/* Everything a case runs: the client context and the nodes. */
struct env {
	struct cli_ctx	 x;
	char		*dir;
	struct node	*n1, *n2;
	uv_tcp_t	 silent;
	uv_tcp_t	 peers[SILENT_MAX];
	size_t		 npeers;
	int		 silent_port;
};

/* main.c's cli_error, which rpc.c uses; main.c is not linked here. */
int
cli_error(const struct cli_cmd *cmd, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return (CLI_EXIT_FAIL);
}

/* What reached cli_writev_all: per call, its fd and bytes. */
static struct {
	int	fd;
	char	buf[256];
	size_t	len;
}	wlog[16];
static int	nwlog;

/* report.c's cli_writev_all, which stream.c uses: logs each call. */
void
cli_writev_all(int fd, struct iovec *iov, int n)
{
	size_t	len;

	for (; n > 0; iov++, n--) {
		if (nwlog >= 16)
			return;
		len = iov->iov_len;
		if (len > sizeof(wlog[0].buf) - wlog[nwlog].len)
			len = sizeof(wlog[0].buf) - wlog[nwlog].len;
		memcpy(wlog[nwlog].buf + wlog[nwlog].len, iov->iov_base, len);
		wlog[nwlog].len += len;
	}
	wlog[nwlog++].fd = fd;
}

/* The silent node got a connection: hold it, say nothing. */
static void
on_silent(uv_stream_t *s, int status)
{
	struct env	*e = s->data;
	uv_tcp_t	*p;

	if (status != 0 || e->npeers >= SILENT_MAX)
		return;
	p = &e->peers[e->npeers];
	if (uv_tcp_init(&e->x.loop, p) != 0)
		return;
	e->npeers++;
	(void)uv_accept(s, (uv_stream_t *)p);
}

/* Starts a node on the client's loop; its state is DIR/name. */
static struct node *
node_start(struct env *e, const char *name)
{
	struct node_config	 cfg;
	struct node		*n;
	char			 sd[512], dh[600], *cause = NULL;

	snprintf(sd, sizeof(sd), "%s/%s", e->dir, name);
	snprintf(dh, sizeof(dh), "unix://%s/no-docker.sock", e->dir);
	memset(&cfg, 0, sizeof(cfg));
	cfg.state_dir = sd;
	cfg.log_level = NODE_LOG_ERROR;
	cfg.docker_host = dh;
	if (node_strv_push(&cfg.listen, "127.0.0.1:0") != 0)
		FAIL("out of memory");
	if (node_new(&e->x.loop, &cfg, &n, &cause) != 0)
		FAIL("node_new: %s", cause);
	node_strv_free(cfg.listen);
	return (n);
}

/* Adds a book entry for a node key, secret and address. */
static void
book_add(struct env *e, const char *name, const uint8_t pub[static 32],
    const uint8_t secret[static 32], const char *addr)
{
	struct ovl_joinkey	 jk;
	struct cli_node		 cn;
	char			*text;

	memset(&jk, 0, sizeof(jk));
	memcpy(jk.node_pub, pub, 32);
	memcpy(jk.secret, secret, 32);
	snprintf(jk.addrs[0], OVL_ADDR_MAX, "%s", addr);
	jk.naddrs = 1;
	text = ovl_joinkey_format(&jk);
	ASSERT_NOT_NULL(text);
	memset(&cn, 0, sizeof(cn));
	cn.name = (char *)name;
	cn.key = text;
	ASSERT_OK(cli_book_put(&e->x.book, &cn));
	sodium_memzero(text, strlen(text));
	free(text);
}

/* A viewer key on node n; its secret goes to secret. */
static void
viewer_key(struct node *n, uint8_t secret[static 32])
{
	const struct ovl_access_key	*k;

	ASSERT_OK(ovl_keystore_create(n->ks, "viewer1", PROTO_ROLE_VIEWER, 1,
	    &k, NULL));
	memcpy(secret, k->secret, 32);
}

/*
 * Two nodes (n1 as admin and as viewer "v1", n2), one that refuses
 * ("dead") and one that never answers ("silent").
 */
static void
env_start(struct env *e)
{
	struct sockaddr_in	 sin;
	struct sockaddr_storage	 ss;
	uint8_t			 pub[32], sec[32];
	char			 cfg[512], addr[64];
	int			 len = sizeof(ss);

	memset(e, 0, sizeof(*e));
	e->dir = test_tmpdir();
	snprintf(cfg, sizeof(cfg), "%s/cfg", e->dir);
	ASSERT_OK(setenv("PIER_CONFIG_DIR", cfg, 1));
	ASSERT_OK(cli_config_dir_make(cfg, NULL));
	if (cli_ctx_open(&e->x, NULL) != 0)
		FAIL("cli_ctx_open");
	e->n1 = node_start(e, "n1");
	e->n2 = node_start(e, "n2");
	book_add(e, "n1", e->n1->id.pub,
	    ovl_keystore_find(e->n1->ks, "admin")->secret, e->n1->bound[0]);
	book_add(e, "n2", e->n2->id.pub,
	    ovl_keystore_find(e->n2->ks, "admin")->secret, e->n2->bound[0]);
	viewer_key(e->n1, sec);
	book_add(e, "v1", e->n1->id.pub, sec, e->n1->bound[0]);
	randombytes_buf(pub, sizeof(pub));
	randombytes_buf(sec, sizeof(sec));
	book_add(e, "dead", pub, sec, "127.0.0.1:1");
	ASSERT_OK(uv_tcp_init(&e->x.loop, &e->silent));
	e->silent.data = e;
	ASSERT_OK(uv_ip4_addr("127.0.0.1", 0, &sin));
	ASSERT_OK(uv_tcp_bind(&e->silent, (struct sockaddr *)&sin, 0));
	ASSERT_OK(uv_listen((uv_stream_t *)&e->silent, 8, on_silent));
	ASSERT_OK(uv_tcp_getsockname(&e->silent, (struct sockaddr *)&ss,
	    &len));
	e->silent_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", e->silent_port);
	book_add(e, "silent", pub, sec, addr);
}

/* Stops everything; the loop must close clean. */
static void
env_stop(struct env *e)
{
	size_t	i;

	node_close(e->n1);
	node_close(e->n2);
	uv_close((uv_handle_t *)&e->silent, NULL);
	for (i = 0; i < e->npeers; i++)
		uv_close((uv_handle_t *)&e->peers[i], NULL);
	uv_run(&e->x.loop, UV_RUN_DEFAULT);
	ASSERT_EQ(e->n1->nreqs, 0);
	node_free(e->n1);
	node_free(e->n2);
	ASSERT_EQ(uv_loop_alive(&e->x.loop), 0);
	cli_ctx_close(&e->x);
	test_rmtree(e->dir);
}

/* Results, the node's errors with code and name, unknown nodes. */
static void
test_calls_and_errors(void)
{
	struct env		 e;
	struct cli_rpc		*r, *v;
	struct cli_rpc_error	 err;
	json_t			*res;	/* owned */
	char			*cause = NULL;

	env_start(&e);
	ASSERT_OK(cli_rpc_open(&e.x, "n1", &r, &cause));
	ASSERT_STREQ(cli_rpc_node(r), "n1");
	ASSERT_OK(cli_rpc_call(r, "node.info", NULL, 0, &res, &err));
	ASSERT_STREQ(json_string_value(json_object_get(res, "key")),
	    e.n1->fingerprint);
	json_decref(res);
	ASSERT_EQ(cli_rpc_call(r, "node.nope", NULL, 0, &res, &err),
	    -EREMOTEIO);
	ASSERT_NULL(res);
	ASSERT_EQ(err.code, -32601);
	ASSERT_STREQ(err.name, "method_not_found");
	cli_rpc_error_clear(&err);
	ASSERT_EQ(cli_rpc_call(r, "audit.read", json_pack("{s:i}", "tail", 0),
	    0, &res, &err), -EREMOTEIO);
	ASSERT_EQ(err.code, -32602);
	ASSERT_CONTAINS(err.message, "params.tail");
	cli_rpc_error_clear(&err);
	ASSERT_OK(cli_rpc_open(&e.x, "v1", &v, &cause));
	ASSERT_EQ(cli_rpc_call(v, "key.list", NULL, 0, &res, &err),
	    -EREMOTEIO);
	ASSERT_EQ(err.code, 1000);
	ASSERT_STREQ(err.name, "forbidden");
	ASSERT_STREQ(json_string_value(json_object_get(err.data, "role")),
	    "admin");
	cli_rpc_error_clear(&err);
	cli_rpc_close(v);
	cli_rpc_close(r);
	ASSERT_EQ(cli_rpc_open(&e.x, "nosuch", &r, &cause), -ENOENT);
	ASSERT_CONTAINS(cause, "no node named nosuch");
	free(cause);
	cause = NULL;
	ASSERT_NE(cli_rpc_open(&e.x, NULL, &r, &cause), 0);
	ASSERT_CONTAINS(cause, "which node? 5 are joined: n1, n2, v1, dead, "
	    "silent");
	free(cause);
	cause = NULL;
	ASSERT_NE(cli_rpc_open(&e.x, "dead", &r, &cause), 0);
	ASSERT_CONTAINS(cause, "dead: ");
	ASSERT_CONTAINS(cause, "127.0.0.1:1");
	free(cause);
	env_stop(&e);
}

/* Many nodes at once: each answers or fails alone, within the limit. */
static void
test_multi(void)
{
	struct env		 e;
	struct cli_multi	*m;
	size_t			 n, i;
	char			*cause = NULL;
	uint64_t		 t0;
	const char		*names[] = { "n2", "silent", "n1", "dead" };

	env_start(&e);
	/* n1 and v1 dial one node at once with one client key: both in. */
	t0 = uv_hrtime();
	ASSERT_OK(cli_rpc_multi(&e.x, NULL, 0, "node.info", NULL, 800, &m,
	    &n, &cause));
	ASSERT_LT(uv_hrtime() - t0, 2000000000ULL);
	ASSERT_EQ(n, 5);
	for (i = 0; i < n; i++) {
		if (strcmp(m[i].node, "n1") == 0 ||
		    strcmp(m[i].node, "v1") == 0) {
			ASSERT_OK(m[i].status);
			ASSERT_STREQ(json_string_value(json_object_get(
			    m[i].result, "key")), e.n1->fingerprint);
		} else if (strcmp(m[i].node, "n2") == 0) {
			ASSERT_OK(m[i].status);
			ASSERT_STREQ(json_string_value(json_object_get(
			    m[i].result, "key")), e.n2->fingerprint);
		} else {
			ASSERT_NE(m[i].status, 0);
			ASSERT_NULL(m[i].result);
			ASSERT_NOT_NULL(m[i].err.message);
		}
	}
	ASSERT_STREQ(m[4].node, "silent");
	cli_multi_free(m, n);
	/* Named nodes come back in the order asked. */
	ASSERT_OK(cli_rpc_multi(&e.x, names, 4, "node.info", NULL, 800, &m,
	    &n, &cause));
	ASSERT_EQ(n, 4);
	for (i = 0; i < n; i++)
		ASSERT_STREQ(m[i].node, names[i]);
	ASSERT_OK(m[0].status);
	ASSERT_NE(m[1].status, 0);
	/* Local failures are named by their errno, not their text. */
	ASSERT_EQ(m[1].err.code, 0);
	ASSERT_EQ(m[1].err.local, CLI_RPC_TIMEOUT);
	ASSERT_STREQ(m[1].err.name, "timeout");
	ASSERT_EQ(m[3].err.local, CLI_RPC_LOST);
	ASSERT_STREQ(m[3].err.name, "connection");
	ASSERT_OK(m[2].status);
	ASSERT_NE(m[3].status, 0);
	cli_multi_free(m, n);
	names[1] = "nope";
	ASSERT_EQ(cli_rpc_multi(&e.x, names, 2, "node.info", NULL, 800, &m,
	    &n, &cause), -ENOENT);
	ASSERT_CONTAINS(cause, "no node named nope");
	free(cause);
	env_stop(&e);
}

/* What an async call got. */
struct got {
	int			 done;
	int			 code;
	int			 local;
	char			 name[64];
	char			 msg[256];
};

/* An async call ended. */
static void
on_got(struct cli_rpc *r, const json_t *result,
    const struct cli_rpc_error *err, void *arg)
{
	struct got	*g = arg;

	g->done = 1;
	if (err != NULL) {
		g->code = err->code;
		g->local = err->local;
		snprintf(g->name, sizeof(g->name), "%s", err->name);
		snprintf(g->msg, sizeof(g->msg), "%s", err->message);
	}
}

/* A call in flight fails, with a reason, when the node goes away. */
static void
test_call_fails_when_node_leaves(void)
{
	struct env	 e;
	struct cli_rpc	*r;
	struct got	 g;
	char		*cause = NULL;

	env_start(&e);
	ASSERT_OK(cli_rpc_open(&e.x, "n2", &r, &cause));
	memset(&g, 0, sizeof(g));
	ASSERT_OK(cli_rpc_call_async(r, "node.info", NULL, 0, on_got, &g));
	node_close(e.n2);
	while (!g.done && uv_run(&e.x.loop, UV_RUN_ONCE) != 0)
		;
	ASSERT(g.done);
	ASSERT_EQ(g.code, 0);
	ASSERT_EQ(g.local, CLI_RPC_LOST);
	ASSERT_STREQ(g.name, "connection");
	ASSERT_STREQ(g.msg, "node closed the connection: node shutting down");
	ASSERT_EQ(cli_rpc_call_async(r, "node.info", NULL, 0, on_got, &g),
	    -EPIPE);
	cli_rpc_close(r);
	env_stop(&e);
}

/* A stream channel's end. */
static void
on_chan_close(struct ovl_chan *ch, int status, void *arg)
{
	int	*closed = arg;

	*closed = 1;
}

/* A stream channel opened here is the one the node finds by id. */
static void
test_stream_channel(void)
{
	static const struct ovl_chan_cbs cbs = { .on_close = on_chan_close };
	struct env		 e;
	struct cli_rpc		*r;
	struct cli_rpc_error	 err;
	struct ovl_chan		*ch;
	json_t			*params, *res;	/* owned */
	char			*cause = NULL;
	int			 closed = 0;

	env_start(&e);
	ASSERT_OK(cli_rpc_open(&e.x, "n1", &r, &cause));
	params = json_pack("{s:s}", "id", "s1");
	ASSERT_OK(cli_rpc_stream_open(r, &cbs, &closed, params, &ch));
	ASSERT_EQ(json_integer_value(json_object_get(params, "channel")),
	    ovl_chan_id(ch));
	ASSERT_EQ(cli_rpc_call(r, "session.attach", params, 0, &res, &err),
	    -EREMOTEIO);
	/* Found, so the handler answered, not the channel check. */
	ASSERT_NE(err.code, 5000);
	cli_rpc_error_clear(&err);
	while (!closed && uv_run(&e.x.loop, UV_RUN_ONCE) != 0)
		;
	ASSERT(closed);
	cli_rpc_close(r);
	env_stop(&e);
}

/* How a connection's end is worded: the node's go-away, or the transport. */
static void
test_close_text(void)
{
	char	buf[CLI_CLOSE_TEXT_MAX], small[24];

	ASSERT_EQ(cli_close_text(-ECONNABORTED, "closed by peer (access "
	    "revoked): client key abcd was revoked on this node", buf,
	    sizeof(buf)), 1);
	ASSERT_STREQ(buf, "node closed the connection: client key abcd was "
	    "revoked on this node");
	ASSERT_EQ(cli_close_text(-ECONNABORTED, "closed by peer (shutting "
	    "down)", buf, sizeof(buf)), 1);
	ASSERT_STREQ(buf, "node closed the connection: shutting down");
	ASSERT_EQ(cli_close_text(-ECONNRESET, "connection closed by peer",
	    buf, sizeof(buf)), 0);
	ASSERT_STREQ(buf, "connection lost: connection closed by peer");
	ASSERT_EQ(cli_close_text(-EPIPE, NULL, buf, sizeof(buf)), 0);
	ASSERT_STREQ(buf, "connection lost: Broken pipe");
	ASSERT_EQ(cli_close_text(-ETIMEDOUT, "", buf, sizeof(buf)), 0);
	ASSERT_STREQ(buf, "connection lost: Connection timed out");
	ASSERT_EQ(cli_close_text(-ECONNABORTED, "closed by peer (limit "
	    "exceeded): replies not read", small, sizeof(small)), 1);
	ASSERT_STREQ(small, "node closed the connect");
}

/* A revoked client key: opening, a call on many nodes, joining. */
static void
test_revoked_client(void)
{
	struct env		 e;
	struct cli_rpc		*r;
	struct cli_multi	*m;
	struct ovl_joinkey	 jk;
	struct ovl_conn		*conn;
	const char		*names[] = { "n1", "n2" }, *addrs[1];
	char			 fp[OVL_FINGERPRINT_SIZE], want[128];
	char			*cause = NULL;
	size_t			 nm;

	env_start(&e);
	ovl_fingerprint(e.x.id.pub, fp);
	ASSERT_OK(ovl_keystore_deny(e.n1->ks, fp, 1, NULL));
	snprintf(want, sizeof(want), "node closed the connection: client key "
	    "%s was revoked on this node", fp);
	ASSERT_EQ(cli_rpc_open(&e.x, "n1", &r, &cause), -ECONNABORTED);
	ASSERT_NULL(r);
	ASSERT_CONTAINS(cause, "n1: ");
	ASSERT_CONTAINS(cause, want);
	free(cause);
	cause = NULL;
	ASSERT_OK(cli_rpc_multi(&e.x, names, 2, "node.info", NULL, 0, &m, &nm,
	    &cause));
	ASSERT_EQ(nm, 2);
	ASSERT_NE(m[0].status, 0);
	ASSERT_CONTAINS(m[0].err.message, want);
	ASSERT_OK(m[1].status);
	cli_multi_free(m, nm);
	/* What pier join does: the handshake, then the node's answer. */
	memset(&jk, 0, sizeof(jk));
	ASSERT_OK(ovl_joinkey_parse(cli_book_find(&e.x.book, "n1")->key, &jk,
	    NULL));
	addrs[0] = e.n1->bound[0];
	ASSERT_EQ(cli_connect(&e.x.loop, &e.x.id, &jk, addrs, 1, 1, &conn,
	    &cause), -ECONNABORTED);
	ASSERT_NULL(conn);
	ASSERT_STREQ(cause, want);
	free(cause);
	cause = NULL;
	ASSERT_OK(ovl_keystore_undeny(e.n1->ks, fp, NULL));
	ASSERT_OK(cli_connect(&e.x.loop, &e.x.id, &jk, addrs, 1, 1, &conn,
	    &cause));
	ovl_conn_close(conn, OVL_GA_NORMAL, "bye");
	ovl_conn_unref(conn, "cli_connect");
	sodium_memzero(&jk, sizeof(jk));
	env_stop(&e);
}

/*
 * A TCP relay to a node that passes the node's first record (the
 * handshake's answer) at once and holds back the rest for RELAY_HOLD_MS,
 * so a go-away sent right after the handshake arrives in a later read.
 */
#define RELAY_HOLD_MS	150

/* The relay's state: one connection at a time. */
struct relay {
	uv_tcp_t		 lis, down, up;
	uv_connect_t		 creq;
	uv_timer_t		 hold;
	struct sockaddr_storage	 node;
	uint8_t			 rbuf[65536];
	uint8_t			 held[65536];
	size_t			 nheld;
	int			 passed;	/* the first record went */
	int			 holding;
	int			 up_eof;
	int			 busy;
	int			 port;
};

/* One write of the relay, with its copy of the bytes. */
struct relay_w {
	uv_write_t	req;
	uint8_t		data[];
};

/* A relay write is done. */
static void
relay_wdone(uv_write_t *req, int status)
{
	free(container_of(req, struct relay_w, req));
}

/* Writes a copy of p to a side of the relay. */
static void
relay_write(uv_tcp_t *to, const uint8_t *p, size_t n)
{
	struct relay_w	*w;
	uv_buf_t	 b;

	if (n == 0 || uv_is_closing((uv_handle_t *)to))
		return;
	w = malloc(sizeof(*w) + n);
	ASSERT_NOT_NULL(w);
	memcpy(w->data, p, n);
	b = uv_buf_init((char *)w->data, (unsigned int)n);
	if (uv_write(&w->req, (uv_stream_t *)to, &b, 1, relay_wdone) != 0)
		free(w);
}

/* Read buffers of the relay. */
static void
relay_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct relay	*rl = h->data;

	*buf = uv_buf_init((char *)rl->rbuf, sizeof(rl->rbuf));
}

/* Closes both sides. */
static void
relay_drop(struct relay *rl)
{
	if (!uv_is_closing((uv_handle_t *)&rl->down))
		uv_close((uv_handle_t *)&rl->down, NULL);
	if (!uv_is_closing((uv_handle_t *)&rl->up))
		uv_close((uv_handle_t *)&rl->up, NULL);
}

/* The hold is over: what the node sent goes on, then its end. */
static void
relay_release(uv_timer_t *t)
{
	struct relay	*rl = t->data;

	rl->holding = 0;
	relay_write(&rl->down, rl->held, rl->nheld);
	rl->nheld = 0;
	if (rl->up_eof)
		relay_drop(rl);
}

/* Bytes from the node. */
static void
relay_up_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct relay	*rl = s->data;
	size_t		 len;

	if (n < 0) {
		rl->up_eof = 1;
		if (!rl->holding)
			relay_drop(rl);
		return;
	}
	if (!rl->holding) {
		relay_write(&rl->down, rl->rbuf, (size_t)n);
		return;
	}
	ASSERT_LE(rl->nheld + (size_t)n, sizeof(rl->held));
	memcpy(rl->held + rl->nheld, rl->rbuf, (size_t)n);
	rl->nheld += (size_t)n;
	if (rl->passed || rl->nheld < 2)
		return;
	len = 2 + ((size_t)rl->held[0] << 8 | rl->held[1]);
	if (rl->nheld < len)
		return;
	relay_write(&rl->down, rl->held, len);
	memmove(rl->held, rl->held + len, rl->nheld - len);
	rl->nheld -= len;
	rl->passed = 1;
	ASSERT_OK(uv_timer_start(&rl->hold, relay_release, RELAY_HOLD_MS, 0));
}

/* Bytes from the client go straight on. */
static void
relay_down_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct relay	*rl = s->data;

	if (n < 0) {
		relay_drop(rl);
		return;
	}
	relay_write(&rl->up, rl->rbuf, (size_t)n);
}

/* Connected to the node: relay both ways. */
static void
relay_connected(uv_connect_t *req, int status)
{
	struct relay	*rl = req->data;

	ASSERT_OK(status);
	ASSERT_OK(uv_read_start((uv_stream_t *)&rl->up, relay_alloc,
	    relay_up_read));
	ASSERT_OK(uv_read_start((uv_stream_t *)&rl->down, relay_alloc,
	    relay_down_read));
}

/* A client came: connect to the node for it. */
static void
relay_accept(uv_stream_t *s, int status)
{
	struct relay	*rl = s->data;

	ASSERT_OK(status);
	ASSERT_EQ(rl->busy, 0);
	rl->busy = 1;
	ASSERT_OK(uv_tcp_init(s->loop, &rl->down));
	ASSERT_OK(uv_tcp_init(s->loop, &rl->up));
	rl->down.data = rl->up.data = rl->creq.data = rl;
	ASSERT_OK(uv_accept(s, (uv_stream_t *)&rl->down));
	ASSERT_OK(uv_tcp_connect(&rl->creq, &rl->up,
	    (struct sockaddr *)&rl->node, relay_connected));
}

/* Starts a relay on 127.0.0.1 to the node at addr ("ip:port"). */
static void
relay_start(struct relay *rl, uv_loop_t *loop, const char *addr)
{
	struct sockaddr_in	 sin;
	struct sockaddr_storage	 ss;
	char			 host[64], *colon;
	int			 len = sizeof(ss);

	memset(rl, 0, sizeof(*rl));
	rl->holding = 1;
	snprintf(host, sizeof(host), "%s", addr);
	colon = strrchr(host, ':');
	ASSERT_NOT_NULL(colon);
	*colon = '\0';
	ASSERT_OK(uv_ip4_addr(host, atoi(colon + 1),
	    (struct sockaddr_in *)&rl->node));
	ASSERT_OK(uv_tcp_init(loop, &rl->lis));
	ASSERT_OK(uv_timer_init(loop, &rl->hold));
	rl->lis.data = rl->hold.data = rl;
	ASSERT_OK(uv_ip4_addr("127.0.0.1", 0, &sin));
	ASSERT_OK(uv_tcp_bind(&rl->lis, (struct sockaddr *)&sin, 0));
	ASSERT_OK(uv_listen((uv_stream_t *)&rl->lis, 4, relay_accept));
	ASSERT_OK(uv_tcp_getsockname(&rl->lis, (struct sockaddr *)&ss, &len));
	rl->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* Stops a relay and runs its handles closed. */
static void
relay_stop(struct relay *rl, uv_loop_t *loop)
{
	if (rl->busy)
		relay_drop(rl);
	uv_close((uv_handle_t *)&rl->lis, NULL);
	uv_close((uv_handle_t *)&rl->hold, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
}

/*
 * The go-away of a revoked client that comes in a read after the
 * handshake's answer: the handshake alone would pass (confirm 0), and
 * pier join's wait for the node's answer (confirm 1) fails with the
 * node's reason.
 */
static void
test_late_goaway(void)
{
	struct env		 e;
	struct relay		*rl;
	struct ovl_joinkey	 jk;
	struct ovl_conn		*conn;
	const char		*addrs[1];
	char			 fp[OVL_FINGERPRINT_SIZE], addr[64], want[128];
	char			*cause = NULL;
	int			 confirm;

	env_start(&e);
	rl = calloc(1, sizeof(*rl));
	ASSERT_NOT_NULL(rl);
	ovl_fingerprint(e.x.id.pub, fp);
	ASSERT_OK(ovl_keystore_deny(e.n1->ks, fp, 1, NULL));
	snprintf(want, sizeof(want), "node closed the connection: client key "
	    "%s was revoked on this node", fp);
	memset(&jk, 0, sizeof(jk));
	ASSERT_OK(ovl_joinkey_parse(cli_book_find(&e.x.book, "n1")->key, &jk,
	    NULL));
	for (confirm = 0; confirm <= 1; confirm++) {
		relay_start(rl, &e.x.loop, e.n1->bound[0]);
		snprintf(addr, sizeof(addr), "127.0.0.1:%d", rl->port);
		addrs[0] = addr;
		if (confirm == 0) {
			ASSERT_OK(cli_connect(&e.x.loop, &e.x.id, &jk, addrs,
			    1, 0, &conn, &cause));
			ovl_conn_close(conn, OVL_GA_NORMAL, "bye");
			ovl_conn_unref(conn, "cli_connect");
		} else {
			ASSERT_EQ(cli_connect(&e.x.loop, &e.x.id, &jk, addrs,
			    1, 1, &conn, &cause), -ECONNABORTED);
			ASSERT_STREQ(cause, want);
			free(cause);
			cause = NULL;
		}
		relay_stop(rl, &e.x.loop);
	}
	sodium_memzero(&jk, sizeof(jk));
	free(rl);
	env_stop(&e);
}

/* The lost callback of a stream's connection. */
static void
on_lost(struct cli_rpc *r, const char *why, void *arg)
{
	char	*buf = arg;

	snprintf(buf, 256, "%s", why);
}

/* A stream's channel end when the connection ended. */
static void
on_stream_close(struct ovl_chan *ch, int status, void *arg)
{
	int	*st = arg;

	*st = status;
}

/*
 * A stream whose node goes away: the channel closes (-ECONNABORTED),
 * then the lost callback has the node's reason; cli_rpc_close is not a
 * loss.
 */
static void
test_stream_lost(void)
{
	static const struct ovl_chan_cbs cbs = { .on_close = on_stream_close };
	struct env		 e;
	struct cli_rpc		*r, *r1;
	struct ovl_chan		*ch;
	json_t			*params;	/* owned */
	char			*cause = NULL, why[256] = "", why1[256] = "";
	int			 st = 1;

	env_start(&e);
	ASSERT_OK(cli_rpc_open(&e.x, "n2", &r, &cause));
	ASSERT_OK(cli_rpc_open(&e.x, "n1", &r1, &cause));
	cli_rpc_on_lost(r, on_lost, why);
	cli_rpc_on_lost(r1, on_lost, why1);
	ASSERT_NULL(cli_rpc_lost(r));
	params = json_object();
	ASSERT_OK(cli_rpc_stream_open(r, &cbs, &st, params, &ch));
	json_decref(params);
	node_close(e.n2);
	while (why[0] == '\0' && uv_run(&e.x.loop, UV_RUN_ONCE) != 0)
		;
	ASSERT_EQ(st, -ECONNABORTED);
	ASSERT_STREQ(why, "node closed the connection: node shutting down");
	ASSERT_STREQ(cli_rpc_lost(r), why);
	cli_rpc_close(r);
	cli_rpc_close(r1);
	uv_run(&e.x.loop, UV_RUN_NOWAIT);
	ASSERT_STREQ(why1, "");
	env_stop(&e);
}

/* A runner stream that counts its ends. */
struct rstream {
	struct cli_stream	 s;
	int			 ends;
	char			 why[256];
};

/* The runner's end callback: count, keep why. */
static void
on_rs_end(struct cli_stream *s, const char *why)
{
	struct rstream	*rs = container_of(s, struct rstream, s);

	rs->ends++;
	snprintf(rs->why, sizeof(rs->why), "%s", why != NULL ? why : "(well)");
}

/*
 * The stream runner's end rules without Docker: with CLOSE_WAITS (as
 * exec) an error reply ends the stream once with its message, and the
 * channel's end, which the node sends too, adds nothing;
 * a lost connection ends it with the node's reason and the ops' suffix
 * (its channel's -ECONNABORTED leaves the word to the connection); and
 * cli_stream_close ends a live stream quietly.
 */
static void
test_stream_runner(void)
{
	static const struct cli_stream_ops ops = {
		.flags = CLI_STREAM_LINES | CLI_STREAM_CLOSE_WAITS,
		.lost_suffix = " (before the end)",
		.end = on_rs_end,
	};
	struct rstream	 a, b, c;
	struct env	 e;
	char		*cause = NULL;
	int		 i;

	env_start(&e);
	memset(&a, 0, sizeof(a));
	cli_stream_init(&a.s, &e.x, &ops);
	ASSERT_OK(cli_stream_open(&a.s, "n1", &cause));
	ASSERT(a.s.live);
	cli_stream_call(&a.s, "session.attach", json_pack("{s:s}", "id",
	    "nosuch"));
	while (a.s.live && uv_run(&e.x.loop, UV_RUN_ONCE) != 0)
		;
	for (i = 0; a.s.ch != NULL && i < 1000 &&
	    uv_run(&e.x.loop, UV_RUN_ONCE) != 0; i++)
		;
	ASSERT_NULL(a.s.ch);	/* the node closed it too */
	ASSERT_EQ(a.ends, 1);
	ASSERT_NOT_NULL(a.s.err);
	ASSERT_STREQ(a.why, a.s.err);
	ASSERT_CONTAINS(a.s.err, "no session nosuch");
	cli_stream_close(&a.s);
	ASSERT_EQ(a.ends, 1);

	memset(&b, 0, sizeof(b));
	cli_stream_init(&b.s, &e.x, &ops);
	ASSERT_OK(cli_stream_open(&b.s, "n2", &cause));
	memset(&c, 0, sizeof(c));
	cli_stream_init(&c.s, &e.x, &ops);
	ASSERT_OK(cli_stream_open(&c.s, "n1", &cause));
	node_close(e.n2);
	while (b.s.live && uv_run(&e.x.loop, UV_RUN_ONCE) != 0)
		;
	ASSERT_EQ(b.ends, 1);
	ASSERT_STREQ(b.s.err, "node closed the connection: node shutting "
	    "down (before the end)");
	cli_stream_close(&b.s);
	ASSERT(c.s.live);
	cli_stream_close(&c.s);
	uv_run(&e.x.loop, UV_RUN_NOWAIT);
	ASSERT_EQ(c.ends, 0);
	ASSERT_NULL(c.s.err);
	env_stop(&e);
}

/* Appends a frame (type, text) to buf at *off. */
static void
frame_put(uint8_t *buf, size_t *off, enum proto_frame type, const char *text)
{
	size_t	len = strlen(text);

	proto_frame_hdr(buf + *off, type, (uint32_t)len);
	memcpy(buf + *off + PROTO_FRAME_HDR, text, len);
	*off += PROTO_FRAME_HDR + len;
}

/*
 * A delivery of several output frames, and of a frame split across two
 * deliveries, is written as one call per fd and delivery, in order.
 */
static void
test_stream_output_batched(void)
{
	static const struct cli_stream_ops ops = { .end = on_rs_end };
	struct rstream	 a;
	uint8_t		 buf[512];
	size_t		 off = 0;

	memset(&a, 0, sizeof(a));
	cli_stream_init(&a.s, NULL, &ops);
	a.s.live = 1;
	frame_put(buf, &off, PROTO_FRAME_STDOUT, "one ");
	frame_put(buf, &off, PROTO_FRAME_STDOUT, "two ");
	frame_put(buf, &off, PROTO_FRAME_STDOUT, "three ");
	frame_put(buf, &off, PROTO_FRAME_STDERR, "oops ");
	frame_put(buf, &off, PROTO_FRAME_STDERR, "again ");
	frame_put(buf, &off, PROTO_FRAME_STDOUT, "four");
	nwlog = 0;
	cli_stream_feed(&a.s, buf, off - 2);	/* "fo" of the last */
	cli_stream_feed(&a.s, buf + off - 2, 2);
	ASSERT_EQ(nwlog, 4);
	ASSERT_EQ(wlog[0].fd, 1);
	ASSERT_EQ(wlog[0].len, 14);
	ASSERT_MEMEQ(wlog[0].buf, "one two three ", 14);
	ASSERT_EQ(wlog[1].fd, 2);
	ASSERT_MEMEQ(wlog[1].buf, "oops again ", 11);
	ASSERT_EQ(wlog[2].fd, 1);
	ASSERT_MEMEQ(wlog[2].buf, "fo", 2);
	ASSERT_EQ(wlog[3].fd, 1);
	ASSERT_MEMEQ(wlog[3].buf, "ur", 2);
	ASSERT(a.s.live);
	ASSERT_EQ(a.ends, 0);
}

/* NODE/CONTAINER and CONTAINER with one node joined. */
static void
test_target_parse(void)
{
	struct cli_book		 b;
	struct cli_node		 cn;
	struct cli_target	 t;
	char			*cause = NULL;

	memset(&b, 0, sizeof(b));
	memset(&cn, 0, sizeof(cn));
	ASSERT_EQ(cli_target_parse(&b, "web", &t, &cause), -ENOENT);
	ASSERT_CONTAINS(cause, "no node joined");
	free(cause);
	cn.name = "alpha";
	cn.key = "k";
	ASSERT_OK(cli_book_put(&b, &cn));
	ASSERT_OK(cli_target_parse(&b, "web", &t, NULL));
	ASSERT_STREQ(t.node, "alpha");
	ASSERT_STREQ(t.container, "web");
	cli_target_free(&t);
	cn.name = "beta";
	ASSERT_OK(cli_book_put(&b, &cn));
	ASSERT_OK(cli_target_parse(&b, "beta/3f2a", &t, NULL));
	ASSERT_STREQ(t.node, "beta");
	ASSERT_STREQ(t.container, "3f2a");
	cli_target_free(&t);
	ASSERT_EQ(cli_target_parse(&b, "web", &t, &cause), -EINVAL);
	ASSERT_CONTAINS(cause, "which node? write NODE/web (joined: alpha, "
	    "beta)");
	free(cause);
	ASSERT_EQ(cli_target_parse(&b, "gamma/web", &t, &cause), -ENOENT);
	ASSERT_CONTAINS(cause, "no node named gamma");
	free(cause);
	ASSERT_EQ(cli_target_parse(&b, "alpha/", &t, &cause), -EINVAL);
	ASSERT_CONTAINS(cause, "no container name");
	free(cause);
	ASSERT_EQ(cli_target_parse(&b, "/web", &t, &cause), -EINVAL);
	ASSERT_CONTAINS(cause, "no node name");
	free(cause);
	ASSERT_EQ(cli_target_parse(&b, "alpha/a/b", &t, &cause), -EINVAL);
	free(cause);
	ASSERT_EQ(cli_target_parse(&b, "", &t, &cause), -EINVAL);
	free(cause);
	ASSERT_NULL(cli_target_node(&b, NULL, &cause));
	ASSERT_CONTAINS(cause, "which node?");
	free(cause);
	ASSERT_NOT_NULL(cli_target_node(&b, "beta", NULL));
	cli_book_free(&b);
}

TEST_MAIN(
	T(test_stream_output_batched),
	T(test_target_parse),
	T(test_calls_and_errors),
	T(test_multi),
	T(test_call_fails_when_node_leaves),
	T(test_stream_channel),
	T(test_close_text),
	T(test_revoked_client),
	T(test_late_goaway),
	T(test_stream_lost),
	T(test_stream_runner)
)
