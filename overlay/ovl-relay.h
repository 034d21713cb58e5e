/*
 * Relays and dial-back probes: how a client reaches a node that nobody
 * can connect to, through any reachable node the target keeps a relay
 * link to. Included through overlay.h, after ovl-net.h.
 *
 * On the wire (docs/PROTOCOL.md, "Relays"): a dialer may begin a TCP
 * connection with a 36-byte preamble instead of handshake message 1.
 * Its first byte, 0xff, cannot start a message 1 (whose length is at
 * most OVL_HS_MAX).
 *
 *   splice:  ff 70 72 01 | target id (32)   then the client's handshake
 *   probe:   ff 70 62 01 | token (32)       answered with 32 bytes
 *
 * A relay that holds a link from the target (a connection the target
 * made with a relay-role key, which proved its static key) opens a
 * channel on that link, writes a header (one byte n, then n bytes of
 * the client's address as the relay saw it) and splices the client's
 * TCP stream onto the channel both ways. The target hands the channel
 * to its server like an accepted connection, so the client's handshake
 * and records run end to end: the relay sees only ciphertext. Whatever
 * a relay cannot serve (unknown target, a limit) it closes without a
 * byte, like a node's port to someone without a key.
 */
#ifndef PIER_OVL_RELAY_H
#define PIER_OVL_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#define OVL_PRE_LEN		36	/* bytes of a preamble */
#define OVL_PRE_MAGIC		0xff	/* its first byte */
#define OVL_RELAY_ID_LEN	32	/* a target id */
#define OVL_PROBE_LEN		32	/* a probe token, and its answer */
#define OVL_SPLICE_HDR_MAX	64	/* address bytes of a splice header */

/* Default limits of a relay. */
#define OVL_RELAY_LINKS		256	/* relay links held */
#define OVL_RELAY_SPLICES	1024	/* spliced clients at once */
#define OVL_RELAY_PER_SOURCE	32	/* ... from one client address */
#define OVL_RELAY_PER_TARGET	256	/* ... to one target */
#define OVL_RELAY_MAX_BYTES	(64ULL << 30)	/* per splice, both ways */
#define OVL_RELAY_MAX_SECS	(24 * 3600)	/* per splice */
#define OVL_RELAY_IDLE_SECS	120	/* no byte either way */

/* Limits of a relay; a zero field takes the default above. */
struct ovl_relay_limits {
	uint32_t	max_links;
	uint32_t	max_splices;
	uint32_t	per_source;
	uint32_t	per_target;
	uint64_t	max_bytes;
	uint32_t	max_secs;
	uint32_t	idle_secs;
};

/* Counters of a relay. */
struct ovl_relay_stats {
	size_t		links;		/* relay links held now */
	size_t		splices;	/* clients spliced now */
	uint64_t	spliced;	/* splices begun */
	uint64_t	unknown;	/* requests for a target with no link */
	uint64_t	refused;	/* requests over a limit */
	uint64_t	cut;		/* splices ended by a limit */
	uint64_t	bytes;		/* bytes carried by ended splices */
};

/* One relay link, as ovl_relay_links lists them. */
struct ovl_relay_link_info {
	uint8_t		node_key[32];	/* the target's static key */
	char		name[64];	/* the relay key's name */
	char		peer[64];	/* where the link comes from */
	size_t		splices;	/* clients spliced onto it now */
	uint64_t	since_ms;	/* loop time the link was added */
};

struct ovl_relay;
struct ovl_server;

/* The target id of a node: BLAKE2b-256("pier relay target 1" || key). */
void ovl_relay_target_id(const uint8_t node_key[static 32],
    uint8_t id[static OVL_RELAY_ID_LEN]);
/* Makes a relay (no links yet). */
int ovl_relay_new(uv_loop_t *loop, const struct ovl_relay_limits *lim,
    struct ovl_relay **out) WARN_UNUSED_RESULT;
/* Ends every splice and frees the relay (its links are the server's). */
void ovl_relay_free(struct ovl_relay *r);
/*
 * Lets the server's listeners take splice preambles and hand them to r
 * (NULL: none; the server then closes them silently).
 */
void ovl_server_set_relay(struct ovl_server *s, struct ovl_relay *r);
/*
 * Holds an open connection as the relay link of the node whose static
 * key it authenticated (a later link of the same key replaces it).
 * name is the access key's; -ENOSPC at max_links.
 */
int ovl_relay_link_add(struct ovl_relay *r, struct ovl_conn *link,
    const char *name) WARN_UNUSED_RESULT;
/* Forgets a link (it closed); its splices end. */
void ovl_relay_link_remove(struct ovl_relay *r, struct ovl_conn *link);
/* Copies the counters. */
void ovl_relay_stats(const struct ovl_relay *r, struct ovl_relay_stats *st);
/* Copies the limits in force (defaults filled in). */
void ovl_relay_limits(const struct ovl_relay *r,
    struct ovl_relay_limits *lim);
/* Fills up to cap link descriptions; returns how many links there are. */
size_t ovl_relay_links(const struct ovl_relay *r,
    struct ovl_relay_link_info *out, size_t cap);

/*
 * Target side: a relay opened ch on our link to it (via: the relay's
 * name, for logs). Reads the splice header and hands the stream to the
 * server as a connection from the client's address; the channel is
 * reset on any failure.
 */
void ovl_server_accept_splice(struct ovl_server *s, struct ovl_chan *ch,
    const char *via);
/* Relayed connections the server holds now, and accepted in all. */
void ovl_server_splice_counts(const struct ovl_server *s, size_t *live,
    uint64_t *total);

/*
 * Dial-back probes: a node that believes it is reachable at an address
 * (a port mapping) asks a peer to connect there with a fresh token; the
 * server that issued the token answers with BLAKE2b-256 keyed by the
 * token over "pier probe answer 1", and nothing else does.
 */
/* Makes a token the server answers for the next 60 s. */
void ovl_server_probe_token(struct ovl_server *s,
    uint8_t token[static OVL_PROBE_LEN]);
/* The answer to a token. */
void ovl_probe_answer(const uint8_t token[static OVL_PROBE_LEN],
    uint8_t answer[static OVL_PROBE_LEN]);
/* The outcome of a probe: 0 with the round trip, or why not. */
typedef void (*ovl_probe_cb)(int status, uint64_t rtt_ms, const char *why,
    void *arg);
/* Connects to a numeric "ip:port", sends the probe, checks the answer. */
int ovl_probe(uv_loop_t *loop, const char *addr,
    const uint8_t token[static OVL_PROBE_LEN], uint32_t timeout_ms,
    ovl_probe_cb cb, void *arg) WARN_UNUSED_RESULT;

#endif
