/*
 * A node on a private loop and clients that speak channel 0 by hand,
 * shared by the node's loop tests (test-node-dispatch, test-node-fin):
 * the node listens on 127.0.0.1, Docker is down, hanging or the real
 * engine, and a client sends requests and collects the replies.
 */
#ifndef PIER_NODE_FX_H
#define PIER_NODE_FX_H

#include "test.h"
#include "node.h"

#define WAIT_MS		5000	/* a case fails rather than hang */

/* One client connection, its replies and its end. */
struct cl {
	struct fx		*fx;
	struct ovl_conn		*conn;
	struct proto_dec	 dec;
	json_t			*msgs;	/* owned: replies not yet taken */
	int			 dialed, dial_status;
	int			 closed, close_status;
	json_int_t		 next_id;
	int			 chan_closed;
};

/* A node on a private loop, and what a hanging Docker holds. */
struct fx {
	uv_loop_t	 loop;
	struct node	*node;
	char		*dir;
	char		*sock;		/* hanging Docker socket, or NULL */
	uv_pipe_t	 srv;
	uv_pipe_t	 peers[128];
	size_t		 npeers;
	uv_timer_t	 guard;
	int		 timed_out;
	int		 node_closed;
};

/* Starts a node; docker: "down", "hang" or "real". */
void	 fx_start(struct fx *fx, const char *docker, size_t audit_max);
/* Stops the node and checks that the loop closes clean. */
void	 fx_stop(struct fx *fx);
/* The guard timer's callback: sets timed_out (for a loop of one's own). */
void	 fx_on_guard(uv_timer_t *t);
/* Runs the loop until *flag is set; FAILs after WAIT_MS. */
void	 fx_wait(struct fx *fx, const int *flag);
/* Makes an access key with a role; its secret goes to secret. */
void	 fx_key(struct fx *fx, const char *name, enum proto_role role,
	    uint8_t secret[static OVL_KEY_LEN]);
/* Dials the node with a secret as the client key id. */
void	 cl_dial_as(struct fx *fx, struct cl *c,
	    const uint8_t secret[static 32], const struct ovl_identity *id);
/* Dials the node with a secret as a new client key. */
void	 cl_dial(struct fx *fx, struct cl *c, const uint8_t secret[static 32]);
/* Closes a client and frees what it holds. */
void	 cl_close(struct cl *c);
/* Writes raw bytes on channel 0. */
void	 cl_raw(struct cl *c, const void *buf, size_t len);
/* Sends a request; returns its id. params is stolen. */
json_int_t cl_send(struct cl *c, const char *method, json_t *params);
/* Takes the reply to id if it came (a new reference), else NULL. */
json_t	*cl_take(struct cl *c, json_int_t id);
/* Runs the loop until the reply to id came; a new reference. */
json_t	*cl_wait(struct cl *c, json_int_t id);
/* Calls a method and waits for its reply (a new reference). */
json_t	*cl_call(struct cl *c, const char *method, json_t *params);
/* The error code of a reply, 0 for a result. */
int	 err_code(const json_t *reply);
/* The error message of a reply, "" if none. */
const char *err_msg(const json_t *reply);
/*
 * Creates and starts a container of image running cmd (stolen), labelled
 * pier.test.case=label; returns its id (owned).
 */
char	*cl_container(struct cl *c, const char *image, const char *label,
	    json_t *cmd);
/* Waits until a container is no longer running (polling inspect). */
void	 cl_wait_exited(struct cl *c, const char *id);
/* Removes a container by force. */
void	 cl_remove(struct cl *c, const char *id);
/* The admin key the node made on its first start. */
void	 admin_secret(struct fx *fx, uint8_t secret[static OVL_KEY_LEN]);

#endif
