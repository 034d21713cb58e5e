/*
 * A fixture for the DHT node's tests: nodes of overlay/dht*.c in one
 * process, reaching each other by address through their out-queues on a
 * virtual clock, and a stand-in peer that answers a node's queries.
 */
#ifndef PIER_DHT_FX_H
#define PIER_DHT_FX_H

#include <stddef.h>
#include <stdint.h>

#include "overlay.h"
#include "test.h"

#define DFX_NET_MAX		64

/* Nodes that reach each other by address. */
struct dfx_net {
	struct ovl_dht		*n[DFX_NET_MAX];
	struct ovl_dht_addr	 a[DFX_NET_MAX];
	int			 down[DFX_NET_MAX];
	size_t			 count;
	uint64_t		 now;
};

/* What a lookup reported. */
struct dfx_found {
	struct ovl_dht_addr	 peers[64];
	size_t			 n;
	int			 done;
};

/* Refresh lookups seen: how many, and the last one's target. */
struct dfx_refreshes {
	size_t		n;
	uint8_t		last[20];
};

/* Collects a lookup's peers. */
void dfx_found_cb(void *arg, const uint8_t *ih,
    const struct ovl_dht_addr *peers, size_t n, int done);
/* The address of node i: 10.0.i/256.i%256, port 6881 + i. */
struct ovl_dht_addr dfx_addr(size_t i);
/* Adds a node at dfx_addr(count) bootstrapping from node 0. */
struct ovl_dht *dfx_add(struct dfx_net *net, const struct ovl_dht_cfg *base);
/* The node at a, or -1. */
int dfx_find(const struct dfx_net *net, const struct ovl_dht_addr *a);
/* Delivers queued datagrams until none is left; returns how many. */
size_t dfx_pump(struct dfx_net *net);
/* Runs the clock for ms in steps of step ms. */
void dfx_run(struct dfx_net *net, uint64_t ms, uint64_t step);
/* Frees every node. */
void dfx_free(struct dfx_net *net);
/* Runs until the lookup is done (or a minute passes). */
void dfx_wait(struct dfx_net *net, struct dfx_found *f);
/* Sends one datagram to node 0 from a and returns node 0's answer. */
size_t dfx_ask(struct dfx_net *net, const struct ovl_dht_addr *a,
    const char *msg, size_t len, uint8_t *out, struct ovl_ben *v,
    int *count);
/* Ends an answer: its `r` written, adds `t` and `y` and closes it. */
int dfx_reply_end(struct ovl_benw *w, const struct ovl_ben *t);
/*
 * Answers every query dht sends, as the node at its destination would,
 * with BEP 42's `ip` claiming ext (its port plus 1 from every other
 * responder with vary), counting in refresh (when not NULL) find_node
 * lookups of an id not its own (a new target starts one); returns how
 * many it answered.
 */
size_t dfx_answer_count(struct ovl_dht *dht,
    const struct ovl_dht_addr *ext, int vary, uint64_t now,
    struct dfx_refreshes *refresh);
/* The same, without counting. */
size_t dfx_answer_all(struct ovl_dht *dht,
    const struct ovl_dht_addr *ext, int vary, uint64_t now);
/* Builds a network of count nodes and lets it settle. */
void dfx_build(struct dfx_net *net, size_t count);

#endif
