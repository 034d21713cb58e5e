/*
 * The mainline DHT node (BEP 5), messages in and out.
 *
 * A datagram is checked before anything is kept of it: at most
 * OVL_DHT_PKT_MAX bytes from a source that is not martian, strict
 * bencode of at most DHT_VALUES_MAX values, a dict with "t" and "y". A
 * query is charged to a token bucket of its source IP and to one of the
 * whole node before it is answered, so a flood costs a bounded number of
 * replies; an answer or error must carry the transaction id of a query
 * in flight to the address it came from. Answers carry BEP 42's `ip`,
 * the address we saw the querier at; queries carry BEP 43's "ro":1 while
 * the node is read-only, and a querier with "ro":1 is not added to the
 * routing table.
 *
 * Memory: the node is one allocation of fixed size (the table, the
 * transactions, the lookups, the rate slots) plus the out-queue (at most
 * DHT_OUTQ_MAX datagrams) and the store (at most OVL_DHT_STORE_HASHES
 * hashes of OVL_DHT_STORE_PEERS peers each).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "dht-int.h"

/* Queues a datagram for the driver; drops it when the queue is full. */
void
dht_send(struct ovl_dht *dht, const struct ovl_dht_addr *to,
    const uint8_t *buf, size_t len)
{
	struct dht_out *o;

	if (dht->noutq >= DHT_OUTQ_MAX || len > OVL_DHT_PKT_MAX ||
	    (o = malloc(sizeof *o + len)) == NULL) {
		dht->st.dropped++;
		return;
	}
	o->next = NULL;
	o->to = *to;
	o->len = len;
	memcpy(o->buf, buf, len);
	*dht->outq_tail = o;
	dht->outq_tail = &o->next;
	dht->noutq++;
	dht->st.out++;
	dht->st.bytes_out += len;
}

/* Writes compact address info (4 bytes IP, 2 bytes port). */
void
dht_compact(const struct ovl_dht_addr *a, uint8_t out[6])
{
	memcpy(out, a->ip, 4);
	out[4] = (uint8_t)(a->port >> 8);
	out[5] = (uint8_t)a->port;
}

/* Reads compact address info. */
void
dht_uncompact(const uint8_t in[6], struct ovl_dht_addr *a)
{
	memcpy(a->ip, in, 4);
	a->port = (uint16_t)(in[4] << 8 | in[5]);
}

/* The method name of a query. */
static const char *
dht_q_name(enum dht_q q)
{
	switch (q) {
	case DHT_Q_PING:
		return ("ping");
	case DHT_Q_FIND_NODE:
		return ("find_node");
	case DHT_Q_GET_PEERS:
		return ("get_peers");
	case DHT_Q_ANNOUNCE:
		return ("announce_peer");
	}
	return ("");
}

/* Sends a query and records its transaction; -EBUSY when none is free. */
int
dht_query(struct ovl_dht *dht, const struct ovl_dht_addr *to, enum dht_q q,
    const uint8_t *target, const uint8_t *token, size_t tokenlen,
    uint16_t port, int search, uint64_t now)
{
	uint8_t buf[OVL_DHT_PKT_MAX];
	struct ovl_benw w;
	struct dht_tx *tx = NULL;
	size_t i;
	int len;

	for (i = 0; i < DHT_TX_MAX && tx == NULL; i++)
		if (!dht->tx[i].used)
			tx = &dht->tx[i];
	if (tx == NULL)
		return (-EBUSY);
	tx->tid[0] = (uint8_t)((size_t)(tx - dht->tx) >> 8);
	tx->tid[1] = (uint8_t)(tx - dht->tx);
	randombytes_buf(tx->tid + 2, DHT_TID_LEN - 2);
	ovl_benw_init(&w, buf, sizeof buf);
	ovl_benw_open(&w, 'd');
	ovl_benw_cstr(&w, "a");
	ovl_benw_open(&w, 'd');
	ovl_benw_cstr(&w, "id");
	ovl_benw_str(&w, dht->id, OVL_DHT_ID_LEN);
	if (q == DHT_Q_ANNOUNCE) {
		ovl_benw_cstr(&w, "implied_port");
		ovl_benw_int(&w, 1);
	}
	if (q == DHT_Q_GET_PEERS || q == DHT_Q_ANNOUNCE) {
		ovl_benw_cstr(&w, "info_hash");
		ovl_benw_str(&w, target, OVL_DHT_ID_LEN);
	}
	if (q == DHT_Q_ANNOUNCE) {
		ovl_benw_cstr(&w, "port");
		ovl_benw_int(&w, port);
		ovl_benw_cstr(&w, "token");
		ovl_benw_str(&w, token, tokenlen);
	}
	if (q == DHT_Q_FIND_NODE) {
		ovl_benw_cstr(&w, "target");
		ovl_benw_str(&w, target, OVL_DHT_ID_LEN);
	}
	ovl_benw_close(&w);
	ovl_benw_cstr(&w, "q");
	ovl_benw_cstr(&w, dht_q_name(q));
	if (dht->read_only) {
		ovl_benw_cstr(&w, "ro");
		ovl_benw_int(&w, 1);
	}
	ovl_benw_cstr(&w, "t");
	ovl_benw_str(&w, tx->tid, DHT_TID_LEN);
	ovl_benw_cstr(&w, "y");
	ovl_benw_cstr(&w, "q");
	ovl_benw_close(&w);
	if ((len = ovl_benw_end(&w)) < 0)
		return (len);
	tx->used = 1;
	tx->to = *to;
	tx->q = q;
	tx->sent = now;
	tx->search = search;
	tx->gen = search >= 0 ? dht->searches[search].gen : 0;
	dht_send(dht, to, buf, (size_t)len);
	return (0);
}

/* Sends an error answer (BEP 5: 201 generic, 203 protocol, 204 method). */
static void
dht_error(struct ovl_dht *dht, const struct ovl_dht_addr *to,
    const struct ovl_ben *t, int code, const char *msg)
{
	uint8_t buf[256];
	struct ovl_benw w;
	int len;

	ovl_benw_init(&w, buf, sizeof buf);
	ovl_benw_open(&w, 'd');
	ovl_benw_cstr(&w, "e");
	ovl_benw_open(&w, 'l');
	ovl_benw_int(&w, code);
	ovl_benw_cstr(&w, msg);
	ovl_benw_close(&w);
	ovl_benw_cstr(&w, "t");
	ovl_benw_str(&w, t->s, t->len);
	ovl_benw_cstr(&w, "y");
	ovl_benw_cstr(&w, "e");
	ovl_benw_close(&w);
	if ((len = ovl_benw_end(&w)) > 0)
		dht_send(dht, to, buf, (size_t)len);
}

/* Writes the K closest nodes to target as compact node info. */
static void
dht_put_nodes(struct ovl_dht *dht, struct ovl_benw *w, const uint8_t *target,
    uint64_t now)
{
	struct dht_node near[OVL_DHT_K];
	uint8_t buf[OVL_DHT_K * 26];
	size_t n, i;

	n = dht_table_closest(dht, target, near, OVL_DHT_K, now);
	for (i = 0; i < n; i++) {
		memcpy(buf + 26 * i, near[i].id, OVL_DHT_ID_LEN);
		dht_compact(&near[i].addr, buf + 26 * i + OVL_DHT_ID_LEN);
	}
	ovl_benw_cstr(w, "nodes");
	ovl_benw_str(w, buf, 26 * n);
}

/* Answers the query q (ping, find_node, get_peers, announce_peer). */
static int
dht_answer(struct ovl_dht *dht, const struct ovl_dht_addr *from,
    const struct ovl_ben *v, int a, const struct ovl_ben *q,
    const struct ovl_ben *t, uint64_t now)
{
	struct ovl_dht_addr peers[DHT_REPLY_VALUES], pa;
	uint8_t buf[OVL_DHT_PKT_MAX], c[6], tok[DHT_TOKEN_LEN];
	struct ovl_benw w;
	size_t np = 0, i;
	int ih, tg, port, tk, ip, len;

#define QIS(name) (q->len == sizeof(name) - 1 && \
	memcmp(q->s, name, sizeof(name) - 1) == 0)
	ih = ovl_ben_get_type(v, a, "info_hash", OVL_BEN_STR);
	tg = ovl_ben_get_type(v, a, "target", OVL_BEN_STR);
	if (QIS("find_node") && (tg < 0 || v[tg].len != OVL_DHT_ID_LEN))
		goto bad;
	if ((QIS("get_peers") || QIS("announce_peer")) &&
	    (ih < 0 || v[ih].len != OVL_DHT_ID_LEN))
		goto bad;
	if (QIS("announce_peer")) {
		port = ovl_ben_get_type(v, a, "port", OVL_BEN_INT);
		tk = ovl_ben_get_type(v, a, "token", OVL_BEN_STR);
		ip = ovl_ben_get_type(v, a, "implied_port", OVL_BEN_INT);
		if (tk < 0 || !dht_token_ok(dht, from->ip, v[tk].s,
		    v[tk].len)) {
			dht->st.bad_tokens++;
			dht_error(dht, from, t, 203, "bad token");
			return (0);
		}
		pa = *from;
		if (ip < 0 || v[ip].i == 0) {
			if (port < 0 || v[port].i < 1 || v[port].i > 65535)
				goto bad;
			pa.port = (uint16_t)v[port].i;
		}
		dht_store_add(dht, v[ih].s, &pa, now);
	} else if (!QIS("ping") && !QIS("find_node") && !QIS("get_peers")) {
		dht_error(dht, from, t, 204, "Method Unknown");
		return (0);
	}
	ovl_benw_init(&w, buf, sizeof buf);
	ovl_benw_open(&w, 'd');
	ovl_benw_cstr(&w, "ip");
	dht_compact(from, c);
	ovl_benw_str(&w, c, 6);
	ovl_benw_cstr(&w, "r");
	ovl_benw_open(&w, 'd');
	ovl_benw_cstr(&w, "id");
	ovl_benw_str(&w, dht->id, OVL_DHT_ID_LEN);
	if (QIS("find_node"))
		dht_put_nodes(dht, &w, v[tg].s, now);
	if (QIS("get_peers")) {
		dht_put_nodes(dht, &w, v[ih].s, now);
		dht_token(dht, 0, from->ip, tok);
		ovl_benw_cstr(&w, "token");
		ovl_benw_str(&w, tok, sizeof tok);
		np = dht_store_get(dht, v[ih].s, peers, DHT_REPLY_VALUES);
		if (np > 0) {
			ovl_benw_cstr(&w, "values");
			ovl_benw_open(&w, 'l');
			for (i = 0; i < np; i++) {
				dht_compact(&peers[i], c);
				ovl_benw_str(&w, c, 6);
			}
			ovl_benw_close(&w);
		}
	}
	ovl_benw_close(&w);
	ovl_benw_cstr(&w, "t");
	ovl_benw_str(&w, t->s, t->len);
	ovl_benw_cstr(&w, "y");
	ovl_benw_cstr(&w, "r");
	ovl_benw_close(&w);
	if ((len = ovl_benw_end(&w)) > 0)
		dht_send(dht, from, buf, (size_t)len);
	return (0);
bad:
	dht_error(dht, from, t, 203, "Protocol Error");
	return (0);
#undef QIS
}

/* Handles a query: rate limit, routing table, answer. */
static int
dht_on_query(struct ovl_dht *dht, const struct ovl_dht_addr *from,
    const struct ovl_ben *v, int t, uint64_t now)
{
	int q, a, id, ro;

	if (t < 0 || v[t].len > 32)
		return (-EBADMSG);
	if (!dht_rate_take(dht, from->ip, now)) {
		dht->st.limited++;
		return (-EAGAIN);
	}
	q = ovl_ben_get_type(v, 0, "q", OVL_BEN_STR);
	a = ovl_ben_get_type(v, 0, "a", OVL_BEN_DICT);
	id = ovl_ben_get_type(v, a, "id", OVL_BEN_STR);
	if (q < 0 || id < 0 || v[id].len != OVL_DHT_ID_LEN) {
		dht_error(dht, from, &v[t], 203, "Protocol Error");
		return (0);
	}
	ro = ovl_ben_get_type(v, 0, "ro", OVL_BEN_INT);
	if (ro < 0 || v[ro].i != 1)
		dht_table_seen(dht, v[id].s, from, 0, now);
	return (dht_answer(dht, from, v, a, &v[q], &v[t], now));
}

/* Handles an answer or an error to one of our queries. */
static int
dht_on_reply(struct ovl_dht *dht, const struct ovl_dht_addr *from,
    const struct ovl_ben *v, int t, int is_error, uint64_t now)
{
	struct dht_tx tx;
	size_t slot;
	int r, id, ip;

	if (v[t].len != DHT_TID_LEN)
		return (-EBADMSG);
	slot = (size_t)v[t].s[0] << 8 | v[t].s[1];
	if (slot >= DHT_TX_MAX || !dht->tx[slot].used ||
	    memcmp(dht->tx[slot].tid, v[t].s, DHT_TID_LEN) != 0 ||
	    memcmp(&dht->tx[slot].to, from, sizeof *from) != 0)
		return (-EBADMSG);
	tx = dht->tx[slot];
	dht->tx[slot].used = 0;
	r = ovl_ben_get_type(v, 0, "r", OVL_BEN_DICT);
	id = ovl_ben_get_type(v, r, "id", OVL_BEN_STR);
	if (is_error || id < 0 || v[id].len != OVL_DHT_ID_LEN ||
	    memcmp(v[id].s, dht->id, OVL_DHT_ID_LEN) == 0) {
		if (tx.search >= 0)
			dht_search_failed(dht, &tx, now);
		else
			dht_table_failed(dht, from);
		return (is_error ? 0 : -EBADMSG);
	}
	ip = ovl_ben_get_type(v, 0, "ip", OVL_BEN_STR);
	if (ip >= 0)
		dht_vote(dht, from, v[ip].s, v[ip].len);
	dht_table_seen(dht, v[id].s, from, 1, now);
	if (tx.search >= 0)
		dht_search_reply(dht, &tx, v[id].s, v, r, now);
	return (0);
}

/* Handles one datagram. */
int
ovl_dht_input(struct ovl_dht *dht, const struct ovl_dht_addr *from,
    const uint8_t *buf, size_t len, uint64_t now_ms)
{
	struct ovl_ben v[DHT_VALUES_MAX];
	int n, t, y, rc = -EBADMSG;

	dht->st.in++;
	dht->st.bytes_in += len;
	if (len == 0 || len > OVL_DHT_PKT_MAX || buf[0] != 'd' ||
	    dht_martian(from))
		goto drop;
	if ((n = ovl_ben_decode(buf, len, v, DHT_VALUES_MAX)) <= 0)
		goto drop;
	t = ovl_ben_get_type(v, 0, "t", OVL_BEN_STR);
	y = ovl_ben_get_type(v, 0, "y", OVL_BEN_STR);
	if (t < 0 || y < 0 || v[y].len != 1)
		goto drop;
	switch (v[y].s[0]) {
	case 'q':
		rc = dht_on_query(dht, from, v, t, now_ms);
		break;
	case 'r':
	case 'e':
		rc = dht_on_reply(dht, from, v, t, v[y].s[0] == 'e', now_ms);
		break;
	}
	if (rc == 0)
		return (0);
drop:
	dht->st.dropped++;
	return (rc);
}

/* Takes the oldest queued datagram. */
size_t
ovl_dht_pop(struct ovl_dht *dht, struct ovl_dht_addr *to, uint8_t *buf,
    size_t cap)
{
	struct dht_out *o = dht->outq;
	size_t len;

	if (o == NULL || cap < o->len)
		return (0);
	dht->outq = o->next;
	if (dht->outq == NULL)
		dht->outq_tail = &dht->outq;
	dht->noutq--;
	*to = o->to;
	memcpy(buf, o->buf, o->len);
	len = o->len;
	free(o);
	return (len);
}

/* Makes a node. */
struct ovl_dht *
ovl_dht_new(const struct ovl_dht_cfg *cfg, uint64_t now_ms)
{
	struct ovl_dht *dht;

	if (sodium_init() < 0 || (dht = calloc(1, sizeof *dht)) == NULL) {
		errno = ENOMEM;
		return (NULL);
	}
	dht->outq_tail = &dht->outq;
	randombytes_buf(dht->id, OVL_DHT_ID_LEN);
	randombytes_buf(dht->secret, sizeof dht->secret);
	randombytes_buf(dht->rate_key, sizeof dht->rate_key);
	dht->rotated = now_ms;
	dht->read_only = cfg->read_only;
	dht->enforce_bep42 = cfg->enforce_bep42;
	dht->reply_rate = cfg->reply_rate != 0 ? cfg->reply_rate : 8;
	dht->reply_total = cfg->reply_total != 0 ? cfg->reply_total : 400;
	if (cfg->saved != NULL &&
	    dht_restore(dht, cfg->saved, cfg->savedlen) != 0) {
		free(dht);
		errno = EINVAL;
		return (NULL);
	}
	if (cfg->id != NULL) {
		memcpy(dht->id, cfg->id, OVL_DHT_ID_LEN);
		dht_table_rebucket(dht);
	}
	dht->nbootstrap = cfg->nbootstrap < 8 ? cfg->nbootstrap : 8;
	if (dht->nbootstrap > 0)
		memcpy(dht->bootstrap, cfg->bootstrap,
		    dht->nbootstrap * sizeof dht->bootstrap[0]);
	dht->bootstrapped = now_ms;
	(void)dht_search_start(dht, DHT_Q_FIND_NODE, dht->id, 0, 0, NULL,
	    NULL, now_ms);
	return (dht);
}

/* Frees a node. */
void
ovl_dht_free(struct ovl_dht *dht)
{
	struct dht_out *o;
	size_t i;

	if (dht == NULL)
		return;
	while ((o = dht->outq) != NULL) {
		dht->outq = o->next;
		free(o);
	}
	for (i = 0; i < dht->nstore; i++)
		free(dht->store[i]);
	free(dht->store);
	sodium_memzero(dht->secret, sizeof dht->secret);
	free(dht);
}

/* Runs timers. */
unsigned
ovl_dht_periodic(struct ovl_dht *dht, uint64_t now_ms)
{
	uint64_t next = now_ms + 1000;
	struct dht_tx tx;
	size_t i;

	if (now_ms - dht->rotated >= OVL_DHT_TOKEN_MS) {
		memcpy(dht->secret[1], dht->secret[0], sizeof dht->secret[0]);
		randombytes_buf(dht->secret[0], sizeof dht->secret[0]);
		dht->rotated = now_ms;
	}
	for (i = 0; i < DHT_TX_MAX; i++) {
		if (!dht->tx[i].used)
			continue;
		if (now_ms - dht->tx[i].sent >= DHT_TX_MS) {
			tx = dht->tx[i];
			dht->tx[i].used = 0;
			if (tx.search >= 0)
				dht_search_failed(dht, &tx, now_ms);
			else
				dht_table_failed(dht, &tx.to);
		}
	}
	for (i = 0; i < DHT_TX_MAX; i++)
		if (dht->tx[i].used && dht->tx[i].sent + DHT_TX_MS < next)
			next = dht->tx[i].sent + DHT_TX_MS;
	dht_store_expire(dht, now_ms);
	dht_search_periodic(dht, now_ms);
	return (next > now_ms ? (unsigned)(next - now_ms) : 1);
}

/* Leaves or enters read-only mode. */
void
ovl_dht_set_reachable(struct ovl_dht *dht, int reachable)
{
	dht->read_only = !reachable;
}

/* Copies the id. */
void
ovl_dht_id(const struct ovl_dht *dht, uint8_t id[static OVL_DHT_ID_LEN])
{
	memcpy(id, dht->id, OVL_DHT_ID_LEN);
}

/* Fills counters. */
void
ovl_dht_stats(const struct ovl_dht *dht, struct ovl_dht_stats *st)
{
	size_t b, i;

	*st = dht->st;
	st->nodes = st->good = st->peers = 0;
	for (b = 0; b < DHT_BUCKETS; b++)
		for (i = 0; i < OVL_DHT_K; i++)
			if (dht->buckets[b].nodes[i].used) {
				st->nodes++;
				st->good += dht->buckets[b].nodes[i].fails <
				    DHT_FAILS_BAD &&
				    dht->buckets[b].nodes[i].replied != 0;
			}
	st->hashes = dht->nstore;
	for (i = 0; i < dht->nstore; i++)
		st->peers += dht->store[i]->n;
}
