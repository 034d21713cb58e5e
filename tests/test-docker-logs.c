/*
 * Logs against the real engine: stdout and stderr kept apart without a
 * TTY and raw with one, frames split across reads (a long log), follow
 * until the container stops, tail, timestamps, since and until, stream
 * selection, a missing container, and a consumer that pauses: the stream
 * stops reading while paused, then delivers the rest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "docker.h"
#include "dkt.h"
#include "test.h"

/* What a logs consumer collected. */
struct sink {
	char		*out;		/* stdout, or everything raw */
	size_t		 nout;
	char		*err;
	size_t		 nerr;
	int		 raw;		/* chunks of kind RAW */
	int		 chunks;
	int		 ended;
	int		 status;
	char		 msg[512];
	int		 pause_at;	/* pause after this many chunks */
	int		 pause_every;	/* pause after each, resume soon */
	int		 paused;
	int		 violations;	/* chunks that came while paused */
	uv_timer_t	*resumer;
	struct dk_stream *s;
};

/* Appends to a buffer that doubles as it grows. */
static void
grow(char **b, size_t *n, const char *buf, size_t len)
{
	size_t cap;

	for (cap = 64; cap < *n + 1; cap *= 2)
		;
	if (*b == NULL || *n + len + 1 > cap) {
		while (cap < *n + len + 1)
			cap *= 2;
		*b = realloc(*b, cap);
	}
	if (*b == NULL)
		abort();
	memcpy(*b + *n, buf, len);
	*n += len;
	(*b)[*n] = '\0';
}

/* Resumes a stream the consumer paused. */
static void
resume_cb(uv_timer_t *t)
{
	struct sink *k = t->data;

	k->paused = 0;
	if (k->s != NULL && !k->ended)
		dk_stream_resume(k->s);
}

/* on_chunk: keeps stdout/raw and stderr apart. */
static void
on_chunk(struct dk_stream *s, int kind, const char *buf, size_t len,
    void *arg)
{
	struct sink *k = arg;

	k->chunks++;
	if (k->paused)
		k->violations++;
	if (kind == DK_STREAM_STDERR)
		grow(&k->err, &k->nerr, buf, len);
	else
		grow(&k->out, &k->nout, buf, len);
	if (kind == DK_STREAM_RAW)
		k->raw++;
	if (k->pause_at != 0 && k->chunks == k->pause_at)
		dk_stream_pause(s);
	if (k->pause_every) {
		dk_stream_pause(s);
		k->paused = 1;
		k->resumer->data = k;
		if (uv_timer_start(k->resumer, resume_cb, 0, 0) != 0)
			abort();
	}
}

/* on_end: records the outcome. */
static void
on_end(struct dk_stream *s, int status, const char *msg, void *arg)
{
	struct sink *k = arg;

	(void)s;
	k->ended++;
	k->status = status;
	k->s = NULL;
	snprintf(k->msg, sizeof k->msg, "%s", msg);
}

/* Frees what a sink collected and zeroes it. */
static void
sink_reset(struct sink *k)
{
	free(k->out);
	free(k->err);
	memset(k, 0, sizeof *k);
}

/* Runs a logs stream to its end. */
static void
run_logs(uv_loop_t *loop, struct dk_client *c, const char *id,
    const struct dk_logs_opts *o, struct sink *k)
{
	struct dk_stream_cbs cbs = {
		.on_chunk = on_chunk, .on_end = on_end, .arg = k,
	};

	ASSERT_OK(dk_logs(c, id, o, &cbs, &k->s));
	while (k->ended == 0)
		if (uv_run(loop, UV_RUN_ONCE) == 0 && k->ended == 0)
			FAIL("loop ran dry");
	ASSERT_EQ(k->ended, 1);
}

/* Creates (and starts) a labelled container, with or without a TTY. */
static char *
make(uv_loop_t *loop, struct dk_client *c, const char *tag, int tty,
    const char *script)
{
	char label[192];
	const char *labels[] = { "pier.test=1", label, NULL };
	const char *cmd[] = { "sh", "-c", script, NULL };
	struct dk_create_opts o = {
		.image = dkt_image(), .cmd = cmd, .labels = labels, .tty = tty,
	};
	struct dkt_res res = { 0 };
	char *id;

	snprintf(label, sizeof label, "pier.test.case=%s", tag);
	DKT(loop, res, dk_container_create(c, &o, dkt_cb, &res, NULL));
	if (res.status != 0)
		FAIL("create: %s", res.msg);
	id = strdup(json_string_value(json_object_get(res.result, "Id")));
	DKT(loop, res, dk_container_start(c, id, dkt_cb, &res, NULL));
	if (res.status != 0)
		FAIL("start: %s", res.msg);
	dkt_reset(&res);
	return (id);
}

/* Waits for a container to stop. */
static void
wait_exit(uv_loop_t *loop, struct dk_client *c, const char *id)
{
	struct dkt_res res = { 0 };

	DKT(loop, res, dk_container_wait(c, id, NULL, dkt_cb, &res, NULL));
	ASSERT_OK(res.status);
	dkt_reset(&res);
}

/* Counts lines. */
static int
lines(const char *s)
{
	int n = 0;

	for (; s != NULL && *s != '\0'; s++)
		n += *s == '\n';
	return (n);
}

/* No TTY: stdout and stderr apart, 3000 frames across many reads. */
static void
test_notty(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	struct dk_logs_opts o = { .tail = -1 };
	struct sink k = { 0 };
	const char *tag = dkt_tag("logs-notty");
	char *id, *expect = NULL, line[32];
	size_t nexpect = 0;
	int i;

	c = dkt_client(&loop);
	/* stderr first: tail counts lines of both streams together. */
	id = make(&loop, c, tag, 0, "echo err1 >&2; echo out1; echo err2 >&2; "
	    "sleep 0.2; seq 1 3000");
	wait_exit(&loop, c, id);
	run_logs(&loop, c, id, &o, &k);
	ASSERT_OK(k.status);
	grow(&expect, &nexpect, "out1\n", 5);
	for (i = 1; i <= 3000; i++) {
		snprintf(line, sizeof line, "%d\n", i);
		grow(&expect, &nexpect, line, strlen(line));
	}
	ASSERT_EQ(k.nout, nexpect);
	ASSERT_MEMEQ(k.out, expect, nexpect);
	ASSERT_STREQ(k.err, "err1\nerr2\n");
	ASSERT_EQ(k.raw, 0);
	ASSERT_GE(k.chunks, 3003);
	free(expect);
	sink_reset(&k);

	/* stderr only, then the last three lines of stdout. */
	o.stderr_on = 1;
	run_logs(&loop, c, id, &o, &k);
	ASSERT_OK(k.status);
	ASSERT_EQ(k.nout, 0);
	ASSERT_STREQ(k.err, "err1\nerr2\n");
	sink_reset(&k);
	o.stderr_on = 0;
	o.stdout_on = 1;
	o.tail = 3;
	run_logs(&loop, c, id, &o, &k);
	ASSERT_STREQ(k.out, "2998\n2999\n3000\n");
	sink_reset(&k);

	/* The caller may say there is no TTY: no inspect, same bytes. */
	o.tty = DK_TTY_NO;
	o.tail = 1;
	run_logs(&loop, c, id, &o, &k);
	ASSERT_STREQ(k.out, "3000\n");
	sink_reset(&k);

	dkt_cleanup(&loop, c, tag);
	free(id);
	dkt_close(&loop, c);
}

/* A TTY: one raw stream, the terminal's \r\n line ends. */
static void
test_tty(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	struct dk_logs_opts o = { .tail = -1 };
	struct sink k = { 0 };
	const char *tag = dkt_tag("logs-tty");
	char *id;

	c = dkt_client(&loop);
	id = make(&loop, c, tag, 1, "echo hello; echo oops >&2");
	wait_exit(&loop, c, id);
	run_logs(&loop, c, id, &o, &k);
	ASSERT_OK(k.status);
	ASSERT_GT(k.raw, 0);
	ASSERT_EQ(k.nerr, 0);
	ASSERT_CONTAINS(k.out, "hello\r\n");
	ASSERT_CONTAINS(k.out, "oops\r\n");
	sink_reset(&k);
	dkt_cleanup(&loop, c, tag);
	free(id);
	dkt_close(&loop, c);
}

/* Follow: lines arrive while the container runs; the end is clean. */
static void
test_follow(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	struct dk_logs_opts o = { .tail = -1, .follow = 1 };
	struct sink k = { 0 };
	const char *tag = dkt_tag("logs-follow");
	char *id;

	c = dkt_client(&loop);
	id = make(&loop, c, tag, 0, "for i in 1 2 3 4 5; do echo tick$i; "
	    "sleep 0.2; done");
	run_logs(&loop, c, id, &o, &k);
	ASSERT_OK(k.status);
	ASSERT_STREQ(k.out, "tick1\ntick2\ntick3\ntick4\ntick5\n");
	ASSERT_GE(k.chunks, 5);
	sink_reset(&k);
	dkt_cleanup(&loop, c, tag);
	free(id);
	dkt_close(&loop, c);
}

/* Reads the unix time of a "2026-...Z text" line. */
static long long
line_time(const char *line, double *frac)
{
	struct tm tm;
	const char *p;

	memset(&tm, 0, sizeof tm);
	p = strptime(line, "%Y-%m-%dT%H:%M:%S", &tm);
	if (p == NULL)
		return (-1);
	*frac = *p == '.' ? strtod(p, NULL) : 0.0;
	return ((long long)timegm(&tm));
}

/* Timestamps on every line; since and until cut by time. */
static void
test_times(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	struct dk_logs_opts o = { .tail = -1, .timestamps = 1 };
	struct sink k = { 0 };
	const char *tag = dkt_tag("logs-times");
	char *id, *late;
	long long t;
	double frac;

	c = dkt_client(&loop);
	id = make(&loop, c, tag, 0, "echo early; sleep 2.2; echo late");
	wait_exit(&loop, c, id);
	run_logs(&loop, c, id, &o, &k);
	ASSERT_OK(k.status);
	ASSERT_EQ(lines(k.out), 2);
	ASSERT_CONTAINS(k.out, "Z early\n");
	late = strstr(k.out, "\n");
	ASSERT_NOT_NULL(late);
	t = line_time(late + 1, &frac);
	ASSERT_GT(t, 1600000000);
	ASSERT_GT(t, line_time(k.out, &frac));
	sink_reset(&k);

	/* since the second of "late": only it; until then: only "early". */
	o.timestamps = 0;
	o.since = t;
	run_logs(&loop, c, id, &o, &k);
	ASSERT_STREQ(k.out, "late\n");
	sink_reset(&k);
	o.since = 0;
	o.until = t;
	run_logs(&loop, c, id, &o, &k);
	ASSERT_STREQ(k.out, "early\n");
	sink_reset(&k);

	/* until before since is refused before anything is sent. */
	o.since = t;
	o.until = t - 1;
	ASSERT_EQ(dk_logs(c, id, &o, &(struct dk_stream_cbs){ .on_chunk =
	    on_chunk, .on_end = on_end, .arg = &k }, NULL), -EINVAL);
	dkt_cleanup(&loop, c, tag);
	free(id);
	dkt_close(&loop, c);
}

/* A missing container ends the stream with the engine's message. */
static void
test_missing(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	struct dk_logs_opts o = { .tail = -1 };
	struct sink k = { 0 };

	c = dkt_client(&loop);
	run_logs(&loop, c, "pier-no-such-container", &o, &k);
	ASSERT_EQ(k.status, DK_E_NOT_FOUND);
	ASSERT_CONTAINS(k.msg, "No such container: pier-no-such-container");
	sink_reset(&k);
	/* Without the inspect, the logs request itself says so. */
	o.tty = DK_TTY_NO;
	run_logs(&loop, c, "pier-no-such-container", &o, &k);
	ASSERT_EQ(k.status, DK_E_NOT_FOUND);
	ASSERT_CONTAINS(k.msg, "No such container");
	sink_reset(&k);
	dkt_close(&loop, c);
}

/* Resident set size in bytes. */
static long
rss(void)
{
	long pages = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL)
		return (0);
	if (fscanf(f, "%ld %ld", &pages, &res) != 2)
		res = 0;
	fclose(f);
	return (res * 4096);
}

/* Fires once to end a pause. */
static void
timer_cb(uv_timer_t *t)
{
	(*(int *)t->data)++;
}

/* A paused consumer: reading stops, memory stays, the rest follows. */
static void
test_pause(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	struct dk_logs_opts o = { .tail = -1, .follow = 1 };
	struct dk_stream_cbs cbs = { .on_chunk = on_chunk, .on_end = on_end };
	struct sink k = { 0 };
	struct dkt_res res = { 0 };
	const char *tag = dkt_tag("logs-pause");
	uv_timer_t timer;
	uint64_t held;
	char *id;
	long before;
	int fired = 0;

	c = dkt_client(&loop);
	/*
	 * About 4.5 MB of frames, far more than the socket holds. The
	 * container outlives the pause: dockerd ends a follow that is
	 * blocked on a slow reader when the container exits, dropping the
	 * rest (the docker CLI loses it the same way), so the end of the
	 * stream comes from a kill after the last line has arrived.
	 */
	id = make(&loop, c, tag, 0, "seq 1 300000; exec sleep 60");
	k.pause_at = 1;
	cbs.arg = &k;
	ASSERT_OK(dk_logs(c, id, &o, &cbs, &k.s));
	while (k.chunks == 0 && k.ended == 0)
		ASSERT(uv_run(&loop, UV_RUN_ONCE) != 0 || k.chunks > 0);
	ASSERT_EQ(k.ended, 0);
	held = dk_stream_bytes(k.s);
	before = rss();
	ASSERT_OK(uv_timer_init(&loop, &timer));
	timer.data = &fired;
	ASSERT_OK(uv_timer_start(&timer, timer_cb, 1500, 0));
	while (fired == 0)
		uv_run(&loop, UV_RUN_ONCE);
	/* Paused: nothing more was read, nothing more delivered. */
	ASSERT_EQ(k.chunks, 1);
	ASSERT_EQ(dk_stream_bytes(k.s), held);
	ASSERT_LT(held, 64 * 1024);
	ASSERT_LT(rss() - before, 4 * 1024 * 1024);
	k.pause_at = 0;
	dk_stream_resume(k.s);
	while (k.nout < 1988895 && k.ended == 0)
		ASSERT(uv_run(&loop, UV_RUN_ONCE) != 0 || k.ended);
	ASSERT_EQ(k.ended, 0);
	DKT(&loop, res, dk_container_kill(c, id, "KILL", dkt_cb, &res, NULL));
	ASSERT_OK(res.status);
	dkt_reset(&res);
	while (k.ended == 0)
		ASSERT(uv_run(&loop, UV_RUN_ONCE) != 0 || k.ended);
	ASSERT_OK(k.status);
	ASSERT_EQ(lines(k.out), 300000);
	ASSERT_EQ(k.nout, 1988895);
	ASSERT_CONTAINS(k.out + k.nout - 16, "\n300000\n");
	sink_reset(&k);
	uv_close((uv_handle_t *)&timer, NULL);

	/* Cancel in mid-stream: on_end once, CANCELLED. */
	k.pause_at = 0;
	cbs.arg = &k;
	ASSERT_OK(dk_logs(c, id, &o, &cbs, &k.s));
	while (k.chunks == 0 && k.ended == 0)
		uv_run(&loop, UV_RUN_ONCE);
	dk_stream_cancel(k.s);
	dk_stream_cancel(k.s);
	while (k.ended == 0)
		uv_run(&loop, UV_RUN_ONCE);
	ASSERT_EQ(k.ended, 1);
	ASSERT_EQ(k.status, DK_E_CANCELLED);
	sink_reset(&k);

	dkt_cleanup(&loop, c, tag);
	free(id);
	dkt_close(&loop, c);
}

/*
 * A consumer that pauses inside every chunk and resumes a loop turn
 * later: nothing arrives while paused (the rest of a read waits in the
 * stream), nothing is lost or reordered, and the end waits for the last
 * held bytes.
 */
static void
test_pause_every(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	struct dk_logs_opts o = { .tail = -1 };
	struct sink k = { 0 };
	const char *tag = dkt_tag("logs-pause-every");
	uv_timer_t resumer;
	char *id, *expect = NULL, line[32];
	size_t nexpect = 0;
	int i;

	c = dkt_client(&loop);
	ASSERT_OK(uv_timer_init(&loop, &resumer));
	id = make(&loop, c, tag, 0, "seq 1 20000");
	wait_exit(&loop, c, id);
	for (i = 1; i <= 20000; i++) {
		snprintf(line, sizeof line, "%d\n", i);
		grow(&expect, &nexpect, line, strlen(line));
	}
	k.pause_every = 1;
	k.resumer = &resumer;
	run_logs(&loop, c, id, &o, &k);
	ASSERT_OK(k.status);
	ASSERT_EQ(k.violations, 0);
	ASSERT_GE(k.chunks, 20000);
	ASSERT_EQ(k.nout, nexpect);
	ASSERT_MEMEQ(k.out, expect, nexpect);
	free(expect);
	sink_reset(&k);
	uv_close((uv_handle_t *)&resumer, NULL);
	dkt_cleanup(&loop, c, tag);
	free(id);
	dkt_close(&loop, c);
}

/*
 * Last: removes what a failed case of this run left behind (the cases
 * clean up after themselves when they pass).
 */
static void
test_cleanup(void)
{
	static const char *const names[] = { "logs-notty", "logs-tty",
	    "logs-follow", "logs-times", "logs-pause", "logs-pause-every" };
	uv_loop_t loop;
	struct dk_client *c;
	char tag[160];
	size_t i;

	c = dkt_client(&loop);
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(tag, sizeof tag, "%s", dkt_tag(names[i]));
		dkt_cleanup(&loop, c, tag);
	}
	dkt_close(&loop, c);
}

TEST_MAIN(T(test_notty), T(test_tty), T(test_follow), T(test_times),
    T(test_missing), T(test_pause), T(test_pause_every), T(test_cleanup))
