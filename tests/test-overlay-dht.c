/*
 * The DHT node (overlay/dht*.c) alone, fed messages by hand on a
 * virtual clock: answers, errors, tokens and their rotation, the store,
 * BEP 42 ids and votes, read-only mode, rate limits, full answers and
 * lookups that end early. tests/test-overlay-dht-net.c runs networks.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dht-fx.h"

/* ping, find_node and unknown methods get BEP 5 answers, with `ip`. */
static void
test_dht_answers(void)
{
	static const char ping[] = "d1:ad2:id20:abcdefghij0123456789e"
	    "1:q4:ping1:t2:aa1:y1:qe";
	static const char find[] = "d1:ad2:id20:abcdefghij01234567896:"
	    "target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:bb1:y1:qe";
	static const char what[] = "d1:ad2:id20:abcdefghij0123456789e"
	    "1:q4:vote1:t2:cc1:y1:qe";
	struct ovl_dht_addr a = { { 8, 8, 4, 4 }, 1234 };
	struct ovl_ben v[128];
	struct dfx_net net = { 0 };
	uint8_t out[OVL_DHT_PKT_MAX], id[OVL_DHT_ID_LEN];
	int n, r, x;

	dfx_add(&net, NULL);
	ovl_dht_id(net.n[0], id);
	ASSERT(dfx_ask(&net, &a, ping, sizeof ping - 1, out, v, &n) > 0);
	r = ovl_ben_get_type(v, 0, "r", OVL_BEN_DICT);
	x = ovl_ben_get_type(v, r, "id", OVL_BEN_STR);
	ASSERT(x > 0 && v[x].len == 20 && memcmp(v[x].s, id, 20) == 0);
	x = ovl_ben_get_type(v, 0, "t", OVL_BEN_STR);
	ASSERT(x > 0 && v[x].len == 2 && memcmp(v[x].s, "aa", 2) == 0);
	x = ovl_ben_get_type(v, 0, "ip", OVL_BEN_STR);
	ASSERT(x > 0 && v[x].len == 6 &&
	    memcmp(v[x].s, "\x08\x08\x04\x04\x04\xd2", 6) == 0);
	/* The pinger is in the table now: find_node returns it. */
	ASSERT(dfx_ask(&net, &a, find, sizeof find - 1, out, v, &n) > 0);
	r = ovl_ben_get_type(v, 0, "r", OVL_BEN_DICT);
	x = ovl_ben_get_type(v, r, "nodes", OVL_BEN_STR);
	ASSERT(x > 0 && v[x].len == 26);
	ASSERT(memcmp(v[x].s, "abcdefghij0123456789", 20) == 0);
	ASSERT(dfx_ask(&net, &a, what, sizeof what - 1, out, v, &n) > 0);
	x = ovl_ben_get_type(v, 0, "e", OVL_BEN_LIST);
	ASSERT(x > 0 && v[x + 1].type == OVL_BEN_INT && v[x + 1].i == 204);
	/* Garbage, a martian source and stray answers get nothing. */
	ASSERT_EQ(ovl_dht_input(net.n[0], &a, (const uint8_t *)"d1:xe", 5,
	    0), -EBADMSG);
	ASSERT_EQ(ovl_dht_input(net.n[0], &a, (const uint8_t *)
	    "d1:rd2:id20:abcdefghij0123456789e1:t4:aaaa1:y1:re", 49, 0),
	    -EBADMSG);
	a.ip[0] = 0;
	ASSERT_EQ(ovl_dht_input(net.n[0], &a, (const uint8_t *)ping,
	    sizeof ping - 1, 0), -EBADMSG);
	ASSERT_EQ(ovl_dht_pop(net.n[0], &a, out, sizeof out), 0);
	dfx_free(&net);
}

/* Builds a query from node-like source: get_peers or announce_peer. */
static size_t
mkquery(uint8_t *buf, size_t cap, const char *q, const uint8_t *ih,
    const uint8_t *tok, size_t toklen, int implied)
{
	struct ovl_benw w;
	int len;

	ovl_benw_init(&w, buf, cap);
	ovl_benw_open(&w, 'd');
	ovl_benw_cstr(&w, "a");
	ovl_benw_open(&w, 'd');
	ovl_benw_cstr(&w, "id");
	ovl_benw_cstr(&w, "abcdefghij0123456789");
	if (implied >= 0) {
		ovl_benw_cstr(&w, "implied_port");
		ovl_benw_int(&w, implied);
	}
	ovl_benw_cstr(&w, "info_hash");
	ovl_benw_str(&w, ih, 20);
	if (tok != NULL) {
		ovl_benw_cstr(&w, "port");
		ovl_benw_int(&w, 7000);
		ovl_benw_cstr(&w, "token");
		ovl_benw_str(&w, tok, toklen);
	}
	ovl_benw_close(&w);
	ovl_benw_cstr(&w, "q");
	ovl_benw_cstr(&w, q);
	ovl_benw_cstr(&w, "t");
	ovl_benw_cstr(&w, "tt");
	ovl_benw_cstr(&w, "y");
	ovl_benw_cstr(&w, "q");
	ovl_benw_close(&w);
	len = ovl_benw_end(&w);
	ASSERT(len > 0);
	return ((size_t)len);
}

/* Announces with tok from a; returns the error code, 0 when stored. */
static int
announce_with(struct dfx_net *net, const struct ovl_dht_addr *a,
    const uint8_t *ih, const uint8_t *tok, size_t toklen)
{
	uint8_t q[512], out[OVL_DHT_PKT_MAX];
	struct ovl_ben v[128];
	size_t len;
	int n, e;

	len = mkquery(q, sizeof q, "announce_peer", ih, tok, toklen, 0);
	ASSERT(dfx_ask(net, a, (const char *)q, len, out, v, &n) > 0);
	e = ovl_ben_get_type(v, 0, "e", OVL_BEN_LIST);
	return (e > 0 ? (int)v[e + 1].i : 0);
}

/* Tokens: only the asker's, only from the last two secrets (5 min). */
static void
test_dht_tokens(void)
{
	struct ovl_dht_addr a = { { 8, 8, 4, 4 }, 1234 };
	struct ovl_dht_addr b = { { 9, 9, 9, 9 }, 1234 };
	struct ovl_ben v[128];
	struct ovl_dht_stats st;
	struct dfx_net net = { 0 };
	uint8_t q[512], out[OVL_DHT_PKT_MAX], ih[20], tok[32];
	size_t len, toklen;
	int n, x;

	memset(ih, 0x42, sizeof ih);
	dfx_add(&net, NULL);
	len = mkquery(q, sizeof q, "get_peers", ih, NULL, 0, -1);
	ASSERT(dfx_ask(&net, &a, (const char *)q, len, out, v, &n) > 0);
	x = ovl_ben_get_type(v, ovl_ben_get(v, 0, "r"), "token", OVL_BEN_STR);
	ASSERT(x > 0 && v[x].len <= sizeof tok);
	toklen = v[x].len;
	memcpy(tok, v[x].s, toklen);
	ASSERT_EQ(announce_with(&net, &b, ih, tok, toklen), 203);
	ASSERT_EQ(announce_with(&net, &a, ih, (const uint8_t *)"12345678",
	    8), 203);
	ASSERT_EQ(announce_with(&net, &a, ih, tok, toklen - 1), 203);
	ovl_dht_stats(net.n[0], &st);
	ASSERT_EQ(st.bad_tokens, 3);
	ASSERT_EQ(st.peers, 0);
	/* One rotation later the token is still good ... */
	net.now += OVL_DHT_TOKEN_MS;
	(void)ovl_dht_periodic(net.n[0], net.now);
	while (ovl_dht_pop(net.n[0], &b, out, sizeof out) > 0)
		;
	ASSERT_EQ(announce_with(&net, &a, ih, tok, toklen), 0);
	ovl_dht_stats(net.n[0], &st);
	ASSERT_EQ(st.peers, 1);
	/* ... and get_peers gives the announced port (implied_port 0). */
	len = mkquery(q, sizeof q, "get_peers", ih, NULL, 0, -1);
	ASSERT(dfx_ask(&net, &b, (const char *)q, len, out, v, &n) > 0);
	x = ovl_ben_get_type(v, ovl_ben_get(v, 0, "r"), "values",
	    OVL_BEN_LIST);
	ASSERT(x > 0 && v[x].n == 1 && v[x + 1].len == 6);
	ASSERT(memcmp(v[x + 1].s, "\x08\x08\x04\x04\x1b\x58", 6) == 0);
	/* ... and after a second rotation it is refused. */
	net.now += OVL_DHT_TOKEN_MS;
	(void)ovl_dht_periodic(net.n[0], net.now);
	while (ovl_dht_pop(net.n[0], &b, out, sizeof out) > 0)
		;
	ASSERT_EQ(announce_with(&net, &a, ih, tok, toklen), 203);
	/* Stored peers expire. */
	net.now += OVL_DHT_PEER_TTL_MS;
	(void)ovl_dht_periodic(net.n[0], net.now);
	ovl_dht_stats(net.n[0], &st);
	ASSERT_EQ(st.peers, 0);
	ASSERT_EQ(st.hashes, 0);
	dfx_free(&net);
}

/* The token node 0 gives to a for ih. */
static size_t
token_for(struct dfx_net *net, const struct ovl_dht_addr *a, const uint8_t *ih,
    uint8_t tok[32])
{
	uint8_t q[512], out[OVL_DHT_PKT_MAX];
	struct ovl_ben v[128];
	size_t len;
	int n, x;

	len = mkquery(q, sizeof q, "get_peers", ih, NULL, 0, -1);
	ASSERT(dfx_ask(net, a, (const char *)q, len, out, v, &n) > 0);
	x = ovl_ben_get_type(v, ovl_ben_get(v, 0, "r"), "token", OVL_BEN_STR);
	ASSERT(x > 0 && v[x].len <= 32);
	memcpy(tok, v[x].s, v[x].len);
	return (v[x].len);
}

/* get_peers gives the peers announced last first. */
static void
test_dht_values_newest(void)
{
	struct ovl_dht_addr a = { { 8, 8, 4, 4 }, 1234 };
	struct ovl_dht_addr b = { { 9, 9, 9, 9 }, 1234 };
	struct ovl_ben v[128];
	struct dfx_net net = { 0 };
	uint8_t q[512], out[OVL_DHT_PKT_MAX], ih[20], ta[32], tb[32];
	size_t la, lb, len;
	int n, x;

	memset(ih, 0x17, sizeof ih);
	dfx_add(&net, NULL);
	la = token_for(&net, &a, ih, ta);
	lb = token_for(&net, &b, ih, tb);
	ASSERT_EQ(announce_with(&net, &a, ih, ta, la), 0);
	net.now = 10;
	ASSERT_EQ(announce_with(&net, &b, ih, tb, lb), 0);
	net.now = 20;
	ASSERT_EQ(announce_with(&net, &a, ih, ta, la), 0);
	len = mkquery(q, sizeof q, "get_peers", ih, NULL, 0, -1);
	ASSERT(dfx_ask(&net, &b, (const char *)q, len, out, v, &n) > 0);
	x = ovl_ben_get_type(v, ovl_ben_get(v, 0, "r"), "values",
	    OVL_BEN_LIST);
	ASSERT(x > 0 && v[x].n == 2);
	ASSERT(memcmp(v[x + 1].s, a.ip, 4) == 0);
	ASSERT(memcmp(v[x + 2].s, b.ip, 4) == 0);
	dfx_free(&net);
}

/* BEP 42's own examples, and the exempt local ranges. */
static void
test_dht_bep42(void)
{
	static const struct {
		uint8_t		ip[4];
		uint8_t		r;
		const char	*prefix;	/* 3 bytes, the last masked */
	} ex[] = {
		{ { 124, 31, 75, 21 }, 1, "\x5f\xbf\xb8" },
		{ { 21, 75, 31, 124 }, 86, "\x5a\x3c\xe8" },
		{ { 65, 23, 51, 170 }, 22, "\xa5\xd4\x30" },
		{ { 84, 124, 73, 14 }, 65, "\x1b\x03\x20" },
		{ { 43, 213, 53, 83 }, 90, "\xe5\x6f\x68" },
	};
	uint8_t rnd[20], id[20], lan[4] = { 192, 168, 1, 2 };
	size_t i;

	for (i = 0; i < sizeof ex / sizeof ex[0]; i++) {
		memset(rnd, 0x77, sizeof rnd);
		rnd[0] = ex[i].r;
		ovl_dht_id_derive(ex[i].ip, rnd, id);
		ASSERT(memcmp(id, ex[i].prefix, 2) == 0);
		ASSERT_EQ(id[2] & 0xf8, (uint8_t)ex[i].prefix[2]);
		ASSERT_EQ(id[19], ex[i].r);
		ASSERT(ovl_dht_id_ok(id, ex[i].ip));
		id[1] ^= 1;
		ASSERT(!ovl_dht_id_ok(id, ex[i].ip));
		ASSERT(ovl_dht_id_ok(id, lan));
		id[1] ^= 1;
		id[19] ^= 1;
		ASSERT(!ovl_dht_id_ok(id, ex[i].ip));
	}
}

/*
 * Responders' `ip` votes: the id is kept until three of them agree on a
 * public address, then re-derived for it (BEP 42) and kept again while
 * they keep agreeing; one IP with several ports reads as symmetric.
 */
static void
test_dht_bep42_votes(void)
{
	struct ovl_dht_addr boot[6], ext = { { 203, 0, 113, 7 }, 40000 }, got;
	struct ovl_dht_cfg cfg = { 0 };
	struct ovl_dht_stats st;
	struct ovl_dht *dht;
	uint8_t id0[20], id1[20], id2[20];
	size_t i;
	int sym;

	for (i = 0; i < 6; i++) {
		boot[i].ip[0] = 8;
		boot[i].ip[1] = 8;
		boot[i].ip[2] = 8;
		boot[i].ip[3] = (uint8_t)(i + 1);
		boot[i].port = 6881;
	}
	cfg.bootstrap = boot;
	cfg.nbootstrap = 6;
	dht = ovl_dht_new(&cfg, 1);
	ASSERT(dht != NULL);
	ovl_dht_id(dht, id0);
	ASSERT_EQ(ovl_dht_external(dht, &got, &sym), -ENOENT);
	ASSERT(dfx_answer_all(dht, &ext, 0, 1) >= 3);
	ASSERT_EQ(ovl_dht_external(dht, &got, &sym), 0);
	ASSERT(memcmp(&got, &ext, sizeof got) == 0);
	ASSERT_EQ(sym, 0);
	ovl_dht_id(dht, id1);
	ASSERT(memcmp(id0, id1, 20) != 0);
	ASSERT(ovl_dht_id_ok(id1, ext.ip));
	ovl_dht_stats(dht, &st);
	ASSERT_EQ(st.id_changes, 1);
	/* More votes for that IP, with two ports: same id, symmetric. */
	(void)ovl_dht_periodic(dht, 40 * 1000);
	ASSERT(ovl_dht_get_peers(dht, id0, 0, 0, NULL, NULL, 40 * 1000) == 0);
	ASSERT(dfx_answer_all(dht, &ext, 1, 40 * 1000) > 0);
	ovl_dht_id(dht, id2);
	ASSERT(memcmp(id1, id2, 20) == 0);
	ASSERT_EQ(ovl_dht_external(dht, &got, &sym), 0);
	ASSERT_EQ(sym, 1);
	ovl_dht_free(dht);
}

/* Read-only (BEP 43): "ro":1 in queries, and its queries add nothing. */
static void
test_dht_read_only(void)
{
	struct dfx_net net = { 0 };
	struct ovl_dht_cfg ro = { 0 };
	struct ovl_dht_stats st;
	struct ovl_ben v[64];
	struct ovl_dht_addr to;
	uint8_t buf[OVL_DHT_PKT_MAX];
	size_t len;
	int x;

	dfx_add(&net, NULL);
	ro.read_only = 1;
	dfx_add(&net, &ro);
	len = ovl_dht_pop(net.n[1], &to, buf, sizeof buf);
	ASSERT(len > 0);
	ASSERT(ovl_ben_decode(buf, len, v, 64) > 0);
	x = ovl_ben_get_type(v, 0, "ro", OVL_BEN_INT);
	ASSERT(x > 0 && v[x].i == 1);
	ASSERT_EQ(ovl_dht_input(net.n[0], &net.a[1], buf, len, 0), 0);
	dfx_pump(&net);
	ovl_dht_stats(net.n[0], &st);
	ASSERT_EQ(st.nodes, 0);
	ovl_dht_stats(net.n[1], &st);
	ASSERT_EQ(st.nodes, 1);
	/* Reachable again: its next queries put it in node 0's table. */
	ovl_dht_set_reachable(net.n[1], 1);
	dfx_run(&net, 31 * 1000, 1000);
	ovl_dht_stats(net.n[0], &st);
	ASSERT_EQ(st.nodes, 1);
	dfx_free(&net);
}

/* Replies to one source are limited; another source is still served. */
static void
test_dht_rate_limit(void)
{
	static const char ping[] = "d1:ad2:id20:abcdefghij0123456789e"
	    "1:q4:ping1:t2:aa1:y1:qe";
	struct ovl_dht_addr a = { { 8, 8, 4, 4 }, 1234 };
	struct ovl_dht_addr b = { { 9, 9, 9, 9 }, 1234 };
	struct ovl_dht_cfg cfg = { 0 };
	struct ovl_dht_stats st;
	struct ovl_dht *dht;
	uint8_t buf[OVL_DHT_PKT_MAX];
	struct ovl_dht_addr to;
	size_t i, answered = 0;

	cfg.reply_rate = 5;
	cfg.reply_total = 100000;
	dht = ovl_dht_new(&cfg, 1);
	ASSERT(dht != NULL);
	for (i = 0; i < 100; i++)
		(void)ovl_dht_input(dht, &a, (const uint8_t *)ping,
		    sizeof ping - 1, 1);
	while (ovl_dht_pop(dht, &to, buf, sizeof buf) > 0)
		answered++;
	ASSERT_EQ(answered, 10);
	ovl_dht_stats(dht, &st);
	ASSERT_EQ(st.limited, 90);
	/*
	 * 4096 other sources are served, but those that fall on a's bucket
	 * (16 of them, on average, of 256 buckets) share its rate: taking
	 * turns with a never refills it.
	 */
	for (i = 0, answered = 0; i < 4096; i++) {
		b.ip[2] = (uint8_t)(i >> 8);
		b.ip[3] = (uint8_t)i;
		answered += ovl_dht_input(dht, &b, (const uint8_t *)ping,
		    sizeof ping - 1, 1) == 0;
		ASSERT_EQ(ovl_dht_input(dht, &a, (const uint8_t *)ping,
		    sizeof ping - 1, 1), -EAGAIN);
	}
	ASSERT(answered > 2000);
	while (ovl_dht_pop(dht, &to, buf, sizeof buf) > 0)
		;
	/* A second later, five more. */
	for (i = 0, answered = 0; i < 20; i++)
		answered += ovl_dht_input(dht, &a, (const uint8_t *)ping,
		    sizeof ping - 1, 1001) == 0;
	ASSERT_EQ(answered, 5);
	ovl_dht_free(dht);
}

/* Counts a lookup's peers. */
static void
count_cb(void *arg, const uint8_t *ih, const struct ovl_dht_addr *peers,
    size_t n, int done)
{
	size_t *count = arg;

	(void)ih;
	(void)peers;
	(void)done;
	*count += n;
}

/*
 * An answer as full as a datagram gets (bittorrent-dht sends up to 100
 * values, 1400 bytes hold 175) is taken whole: every peer is reported.
 */
static void
test_dht_many_values(void)
{
	struct ovl_dht_addr boot = { { 8, 8, 8, 1 }, 6881 }, to;
	struct ovl_dht_cfg cfg = { 0 };
	struct ovl_dht *dht;
	struct ovl_ben v[64];
	struct ovl_benw w;
	uint8_t buf[OVL_DHT_PKT_MAX], rep[OVL_DHT_PKT_MAX], ih[20], p[6];
	size_t len, count = 0, i;
	int t, n;

	memset(ih, 0x99, sizeof ih);
	cfg.bootstrap = &boot;
	cfg.nbootstrap = 1;
	dht = ovl_dht_new(&cfg, 1);
	ASSERT(dht != NULL);
	while (ovl_dht_pop(dht, &to, buf, sizeof buf) > 0)
		;
	(void)ovl_dht_periodic(dht, 3000);
	while (ovl_dht_pop(dht, &to, buf, sizeof buf) > 0)
		;
	ASSERT_EQ(ovl_dht_get_peers(dht, ih, 0, 0, count_cb, &count, 3000), 0);
	len = ovl_dht_pop(dht, &to, buf, sizeof buf);
	ASSERT(len > 0);
	ASSERT(ovl_ben_decode(buf, len, v, 64) > 0);
	t = ovl_ben_get_type(v, 0, "t", OVL_BEN_STR);
	ASSERT(t > 0);
	ovl_benw_init(&w, rep, sizeof rep);
	ovl_benw_open(&w, 'd');
	ovl_benw_cstr(&w, "r");
	ovl_benw_open(&w, 'd');
	ovl_benw_cstr(&w, "id");
	ovl_benw_cstr(&w, "abcdefghij0123456789");
	ovl_benw_cstr(&w, "token");
	ovl_benw_cstr(&w, "tok");
	ovl_benw_cstr(&w, "values");
	ovl_benw_open(&w, 'l');
	for (i = 0; i < 150; i++) {
		p[0] = 1;
		p[1] = 1;
		p[2] = (uint8_t)(i >> 8);
		p[3] = (uint8_t)i;
		p[4] = 0x1a;
		p[5] = 0xe1;
		ovl_benw_str(&w, p, 6);
	}
	ovl_benw_close(&w);
	ovl_benw_close(&w);
	n = dfx_reply_end(&w, &v[t]);
	ASSERT(n > 1200 && n <= OVL_DHT_PKT_MAX);
	ASSERT_EQ(ovl_dht_input(dht, &to, rep, (size_t)n, 3001), 0);
	ASSERT_EQ(count, 150);
	ovl_dht_free(dht);
}

/* A lookup with nobody to ask ends at once; a fifth is refused. */
static void
test_dht_lookup_alone(void)
{
	struct ovl_dht_cfg cfg = { 0 };
	struct ovl_dht_addr boot = { { 8, 8, 8, 8 }, 6881 };
	struct dfx_found f = { 0 };
	struct ovl_dht *dht;
	uint8_t ih[20] = { 1 };
	int i;

	dht = ovl_dht_new(&cfg, 1);
	ASSERT(dht != NULL);
	ASSERT_EQ(ovl_dht_get_peers(dht, ih, 1, 1, dfx_found_cb, &f, 1), 0);
	ASSERT_EQ(f.done, 1);
	ovl_dht_free(dht);
	cfg.bootstrap = &boot;
	cfg.nbootstrap = 1;
	dht = ovl_dht_new(&cfg, 1);
	ASSERT(dht != NULL);
	for (i = 0; i < OVL_DHT_SEARCHES - 1; i++)
		ASSERT_EQ(ovl_dht_get_peers(dht, ih, 0, 0, NULL, NULL, 1), 0);
	ASSERT_EQ(ovl_dht_get_peers(dht, ih, 0, 0, NULL, NULL, 1), -EBUSY);
	/* The bootstrap address never answers: every lookup gives up. */
	(void)ovl_dht_periodic(dht, 1 + 2000);
	ASSERT_EQ(ovl_dht_get_peers(dht, ih, 0, 0, dfx_found_cb, &f, 2001), 0);
	ovl_dht_free(dht);
}

TEST_MAIN(T(test_dht_answers), T(test_dht_tokens),
    T(test_dht_values_newest), T(test_dht_bep42), T(test_dht_bep42_votes),
    T(test_dht_read_only), T(test_dht_rate_limit), T(test_dht_many_values),
    T(test_dht_lookup_alone))
