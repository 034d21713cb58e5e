/*
 * A fixture shared by the overlay's loop tests: a private loop, a node
 * (identity, keystore in a temporary folder, a server on loopback with an
 * echo service), client identities, and a dial that runs to completion.
 */
#ifndef PIER_OVERLAY_NET_FX_H
#define PIER_OVERLAY_NET_FX_H

#include "overlay.h"
#include "test.h"

#define FX_MAX_LOGS	64

/* The node under test and what it saw. */
struct fx {
	uv_loop_t			 loop;
	char				*dir;
	struct ovl_keystore		*ks;
	struct ovl_identity		 node_id;
	struct ovl_identity		 client_id;
	uint8_t				 psk[OVL_KEY_LEN];	/* "admin" */
	struct ovl_limits		 lim;
	struct ovl_server		*srv;
	int				 port;		/* 127.0.0.1 */
	int				 port6;		/* ::1, 0 if none */
	char				 addr[64];	/* 127.0.0.1:port */
	char				 addr6[64];
	int				 nlogs;
	char				 logs[FX_MAX_LOGS][256];
	int				 auths;
	struct ovl_conn			*last_auth;
	int				 server_closed;
	int				 echo_closes;	/* server-side chans */
	int				 pause_chans;	/* pause new ones */
	int				 refuse_code;	/* on_auth's answer */
	struct ovl_chan			*last_chan;	/* last one opened */
	void				(*on_auth_extra)(struct fx *,
					    struct ovl_conn *);
	struct ovl_conn			*held[64];	/* dialed, ref'd */
	int				 nheld;
};

/* Sets up a loop, keystore with an admin key, identities; no server. */
void fx_init(struct fx *f);
/* Starts the server on 127.0.0.1:0 (and [::1]:0 when v6 works). */
void fx_listen(struct fx *f);
/* Closes the server (if any) and runs the loop until it is released. */
void fx_stop_server(struct fx *f);
/* Closes everything, checks the loop closes, frees the fixture. */
void fx_done(struct fx *f);
/* Counts log lines containing needle. */
int fx_log_count(const struct fx *f, const char *needle);

/* Connection callbacks recording on_close into a struct fx_closed. */
struct fx_closed {
	int		closed;
	int		status;
	char		reason[320];
};

/*
 * The outcome of a dial run by fx_dial. The connection is held (a ref)
 * until fx_done, so the pointer stays valid after it closes.
 */
struct fx_dial {
	struct fx		*f;
	int			 done;
	int			 status;
	char			 cause[320];
	struct ovl_conn		*conn;
	struct fx_closed	 cl;		/* its close, until replaced */
	uint64_t		 ms;		/* how long it took */
	uint64_t		 start;
};

/* Starts a dial; the result lands in r (run the loop). */
void fx_dial_start(struct fx *f, const char *const *addrs, size_t n,
    const uint8_t psk[static 32], uint32_t timeout_ms, struct fx_dial *r);
/* Dials and runs the loop until the dial ends. */
void fx_dial(struct fx *f, const char *const *addrs, size_t n,
    const uint8_t psk[static 32], uint32_t timeout_ms, struct fx_dial *r);
/* Runs the loop until *flag is non-zero or ms pass; returns *flag. */
int fx_run_until(struct fx *f, const int *flag, uint64_t ms);
/* Runs the loop for ms milliseconds. */
void fx_run_for(struct fx *f, uint64_t ms);
/* Runs the loop until cond holds or about ms pass, in 10 ms steps (the
 * caller asserts cond). */
#define FX_RUN_UNTIL(f, cond, ms) do {					\
	uint64_t fx_i_;							\
	for (fx_i_ = 0; fx_i_ < (ms) / 10 && !(cond); fx_i_++)		\
		fx_run_for((f), 10);					\
} while (0)

/* A client-side echo check: bytes received on a channel. */
struct fx_sink {
	uint8_t		*buf;
	size_t		 len;
	int		 any;		/* some bytes came */
	int		 eof;
	int		 closed;
	int		 close_status;
};

/* Channel callbacks that append into a struct fx_sink (arg). */
extern const struct ovl_chan_cbs fx_sink_cbs;

/* Sets conn callbacks that record the close into r. */
void fx_watch_close(struct ovl_conn *c, struct fx_closed *r);

#endif
