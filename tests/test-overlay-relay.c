/*
 * Relaying over real TCP on loopback: a target node (the fixture's
 * server with its echo service) keeps a relay link to a second server in
 * the same loop, and a client dials "relay+ADDR" with the target's key.
 * Bytes go end to end intact both ways; a wrong key, an unknown target
 * and garbage after the preamble get silence; the relay's limits refuse
 * without a byte; a dropped link ends its splices; dial-back probes
 * answer only their token.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "overlay-net-fx.h"

/* The relay: a server of its own in the fixture's loop. */
struct rl {
	struct fx		*f;
	char			*dir;
	struct ovl_keystore	*ks;
	struct ovl_identity	 id;
	uint8_t			 psk[OVL_KEY_LEN];	/* its "admin" key */
	struct ovl_server	*srv;
	struct ovl_relay	*relay;
	struct ovl_relay_limits	 lim;
	char			 addr[80];	/* relay+127.0.0.1:port */
	char			 plain[64];	/* 127.0.0.1:port */
	int			 links;
	int			 closed;
	struct ovl_conn		*link;		/* the target's side */
	struct fx_closed	 link_cl;
};

/* The relay authenticated a link: hold it. */
static int
rl_on_auth(struct ovl_server *s, struct ovl_conn *c,
    const struct ovl_auth *a, void *arg)
{
	struct rl *r = arg;

	(void)s;
	(void)a;
	ASSERT_OK(ovl_relay_link_add(r->relay, c, "test"));
	r->links++;
	return (0);
}

/* The relay's server is released. */
static void
rl_closed(struct ovl_server *s, void *arg)
{
	struct rl *r = arg;

	(void)s;
	r->closed = 1;
}

/* The target's link: a relay opened a channel, so a client comes. */
static void
link_on_chan(struct ovl_conn *c, struct ovl_chan *ch, void *arg)
{
	struct rl *r = arg;

	(void)c;
	ovl_server_accept_splice(r->f->srv, ch, "test");
}

/* The target's link closed. */
static void
link_on_close(struct ovl_conn *c, int status, const char *reason, void *arg)
{
	struct rl *r = arg;

	(void)c;
	r->link_cl.closed = 1;
	r->link_cl.status = status;
	snprintf(r->link_cl.reason, sizeof r->link_cl.reason, "%s",
	    reason != NULL ? reason : "");
}

static const struct ovl_conn_cbs link_cbs = {
	.on_chan_open = link_on_chan,
	.on_close = link_on_close,
};

/* Starts the relay server (limits lim, NULL: defaults) and the link. */
static void
rl_start(struct fx *f, struct rl *r, const struct ovl_relay_limits *lim)
{
	static const struct ovl_server_cbs cbs = { .on_auth = rl_on_auth };
	const struct ovl_access_key *key;
	struct fx_dial d;
	const char *addrs[1];
	char *cause = NULL;
	struct ovl_identity saved;	/* the client's, while the node dials */

	memset(r, 0, sizeof *r);
	r->f = f;
	r->dir = test_tmpdir();
	ASSERT_OK(ovl_keystore_open(&r->ks, r->dir, &cause));
	ASSERT_OK(ovl_keystore_ensure_admin(r->ks, 1, &key, &cause));
	memcpy(r->psk, key->secret, OVL_KEY_LEN);
	ovl_identity_generate(&r->id);
	ASSERT_OK(ovl_relay_new(&f->loop, lim, &r->relay));
	ASSERT_OK(ovl_server_new(&f->loop, &r->id, r->ks, NULL, &cbs, r,
	    &r->srv));
	ovl_server_set_relay(r->srv, r->relay);
	ASSERT_OK(ovl_server_listen(r->srv, "127.0.0.1:0", &cause));
	snprintf(r->plain, sizeof r->plain, "127.0.0.1:%d",
	    ovl_server_port(r->srv, 0));
	snprintf(r->addr, sizeof r->addr, "relay+%s", r->plain);
	/* the target dials the relay as itself: its node key */
	saved = f->client_id;
	f->client_id = f->node_id;
	f->node_id = r->id;
	addrs[0] = r->plain;
	fx_dial_start(f, addrs, 1, r->psk, 3000, &d);
	f->node_id = f->client_id;
	f->client_id = saved;
	ASSERT(fx_run_until(f, &d.done, 5000));
	if (d.status != 0)
		FAIL("link: %s", d.cause);
	r->link = d.conn;
	ovl_conn_set_cbs(r->link, &link_cbs, r);
	ovl_conn_set_max_chans(r->link, OVL_RELAY_PER_TARGET + 8);
	ASSERT(fx_run_until(f, &r->links, 3000));
}

/* Stops the relay and its link. */
static void
rl_stop(struct rl *r)
{
	if (r->link != NULL && ovl_conn_is_open(r->link))
		ovl_conn_close(r->link, OVL_GA_NORMAL, "done");
	ovl_relay_free(r->relay);
	ovl_server_close(r->srv, rl_closed, r);
	ASSERT(fx_run_until(r->f, &r->closed, 5000));
	ovl_keystore_free(r->ks);
	test_rmtree(r->dir);
}

/* Sends n patterned bytes on a new channel, closes, checks the echo. */
static void
echo_check(struct fx *f, struct ovl_conn *c, size_t n)
{
	struct ovl_chan *ch;
	struct fx_sink s;
	uint8_t *big;
	size_t i, off = 0, step;
	int rc;

	memset(&s, 0, sizeof s);
	big = malloc(n);
	ASSERT_NOT_NULL(big);
	for (i = 0; i < n; i++)
		big[i] = (uint8_t)(i * 7 + i / 251);
	ASSERT_OK(ovl_conn_chan_open(c, &ch));
	ovl_chan_set_cbs(ch, &fx_sink_cbs, &s);
	while (off < n) {
		step = n - off < 60000 ? n - off : 60000;
		rc = ovl_chan_write(ch, big + off, step);
		if (rc == -ENOBUFS) {
			fx_run_for(f, 2);
			continue;
		}
		ASSERT_OK(rc);
		off += step;
	}
	ASSERT_OK(ovl_chan_close(ch));
	ASSERT(fx_run_until(f, &s.closed, 20000));
	ASSERT_EQ(s.close_status, 0);
	ASSERT_EQ(s.len, n);
	ASSERT(s.len == n && memcmp(s.buf, big, n) == 0);
	free(s.buf);
	free(big);
}

/* A client reaches the target through the relay; bytes are intact. */
static void
test_relayed_echo(void)
{
	struct fx f;
	struct rl r;
	struct fx_dial d;
	struct ovl_relay_stats st;
	struct ovl_relay_link_info li[4];
	const char *addrs[1];
	size_t live;
	uint64_t total;

	fx_init(&f);
	fx_listen(&f);
	rl_start(&f, &r, NULL);
	addrs[0] = r.addr;
	fx_dial(&f, addrs, 1, f.psk, 3000, &d);
	if (d.status != 0)
		FAIL("relayed dial: %s", d.cause);
	ASSERT_EQ(ovl_conn_path(d.conn), OVL_PATH_RELAY);
	ASSERT_STREQ(ovl_path_name(ovl_conn_path(d.conn)), "relay");
	ASSERT_STREQ(ovl_conn_peer(d.conn), r.addr);	/* dialable again */
	ASSERT_MEMEQ(ovl_conn_remote_key(d.conn), f.node_id.pub, 32);
	ASSERT_MEMEQ(ovl_conn_remote_key(f.last_auth), f.client_id.pub, 32);
	/* the target sees the client's address as the relay saw it */
	ASSERT(strstr(ovl_conn_peer(f.last_auth), "127.0.0.1:") != NULL);
	ASSERT(strstr(ovl_conn_peer(f.last_auth), " via test") != NULL);
	echo_check(&f, d.conn, 4u << 20);
	ovl_relay_stats(r.relay, &st);
	ASSERT_EQ(st.splices, 1);
	ASSERT_EQ(st.links, 1);
	ASSERT_EQ(ovl_relay_links(r.relay, li, 4), 1);
	ASSERT_MEMEQ(li[0].node_key, f.node_id.pub, 32);
	ASSERT_EQ(li[0].splices, 1);
	ovl_server_splice_counts(f.srv, &live, &total);
	ASSERT_EQ(live, 1);
	ASSERT_EQ(total, 1);
	ovl_conn_close(d.conn, OVL_GA_NORMAL, "bye");
	for (int i = 0; i < 200; i++) {
		ovl_relay_stats(r.relay, &st);
		if (st.splices == 0)
			break;
		fx_run_for(&f, 10);
	}
	ASSERT_EQ(st.splices, 0);
	ASSERT_GT(st.bytes, 8u << 20);
	rl_stop(&r);
	fx_done(&f);
}

/* A wrong key, an unknown target, garbage: silence, and nothing held. */
static void
test_silence(void)
{
	struct fx f;
	struct rl r;
	struct fx_dial d;
	struct ovl_relay_stats st;
	const char *addrs[1];
	uint8_t wrong[OVL_KEY_LEN];
	struct ovl_identity other, saved;

	fx_init(&f);
	fx_listen(&f);
	rl_start(&f, &r, NULL);
	addrs[0] = r.addr;
	randombytes_buf(wrong, sizeof wrong);
	fx_dial(&f, addrs, 1, wrong, 2000, &d);
	ASSERT_EQ(d.status, -EACCES);
	/* a key for a node with no link: the relay closes at once */
	ovl_identity_generate(&other);
	saved = f.node_id;
	f.node_id = other;
	fx_dial(&f, addrs, 1, f.psk, 2000, &d);
	f.node_id = saved;
	ASSERT_EQ(d.status, -EACCES);
	ovl_relay_stats(r.relay, &st);
	ASSERT_EQ(st.unknown, 1);
	ASSERT_EQ(st.links, 1);
	/* the link still works */
	fx_dial(&f, addrs, 1, f.psk, 2000, &d);
	ASSERT_EQ(d.status, 0);
	ovl_conn_close(d.conn, OVL_GA_NORMAL, "bye");
	rl_stop(&r);
	fx_done(&f);
}

/* A raw TCP client for abuse: connect, send bytes, see what comes back. */
struct raw {
	uv_tcp_t	 tcp;
	uv_connect_t	 creq;
	uv_write_t	 wreq;
	uint8_t		 out[4096];
	size_t		 outlen;
	size_t		 got;		/* bytes the far side sent */
	int		 ended;		/* EOF or error seen */
	int		 closed;
};

/* Counts what the far side says. */
static void
raw_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	static char buf[4096];

	(void)h;
	(void)hint;
	*b = uv_buf_init(buf, sizeof buf);
}

/* Bytes or the end. */
static void
raw_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct raw *x = s->data;

	(void)b;
	if (n > 0)
		x->got += (size_t)n;
	else if (n < 0)
		x->ended = 1;
}

/* The raw client's handle closed. */
static void
raw_closed(uv_handle_t *h)
{
	((struct raw *)h->data)->closed = 1;
}

/* Connected: write the bytes, read. */
static void
raw_connected(uv_connect_t *req, int status)
{
	struct raw *x = req->data;
	uv_buf_t b = uv_buf_init((char *)x->out, (unsigned)x->outlen);

	if (status < 0) {
		x->ended = 1;
		return;
	}
	ASSERT_OK(uv_write(&x->wreq, (uv_stream_t *)&x->tcp, &b, 1, NULL));
	ASSERT_OK(uv_read_start((uv_stream_t *)&x->tcp, raw_alloc, raw_read));
}

/* Starts a raw client to 127.0.0.1:port. */
static void
raw_start(struct fx *f, struct raw *x, int port)
{
	struct sockaddr_in sa;

	ASSERT_OK(uv_ip4_addr("127.0.0.1", port, &sa));
	ASSERT_OK(uv_tcp_init(&f->loop, &x->tcp));
	x->tcp.data = x;
	x->creq.data = x;
	ASSERT_OK(uv_tcp_connect(&x->creq, &x->tcp, (struct sockaddr *)&sa,
	    raw_connected));
}

/* Splice requests in bulk: unknown targets and garbage get silence. */
static void
test_abuse(void)
{
	static struct raw xs[200];
	struct fx f;
	struct rl r;
	struct ovl_relay_stats st;
	struct ovl_server_stats ss;
	uint8_t id[OVL_RELAY_ID_LEN];
	int port, i, all;

	fx_init(&f);
	fx_listen(&f);
	rl_start(&f, &r, NULL);
	port = ovl_server_port(r.srv, 0);
	ovl_relay_target_id(f.node_id.pub, id);
	memset(xs, 0, sizeof xs);
	for (i = 0; i < 200; i++) {
		memcpy(xs[i].out, "\xffpr\x01", 4);
		if (i % 2 == 0)		/* unknown targets */
			randombytes_buf(xs[i].out + 4, OVL_RELAY_ID_LEN);
		else			/* the registered one, then junk */
			memcpy(xs[i].out + 4, id, OVL_RELAY_ID_LEN);
		randombytes_buf(xs[i].out + 36, 400);
		xs[i].outlen = 36 + 400;
		raw_start(&f, &xs[i], port);
	}
	for (int t = 0; t < 500; t++) {
		for (i = 0, all = 1; i < 200; i++)
			all &= xs[i].ended;
		if (all)
			break;
		fx_run_for(&f, 20);
	}
	for (i = 0; i < 200; i++) {
		ASSERT_EQ(xs[i].got, 0);	/* not one byte back */
		ASSERT(xs[i].ended);
		uv_close((uv_handle_t *)&xs[i].tcp, raw_closed);
	}
	fx_run_for(&f, 50);
	ovl_relay_stats(r.relay, &st);
	ASSERT_EQ(st.unknown, 100);
	ASSERT_EQ(st.splices, 0);
	ovl_server_stats(r.srv, &ss);
	ASSERT_EQ(ss.live, 1);		/* the link alone */
	/* the target refused the junk silently and holds nothing */
	ovl_server_stats(f.srv, &ss);
	ASSERT_EQ(ss.live, 0);
	ASSERT(ovl_conn_is_open(r.link));
	rl_stop(&r);
	fx_done(&f);
}

/* Limits: per target, and the link's end ends its splices. */
static void
test_limits(void)
{
	struct fx f;
	struct rl r;
	struct fx_dial d1, d2;
	struct fx_closed cl;
	struct ovl_relay_limits lim;
	struct ovl_relay_stats st;
	const char *addrs[1];

	fx_init(&f);
	fx_listen(&f);
	memset(&lim, 0, sizeof lim);
	lim.per_target = 1;		/* one client per target */
	rl_start(&f, &r, &lim);
	addrs[0] = r.addr;
	fx_dial(&f, addrs, 1, f.psk, 3000, &d1);
	ASSERT_EQ(d1.status, 0);
	fx_dial(&f, addrs, 1, f.psk, 1500, &d2);
	ASSERT_EQ(d2.status, -EACCES);		/* closed without a byte */
	ovl_relay_stats(r.relay, &st);
	ASSERT_EQ(st.refused, 1);
	/* the target drops its link: the spliced client is cut */
	fx_watch_close(d1.conn, &cl);
	ovl_conn_close(r.link, OVL_GA_NORMAL, "link gone");
	ASSERT(fx_run_until(&f, &cl.closed, 5000));
	rl_stop(&r);
	fx_done(&f);
}

/* The outcome of a probe. */
struct pres {
	int	done;
	int	status;
};

/* A probe finished. */
static void
on_probe(int status, uint64_t rtt_ms, const char *why, void *arg)
{
	struct pres *p = arg;

	(void)rtt_ms;
	(void)why;
	p->done = 1;
	p->status = status;
}

/* Dial-back probes: the server answers its own tokens only. */
static void
test_probe(void)
{
	struct fx f;
	struct pres p;
	uint8_t tok[OVL_PROBE_LEN];

	fx_init(&f);
	fx_listen(&f);
	ovl_server_probe_token(f.srv, tok);
	memset(&p, 0, sizeof p);
	ASSERT_OK(ovl_probe(&f.loop, f.addr, tok, 2000, on_probe, &p));
	ASSERT(fx_run_until(&f, &p.done, 3000));
	ASSERT_EQ(p.status, 0);
	tok[0] ^= 1;
	memset(&p, 0, sizeof p);
	ASSERT_OK(ovl_probe(&f.loop, f.addr, tok, 2000, on_probe, &p));
	ASSERT(fx_run_until(&f, &p.done, 3000));
	ASSERT_NE(p.status, 0);
	ASSERT_EQ(ovl_probe(&f.loop, "not-an-address", tok, 100, on_probe,
	    &p), -EINVAL);
	fx_done(&f);
}

/* The outcome of a path move. */
struct mres {
	int	done;
	int	status;
	char	why[128];
};

/* A path move ended. */
static void
on_moved(struct ovl_conn *c, int status, const char *why, void *arg)
{
	struct mres *m = arg;

	(void)c;
	m->done = 1;
	m->status = status;
	snprintf(m->why, sizeof m->why, "%s", why);
}

/*
 * A relayed connection moves onto a direct path while a channel
 * streams: the bytes arrive intact and in order, the relay's splice
 * ends, and the node counts and logs the move. A wrong token moves
 * nothing and the connection goes on where it was.
 */
static void
test_move(void)
{
	struct fx f;
	struct rl r;
	struct fx_dial d;
	struct fx_sink s;
	struct mres m;
	struct ovl_chan *ch;
	struct ovl_relay_stats st;
	struct ovl_server_stats ss;
	uint8_t tok[OVL_MOVE_TOKEN_LEN], *big;
	const char *addrs[1], *to[1], *bad[1];
	char punch[80];
	size_t n = 8u << 20, off = 0, step, i;
	int rc;

	fx_init(&f);
	fx_listen(&f);
	rl_start(&f, &r, NULL);
	addrs[0] = r.addr;
	snprintf(punch, sizeof punch, "punch+%s", f.addr);
	to[0] = punch;		/* the kind a node behind a NAT gives */
	fx_dial(&f, addrs, 1, f.psk, 3000, &d);
	ASSERT_EQ(d.status, 0);
	ASSERT_EQ(ovl_conn_path(d.conn), OVL_PATH_RELAY);
	bad[0] = r.addr;	/* a relay is no path to move to */
	ASSERT_EQ(ovl_conn_move(d.conn, bad, 1, tok, 3000, on_moved, &m),
	    -EINVAL);
	ASSERT_NE(ovl_conn_local_port(d.conn), 0);
	/* the relay link itself, a dialer's connection: no token */
	ASSERT_EQ(ovl_server_move_token(f.srv, r.link, tok), -EINVAL);

	/* a wrong token: silence on the new path, the old one goes on */
	ASSERT_OK(ovl_server_move_token(f.srv, f.last_auth, tok));
	tok[5] ^= 1;
	memset(&m, 0, sizeof m);
	ASSERT_OK(ovl_conn_move(d.conn, to, 1, tok, 3000, on_moved, &m));
	ASSERT_EQ(ovl_conn_move(d.conn, to, 1, tok, 3000, on_moved, &m),
	    -EALREADY);
	ASSERT(fx_run_until(&f, &m.done, 5000));
	ASSERT_NE(m.status, 0);
	ASSERT_EQ(ovl_conn_path(d.conn), OVL_PATH_RELAY);
	ASSERT_EQ(fx_log_count(&f, "path move with an unknown token"), 1);
	echo_check(&f, d.conn, 64 * 1024);

	/* the right token, in the middle of a stream */
	ASSERT_OK(ovl_server_move_token(f.srv, f.last_auth, tok));
	memset(&s, 0, sizeof s);
	memset(&m, 0, sizeof m);
	big = malloc(n);
	ASSERT_NOT_NULL(big);
	for (i = 0; i < n; i++)
		big[i] = (uint8_t)(i * 13 + i / 509);
	ASSERT_OK(ovl_conn_chan_open(d.conn, &ch));
	ovl_chan_set_cbs(ch, &fx_sink_cbs, &s);
	while (off < n) {
		if (off >= n / 4 && !m.done && m.why[0] == '\0') {
			ASSERT_OK(ovl_conn_move(d.conn, to, 1, tok, 3000,
			    on_moved, &m));
			snprintf(m.why, sizeof m.why, "started");
		}
		step = n - off < 32768 ? n - off : 32768;
		rc = ovl_chan_write(ch, big + off, step);
		if (rc == -ENOBUFS) {
			fx_run_for(&f, 2);
			continue;
		}
		ASSERT_OK(rc);
		off += step;
	}
	ASSERT_OK(ovl_chan_close(ch));
	ASSERT(fx_run_until(&f, &s.closed, 20000));
	ASSERT(fx_run_until(&f, &m.done, 5000));
	if (m.status != 0)
		FAIL("move: %s", m.why);
	ASSERT_EQ(s.close_status, 0);
	ASSERT_EQ(s.len, n);
	ASSERT(s.len == n && memcmp(s.buf, big, n) == 0);
	free(s.buf);
	free(big);
	ASSERT_EQ(ovl_conn_path(d.conn), OVL_PATH_PUNCHED);
	ASSERT(ovl_conn_moved(d.conn));
	ASSERT(ovl_conn_moved(f.last_auth));
	ASSERT(strncmp(ovl_conn_peer(d.conn), "punch+127.0.0.1:", 16) == 0);
	ASSERT(strstr(ovl_conn_peer(f.last_auth), " via ") == NULL);
	ovl_server_stats(f.srv, &ss);
	ASSERT_EQ(ss.moved, 1);
	ASSERT_EQ(fx_log_count(&f, "moved here from 127.0.0.1:"), 1);
	for (i = 0; i < 300; i++) {	/* the old path's splice ends */
		ovl_relay_stats(r.relay, &st);
		if (st.splices == 0)
			break;
		fx_run_for(&f, 10);
	}
	ASSERT_EQ(st.splices, 0);
	/* once moved: no second move, no token; the new path carries on */
	ASSERT_EQ(ovl_conn_move(d.conn, to, 1, tok, 3000, on_moved, &m),
	    -EALREADY);
	ASSERT_EQ(ovl_server_move_token(f.srv, f.last_auth, tok), -EINVAL);
	echo_check(&f, d.conn, 1u << 20);
	ovl_conn_close(d.conn, OVL_GA_NORMAL, "bye");
	rl_stop(&r);
	fx_done(&f);
}

/* Candidate kinds: split, named, refused when unknown. */
static void
test_paths(void)
{
	enum ovl_path k;

	ASSERT_STREQ(ovl_path_split("1.2.3.4:5", &k), "1.2.3.4:5");
	ASSERT_EQ(k, OVL_PATH_DIRECT);
	ASSERT_STREQ(ovl_path_split("relay+h:7", &k), "h:7");
	ASSERT_EQ(k, OVL_PATH_RELAY);
	ASSERT_STREQ(ovl_path_split("map+h:7", &k), "h:7");
	ASSERT_EQ(k, OVL_PATH_MAPPED);
	ASSERT_STREQ(ovl_path_split("lan+h:7", &k), "h:7");
	ASSERT_EQ(k, OVL_PATH_LAN);
	ASSERT_NULL(ovl_path_split("relayx+h:7", &k));
	ASSERT_NULL(ovl_path_split("+h:7", &k));
	ASSERT_STREQ(ovl_path_name(OVL_PATH_MAPPED), "mapped");
}

TEST_MAIN(T(test_paths), T(test_relayed_echo), T(test_silence),
    T(test_abuse), T(test_limits), T(test_probe), T(test_move))
