/*
 * Image pull. No registry is reachable here, so the progress path runs
 * against a small fake engine on a unix socket that answers the pull
 * with the fixtures of tests/data/docker, in HTTP chunks of odd sizes:
 * per-layer progress arrives in order, and a pull that fails midway ends
 * with the engine's final error message. The error path also runs
 * against the real engine: a registry at 127.0.0.1:1 refuses at once, so
 * the pull must end quickly with the engine's own message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"
#include "dkt.h"
#include "loop.h"
#include "test.h"

/* The fake engine: one fixture, served to every pull. */
struct fake {
	uv_pipe_t	 srv;
	uv_pipe_t	 conn;
	int		 has_conn;
	char		 path[256];
	char		*dir;
	char		*body;		/* the fixture */
	size_t		 blen;
	char		 req[8192];	/* request bytes not yet answered */
	size_t		 rlen;
	int		 pulls;
	char		 last_path[512];
};

/* What a pull consumer saw. */
struct seen {
	int		 events;
	int		 layers_done;
	long long	 current;	/* last progress of layer 4abcf... */
	long long	 total;
	int		 ended;
	int		 status;
	char		 msg[512];
};

/* Frees a write request and its buffer. */
static void
write_cb(uv_write_t *w, int status)
{
	(void)status;
	free(w->data);
	free(w);
}

/* Writes a copy of buf to the connection. */
static void
send_copy(struct fake *f, const char *buf, size_t len)
{
	uv_write_t *w = malloc(sizeof *w);
	uv_buf_t b;

	b.base = malloc(len);
	b.len = len;
	if (w == NULL || b.base == NULL)
		abort();
	memcpy(b.base, buf, len);
	w->data = b.base;
	if (uv_write(w, (uv_stream_t *)&f->conn, &b, 1, write_cb) != 0)
		abort();
}

/* Answers the pull: the fixture in chunks of 1, 7, 13, 29, ... bytes. */
static void
answer_pull(struct fake *f)
{
	static const char head[] = "HTTP/1.1 200 OK\r\n"
	    "Api-Version: 1.41\r\nContent-Type: application/json\r\n"
	    "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
	static const size_t sizes[] = { 1, 7, 13, 29, 2, 101, 3, 64 };
	char line[32];
	size_t off = 0, n, i = 0;

	send_copy(f, head, sizeof head - 1);
	while (off < f->blen) {
		n = sizes[i++ % (sizeof sizes / sizeof sizes[0])];
		if (n > f->blen - off)
			n = f->blen - off;
		snprintf(line, sizeof line, "%zx\r\n", n);
		send_copy(f, line, strlen(line));
		send_copy(f, f->body + off, n);
		send_copy(f, "\r\n", 2);
		off += n;
	}
	send_copy(f, "0\r\n\r\n", 5);
	f->pulls++;
}

/* Answers every complete request held so far. */
static void
answer(struct fake *f)
{
	static const char pong[] = "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\n"
	    "Content-Type: text/plain\r\nContent-Length: 2\r\n\r\nOK";
	char *end;
	size_t n;

	while ((end = memmem(f->req, f->rlen, "\r\n\r\n", 4)) != NULL) {
		n = (size_t)(end - f->req) + 4;
		if (strncmp(f->req, "GET /_ping ", 11) == 0) {
			send_copy(f, pong, sizeof pong - 1);
		} else {
			snprintf(f->last_path, sizeof f->last_path, "%.*s",
			    (int)strcspn(f->req, "\r\n"), f->req);
			answer_pull(f);
		}
		memmove(f->req, f->req + n, f->rlen - n);
		f->rlen -= n;
	}
}

/* Gives the read a buffer. */
static void
alloc_cb(uv_handle_t *h, size_t size, uv_buf_t *b)
{
	static char buf[4096];

	(void)h;
	(void)size;
	b->base = buf;
	b->len = sizeof buf;
}

/* Closes the connection (the server's side). */
static void
conn_closed(uv_handle_t *h)
{
	struct fake *f = h->data;

	f->has_conn = 0;
}

/* Reads requests. */
static void
read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct fake *f = s->data;

	if (n < 0) {
		uv_close((uv_handle_t *)s, conn_closed);
		return;
	}
	if ((size_t)n > sizeof f->req - f->rlen)
		abort();
	memcpy(f->req + f->rlen, b->base, (size_t)n);
	f->rlen += (size_t)n;
	answer(f);
}

/* Accepts one connection at a time. */
static void
conn_cb(uv_stream_t *srv, int status)
{
	struct fake *f = srv->data;

	if (status != 0 || f->has_conn)
		return;
	if (uv_pipe_init(srv->loop, &f->conn, 0) != 0)
		abort();
	f->conn.data = f;
	f->has_conn = 1;
	f->rlen = 0;
	if (uv_accept(srv, (uv_stream_t *)&f->conn) != 0 ||
	    uv_read_start((uv_stream_t *)&f->conn, alloc_cb, read_cb) != 0)
		abort();
}

/* Starts the fake engine on a socket in a fresh folder, with a fixture. */
static void
fake_start(struct fake *f, uv_loop_t *loop, const char *fixture)
{
	char path[1024];

	memset(f, 0, sizeof *f);
	snprintf(path, sizeof path, "%s/tests/data/docker/%s",
	    test_env("PIER_SOURCE_ROOT", "."), fixture);
	f->body = test_read_file(path, &f->blen);
	if (f->body == NULL)
		FAIL("cannot read %s", path);
	f->dir = test_tmpdir();
	snprintf(f->path, sizeof f->path, "%s/docker.sock", f->dir);
	ASSERT_OK(uv_pipe_init(loop, &f->srv, 0));
	f->srv.data = f;
	ASSERT_OK(uv_pipe_bind(&f->srv, f->path));
	ASSERT_OK(uv_listen((uv_stream_t *)&f->srv, 4, conn_cb));
}

/* Makes a client of the fake engine. */
static struct dk_client *
fake_client(struct fake *f, uv_loop_t *loop)
{
	struct dk_endpoint ep;
	struct dk_client *c;
	char host[300], *cause = NULL;

	snprintf(host, sizeof host, "unix://%s", f->path);
	ASSERT_OK(dk_endpoint_parse(&ep, host, 0, 0, NULL, &cause));
	ASSERT_OK(dk_client_new(loop, &ep, NULL, &c, &cause));
	dk_endpoint_clear(&ep);
	return (c);
}

/* Stops the fake engine and frees what it holds. */
static void
fake_stop(struct fake *f)
{
	if (f->has_conn && !uv_is_closing((uv_handle_t *)&f->conn))
		uv_close((uv_handle_t *)&f->conn, conn_closed);
	uv_close((uv_handle_t *)&f->srv, NULL);
	free(f->body);
	test_rmtree(f->dir);
}

/* Counts a closed client. */
static void
closed_cb(void *arg)
{
	(*(int *)arg)++;
}

/* Closes a client and runs the loop until it is gone. */
static void
client_close(uv_loop_t *loop, struct dk_client *c)
{
	int closed = 0;

	dk_client_close(c, closed_cb, &closed);
	while (!closed)
		uv_run(loop, UV_RUN_ONCE);
}

/* on_pull: counts messages and follows one layer. */
static void
on_pull(struct dk_stream *s, const struct dk_pull_event *ev, void *arg)
{
	struct seen *k = arg;

	(void)s;
	k->events++;
	if (strcmp(ev->status, "Pull complete") == 0)
		k->layers_done++;
	if (strcmp(ev->id, "4abcf2066143") == 0 && ev->current >= 0) {
		if (ev->current < k->current)
			k->current = -2; /* went backwards: wrong order */
		else
			k->current = ev->current;
		k->total = ev->total;
	}
}

/* on_end: records the outcome. */
static void
on_end(struct dk_stream *s, int status, const char *msg, void *arg)
{
	struct seen *k = arg;

	(void)s;
	k->ended++;
	k->status = status;
	snprintf(k->msg, sizeof k->msg, "%s", msg);
}

/* A pull that succeeds: every message, per-layer progress in order. */
static void
test_progress(void)
{
	uv_loop_t loop;
	struct fake f;
	struct dk_client *c;
	struct seen k = { 0 };
	struct dk_stream_cbs cbs = { .on_pull = on_pull, .on_end = on_end,
	    .arg = &k };

	ASSERT_OK(uv_loop_init(&loop));
	fake_start(&f, &loop, "pull-ok.jsonl");
	c = fake_client(&f, &loop);
	ASSERT_OK(dk_image_pull(c, "alpine", "3.19", &cbs, NULL));
	RUN_UNTIL(&loop, k.ended);
	if (k.status != 0)
		FAIL("pull: %s", k.msg);
	ASSERT_EQ(k.events, 18);
	ASSERT_EQ(k.layers_done, 2);
	ASSERT_EQ(k.current, 3408729);
	ASSERT_EQ(k.total, 3408729);
	ASSERT_CONTAINS(f.last_path, "POST /v1.41/images/create?");
	ASSERT_CONTAINS(f.last_path, "fromImage=alpine");
	ASSERT_CONTAINS(f.last_path, "tag=3.19");
	client_close(&loop, c);
	fake_stop(&f);
	test_loop_close(&loop);
}

/* A pull that fails midway ends with the engine's final message. */
static void
test_fails_midway(void)
{
	uv_loop_t loop;
	struct fake f;
	struct dk_client *c;
	struct seen k = { 0 };
	struct dk_stream_cbs cbs = { .on_pull = on_pull, .on_end = on_end,
	    .arg = &k };

	ASSERT_OK(uv_loop_init(&loop));
	fake_start(&f, &loop, "pull-fail.jsonl");
	c = fake_client(&f, &loop);
	ASSERT_OK(dk_image_pull(c, "alpine", NULL, &cbs, NULL));
	RUN_UNTIL(&loop, k.ended);
	ASSERT_EQ(k.status, DK_E_INTERNAL);
	ASSERT_CONTAINS(k.msg, "connection reset by peer");
	ASSERT_EQ(k.events, 3);
	ASSERT_EQ(k.current, 32768);
	client_close(&loop, c);
	fake_stop(&f);
	test_loop_close(&loop);
}

/* The real engine: an unreachable registry fails fast, its words. */
static void
test_engine_error(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	struct seen k = { 0 };
	struct dk_stream_cbs cbs = { .on_pull = on_pull, .on_end = on_end,
	    .arg = &k };
	uint64_t t0;

	c = dkt_client(&loop);
	t0 = uv_hrtime();
	ASSERT_OK(dk_image_pull(c, "127.0.0.1:1/none", "latest", &cbs,
	    NULL));
	RUN_UNTIL(&loop, k.ended);
	ASSERT_LT(uv_hrtime() - t0, 10ULL * 1000 * 1000 * 1000);
	ASSERT_NE(k.status, 0);
	ASSERT_NE(k.status, DK_E_CANCELLED);
	ASSERT_CONTAINS(k.msg, "127.0.0.1:1");
	ASSERT_CONTAINS(k.msg, "connection refused");
	ASSERT_EQ(k.events, 0);
	/* Refused before anything is sent. */
	ASSERT_EQ(dk_image_pull(c, "", NULL, &cbs, NULL), -EINVAL);
	dkt_close(&loop, c);
}

TEST_MAIN(T(test_progress), T(test_fails_midway), T(test_engine_error))
