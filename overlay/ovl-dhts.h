/*
 * The DHT on a socket (dht-sock.c) and the info-hashes a node announces
 * for its access keys (dht-key.c). Included through overlay.h, after
 * ovl-dht.h.
 *
 * One uv_udp handle and one timer drive an ovl_dht node: pierd's on the
 * UDP port of the same number as its TCP listen port, the client's on
 * a port of the kernel's choosing while it looks a node up. Datagrams
 * that start with 'd' are bencoded DHT messages; the others (punch and
 * knock probes, whose magic never starts with 'd') go to the user's
 * on_other callback, so the mapping the DHT saw is the one a peer aims
 * at. docs/PROTOCOL.md, "Finding a node on the DHT", is the contract.
 */
#ifndef PIER_OVL_DHTS_H
#define PIER_OVL_DHTS_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

/* dht-key.c */

#define OVL_DHT_LABEL		"pier/dht/v1"	/* the announced hash */
#define OVL_DHT_KNOCK_LABEL	"pier/knock/v1"	/* a client's knock */
#define OVL_DHT_RELAY_LABEL	"pier/relay/v1"	/* where a relay splices */
#define OVL_DHT_DAY_S		86400
#define OVL_DHT_EDGE_S		3600	/* both days this near midnight */

/*
 * The info-hash announced for an access key on UTC day `day` (unix
 * seconds / 86400): BLAKE2b-160 of the label, the access secret, the
 * node's static public key and the day as 8 bytes big-endian. Only
 * holders of the key can compute it; it changes daily.
 */
void	ovl_dht_key_hash(const uint8_t secret[static 32],
	    const uint8_t node_pub[static 32], int64_t day,
	    uint8_t ih[static OVL_DHT_ID_LEN]);
/*
 * The days whose hashes are current at unix time now: today, and within
 * OVL_DHT_EDGE_S of midnight the day on the other side of it. Returns
 * how many (1 or 2) were written to days.
 */
size_t	ovl_dht_key_days(int64_t now, int64_t days[static 2]);
/*
 * The knock hash of minute `minute` (unix seconds / 60): BLAKE2b-160 of
 * the knock label, the access secret, the node's public key and the
 * minute as 8 bytes big-endian.
 */
void	ovl_dht_knock_hash(const uint8_t secret[static 32],
	    const uint8_t node_pub[static 32], int64_t minute,
	    uint8_t ih[static OVL_DHT_ID_LEN]);

/*
 * The relay hash of an access key on UTC day `day`: BLAKE2b-160 of the
 * relay label, the access secret, the node's public key and the day as
 * 8 bytes big-endian. The node hands it to its relays, which announce
 * it from their own address: a client that looks it up finds where the
 * node can be reached through a relay.
 */
void	ovl_dht_relay_hash(const uint8_t secret[static 32],
	    const uint8_t node_pub[static 32], int64_t day,
	    uint8_t ih[static OVL_DHT_ID_LEN]);

/* dht-sock.c */

#define OVL_DHT_BOOTSTRAP_MAX	8
/* The routers a node asks first unless told others. */
#define OVL_DHT_ROUTERS \
	"router.bittorrent.com:6881", "router.utorrent.com:6881", \
	"dht.transmissionbt.com:6881"

struct ovl_dhts;

/* A datagram that is not a DHT message (the first byte is not 'd'). */
typedef void ovl_dhts_other_cb(void *arg, const struct sockaddr_in *from,
    const uint8_t *buf, size_t len);

/* How to run the node; a zero field takes the default. */
struct ovl_dhts_cfg {
	const char	*bind;		/* "IP:PORT"; NULL: 0.0.0.0:0 */
	const char *const *bootstrap;	/* "HOST:PORT", names resolved */
	size_t		 nbootstrap;
	const uint8_t	*saved;		/* ovl_dht_save's bytes, or NULL */
	size_t		 savedlen;
	int		 read_only;	/* BEP 43 until ovl_dht_set_reachable */
	int		 share;		/* SO_REUSEADDR: see dht-sock.c */
	ovl_dhts_other_cb *on_other;	/* NULL: dropped */
	void		(*on_tick)(void *arg);	/* after each timer run */
	void		(*on_ready)(void *arg);	/* the node exists */
	void		*arg;
};

/*
 * Binds the socket and starts the node; the node itself exists once the
 * bootstrap names are resolved (on_ready). -errno (UV_E*) with *cause.
 */
int	ovl_dhts_new(uv_loop_t *loop, const struct ovl_dhts_cfg *cfg,
	    struct ovl_dhts **out, char **cause) WARN_UNUSED_RESULT;
/* Closes everything; done(arg) runs once released (lookups: no cb). */
void	ovl_dhts_close(struct ovl_dhts *s, void (*done)(void *), void *arg);
/* The node, or NULL while the bootstrap names resolve. */
struct ovl_dht *ovl_dhts_node(struct ovl_dhts *s);
/* The bound port. */
uint16_t ovl_dhts_port(const struct ovl_dhts *s);
/*
 * Starts a get_peers lookup of ih (see ovl_dht_get_peers) now, or once
 * the node exists. -EBUSY when OVL_DHT_SEARCHES are running or waiting.
 */
int	ovl_dhts_lookup(struct ovl_dhts *s, const uint8_t *ih, int announce,
	    uint16_t port, ovl_dht_peers_cb *cb, void *arg) WARN_UNUSED_RESULT;
/* Lookups running or waiting. */
size_t	ovl_dhts_busy(const struct ovl_dhts *s);
/* A datagram that came in on another socket of the same port. */
void	ovl_dhts_input(struct ovl_dhts *s, const struct sockaddr_in *from,
	    const uint8_t *buf, size_t len);
/* Sends a datagram from the socket (a probe); dropped when it cannot. */
int	ovl_dhts_send(struct ovl_dhts *s, const struct sockaddr_in *to,
	    const void *buf, size_t len);
/* Sends what the node queued (after a caller used the node directly). */
void	ovl_dhts_flush(struct ovl_dhts *s);
/* Writes the node's table to path (atomically, 0600); -errno. */
int	ovl_dhts_save(struct ovl_dhts *s, const char *path) WARN_UNUSED_RESULT;
/* Reads a table saved by ovl_dhts_save (malloc'd, *len); -errno. */
int	ovl_dhts_load(const char *path, uint8_t **buf, size_t *len)
	    WARN_UNUSED_RESULT;

#endif
