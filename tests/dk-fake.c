/*
 * The fake Docker engine of dk-fake.h. Each connection reads one request
 * (headers and a Content-Length body), answers it as the server's mode
 * says, and closes; streams are sent chunk by chunk from a timer.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "dk-fake.h"

/* One connection to the fake engine. */
struct fk_conn {
	union {
		uv_pipe_t	pipe;
		uv_tcp_t	tcp;
	}		 h;
	uv_timer_t	 timer;
	struct fk_srv	*srv;
	char		 buf[8192];
	size_t		 len;
	int		 answered;
	int		 sent;
	size_t		 flood_left;
	int		 closing;
	int		 nclose;
	LIST_ENTRY(fk_conn) entry;
};

/* One write with its own copy of the bytes. */
struct fk_write {
	uv_write_t	 w;
	struct fk_conn	*conn;
	int		 close_after;
	size_t		 len;
	char		 data[];
};

/* Frees a connection after both of its handles closed. */
static void
fk_conn_closed(uv_handle_t *h)
{
	struct fk_conn *conn = h->data;

	if (++conn->nclose == 2) {
		LIST_REMOVE(conn, entry);
		free(conn);
	}
}

/* Closes a connection's handles once. */
static void
fk_conn_close(struct fk_conn *conn)
{
	if (conn->closing)
		return;
	conn->closing = 1;
	uv_close((uv_handle_t *)&conn->h, fk_conn_closed);
	uv_close((uv_handle_t *)&conn->timer, fk_conn_closed);
}

static void	fk_send(struct fk_conn *, const char *, size_t, int);

/* Counts a flood write done and sends the next piece, 64 KiB at most. */
static void
fk_flood_next(struct fk_conn *conn, size_t done)
{
	static const char piece[65536];
	size_t n;

	if (done > 0) {
		conn->srv->flood_sent += done;
		conn->flood_left -= done;
	}
	if (conn->flood_left == 0) {
		fk_conn_close(conn);
		return;
	}
	n = conn->flood_left < sizeof piece ? conn->flood_left : sizeof piece;
	fk_send(conn, piece, n, 0);
}

/* A write finished: free it, and close if it was the last. */
static void
fk_write_cb(uv_write_t *w, int status)
{
	struct fk_write *fw = (struct fk_write *)w;
	struct fk_conn *conn = fw->conn;

	if (fw->close_after == 2 && conn->srv->is_tcp && !conn->closing) {
		conn->closing = 1;
		if (uv_tcp_close_reset(&conn->h.tcp, fk_conn_closed) != 0)
			uv_close((uv_handle_t *)&conn->h, fk_conn_closed);
		uv_close((uv_handle_t *)&conn->timer, fk_conn_closed);
	} else if (fw->close_after)
		fk_conn_close(conn);
	else if (status == 0 && conn->flood_left > 0)
		fk_flood_next(conn, fw->len);
	free(fw);
}

/*
 * Sends bytes; closes the connection after them if close_after (with a
 * TCP reset if it is 2).
 */
static void
fk_send(struct fk_conn *conn, const char *data, size_t len, int close_after)
{
	struct fk_write *fw;
	uv_buf_t b;

	if (conn->closing)
		return;
	fw = malloc(sizeof *fw + len);
	if (fw == NULL)
		abort();
	memcpy(fw->data, data, len);
	fw->conn = conn;
	fw->close_after = close_after;
	fw->len = len;
	b = uv_buf_init(fw->data, (unsigned)len);
	if (uv_write(&fw->w, (uv_stream_t *)&conn->h, &b, 1,
	    fk_write_cb) != 0) {
		free(fw);
		fk_conn_close(conn);
	}
}

/* Sends a whole response with a body, then closes. */
static void
fk_respond(struct fk_conn *conn, int code, const char *ctype,
    const char *extra, const char *body)
{
	char *r;
	int n;

	n = asprintf(&r, "HTTP/1.1 %d X\r\nContent-Type: %s\r\n%s"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", code, ctype,
	    extra, strlen(body), body);
	if (n < 0)
		abort();
	fk_send(conn, r, (size_t)n, 1);
	free(r);
}

/* Sends the next chunk of a stream, or its end. */
static void
fk_stream_tick(uv_timer_t *t)
{
	struct fk_conn *conn = t->data;
	char chunk[64], line[32];
	int n;

	if (conn->sent == conn->srv->chunks) {
		fk_send(conn, "0\r\n\r\n", 5, 1);
		return;
	}
	n = snprintf(line, sizeof line, "line %d\n", conn->sent++);
	n = snprintf(chunk, sizeof chunk, "%x\r\n%s\r\n", n, line);
	fk_send(conn, chunk, (size_t)n, 0);
	(void)uv_timer_start(&conn->timer, fk_stream_tick, 5, 0);
}

/* The JSON FK_DRIP sends: [0,1,...,99]. */
static const char *
fk_drip_body(void)
{
	static char body[512];
	size_t off = 0;
	int i;

	if (body[0] != '\0')
		return (body);
	for (i = 0; i < 100; i++)
		off += (size_t)snprintf(body + off, sizeof body - off, "%c%d",
		    i ? ',' : '[', i);
	(void)snprintf(body + off, sizeof body - off, "]");
	return (body);
}

/* Sends the next drop of FK_DRIP's body. */
static void
fk_drip_tick(uv_timer_t *t)
{
	struct fk_conn *conn = t->data;
	const char *b = fk_drip_body();
	size_t len = strlen(b), off = (size_t)conn->sent * 8;

	if (off >= len)
		return;
	conn->sent++;
	fk_send(conn, b + off, len - off < 8 ? len - off : 8, off + 8 >= len);
	(void)uv_timer_start(&conn->timer, fk_drip_tick, 5, 0);
}

/* Answers one complete request. */
static void
fk_answer(struct fk_conn *conn, const char *body)
{
	struct fk_srv *srv = conn->srv;
	char big[8300], ping_hdr[64], js[700], flood[160];
	size_t off;
	int n;
	static const char hdrs[] = "HTTP/1.1 200 OK\r\n"
	    "Content-Type: application/json\r\n";
	static const char tail[] = "Content-Length: 2\r\n\r\n{}";
	static const char reset[] = "HTTP/1.1 200 OK\r\n"
	    "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
	    "[1,2,3,4,5";

	srv->nreq++;
	(void)snprintf(srv->last_body, sizeof srv->last_body, "%s", body);
	if (strcmp(srv->last_path, "/_ping") == 0) {
		srv->nping++;
		ping_hdr[0] = '\0';
		if (srv->api != NULL)
			(void)snprintf(ping_hdr, sizeof ping_hdr,
			    "Api-Version: %s\r\nOSType: linux\r\n", srv->api);
		fk_respond(conn, 200, "text/plain", ping_hdr, "OK");
		return;
	}
	switch (srv->mode) {
	case FK_JSON:
		(void)snprintf(js, sizeof js,
		    "{\"ok\": true, \"path\": \"%s\"}", srv->last_path);
		fk_respond(conn, 200, "application/json", "", js);
		break;
	case FK_TRUNCATED:
		fk_respond(conn, 200, "application/json", "",
		    "[{\"Id\": \"abc\", \"Names\": [\"/we");
		break;
	case FK_HTML:
		fk_respond(conn, 200, "text/html", "", "<html>hi</html>");
		break;
	case FK_RESET:
		fk_send(conn, reset, strlen(reset), 1);
		break;
	case FK_BURST:
		off = (size_t)snprintf(big, sizeof big, "%sTransfer-Encoding: "
		    "chunked\r\n\r\n", hdrs);
		for (n = 0; n < 50; n++)
			off += (size_t)snprintf(big + off, sizeof big - off,
			    "8\r\nburst%02d\n\r\n", n);
		off += (size_t)snprintf(big + off, sizeof big - off,
		    "0\r\n\r\n");
		fk_send(conn, big, off, 1);
		break;
	case FK_HEADERS:
		for (n = 0; n < 1000; n++) {
			(void)snprintf(flood, sizeof flood, "X-Pad-%04d: "
			    "0123456789012345678901234567890\r\n", n);
			if (n == 0)
				fk_send(conn, hdrs, sizeof hdrs - 1, 0);
			fk_send(conn, flood, strlen(flood), 0);
		}
		fk_send(conn, tail, strlen(tail), 1);
		break;
	case FK_RST:
		fk_send(conn, reset, strlen(reset), 2);
		break;
	case FK_SILENT:
		break;
	case FK_BIG:
		memset(big, 'x', sizeof big);
		big[0] = '"';
		big[sizeof big - 2] = '"';
		big[sizeof big - 1] = '\0';
		fk_respond(conn, 200, "application/json", "", big);
		break;
	case FK_404:
		fk_respond(conn, 404, "application/json", "",
		    "{\"message\":\"No such container: web\"}\n");
		break;
	case FK_FLOOD:
		n = snprintf(flood, sizeof flood, "HTTP/1.1 200 OK\r\n"
		    "Content-Type: application/octet-stream\r\n"
		    "Content-Length: %zu\r\n\r\n", srv->flood);
		fk_send(conn, flood, (size_t)n, 0);
		conn->flood_left = srv->flood;
		fk_flood_next(conn, 0);
		break;
	case FK_DRIP:
		n = snprintf(flood, sizeof flood, "HTTP/1.1 200 OK\r\n"
		    "Content-Type: application/json\r\n"
		    "Content-Length: %zu\r\n\r\n", strlen(fk_drip_body()));
		fk_send(conn, flood, (size_t)n, 0);
		conn->timer.data = conn;
		(void)uv_timer_start(&conn->timer, fk_drip_tick, 5, 0);
		break;
	case FK_TEXT_ERR:
		fk_respond(conn, 500, "text/plain", "", "engine on fire\n");
		break;
	case FK_STREAM:
		fk_send(conn, hdrs, sizeof hdrs - 1, 0);
		fk_send(conn, "Transfer-Encoding: chunked\r\n\r\n", 30, 0);
		conn->timer.data = conn;
		(void)uv_timer_start(&conn->timer, fk_stream_tick, 5, 0);
		break;
	}
}

/* Collects request bytes; answers once the request is complete. */
static void
fk_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct fk_conn *conn = s->data;
	struct fk_srv *srv = conn->srv;
	const char *end, *cl;
	size_t hl, blen = 0;

	(void)b;
	if (n < 0) {
		srv->peer_closed++;
		fk_conn_close(conn);
		return;
	}
	conn->len += (size_t)n;
	conn->buf[conn->len] = '\0';
	if (conn->answered)
		return;
	end = strstr(conn->buf, "\r\n\r\n");
	if (end == NULL)
		return;
	hl = (size_t)(end - conn->buf) + 4;
	cl = strcasestr(conn->buf, "Content-Length:");
	if (cl != NULL && cl < end)
		blen = strtoul(cl + 15, NULL, 10);
	if (conn->len < hl + blen)
		return;
	conn->answered = 1;
	(void)sscanf(conn->buf, "%15s %511s", srv->last_method,
	    srv->last_path);
	fk_answer(conn, conn->buf + hl);
}

/* Hands out the connection's read buffer. */
static void
fk_alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct fk_conn *conn = h->data;

	(void)hint;
	*b = uv_buf_init(conn->buf + conn->len,
	    (unsigned)(sizeof conn->buf - 1 - conn->len));
}

/* Accepts a connection. */
static void
fk_conn_cb(uv_stream_t *server, int status)
{
	struct fk_srv *srv = server->data;
	struct fk_conn *conn;

	if (status != 0)
		return;
	conn = calloc(1, sizeof *conn);
	if (conn == NULL)
		abort();
	conn->srv = srv;
	LIST_INSERT_HEAD(&srv->conns, conn, entry);
	if (srv->is_tcp)
		(void)uv_tcp_init(srv->loop, &conn->h.tcp);
	else
		(void)uv_pipe_init(srv->loop, &conn->h.pipe, 0);
	(void)uv_timer_init(srv->loop, &conn->timer);
	conn->h.pipe.data = conn;
	conn->timer.data = conn;
	if (uv_accept(server, (uv_stream_t *)&conn->h) != 0) {
		fk_conn_close(conn);
		return;
	}
	srv->nconn++;
	(void)uv_read_start((uv_stream_t *)&conn->h, fk_alloc_cb, fk_read_cb);
}

/* Starts a fake engine on a unix socket (or TCP) in a fresh folder. */
void
fk_start(struct fk_srv *srv, uv_loop_t *loop, int tcp)
{
	struct sockaddr_in sin;
	struct sockaddr_storage ss;
	int len = sizeof ss;

	/* A client that gave up closes its end while we still write. */
	(void)signal(SIGPIPE, SIG_IGN);
	memset(srv, 0, sizeof *srv);
	srv->loop = loop;
	srv->api = "1.41";
	srv->chunks = 20;
	srv->is_tcp = tcp;
	LIST_INIT(&srv->conns);
	ASSERT_OK(uv_loop_init(loop));
	if (tcp) {
		ASSERT_OK(uv_tcp_init(loop, &srv->tcp));
		ASSERT_OK(uv_ip4_addr("127.0.0.1", 0, &sin));
		ASSERT_OK(uv_tcp_bind(&srv->tcp, (struct sockaddr *)&sin, 0));
		ASSERT_OK(uv_tcp_getsockname(&srv->tcp,
		    (struct sockaddr *)&ss, &len));
		srv->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		srv->tcp.data = srv;
		ASSERT_OK(uv_listen((uv_stream_t *)&srv->tcp, 64,
		    fk_conn_cb));
		return;
	}
	srv->dir = test_tmpdir();
	(void)snprintf(srv->path, sizeof srv->path, "%s/docker.sock",
	    srv->dir);
	ASSERT_OK(uv_pipe_init(loop, &srv->pipe, 0));
	ASSERT_OK(uv_pipe_bind(&srv->pipe, srv->path));
	srv->pipe.data = srv;
	ASSERT_OK(uv_listen((uv_stream_t *)&srv->pipe, 64, fk_conn_cb));
}

/* Makes a client of the fake engine. */
struct dk_client *
fk_client(struct fk_srv *srv, const struct dk_client_opts *opts)
{
	struct dk_endpoint ep;
	struct dk_client *c;
	char host[160], *cause = NULL;

	if (srv->is_tcp)
		(void)snprintf(host, sizeof host, "tcp://127.0.0.1:%d",
		    srv->port);
	else
		(void)snprintf(host, sizeof host, "unix://%s", srv->path);
	ASSERT_OK(dk_endpoint_parse(&ep, host, 0, 0, NULL, &cause));
	ASSERT_OK(dk_client_new(srv->loop, &ep, opts, &c, &cause));
	dk_endpoint_clear(&ep);
	return (c);
}

/* Notes that a client finished closing. */
void
fk_closed_cb(void *arg)
{
	(*(int *)arg)++;
}

/* Closes the client, the server and the loop; removes the folder. */
void
fk_finish(struct fk_srv *srv, struct dk_client *c)
{
	struct fk_conn *conn;
	int closed = 0;

	if (c != NULL) {
		dk_client_close(c, fk_closed_cb, &closed);
		while (closed == 0)
			(void)uv_run(srv->loop, UV_RUN_ONCE);
		ASSERT_EQ(closed, 1);
	}
	LIST_FOREACH(conn, &srv->conns, entry)
		fk_conn_close(conn);
	uv_close(srv->is_tcp ? (uv_handle_t *)&srv->tcp :
	    (uv_handle_t *)&srv->pipe, NULL);
	uv_run(srv->loop, UV_RUN_DEFAULT);
	ASSERT(LIST_EMPTY(&srv->conns));
	test_loop_close(srv->loop);
	if (srv->dir != NULL)
		test_rmtree(srv->dir);
}

/* GETs a path from the fake engine and waits for the outcome. */
void
fk_get(struct dk_client *c, uv_loop_t *loop, const char *path,
    struct dkt_res *res)
{
	struct dk_req_opts o = { .path = path };

	DKT(loop, *res, dk_request(c, &o, dkt_cb, res, NULL));
}

