/*
 * The DHT node's state: the routing table, BEP 42 ids and the `ip`
 * votes, tokens, reply rate limits, the store of announced peers, and
 * saving and restoring the table.
 *
 * The table has one bucket of OVL_DHT_K nodes per length of the prefix
 * a node's id shares with ours (160 buckets), which is the BEP 5 table
 * with every split already made. A node is good while it answered us
 * within OVL_DHT_GOOD_MS, questionable after, bad after DHT_FAILS_BAD
 * unanswered queries. A new node takes a free slot or a bad node's; when
 * the bucket is full of good and questionable nodes, the new one is
 * dropped and a questionable one pinged, so it becomes bad (and
 * replaceable) if it is gone.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "dht-int.h"

/* The bucket of id: the length of the prefix it shares with ours. */
int
dht_bucket_of(const struct ovl_dht *dht, const uint8_t *id)
{
	int i, b;
	uint8_t x;

	for (i = 0; i < OVL_DHT_ID_LEN; i++) {
		x = id[i] ^ dht->id[i];
		if (x == 0)
			continue;
		for (b = 0; (x & 0x80) == 0; b++)
			x = (uint8_t)(x << 1);
		return (i * 8 + b);
	}
	return (-1);
}

/* Orders a and b by XOR distance to target (-1 when a is closer). */
int
dht_xor_cmp(const uint8_t *target, const uint8_t *a, const uint8_t *b)
{
	int i;
	uint8_t da, db;

	for (i = 0; i < OVL_DHT_ID_LEN; i++) {
		da = a[i] ^ target[i];
		db = b[i] ^ target[i];
		if (da != db)
			return (da < db ? -1 : 1);
	}
	return (0);
}

/* Puts a node in its bucket, or pings a questionable one if full. */
static void
dht_table_put(struct ovl_dht *dht, const struct dht_node *n, int may_ping,
    uint64_t now)
{
	struct dht_bucket *bk;
	struct dht_node *slot = NULL, *q = NULL;
	int b;
	size_t i;

	if ((b = dht_bucket_of(dht, n->id)) < 0)
		return;
	bk = &dht->buckets[b];
	for (i = 0; i < OVL_DHT_K; i++) {
		if (!bk->nodes[i].used) {
			if (slot == NULL)
				slot = &bk->nodes[i];
		} else if (bk->nodes[i].fails >= DHT_FAILS_BAD)
			slot = &bk->nodes[i];
		else if ((bk->nodes[i].replied == 0 ||
		    now - bk->nodes[i].replied >= OVL_DHT_GOOD_MS) &&
		    now - bk->nodes[i].queried >= DHT_TX_MS * 5)
			q = &bk->nodes[i];
	}
	if (slot != NULL) {
		*slot = *n;
		slot->used = 1;
		bk->changed = now;
		return;
	}
	if (q != NULL && may_ping && n->replied != 0) {
		q->queried = now;
		(void)dht_query(dht, &q->addr, DHT_Q_PING, NULL, NULL, 0, 0,
		    -1, now);
	}
}

/* Notes a message from id at a (an answer when replied). */
void
dht_table_seen(struct ovl_dht *dht, const uint8_t *id,
    const struct ovl_dht_addr *a, int replied, uint64_t now)
{
	struct dht_node n, *x;
	int b;
	size_t i;

	if ((b = dht_bucket_of(dht, id)) < 0)
		return;
	for (i = 0; i < OVL_DHT_K; i++) {
		x = &dht->buckets[b].nodes[i];
		if (!x->used || memcmp(x->id, id, OVL_DHT_ID_LEN) != 0)
			continue;
		if (memcmp(&x->addr, a, sizeof *a) != 0)
			return;
		x->heard = now;
		if (replied) {
			x->replied = now;
			x->fails = 0;
			dht->buckets[b].changed = now;
		}
		return;
	}
	memset(&n, 0, sizeof n);
	memcpy(n.id, id, OVL_DHT_ID_LEN);
	n.addr = *a;
	n.heard = now;
	n.replied = replied ? now : 0;
	dht_table_put(dht, &n, 1, now);
}

/* Counts an unanswered query against the node at a. */
void
dht_table_failed(struct ovl_dht *dht, const struct ovl_dht_addr *a)
{
	struct dht_node *x;
	size_t b, i;

	for (b = 0; b < DHT_BUCKETS; b++)
		for (i = 0; i < OVL_DHT_K; i++) {
			x = &dht->buckets[b].nodes[i];
			if (x->used && memcmp(&x->addr, a, sizeof *a) == 0)
				x->fails++;
		}
}

/* Copies the max nodes closest to target that are not bad. */
size_t
dht_table_closest(const struct ovl_dht *dht, const uint8_t *target,
    struct dht_node *out, size_t max, uint64_t now)
{
	const struct dht_node *x;
	size_t b, i, n = 0, j;

	(void)now;
	for (b = 0; b < DHT_BUCKETS; b++)
		for (i = 0; i < OVL_DHT_K; i++) {
			x = &dht->buckets[b].nodes[i];
			if (!x->used || x->fails >= DHT_FAILS_BAD)
				continue;
			for (j = n; j > 0 &&
			    dht_xor_cmp(target, x->id, out[j - 1].id) < 0; j--)
				if (j < max)
					out[j] = out[j - 1];
			if (j < max) {
				out[j] = *x;
				if (n < max)
					n++;
			}
		}
	return (n);
}

/* Puts every node back in its bucket after the id changed. */
void
dht_table_rebucket(struct ovl_dht *dht)
{
	struct dht_node *all;
	size_t b, i, n = 0;

	all = malloc(sizeof *all * DHT_BUCKETS * OVL_DHT_K);
	if (all == NULL)
		return;
	for (b = 0; b < DHT_BUCKETS; b++)
		for (i = 0; i < OVL_DHT_K; i++)
			if (dht->buckets[b].nodes[i].used)
				all[n++] = dht->buckets[b].nodes[i];
	memset(dht->buckets, 0, sizeof dht->buckets);
	for (i = 0; i < n; i++)
		dht_table_put(dht, &all[i], 0, 0);
	free(all);
}

/* The token for ip under the current (0) or previous (1) secret. */
void
dht_token(const struct ovl_dht *dht, int which, const uint8_t ip[4],
    uint8_t out[DHT_TOKEN_LEN])
{
	crypto_generichash(out, DHT_TOKEN_LEN, ip, 4, dht->secret[which],
	    sizeof dht->secret[which]);
}

/* 1 when tok is the token of ip under either secret. */
int
dht_token_ok(const struct ovl_dht *dht, const uint8_t ip[4],
    const uint8_t *tok, size_t len)
{
	uint8_t want[DHT_TOKEN_LEN];
	int which, ok = 0;

	if (len != DHT_TOKEN_LEN)
		return (0);
	for (which = 0; which < 2; which++) {
		dht_token(dht, which, ip, want);
		ok |= sodium_memcmp(want, tok, DHT_TOKEN_LEN) == 0;
	}
	return (ok);
}

/* Refills bucket r (rate per second, at most twice that). */
static void
dht_bucket_fill(struct dht_rate *r, unsigned rate, uint64_t now)
{
	uint64_t add;

	add = (now - r->at) * rate / 1000;
	if (add == 0)
		return;
	if (add >= 2 * rate || r->tokens + add >= 2 * rate) {
		r->tokens = 2 * rate;
		r->at = now;
	} else {
		r->tokens += (unsigned)add;
		r->at += add * 1000 / rate;
	}
}

/*
 * 1 when a reply to ip is within the rate limits (and takes it). The
 * bucket is chosen by a keyed hash of the IP; sources that share one
 * share its rate, so taking turns with another source never refills it.
 */
int
dht_rate_take(struct ovl_dht *dht, const uint8_t ip[4], uint64_t now)
{
	uint8_t h[crypto_shorthash_BYTES];
	struct dht_rate *r, *all = &dht->rate_all;

	crypto_shorthash(h, ip, 4, dht->rate_key);
	r = &dht->rate[h[0] % DHT_RATE_SLOTS];
	if (r->at == 0) {
		r->at = now;
		r->tokens = 2 * dht->reply_rate;
	}
	if (all->at == 0) {
		all->at = now;
		all->tokens = 2 * dht->reply_total;
	}
	dht_bucket_fill(r, dht->reply_rate, now);
	dht_bucket_fill(all, dht->reply_total, now);
	if (r->tokens == 0 || all->tokens == 0)
		return (0);
	r->tokens--;
	all->tokens--;
	return (1);
}

/* Stores a peer announced for ih (refreshes it when known). */
void
dht_store_add(struct ovl_dht *dht, const uint8_t *ih,
    const struct ovl_dht_addr *a, uint64_t now)
{
	struct dht_stored *s = NULL, **grown;
	size_t i, old = 0;

	for (i = 0; i < dht->nstore && s == NULL; i++)
		if (memcmp(dht->store[i]->ih, ih, OVL_DHT_ID_LEN) == 0)
			s = dht->store[i];
	if (s == NULL) {
		if (dht->nstore >= OVL_DHT_STORE_HASHES ||
		    (s = calloc(1, sizeof *s)) == NULL)
			return;
		grown = realloc(dht->store, (dht->nstore + 1) * sizeof *grown);
		if (grown == NULL) {
			free(s);
			return;
		}
		dht->store = grown;
		memcpy(s->ih, ih, OVL_DHT_ID_LEN);
		dht->store[dht->nstore++] = s;
	}
	for (i = 0; i < s->n; i++) {
		if (memcmp(&s->peers[i].addr, a, sizeof *a) == 0) {
			s->peers[i].seen = now;
			return;
		}
		if (s->peers[i].seen < s->peers[old].seen)
			old = i;
	}
	if (s->n < OVL_DHT_STORE_PEERS)
		old = s->n++;
	s->peers[old].addr = *a;
	s->peers[old].seen = now;
}

/* Copies up to max peers stored for ih, the newest first. */
size_t
dht_store_get(const struct ovl_dht *dht, const uint8_t *ih,
    struct ovl_dht_addr *out, size_t max)
{
	const struct dht_stored *s = NULL;
	uint64_t seen[OVL_DHT_STORE_PEERS];
	size_t i, j, n = 0;

	for (i = 0; i < dht->nstore && s == NULL; i++)
		if (memcmp(dht->store[i]->ih, ih, OVL_DHT_ID_LEN) == 0)
			s = dht->store[i];
	if (s == NULL || max == 0)
		return (0);
	for (i = 0; i < s->n; i++) {
		for (j = n; j > 0 && seen[j - 1] < s->peers[i].seen; j--) {
			if (j < max) {
				out[j] = out[j - 1];
				seen[j] = seen[j - 1];
			}
		}
		if (j < max) {
			out[j] = s->peers[i].addr;
			seen[j] = s->peers[i].seen;
			if (n < max)
				n++;
		}
	}
	return (n);
}

/* Drops peers older than OVL_DHT_PEER_TTL_MS and empty hashes. */
void
dht_store_expire(struct ovl_dht *dht, uint64_t now)
{
	struct dht_stored *s;
	size_t i, j, k;

	for (i = 0; i < dht->nstore;) {
		s = dht->store[i];
		for (j = k = 0; j < s->n; j++)
			if (now - s->peers[j].seen < OVL_DHT_PEER_TTL_MS)
				s->peers[k++] = s->peers[j];
		s->n = k;
		if (k == 0) {
			free(s);
			dht->store[i] = dht->store[--dht->nstore];
		} else
			i++;
	}
}

/* 1 for addresses no node is at (unspecified, multicast, port 0). */
int
dht_martian(const struct ovl_dht_addr *a)
{
	return (a->port == 0 || a->ip[0] == 0 || a->ip[0] >= 224);
}

/* 1 for the addresses BEP 42 exempts (private, link-local, loopback). */
static int
dht_bep42_exempt(const uint8_t ip[4])
{
	return (ip[0] == 10 || ip[0] == 127 ||
	    (ip[0] == 172 && (ip[1] & 0xf0) == 16) ||
	    (ip[0] == 192 && ip[1] == 168) ||
	    (ip[0] == 169 && ip[1] == 254));
}

/* CRC-32C (Castagnoli), bit by bit: four bytes per id. */
static uint32_t
dht_crc32c(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffff;
	int k;

	while (n-- > 0) {
		c ^= *p++;
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82f63b78 & (0 - (c & 1)));
	}
	return (~c);
}

/* The CRC BEP 42 puts in the id's first 21 bits for ip and r. */
static uint32_t
dht_bep42_crc(const uint8_t ip[4], unsigned r)
{
	static const uint8_t mask[4] = { 0x03, 0x0f, 0x3f, 0xff };
	uint8_t m[4];
	int i;

	for (i = 0; i < 4; i++)
		m[i] = ip[i] & mask[i];
	m[0] |= (uint8_t)(r << 5);
	return (dht_crc32c(m, 4));
}

/* Writes a BEP 42 id for ip. */
void
ovl_dht_id_derive(const uint8_t ip[static 4], const uint8_t *rnd,
    uint8_t id[static OVL_DHT_ID_LEN])
{
	uint32_t crc;

	crc = dht_bep42_crc(ip, rnd[0] & 7);
	memcpy(id, rnd, OVL_DHT_ID_LEN);
	id[0] = (uint8_t)(crc >> 24);
	id[1] = (uint8_t)(crc >> 16);
	id[2] = (uint8_t)(((crc >> 8) & 0xf8) | (rnd[2] & 7));
	id[19] = rnd[0];
}

/* 1 when id fits ip as BEP 42 requires, or ip is exempt. */
int
ovl_dht_id_ok(const uint8_t id[static OVL_DHT_ID_LEN],
    const uint8_t ip[static 4])
{
	uint32_t crc;

	if (dht_bep42_exempt(ip))
		return (1);
	crc = dht_bep42_crc(ip, id[19] & 7);
	return (id[0] == (uint8_t)(crc >> 24) &&
	    id[1] == (uint8_t)(crc >> 16) &&
	    (id[2] & 0xf8) == ((crc >> 8) & 0xf8));
}

/* The external address the votes agree on. */
int
ovl_dht_external(const struct ovl_dht *dht, struct ovl_dht_addr *out,
    int *symmetric)
{
	size_t i, j, best = 0, cnt, pcnt, bestp;
	const struct ovl_dht_addr *bi = NULL;

	for (i = 0; i < dht->nvotes; i++) {
		for (j = cnt = 0; j < dht->nvotes; j++)
			cnt += memcmp(dht->votes[i].seen.ip,
			    dht->votes[j].seen.ip, 4) == 0;
		if (cnt > best) {
			best = cnt;
			bi = &dht->votes[i].seen;
		}
	}
	if (bi == NULL || best < DHT_VOTES_AGREE || 2 * best <= dht->nvotes)
		return (-ENOENT);
	*out = *bi;
	*symmetric = 0;
	for (i = 0, bestp = 0; i < dht->nvotes; i++) {
		if (memcmp(dht->votes[i].seen.ip, bi->ip, 4) != 0)
			continue;
		if (dht->votes[i].seen.port != bi->port)
			*symmetric = 1;
		for (j = pcnt = 0; j < dht->nvotes; j++)
			pcnt += memcmp(&dht->votes[j].seen,
			    &dht->votes[i].seen, sizeof *bi) == 0;
		if (pcnt > bestp) {
			bestp = pcnt;
			out->port = dht->votes[i].seen.port;
		}
	}
	return (0);
}

/* Counts an `ip` vote; a new agreed public IP re-derives our id. */
void
dht_vote(struct ovl_dht *dht, const struct ovl_dht_addr *voter,
    const uint8_t *ip, size_t len)
{
	struct ovl_dht_addr ext;
	struct dht_vote *slot = NULL;
	uint8_t rnd[OVL_DHT_ID_LEN];
	size_t i;
	int sym;

	if (len != 6)
		return;
	for (i = 0; i < dht->nvotes; i++)
		if (memcmp(dht->votes[i].voter.ip, voter->ip, 4) == 0)
			slot = &dht->votes[i];
	if (slot == NULL) {
		if (dht->nvotes < DHT_VOTES)
			slot = &dht->votes[dht->nvotes++];
		else {
			slot = &dht->votes[dht->vote_at];
			dht->vote_at = (dht->vote_at + 1) % DHT_VOTES;
		}
	}
	slot->voter = *voter;
	dht_uncompact(ip, &slot->seen);
	if (ovl_dht_external(dht, &ext, &sym) != 0 || dht_martian(&ext) ||
	    ovl_dht_id_ok(dht->id, ext.ip))
		return;
	randombytes_buf(rnd, sizeof rnd);
	ovl_dht_id_derive(ext.ip, rnd, dht->id);
	dht->st.id_changes++;
	dht_table_rebucket(dht);
}

/* Writes the id and the table's nodes. */
int
ovl_dht_save(const struct ovl_dht *dht, uint8_t *buf, size_t cap)
{
	uint8_t *nodes;
	const struct dht_node *x;
	struct ovl_benw w;
	size_t b, i, n = 0;

	if ((nodes = malloc(DHT_BUCKETS * OVL_DHT_K * 26)) == NULL)
		return (-ENOMEM);
	for (b = 0; b < DHT_BUCKETS; b++)
		for (i = 0; i < OVL_DHT_K; i++) {
			x = &dht->buckets[b].nodes[i];
			if (!x->used || x->fails >= DHT_FAILS_BAD)
				continue;
			memcpy(nodes + 26 * n, x->id, OVL_DHT_ID_LEN);
			dht_compact(&x->addr, nodes + 26 * n + OVL_DHT_ID_LEN);
			n++;
		}
	ovl_benw_init(&w, buf, cap);
	ovl_benw_open(&w, 'd');
	ovl_benw_cstr(&w, "id");
	ovl_benw_str(&w, dht->id, OVL_DHT_ID_LEN);
	ovl_benw_cstr(&w, "nodes");
	ovl_benw_str(&w, nodes, 26 * n);
	ovl_benw_close(&w);
	free(nodes);
	return (ovl_benw_end(&w));
}

/* Reads what ovl_dht_save wrote: the id, then nodes as questionable. */
int
dht_restore(struct ovl_dht *dht, const uint8_t *buf, size_t len)
{
	struct ovl_ben v[8];
	struct dht_node n;
	size_t i;
	int id, nodes;

	if (ovl_ben_decode(buf, len, v, 8) < 0)
		return (-EINVAL);
	id = ovl_ben_get_type(v, 0, "id", OVL_BEN_STR);
	nodes = ovl_ben_get_type(v, 0, "nodes", OVL_BEN_STR);
	if (id < 0 || v[id].len != OVL_DHT_ID_LEN || nodes < 0 ||
	    v[nodes].len % 26 != 0)
		return (-EINVAL);
	memcpy(dht->id, v[id].s, OVL_DHT_ID_LEN);
	for (i = 0; i < v[nodes].len / 26; i++) {
		memset(&n, 0, sizeof n);
		memcpy(n.id, v[nodes].s + 26 * i, OVL_DHT_ID_LEN);
		dht_uncompact(v[nodes].s + 26 * i + OVL_DHT_ID_LEN, &n.addr);
		if (!dht_martian(&n.addr))
			dht_table_put(dht, &n, 0, 0);
	}
	return (0);
}
