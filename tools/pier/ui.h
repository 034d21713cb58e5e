/*
 * `pier ui`: a local web page for the nodes, served by this process on
 * the loopback (see docs/UI.md). ui-http.c runs libwebsockets on the
 * client's libuv loop and guards every request (the secret token, Host
 * and Origin, the page's headers); ui-ws.c speaks the page's WebSocket
 * protocol (calls, and streams with credit); ui-nodes.c keeps one
 * overlay connection per joined node for every page; ui-assets.c, made
 * at build time by tools/ui-assets, holds the page's files.
 */
#ifndef PIER_UI_H
#define PIER_UI_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"

#define UI_TOKEN_LEN	32	/* hex characters of the secret */
#define UI_COOKIE	"pier_ui"	/* the cookie that keeps the token */
#define UI_HOST_MAX	300	/* "host:port" as the page names it */

struct cli_tpl_file;
struct lws_context;
struct lws;
struct ui_node;
struct ui_sess;

/* One page file, embedded at build time (ui-assets.c). */
struct ui_asset {
	const char		*path;		/* "/app.js" */
	const char		*type;		/* its content type */
	const unsigned char	*data;
	size_t			 len;
	const unsigned char	*gz;		/* the same, gzip'd */
	size_t			 gzlen;
};

/* The whole server: one per `pier ui`. */
struct ui {
	struct cli_ctx		*x;
	struct lws_context	*lws;
	char			 token[UI_TOKEN_LEN + 1];
	char			 host[UI_HOST_MAX];	/* "127.0.0.1:PORT" */
	char			 alt_host[UI_HOST_MAX];	/* "localhost:PORT" */
	int			 port;
	struct ui_node		*nodes;		/* one per book entry */
	size_t			 nnodes;
	struct ui_sess		*sessions;	/* open WebSockets */
	uv_timer_t		 tick;		/* pings for the round trips */
	int			 tick_on;
	int			 closing;	/* ui_nodes_free began */
	struct cli_tpl_file	*tpl;		/* app templates, once read */
};

/* ui-assets.c */

/* The page's files and their number. */
extern const struct ui_asset ui_assets[];
extern const size_t ui_nassets;

/* ui-http.c */

/*
 * Starts serving on host:port (port 0: any free one) on x's loop; the
 * port taken is in u->port, the token in u->token. 0 or -errno, *cause.
 */
int	 ui_http_start(struct ui *u, struct cli_ctx *x, const char *host,
	    int port, char **cause) WARN_UNUSED_RESULT;
/*
 * Stops serving; run the loop afterwards for lws to close its handles,
 * then call it again to free what lws holds (no-op when done).
 */
void	 ui_http_stop(struct ui *u);
/*
 * Tells whether a request may go on: Host one of the served names,
 * Origin (when sent) the same, the token as a query (?token=) or a
 * cookie. Pure, for the tests: 1 allowed, 0 refused.
 */
int	 ui_http_allowed(const struct ui *u, const char *host,
	    const char *origin, const char *query_token,
	    const char *cookie);
/* The asset for a request path ("/" is "/index.html"), or NULL. */
const struct ui_asset *ui_asset_find(const char *path);
/* Queues a WebSocket write for sess (ui-ws.c calls it). */
void	 ui_http_want_write(struct lws *wsi);

/* ui-ws.c */

/* A new WebSocket; NULL when out of memory (the socket is refused). */
struct ui_sess *ui_ws_open(struct ui *u, struct lws *wsi);
/*
 * A piece of a message arrived (first and final say which); the whole
 * message is handled at its end. 0, or -1 to close the socket.
 */
int	 ui_ws_recv(struct ui_sess *s, const void *buf, size_t len,
	    int binary, int first, int final);
/* The socket may be written: one message. 0, or -1 to close it. */
int	 ui_ws_writable(struct ui_sess *s);
/* The socket closed: every stream reset, every call forgotten. */
void	 ui_ws_close(struct ui_sess *s);
/* Sends a JSON message (stolen) to the page; -ENOBUFS when over bound. */
int	 ui_ws_send_json(struct ui_sess *s, json_t *m);

/* ui-nodes.c */

/* An operation waiting for (or running on) a node's connection. */
struct ui_op;
/* Receives the node's connection, or NULL with why when it failed. */
typedef void (*ui_node_cb)(struct ui_node *, struct cli_rpc *,
    const char *why, void *arg);

/* Sets up one record per joined node; 0 or -ENOMEM. */
int	 ui_nodes_init(struct ui *u) WARN_UNUSED_RESULT;
/* Closes every connection and frees the records. */
void	 ui_nodes_free(struct ui *u);
/* The record of the node called name, or NULL. */
struct ui_node *ui_node_find(struct ui *u, const char *name);
/*
 * Runs cb with the node's connection, dialing first if there is none;
 * cb may run before this returns. 0 or -ENOMEM (cb not called).
 */
int	 ui_node_with(struct ui_node *n, ui_node_cb cb, void *arg)
	    WARN_UNUSED_RESULT;
/* Every node with its state, for the page: a new array. */
json_t	*ui_nodes_json(struct ui *u);
/* The node's name. */
const char *ui_node_name(const struct ui_node *n);
/* Starts pinging connected nodes (their round trip for the page). */
void	 ui_nodes_tick_start(struct ui *u);

/* ui-tpl.c */

/* The deployable app templates, {templates: [...]}, or NULL, *cause. */
json_t	*ui_tpl_list(struct ui *u, char **cause);
/* A deploy wizard's answers as {params} of container.create, or NULL. */
json_t	*ui_tpl_params(struct ui *u, const json_t *msg, char **cause);
/* Frees the templates read. */
void	 ui_tpl_free(struct ui *u);

#endif
