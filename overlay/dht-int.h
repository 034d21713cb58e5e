/*
 * The DHT node's private parts, shared by dht.c (messages), dht-table.c
 * (routing table, BEP 42, tokens, limits, store) and dht-search.c
 * (transactions and lookups).
 */
#ifndef PIER_DHT_INT_H
#define PIER_DHT_INT_H

#include "overlay.h"

#define DHT_BUCKETS		160	/* by common prefix length */
#define DHT_TX_MAX		256	/* queries in flight */
#define DHT_TX_MS		2000	/* a query's answer is late */
#define DHT_TID_LEN		4
#define DHT_OUTQ_MAX		512	/* queued datagrams */
#define DHT_VALUES_MAX		256	/* decoded values of a message */
#define DHT_ALPHA		3	/* queries in flight per lookup */
#define DHT_SEARCH_NODES	(2 * OVL_DHT_K)
#define DHT_SEARCH_MS		(60 * 1000)	/* a lookup gives up */
#define DHT_FAILS_BAD		2	/* unanswered queries: bad */
#define DHT_VOTES		8	/* `ip` votes remembered */
#define DHT_VOTES_AGREE		3
#define DHT_RATE_SLOTS		256
#define DHT_REPLY_VALUES	32	/* peers in one get_peers answer */
#define DHT_TOKEN_LEN		8

enum dht_q {
	DHT_Q_PING = 1,
	DHT_Q_FIND_NODE,
	DHT_Q_GET_PEERS,
	DHT_Q_ANNOUNCE,
};

struct dht_node {
	uint8_t			id[OVL_DHT_ID_LEN];
	struct ovl_dht_addr	addr;
	uint64_t		replied;	/* last answer to us; 0 never */
	uint64_t		queried;	/* last query from us */
	uint64_t		heard;		/* last message from it */
	unsigned		fails;
	int			used;
};

struct dht_bucket {
	struct dht_node		nodes[OVL_DHT_K];
	uint64_t		changed;	/* added, answered, refreshed */
};

struct dht_tx {
	uint8_t			tid[DHT_TID_LEN];
	struct ovl_dht_addr	to;
	enum dht_q		q;
	uint64_t		sent;
	int			search;		/* index, or -1 */
	unsigned		gen;		/* the search's */
	int			used;
};

struct dht_cand {
	uint8_t			id[OVL_DHT_ID_LEN];
	struct ovl_dht_addr	addr;
	uint8_t			token[32];
	size_t			tokenlen;
	int			state;		/* DHT_CAND_* */
};
#define DHT_CAND_NEW		0
#define DHT_CAND_SENT		1
#define DHT_CAND_REPLIED	2
#define DHT_CAND_FAILED		3

struct dht_search {
	int			used;
	unsigned		gen;		/* bumped as it ends */
	enum dht_q		q;		/* FIND_NODE or GET_PEERS */
	uint8_t			target[OVL_DHT_ID_LEN];
	int			announce;
	uint16_t		port;
	ovl_dht_peers_cb	*cb;
	void			*arg;
	uint64_t		started;
	struct dht_cand		cand[DHT_SEARCH_NODES];
	size_t			ncand;
};

struct dht_out {
	struct dht_out		*next;
	struct ovl_dht_addr	to;
	size_t			len;
	uint8_t			buf[];
};

struct dht_peer {
	struct ovl_dht_addr	addr;
	uint64_t		seen;
};

struct dht_stored {
	uint8_t			ih[OVL_DHT_ID_LEN];
	size_t			n;
	struct dht_peer		peers[OVL_DHT_STORE_PEERS];
};

struct dht_rate {
	uint64_t		at;
	unsigned		tokens;
};

struct dht_vote {
	struct ovl_dht_addr	voter;
	struct ovl_dht_addr	seen;
};

struct ovl_dht {
	uint8_t			id[OVL_DHT_ID_LEN];
	int			read_only;
	int			enforce_bep42;
	unsigned		reply_rate, reply_total;
	struct dht_bucket	buckets[DHT_BUCKETS];
	struct dht_tx		tx[DHT_TX_MAX];
	struct dht_search	searches[OVL_DHT_SEARCHES];
	struct dht_out		*outq, **outq_tail;
	size_t			noutq;
	uint8_t			secret[2][32];	/* current, previous */
	uint64_t		rotated;
	struct dht_stored	**store;
	size_t			nstore;
	struct dht_rate		rate[DHT_RATE_SLOTS];
	struct dht_rate		rate_all;
	uint8_t			rate_key[16];
	struct dht_vote		votes[DHT_VOTES];
	size_t			nvotes, vote_at;
	struct ovl_dht_addr	bootstrap[8];
	size_t			nbootstrap;
	uint64_t		bootstrapped;	/* last bootstrap round */
	uint64_t		refreshed;
	uint64_t		pinged;
	struct ovl_dht_stats	st;
};

/* dht.c */
void dht_send(struct ovl_dht *dht, const struct ovl_dht_addr *to,
    const uint8_t *buf, size_t len);
int dht_query(struct ovl_dht *dht, const struct ovl_dht_addr *to,
    enum dht_q q, const uint8_t *target, const uint8_t *token,
    size_t tokenlen, uint16_t port, int search, uint64_t now);
void dht_compact(const struct ovl_dht_addr *a, uint8_t out[6]);
void dht_uncompact(const uint8_t in[6], struct ovl_dht_addr *a);

/* dht-table.c */
int dht_bucket_of(const struct ovl_dht *dht, const uint8_t *id);
int dht_xor_cmp(const uint8_t *target, const uint8_t *a, const uint8_t *b);
void dht_table_seen(struct ovl_dht *dht, const uint8_t *id,
    const struct ovl_dht_addr *a, int replied, uint64_t now);
void dht_table_failed(struct ovl_dht *dht, const struct ovl_dht_addr *a);
size_t dht_table_closest(const struct ovl_dht *dht, const uint8_t *target,
    struct dht_node *out, size_t max, uint64_t now);
void dht_table_rebucket(struct ovl_dht *dht);
void dht_token(const struct ovl_dht *dht, int which, const uint8_t ip[4],
    uint8_t out[DHT_TOKEN_LEN]);
int dht_token_ok(const struct ovl_dht *dht, const uint8_t ip[4],
    const uint8_t *tok, size_t len);
int dht_rate_take(struct ovl_dht *dht, const uint8_t ip[4], uint64_t now);
void dht_store_add(struct ovl_dht *dht, const uint8_t *ih,
    const struct ovl_dht_addr *a, uint64_t now);
size_t dht_store_get(const struct ovl_dht *dht, const uint8_t *ih,
    struct ovl_dht_addr *out, size_t max);
void dht_store_expire(struct ovl_dht *dht, uint64_t now);
void dht_vote(struct ovl_dht *dht, const struct ovl_dht_addr *voter,
    const uint8_t *ip, size_t len);
int dht_martian(const struct ovl_dht_addr *a);
int dht_restore(struct ovl_dht *dht, const uint8_t *buf, size_t len);

/* dht-search.c */
void dht_search_reply(struct ovl_dht *dht, struct dht_tx *tx,
    const uint8_t *id, const struct ovl_ben *v, int r, uint64_t now);
void dht_search_failed(struct ovl_dht *dht, struct dht_tx *tx,
    uint64_t now);
void dht_search_step(struct ovl_dht *dht, int s, uint64_t now);
int dht_search_start(struct ovl_dht *dht, enum dht_q q, const uint8_t *target,
    int announce, uint16_t port, ovl_dht_peers_cb *cb, void *arg,
    uint64_t now);
void dht_search_periodic(struct ovl_dht *dht, uint64_t now);

#endif
