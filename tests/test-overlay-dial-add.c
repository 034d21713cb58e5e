/*
 * Candidates added to a dial in progress (overlay/dial.c ovl_dial_add,
 * ovl_dial_hold), as LAN discovery adds them: a dial started with none
 * connects to one added later, ends at its hold or its timeout when
 * none comes, waits past a refusal while held, keeps the refusal as its
 * cause when nothing better comes, and names a "lan+" candidate so; an
 * address the DHT gives starts before the punches still waiting.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "overlay-net-fx.h"

/* What a dial of these tests ended with. */
struct got {
	int	done;
	int	status;
	char	cause[320];
};

/* The dial ended; a won connection is closed at once. */
static void
got_cb(struct ovl_dial *d, struct ovl_conn *conn, int status,
    const char *cause, void *arg)
{
	struct got *g = arg;

	(void)d;
	g->done = 1;
	g->status = status;
	snprintf(g->cause, sizeof g->cause, "%s", cause != NULL ? cause : "");
	if (conn != NULL)
		ovl_conn_close(conn, OVL_GA_NORMAL, "test done");
}

/* Starts a dial of f's node at addrs within timeout_ms. */
static struct ovl_dial *
start(struct fx *f, const char *const *addrs, size_t n, uint32_t timeout_ms,
    struct got *g)
{
	struct ovl_dial_cfg cfg;
	struct ovl_dial *d = NULL;

	memset(g, 0, sizeof *g);
	memset(&cfg, 0, sizeof cfg);
	cfg.timeout_ms = timeout_ms;
	cfg.lim = f->lim;
	uv_update_time(&f->loop);
	ASSERT_OK(ovl_dial(&f->loop, &f->client_id, f->node_id.pub, f->psk,
	    addrs, n, "test-client", &cfg, got_cb, g, &d));
	return (d);
}

/* No candidate at first; one added later wins; bad ones are refused. */
static void
test_add_to_empty(void)
{
	struct fx f;
	struct got g;
	struct ovl_dial *d;
	char lan[80];
	uint64_t t0;

	fx_init(&f);
	fx_listen(&f);
	d = start(&f, NULL, 0, 3000, &g);
	fx_run_for(&f, 100);
	ASSERT_EQ(g.done, 0);
	ASSERT_EQ(ovl_dial_add(d, "nonsense"), -EINVAL);
	ASSERT_EQ(ovl_dial_add(d, "lan+127.0.0.1:0"), -EINVAL);
	snprintf(lan, sizeof lan, "lan+%s", f.addr);
	t0 = uv_now(&f.loop);
	ASSERT_OK(ovl_dial_add(d, lan));
	ASSERT_EQ(ovl_dial_add(d, f.addr), -EEXIST);
	ASSERT(fx_run_until(&f, &g.done, 2000));
	ASSERT_OK(g.status);
	ASSERT_LT(uv_now(&f.loop) - t0, 1000);
	fx_done(&f);
}

/* None comes: the dial ends at its hold, or at its timeout without one. */
static void
test_none_comes(void)
{
	struct fx f;
	struct got g;
	struct ovl_dial *d;
	uint64_t t0, ms;

	fx_init(&f);
	d = start(&f, NULL, 0, 3000, &g);
	t0 = uv_now(&f.loop);
	ovl_dial_hold(d, 200);
	ASSERT(fx_run_until(&f, &g.done, 4000));
	ms = uv_now(&f.loop) - t0;
	ASSERT_EQ(g.status, -ETIMEDOUT);
	ASSERT_CONTAINS(g.cause, "no address answered");
	ASSERT_GE(ms, 200);
	ASSERT_LT(ms, 1500);

	(void)start(&f, NULL, 0, 400, &g);
	t0 = uv_now(&f.loop);
	ASSERT(fx_run_until(&f, &g.done, 3000));
	ms = uv_now(&f.loop) - t0;
	ASSERT_EQ(g.status, -ETIMEDOUT);
	ASSERT_GE(ms, 400);
	fx_done(&f);
}

/*
 * A refused candidate under a hold: the dial waits, a candidate added
 * then wins; with nothing added, it ends at the hold with the refusal.
 */
static void
test_hold_past_refusal(void)
{
	struct fx f;
	struct got g;
	struct ovl_dial *d;
	const char *refused[] = { "lan+127.0.0.1:1" };
	uint64_t t0, ms;

	fx_init(&f);
	fx_listen(&f);
	d = start(&f, refused, 1, 3000, &g);
	ovl_dial_hold(d, 1000);
	fx_run_for(&f, 30);
	ASSERT_EQ(g.done, 0);
	/* Nothing is in flight: it starts at once, not 250 ms after the
	 * refused one started. */
	t0 = uv_now(&f.loop);
	ASSERT_OK(ovl_dial_add(d, f.addr));
	ASSERT(fx_run_until(&f, &g.done, 2000));
	ASSERT_OK(g.status);
	ASSERT_LT(uv_now(&f.loop) - t0, 150);

	d = start(&f, refused, 1, 3000, &g);
	t0 = uv_now(&f.loop);
	ovl_dial_hold(d, 300);
	ASSERT(fx_run_until(&f, &g.done, 3000));
	ms = uv_now(&f.loop) - t0;
	ASSERT_EQ(g.status, -ECONNREFUSED);
	ASSERT_CONTAINS(g.cause, "lan+127.0.0.1:1");
	ASSERT_GE(ms, 300);
	ASSERT_LT(ms, 2000);

	/* Without a hold a refusal still ends the dial at once. */
	(void)start(&f, refused, 1, 3000, &g);
	t0 = uv_now(&f.loop);
	ASSERT(fx_run_until(&f, &g.done, 3000));
	ASSERT_EQ(g.status, -ECONNREFUSED);
	ASSERT_LT(uv_now(&f.loop) - t0, 250);
	fx_done(&f);
}

/* A connection came: it is left in the backlog, never accepted. */
static void
on_silent(uv_stream_t *s, int status)
{
	(void)s;
	(void)status;
}

/* A listener that never accepts: a connect succeeds, nothing answers. */
static int
silent_listen(uv_loop_t *loop, uv_tcp_t *t, char *addr, size_t len)
{
	struct sockaddr_storage ss;
	struct sockaddr_in sin;
	int n = sizeof ss;

	ASSERT_OK(uv_tcp_init(loop, t));
	ASSERT_OK(uv_ip4_addr("127.0.0.1", 0, &sin));
	ASSERT_OK(uv_tcp_bind(t, (struct sockaddr *)&sin, 0));
	ASSERT_OK(uv_listen((uv_stream_t *)t, 8, on_silent));
	ASSERT_OK(uv_tcp_getsockname(t, (struct sockaddr *)&ss, &n));
	snprintf(addr, len, "127.0.0.1:%u",
	    ntohs(((struct sockaddr_in *)&ss)->sin_port));
	return (0);
}

/*
 * An address the DHT gives later starts at once, before a punch still
 * waiting its turn, while an earlier address hangs in its handshake:
 * the DHT can hold a moved node's old address beside its new one.
 */
static void
test_dht_first(void)
{
	struct fx f;
	struct got g;
	struct ovl_dial *d;
	uv_tcp_t silent;
	char old[64], stale[80], punch[80], dht[80];
	const char *addrs[1];
	uint64_t t0;

	fx_init(&f);
	fx_listen(&f);
	(void)silent_listen(&f.loop, &silent, old, sizeof old);
	snprintf(stale, sizeof stale, "dht+%s", old);
	addrs[0] = stale;
	d = start(&f, addrs, 1, 5000, &g);
	fx_run_for(&f, 50);		/* the old address hangs */
	snprintf(punch, sizeof punch, "punch+%s", old);
	ASSERT_OK(ovl_dial_add_punch(d, punch, 40000 + (uint16_t)(getpid() %
	    20000)));
	snprintf(dht, sizeof dht, "dht+%s", f.addr);
	t0 = uv_now(&f.loop);
	ASSERT_OK(ovl_dial_add(d, dht));
	ASSERT(fx_run_until(&f, &g.done, 3000));
	ASSERT_OK(g.status);
	/* not after two 250 ms turns, behind the old one and the punch */
	ASSERT_LT(uv_now(&f.loop) - t0, 200);
	uv_close((uv_handle_t *)&silent, NULL);
	fx_done(&f);
}

TEST_MAIN(
	T(test_dht_first),
	T(test_add_to_empty),
	T(test_none_comes),
	T(test_hold_past_refusal))
