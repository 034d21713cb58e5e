/*
 * LAN discovery (lan.c, lan-probe.c): a client that holds a join key but
 * no usable address asks its local networks for the node, and only the
 * node that key belongs to answers. Included through overlay.h.
 *
 * A probe goes by UDP multicast (OVL_LAN_GROUP4 on every up IPv4
 * interface with multicast, OVL_LAN_GROUP6 on every such IPv6 one) to
 * OVL_LAN_PORT. It carries a fresh nonce and a keyed BLAKE2b tag: the key
 * is the access secret, the input a label, the nonce and the node's
 * static public key. A node answers only when the tag fits one of its
 * active access secrets and its own key, unicast to the probe's source,
 * with its TCP ports under a tag keyed by the same secret over the same
 * nonce. Neither packet reveals the secret or the node's key; strangers
 * and holders of another node's key get silence. docs/PROTOCOL.md, "LAN
 * discovery", is the wire contract.
 */
#ifndef PIER_OVL_LAN_H
#define PIER_OVL_LAN_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct ovl_identity;
struct ovl_keystore;

#define OVL_LAN_PORT		7437		/* UDP port of the responder */
#define OVL_LAN_GROUP4		"239.255.74.37"	/* administratively scoped */
#define OVL_LAN_GROUP6		"ff02::7437"	/* link-local scope */
#define OVL_LAN_VERSION		1
#define OVL_LAN_NONCE_LEN	24
#define OVL_LAN_MAC_LEN		32	/* keyed BLAKE2b-256 */
#define OVL_LAN_PORTS_MAX	8	/* TCP ports in one answer */
#define OVL_LAN_PROBE_LEN	(6 + OVL_LAN_NONCE_LEN + OVL_LAN_MAC_LEN)
#define OVL_LAN_ANSWER_LEN(n)	(6 + OVL_LAN_NONCE_LEN + 1 + 2 * (n) + \
				    OVL_LAN_MAC_LEN)
#define OVL_LAN_PACKET_MAX	OVL_LAN_ANSWER_LEN(OVL_LAN_PORTS_MAX)
#define OVL_LAN_PROBE_MS	1500	/* how long a prober listens */

/* lan.c: the codec (pure: bytes in, bytes out) */

/* Writes a probe (OVL_LAN_PROBE_LEN bytes) for node_pub under secret. */
void ovl_lan_probe_encode(uint8_t out[static OVL_LAN_PROBE_LEN],
    const uint8_t nonce[static OVL_LAN_NONCE_LEN],
    const uint8_t node_pub[static 32], const uint8_t secret[static 32]);
/*
 * Checks a received packet as a probe for node_pub against nsecrets
 * secrets: 0 with *which (the secret's index) and nonce set, -EBADMSG
 * when it is not exactly a probe, -EACCES when no secret fits.
 */
int ovl_lan_probe_check(const uint8_t *pkt, size_t len,
    const uint8_t node_pub[static 32], const uint8_t (*secrets)[32],
    size_t nsecrets, size_t *which, uint8_t nonce[static OVL_LAN_NONCE_LEN])
    WARN_UNUSED_RESULT;
/*
 * Writes the answer to the probe with nonce: nports (1 to
 * OVL_LAN_PORTS_MAX) non-zero TCP ports. Returns its length, or 0 when
 * the ports are out of bounds or cap is too small.
 */
size_t ovl_lan_answer_encode(uint8_t *out, size_t cap,
    const uint8_t nonce[static OVL_LAN_NONCE_LEN],
    const uint8_t node_pub[static 32], const uint8_t secret[static 32],
    const uint16_t *ports, size_t nports);
/*
 * Checks a received packet as the answer to our probe with nonce: 0 with
 * ports (OVL_LAN_PORTS_MAX room) and *nports set, -EBADMSG when it is
 * not exactly an answer, -EACCES when its tag does not fit (another
 * nonce, another key, another node).
 */
int ovl_lan_answer_check(const uint8_t *pkt, size_t len,
    const uint8_t nonce[static OVL_LAN_NONCE_LEN],
    const uint8_t node_pub[static 32], const uint8_t secret[static 32],
    uint16_t ports[static OVL_LAN_PORTS_MAX], size_t *nports)
    WARN_UNUSED_RESULT;

/* lan.c: the node's responder */

struct ovl_lan_responder;

/* How a node answers; a zero field takes the default. */
struct ovl_lan_resp_cfg {
	uint16_t	 ports[OVL_LAN_PORTS_MAX];	/* TCP, to announce */
	size_t		 nports;
	uint16_t	 udp_port;	/* OVL_LAN_PORT */
	uint32_t	 rescan_ms;	/* interfaces re-read, 10000 */
	/* A line for the node's log (no newline); may be NULL. */
	void		(*on_log)(const char *line, void *arg);
	/*
	 * No secret fitted and the keys file changed since it was read:
	 * re-read it (the probe is then checked again). May be NULL.
	 */
	void		(*on_keys_changed)(void *arg);
	/*
	 * An IPv4 datagram that is no LAN packet. A socket bound to the
	 * same port with SO_REUSEADDR (pierd's DHT socket) shares unicast
	 * with the responder's as the kernel picks, so the responder hands
	 * on what is not its own. May be NULL (dropped).
	 */
	void		(*on_other)(void *arg, const struct sockaddr_in *from,
			    const uint8_t *buf, size_t len);
	void		*arg;
};

/* Counters of a responder, for logs and tests. */
struct ovl_lan_stats {
	uint64_t	packets;	/* datagrams received */
	uint64_t	malformed;	/* not exactly a probe */
	uint64_t	limited;	/* dropped by a rate bucket */
	uint64_t	refused;	/* no secret fitted: silence */
	uint64_t	answered;
	size_t		groups;		/* memberships held now */
};

/*
 * Starts answering probes: binds UDP udp_port on IPv4 (and IPv6 when the
 * host has it; its absence is no error) and joins the groups on every up,
 * non-loopback interface with multicast, again every rescan_ms for
 * interfaces that come later. It borrows id and ks (they must outlive
 * it). -EADDRINUSE and friends with *cause when nothing could be bound.
 */
int ovl_lan_responder_new(uv_loop_t *loop, const struct ovl_identity *id,
    struct ovl_keystore *ks, const struct ovl_lan_resp_cfg *cfg,
    struct ovl_lan_responder **out, char **cause) WARN_UNUSED_RESULT;
/* Copies the counters. */
void ovl_lan_responder_stats(const struct ovl_lan_responder *r,
    struct ovl_lan_stats *st);
/* Stops answering; done (may be NULL) runs once every handle closed. */
void ovl_lan_responder_close(struct ovl_lan_responder *r,
    void (*done)(void *arg), void *arg);

/* lan-probe.c: the client's prober */

struct ovl_lan_probe;

/*
 * A node answered: addr is "host:port" (IPv6 "[fe80::1%eth0]:port"),
 * one call per TCP port it announced; each address is told once.
 */
typedef void (*ovl_lan_found_cb)(struct ovl_lan_probe *, const char *addr,
    void *arg);

/*
 * Asks the LAN for node_pub under secret: sends a probe on every up,
 * non-loopback interface with multicast at 0, 250 and 750 ms and listens
 * for answers for listen_ms (0: OVL_LAN_PROBE_MS). Everything is copied.
 * cb never runs from inside this call, nor after ovl_lan_probe_stop.
 * -ENETUNREACH when no socket could be made.
 */
int ovl_lan_probe_start(uv_loop_t *loop, const uint8_t node_pub[static 32],
    const uint8_t secret[static 32], uint32_t listen_ms,
    ovl_lan_found_cb cb, void *arg, struct ovl_lan_probe **out)
    WARN_UNUSED_RESULT;
/*
 * As ovl_lan_probe_start, with every round and the listening delay_ms
 * later: a dial that may well succeed first stops the prober before it
 * has sent anything. With a delay, the sockets are made at the first
 * round, and -ENETUNREACH is not told (the rounds send nothing).
 */
int ovl_lan_probe_start_after(uv_loop_t *loop,
    const uint8_t node_pub[static 32], const uint8_t secret[static 32],
    uint32_t delay_ms, uint32_t listen_ms, ovl_lan_found_cb cb, void *arg,
    struct ovl_lan_probe **out) WARN_UNUSED_RESULT;
/*
 * Asked before each round with the prober's arg: nonzero skips the round
 * (for a dial, "an address answered", so the LAN is not asked while its
 * handshake runs; a later round asks again if it failed).
 */
typedef int (*ovl_lan_gate_cb)(void *arg);
/* Sets (or with NULL clears) the gate of prober p. */
void ovl_lan_probe_set_gate(struct ovl_lan_probe *p, ovl_lan_gate_cb gate);
/* Stops probing; the prober frees itself once its handles closed. */
void ovl_lan_probe_stop(struct ovl_lan_probe *p);

#endif
