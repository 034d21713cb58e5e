/*
 * Hijacked connections against a fake engine on a unix socket, for the
 * answers a real engine will not give on request: a 200 that is not an
 * upgrade, an upgrade followed by bytes that are not frames, a stream
 * cut inside a frame, a connection closed before any answer, a response
 * head over the bound, an engine error with its JSON message, and an
 * upgrade answered by an old engine's 200 with a raw-stream type, and no
 * engine at all. Each ends once, with the right error and no leak.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"
#include "test.h"

/* The fake engine: /_ping, then one canned answer to anything else. */
struct fake {
	uv_pipe_t	 srv;
	char		 path[256];
	char		*dir;
	const char	*answer;	/* bytes sent after the request */
	size_t		 alen;
	int		 close_after;	/* close once the answer is sent */
	int		 conns;
	int		 open;
};

/* One connection to the fake. */
struct fconn {
	uv_pipe_t	 pipe;
	struct fake	*f;
	char		 req[8192];
	size_t		 rlen;
	int		 answered;
};

/* Frees a connection once closed. */
static void
fconn_closed(uv_handle_t *h)
{
	struct fconn *fc = h->data;

	fc->f->open--;
	free(fc);
}

/* A write is done; closes when the answer asked for it. */
static void
fwrite_cb(uv_write_t *w, int status)
{
	struct fconn *fc = w->data;

	(void)status;
	if (fc != NULL && !uv_is_closing((uv_handle_t *)&fc->pipe))
		uv_close((uv_handle_t *)&fc->pipe, fconn_closed);
	free(w);
}

/* Writes static bytes; closes after when close_after. */
static void
fsend(struct fconn *fc, const char *buf, size_t len, int close_after)
{
	uv_write_t *w = calloc(1, sizeof *w);
	uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);

	if (w == NULL)
		abort();
	w->data = close_after ? fc : NULL;
	if (uv_write(w, (uv_stream_t *)&fc->pipe, &b, 1, fwrite_cb) != 0)
		abort();
}

/* Gives a read a buffer. */
static void
falloc(uv_handle_t *h, size_t size, uv_buf_t *b)
{
	static char buf[4096];

	(void)h;
	(void)size;
	b->base = buf;
	b->len = sizeof buf;
}

/* Reads requests and answers them. */
static void
fread_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	static const char pong[] = "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\n"
	    "Content-Type: text/plain\r\nContent-Length: 2\r\n\r\nOK";
	struct fconn *fc = s->data;
	char *end;
	size_t used;

	if (n < 0) {
		if (!uv_is_closing((uv_handle_t *)s))
			uv_close((uv_handle_t *)s, fconn_closed);
		return;
	}
	if ((size_t)n > sizeof fc->req - fc->rlen || fc->answered)
		return;
	memcpy(fc->req + fc->rlen, b->base, (size_t)n);
	fc->rlen += (size_t)n;
	while (!fc->answered &&
	    (end = memmem(fc->req, fc->rlen, "\r\n\r\n", 4)) != NULL) {
		used = (size_t)(end - fc->req) + 4;
		if (strncmp(fc->req, "GET /_ping ", 11) == 0) {
			fsend(fc, pong, sizeof pong - 1, 0);
		} else {
			fc->answered = 1;
			if (fc->f->alen == 0)
				uv_close((uv_handle_t *)s, fconn_closed);
			else
				fsend(fc, fc->f->answer, fc->f->alen,
				    fc->f->close_after);
			return;
		}
		memmove(fc->req, fc->req + used, fc->rlen - used);
		fc->rlen -= used;
	}
}

/* Accepts a connection. */
static void
fconn_cb(uv_stream_t *srv, int status)
{
	struct fake *f = srv->data;
	struct fconn *fc;

	if (status != 0)
		return;
	fc = calloc(1, sizeof *fc);
	if (fc == NULL || uv_pipe_init(srv->loop, &fc->pipe, 0) != 0)
		abort();
	fc->f = f;
	fc->pipe.data = fc;
	f->conns++;
	f->open++;
	if (uv_accept(srv, (uv_stream_t *)&fc->pipe) != 0 ||
	    uv_read_start((uv_stream_t *)&fc->pipe, falloc, fread_cb) != 0)
		abort();
}

/* What a hijack consumer saw. */
struct sink {
	char	 out[256];
	size_t	 nout;
	int	 raw;
	int	 ended;
	int	 status;
	char	 msg[512];
};

/* on_data: keeps the bytes. */
static void
on_data(struct dk_hijack *h, int kind, const char *buf, size_t len,
    void *arg)
{
	struct sink *k = arg;

	(void)h;
	if (kind == DK_STREAM_RAW)
		k->raw++;
	if (len > sizeof k->out - 1 - k->nout)
		len = sizeof k->out - 1 - k->nout;
	memcpy(k->out + k->nout, buf, len);
	k->nout += len;
	k->out[k->nout] = '\0';
}

/* on_end: records the outcome. */
static void
on_end(struct dk_hijack *h, int status, const char *msg, void *arg)
{
	struct sink *k = arg;

	(void)h;
	k->ended++;
	k->status = status;
	snprintf(k->msg, sizeof k->msg, "%s", msg);
}

/* Counts a closed client. */
static void
closed_cb(void *arg)
{
	(*(int *)arg)++;
}

/* A loop, the fake engine on it and a client of it. */
struct rig {
	uv_loop_t		 loop;
	struct fake		 f;
	struct dk_client	*c;
	int			 closed;
};

/* Starts the fake answering with `answer` (closing after it when
 * close_after) and a client of it. */
static void
rig_open(struct rig *r, const char *answer, size_t alen, int close_after)
{
	struct dk_endpoint ep;
	char host[300], *cause = NULL;

	memset(r, 0, sizeof *r);
	r->f.answer = answer;
	r->f.alen = alen;
	r->f.close_after = close_after;
	ASSERT_OK(uv_loop_init(&r->loop));
	r->f.dir = test_tmpdir();
	snprintf(r->f.path, sizeof r->f.path, "%s/docker.sock", r->f.dir);
	ASSERT_OK(uv_pipe_init(&r->loop, &r->f.srv, 0));
	r->f.srv.data = &r->f;
	ASSERT_OK(uv_pipe_bind(&r->f.srv, r->f.path));
	ASSERT_OK(uv_listen((uv_stream_t *)&r->f.srv, 4, fconn_cb));
	snprintf(host, sizeof host, "unix://%s", r->f.path);
	ASSERT_OK(dk_endpoint_parse(&ep, host, 0, 0, NULL, &cause));
	ASSERT_OK(dk_client_new(&r->loop, &ep, NULL, &r->c, &cause));
	dk_endpoint_clear(&ep);
}

/* Waits for the hijack's end, then closes the client and the fake. */
static void
rig_close(struct rig *r, struct sink *k)
{
	while (!k->ended)
		if (uv_run(&r->loop, UV_RUN_ONCE) == 0 && !k->ended)
			FAIL("loop ran dry");
	ASSERT_EQ(k->ended, 1);
	dk_client_close(r->c, closed_cb, &r->closed);
	while (!r->closed || r->f.open > 0)
		uv_run(&r->loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&r->f.srv, NULL);
	test_loop_close(&r->loop);
	test_rmtree(r->f.dir);
	ASSERT_EQ(k->ended, 1);
}

/*
 * Runs one hijack against the fake answering with `answer` (closing
 * after it when close_after) and fills k with the outcome.
 */
static void
run(const char *answer, size_t alen, int close_after, int tty,
    struct sink *k)
{
	struct rig r;
	struct dk_hijack_cbs cbs = { .on_data = on_data, .on_end = on_end,
	    .arg = k };

	memset(k, 0, sizeof *k);
	rig_open(&r, answer, alen, close_after);
	ASSERT_OK(dk_hijack_start(r.c, "POST", "/exec/abc/start", NULL, tty,
	    &cbs, NULL));
	rig_close(&r, k);
}

#define UPGRADED "HTTP/1.1 101 UPGRADED\r\n"				\
	"Content-Type: application/vnd.docker.raw-stream\r\n"		\
	"Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n"

/* A 200 that is not an upgrade is an error, not a stream. */
static void
test_not_upgraded(void)
{
	static const char a[] = "HTTP/1.1 200 OK\r\n"
	    "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
	struct sink k;

	run(a, sizeof a - 1, 0, 0, &k);
	ASSERT_EQ(k.status, DK_E_BAD_RESPONSE);
	ASSERT_CONTAINS(k.msg, "did not upgrade");
	ASSERT_EQ(k.nout, 0);
}

/* The engine's error: its JSON message and the mapped code. */
static void
test_engine_error(void)
{
	static const char a[] = "HTTP/1.1 409 Conflict\r\n"
	    "Content-Type: application/json\r\nContent-Length: 42\r\n\r\n"
	    "{\"message\":\"Container abc is not running\"}";
	struct sink k;

	run(a, sizeof a - 1, 0, 0, &k);
	ASSERT_EQ(k.status, DK_E_CONFLICT);
	ASSERT_STREQ(k.msg, "Container abc is not running");
}

/* Upgraded, then bytes that are not frames: a bad response. */
static void
test_bad_frames(void)
{
	static const char a[] = UPGRADED "total 0\r\ndrwxr-xr-x 2 root\r\n";
	struct sink k;

	run(a, sizeof a - 1, 1, 0, &k);
	ASSERT_EQ(k.status, DK_E_BAD_RESPONSE);
	ASSERT_CONTAINS(k.msg, "not multiplexed frames");
	/* With a TTY the same bytes are the stream, raw. */
	run(a, sizeof a - 1, 1, 1, &k);
	ASSERT_OK(k.status);
	ASSERT_STREQ(k.out, "total 0\r\ndrwxr-xr-x 2 root\r\n");
	ASSERT_GT(k.raw, 0);
}

/* Frames, then the connection ends inside one. */
static void
test_cut_frame(void)
{
	static const char a[] = UPGRADED "\1\0\0\0\0\0\0\3abc\2\0\0\0\0\0"
	    "\0\x10short";
	static const char ok[] = UPGRADED "\1\0\0\0\0\0\0\3abc";
	struct sink k;

	run(a, sizeof a - 1, 1, 0, &k);
	ASSERT_EQ(k.status, DK_E_BAD_RESPONSE);
	ASSERT_CONTAINS(k.msg, "inside a frame");
	ASSERT_STREQ(k.out, "abcshort");
	run(ok, sizeof ok - 1, 1, 0, &k);
	ASSERT_OK(k.status);
	ASSERT_STREQ(k.out, "abc");
}

/* Closed before any answer; a head over the bound. */
static void
test_no_answer(void)
{
	static char big[20000];
	struct sink k;

	run("", 0, 1, 0, &k);
	ASSERT_EQ(k.status, DK_E_UNAVAILABLE);
	ASSERT_CONTAINS(k.msg, "before answering");
	memcpy(big, "HTTP/1.1 101 UPGRADED\r\nX-Junk: ", 32);
	memset(big + 32, 'j', sizeof big - 32);
	run(big, sizeof big, 0, 0, &k);
	ASSERT_EQ(k.status, DK_E_BAD_RESPONSE);
	ASSERT_CONTAINS(k.msg, "too large");
}

/* An old engine's 200 with a raw-stream type is an upgrade. */
static void
test_old_engine(void)
{
	static const char a[] = "HTTP/1.1 200 OK\r\n"
	    "Content-Type: application/vnd.docker.raw-stream\r\n\r\n"
	    "\2\0\0\0\0\0\0\4err\n";
	struct sink k;

	run(a, sizeof a - 1, 1, 0, &k);
	ASSERT_OK(k.status);
	ASSERT_STREQ(k.out, "err\n");
}

/*
 * No engine at the socket: the version ping fails first; with a pinned
 * API version the hijack's own connect fails. Both say where.
 */
static void
test_no_engine(void)
{
	uv_loop_t loop;
	struct dk_endpoint ep;
	struct dk_client *c;
	struct sink k;
	struct dk_hijack_cbs cbs = { .on_data = on_data, .on_end = on_end,
	    .arg = &k };
	char *cause = NULL, *dir, host[300];
	int pinned, closed;

	dir = test_tmpdir();
	snprintf(host, sizeof host, "unix://%s/none.sock", dir);
	for (pinned = 0; pinned < 2; pinned++) {
		memset(&k, 0, sizeof k);
		closed = 0;
		ASSERT_OK(uv_loop_init(&loop));
		ASSERT_OK(dk_endpoint_parse(&ep, host, 0, 0, NULL, &cause));
		if (pinned)
			ep.api_version = strdup("1.41");
		ASSERT_OK(dk_client_new(&loop, &ep, NULL, &c, &cause));
		dk_endpoint_clear(&ep);
		ASSERT_OK(dk_hijack_start(c, "POST", "/exec/abc/start", NULL,
		    0, &cbs, NULL));
		while (!k.ended)
			if (uv_run(&loop, UV_RUN_ONCE) == 0 && !k.ended)
				FAIL("loop ran dry");
		ASSERT_EQ(k.status, DK_E_UNAVAILABLE);
		ASSERT_CONTAINS(k.msg, "cannot reach Docker at unix://");
		ASSERT_CONTAINS(k.msg, "none.sock");
		dk_client_close(c, closed_cb, &closed);
		while (!closed)
			uv_run(&loop, UV_RUN_ONCE);
		test_loop_close(&loop);
	}
	test_rmtree(dir);
}

/*
 * A short read on a plain socket is the whole of what the socket held:
 * the upgrade and a keystroke's echo arriving together cost one receive
 * call, not a second one that meets EAGAIN.
 */
static void
test_short_read(void)
{
	static const char a[] = UPGRADED "a";
	struct rig r;
	struct sink k;
	struct dk_hijack *h;
	struct dk_hijack_cbs cbs = { .on_data = on_data, .on_end = on_end,
	    .arg = &k };
	int i;

	memset(&k, 0, sizeof k);
	rig_open(&r, a, sizeof a - 1, 0);
	ASSERT_OK(dk_hijack_start(r.c, "POST", "/exec/abc/start", NULL, 1,
	    &cbs, &h));
	while (k.nout == 0)
		if (uv_run(&r.loop, UV_RUN_ONCE) == 0)
			FAIL("loop ran dry");
	for (i = 0; i < 10; i++)	/* whatever else the loop had */
		(void)uv_run(&r.loop, UV_RUN_NOWAIT);
	ASSERT_STREQ(k.out, "a");
	ASSERT_EQ(dk_hijack_reads(h), 1);
	dk_hijack_cancel(h);
	rig_close(&r, &k);
	ASSERT_EQ(k.status, DK_E_CANCELLED);
}

TEST_MAIN(T(test_not_upgraded), T(test_engine_error), T(test_bad_frames),
    T(test_cut_frame), T(test_no_answer), T(test_old_engine),
    T(test_no_engine), T(test_short_read))
