/*
 * The HTTP layer of the Docker client against a fake engine on a unix
 * socket (and one on loopback TCP), for what a real engine will not do on
 * request: truncated JSON, a wrong content type, a connection dropped in
 * the middle of a body, a server that never answers, an oversized body,
 * an old API version. Also streams with pause, resume and cancel, client
 * shutdown with requests in flight, unreachable sockets, and the pure
 * parts: endpoints, paths and error mapping.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "dkt.h"
#include "dk-http.h"

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
	int		 nconn;
	int		 nreq;
	int		 nping;
	int		 peer_closed;	/* connections the client ended */
	char		 last_method[16];
	char		 last_path[512];
	char		 last_body[1024];
	LIST_HEAD(, fk_conn) conns;
};

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
	int		 closing;
	int		 nclose;
	LIST_ENTRY(fk_conn) entry;
};

/* One write with its own copy of the bytes. */
struct fk_write {
	uv_write_t	 w;
	struct fk_conn	*conn;
	int		 close_after;
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

/* A write finished: free it, and close if it was the last. */
static void
fk_write_cb(uv_write_t *w, int status)
{
	struct fk_write *fw = (struct fk_write *)w;

	(void)status;
	if (fw->close_after)
		fk_conn_close(fw->conn);
	free(fw);
}

/* Sends bytes; closes the connection after them if close_after. */
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

/* Answers one complete request. */
static void
fk_answer(struct fk_conn *conn, const char *body)
{
	struct fk_srv *srv = conn->srv;
	char big[8300], ping_hdr[64], js[700];
	static const char hdrs[] = "HTTP/1.1 200 OK\r\n"
	    "Content-Type: application/json\r\n";
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
		(void)snprintf(js, sizeof js, "{\"ok\": true, \"path\": \"%s\"}",
		    srv->last_path);
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
static void
fk_start(struct fk_srv *srv, uv_loop_t *loop, int tcp)
{
	struct sockaddr_in sin;
	struct sockaddr_storage ss;
	int len = sizeof ss;

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
static struct dk_client *
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
static void
fk_closed_cb(void *arg)
{
	(*(int *)arg)++;
}

/* Closes the client, the server and the loop; removes the folder. */
static void
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
static void
fk_get(struct dk_client *c, uv_loop_t *loop, const char *path,
    struct dkt_res *res)
{
	struct dk_req_opts o = { .path = path };

	DKT(loop, *res, dk_request(c, &o, dkt_cb, res, NULL));
}

/* A plain GET negotiates the version first and returns the JSON. */
static void
test_json_and_version(void)
{
	uv_loop_t loop;
	struct fk_srv srv;
	struct dk_client *c;
	struct dkt_res res = { 0 };

	fk_start(&srv, &loop, 0);
	c = fk_client(&srv, NULL);
	fk_get(c, &loop, "/containers/json?all=1", &res);
	ASSERT_EQ(res.done, 1);
	ASSERT_EQ(res.status, 0);
	ASSERT_EQ(res.http, 200);
	ASSERT(json_is_true(json_object_get(res.result, "ok")));
	ASSERT_STREQ(srv.last_path, "/v1.41/containers/json?all=1");
	ASSERT_STREQ(dk_client_api_version(c), "1.41");
	ASSERT_EQ(srv.nping, 1);
	/* Known now: no second ping. */
	fk_get(c, &loop, "/info", &res);
	ASSERT_EQ(res.status, 0);
	ASSERT_EQ(srv.nping, 1);
	ASSERT_STREQ(srv.last_path, "/v1.41/info");
	dkt_reset(&res);
	fk_finish(&srv, c);
}

/* A newer engine is spoken to in our version; an older one refused. */
static void
test_version_rules(void)
{
	static const struct {
		const char	*api;
		int		 status;
		const char	*want;
	} cases[] = {
		{ "1.45", 0, "1.43" },
		{ "1.42", 0, "1.42" },
		{ "1.40", DK_E_UNAVAILABLE, "older than the oldest" },
		{ NULL, DK_E_BAD_RESPONSE, "no usable Api-Version" },
		{ "banana", DK_E_BAD_RESPONSE, "no usable Api-Version" },
	};
	uv_loop_t loop;
	struct fk_srv srv;
	struct dk_client *c;
	struct dkt_res res = { 0 };
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		fk_start(&srv, &loop, 0);
		srv.api = cases[i].api;
		c = fk_client(&srv, NULL);
		fk_get(c, &loop, "/version", &res);
		ASSERT_EQ(res.status, cases[i].status);
		if (res.status == 0) {
			ASSERT_STREQ(dk_client_api_version(c), cases[i].want);
			ASSERT_CONTAINS(srv.last_path, cases[i].want);
		} else {
			ASSERT_CONTAINS(res.msg, cases[i].want);
			ASSERT_NULL(dk_client_api_version(c));
			ASSERT_EQ(srv.nreq, 1);	/* only the ping */
		}
		dkt_reset(&res);
		fk_finish(&srv, c);
	}
}

/* Faults of the response are errors with a clear message. */
static void
test_bad_responses(void)
{
	static const struct {
		enum fk_mode	 mode;
		int		 status;
		const char	*want;
	} cases[] = {
		{ FK_TRUNCATED, DK_E_BAD_RESPONSE, "bad JSON" },
		{ FK_HTML, DK_E_BAD_RESPONSE, "unexpected content type "
		    "\"text/html\"" },
		{ FK_RESET, DK_E_UNAVAILABLE, "lost during GET /x" },
		{ FK_404, DK_E_NOT_FOUND, "No such container: web" },
		{ FK_TEXT_ERR, DK_E_INTERNAL, "engine on fire" },
	};
	uv_loop_t loop;
	struct fk_srv srv;
	struct dk_client *c;
	struct dkt_res res = { 0 };
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		fk_start(&srv, &loop, 0);
		srv.mode = cases[i].mode;
		c = fk_client(&srv, NULL);
		fk_get(c, &loop, "/x", &res);
		ASSERT_EQ(res.done, 1);
		ASSERT_EQ(res.status, cases[i].status);
		ASSERT_NULL(res.result);
		ASSERT_CONTAINS(res.msg, cases[i].want);
		dkt_reset(&res);
		fk_finish(&srv, c);
	}
}

/* A body over the client's bound fails cleanly; under it, it passes. */
static void
test_body_bound(void)
{
	struct dk_client_opts small = { .max_body = 4096 };
	uv_loop_t loop;
	struct fk_srv srv;
	struct dk_client *c;
	struct dkt_res res = { 0 };

	fk_start(&srv, &loop, 0);
	srv.mode = FK_BIG;
	c = fk_client(&srv, &small);
	fk_get(c, &loop, "/big", &res);
	ASSERT_EQ(res.status, DK_E_BAD_RESPONSE);
	ASSERT_CONTAINS(res.msg, "larger than 4096 bytes");
	fk_finish(&srv, c);

	fk_start(&srv, &loop, 0);
	srv.mode = FK_BIG;
	c = fk_client(&srv, NULL);
	fk_get(c, &loop, "/big", &res);
	ASSERT_EQ(res.status, 0);
	ASSERT_EQ(json_string_length(res.result), 8297);
	dkt_reset(&res);
	fk_finish(&srv, c);
}

/* A server that never answers meets the request's timeout. */
static void
test_slow_server(void)
{
	struct dk_client_opts o = { .timeout_ms = 200 };
	uv_loop_t loop;
	struct fk_srv srv;
	struct dk_client *c;
	struct dkt_res res = { 0 };
	uint64_t t0;

	fk_start(&srv, &loop, 0);
	srv.mode = FK_SILENT;
	c = fk_client(&srv, &o);
	t0 = uv_hrtime();
	fk_get(c, &loop, "/slow", &res);
	ASSERT_EQ(res.status, DK_E_TIMEOUT);
	ASSERT_CONTAINS(res.msg, "did not answer GET /slow in time");
	ASSERT_GE((uv_hrtime() - t0) / 1000000, 190);
	ASSERT_LT((uv_hrtime() - t0) / 1000000, 5000);
	fk_finish(&srv, c);
}

/* The same over tcp://127.0.0.1. */
static void
test_tcp_endpoint(void)
{
	uv_loop_t loop;
	struct fk_srv srv;
	struct dk_client *c;
	struct dkt_res res = { 0 };

	fk_start(&srv, &loop, 1);
	c = fk_client(&srv, NULL);
	fk_get(c, &loop, "/containers/json", &res);
	ASSERT_EQ(res.status, 0);
	ASSERT_STREQ(srv.last_path, "/v1.41/containers/json");
	dkt_reset(&res);
	fk_finish(&srv, c);
}

/* A POST carries its JSON body with the right headers. */
static void
test_post_body(void)
{
	uv_loop_t loop;
	struct fk_srv srv;
	struct dk_client *c;
	struct dkt_res res = { 0 };
	static const char *const cmd[] = { "echo", "hi there", NULL };
	struct dk_create_opts o = {
		.name = "we b",
		.image = "img",
		.cmd = cmd,
	};

	fk_start(&srv, &loop, 0);
	c = fk_client(&srv, NULL);
	DKT(&loop, res, dk_container_create(c, &o, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, 0);
	ASSERT_STREQ(srv.last_method, "POST");
	ASSERT_STREQ(srv.last_path, "/v1.41/containers/create?name=we%20b");
	ASSERT_CONTAINS(srv.last_body, "\"Cmd\":[\"echo\",\"hi there\"]");
	ASSERT_CONTAINS(srv.last_body, "\"Image\":\"img\"");
	dkt_reset(&res);
	fk_finish(&srv, c);
}

/* What a stream test counts. */
struct stream_ctx {
	struct dkt_res	 res;
	struct dk_req	*req;
	uv_timer_t	 resume;
	size_t		 bytes;
	int		 chunks;
	int		 paused;
	int		 while_paused;	/* runs of bytes that came paused */
	int		 pause_at;	/* pause after this many runs */
	int		 cancel_at;	/* cancel after this many runs */
	char		 text[1024];
};

/* Resumes the stream some time after it paused. */
static void
stream_resume_cb(uv_timer_t *t)
{
	struct stream_ctx *sc = t->data;

	sc->paused = 0;
	dk_req_resume(sc->req);
}

/* Counts a stream's bytes, pausing or cancelling as told. */
static void
stream_data_cb(struct dk_req *req, const char *buf, size_t len, void *arg)
{
	struct stream_ctx *sc = arg;
	size_t room = sizeof sc->text - 1 - strlen(sc->text);

	if (sc->paused)
		sc->while_paused++;
	sc->chunks++;
	sc->bytes += len;
	strncat(sc->text, buf, len < room ? len : room);
	if (sc->chunks == sc->pause_at) {
		dk_req_pause(req);
		sc->paused = 1;
		(void)uv_timer_start(&sc->resume, stream_resume_cb, 100, 0);
	}
	if (sc->chunks == sc->cancel_at) {
		dk_req_cancel(req);
		dk_req_cancel(req);	/* twice is harmless */
	}
}

/* The end of a stream. */
static void
stream_done_cb(struct dk_req *req, int status, json_t *result, void *arg)
{
	struct stream_ctx *sc = arg;

	dkt_cb(req, status, result, &sc->res);
}

/* Starts a stream from the fake engine. */
static void
stream_start(struct dk_client *c, struct stream_ctx *sc, uv_loop_t *loop)
{
	struct dk_req_opts o = {
		.path = "/logs",
		.flags = DK_REQ_STREAM,
		.on_data = stream_data_cb,
	};

	ASSERT_OK(uv_timer_init(loop, &sc->resume));
	sc->resume.data = sc;
	ASSERT_OK(dk_request(c, &o, stream_done_cb, sc, &sc->req));
	ASSERT_NOT_NULL(sc->req);
}

/* A stream delivers every chunk as it comes, then ends with 0. */
static void
test_stream(void)
{
	uv_loop_t loop;
	struct fk_srv srv;
	struct dk_client *c;
	struct stream_ctx sc = { 0 };

	fk_start(&srv, &loop, 0);
	srv.mode = FK_STREAM;
	c = fk_client(&srv, NULL);
	stream_start(c, &sc, &loop);
	dkt_wait(&loop, &sc.res);
	ASSERT_EQ(sc.res.done, 1);
	ASSERT_EQ(sc.res.status, 0);
	ASSERT_NULL(sc.res.result);
	ASSERT_GE(sc.chunks, 10);	/* several arrivals, not one */
	ASSERT_EQ(sc.bytes, 10 * 7 + 10 * 8);
	ASSERT_CONTAINS(sc.text, "line 0\nline 1\n");
	ASSERT_CONTAINS(sc.text, "line 19\n");
	fk_finish(&srv, c);
}

/* A paused stream delivers nothing until resumed, then all of it. */
static void
test_stream_pause(void)
{
	uv_loop_t loop;
	struct fk_srv srv;
	struct dk_client *c;
	struct stream_ctx sc = { .pause_at = 2 };
	uint64_t t0 = uv_hrtime();

	fk_start(&srv, &loop, 0);
	srv.mode = FK_STREAM;
	c = fk_client(&srv, NULL);
	stream_start(c, &sc, &loop);
	dkt_wait(&loop, &sc.res);
	ASSERT_EQ(sc.res.status, 0);
	ASSERT_EQ(sc.while_paused, 0);
	ASSERT_EQ(sc.bytes, 150);
	ASSERT_CONTAINS(sc.text, "line 1\nline 2\n");
	ASSERT_GE((uv_hrtime() - t0) / 1000000, 100);
	fk_finish(&srv, c);
}

/* Cancelling a running stream ends it once with -ECANCELED. */
static void
test_stream_cancel(void)
{
	uv_loop_t loop;
	struct fk_srv srv;
	struct dk_client *c;
	struct stream_ctx sc = { .cancel_at = 3 };

	fk_start(&srv, &loop, 0);
	srv.mode = FK_STREAM;
	srv.chunks = 1000;
	c = fk_client(&srv, NULL);
	stream_start(c, &sc, &loop);
	dkt_wait(&loop, &sc.res);
	ASSERT_EQ(sc.res.done, 1);
	ASSERT_EQ(sc.res.status, -ECANCELED);
	ASSERT_EQ(sc.chunks, 3);
	ASSERT_STREQ(sc.res.msg, "cancelled");
	ASSERT_EQ(dk_client_pending(c), 0);
	/* The client stays usable. */
	srv.mode = FK_JSON;
	fk_get(c, &loop, "/after", &sc.res);
	ASSERT_EQ(sc.res.status, 0);
	dkt_reset(&sc.res);
	fk_finish(&srv, c);
	ASSERT_GE(srv.peer_closed, 1);
}

/* Cancelling before the request started, and a silent one in flight. */
static void
test_cancel_pending(void)
{
	uv_loop_t loop;
	struct fk_srv srv;
	struct dk_client *c;
	struct dk_req_opts o = { .path = "/never" };
	struct dkt_res a = { 0 }, b = { 0 };
	struct dk_req *ra, *rb;

	fk_start(&srv, &loop, 0);
	srv.mode = FK_SILENT;
	c = fk_client(&srv, NULL);
	ASSERT_OK(dk_request(c, &o, dkt_cb, &a, &ra));
	ASSERT_OK(dk_request(c, &o, dkt_cb, &b, &rb));
	dk_req_cancel(ra);		/* before anything ran */
	ASSERT_EQ(a.done, 0);		/* never from inside the call */
	while (srv.nreq < 2)		/* ping, then the second one */
		ASSERT(uv_run(&loop, UV_RUN_ONCE) != 0);
	ASSERT_EQ(a.done, 1);
	ASSERT_EQ(a.status, -ECANCELED);
	ASSERT_EQ(b.done, 0);
	dk_req_cancel(rb);		/* in flight at the server */
	dkt_wait(&loop, &b);
	ASSERT_EQ(b.status, -ECANCELED);
	ASSERT_EQ(a.done, 1);
	fk_finish(&srv, c);
}

/* Closing a client with requests in flight cancels each once. */
static void
test_close_with_pending(void)
{
	uv_loop_t loop;
	struct fk_srv srv;
	struct dk_client *c;
	struct dk_req_opts o = { .path = "/never" };
	struct dkt_res res[5];
	int i, closed = 0;

	memset(res, 0, sizeof res);
	fk_start(&srv, &loop, 0);
	srv.mode = FK_SILENT;
	c = fk_client(&srv, NULL);
	for (i = 0; i < 5; i++)
		ASSERT_OK(dk_request(c, &o, dkt_cb, &res[i], NULL));
	while (srv.nreq < 6)
		ASSERT(uv_run(&loop, UV_RUN_ONCE) != 0);
	ASSERT_EQ(dk_client_pending(c), 5);
	dk_client_close(c, fk_closed_cb, &closed);
	ASSERT_EQ(dk_request(c, &o, dkt_cb, &res[0], NULL), -ECANCELED);
	while (closed == 0)
		(void)uv_run(&loop, UV_RUN_ONCE);
	ASSERT_EQ(closed, 1);
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(res[i].done, 1);
		ASSERT_EQ(res[i].status, -ECANCELED);
	}
	fk_finish(&srv, NULL);
}

/* Many requests at once all complete. */
static void
test_many_parallel(void)
{
	uv_loop_t loop;
	struct fk_srv srv;
	struct dk_client *c;
	struct dk_req_opts o = { .path = "/containers/json" };
	struct dkt_res res[40];
	int i, done = 0;

	memset(res, 0, sizeof res);
	fk_start(&srv, &loop, 0);
	c = fk_client(&srv, NULL);
	for (i = 0; i < 40; i++)
		ASSERT_OK(dk_request(c, &o, dkt_cb, &res[i], NULL));
	while (done < 40) {
		ASSERT(uv_run(&loop, UV_RUN_ONCE) != 0 || done < 40);
		for (done = 0, i = 0; i < 40; i++)
			done += res[i].done;
	}
	for (i = 0; i < 40; i++) {
		ASSERT_EQ(res[i].done, 1);
		ASSERT_EQ(res[i].status, 0);
		dkt_reset(&res[i]);
	}
	ASSERT_EQ(srv.nping, 1);
	fk_finish(&srv, c);
}

/* No socket, and a socket nobody listens on, give clear messages. */
static void
test_unreachable(void)
{
	uv_loop_t loop;
	struct dk_endpoint ep;
	struct dk_client *c;
	struct dkt_res res = { 0 }, res2 = { 0 };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char host[200], *dir, *cause = NULL;
	int fd;

	dir = test_tmpdir();
	ASSERT_OK(uv_loop_init(&loop));
	(void)snprintf(host, sizeof host, "unix://%s/none.sock", dir);
	ASSERT_OK(dk_endpoint_parse(&ep, host, 0, 0, NULL, &cause));
	ASSERT_OK(dk_client_new(&loop, &ep, NULL, &c, &cause));
	dk_endpoint_clear(&ep);
	DKT(&loop, res, dk_version(c, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, DK_E_UNAVAILABLE);
	ASSERT_CONTAINS(res.msg, "cannot reach Docker at unix://");
	ASSERT_CONTAINS(res.msg, "none.sock: no such file (is dockerd "
	    "running?)");
	dkt_close(&loop, c);

	/* A bound socket that is not listening refuses connections. */
	(void)snprintf(sun.sun_path, sizeof sun.sun_path, "%s/refuse.sock",
	    dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ASSERT_GE(fd, 0);
	ASSERT_OK(bind(fd, (struct sockaddr *)&sun, sizeof sun));
	ASSERT_OK(uv_loop_init(&loop));
	(void)snprintf(host, sizeof host, "unix://%s", sun.sun_path);
	ASSERT_OK(dk_endpoint_parse(&ep, host, 0, 0, NULL, &cause));
	ASSERT_OK(dk_client_new(&loop, &ep, NULL, &c, &cause));
	dk_endpoint_clear(&ep);
	DKT(&loop, res, dk_ping(c, dkt_cb, &res, NULL));
	ASSERT_EQ(res.status, DK_E_UNAVAILABLE);
	ASSERT_CONTAINS(res.msg, "refuse.sock: connection refused (is "
	    "dockerd running?)");
	/* Requests waiting on the version get the same error. */
	DKT(&loop, res2, dk_info(c, dkt_cb, &res2, NULL));
	ASSERT_EQ(res2.status, DK_E_UNAVAILABLE);
	ASSERT_STREQ(res2.msg, res.msg);
	dkt_close(&loop, c);
	close(fd);
	test_rmtree(dir);
}

/* The messages of connect errors a root test cannot provoke. */
static void
test_error_mapping(void)
{
	char *msg = NULL;
	int st;

	st = dk__curl_error(CURLE_COULDNT_CONNECT, EACCES,
	    "unix:///var/run/docker.sock", "GET", "/_ping", "x", &msg);
	ASSERT_EQ(st, DK_E_PERMISSION);
	ASSERT_STREQ(msg, "cannot reach Docker at unix:///var/run/docker."
	    "sock: permission denied (is this user in the docker group?)");
	free(msg);
	st = dk__curl_error(CURLE_OPERATION_TIMEDOUT, 0, "tcp://h:1", "GET",
	    "/info", "Timeout", &msg);
	ASSERT_EQ(st, DK_E_TIMEOUT);
	free(msg);
	ASSERT_EQ(dk_err_from_http(200), 0);
	ASSERT_EQ(dk_err_from_http(204), 0);
	ASSERT_EQ(dk_err_from_http(304), -EALREADY);
	ASSERT_EQ(dk_err_from_http(400), DK_E_BAD_PARAMETER);
	ASSERT_EQ(dk_err_from_http(403), DK_E_PERMISSION);
	ASSERT_EQ(dk_err_from_http(404), DK_E_NOT_FOUND);
	ASSERT_EQ(dk_err_from_http(409), DK_E_CONFLICT);
	ASSERT_EQ(dk_err_from_http(500), DK_E_INTERNAL);
	ASSERT_EQ(dk_err_from_http(503), DK_E_UNAVAILABLE);
	ASSERT_STREQ(dk_err_name(DK_E_NOT_FOUND), "NOT_FOUND");
	ASSERT_STREQ(dk_strerror(DK_E_UNAVAILABLE), "engine unavailable");
	ASSERT_STREQ(dk_strerror(-ECANCELED), "cancelled");
	ASSERT_STREQ(dk_err_name(-E2BIG), "UNKNOWN");
	msg = dk__engine_message("{\"message\":\"No such image: x\"}", 30,
	    404, "GET", "/images/x/json");
	ASSERT_STREQ(msg, "No such image: x");
	free(msg);
	msg = dk__engine_message("", 0, 304, "POST", "/containers/a/start");
	ASSERT_CONTAINS(msg, "not modified");
	free(msg);
}

/* Endpoints as DOCKER_HOST and friends give them. */
static void
test_endpoints(void)
{
	struct dk_endpoint ep;
	char *cause = NULL, *dir, path[256];
	FILE *f;

	ASSERT_OK(dk_endpoint_parse(&ep, NULL, 0, 0, NULL, &cause));
	ASSERT_STREQ(ep.host, "unix:///var/run/docker.sock");
	ASSERT_STREQ(ep.unix_path, "/var/run/docker.sock");
	ASSERT_STREQ(ep.base_url, "http://localhost");
	dk_endpoint_clear(&ep);
	ASSERT_OK(dk_endpoint_parse(&ep, "tcp://10.0.0.1", 0, 0, NULL,
	    &cause));
	ASSERT_STREQ(ep.base_url, "http://10.0.0.1:2375");
	dk_endpoint_clear(&ep);
	ASSERT_OK(dk_endpoint_parse(&ep, "tcp://[::1]:9000/", 1, 0, NULL,
	    &cause));
	ASSERT_STREQ(ep.base_url, "https://[::1]:9000");
	ASSERT_EQ(ep.tls_verify, 0);
	dk_endpoint_clear(&ep);

	dir = test_tmpdir();
	(void)snprintf(path, sizeof path, "%s/ca.pem", dir);
	f = fopen(path, "w");
	ASSERT_NOT_NULL(f);
	fclose(f);
	(void)snprintf(path, sizeof path, "%s/cert.pem", dir);
	f = fopen(path, "w");
	ASSERT_NOT_NULL(f);
	fclose(f);
	ASSERT_EQ(dk_endpoint_parse(&ep, "tcp://h", 0, 1, dir, &cause),
	    -EINVAL);
	ASSERT_CONTAINS(cause, "only one of cert.pem and key.pem");
	free(cause);
	(void)snprintf(path, sizeof path, "%s/key.pem", dir);
	f = fopen(path, "w");
	ASSERT_NOT_NULL(f);
	fclose(f);
	ASSERT_OK(dk_endpoint_parse(&ep, "tcp://h", 0, 1, dir, &cause));
	ASSERT_STREQ(ep.base_url, "https://h:2376");
	ASSERT_EQ(ep.tls_verify, 1);
	ASSERT_CONTAINS(ep.ca, "/ca.pem");
	ASSERT_CONTAINS(ep.cert, "/cert.pem");
	ASSERT_CONTAINS(ep.key, "/key.pem");
	dk_endpoint_clear(&ep);
	test_rmtree(dir);

	ASSERT_EQ(dk_endpoint_parse(&ep, "ssh://me@h", 0, 0, NULL, &cause),
	    -EINVAL);
	ASSERT_CONTAINS(cause, "not supported");
	free(cause);
	ASSERT_EQ(dk_endpoint_parse(&ep, "tcp://h:99999", 0, 0, NULL,
	    &cause), -EINVAL);
	ASSERT_CONTAINS(cause, "bad port");
	free(cause);
	ASSERT_EQ(dk_endpoint_parse(&ep, "unix://rel.sock", 0, 0, NULL,
	    &cause), -EINVAL);
	ASSERT_CONTAINS(cause, "absolute");
	free(cause);
	ASSERT_EQ(dk_endpoint_parse(&ep, "localhost:2375", 0, 0, NULL,
	    &cause), -EINVAL);
	free(cause);
	ASSERT_EQ(dk_endpoint_parse(&ep, "unix:///s", 1, 0, NULL, &cause),
	    -EINVAL);
	free(cause);
}

/* Names cannot leave their path segment; queries are escaped. */
static void
test_paths(void)
{
	struct dk_path p;
	json_t *f;		/* owned */
	const char *kv[] = { "label=pier.test=1", "status=running", NULL };
	const char *badkv[] = { "novalue", NULL };

	dk_path_init(&p, "/containers", "../../images/prune?x=1", "/json");
	ASSERT_STREQ(p.buf, "/containers/%2E%2E%2F%2E%2E%2Fimages%2Fprune"
	    "%3Fx%3D1/json");
	dk_path_free(&p);
	dk_path_init(&p, "/containers", "", "/json");
	ASSERT_EQ(p.error, -EINVAL);
	dk_path_free(&p);
	dk_path_init_image(&p, "/images", "pier-test/busybox:latest", "/json");
	ASSERT_STREQ(p.buf, "/images/pier-test/busybox:latest/json");
	dk_path_free(&p);
	dk_path_init_image(&p, "/images", "a/../b", NULL);
	ASSERT_STREQ(p.buf, "/images/a/%2E%2E/b");
	dk_path_free(&p);
	dk_path_init(&p, "/containers/json", NULL, NULL);
	dk_path_add_bool(&p, "all", 1);
	dk_path_add_bool(&p, "size", 0);
	dk_path_add(&p, "name", "a b&c=d");
	dk_path_add_int(&p, "t", -3);
	f = dk_filters(kv);
	ASSERT_NOT_NULL(f);
	dk_path_add_json(&p, "filters", f);
	json_decref(f);
	ASSERT_STREQ(p.buf, "/containers/json?all=1&name=a%20b%26c%3Dd&t=-3"
	    "&filters=%7B%22label%22%3A%5B%22pier.test%3D1%22%5D%2C%22status"
	    "%22%3A%5B%22running%22%5D%7D");
	dk_path_free(&p);
	ASSERT_NULL(dk_filters(badkv));
}

/* Bad arguments are refused up front, without a callback. */
static void
test_bad_arguments(void)
{
	uv_loop_t loop;
	struct fk_srv srv;
	struct dk_client *c;
	struct dkt_res res = { 0 };
	struct dk_req_opts nopath = { .path = "relative" };
	struct dk_req_opts nodata = { .path = "/x", .flags = DK_REQ_STREAM };
	struct dk_create_opts noimage = { .name = "x" };
	struct dk_req *r = (struct dk_req *)&res;

	fk_start(&srv, &loop, 0);
	c = fk_client(&srv, NULL);
	ASSERT_EQ(dk_request(c, &nopath, dkt_cb, &res, &r), -EINVAL);
	ASSERT_NULL(r);
	ASSERT_EQ(dk_request(c, &nodata, dkt_cb, &res, NULL), -EINVAL);
	ASSERT_EQ(dk_container_create(c, &noimage, dkt_cb, &res, NULL),
	    -EINVAL);
	ASSERT_EQ(dk_container_start(c, "", dkt_cb, &res, NULL), -EINVAL);
	ASSERT_EQ(dk_container_inspect(c, NULL, 0, dkt_cb, &res, NULL),
	    -EINVAL);
	ASSERT_EQ(dk_container_rename(c, "a", "", dkt_cb, &res, NULL),
	    -EINVAL);
	uv_run(&loop, UV_RUN_NOWAIT);
	ASSERT_EQ(res.done, 0);
	ASSERT_EQ(dk_client_pending(c), 0);
	fk_finish(&srv, c);
}

TEST_MAIN(
	T(test_json_and_version),
	T(test_version_rules),
	T(test_bad_responses),
	T(test_body_bound),
	T(test_slow_server),
	T(test_tcp_endpoint),
	T(test_post_body),
	T(test_stream),
	T(test_stream_pause),
	T(test_stream_cancel),
	T(test_cancel_pending),
	T(test_close_with_pending),
	T(test_many_parallel),
	T(test_unreachable),
	T(test_error_mapping),
	T(test_endpoints),
	T(test_paths),
	T(test_bad_arguments),
)
