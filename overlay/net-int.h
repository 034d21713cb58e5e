/*
 * Internals shared by conn.c, conn-hs.c, conn-timer.c, conn-user.c,
 * server.c and dial.c (the ovl__ tier): how the server and the dialer
 * make a connection, drive its handshake and learn how it ended, and
 * what the connection's own files call across each other. Nothing
 * outside overlay/ includes this.
 */
#ifndef PIER_OVL_NET_INT_H
#define PIER_OVL_NET_INT_H

#include <stddef.h>

#include "overlay.h"

#ifndef container_of
/* The struct that embeds member, from a pointer to it. */
#define container_of(ptr, type, member)					\
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#endif
#define OVL__LINGER_MS	1000	/* wait for a go-away to leave, at most */

/* What the owner of a connection (server or dialer) hears from it. */
struct ovl__conn_ops {
	/*
	 * Node side: answers message 1, filling reply (OVL_HS_MAX bytes)
	 * and the keys. Non-zero refuses silently (why for the log).
	 */
	int	(*respond)(struct ovl_conn *, const uint8_t *msg, size_t len,
		    uint8_t *reply, size_t *replylen, struct ovl_hs_keys *s,
		    const char **why);
	/* The handshake finished: the connection is open. */
	void	(*opened)(struct ovl_conn *);
	/* The connection ended (was_open says whether after handshake). */
	void	(*ended)(struct ovl_conn *, int status, const char *why,
		    int was_open);
	/* Handles closed; called before the connection's own ref drops. */
	void	(*released)(struct ovl_conn *);
	/*
	 * Node side: the dialer began with a preamble (OVL_PRE_LEN bytes)
	 * instead of message 1; rest is what followed it in the same read
	 * (valid during the call). Takes the stream (ovl__conn_take) or
	 * aborts the connection. NULL: preambles are refused.
	 */
	void	(*preamble)(struct ovl_conn *, const uint8_t *pre,
		    const uint8_t *rest, size_t restlen);
	/*
	 * Node side: the connection moved onto another path (move.c);
	 * from is the peer text it had before. May be NULL.
	 */
	void	(*moved)(struct ovl_conn *, const char *from);
};

/* Connection states. */
enum conn_state {
	CONN_HS,	/* handshake in progress */
	CONN_OPEN,	/* records flow */
	CONN_CLOSING,	/* ended; lingering or closing handles */
	CONN_RAW,	/* its stream was taken (a splice, a probe) */
};

/* A ping waiting for its reply (cb NULL for keepalives). */
struct ping_wait {
	uint32_t	 value;
	uint64_t	 sent_ns;
	ovl_ping_cb	 cb;
	void		*arg;
};

/* A write request with its bytes (conn.c). */
struct wreq {
	uv_write_t		 req;
	struct ovl_conn		*c;
	size_t			 len;
	size_t			 cap;		/* bytes of data */
	uint8_t			 data[];
};

/* One connection: handles, record and mux state, timers, owner. */
struct ovl_conn {
	uv_loop_t		*loop;
	uv_tcp_t		 tcp;
	uv_stream_t		*stream;	/* what records are written to */
	uv_stream_t		*rstream;	/* ... and read from */
	struct ovl__move	*mv;		/* a path move (move.c) */
	int			 tcp_closed;	/* the first path closed */
	uv_timer_t		 timer;
	int			 nhandles;	/* handles not yet closed */
	int			 refs;
	enum conn_state		 state;
	int			 dialer;
	int			 closing_handles;
	uv_shutdown_t		 sreq;		/* our FIN after a go-away */
	int			 shut;
	int			 peer_eof;	/* the peer finished sending */
	struct ovl_limits	 lim;
	struct ovl_rec		 rec;
	struct ovl_mux		*mux;
	uint8_t			*rbuf;		/* read buffer (NULL: quiet) */
	struct wreq		*spare;		/* a finished write's buffer */
	int			 quiet_armed;	/* the timer will free them */
	struct ovl_hs_client	*hs;
	uint64_t		 hs_deadline;
	uint64_t		 last_rx;	/* loop ms of the last read */
	uint64_t		 last_tx;	/* ... of the last write queued */
	uint64_t		 last_wdone;	/* ... of the last write done */
	uint64_t		 last_io;	/* ... of the last I/O */
	uint64_t		 linger_until;
	size_t			 inflight;	/* bytes queued to the stream */
	int			 flushing;
	int			 flush_again;
	int			 in_input;
	struct ping_wait	*pings;		/* NULL while none waits */
	size_t			 npings;
	size_t			 pings_cap;	/* up to OVL_MAX_PINGS */
	uint32_t		 ping_seq;
	uint8_t			 remote_key[OVL_KEY_LEN];
	uint8_t			 pre[OVL_PRE_LEN];	/* a preamble so far */
	uint8_t			 npre;
	uint8_t			 pre_done;	/* message 1 or a preamble */
	uint8_t			 peer_fixed;	/* peer set by the owner */
	enum ovl_path		 path;		/* how a dialer got here */
	char			 peer[64];
	char			 key_name[OVL_KEY_NAME_MAX + 1];
	size_t			 key_index;
	const struct ovl__conn_ops *ops;
	void			*owner;
	struct ovl_conn_cbs	 cbs;
	void			*arg;
	void			*data;
};

/* Makes a connection with its TCP and timer handles initialised. */
int ovl__conn_new(uv_loop_t *loop, int dialer, const struct ovl_limits *lim,
    const struct ovl__conn_ops *ops, void *owner, struct ovl_conn **out)
    WARN_UNUSED_RESULT;
/* The connection's TCP handle (to accept into or connect). */
uv_tcp_t *ovl__conn_tcp(struct ovl_conn *c);
/* A handle of the connection closed (its data is the connection). */
void ovl__conn_handle_closed(uv_handle_t *h);
/* Starts reading s, the connection's stream from now on. */
int ovl__conn_read_from(struct ovl_conn *c, uv_stream_t *s)
    WARN_UNUSED_RESULT;
/* Moves what the mux has ready to the stream (a path move's switch). */
void ovl__conn_kick(struct ovl_conn *c);
/* Ends without a byte more written (refusal, failure, cancel). */
void ovl__conn_abort(struct ovl_conn *c, int status, const char *why);
/* Allocates a write request with room for cap bytes (NULL: no memory). */
struct wreq *ovl__wreq_new(size_t cap);
/* Queues a write of len bytes of w (already filled); frees w on failure. */
int ovl__conn_write(struct ovl_conn *c, struct wreq *w, size_t len)
    WARN_UNUSED_RESULT;
/* Starts reading the stream into the connection. */
int ovl__conn_read_start(struct ovl_conn *c) WARN_UNUSED_RESULT;
/* Switches to records with the handshake's keys (it is done). */
int ovl__conn_go_open(struct ovl_conn *c, struct ovl_hs_keys *s)
    WARN_UNUSED_RESULT;
/*
 * Ends the connection once: a go-away (code) if goaway and open,
 * channels closed, the user and the owner told.
 */
void ovl__conn_end(struct ovl_conn *c, int status, const char *why,
    int goaway, uint32_t code);
/* Closes both handles (once); the last close releases the connection. */
void ovl__conn_close_handles(struct ovl_conn *c);
/* The owner pointer given to ovl__conn_new. */
void *ovl__conn_owner(const struct ovl_conn *c);
/* Changes the owner (a dialer hands the winner over). */
void ovl__conn_set_owner(struct ovl_conn *c,
    const struct ovl__conn_ops *ops, void *owner);
/* Records which access key a node-side connection used. */
void ovl__conn_set_key(struct ovl_conn *c, const char *name, size_t index);
/* Fills the peer address text from the TCP handle. */
void ovl__conn_set_peer(struct ovl_conn *c);
/* Sets the peer address text from a sockaddr. */
void ovl__conn_peer_from(struct ovl_conn *c, const struct sockaddr *sa);
/* Formats a sockaddr as "ip:port" or "[ip6]:port". */
void ovl__addr_format(const struct sockaddr *sa, char *out, size_t cap);
/*
 * Parses "host:port" or "[v6]:port" into host (cap bytes) and port;
 * -EINVAL with a reason in *why.
 */
int ovl__addr_split(const char *s, char *host, size_t cap, int *port,
    const char **why) WARN_UNUSED_RESULT;
/* Sends a ping and remembers it; cb NULL for a keepalive. */
int ovl__conn_send_ping(struct ovl_conn *c, ovl_ping_cb cb, void *arg);
/* Bytes of the buffers a connection holds now (read, write, records, pings). */
size_t ovl__conn_held(const struct ovl_conn *c);
/* Takes the i-th waiting ping out; frees the list once it is empty. */
struct ping_wait ovl__conn_take_ping(struct ovl_conn *c, size_t i);
/* Fills the zero fields of l with the defaults. */
void ovl__limits_fill(struct ovl_limits *l);
/* Wall-clock milliseconds since 1970, for handshake timestamps. */
uint64_t ovl__wall_ms(void);
/* The clock message 1 carries (the wall clock; tests may offset it). */
uint64_t ovl__client_clock_ms(void);

/*
 * Takes the connection's stream for raw bytes: no more reads into the
 * connection, no timer. The caller reads and writes the stream itself
 * (its data pointer is the caller's) and ends with ovl__conn_abort.
 */
uv_stream_t *ovl__conn_take(struct ovl_conn *c);
/* Sets the peer text for good (a relayed client's address). */
void ovl__conn_fix_peer(struct ovl_conn *c, const char *text);

/* splice.c */
struct ovl__splice;
/* Closes the stream of an ended splice (its owner's way). */
typedef void (*ovl__splice_close_cb)(uv_stream_t *, void *arg);
/* A splice ended (status 0 when both sides finished). */
typedef void (*ovl__splice_done_cb)(struct ovl__splice *, int status,
    void *arg);
/* Counters of a splice. */
struct ovl__splice_stats {
	uint64_t	to_chan;	/* bytes from the stream */
	uint64_t	to_stream;	/* bytes from the channel */
	uint64_t	started_ms;	/* loop time */
};
/*
 * Splices stream s and channel ch (whose callbacks it takes); first
 * (copied) goes to the channel before anything read. On failure the
 * caller still owns both.
 */
int ovl__splice_new(uv_stream_t *s, ovl__splice_close_cb close_stream,
    void *close_arg, struct ovl_chan *ch, const uint8_t *first,
    size_t firstlen, ovl__splice_done_cb done, void *arg,
    struct ovl__splice **out) WARN_UNUSED_RESULT;
/* Writes len bytes (copied as needed) to the splice's stream. */
int ovl__splice_to_stream(struct ovl__splice *sp, const uint8_t *p,
    size_t len) WARN_UNUSED_RESULT;
/* Ends a splice now: the channel reset, the stream closed, done told. */
void ovl__splice_kill(struct ovl__splice *sp, int status);
/* Copies the splice's counters. */
void ovl__splice_stats(const struct ovl__splice *sp,
    struct ovl__splice_stats *st);

/* server.c: preambles and relayed clients */
#define OVL__PRE_SPLICE	"\xffpr\x01"	/* then a target id */
#define OVL__PRE_PROBE	"\xffpb\x01"	/* then a token */
#define OVL__PRE_MOVE	"\xffpm\x01"	/* then a move token */

/* move.c: a live connection onto another path */
struct ovl__move;
/* Tells whether a record's plaintext is the move record's. */
int ovl__move_is_record(const uint8_t *pt, size_t len);
/*
 * The peer's move record arrived on the read stream: switch reading to
 * the new path (and, on the node, answer with ours). -EPROTO when no
 * move was under way.
 */
int ovl__move_rx(struct ovl_conn *c) WARN_UNUSED_RESULT;
/*
 * Node side: tmp began with a move preamble whose token the server gave
 * c: c takes tmp's socket as its new path and answers there. tmp is
 * the caller's to abort.
 */
int ovl__move_attach(struct ovl_conn *c, struct ovl_conn *tmp,
    const uint8_t token[static OVL_MOVE_TOKEN_LEN]) WARN_UNUSED_RESULT;
/* The connection ends: a move under way fails, its handles close. */
void ovl__move_end(struct ovl_conn *c);
/* Closes the handles of the move's (part of closing the connection). */
void ovl__move_close_handles(struct ovl_conn *c);
/*
 * Takes a stream socket carrying a relayed client (peer: its text, src:
 * its address for the rate limit, or NULL); the fd is the server's.
 */
int ovl__server_adopt(struct ovl_server *s, uv_os_sock_t fd,
    const char *peer, const struct sockaddr *src);

/* relay.c */
/*
 * Takes bytes of a splice header (a length 1..OVL_SPLICE_HDR_MAX, then
 * that many bytes) into hdr, have bytes held: 1 once whole with *used
 * bytes of buf taken, 0 for more, -EPROTO for a bad length.
 */
int ovl__splice_hdr_take(uint8_t hdr[static 1 + OVL_SPLICE_HDR_MAX],
    size_t *have, const uint8_t *buf, size_t len, size_t *used);
/* Parses a numeric "ip:port" or "[ip6]:port"; -EINVAL otherwise. */
int ovl__addr_sockaddr(const char *text, struct sockaddr_storage *ss);
/*
 * A client asked the relay for target id; rest followed the preamble.
 * 0: the connection is spliced; else the caller aborts it silently.
 */
int ovl__relay_splice(struct ovl_relay *r, struct ovl_conn *c,
    const uint8_t id[static OVL_RELAY_ID_LEN], const uint8_t *rest,
    size_t restlen) WARN_UNUSED_RESULT;

/* conn-hs.c */
/* Node side: begins reading message 1 under the handshake timeout. */
int ovl__conn_start_node(struct ovl_conn *c) WARN_UNUSED_RESULT;
/* Client side, once TCP is connected: sends message 1, awaits 2. */
int ovl__conn_start_client(struct ovl_conn *c, const struct ovl_identity *id,
    const uint8_t node_pub[static 32], const uint8_t psk[static 32],
    const char *name) WARN_UNUSED_RESULT;
/* The node answers message 1, or closes without a word. */
void ovl__conn_node_msg1(struct ovl_conn *c, const uint8_t *msg,
    size_t len);
/* The client reads message 2 and opens, or closes. */
void ovl__conn_client_msg2(struct ovl_conn *c, const uint8_t *msg,
    size_t len);

/* conn-timer.c */
/* Works out the next deadline and sets the timer. */
void ovl__conn_arm_timer(struct ovl_conn *c);

#endif
