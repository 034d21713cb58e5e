/*
 * How the node is reached (node/reach.c, node/node-relay.c,
 * node/cmd-relay.c): the relays it keeps links to (the "relays" file of
 * the state dir, `pierd relay add|ls|rm`), the relay service it gives
 * nodes that hold a relay key of its own, and the state it reports in
 * node.reach and the "reach.json" file `pierd status` reads.
 */
#ifndef PIER_NODE_REACH_H
#define PIER_NODE_REACH_H

#include <jansson.h>

#include "overlay.h"

#define NODE_RELAYS_FILE	"relays"	/* NAME JOINKEY per line */
#define NODE_REACH_FILE		"reach.json"	/* the running node's view */
#define NODE_RELAYS_MAX		8		/* relays a node keeps */
#define NODE_RELAY_NAME_MAX	32

struct node;

/* One relay of the relays file. */
struct node_relay_ent {
	char			name[NODE_RELAY_NAME_MAX + 1];
	struct ovl_joinkey	jk;
};

/* Reads the relays file (missing: none); -errno with *cause. */
int	 node_relays_load(const char *dir, struct node_relay_ent *out,
	    size_t *n, char **cause) WARN_UNUSED_RESULT;
/* Writes it (0600, atomically). */
int	 node_relays_save(const char *dir, const struct node_relay_ent *v,
	    size_t n, char **cause) WARN_UNUSED_RESULT;
/*
 * The hints a join key gets besides the listen addresses: the mapped
 * address the running node verified ("map+...", from reach.json) and
 * one "relay+..." per relay. NULL-ended; *out NULL when none.
 */
int	 node_reach_hints(const char *dir, char ***out) WARN_UNUSED_RESULT;
/* `pierd relay add|ls|rm` (argv[0] is "relay"); an exit code. */
int	 node_relay_main(int argc, char **argv);
/* `pierd status`: the running node's reach.json, told. */
int	 node_status_main(int argc, char **argv);

struct node_reach;

/* Starts the relay service (lim: NULL or zeros for defaults), the links. */
int	 node_reach_new(struct node *n, const struct ovl_relay_limits *lim,
	    struct node_reach **out) WARN_UNUSED_RESULT;
/* The relays file changed: links follow it. */
void	 node_reach_reload(struct node_reach *r);
/* Stops links and splices; frees. */
void	 node_reach_free(struct node_reach *r);
/* The relay service (to hold relay links of other nodes). */
struct ovl_relay *node_reach_relay(struct node_reach *r);
/* The address a relay link sees the node at ("ip:port"), or NULL. */
const char *node_reach_public(const struct node_reach *r);
/* The verified mapped address ("ip:port"), or NULL. */
const char *node_reach_mapped(const struct node_reach *r);
/* What node.reach answers (a new object). */
json_t	*node_reach_json(struct node_reach *r);
/*
 * Asks a connected relay to dial back addr with a fresh probe token of
 * the node's server; cb gets 0 or why not. -ENOTCONN with no relay up.
 */
int	 node_reach_dialback(struct node_reach *r, const char *addr,
	    void (*cb)(int status, const char *why, void *arg), void *arg)
	    WARN_UNUSED_RESULT;
/* Something reports show changed (the DHT's state): rewrites reach.json. */
void	 node_reach_changed(struct node_reach *r);
/* Notes a mapping's state for reports (json borrowed, NULL: none). */
void	 node_reach_set_mapping(struct node_reach *r, json_t *mapping,
	    const char *verified_public);

#endif
