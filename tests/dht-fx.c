/*
 * The DHT test fixture (dht-fx.h): in-process nodes, a pump that carries
 * their datagrams, and answers on behalf of peers that are not there.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dht-fx.h"

/* Collects a lookup's peers. */
void
dfx_found_cb(void *arg, const uint8_t *ih, const struct ovl_dht_addr *peers,
    size_t n, int done)
{
	struct dfx_found *f = arg;
	size_t i;

	(void)ih;
	for (i = 0; i < n && f->n < 64; i++)
		f->peers[f->n++] = peers[i];
	if (done)
		f->done = 1;
}

/* The address of node i: 10.0.i/256.i%256, port 6881 + i. */
struct ovl_dht_addr
dfx_addr(size_t i)
{
	struct ovl_dht_addr a = { { 10, 0, (uint8_t)(i / 256),
	    (uint8_t)(i % 256 + 1) }, (uint16_t)(6881 + i) };

	return (a);
}

/* Adds a node at dfx_addr(count) bootstrapping from node 0. */
struct ovl_dht *
dfx_add(struct dfx_net *net, const struct ovl_dht_cfg *base)
{
	struct ovl_dht_cfg cfg;
	struct ovl_dht_addr boot = dfx_addr(0);
	size_t i = net->count;

	memset(&cfg, 0, sizeof cfg);
	if (base != NULL)
		cfg = *base;
	if (i > 0 && cfg.nbootstrap == 0) {
		cfg.bootstrap = &boot;
		cfg.nbootstrap = 1;
	}
	net->a[i] = dfx_addr(i);
	net->n[i] = ovl_dht_new(&cfg, net->now);
	ASSERT(net->n[i] != NULL);
	net->count++;
	return (net->n[i]);
}

/* The node at a, or -1. */
int
dfx_find(const struct dfx_net *net, const struct ovl_dht_addr *a)
{
	size_t i;

	for (i = 0; i < net->count; i++)
		if (memcmp(&net->a[i], a, sizeof *a) == 0)
			return ((int)i);
	return (-1);
}

/* Delivers queued datagrams until none is left; returns how many. */
size_t
dfx_pump(struct dfx_net *net)
{
	uint8_t buf[OVL_DHT_PKT_MAX];
	struct ovl_dht_addr to;
	size_t i, len, moved, total = 0;
	int j;

	do {
		moved = 0;
		for (i = 0; i < net->count; i++)
			while ((len = ovl_dht_pop(net->n[i], &to, buf,
			    sizeof buf)) > 0) {
				moved++;
				j = dfx_find(net, &to);
				if (j < 0 || net->down[j] || net->down[i])
					continue;
				(void)ovl_dht_input(net->n[j], &net->a[i], buf,
				    len, net->now);
			}
		total += moved;
	} while (moved > 0);
	return (total);
}

/* Runs the clock for ms in steps of step ms. */
void
dfx_run(struct dfx_net *net, uint64_t ms, uint64_t step)
{
	uint64_t end = net->now + ms;
	size_t i;

	while (net->now < end) {
		net->now += step;
		for (i = 0; i < net->count; i++)
			(void)ovl_dht_periodic(net->n[i], net->now);
		dfx_pump(net);
	}
}

/* Frees every node. */
void
dfx_free(struct dfx_net *net)
{
	size_t i;

	for (i = 0; i < net->count; i++)
		ovl_dht_free(net->n[i]);
	net->count = 0;
}

/* Runs until the lookup is done (or a minute passes). */
void
dfx_wait(struct dfx_net *net, struct dfx_found *f)
{
	uint64_t end = net->now + 70 * 1000;

	dfx_pump(net);
	while (!f->done && net->now < end)
		dfx_run(net, 100, 100);
	ASSERT(f->done);
}

/* Sends one datagram to node 0 from a and returns node 0's answer. */
size_t
dfx_ask(struct dfx_net *net, const struct ovl_dht_addr *a, const char *msg,
    size_t len, uint8_t *out, struct ovl_ben *v, int *count)
{
	struct ovl_dht_addr to;
	size_t n;

	(void)ovl_dht_input(net->n[0], a, (const uint8_t *)msg, len,
	    net->now);
	n = ovl_dht_pop(net->n[0], &to, out, OVL_DHT_PKT_MAX);
	if (n > 0) {
		ASSERT(memcmp(&to, a, sizeof to) == 0);
		*count = ovl_ben_decode(out, n, v, 128);
		ASSERT(*count > 0);
	}
	return (n);
}

/* Ends an answer: its `r` written, adds `t` and `y` and closes it. */
int
dfx_reply_end(struct ovl_benw *w, const struct ovl_ben *t)
{
	int n;

	ovl_benw_cstr(w, "t");
	ovl_benw_str(w, t->s, t->len);
	ovl_benw_cstr(w, "y");
	ovl_benw_cstr(w, "r");
	ovl_benw_close(w);
	n = ovl_benw_end(w);
	ASSERT(n > 0);
	return (n);
}

/*
 * Answers every query dht sends, as the node at its destination would,
 * with BEP 42's `ip` claiming ext (its port plus 1 from every other
 * responder with vary), counting in refresh (when not NULL) find_node
 * lookups of an id not its own (a new target starts one); returns how
 * many it answered.
 */
size_t
dfx_answer_count(struct ovl_dht *dht, const struct ovl_dht_addr *ext, int vary,
    uint64_t now, struct dfx_refreshes *refresh)
{
	uint8_t buf[OVL_DHT_PKT_MAX], rep[OVL_DHT_PKT_MAX], c[6], rid[20];
	uint8_t self[20];
	struct ovl_ben v[64];
	struct ovl_dht_addr to;
	struct ovl_benw w;
	size_t len, answered = 0;
	int n, t, x;

	ovl_dht_id(dht, self);
	memcpy(c, ext->ip, 4);
	c[4] = (uint8_t)(ext->port >> 8);
	while ((len = ovl_dht_pop(dht, &to, buf, sizeof buf)) > 0) {
		n = ovl_ben_decode(buf, len, v, 64);
		ASSERT(n > 0);
		t = ovl_ben_get_type(v, 0, "t", OVL_BEN_STR);
		if (ovl_ben_get(v, 0, "q") < 0 || t < 0)
			continue;
		x = ovl_ben_get_type(v, ovl_ben_get(v, 0, "a"), "target",
		    OVL_BEN_STR);
		if (refresh != NULL && x > 0 && memcmp(v[x].s, self, 20) != 0 &&
		    memcmp(v[x].s, refresh->last, 20) != 0) {
			memcpy(refresh->last, v[x].s, 20);
			refresh->n++;
		}
		memset(rid, to.ip[3], sizeof rid);
		c[5] = (uint8_t)(ext->port + (vary ? (to.ip[3] & 1) : 0));
		ovl_benw_init(&w, rep, sizeof rep);
		ovl_benw_open(&w, 'd');
		ovl_benw_cstr(&w, "ip");
		ovl_benw_str(&w, c, 6);
		ovl_benw_cstr(&w, "r");
		ovl_benw_open(&w, 'd');
		ovl_benw_cstr(&w, "id");
		ovl_benw_str(&w, rid, 20);
		ovl_benw_close(&w);
		n = dfx_reply_end(&w, &v[t]);
		ASSERT_EQ(ovl_dht_input(dht, &to, rep, (size_t)n, now), 0);
		answered++;
	}
	return (answered);
}

/* The same, without counting. */
size_t
dfx_answer_all(struct ovl_dht *dht, const struct ovl_dht_addr *ext, int vary,
    uint64_t now)
{
	return (dfx_answer_count(dht, ext, vary, now, NULL));
}

/* Builds a network of count nodes and lets it settle. */
void
dfx_build(struct dfx_net *net, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		dfx_add(net, NULL);
	dfx_pump(net);
	dfx_run(net, 3 * 60 * 1000, 500);
}
