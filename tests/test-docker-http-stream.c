/*
 * Streamed responses of the Docker client's HTTP layer against the fake
 * engine: bytes delivered as they arrive, pause and resume from inside
 * and outside curl's callbacks (a paused stream stops reading its socket,
 * so the sender stalls instead of the client buffering), and cancel.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "dkt.h"
#include "dk-fake.h"

#define container_of(p, type, member)					\
	((type *)((char *)(p) - offsetof(type, member)))

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

/*
 * Pausing on the first of many chunks that came in one read holds the
 * rest back until the resume, then delivers all of it in order.
 */
static void
test_stream_pause_burst(void)
{
	uv_loop_t loop;
	struct fk_srv srv;
	struct dk_client *c;
	struct stream_ctx sc = { .pause_at = 1 };

	fk_start(&srv, &loop, 0);
	srv.mode = FK_BURST;
	c = fk_client(&srv, NULL);
	stream_start(c, &sc, &loop);
	dkt_wait(&loop, &sc.res);
	ASSERT_EQ(sc.res.status, 0);
	ASSERT_EQ(sc.while_paused, 0);
	ASSERT_EQ(sc.bytes, 50 * 8);
	ASSERT_CONTAINS(sc.text, "burst00\nburst01\n");
	ASSERT_CONTAINS(sc.text, "burst48\nburst49\n");
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

/* What the flood test watches. */
struct flood_ctx {
	struct dkt_res	 res;
	struct fk_srv	*srv;
	struct dk_req	*req;
	uv_timer_t	 timer;
	size_t		 bytes;
	size_t		 at_pause;
	size_t		 during_pause;	/* bytes delivered while paused */
	size_t		 sent_at_resume;
	int		 paused;
	int		 resumed;
};

/* Counts the flood's bytes. */
static void
flood_data_cb(struct dk_req *req, const char *buf, size_t len, void *arg)
{
	struct flood_ctx *fc = arg;

	(void)req;
	(void)buf;
	if (fc->paused && !fc->resumed)
		fc->during_pause += len;
	fc->bytes += len;
}

/* The end of the flood. */
static void
flood_done_cb(struct dk_req *req, int status, json_t *result, void *arg)
{
	struct flood_ctx *fc = arg;

	dkt_cb(req, status, result, &fc->res);
}

/* From outside curl: pause once bytes flow, resume 300 ms later. */
static void
flood_timer_cb(uv_timer_t *t)
{
	struct flood_ctx *fc = container_of(t, struct flood_ctx, timer);

	if (!fc->paused) {
		if (fc->bytes == 0)
			return;
		dk_req_pause(fc->req);
		fc->paused = 1;
		fc->at_pause = fc->bytes;
		(void)uv_timer_start(&fc->timer, flood_timer_cb, 300, 0);
		return;
	}
	fc->sent_at_resume = fc->srv->flood_sent;
	fc->resumed = 1;
	dk_req_resume(fc->req);
}

/*
 * A paused stream stops reading its socket: the sender stalls instead of
 * the client buffering, and everything arrives after the resume.
 */
static void
test_stream_backpressure(void)
{
	uv_loop_t loop;
	struct fk_srv srv;
	struct dk_client *c;
	struct flood_ctx fc;
	struct dk_req_opts o = {
		.path = "/flood",
		.flags = DK_REQ_STREAM,
		.on_data = flood_data_cb,
	};

	memset(&fc, 0, sizeof fc);
	fk_start(&srv, &loop, 0);
	srv.mode = FK_FLOOD;
	srv.flood = 32u << 20;
	fc.srv = &srv;
	c = fk_client(&srv, NULL);
	ASSERT_OK(uv_timer_init(&loop, &fc.timer));
	ASSERT_OK(uv_timer_start(&fc.timer, flood_timer_cb, 1, 1));
	ASSERT_OK(dk_request(c, &o, flood_done_cb, &fc, &fc.req));
	dkt_wait(&loop, &fc.res);
	ASSERT_EQ(fc.res.status, 0);
	ASSERT(fc.resumed);
	ASSERT_EQ(fc.during_pause, 0);
	ASSERT_EQ(fc.bytes, srv.flood);
	printf("# paused at %zu bytes; the sender had written %zu of %zu "
	    "when resumed\n", fc.at_pause, fc.sent_at_resume, srv.flood);
	/* While paused the sender was stuck well short of the end. */
	ASSERT_LT(fc.sent_at_resume, fc.at_pause + (8u << 20));
	uv_close((uv_handle_t *)&fc.timer, NULL);
	fk_finish(&srv, c);
}

TEST_MAIN(
	T(test_stream),
	T(test_stream_pause),
	T(test_stream_pause_burst),
	T(test_stream_cancel),
	T(test_stream_backpressure),
)
