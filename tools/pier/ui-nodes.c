/*
 * The nodes of `pier ui`: one overlay connection per joined node, shared
 * by every page and every call, dialed when first needed and again after
 * it was lost. What waits for a dial is a list of callbacks (ui_node_with)
 * run once the dial is done, with the connection or why there is none.
 * While connected, a node is pinged every UI_PING_MS for the round trip
 * the page shows; the path (direct, lan, mapped, relay) is the dial's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ui.h"

#define UI_PING_MS	5000	/* between round-trip pings */
#define UI_DIAL_MS	5000	/* a dial's budget */

/* One callback waiting for a node's dial. */
struct ui_wait {
	ui_node_cb	 cb;
	void		*arg;
	struct ui_wait	*next;
};

/* One joined node. */
struct ui_node {
	struct ui	*u;
	char		*name;
	struct cli_rpc	*r;		/* NULL: not connected */
	int		 dialing;
	struct ui_wait	*waits;		/* for the dial, oldest first */
	char		*err;		/* why the last dial or link failed */
	uint64_t	 rtt_us;	/* last ping, 0 unknown */
	int		 pinging;
};

/* The node's name. */
const char *
ui_node_name(const struct ui_node *n)
{
	return (n->name);
}

/* Records why a node is not reachable. */
static void
node_set_err(struct ui_node *n, const char *why)
{
	free(n->err);
	n->err = why != NULL ? strdup(why) : NULL;
}

/* The link ended by itself: the next use dials again. */
static void
node_lost(struct cli_rpc *r, const char *why, void *arg)
{
	struct ui_node	*n = arg;

	node_set_err(n, why);
	n->rtt_us = 0;
	if (n->r == r) {
		n->r = NULL;
		cli_rpc_close(r);
	}
}

/* The dial ended: every waiting callback hears how. */
static void
node_dialed(struct cli_rpc *r, int status, const char *why, void *arg)
{
	struct ui_node	*n = arg;
	struct ui_wait	*w;

	n->dialing = 0;
	if (status == 0 && n->u->closing) {
		cli_rpc_close(r);	/* pier ui is ending */
		r = NULL;
		status = -ECANCELED;
		why = "pier ui is ending";
	}
	if (status == 0) {
		n->r = r;
		node_set_err(n, NULL);
		cli_rpc_on_lost(r, node_lost, n);
	} else
		node_set_err(n, why);
	while ((w = n->waits) != NULL) {
		n->waits = w->next;
		w->cb(n, n->r, n->r == NULL ? n->err : NULL, w->arg);
		free(w);
	}
}

/* Runs cb with the node's connection, dialing when needed. */
int
ui_node_with(struct ui_node *n, ui_node_cb cb, void *arg)
{
	struct ui_wait	*w, **tail;
	char		*cause = NULL;
	int		 err;

	if (n->r != NULL && cli_rpc_lost(n->r) == NULL) {
		cb(n, n->r, NULL, arg);
		return (0);
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return (-ENOMEM);
	w->cb = cb;
	w->arg = arg;
	for (tail = &n->waits; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = w;
	if (n->dialing)
		return (0);
	n->dialing = 1;
	err = cli_rpc_open_async(n->u->x, n->name, UI_DIAL_MS, node_dialed,
	    n, NULL, &cause);
	if (err != 0) {
		node_dialed(NULL, err, cause != NULL ? cause :
		    strerror(-err), n);
		free(cause);
	}
	return (0);
}

/* A ping's answer. */
static void
node_pong(struct ovl_conn *c, int status, uint64_t rtt_us, void *arg)
{
	struct ui_node	*n = arg;

	n->pinging = 0;
	if (status == 0)
		n->rtt_us = rtt_us;
}

/* Every UI_PING_MS: ping the connected nodes. */
static void
nodes_tick(uv_timer_t *t)
{
	struct ui	*u = container_of(t, struct ui, tick);
	struct ui_node	*n;
	size_t		 i;

	for (i = 0; i < u->nnodes; i++) {
		n = &u->nodes[i];
		if (n->r == NULL || n->pinging || cli_rpc_lost(n->r) != NULL)
			continue;
		if (ovl_conn_ping(cli_rpc_conn(n->r), node_pong, n) == 0)
			n->pinging = 1;
	}
}

/* Starts the pings. */
void
ui_nodes_tick_start(struct ui *u)
{
	if (uv_timer_init(&u->x->loop, &u->tick) != 0)
		return;
	u->tick_on = 1;
	(void)uv_timer_start(&u->tick, nodes_tick, 0, UI_PING_MS);
}

/* Sets up the node records from the address book. */
int
ui_nodes_init(struct ui *u)
{
	size_t	i;

	u->nnodes = u->x->book.n;
	u->nodes = calloc(u->nnodes + 1, sizeof(*u->nodes));
	if (u->nodes == NULL)
		return (-ENOMEM);
	for (i = 0; i < u->nnodes; i++) {
		u->nodes[i].u = u;
		u->nodes[i].name = strdup(u->x->book.nodes[i].name);
		if (u->nodes[i].name == NULL)
			return (-ENOMEM);
	}
	return (0);
}

/* Closes the connections and frees the records. */
void
ui_nodes_free(struct ui *u)
{
	struct ui_node	*n;
	size_t		 i;

	if (u->tick_on) {
		uv_timer_stop(&u->tick);
		uv_close((uv_handle_t *)&u->tick, NULL);
		u->tick_on = 0;
	}
	u->closing = 1;
	for (i = 0; u->nodes != NULL && i < u->nnodes; i++) {
		n = &u->nodes[i];
		if (n->r != NULL) {
			cli_rpc_on_lost(n->r, NULL, NULL);
			cli_rpc_close(n->r);
		}
	}
	/* Pings and closes finish on the loop, their records still here. */
	uv_run(&u->x->loop, UV_RUN_DEFAULT);
	for (i = 0; u->nodes != NULL && i < u->nnodes; i++) {
		free(u->nodes[i].name);
		free(u->nodes[i].err);
	}
	free(u->nodes);
	u->nodes = NULL;
	u->nnodes = 0;
}

/* The record called name, or NULL. */
struct ui_node *
ui_node_find(struct ui *u, const char *name)
{
	size_t	i;

	for (i = 0; name != NULL && i < u->nnodes; i++)
		if (strcmp(u->nodes[i].name, name) == 0)
			return (&u->nodes[i]);
	return (NULL);
}

/* Every node with its state, for the page. */
json_t *
ui_nodes_json(struct ui *u)
{
	const struct cli_node	*b;
	struct ui_node		*n;
	json_t			*arr, *o;	/* owned */
	const char		*state;
	size_t			 i;

	arr = json_array();
	for (i = 0; arr != NULL && i < u->nnodes; i++) {
		n = &u->nodes[i];
		b = cli_book_find(&u->x->book, n->name);
		if (n->r != NULL && cli_rpc_lost(n->r) == NULL)
			state = "reachable";
		else if (n->dialing)
			state = "connecting";
		else if (n->err != NULL)
			state = "unreachable";
		else
			state = "idle";
		o = json_pack("{s:s, s:s, s:s?, s:s?, s:s?}",
		    "name", n->name, "state", state,
		    "role", b != NULL ? b->role : NULL,
		    "address", b != NULL ? b->addr : NULL,
		    "error", strcmp(state, "unreachable") == 0 ? n->err :
		    NULL);
		if (o != NULL && strcmp(state, "reachable") == 0) {
			(void)json_object_set_new(o, "path", json_string(
			    ovl_path_name(ovl_conn_path(cli_rpc_conn(n->r)))));
			if (n->rtt_us > 0)
				(void)json_object_set_new(o, "rtt_ms",
				    json_real((double)n->rtt_us / 1000.0));
		}
		if (o == NULL || json_array_append_new(arr, o) != 0) {
			json_decref(arr);
			return (NULL);
		}
	}
	return (arr);
}
