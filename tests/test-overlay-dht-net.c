/*
 * Networks of DHT nodes (overlay/dht*.c) in one process, through their
 * out-queues on a virtual clock (tests/dht-fx.c): a lookup across fifty
 * nodes, a restart from a saved table, an idle hour's traffic and the
 * refresh of empty buckets.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dht-fx.h"

/*
 * Fifty nodes bootstrapped from one: a lookup from one node finds the
 * port another announced (implied_port: its source port), and the
 * announce landed on the nodes closest to the hash.
 */
static void
test_dht_lookup_50(void)
{
	struct dfx_net net = { 0 };
	struct dfx_found f = { 0 }, g = { 0 };
	struct ovl_dht_stats st;
	uint8_t ih[20];
	size_t i, holders = 0;

	dfx_build(&net, 50);
	for (i = 0; i < net.count; i++) {
		ovl_dht_stats(net.n[i], &st);
		if (st.good < 8)
			FAIL("node %zu knows %zu good nodes", i, st.good);
	}
	memset(ih, 0xa5, sizeof ih);
	ASSERT_EQ(ovl_dht_get_peers(net.n[7], ih, 1, 9999, dfx_found_cb, &f,
	    net.now), 0);
	dfx_wait(&net, &f);
	ASSERT_EQ(f.n, 0);
	dfx_pump(&net);
	for (i = 0; i < net.count; i++) {
		ovl_dht_stats(net.n[i], &st);
		holders += st.peers;
	}
	ASSERT(holders >= 6 && holders <= 8);
	ASSERT_EQ(ovl_dht_get_peers(net.n[33], ih, 0, 0, dfx_found_cb, &g,
	    net.now), 0);
	dfx_wait(&net, &g);
	ASSERT(g.n >= 1);
	for (i = 0; i < g.n; i++)
		ASSERT(memcmp(&g.peers[i], &net.a[7], sizeof g.peers[i]) == 0);
	dfx_free(&net);
}

/*
 * A lookup still converges with a fifth of the nodes gone silent, and a
 * node restarted from its saved table finds peers without bootstrap.
 */
static void
test_dht_save_restore(void)
{
	struct dfx_net net = { 0 };
	struct dfx_found f = { 0 }, g = { 0 };
	struct ovl_dht_cfg cfg = { 0 };
	uint8_t ih[20], saved[OVL_DHT_SAVE_MAX], id[20], id2[20];
	int len;
	size_t i;

	dfx_build(&net, 30);
	for (i = 20; i < 26; i++)
		net.down[i] = 1;
	memset(ih, 0x3c, sizeof ih);
	ASSERT_EQ(ovl_dht_get_peers(net.n[3], ih, 1, 1, dfx_found_cb, &f,
	    net.now), 0);
	dfx_wait(&net, &f);
	len = ovl_dht_save(net.n[12], saved, sizeof saved);
	ASSERT(len > 26 * 8);
	ovl_dht_id(net.n[12], id);
	ovl_dht_free(net.n[12]);
	cfg.saved = saved;
	cfg.savedlen = (size_t)len;
	cfg.nbootstrap = 0;
	net.n[12] = ovl_dht_new(&cfg, net.now);
	ASSERT(net.n[12] != NULL);
	ovl_dht_id(net.n[12], id2);
	ASSERT(memcmp(id, id2, 20) == 0);
	ASSERT_EQ(ovl_dht_get_peers(net.n[12], ih, 0, 0, dfx_found_cb, &g,
	    net.now), 0);
	dfx_wait(&net, &g);
	ASSERT(g.n >= 1);
	ASSERT(memcmp(&g.peers[0], &net.a[3], sizeof g.peers[0]) == 0);
	/* A damaged save is refused. */
	cfg.savedlen = (size_t)len - 1;
	ASSERT(ovl_dht_new(&cfg, net.now) == NULL);
	dfx_free(&net);
}

/*
 * An idle node's traffic: thirty nodes settle, then an hour passes
 * without lookups; what node 1 sends and receives in that hour is
 * printed and bounded (table upkeep only: pings and refreshes).
 */
static void
test_dht_idle_traffic(void)
{
	struct dfx_net net = { 0 };
	struct ovl_dht_stats a, b;

	dfx_build(&net, 30);
	ovl_dht_stats(net.n[1], &a);
	dfx_run(&net, 60 * 60 * 1000, 1000);
	ovl_dht_stats(net.n[1], &b);
	printf("# idle hour, one of 30 nodes: %llu datagrams (%llu bytes) "
	    "out, %llu (%llu bytes) in; table %zu nodes, %zu good\n",
	    (unsigned long long)(b.out - a.out),
	    (unsigned long long)(b.bytes_out - a.bytes_out),
	    (unsigned long long)(b.in - a.in),
	    (unsigned long long)(b.bytes_in - a.bytes_in), b.nodes, b.good);
	ASSERT(b.out - a.out < 1000);
	ASSERT(b.good >= 8);
	dfx_free(&net);
}

/*
 * Bucket refresh: a bucket nobody answered from for OVL_DHT_GOOD_MS is
 * refreshed once, one a minute, empty ones too, and not again for
 * OVL_DHT_GOOD_MS (a refresh that finds nobody does not repeat every
 * minute).
 */
static void
test_dht_refresh(void)
{
	struct ovl_dht_addr boot[8], ext = { { 10, 9, 9, 9 }, 1 };
	struct ovl_dht_cfg cfg = { 0 };
	struct ovl_dht_stats st;
	struct ovl_dht *dht;
	uint8_t id[20] = { 0 };
	uint64_t now;
	struct dfx_refreshes refresh = { 0 };
	size_t i;

	for (i = 0; i < 8; i++) {
		memset(&boot[i], 0, sizeof boot[i]);
		boot[i].ip[0] = 8;
		boot[i].ip[3] = (uint8_t)(i + 1);
		boot[i].port = 6881;
	}
	cfg.id = id;
	cfg.bootstrap = boot;
	cfg.nbootstrap = 8;
	dht = ovl_dht_new(&cfg, 1);
	ASSERT(dht != NULL);
	for (now = 1; now < 30 * 60 * 1000; now += 1000) {
		(void)ovl_dht_periodic(dht, now);
		(void)dfx_answer_count(dht, &ext, 0, now, &refresh);
	}
	ovl_dht_stats(dht, &st);
	ASSERT_EQ(st.good, 8);
	/*
	 * Ids 01.. to 08.. fill buckets 4 to 7 (kept fresh by pings of
	 * questionable nodes); 0 to 3 are empty and, from the 15th minute,
	 * each is refreshed once.
	 */
	ASSERT_EQ(refresh.n, 4);
	ovl_dht_free(dht);
}

TEST_MAIN(T(test_dht_lookup_50), T(test_dht_save_restore),
    T(test_dht_idle_traffic), T(test_dht_refresh))
