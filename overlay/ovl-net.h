/*
 * Records, channels and connections: the part of the overlay that runs
 * after (and drives) the handshake. Included through overlay.h, after
 * struct ovl_cipher and OVL_TAG_LEN.
 *
 * Layers, bottom up:
 *   record.c  a pure codec: 2-byte length + Noise transport ciphertext,
 *             an incremental decoder, in-band rekey on a data or time
 *             budget. No I/O, no clock (now is passed in).
 *   mux.c     a pure state machine in the manner of yamux: channels with
 *             credit windows, ping, go-away. Whole frames per record.
 *   conn.c    one connection on libuv: reads, writes, the handshake
 *             driver, keepalive and idle timeout, the channel API.
 *   server.c  listening, limits, authentication, revocation.
 *   dial.c    dialing several candidates (first handshake wins) and a
 *             "keep connected" helper with backoff.
 *
 * Errors are negative errno values (UV_E* are the same on unix).
 * A program using connections must ignore SIGPIPE (signal(SIGPIPE,
 * SIG_IGN) in main): a write to a peer that went away is then an error
 * the connection handles, not the end of the process.
 */
#ifndef PIER_OVL_NET_H
#define PIER_OVL_NET_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct ovl_identity;
struct ovl_keystore;
struct ovl_hello;

/* record.c */

#define OVL_REC_HDR	2	/* big-endian length before every record */
#define OVL_REC_MAX	65535	/* ciphertext bytes of a record, tag included */
#define OVL_REC_PT_MAX	(OVL_REC_MAX - OVL_TAG_LEN)	/* plaintext bytes: 65519 */
#define OVL_HS_MAX	1024	/* longest handshake message accepted */
/* Room ovl_rec_seal needs for len plaintext bytes (a rekey record too). */
#define OVL_REC_SEAL_MAX(len)	(2 * (OVL_REC_HDR + OVL_TAG_LEN) + 12 + (len))

/* Default budgets after which the sender rekeys. */
#define OVL_REKEY_BYTES		(1ULL << 30)	/* 1 GiB of plaintext */
#define OVL_REKEY_RECORDS	(1ULL << 20)	/* records */
#define OVL_REKEY_MS		(10 * 60 * 1000)	/* 10 minutes */

/* When a sender rekeys; a zero field takes the default above. */
struct ovl_rec_budget {
	uint64_t	bytes;		/* plaintext bytes per key */
	uint64_t	records;	/* records per key */
	uint64_t	ms;		/* lifetime of a key, milliseconds */
};

/*
 * Record state of one connection: both CipherStates, the send budget and
 * the incremental decoder. Before ovl_rec_start it reads and writes
 * handshake messages (length-prefixed cleartext of at most OVL_HS_MAX).
 * The decoder holds a buffer only while it has something in it: a
 * message split across inputs (sized to that message) or the plaintext
 * it last returned; ovl_rec_trim gives it back when the input is quiet.
 */
struct ovl_rec {
	struct ovl_cipher	 tx;		/* wiped by clear */
	struct ovl_cipher	 rx;
	struct ovl_rec_budget	 budget;
	uint64_t		 tx_bytes;	/* since the last tx rekey */
	uint64_t		 tx_records;
	uint64_t		 tx_since_ms;	/* when the tx key began */
	uint64_t		 rekeys_tx;	/* counters, for tests and stats */
	uint64_t		 rekeys_rx;
	uint64_t		 records_rx;
	size_t			 max_len;	/* current bound on a length */
	size_t			 need;		/* length of the message being read */
	size_t			 have;		/* bytes of it (header included) */
	uint8_t			 hdr[OVL_REC_HDR];	/* its header */
	uint8_t			*buf;		/* split message, plaintext */
	size_t			 cap;		/* bytes of buf (0: none) */
	size_t			 dirty;		/* bytes written, to wipe */
	int			 keyed;		/* 1 after ovl_rec_start */
	int			 err;		/* sticky fatal error */
};

/* Prepares the record state for the handshake; -ENOMEM. */
int ovl_rec_init(struct ovl_rec *r, const struct ovl_rec_budget *budget)
    WARN_UNUSED_RESULT;
/* Installs the transport keys (copied); records begin at now_ms. */
void ovl_rec_start(struct ovl_rec *r, const struct ovl_cipher *tx,
    const struct ovl_cipher *rx, uint64_t now_ms);
/* Wipes the keys and frees the buffers. */
void ovl_rec_clear(struct ovl_rec *r);
/* Frames a handshake message (len <= OVL_HS_MAX) into out (len + 2). */
int ovl_rec_put_hs(const uint8_t *msg, size_t len, uint8_t *out,
    size_t *outlen) WARN_UNUSED_RESULT;
/*
 * Seals len (<= OVL_REC_PT_MAX) plaintext bytes into out, which has room
 * for OVL_REC_SEAL_MAX(len). If the send budget is spent it first writes
 * a rekey record and rekeys, so out may hold two records. -EOVERFLOW when
 * the nonce is spent (the connection must end), -EMSGSIZE, -EINVAL (also
 * for a plaintext that is exactly the rekey frame).
 */
int ovl_rec_seal(struct ovl_rec *r, uint64_t now_ms, const uint8_t *pt,
    size_t len, uint8_t *out, size_t *outlen) WARN_UNUSED_RESULT;
/*
 * Seals in place: the len plaintext bytes sit at buf + OVL_REC_HDR and buf
 * has room for OVL_REC_SEAL_MAX(len). The records (a rekey record first
 * if the budget is spent) start at buf. Errors as ovl_rec_seal.
 */
int ovl_rec_seal_inplace(struct ovl_rec *r, uint64_t now_ms, uint8_t *buf,
    size_t len, size_t *outlen) WARN_UNUSED_RESULT;
/* Writes a rekey record now (OVL_REC_SEAL_MAX(0) bytes) and rekeys. */
int ovl_rec_seal_rekey(struct ovl_rec *r, uint64_t now_ms, uint8_t *out,
    size_t *outlen) WARN_UNUSED_RESULT;
/* The time at which the tx key's time budget ends (ms). */
uint64_t ovl_rec_deadline(const struct ovl_rec *r);
/*
 * Consumes input bytes. Sets *used to the bytes taken; when a whole
 * message completed, *msg and *msglen point at its plaintext (valid until
 * the next call or ovl_rec_trim) and the call returns, so leftover bytes
 * can be fed again (possibly after ovl_rec_start). Rekey records are
 * consumed here and never returned. Errors are fatal and sticky: -EBADMSG
 * (forged or damaged), -EMSGSIZE (length out of bounds), -EOVERFLOW,
 * -ENOMEM (not sticky: feed the same bytes again).
 */
int ovl_rec_feed(struct ovl_rec *r, const uint8_t *in, size_t len,
    size_t *used, const uint8_t **msg, size_t *msglen) WARN_UNUSED_RESULT;
/*
 * Wipes and frees the decoder's buffer unless part of a message is in
 * it; the last message returned is gone. Call when the input is quiet.
 */
void ovl_rec_trim(struct ovl_rec *r);
/* Bytes the decoder holds allocated now (0 when quiet). */
size_t ovl_rec_held(const struct ovl_rec *r);

/* mux.c */

#define OVL_MUX_VERSION	0
#define OVL_MUX_HDR	12	/* version, type, flags, stream id, length */
#define OVL_FRAME_MAX	(OVL_REC_PT_MAX - OVL_MUX_HDR)	/* data bytes */
#define OVL_WINDOW	(256 * 1024)	/* initial credit of a channel */
#define OVL_REASON_MAX	255	/* bytes of a go-away reason */
#define OVL_MAX_CHANS	128	/* channels a peer may have open */
#define OVL_MAX_BUFFERED (16u << 20)	/* bytes queued per connection */
#define OVL_CHAN_QUEUE	(1u << 20)	/* bytes queued per channel */
#define OVL_MAX_PINGS	64	/* pings or replies waiting to be sent */

/* Path moves (move.c). */
#define OVL_MOVE_TOKEN_LEN	32	/* a move token, and its answer */
#define OVL_MOVE_TOKEN_MS	30000	/* a token is good this long, once */

/* Frame types. Numbers are on the wire: never renumber or reuse. */
enum ovl_frame_type {
	OVL_FT_DATA = 0,	/* length bytes of channel data follow */
	OVL_FT_WINDOW = 1,	/* length is a credit increment */
	OVL_FT_PING = 2,	/* length is an opaque value; channel 0 */
	OVL_FT_GOAWAY = 3,	/* code (4 bytes) + reason follow */
	OVL_FT_REKEY = 4,	/* alone in its record; the record layer's */
	OVL_FT_MOVE = 5,	/* alone in its record: a path move (move.c) */
};

/* Frame flags. */
#define OVL_FL_SYN	0x1	/* opens a channel; a ping request */
#define OVL_FL_ACK	0x2	/* accepts a channel; a ping reply */
#define OVL_FL_FIN	0x4	/* the sender sends no more on the channel */
#define OVL_FL_RST	0x8	/* the channel is abandoned at once */

/* Go-away codes. Numbers are on the wire: never renumber or reuse. */
enum ovl_goaway {
	OVL_GA_NORMAL = 0,	/* closed by the user */
	OVL_GA_PROTOCOL = 1,	/* the peer broke the protocol */
	OVL_GA_INTERNAL = 2,	/* out of memory or a local fault */
	OVL_GA_LIMIT = 3,	/* a limit was exceeded */
	OVL_GA_IDLE = 4,	/* nothing heard for the idle timeout */
	OVL_GA_REVOKED = 5,	/* the access key was revoked */
	OVL_GA_SHUTDOWN = 6,	/* the node is shutting down */
	OVL_GA_CLOCK = 7,	/* the client's clock is outside the window */
	OVL_GA_KEY_EXPIRED = 8,	/* the access key expired */
	OVL_GA_KEY_DISABLED = 9, /* the access key is disabled */
	OVL_GA_KEY_USED = 10,	/* the access key's uses went to others */
};

/* A short name for a go-away code ("protocol error", "idle timeout"). */
const char *ovl_goaway_name(uint32_t code);

struct ovl_mux;
struct ovl_chan;

/* Limits of one multiplexer; a zero field takes the default. */
struct ovl_mux_cfg {
	uint32_t	max_chans;	/* channels open at once, each side */
	size_t		max_buffered;	/* queued + held bytes, whole mux */
	uint32_t	window;		/* initial credit (both sides agree) */
	size_t		chan_queue;	/* send queue bound of a channel */
};

/* What the multiplexer tells its owner (the connection). */
struct ovl_mux_cbs {
	/* The peer opened a channel; set its callbacks or reset it. */
	void	(*on_open)(struct ovl_mux *, struct ovl_chan *, void *arg);
	/* Frames are waiting: call ovl_mux_pull soon. */
	void	(*on_want_write)(struct ovl_mux *, void *arg);
	/* A ping reply came back with this value. */
	void	(*on_pong)(struct ovl_mux *, uint32_t value, void *arg);
	/* The peer said go away; the connection should end. */
	void	(*on_goaway)(struct ovl_mux *, uint32_t code,
		    const char *reason, void *arg);
};

/* Makes a multiplexer; dialer selects odd channel ids (even if 0). */
int ovl_mux_new(struct ovl_mux **out, int dialer,
    const struct ovl_mux_cfg *cfg, const struct ovl_mux_cbs *cbs,
    void *arg) WARN_UNUSED_RESULT;
/*
 * Ends every channel (on_close(status), channel 0 included) and refuses
 * further input and writes. Safe from inside a callback; idempotent.
 */
void ovl_mux_shutdown(struct ovl_mux *m, int status);
/* Shuts down (if not yet) and frees; never from inside its callbacks. */
void ovl_mux_free(struct ovl_mux *m, int status);
/*
 * Takes the plaintext of one record (whole frames). On a protocol
 * violation queues a go-away, sets *cause (static text) and returns
 * -EPROTO (or -ENOBUFS for a limit); the connection must then end.
 */
int ovl_mux_input(struct ovl_mux *m, const uint8_t *pt, size_t len,
    const char **cause) WARN_UNUSED_RESULT;
/*
 * Fills buf (cap >= OVL_MUX_HDR + 1) with whole frames for one record:
 * control frames first, then channel 0, then the other channels in
 * turn. Returns the bytes written, 0 if nothing is ready. Calls no user
 * callback; call ovl_mux_pulled once the records are on their way.
 */
size_t ovl_mux_pull(struct ovl_mux *m, uint8_t *buf, size_t cap);
/* Runs what pulls made due: on_drain, on_close of finished channels. */
void ovl_mux_pulled(struct ovl_mux *m);
/* Tells whether ovl_mux_pull has something to give. */
int ovl_mux_pending(const struct ovl_mux *m);
/* About how many bytes (frame headers too) pulls would give now. */
size_t ovl_mux_pending_bytes(const struct ovl_mux *m);
/* Queues a ping with an opaque value; -ENOBUFS if too many wait. */
int ovl_mux_ping(struct ovl_mux *m, uint32_t value) WARN_UNUSED_RESULT;
/* Queues a go-away; later channel writes and opens fail with -EPIPE. */
void ovl_mux_goaway(struct ovl_mux *m, uint32_t code, const char *reason);
/* Tells whether a go-away was queued, sent or received, or it is shut. */
int ovl_mux_closing(const struct ovl_mux *m);
/* Bytes held by the multiplexer (send queues, paused input, control). */
size_t ovl_mux_buffered(const struct ovl_mux *m);
/* Number of channels open (channel 0 included). */
size_t ovl_mux_nchans(const struct ovl_mux *m);
/* Opens a channel with the next local id; -EMFILE at the limit. */
int ovl_mux_open(struct ovl_mux *m, struct ovl_chan **out)
    WARN_UNUSED_RESULT;
/* Returns channel 0, the control channel, open from the start. */
struct ovl_chan *ovl_mux_control(struct ovl_mux *m);
/* Changes how many channels each side may have open at once. */
void ovl_mux_set_max_chans(struct ovl_mux *m, uint32_t n);
/* Returns the arg given to ovl_mux_new. */
void *ovl_mux_arg(const struct ovl_mux *m);

/* What a channel tells its user. */
struct ovl_chan_cbs {
	/* Bytes arrived; len 0 means the peer finished sending (FIN). */
	void	(*on_data)(struct ovl_chan *, const uint8_t *buf, size_t len,
		    void *arg);
	/* The send queue just emptied (after writes): write more. */
	void	(*on_drain)(struct ovl_chan *, void *arg);
	/*
	 * The channel ended: 0 when both sides finished, -ECONNRESET on a
	 * reset, -ECONNABORTED when the connection ended. Last call; the
	 * channel is freed after it returns.
	 */
	void	(*on_close)(struct ovl_chan *, int status, void *arg);
};

/* Sets the callbacks of a channel (copied) and their argument. */
void ovl_chan_set_cbs(struct ovl_chan *c, const struct ovl_chan_cbs *cbs,
    void *arg);
/*
 * Queues len bytes (copied) to send as credit allows. All or nothing:
 * -ENOBUFS when the channel's or the connection's queue would pass its
 * bound (wait for on_drain), -EPIPE after close or on a closing mux.
 */
int ovl_chan_write(struct ovl_chan *c, const void *buf, size_t len)
    WARN_UNUSED_RESULT;
/* Bytes written but not yet sent. */
size_t ovl_chan_queued(const struct ovl_chan *c);
/* Stops delivering data and granting credit; the peer soon stalls. */
void ovl_chan_pause(struct ovl_chan *c);
/* Grants credit again; held data reaches on_data before this returns. */
void ovl_chan_resume(struct ovl_chan *c);
/* Finishes sending (FIN after the queued bytes); -EPIPE if done. */
int ovl_chan_close(struct ovl_chan *c);
/* Abandons the channel (RST); on_close(-ECONNRESET) runs before return. */
void ovl_chan_reset(struct ovl_chan *c);
/* Non-zero once this side finished sending (ovl_chan_close, or gone). */
int ovl_chan_finished(const struct ovl_chan *c);
/* The channel's id: 0 control, odd dialer's, even listener's. */
uint32_t ovl_chan_id(const struct ovl_chan *c);
/* Credit left to send on this channel, in bytes. */
uint32_t ovl_chan_credit(const struct ovl_chan *c);
/* The multiplexer the channel belongs to. */
struct ovl_mux *ovl_chan_mux(const struct ovl_chan *c);
/* Sets the user's pointer. */
void ovl_chan_set_data(struct ovl_chan *c, void *data);
/* Returns the user's pointer. */
void *ovl_chan_data(const struct ovl_chan *c);

/* conn.c */

/* Default limits and timers (milliseconds unless named otherwise). */
#define OVL_HS_TIMEOUT_MS	5000	/* accept to handshake done */
#define OVL_KEEPALIVE_MS	15000	/* ping when nothing was sent */
#define OVL_IDLE_MS		45000	/* close when nothing was heard */
#define OVL_STALL_MS		45000	/* close when queued bytes never leave */
#define OVL_MAX_CONNS		256	/* connections a server holds */
#define OVL_HS_RATE		100	/* handshakes per second per source */
#define OVL_HS_BURST		200	/* ... with this burst */
#define OVL_WRITE_HIGH		(256 * 1024)	/* bytes in flight to TCP */

/*
 * Limits of a server or a client connection; ovl_limits_default fills
 * them and a zero field also takes the default.
 */
struct ovl_limits {
	uint32_t		hs_timeout_ms;
	uint32_t		keepalive_ms;
	uint32_t		idle_ms;
	uint32_t		stall_ms;	/* peer not reading */
	uint32_t		max_conns;
	uint32_t		hs_rate;	/* tokens per second per source */
	uint32_t		hs_burst;	/* bucket size */
	struct ovl_mux_cfg	mux;
	struct ovl_rec_budget	rekey;
};

/* Fills l with the defaults above. */
void ovl_limits_default(struct ovl_limits *l);

struct ovl_conn;

/* What a connection tells its user. */
struct ovl_conn_cbs {
	/* The peer opened a channel: set its callbacks, or reset it. */
	void	(*on_chan_open)(struct ovl_conn *, struct ovl_chan *,
		    void *arg);
	/*
	 * The connection ended (status 0 when closed locally, else why;
	 * reason is human text, e.g. the peer's go-away reason). Channels
	 * got on_close before. Called once.
	 */
	void	(*on_close)(struct ovl_conn *, int status, const char *reason,
		    void *arg);
};

/* Reply to ovl_conn_ping: the round-trip time in microseconds. */
typedef void (*ovl_ping_cb)(struct ovl_conn *, int status, uint64_t rtt_us,
    void *arg);

/* Sets the connection's callbacks (copied) and their argument. */
void ovl_conn_set_cbs(struct ovl_conn *c, const struct ovl_conn_cbs *cbs,
    void *arg);
/* Opens a channel to the peer; -EMFILE at the limit, -EPIPE closing. */
int ovl_conn_chan_open(struct ovl_conn *c, struct ovl_chan **out)
    WARN_UNUSED_RESULT;
/* Returns channel 0, the control channel. */
struct ovl_chan *ovl_conn_control(struct ovl_conn *c);
/*
 * Changes the channel limit of an open connection (both sides must
 * agree: relay links use OVL_RELAY_PER_TARGET + 8 on both ends).
 */
void ovl_conn_set_max_chans(struct ovl_conn *c, uint32_t n);
/* Returns the connection a channel belongs to. */
struct ovl_conn *ovl_chan_conn(const struct ovl_chan *ch);
/* Sends a ping; cb gets the round trip, or an error when it ends. */
int ovl_conn_ping(struct ovl_conn *c, ovl_ping_cb cb, void *arg)
    WARN_UNUSED_RESULT;
/*
 * Ends the connection with a go-away (code, reason): channels and then the
 * connection get on_close before this returns; the handles close once
 * the go-away is written (at most OVL__LINGER_MS, 1 s, later).
 */
void ovl_conn_close(struct ovl_conn *c, uint32_t code, const char *reason);
/* The peer's static public key (32 bytes). */
const uint8_t *ovl_conn_remote_key(const struct ovl_conn *c);
/* The peer's address as "ip:port" or "[ip6]:port". */
const char *ovl_conn_peer(const struct ovl_conn *c);
/* On a node: the name of the access key the client used. */
const char *ovl_conn_key_name(const struct ovl_conn *c);
/* Tells whether the connection is open (handshake done, not closing). */
int ovl_conn_is_open(const struct ovl_conn *c);
/* Counters of one connection. */
struct ovl_conn_stats {
	uint64_t	records_rx;	/* records opened */
	uint64_t	rekeys_tx;	/* sending key changes */
	uint64_t	rekeys_rx;	/* receiving key changes */
	size_t		buffered;	/* bytes held by the multiplexer */
	size_t		inflight;	/* bytes handed to the stream */
	size_t		chans;		/* channels open, channel 0 included */
	size_t		held;		/* buffers held (0 once quiet) */
};

/* Copies the connection's counters. */
void ovl_conn_stats(const struct ovl_conn *c, struct ovl_conn_stats *st);
/* Takes a reference (who: the caller's name, for debugging). */
void ovl_conn_ref(struct ovl_conn *c, const char *who);
/* Drops a reference; the last one frees it once its handles closed. */
void ovl_conn_unref(struct ovl_conn *c, const char *who);
/* Sets the user's pointer. */
void ovl_conn_set_data(struct ovl_conn *c, void *data);
/* Returns the user's pointer. */
void *ovl_conn_data(const struct ovl_conn *c);

/* server.c */

struct ovl_server;

/* A client that completed the handshake, as the node sees it. */
struct ovl_auth {
	const uint8_t		*client_key;	/* 32 bytes */
	const struct ovl_hello	*hello;		/* name, time, version */
	const char		*key_name;	/* the access key used */
	size_t			 key_index;	/* its index in the keystore */
};

/* What a server tells its user. */
struct ovl_server_cbs {
	/*
	 * A client authenticated: set the connection's callbacks. Return 0
	 * to keep it, or a go-away code to refuse it.
	 */
	int	(*on_auth)(struct ovl_server *, struct ovl_conn *,
		    const struct ovl_auth *, void *arg);
	/* One line about a refused or failed connection (no newline). */
	void	(*on_log)(struct ovl_server *, const char *line, void *arg);
	/*
	 * A handshake fitted no access key and the keys file changed since
	 * the keystore read it: re-read it now (the handshake is then tried
	 * again). NULL: the server calls ovl_keystore_reload itself.
	 */
	void	(*on_keys_changed)(struct ovl_server *, void *arg);
};

/* Counters of a server, for logs and tests. */
struct ovl_server_stats {
	uint64_t	accepted;	/* TCP connections taken */
	uint64_t	authed;		/* handshakes completed */
	uint64_t	refused;	/* closed silently during the handshake */
	uint64_t	rate_limited;	/* closed by the per-source bucket */
	uint64_t	over_limit;	/* closed at max_conns */
	uint64_t	closed;		/* connections fully released */
	uint64_t	moved;		/* relayed connections moved on */
	size_t		live;		/* connections held now */
};

/*
 * Makes a server. It borrows identity and keystore (they must outlive
 * it) and reads the keystore's active secrets at each handshake.
 */
int ovl_server_new(uv_loop_t *loop, const struct ovl_identity *id,
    struct ovl_keystore *ks, const struct ovl_limits *lim,
    const struct ovl_server_cbs *cbs, void *arg, struct ovl_server **out)
    WARN_UNUSED_RESULT;
/*
 * Takes a connected TCP socket (a hole punch's) as if a listener had
 * accepted it from src: the handshake follows as for any client. peer
 * is its text for logs; the fd is the server's, also on failure.
 */
int ovl_server_adopt(struct ovl_server *s, uv_os_sock_t fd, const char *peer,
    const struct sockaddr *src);
/*
 * Listens on a numeric "host:port" ("0.0.0.0:7437", "[::]:7437",
 * "127.0.0.1:0"). An IPv6 address listens for IPv6 only, so "0.0.0.0"
 * and "[::]" can share a port (and a hole punch the listener's, through
 * SO_REUSEPORT); -EINVAL (with *cause) for a bad address.
 */
int ovl_server_listen(struct ovl_server *s, const char *hostport,
    char **cause) WARN_UNUSED_RESULT;
/* The port of the i-th listener (bound port for ":0"), or -ENOENT. */
int ovl_server_port(const struct ovl_server *s, size_t i);
/* Closes every connection made with that access key; returns how many. */
size_t ovl_server_revoke(struct ovl_server *s, const char *key_name);
/*
 * Closes every connection whose access key is now disabled (go-away
 * "key disabled") or expired ("key expired"), and sets the server's
 * timer for the next expiry among the keys of the connections left;
 * returns how many it closed. The server runs it itself when a key
 * expires; call it after changing the keystore (a re-read, a disable).
 */
size_t ovl_server_sweep(struct ovl_server *s);
/* Closes every connection of a client key; returns how many. */
size_t ovl_server_drop_client(struct ovl_server *s,
    const uint8_t client_key[static 32]);
/* Copies the counters. */
void ovl_server_stats(const struct ovl_server *s,
    struct ovl_server_stats *st);
/*
 * Gives c (an open, relayed client connection) a fresh move token, good
 * once for OVL_MOVE_TOKEN_MS: a TCP connection that begins with the move
 * preamble and it becomes c's new path. -EINVAL: c is not such a
 * connection.
 */
int ovl_server_move_token(struct ovl_server *s, struct ovl_conn *c,
    uint8_t token[static OVL_MOVE_TOKEN_LEN]) WARN_UNUSED_RESULT;
/* Closes listeners and connections; done runs when all is released. */
void ovl_server_close(struct ovl_server *s,
    void (*done)(struct ovl_server *, void *arg), void *arg);

/* dial.c */

struct ovl_dial;

/*
 * How a candidate reaches the node: its text is "host:port" (direct) or
 * KIND+host:port with KIND one of "lan", "map" (a port mapped on the
 * node's router), "relay" (a relay the node keeps a link to) and "dht"
 * (an address the node announced on the DHT). Only relay changes how
 * the dialer talks; the others name where an address came from, for
 * reports.
 */
enum ovl_path {
	OVL_PATH_DIRECT = 0,
	OVL_PATH_LAN = 1,
	OVL_PATH_MAPPED = 2,
	OVL_PATH_RELAY = 3,
	OVL_PATH_DHT = 4,
	OVL_PATH_PUNCHED = 5,
};

/* The path's name: "direct", "lan", "mapped", "relay", "dht", "punched". */
const char *ovl_path_name(enum ovl_path p);
/*
 * Splits a candidate's kind off: returns the "host:port" part and sets
 * *kind, or NULL for an unknown kind.
 */
const char *ovl_path_split(const char *cand, enum ovl_path *kind);
/* How a dialer's connection reached the node (direct on a node's). */
enum ovl_path ovl_conn_path(const struct ovl_conn *c);

/* move.c: a live connection onto a new path (the limits are above) */

/* A path move ended: 0 when the connection runs on the new path. */
typedef void (*ovl_move_cb)(struct ovl_conn *c, int status, const char *why,
    void *arg);
/*
 * Client side: moves an open connection onto a new TCP path without its
 * channels noticing. Connects to each of addrs (numeric IPv4 ip:port, at
 * most 8, each with a dial candidate's kind, "punch+", "lan+", "map+"
 * or none: the path is then reported as that kind, none as direct) from
 * the connection's own local port (SO_REUSEADDR and
 * SO_REUSEPORT: the mapping a relay saw, and one half of a TCP
 * simultaneous open), again every 300 ms after a failure, for at most
 * timeout_ms; the first to connect carries the move preamble with token
 * (which the node gave), and once the node answers there the records
 * continue on it. cb runs once, unless the connection ends first.
 * -EALREADY: a move is under way or done; -EINVAL: not an open client
 * connection or a bad address; -EAFNOSUPPORT: not on IPv4.
 */
int ovl_conn_move(struct ovl_conn *c, const char *const *addrs, size_t n,
    const uint8_t token[static OVL_MOVE_TOKEN_LEN], uint32_t timeout_ms,
    ovl_move_cb cb, void *arg) WARN_UNUSED_RESULT;
/* The connection's local IPv4 port (0: none, or not IPv4). */
int ovl_conn_local_port(const struct ovl_conn *c);
/*
 * A TCP socket for one half of a simultaneous open: non-blocking, with
 * SO_REUSEADDR and SO_REUSEPORT, bound to 0.0.0.0:port (0: the kernel's
 * choice). The fd, or -errno.
 */
int ovl_punch_socket(uint16_t port);
/* Whether the connection moved onto another path since it opened. */
int ovl_conn_moved(const struct ovl_conn *c);

/* How to dial; a zero field takes the default. */
struct ovl_dial_cfg {
	uint32_t		timeout_ms;	/* overall, default 5000 */
	uint32_t		stagger_ms;	/* between candidates, 250 */
	struct ovl_limits	lim;		/* for the connection */
};

/*
 * The outcome of a dial: conn on success (status 0), else NULL with
 * -ETIMEDOUT, -ECONNREFUSED, -EACCES (the node closed without answering:
 * wrong or revoked key) or another error, and a human cause.
 */
typedef void (*ovl_dial_cb)(struct ovl_dial *, struct ovl_conn *conn,
    int status, const char *cause, void *arg);

/*
 * Dials a node at several candidate addresses ("host:port", numeric or
 * names; none when the caller adds them with ovl_dial_add), staggered;
 * the first completed handshake wins and the others are cancelled. Everything is copied. cb runs once (never from inside
 * this call). *out (may be NULL) lets the caller cancel; it is valid
 * until cb runs. The winning connection belongs to the caller, who ends
 * it with ovl_conn_close (take a ref to keep the pointer past on_close).
 */
int ovl_dial(uv_loop_t *loop, const struct ovl_identity *self,
    const uint8_t node_pub[static 32], const uint8_t psk[static 32],
    const char *const *addrs, size_t naddrs, const char *client_name,
    const struct ovl_dial_cfg *cfg, ovl_dial_cb cb, void *arg,
    struct ovl_dial **out) WARN_UNUSED_RESULT;
/* Cancels a dial in progress: cb runs with -ECANCELED before return. */
void ovl_dial_cancel(struct ovl_dial *d);
/*
 * Adds a candidate to a dial in progress (before its cb ran): "host:port"
 * or "lan+host:port" (found on the LAN; the kind stays in messages). It
 * starts in its turn, stagger_ms after the last one, or at once when no
 * other is in flight. -EEXIST when the
 * dial has that address already, -ENOSPC past 16 added, -EINVAL for bad
 * text.
 */
int ovl_dial_add(struct ovl_dial *d, const char *addr);
/*
 * Adds "punch+IP:PORT", dialed from local TCP port bind_port (with
 * SO_REUSEADDR and SO_REUSEPORT): the client's half of a simultaneous
 * open whose other half the node starts. -EINVAL for other text.
 */
int ovl_dial_add_punch(struct ovl_dial *d, const char *addr,
    uint16_t bind_port);
/*
 * Candidates may still come for ms (within the dial's timeout): a dial
 * whose candidates have all failed waits until then, and one with none
 * ends then with -ETIMEDOUT. Without a hold, a dial started with no
 * candidate waits for ovl_dial_add until its timeout.
 */
void ovl_dial_hold(struct ovl_dial *d, uint32_t ms);
/*
 * 1 while one of the dial's candidates has its TCP connection up (its
 * handshake under way) or has won: the address answers, so asking the
 * LAN can wait.
 */
int ovl_dial_answered(const struct ovl_dial *d);
/*
 * Sets the dial's deadline to ms from now, later or sooner than its
 * timeout said (a finder that needs longer, then no more).
 */
void ovl_dial_deadline(struct ovl_dial *d, uint32_t ms);

struct ovl_keeper;

/* Events of a keeper. */
enum ovl_keep_event {
	OVL_KEEP_CONNECTED,	/* conn is the new connection */
	OVL_KEEP_DISCONNECTED,	/* it dropped; re-dialing with backoff */
	OVL_KEEP_GAVE_UP,	/* max_attempts failed in a row */
};

/* How a keeper re-dials; a zero field takes the default. */
struct ovl_keep_cfg {
	struct ovl_dial_cfg	dial;
	uint32_t		backoff_min_ms;	/* first retry, 200 */
	uint32_t		backoff_max_ms;	/* cap, 30000 */
	uint32_t		max_attempts;	/* 0: never give up */
};

/* What a keeper tells its user; conn is set for CONNECTED only. */
typedef void (*ovl_keep_cb)(struct ovl_keeper *, enum ovl_keep_event ev,
    struct ovl_conn *conn, int status, const char *cause, void *arg);

/*
 * Keeps a connection to a node: dials, and after a drop or a failure
 * dials again after an exponential backoff with jitter.
 */
int ovl_keep_new(uv_loop_t *loop, const struct ovl_identity *self,
    const uint8_t node_pub[static 32], const uint8_t psk[static 32],
    const char *const *addrs, size_t naddrs, const char *client_name,
    const struct ovl_keep_cfg *cfg, ovl_keep_cb cb, void *arg,
    struct ovl_keeper **out) WARN_UNUSED_RESULT;
/* The current connection, or NULL while disconnected. */
struct ovl_conn *ovl_keep_conn(const struct ovl_keeper *k);
/* Stops keeping: closes the connection; freed once released. */
void ovl_keep_free(struct ovl_keeper *k);

#endif
