/*
 * Internals shared by rpc.c (connections to nodes and calls on them) and
 * rpc-multi.c (one call on many nodes at once): the connection record
 * and the helpers both use (the cli__ tier). Nothing else includes it.
 */
#ifndef PIER_CLI_RPC_INT_H
#define PIER_CLI_RPC_INT_H

#include "cli.h"
#include "proto.h"

/* One call waiting for its reply (rpc.c). */
struct rpc_call;

/* One connection to a node. */
struct cli_rpc {
	struct cli_ctx		*x;
	char			*node;
	char			*addrs;		/* for messages */
	struct ovl_dial		*dial;
	struct cli_find		*find;		/* beside the dial */
	char			 tried[256];	/* what it asked */
	struct ovl_conn		*conn;
	struct proto_dec	 dec;
	struct rpc_call		*calls;
	json_int_t		 next_id;
	size_t			 timers;	/* call timers not yet closed */
	int			 dialed, dial_status;
	char			*dial_cause;
	int			 closed, closing;
	char			*close_reason;	/* cli_close_text's */
	cli_rpc_lost_cb		 lost_cb;
	void			*lost_arg;
	void			(*on_dialed)(struct cli_rpc *, void *);
	void			*dial_arg;
	struct cli__move	*mv;		/* rpc-move.c */
};

/* Sets *cause (when cause is not NULL) to a formatted text; returns err. */
int	 cli__rpc_cause(char **cause, int err, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Fills an error with a local failure (CLI_RPC_LOST or CLI_RPC_TIMEOUT). */
void	 cli__rpc_err_local(struct cli_rpc_error *e, int local,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Copies src into dst (dst overwritten). */
void	 cli__rpc_err_copy(struct cli_rpc_error *dst,
	    const struct cli_rpc_error *src);
/*
 * Starts dialing a book entry within timeout_ms; r->on_dialed (set by
 * the caller, may be NULL) runs when the dial is done, r->dial_status
 * saying how it went.
 */
int	 cli__rpc_start(struct cli_ctx *x, struct cli_node *n,
	    long timeout_ms, struct cli_rpc **out, char **cause)
	    WARN_UNUSED_RESULT;

/* Frees r once it is closing and nothing refers to it (its timers). */
void	 cli__rpc_maybe_free(struct cli_rpc *r);

/* rpc-move.c */

struct cli__move;
/* Starts moving r's connection to a direct path if it is relayed. */
void	 cli__move_start(struct cli_rpc *r);
/* Stops the moves (r closes, or its connection ended). */
void	 cli__move_stop(struct cli_rpc *r);

#endif
