/*
 * The DHT node's lookups and upkeep.
 *
 * A lookup keeps the DHT_SEARCH_NODES nodes closest to its target it has
 * heard of, queries the closest it has not asked, DHT_ALPHA at a time,
 * and ends when the OVL_DHT_K closest that did not fail have all
 * answered (or after DHT_SEARCH_MS). A get_peers lookup reports each
 * batch of values as it comes and, when asked to announce, sends
 * announce_peer with implied_port to the closest nodes that gave a
 * token (BEP 42 compliant ones only, when the node enforces it).
 *
 * Upkeep, from ovl_dht_periodic: a find_node lookup of our own id while
 * the table holds fewer than OVL_DHT_K good nodes (every 30 s, seeded
 * with the bootstrap addresses), a refresh lookup each minute of one
 * bucket nobody answered from for OVL_DHT_GOOD_MS, and pings of two
 * questionable nodes every 5 s.
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "dht-int.h"

#define DHT_BOOTSTRAP_MS	(30 * 1000)
#define DHT_REFRESH_MS		(60 * 1000)
#define DHT_PING_MS		(5 * 1000)

/* The candidate of s at a, or NULL. */
static struct dht_cand *
dht_cand_at(struct dht_search *s, const struct ovl_dht_addr *a)
{
	size_t i;

	for (i = 0; i < s->ncand; i++)
		if (memcmp(&s->cand[i].addr, a, sizeof *a) == 0)
			return (&s->cand[i]);
	return (NULL);
}

/* Keeps the candidates ordered by distance to the target. */
static void
dht_cand_sort(struct dht_search *s)
{
	struct dht_cand c;
	size_t i, j;

	for (i = 1; i < s->ncand; i++) {
		c = s->cand[i];
		for (j = i; j > 0 && dht_xor_cmp(s->target, c.id,
		    s->cand[j - 1].id) < 0; j--)
			s->cand[j] = s->cand[j - 1];
		s->cand[j] = c;
	}
}

/* Adds a candidate unless known, ours, martian or too far. */
static void
dht_cand_add(struct ovl_dht *dht, struct dht_search *s, const uint8_t *id,
    const struct ovl_dht_addr *a)
{
	struct dht_cand *c;
	size_t i;

	if (dht_martian(a) || memcmp(id, dht->id, OVL_DHT_ID_LEN) == 0 ||
	    dht_cand_at(s, a) != NULL)
		return;
	for (i = 0; i < s->ncand; i++)
		if (memcmp(s->cand[i].id, id, OVL_DHT_ID_LEN) == 0)
			return;
	if (s->ncand == DHT_SEARCH_NODES) {
		if (dht_xor_cmp(s->target, id,
		    s->cand[s->ncand - 1].id) >= 0)
			return;
		s->ncand--;
	}
	c = &s->cand[s->ncand++];
	memset(c, 0, sizeof *c);
	memcpy(c->id, id, OVL_DHT_ID_LEN);
	c->addr = *a;
	dht_cand_sort(s);
}

/* Ends lookup si: announces, then tells the caller. */
static void
dht_search_end(struct ovl_dht *dht, int si, uint64_t now)
{
	struct dht_search *s = &dht->searches[si];
	uint8_t target[OVL_DHT_ID_LEN];
	ovl_dht_peers_cb *cb = s->cb;
	void *arg = s->arg;
	size_t i, n = 0;

	s->used = 0;
	s->gen++;
	memcpy(target, s->target, sizeof target);
	for (i = 0; s->announce && i < s->ncand && n < OVL_DHT_K; i++) {
		if (s->cand[i].state != DHT_CAND_REPLIED ||
		    s->cand[i].tokenlen == 0)
			continue;
		if (dht->enforce_bep42 &&
		    !ovl_dht_id_ok(s->cand[i].id, s->cand[i].addr.ip))
			continue;
		if (dht_query(dht, &s->cand[i].addr, DHT_Q_ANNOUNCE, target,
		    s->cand[i].token, s->cand[i].tokenlen, s->port, -1,
		    now) == 0)
			n++;
	}
	if (cb != NULL)
		cb(arg, target, NULL, 0, 1);
}

/* Sends what lookup si may send; ends it when it converged. */
void
dht_search_step(struct ovl_dht *dht, int si, uint64_t now)
{
	struct dht_search *s = &dht->searches[si];
	size_t i, inflight = 0, seen = 0;
	int pending = 0;

	if (!s->used)
		return;
	for (i = 0; i < s->ncand; i++)
		inflight += s->cand[i].state == DHT_CAND_SENT;
	for (i = 0; i < s->ncand && inflight < DHT_ALPHA; i++) {
		if (s->cand[i].state != DHT_CAND_NEW)
			continue;
		if (dht_query(dht, &s->cand[i].addr, s->q, s->target, NULL, 0,
		    0, si, now) != 0)
			break;
		s->cand[i].state = DHT_CAND_SENT;
		inflight++;
	}
	for (i = 0; i < s->ncand && seen < OVL_DHT_K; i++) {
		if (s->cand[i].state == DHT_CAND_FAILED)
			continue;
		seen++;
		if (s->cand[i].state != DHT_CAND_REPLIED)
			pending = 1;
	}
	if (!pending)
		dht_search_end(dht, si, now);
}

/* The lookup a transaction belongs to, or NULL when it ended. */
static struct dht_search *
dht_search_of(struct ovl_dht *dht, const struct dht_tx *tx)
{
	struct dht_search *s;

	if (tx->search < 0 || tx->search >= OVL_DHT_SEARCHES)
		return (NULL);
	s = &dht->searches[tx->search];
	return (s->used && s->gen == tx->gen ? s : NULL);
}

/* Takes an answer to one of a lookup's queries. */
void
dht_search_reply(struct ovl_dht *dht, struct dht_tx *tx, const uint8_t *id,
    const struct ovl_ben *v, int r, uint64_t now)
{
	struct ovl_dht_addr peers[DHT_REPLY_VALUES], a;
	struct dht_search *s;
	struct dht_cand *c;
	size_t i, n = 0;
	int nodes, values, tok, k;

	if ((s = dht_search_of(dht, tx)) == NULL)
		return;
	if ((c = dht_cand_at(s, &tx->to)) != NULL) {
		c->state = DHT_CAND_REPLIED;
		memcpy(c->id, id, OVL_DHT_ID_LEN);
		tok = ovl_ben_get_type(v, r, "token", OVL_BEN_STR);
		if (tok >= 0 && v[tok].len <= sizeof c->token) {
			memcpy(c->token, v[tok].s, v[tok].len);
			c->tokenlen = v[tok].len;
		}
		dht_cand_sort(s);
	}
	nodes = ovl_ben_get_type(v, r, "nodes", OVL_BEN_STR);
	for (i = 0; nodes >= 0 && i + 26 <= v[nodes].len; i += 26) {
		dht_uncompact(v[nodes].s + i + OVL_DHT_ID_LEN, &a);
		dht_cand_add(dht, s, v[nodes].s + i, &a);
	}
	values = ovl_ben_get_type(v, r, "values", OVL_BEN_LIST);
	if (values >= 0 && s->q == DHT_Q_GET_PEERS) {
		/* Reported DHT_REPLY_VALUES at a time, however many came. */
		for (k = values + 1; k < (int)v[values].next;
		    k = (int)v[k].next) {
			if (v[k].type != OVL_BEN_STR || v[k].len != 6)
				continue;
			dht_uncompact(v[k].s, &peers[n]);
			n += !dht_martian(&peers[n]);
			if (n == DHT_REPLY_VALUES) {
				if (s->cb != NULL)
					s->cb(s->arg, s->target, peers, n, 0);
				n = 0;
			}
		}
		if (n > 0 && s->cb != NULL)
			s->cb(s->arg, s->target, peers, n, 0);
	}
	dht_search_step(dht, tx->search, now);
}

/* Takes a lookup's query that went unanswered or got an error. */
void
dht_search_failed(struct ovl_dht *dht, struct dht_tx *tx, uint64_t now)
{
	struct dht_search *s;
	struct dht_cand *c;

	dht_table_failed(dht, &tx->to);
	if ((s = dht_search_of(dht, tx)) == NULL)
		return;
	if ((c = dht_cand_at(s, &tx->to)) != NULL)
		c->state = DHT_CAND_FAILED;
	dht_search_step(dht, tx->search, now);
}

/* Starts a lookup seeded from the table (and bootstrap addresses). */
int
dht_search_start(struct ovl_dht *dht, enum dht_q q, const uint8_t *target,
    int announce, uint16_t port, ovl_dht_peers_cb *cb, void *arg,
    uint64_t now)
{
	struct dht_node near[DHT_SEARCH_NODES];
	struct dht_search *s = NULL;
	uint8_t far[OVL_DHT_ID_LEN];
	size_t i, j, n;
	int si;

	for (si = 0; si < OVL_DHT_SEARCHES; si++)
		if (!dht->searches[si].used) {
			s = &dht->searches[si];
			break;
		}
	if (s == NULL)
		return (-EBUSY);
	s->used = 1;
	s->q = q;
	memcpy(s->target, target, OVL_DHT_ID_LEN);
	s->announce = announce;
	s->port = port;
	s->cb = cb;
	s->arg = arg;
	s->started = now;
	s->ncand = 0;
	n = dht_table_closest(dht, target, near, DHT_SEARCH_NODES, now);
	for (i = 0; i < n; i++)
		dht_cand_add(dht, s, near[i].id, &near[i].addr);
	/* Bootstrap nodes' ids are unknown: the farthest, until answered. */
	for (i = 0; n < OVL_DHT_K && i < dht->nbootstrap; i++) {
		for (j = 0; j < OVL_DHT_ID_LEN; j++)
			far[j] = (uint8_t)~target[j];
		far[OVL_DHT_ID_LEN - 1] ^= (uint8_t)i;
		dht_cand_add(dht, s, far, &dht->bootstrap[i]);
	}
	dht_search_step(dht, si, now);
	return (0);
}

/* Starts a get_peers lookup for the caller. */
int
ovl_dht_get_peers(struct ovl_dht *dht, const uint8_t *ih, int announce,
    uint16_t port, ovl_dht_peers_cb *cb, void *arg, uint64_t now_ms)
{
	return (dht_search_start(dht, DHT_Q_GET_PEERS, ih, announce, port, cb,
	    arg, now_ms));
}

/* Lookups running. */
size_t
ovl_dht_searching(const struct ovl_dht *dht)
{
	size_t n = 0;
	int si;

	for (si = 0; si < OVL_DHT_SEARCHES; si++)
		n += dht->searches[si].used != 0;
	return (n);
}

/* Lookup timeouts, bootstrap, bucket refresh and pings. */
void
dht_search_periodic(struct ovl_dht *dht, uint64_t now)
{
	struct dht_node *x;
	uint8_t target[OVL_DHT_ID_LEN];
	size_t b, i, good = 0, pings = 0;
	int si, deepest = -1, busy = 0;

	for (si = 0; si < OVL_DHT_SEARCHES; si++) {
		if (!dht->searches[si].used)
			continue;
		if (now - dht->searches[si].started >= DHT_SEARCH_MS)
			dht_search_end(dht, si, now);
		else
			dht_search_step(dht, si, now);
		busy |= dht->searches[si].used &&
		    dht->searches[si].q == DHT_Q_FIND_NODE;
	}
	for (b = 0; b < DHT_BUCKETS; b++)
		for (i = 0; i < OVL_DHT_K; i++) {
			x = &dht->buckets[b].nodes[i];
			if (!x->used)
				continue;
			deepest = (int)b;
			good += x->fails < DHT_FAILS_BAD && x->replied != 0 &&
			    now - x->replied < OVL_DHT_GOOD_MS;
			if (pings < 2 && now - dht->pinged >= DHT_PING_MS &&
			    x->fails < DHT_FAILS_BAD && (x->replied == 0 ||
			    now - x->replied >= OVL_DHT_GOOD_MS) &&
			    (x->queried == 0 || now - x->queried >= 60000)) {
				x->queried = now;
				pings++;
				(void)dht_query(dht, &x->addr, DHT_Q_PING,
				    NULL, NULL, 0, 0, -1, now);
			}
		}
	if (pings > 0)
		dht->pinged = now;
	if (busy)
		return;
	if (good < OVL_DHT_K && now - dht->bootstrapped >= DHT_BOOTSTRAP_MS) {
		dht->bootstrapped = now;
		(void)dht_search_start(dht, DHT_Q_FIND_NODE, dht->id, 0, 0,
		    NULL, NULL, now);
		return;
	}
	if (now - dht->refreshed < DHT_REFRESH_MS)
		return;
	dht->refreshed = now;
	for (si = 0; si <= deepest; si++) {
		if (now - dht->buckets[si].changed < OVL_DHT_GOOD_MS)
			continue;
		randombytes_buf(target, sizeof target);
		for (b = 0; b < (size_t)si / 8; b++)
			target[b] = dht->id[b];
		b = (size_t)si / 8;
		i = 0x80u >> (si % 8);
		target[b] = (uint8_t)((dht->id[b] & ~(2 * i - 1)) |
		    (~dht->id[b] & i) | (target[b] & (i - 1)));
		/* Refreshed: not again for OVL_DHT_GOOD_MS, even if empty. */
		dht->buckets[si].changed = now;
		(void)dht_search_start(dht, DHT_Q_FIND_NODE, target, 0, 0,
		    NULL, NULL, now);
		break;
	}
}
