/*
 * Internals of the node's listening side, shared by server.c (listeners,
 * limits, handshakes, the connections' lifetimes) and server-keys.c
 * (what the keystore's changes do to live connections and handshakes).
 * Nothing outside overlay/ includes this.
 */
#ifndef PIER_OVL_SERVER_INT_H
#define PIER_OVL_SERVER_INT_H

#include "net-int.h"

#define BUCKETS		1024	/* sources tracked by the rate limiter */
#define PROBE		8	/* slots looked at per source */
#define BACKLOG		128
#define PROBE_TOKENS	4	/* dial-back tokens answered at once */
#define PROBE_TOKEN_MS	60000	/* ... each for this long */

/* One listening socket. */
struct listener {
	uv_tcp_t		 tcp;
	struct ovl_server	*srv;
	struct listener		*next;
	int			 port;
	char			 addr[OVL_ADDR_MAX];
};

/* A token bucket of one source address. */
struct bucket {
	uint8_t		addr[16];
	int		used;
	double		tokens;
	uint64_t	last_ms;
};

/* A connection the server holds. */
struct sconn {
	struct ovl_server	*srv;
	struct ovl_conn		*conn;
	struct sconn		*prev;
	struct sconn		*next;
	struct ovl_hello	 hello;
	size_t			 key_index;
	int			 denied;	/* a revoked client key */
	int			 skewed;	/* its clock is off by skew_ms */
	int64_t			 skew_ms;
	int			 authed;
	int			 quiet;		/* already logged */
	int			 taken;		/* spliced on to a relay link */
	int			 relayed;	/* came through a relay */
	uint8_t			 move_tok[OVL_MOVE_TOKEN_LEN];
	uint64_t		 move_until;	/* loop ms; 0: no token */
};

/* A dial-back token the server answers for a while. */
struct token {
	uint8_t		tok[OVL_PROBE_LEN];
	uint64_t	until_ms;	/* 0: free */
};

/* The node's listening side. */
struct ovl_server {
	uv_loop_t			*loop;
	const struct ovl_identity	*id;
	struct ovl_keystore		*ks;
	struct ovl_limits		 lim;
	struct ovl_server_cbs		 cbs;
	void				*arg;
	struct listener			*listeners;
	size_t				 nlisteners;
	int				 open_handles;	/* listeners + timers */
	uv_timer_t			 defer;
	uv_timer_t			 expiry;	/* next key expiry */
	struct sconn			*conns;
	struct ovl_server_stats		 st;
	struct bucket			 buckets[BUCKETS];
	struct ovl_relay		*relay;
	struct token			 tokens[PROBE_TOKENS];
	size_t				 ntaken;	/* conns spliced now */
	size_t				 nrelayed;	/* conns via a relay now */
	uint64_t			 relayed_total;
	int				 closing;
	void				(*done)(struct ovl_server *, void *);
	void				*done_arg;
};

/* server.c */

/* Logs one line through the user's callback. */
void ovl__slog(struct ovl_server *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Re-reads the keys file, through the user if it asked to do it. */
void ovl__srv_keys_reload(struct ovl_server *s);

/* server-keys.c */

/* The keystore revoked client key fp: closes that client's connections. */
void ovl__srv_on_deny(const char *fp, void *arg);
/*
 * Closes c if its access key lets nobody in now (expired, disabled, its
 * uses taken), binding the client key to a limited key; 1 if closed.
 */
int ovl__srv_key_refused(struct ovl_server *s, struct ovl_conn *c,
    const uint8_t *client, const char *key_name);

/* server-move.c */

/* tmp began with a move preamble: give its socket to the token's owner. */
void ovl__srv_move(struct ovl_server *s, struct ovl_conn *tmp,
    const uint8_t *token);
/* A connection moved onto a new path (the conn ops' moved). */
void ovl__srv_moved(struct ovl_conn *c, const char *from);

#endif
