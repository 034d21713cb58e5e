/*
 * Connections over real TCP on 127.0.0.1 and ::1 with the real
 * handshake: dial and echo on several channels, ping, several candidates
 * where the first is dead or silent, a wrong access secret, revocation,
 * keepalive and the idle timeout, and reconnecting with backoff after
 * the node restarts.
 */
#include <errno.h>

#include <sodium.h>

#include "overlay-net-fx.h"

#define container_of(ptr, type, member)					\
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* A ping reply. */
static void
on_ping(struct ovl_conn *c, int status, uint64_t rtt_us, void *arg)
{
	int *got = arg;

	(void)c;
	(void)rtt_us;
	*got = status == 0 ? 1 : status;
}

/* Echo round trip on channel 0 and two opened channels, then close. */
static void
echo_over(struct fx *f, const char *addr)
{
	const char *addrs[1] = { addr };
	struct fx_sink s0, s1, s2;
	struct fx_closed cl;
	struct fx_dial r;
	struct ovl_chan *c1, *c2;
	static uint8_t big[200000];
	int pinged = 0;
	size_t i;

	memset(&s0, 0, sizeof s0);
	memset(&s1, 0, sizeof s1);
	memset(&s2, 0, sizeof s2);
	for (i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)(i % 251);
	fx_dial(f, addrs, 1, f->psk, 3000, &r);
	if (r.status != 0)
		FAIL("dial %s: %s", addr, r.cause);
	ASSERT_NOT_NULL(r.conn);
	ASSERT(ovl_conn_is_open(r.conn));
	ASSERT_MEMEQ(ovl_conn_remote_key(r.conn), f->node_id.pub, 32);
	fx_watch_close(r.conn, &cl);
	ASSERT_EQ(f->auths, 1);
	ASSERT_MEMEQ(ovl_conn_remote_key(f->last_auth), f->client_id.pub, 32);
	ASSERT_STREQ(ovl_conn_key_name(f->last_auth), "admin");
	ovl_chan_set_cbs(ovl_conn_control(r.conn), &fx_sink_cbs, &s0);
	ASSERT_OK(ovl_conn_chan_open(r.conn, &c1));
	ASSERT_OK(ovl_conn_chan_open(r.conn, &c2));
	ASSERT_EQ(ovl_chan_id(c1), 1);
	ASSERT_EQ(ovl_chan_id(c2), 3);
	ASSERT(ovl_chan_conn(c1) == r.conn);
	ovl_chan_set_cbs(c1, &fx_sink_cbs, &s1);
	ovl_chan_set_cbs(c2, &fx_sink_cbs, &s2);
	ASSERT_OK(ovl_chan_write(ovl_conn_control(r.conn), "{\"id\":1}", 8));
	ASSERT_OK(ovl_chan_write(c1, "hello", 5));
	ASSERT_OK(ovl_chan_write(c2, big, sizeof big));
	ASSERT_OK(ovl_chan_close(c2));
	ASSERT_OK(ovl_conn_ping(r.conn, on_ping, &pinged));
	fx_run_until(f, &s2.closed, 3000);
	ASSERT_EQ(pinged, 1);
	ASSERT_EQ(s0.len, 8);
	ASSERT_MEMEQ(s0.buf, "{\"id\":1}", 8);
	ASSERT_EQ(s1.len, 5);
	ASSERT_EQ(s2.len, sizeof big);
	ASSERT_MEMEQ(s2.buf, big, sizeof big);
	ASSERT(s2.eof);
	ASSERT_EQ(s2.close_status, 0);
	ASSERT_EQ(s1.closed, 0);
	ovl_conn_close(r.conn, OVL_GA_NORMAL, "bye");
	ASSERT_EQ(cl.closed, 1);
	ASSERT_EQ(cl.status, 0);
	ASSERT(s1.closed);
	ASSERT_EQ(s1.close_status, -ECONNABORTED);
	FX_RUN_UNTIL(f, f->echo_closes >= 3, 5000);
	ASSERT_GE(f->echo_closes, 3);	/* c2 clean, c1 and 0 aborted */
	free(s0.buf);
	free(s1.buf);
	free(s2.buf);
}

/* Dial and echo over IPv4 loopback. */
static void
test_echo_v4(void)
{
	struct fx f;

	fx_init(&f);
	fx_listen(&f);
	echo_over(&f, f.addr);
	ASSERT_EQ(fx_log_count(&f, "closed by peer (normal): bye"), 1);
	fx_done(&f);
}

/* Dial and echo over IPv6 loopback. */
static void
test_echo_v6(void)
{
	struct fx f;

	fx_init(&f);
	fx_listen(&f);
	if (f.port6 == 0) {
		fx_done(&f);
		SKIP("no IPv6 loopback here");
	}
	echo_over(&f, f.addr6);
	fx_done(&f);
}

/* A listener that accepts and never says a word. */
struct mute {
	uv_tcp_t	 ls;
	uv_tcp_t	 peers[8];
	int		 n;
	int		 port;
};

/* Accepts into the next slot and leaves it silent. */
static void
mute_accept(uv_stream_t *ls, int status)
{
	struct mute *m = container_of((uv_tcp_t *)ls, struct mute, ls);

	if (status < 0 || m->n >= 8)
		return;
	ASSERT_OK(uv_tcp_init(ls->loop, &m->peers[m->n]));
	ASSERT_OK(uv_accept(ls, (uv_stream_t *)&m->peers[m->n]));
	m->n++;
}

/* Starts a mute listener on 127.0.0.1. */
static void
mute_start(uv_loop_t *loop, struct mute *m)
{
	struct sockaddr_in sa;
	struct sockaddr_storage ss;
	int len = sizeof ss;

	memset(m, 0, sizeof *m);
	ASSERT_OK(uv_tcp_init(loop, &m->ls));
	ASSERT_OK(uv_ip4_addr("127.0.0.1", 0, &sa));
	ASSERT_OK(uv_tcp_bind(&m->ls, (struct sockaddr *)&sa, 0));
	ASSERT_OK(uv_listen((uv_stream_t *)&m->ls, 8, mute_accept));
	ASSERT_OK(uv_tcp_getsockname(&m->ls, (struct sockaddr *)&ss, &len));
	m->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* Finds a port nobody listens on. */
static int
dead_port(uv_loop_t *loop)
{
	struct mute m;
	int port;

	mute_start(loop, &m);
	port = m.port;
	uv_close((uv_handle_t *)&m.ls, NULL);
	(void)uv_run(loop, UV_RUN_NOWAIT);
	return (port);
}

/* Dead and silent candidates first: the live one still wins. */
static void
test_candidates(void)
{
	struct fx f;
	struct mute m;
	struct fx_dial r;
	char dead[64], mutea[64];
	const char *addrs[3];

	fx_init(&f);
	fx_listen(&f);
	mute_start(&f.loop, &m);
	snprintf(dead, sizeof dead, "127.0.0.1:%d", dead_port(&f.loop));
	snprintf(mutea, sizeof mutea, "127.0.0.1:%d", m.port);
	addrs[0] = dead;
	addrs[1] = mutea;
	addrs[2] = f.addr;
	fx_dial(&f, addrs, 3, f.psk, 3000, &r);
	if (r.status != 0)
		FAIL("dial: %s", r.cause);
	ASSERT_STREQ(ovl_conn_peer(r.conn), f.addr);
	ASSERT_EQ(m.n, 1);		/* the silent one was tried */
	/* the dead one failed at once, the silent one lost after a stagger
	 * (250 ms), long before the 3 s timeout it would otherwise take */
	ASSERT_LT(r.ms, 2500);
	ovl_conn_close(r.conn, OVL_GA_NORMAL, NULL);
	/* only silent candidates: the overall timeout ends it */
	addrs[0] = mutea;
	fx_dial(&f, addrs, 1, f.psk, 300, &r);
	ASSERT_EQ(r.status, -ETIMEDOUT);
	ASSERT_CONTAINS(r.cause, "no answer");
	ASSERT_GE(r.ms, 250);
	ASSERT_LT(r.ms, 2500);
	/* only dead ones: refused */
	addrs[0] = dead;
	fx_dial(&f, addrs, 1, f.psk, 3000, &r);
	ASSERT_EQ(r.status, -ECONNREFUSED);
	ASSERT_LT(r.ms, 1000);
	/* a name that resolves */
	snprintf(dead, sizeof dead, "localhost:%d", f.port);
	addrs[0] = dead;
	fx_dial(&f, addrs, 1, f.psk, 3000, &r);
	if (r.status == 0)
		ovl_conn_close(r.conn, OVL_GA_NORMAL, NULL);
	else
		printf("# localhost did not resolve to 127.0.0.1: %s\n",
		    r.cause);
	for (; m.n > 0; m.n--)
		uv_close((uv_handle_t *)&m.peers[m.n - 1], NULL);
	uv_close((uv_handle_t *)&m.ls, NULL);
	fx_done(&f);
}

/* A wrong access secret: the node sends nothing, the client is told. */
static void
test_wrong_psk(void)
{
	struct fx f;
	struct fx_dial r;
	uint8_t wrong[OVL_KEY_LEN];
	const char *addrs[1];
	struct ovl_server_stats st;

	fx_init(&f);
	fx_listen(&f);
	addrs[0] = f.addr;
	randombytes_buf(wrong, sizeof wrong);
	fx_dial(&f, addrs, 1, wrong, 3000, &r);
	ASSERT_EQ(r.status, -EACCES);
	ASSERT_CONTAINS(r.cause, "access refused");
	ASSERT_LT(r.ms, 3000);
	ASSERT_EQ(f.auths, 0);
	ovl_server_stats(f.srv, &st);
	ASSERT_EQ(st.refused, 1);
	ASSERT_EQ(fx_log_count(&f, "handshake refused: no access key fits"),
	    1);
	/* a right one still works */
	fx_dial(&f, addrs, 1, f.psk, 3000, &r);
	ASSERT_OK(r.status);
	ovl_conn_close(r.conn, OVL_GA_NORMAL, NULL);
	fx_done(&f);
}

/* Revoking a key closes its connections, and only those. */
static void
test_revoke(void)
{
	struct fx f;
	struct fx_dial r1, r2, r3;
	struct fx_closed c1, c2;
	const struct ovl_access_key *k;
	uint8_t psk2[OVL_KEY_LEN];
	const char *addrs[1];
	char *cause = NULL;
	int pinged = 0;

	fx_init(&f);
	ASSERT_OK(ovl_keystore_create(f.ks, "ops", PROTO_ROLE_OPERATOR, 2, &k,
	    &cause));
	memcpy(psk2, k->secret, sizeof psk2);
	fx_listen(&f);
	addrs[0] = f.addr;
	fx_dial(&f, addrs, 1, psk2, 3000, &r1);
	ASSERT_OK(r1.status);
	ASSERT_STREQ(ovl_conn_key_name(f.last_auth), "ops");
	fx_dial(&f, addrs, 1, f.psk, 3000, &r2);
	ASSERT_OK(r2.status);
	fx_watch_close(r1.conn, &c1);
	fx_watch_close(r2.conn, &c2);
	ASSERT_OK(ovl_keystore_revoke(f.ks, "ops", &cause));
	ASSERT_EQ(ovl_server_revoke(f.srv, "ops"), 1);
	fx_run_until(&f, &c1.closed, 2000);
	ASSERT_EQ(c1.closed, 1);
	ASSERT_CONTAINS(c1.reason, "access revoked");
	ASSERT_CONTAINS(c1.reason, "access key ops was revoked");
	ASSERT_OK(ovl_conn_ping(r2.conn, on_ping, &pinged));
	fx_run_until(&f, &pinged, 2000);
	ASSERT_EQ(pinged, 1);
	ASSERT_EQ(c2.closed, 0);
	/* the revoked key no longer gets in */
	fx_dial(&f, addrs, 1, psk2, 3000, &r3);
	ASSERT_EQ(r3.status, -EACCES);
	ovl_conn_close(r2.conn, OVL_GA_NORMAL, NULL);
	fx_done(&f);
}

/* Keepalive holds a quiet connection open; a silent one goes idle. */
static void
test_keepalive_idle(void)
{
	struct fx f;
	struct fx_dial r;
	struct fx_closed cl;
	const char *addrs[1];

	fx_init(&f);
	f.lim.keepalive_ms = 50;
	f.lim.idle_ms = 600;		/* 12 keepalives: robust under load */
	fx_listen(&f);
	addrs[0] = f.addr;
	fx_dial(&f, addrs, 1, f.psk, 3000, &r);
	ASSERT_OK(r.status);
	fx_watch_close(r.conn, &cl);
	fx_run_for(&f, 1500);
	ASSERT_EQ(cl.closed, 0);
	ASSERT(ovl_conn_is_open(r.conn));
	ovl_conn_close(r.conn, OVL_GA_NORMAL, NULL);
	/* neither side pings: the node closes the client as idle */
	fx_stop_server(&f);
	f.lim.keepalive_ms = 60 * 60 * 1000;
	fx_listen(&f);
	fx_dial(&f, addrs, 1, f.psk, 3000, &r);
	ASSERT_OK(r.status);
	fx_watch_close(r.conn, &cl);
	fx_run_until(&f, &cl.closed, 2000);
	ASSERT_EQ(cl.closed, 1);
	ASSERT_CONTAINS(cl.reason, "idle");
	ASSERT_EQ(fx_log_count(&f, "idle: nothing heard"), 1);
	fx_done(&f);
}

/* What a keeper reported. */
struct keep_log {
	int			 connected;
	int			 disconnected;
	int			 gave_up;
	int			 want;		/* connections to reach */
	int			 reached;
	struct ovl_conn		*conn;
	char			 cause[320];
};

/* A keeper event. */
static void
on_keep(struct ovl_keeper *k, enum ovl_keep_event ev, struct ovl_conn *conn,
    int status, const char *cause, void *arg)
{
	struct keep_log *l = arg;

	(void)k;
	switch (ev) {
	case OVL_KEEP_CONNECTED:
		l->connected++;
		l->conn = conn;
		l->reached = l->connected >= l->want;
		break;
	case OVL_KEEP_DISCONNECTED:
		l->disconnected++;
		l->conn = NULL;
		break;
	case OVL_KEEP_GAVE_UP:
		l->gave_up++;
		break;
	}
	snprintf(l->cause, sizeof l->cause, "%s", cause ? cause : "");
	if (test_env("PIER_TEST_VERBOSE", NULL) != NULL)
		printf("# keeper: event %d status %d %s\n", (int)ev, status,
		    l->cause);
}

/* After the node restarts, the keeper re-dials with backoff. */
static void
test_reconnect(void)
{
	struct fx f;
	struct keep_log l;
	struct ovl_keeper *k;
	struct ovl_keep_cfg cfg;
	const char *addrs[1];
	int pinged = 0;

	fx_init(&f);
	fx_listen(&f);
	addrs[0] = f.addr;
	memset(&l, 0, sizeof l);
	memset(&cfg, 0, sizeof cfg);
	cfg.dial.timeout_ms = 500;
	cfg.backoff_min_ms = 20;
	cfg.backoff_max_ms = 200;
	ASSERT_OK(ovl_keep_new(&f.loop, &f.client_id, f.node_id.pub, f.psk,
	    addrs, 1, "keeper", &cfg, on_keep, &l, &k));
	fx_run_until(&f, &l.connected, 3000);
	ASSERT_EQ(l.connected, 1);
	ASSERT(ovl_keep_conn(k) == l.conn);
	fx_stop_server(&f);
	fx_run_until(&f, &l.disconnected, 3000);
	ASSERT_EQ(l.disconnected, 1);
	ASSERT_CONTAINS(l.cause, "shutting down");
	ASSERT_NULL(ovl_keep_conn(k));
	fx_run_for(&f, 300);		/* a few refused re-dials */
	ASSERT_EQ(l.connected, 1);
	l.want = 2;
	l.reached = 0;
	fx_listen(&f);			/* same port */
	fx_run_until(&f, &l.reached, 3000);
	ASSERT_EQ(l.connected, 2);
	ASSERT_OK(ovl_conn_ping(ovl_keep_conn(k), on_ping, &pinged));
	fx_run_until(&f, &pinged, 2000);
	ASSERT_EQ(pinged, 1);
	ovl_keep_free(k);
	fx_run_for(&f, 50);
	/* a keeper that gives up */
	memset(&l, 0, sizeof l);
	cfg.max_attempts = 3;
	fx_stop_server(&f);
	ASSERT_OK(ovl_keep_new(&f.loop, &f.client_id, f.node_id.pub, f.psk,
	    addrs, 1, "keeper", &cfg, on_keep, &l, &k));
	fx_run_until(&f, &l.gave_up, 3000);
	ASSERT_EQ(l.gave_up, 1);
	ASSERT_EQ(l.connected, 0);
	ovl_keep_free(k);
	fx_done(&f);
}

/* Rekeys by record count while data flows, and by time while idle. */
static void
test_rekey_live(void)
{
	static uint8_t big[300000];
	struct fx f;
	struct fx_dial r;
	struct fx_sink s;
	struct ovl_conn_stats st;
	struct ovl_chan *ch;
	const char *addrs[1];
	size_t i;

	for (i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)(i * 13 + 5);
	fx_init(&f);
	f.lim.rekey.records = 2;
	fx_listen(&f);
	addrs[0] = f.addr;
	fx_dial(&f, addrs, 1, f.psk, 3000, &r);
	ASSERT_OK(r.status);
	memset(&s, 0, sizeof s);
	ASSERT_OK(ovl_conn_chan_open(r.conn, &ch));
	ovl_chan_set_cbs(ch, &fx_sink_cbs, &s);
	ASSERT_OK(ovl_chan_write(ch, big, sizeof big));
	ASSERT_OK(ovl_chan_close(ch));
	fx_run_until(&f, &s.closed, 5000);
	ASSERT_EQ(s.len, sizeof big);
	ASSERT_MEMEQ(s.buf, big, sizeof big);
	ovl_conn_stats(r.conn, &st);
	ASSERT_GE(st.rekeys_tx, 2);
	ASSERT_GE(st.rekeys_rx, 2);
	ASSERT_GE(st.records_rx, 5);
	free(s.buf);
	ovl_conn_close(r.conn, OVL_GA_NORMAL, NULL);
	/* the time budget: an idle connection still changes keys */
	fx_stop_server(&f);
	f.lim.rekey.records = 0;
	f.lim.rekey.ms = 50;
	fx_listen(&f);
	fx_dial(&f, addrs, 1, f.psk, 3000, &r);
	ASSERT_OK(r.status);
	FX_RUN_UNTIL(&f, (ovl_conn_stats(r.conn, &st), st.rekeys_tx >= 3 &&
	    st.rekeys_rx >= 3), 10000);
	ovl_conn_stats(r.conn, &st);
	ASSERT_GE(st.rekeys_tx, 3);
	ASSERT_GE(st.rekeys_rx, 3);
	ASSERT(ovl_conn_is_open(r.conn));
	ovl_conn_close(r.conn, OVL_GA_NORMAL, NULL);
	fx_done(&f);
}

/* A writer's view of back-pressure. */
struct bp {
	struct fx_sink	 sink;
	int		 drains;
};

/* Echoed bytes come back. */
static void
bp_data(struct ovl_chan *c, const uint8_t *buf, size_t len, void *arg)
{
	struct bp *b = arg;

	fx_sink_cbs.on_data(c, buf, len, &b->sink);
}

/* The send queue emptied. */
static void
bp_drain(struct ovl_chan *c, void *arg)
{
	struct bp *b = arg;

	(void)c;
	b->drains++;
}

static const struct ovl_chan_cbs bp_cbs = { bp_data, bp_drain, NULL };

/* A paused reader on the node stalls the writer without piling up. */
static void
test_backpressure(void)
{
	static uint8_t chunk[64 * 1024];
	struct fx f;
	struct fx_dial r;
	struct bp b;
	struct ovl_conn_stats cs, ns;
	struct ovl_chan *ch;
	const char *addrs[1];
	size_t written = 0;
	int rc, i;

	fx_init(&f);
	f.pause_chans = 1;
	fx_listen(&f);
	addrs[0] = f.addr;
	fx_dial(&f, addrs, 1, f.psk, 3000, &r);
	ASSERT_OK(r.status);
	memset(&b, 0, sizeof b);
	ASSERT_OK(ovl_conn_chan_open(r.conn, &ch));
	ovl_chan_set_cbs(ch, &bp_cbs, &b);
	while ((rc = ovl_chan_write(ch, chunk, sizeof chunk)) == 0)
		written += sizeof chunk;
	ASSERT_EQ(rc, -ENOBUFS);
	ASSERT_LE(written, OVL_CHAN_QUEUE + OVL_WINDOW);
	ASSERT_GE(written, OVL_CHAN_QUEUE);
	b.drains = 0;		/* the first writes went out at once */
	fx_run_for(&f, 300);
	/* the node holds at most the window; the rest waits at the writer */
	ovl_conn_stats(f.last_auth, &ns);
	ovl_conn_stats(r.conn, &cs);
	ASSERT_LE(ns.buffered, OVL_WINDOW);
	ASSERT_GE(ns.buffered, OVL_WINDOW - sizeof chunk);
	ASSERT_EQ(cs.buffered, written - OVL_WINDOW);
	ASSERT_EQ(ovl_chan_credit(ch), 0);
	ASSERT_EQ(b.sink.len, 0);
	ASSERT_EQ(b.drains, 0);
	/* the reader resumes: everything flows, echoed back in full */
	ovl_chan_resume(f.last_chan);
	for (i = 0; i < 200 && b.sink.len < written; i++)
		fx_run_for(&f, 20);
	ASSERT_EQ(b.sink.len, written);
	ASSERT_GE(b.drains, 1);
	ovl_conn_stats(f.last_auth, &ns);
	ASSERT_EQ(ns.buffered, 0);
	free(b.sink.buf);
	ovl_conn_close(r.conn, OVL_GA_NORMAL, NULL);
	fx_done(&f);
}

/* Closes the connection from inside on_drain. */
static void
close_on_drain(struct ovl_chan *ch, void *arg)
{
	int *drained = arg;

	if ((*drained)++ == 0)
		ovl_conn_close(ovl_chan_conn(ch), OVL_GA_NORMAL, "drained");
}

static const struct ovl_chan_cbs close_on_drain_cbs = { NULL,
    close_on_drain, NULL };

/* Closing from a callback during sending keeps records in order. */
static void
test_close_in_callback(void)
{
	static uint8_t big[OVL_CHAN_QUEUE];
	struct fx f;
	struct fx_dial r;
	struct fx_closed cl;
	struct ovl_chan *ch;
	const char *addrs[1];
	int drained = 0;

	fx_init(&f);
	fx_listen(&f);
	addrs[0] = f.addr;
	fx_dial(&f, addrs, 1, f.psk, 3000, &r);
	ASSERT_OK(r.status);
	fx_watch_close(r.conn, &cl);
	ASSERT_OK(ovl_conn_chan_open(r.conn, &ch));
	ovl_chan_set_cbs(ch, &close_on_drain_cbs, &drained);
	ASSERT_OK(ovl_chan_write(ch, big, sizeof big));
	fx_run_until(&f, &cl.closed, 5000);
	ASSERT_EQ(cl.closed, 1);
	FX_RUN_UNTIL(&f, fx_log_count(&f,
	    "closed by peer (normal): drained") >= 1, 5000);
	if (fx_log_count(&f, "closed by peer (normal): drained") != 1)
		FAIL("the node saw: %s", f.nlogs > 0 ? f.logs[0] : "nothing");
	fx_done(&f);
}

/* The node's user may refuse a client, or drop one client key. */
static void
test_refuse_and_drop(void)
{
	struct fx f;
	struct fx_dial r1, r2;
	struct fx_closed c1, c2;
	struct ovl_identity first;
	const char *addrs[1];
	int pinged = 0;

	fx_init(&f);
	fx_listen(&f);
	addrs[0] = f.addr;
	/* refused after the handshake: the client hears why */
	f.refuse_code = OVL_GA_REVOKED;
	fx_dial(&f, addrs, 1, f.psk, 3000, &r1);
	ASSERT_OK(r1.status);
	fx_run_until(&f, &r1.cl.closed, 2000);
	ASSERT_EQ(r1.cl.closed, 1);
	ASSERT_CONTAINS(r1.cl.reason, "access revoked");
	ASSERT_CONTAINS(r1.cl.reason, "refused by the node");
	ASSERT(!ovl_conn_is_open(r1.conn));	/* held: still readable */
	f.refuse_code = 0;
	/* two client keys; dropping one leaves the other */
	fx_dial(&f, addrs, 1, f.psk, 3000, &r1);
	ASSERT_OK(r1.status);
	first = f.client_id;
	ovl_identity_generate(&f.client_id);
	fx_dial(&f, addrs, 1, f.psk, 3000, &r2);
	ASSERT_OK(r2.status);
	fx_watch_close(r1.conn, &c1);
	fx_watch_close(r2.conn, &c2);
	ASSERT_EQ(ovl_server_drop_client(f.srv, first.pub), 1);
	fx_run_until(&f, &c1.closed, 2000);
	ASSERT_CONTAINS(c1.reason, "client key was revoked");
	ASSERT_OK(ovl_conn_ping(r2.conn, on_ping, &pinged));
	fx_run_until(&f, &pinged, 2000);
	ASSERT_EQ(pinged, 1);
	ASSERT_EQ(c2.closed, 0);
	ovl_conn_close(r2.conn, OVL_GA_NORMAL, NULL);
	ovl_identity_clear(&first);
	fx_done(&f);
}

/* Channel 0 overtakes a bulk stream queued before it, both ways. */
static void
test_control_overtakes_bulk(void)
{
	static uint8_t bulk[OVL_CHAN_QUEUE];
	struct fx f;
	struct fx_dial r;
	struct fx_sink s0, s1;
	struct ovl_chan *ch;
	const char *addrs[1];
	size_t bulk_at_ctl;

	fx_init(&f);
	fx_listen(&f);
	addrs[0] = f.addr;
	fx_dial(&f, addrs, 1, f.psk, 3000, &r);
	ASSERT_OK(r.status);
	memset(&s0, 0, sizeof s0);
	memset(&s1, 0, sizeof s1);
	ovl_chan_set_cbs(ovl_conn_control(r.conn), &fx_sink_cbs, &s0);
	ASSERT_OK(ovl_conn_chan_open(r.conn, &ch));
	ovl_chan_set_cbs(ch, &fx_sink_cbs, &s1);
	ASSERT_OK(ovl_chan_write(ch, bulk, sizeof bulk));	/* 1 MiB */
	ASSERT_OK(ovl_chan_write(ovl_conn_control(r.conn), "{\"id\":7}",
	    8));
	ASSERT(fx_run_until(&f, &s0.any, 5000));
	bulk_at_ctl = s1.len;
	/*
	 * Channel 0 waits only for bulk already on the wire: the window sent
	 * before it, and what the node's echo had in flight (a grant, one
	 * write batch). The rest of the megabyte queued before it comes after;
	 * without priority it would all come first.
	 */
	ASSERT_LE(bulk_at_ctl, 2 * OVL_WINDOW + OVL_WRITE_HIGH);
	ASSERT_EQ(s0.len, 8);
	while (s1.len < sizeof bulk && fx_run_until(&f, &s1.eof, 50) == 0)
		;
	ASSERT_EQ(s1.len, sizeof bulk);
	printf("# channel 0 echoed with %zu of %zu bulk bytes back\n",
	    bulk_at_ctl, sizeof bulk);
	free(s0.buf);
	free(s1.buf);
	ovl_conn_close(r.conn, OVL_GA_NORMAL, NULL);
	fx_done(&f);
}

/*
 * A small write on a quiet connection goes to the socket inside the call
 * (a keystroke waits for no loop turn and costs no epoll_ctl); one the
 * socket cannot take at once is queued and still arrives whole.
 */
static void
test_write_now(void)
{
	static uint8_t big[OVL_CHAN_QUEUE];
	struct ovl_conn_stats st;
	struct fx f;
	struct fx_dial r;
	struct fx_sink s1;
	struct ovl_chan *ch;
	const char *addrs[1];
	size_t i;

	fx_init(&f);
	fx_listen(&f);
	addrs[0] = f.addr;
	fx_dial(&f, addrs, 1, f.psk, 3000, &r);
	ASSERT_OK(r.status);
	memset(&s1, 0, sizeof s1);
	ASSERT_OK(ovl_conn_chan_open(r.conn, &ch));
	ovl_chan_set_cbs(ch, &fx_sink_cbs, &s1);
	FX_RUN_UNTIL(&f, (ovl_conn_stats(r.conn, &st), st.inflight == 0),
	    5000);
	ovl_conn_stats(r.conn, &st);
	ASSERT_EQ(st.inflight, 0);
	ASSERT_OK(ovl_chan_write(ch, "k", 1));
	ovl_conn_stats(r.conn, &st);
	ASSERT_EQ(st.buffered, 0);
	ASSERT_EQ(st.inflight, 0);	/* written, not queued */
	ASSERT(fx_run_until(&f, &s1.any, 3000));
	ASSERT_EQ(s1.len, 1);
	for (i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)(i % 253);
	ASSERT_OK(ovl_chan_write(ch, big, sizeof big));
	ASSERT_OK(ovl_chan_close(ch));
	ASSERT(fx_run_until(&f, &s1.eof, 10000));
	ASSERT_EQ(s1.len, 1 + sizeof big);
	ASSERT_MEMEQ(s1.buf + 1, big, sizeof big);
	free(s1.buf);
	ovl_conn_close(r.conn, OVL_GA_NORMAL, NULL);
	fx_done(&f);
}

/* Closing a server closes its clients with a reason. */
static void
test_server_close(void)
{
	struct fx f;
	struct fx_dial r;
	struct fx_closed cl;
	const char *addrs[1];
	struct ovl_server_stats st;

	fx_init(&f);
	fx_listen(&f);
	addrs[0] = f.addr;
	fx_dial(&f, addrs, 1, f.psk, 3000, &r);
	ASSERT_OK(r.status);
	fx_watch_close(r.conn, &cl);
	ovl_server_stats(f.srv, &st);
	ASSERT_EQ(st.live, 1);
	ASSERT_EQ(st.authed, 1);
	fx_stop_server(&f);
	fx_run_until(&f, &cl.closed, 2000);
	ASSERT_CONTAINS(cl.reason, "node shutting down");
	fx_done(&f);
}

TEST_MAIN(T(test_echo_v4), T(test_write_now), T(test_echo_v6), T(test_candidates),
    T(test_wrong_psk), T(test_revoke), T(test_keepalive_idle),
    T(test_reconnect), T(test_rekey_live), T(test_backpressure),
    T(test_close_in_callback), T(test_refuse_and_drop),
    T(test_control_overtakes_bulk),
    T(test_server_close))
