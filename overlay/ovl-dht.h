/*
 * The mainline DHT (BEP 5) node as a library that does no I/O, and the
 * bencode codec it speaks (bencode.c, dht*.c). Included through
 * overlay.h.
 *
 * The caller owns the UDP socket and the clock: it hands each datagram
 * to ovl_dht_input, calls ovl_dht_periodic when the returned wake-up
 * comes, and after either drains the out-queue with ovl_dht_pop, sending
 * each datagram to its address. Nothing here reads a socket, a clock or
 * a file; randomness comes from libsodium. docs/PROTOCOL.md, "The DHT
 * node", says what the node sends and answers.
 */
#ifndef PIER_OVL_DHT_H
#define PIER_OVL_DHT_H

#include <stddef.h>
#include <stdint.h>

/* bencode.c: a bounded decoder and an encoder (BEP 3) */

#define OVL_BEN_DEPTH_MAX	16	/* nested lists and dicts */

enum ovl_ben_type {
	OVL_BEN_INT = 1,
	OVL_BEN_STR,
	OVL_BEN_LIST,
	OVL_BEN_DICT,
};

/*
 * One decoded value. Values are laid out in document order; a list or
 * dict is followed by its items (a dict's as key, value, key, value ...)
 * and `next` is the index just past its last item, so a caller skips a
 * whole value with i = v[i].next. Strings point into the input.
 */
struct ovl_ben {
	enum ovl_ben_type	 type;
	uint32_t		 n;	/* items of a list; keys + values */
	uint32_t		 next;
	int64_t			 i;	/* OVL_BEN_INT */
	const uint8_t		*s;	/* OVL_BEN_STR */
	size_t			 len;
};

/*
 * Decodes exactly one value spanning all len bytes into at most max
 * values. Strict, as BEP 3 writes it: integers have no leading zeros and
 * no "-0" and fit in 64 bits; string lengths have no leading zeros; dict
 * keys are strings in strictly ascending byte order (so unique); nothing
 * may follow the value. Returns the number of values, -EBADMSG when the
 * input breaks a rule, -E2BIG when it needs more than max values or
 * nests deeper than OVL_BEN_DEPTH_MAX.
 */
int ovl_ben_decode(const uint8_t *buf, size_t len, struct ovl_ben *v,
    size_t max) WARN_UNUSED_RESULT;
/* The index of key's value in dict d, or -1 when absent or d no dict. */
int ovl_ben_get(const struct ovl_ben *v, int d, const char *key);
/* Like ovl_ben_get, but -1 unless the value is of type t. */
int ovl_ben_get_type(const struct ovl_ben *v, int d, const char *key,
    enum ovl_ben_type t);

/*
 * An encoder into a fixed buffer. A write that does not fit sets `err`
 * (-ENOBUFS) and every later write does nothing, so a caller checks once
 * at the end. The caller writes dict keys in ascending order.
 */
struct ovl_benw {
	uint8_t		*p;
	size_t		 cap;
	size_t		 len;
	int		 err;
};

/* Starts writing into cap bytes at p. */
void ovl_benw_init(struct ovl_benw *w, uint8_t *p, size_t cap);
/* Writes an integer. */
void ovl_benw_int(struct ovl_benw *w, int64_t i);
/* Writes a byte string. */
void ovl_benw_str(struct ovl_benw *w, const void *s, size_t len);
/* Writes a NUL-terminated string (a key, mostly). */
void ovl_benw_cstr(struct ovl_benw *w, const char *s);
/* Opens a dict ('d') or a list ('l'). */
void ovl_benw_open(struct ovl_benw *w, char kind);
/* Closes the innermost dict or list. */
void ovl_benw_close(struct ovl_benw *w);
/* Returns the length written, or err when something did not fit. */
int ovl_benw_end(const struct ovl_benw *w) WARN_UNUSED_RESULT;

/* dht.c, dht-table.c, dht-search.c: the node (IPv4) */

#define OVL_DHT_ID_LEN		20
#define OVL_DHT_K		8	/* nodes per bucket */
#define OVL_DHT_PKT_MAX		1400	/* largest datagram in or out */
#define OVL_DHT_SEARCHES	4	/* concurrent lookups */
#define OVL_DHT_TOKEN_MS	(5 * 60 * 1000)	/* secret rotation */
#define OVL_DHT_GOOD_MS		(15 * 60 * 1000) /* BEP 5 "good" */
#define OVL_DHT_PEER_TTL_MS	(30 * 60 * 1000) /* stored announces */
#define OVL_DHT_STORE_HASHES	1024	/* info-hashes stored */
#define OVL_DHT_STORE_PEERS	64	/* peers per info-hash */
#define OVL_DHT_SAVE_MAX	(64 + 160 * OVL_DHT_K * 26)

/* An IPv4 address and port (host order), as compact node info holds. */
struct ovl_dht_addr {
	uint8_t		ip[4];
	uint16_t	port;
};

struct ovl_dht;

struct ovl_dht_cfg {
	const uint8_t	*id;		/* NULL: random, or the saved one */
	const struct ovl_dht_addr *bootstrap;
	size_t		 nbootstrap;
	const uint8_t	*saved;		/* from ovl_dht_save, or NULL */
	size_t		 savedlen;
	int		 read_only;	/* BEP 43 until set_reachable */
	int		 enforce_bep42;	/* announce only to compliant ids */
	unsigned	 reply_rate;	/* replies/s per source; 0: 8 */
	unsigned	 reply_total;	/* replies/s in all; 0: 400 */
};

/*
 * Peers found by a lookup for ih: called with each batch of `values` a
 * node returns (n > 0, done 0), then once with done 1 (n 0) when the
 * lookup ends, after its announces went out. It must not free the node.
 */
typedef void ovl_dht_peers_cb(void *arg, const uint8_t *ih,
    const struct ovl_dht_addr *peers, size_t n, int done);

struct ovl_dht_stats {
	size_t		 nodes;		/* in the routing table */
	size_t		 good;
	size_t		 hashes;	/* info-hashes stored */
	size_t		 peers;		/* peers stored */
	uint64_t	 in, out;	/* datagrams */
	uint64_t	 bytes_in, bytes_out;
	uint64_t	 dropped;	/* malformed, martian, limited */
	uint64_t	 limited;	/* replies refused by the rate limit */
	uint64_t	 bad_tokens;
	uint64_t	 id_changes;	/* BEP 42 re-derivations */
};

/*
 * Makes a node: its id from cfg (or the saved table's, or random), the
 * saved table's nodes as questionable, and find_node queries to the
 * bootstrap addresses queued. NULL with errno set on failure.
 */
struct ovl_dht *ovl_dht_new(const struct ovl_dht_cfg *cfg, uint64_t now_ms);
/* Frees a node; its lookups end without a callback. */
void ovl_dht_free(struct ovl_dht *dht);
/*
 * Handles one datagram from `from`. Returns 0 when it was a message the
 * node took, -EBADMSG (malformed, martian, unknown transaction) or
 * -EAGAIN (rate limited) when it was dropped.
 */
int ovl_dht_input(struct ovl_dht *dht, const struct ovl_dht_addr *from,
    const uint8_t *buf, size_t len, uint64_t now_ms);
/* Runs timers (timeouts, refresh, rotation); returns ms to wake again. */
unsigned ovl_dht_periodic(struct ovl_dht *dht, uint64_t now_ms);
/*
 * Takes the oldest queued datagram into buf (cap >= OVL_DHT_PKT_MAX)
 * and its destination into *to; returns its length, 0 when none.
 */
size_t ovl_dht_pop(struct ovl_dht *dht, struct ovl_dht_addr *to,
    uint8_t *buf, size_t cap);
/*
 * Starts an iterative get_peers lookup of ih. With announce, announces
 * port (implied_port 1: the source port of our socket) to the closest
 * nodes that gave a token. -EBUSY when OVL_DHT_SEARCHES run already.
 * With no node to ask (an empty table, no bootstrap address) the lookup
 * ends at once: cb is called with done 1 before this returns 0.
 */
int ovl_dht_get_peers(struct ovl_dht *dht, const uint8_t *ih, int announce,
    uint16_t port, ovl_dht_peers_cb *cb, void *arg, uint64_t now_ms)
    WARN_UNUSED_RESULT;
/* Lookups running. */
size_t ovl_dht_searching(const struct ovl_dht *dht);
/* Leaves or enters read-only mode (BEP 43): reachable 1 ends it. */
void ovl_dht_set_reachable(struct ovl_dht *dht, int reachable);
/* Copies the node's id. */
void ovl_dht_id(const struct ovl_dht *dht, uint8_t id[static OVL_DHT_ID_LEN]);
/*
 * The external address the responders' `ip` votes agree on: 0 with *out
 * set and *symmetric 1 when they saw one IP with several ports,
 * -ENOENT while they do not agree.
 */
int ovl_dht_external(const struct ovl_dht *dht, struct ovl_dht_addr *out,
    int *symmetric);
/* Fills counters. */
void ovl_dht_stats(const struct ovl_dht *dht, struct ovl_dht_stats *st);
/* Writes the id and table (bencode) to buf; length or -ENOBUFS. */
int ovl_dht_save(const struct ovl_dht *dht, uint8_t *buf, size_t cap)
    WARN_UNUSED_RESULT;
/*
 * BEP 42: writes an id for ip with the random bytes rnd (rnd[0] & 7
 * chooses the variant; OVL_DHT_ID_LEN bytes) into id.
 */
void ovl_dht_id_derive(const uint8_t ip[static 4], const uint8_t *rnd,
    uint8_t id[static OVL_DHT_ID_LEN]);
/* 1 when id is BEP 42 compliant for ip, or ip is exempt (local). */
int ovl_dht_id_ok(const uint8_t id[static OVL_DHT_ID_LEN],
    const uint8_t ip[static 4]);

#endif
