/*
 * A fake Docker engine for the HTTP layer's tests: a libuv server on a
 * unix socket (or loopback TCP) on the test's own loop that answers
 * /_ping with a chosen Api-Version and everything else in one chosen way,
 * including the faults a real engine will not produce on request.
 */
#ifndef PIER_DK_FAKE_H
#define PIER_DK_FAKE_H

#include <sys/queue.h>

#include "docker.h"
#include "dkt.h"

struct fk_conn;

/* How the fake engine answers requests other than /_ping. */
enum fk_mode {
	FK_JSON,	/* 200 {"ok": true, "path": ...} */
	FK_TRUNCATED,	/* 200 application/json, cut short JSON */
	FK_HTML,	/* 200 text/html */
	FK_RESET,	/* headers promise 1000 bytes, 10 come, then close */
	FK_SILENT,	/* never answers */
	FK_BIG,		/* 200 with a 8 KiB JSON string */
	FK_404,		/* 404 {"message": "No such container: web"} */
	FK_STREAM,	/* chunked, srv->chunks chunks every 5 ms */
	FK_TEXT_ERR,	/* 500 text/plain */
	FK_FLOOD,	/* 200 with flood bytes, as fast as the socket takes */
	FK_BURST,	/* chunked, 50 chunks in one write */
	FK_HEADERS,	/* 200 JSON after 40 KiB of headers */
	FK_RST,		/* over TCP: half a body, then a reset (RST) */
	FK_DRIP,	/* 200 JSON [0, ..., 99] in 8-byte drops every 5 ms */
};

/* The fake engine. */
struct fk_srv {
	uv_loop_t	*loop;
	uv_pipe_t	 pipe;
	uv_tcp_t	 tcp;
	int		 is_tcp;
	int		 port;
	char		 path[108];
	char		*dir;
	enum fk_mode	 mode;
	const char	*api;		/* Api-Version of /_ping, or NULL */
	int		 chunks;
	size_t		 flood;		/* bytes FK_FLOOD sends */
	size_t		 flood_sent;	/* of them, written to the socket */
	int		 nconn;
	int		 nreq;
	int		 nping;
	int		 peer_closed;	/* connections the client ended */
	char		 last_method[16];
	char		 last_path[512];
	char		 last_body[1024];
	LIST_HEAD(, fk_conn) conns;
};

/* Starts a fake engine (and inits loop) on a unix socket or TCP. */
void fk_start(struct fk_srv *srv, uv_loop_t *loop, int tcp);
/* Makes a client of the fake engine. */
struct dk_client *fk_client(struct fk_srv *srv,
    const struct dk_client_opts *opts);
/* A dk_close_cb that counts into an int. */
void fk_closed_cb(void *arg);
/* Closes the client (if any), the server and the loop. */
void fk_finish(struct fk_srv *srv, struct dk_client *c);
/* GETs a path and runs the loop until it ended. */
void fk_get(struct dk_client *c, uv_loop_t *loop, const char *path,
    struct dkt_res *res);

#endif
