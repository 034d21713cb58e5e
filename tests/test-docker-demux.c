/*
 * The multiplexed stream decoder: frames whole and split at every byte,
 * stream kinds kept apart, zero-length frames, the length bound, bad
 * headers, a callback that stops the feed, and truncation at the end.
 */
#include <errno.h>

#include "docker.h"
#include "test.h"

/* What the callback collected: bytes per kind and the call count. */
struct sink {
	char	out[4096];
	size_t	nout;
	char	err[4096];
	size_t	nerr;
	int	calls;
	int	stop_after;	/* return 1 on this call (0: never) */
};

/* Appends payload to the buffer of its kind. */
static int
collect(void *arg, int kind, const char *buf, size_t len)
{
	struct sink *s = arg;

	s->calls++;
	if (kind == DK_STREAM_STDOUT) {
		if (s->nout + len > sizeof s->out)
			return (-ENOSPC);
		memcpy(s->out + s->nout, buf, len);
		s->nout += len;
	} else if (kind == DK_STREAM_STDERR) {
		if (s->nerr + len > sizeof s->err)
			return (-ENOSPC);
		memcpy(s->err + s->nerr, buf, len);
		s->nerr += len;
	} else {
		return (-EINVAL);
	}
	return (s->stop_after != 0 && s->calls == s->stop_after);
}

/* Writes one frame header and payload at p; returns bytes written. */
static size_t
frame(char *p, int kind, const char *payload, size_t len)
{
	p[0] = (char)kind;
	p[1] = p[2] = p[3] = 0;
	p[4] = (char)(len >> 24);
	p[5] = (char)(len >> 16);
	p[6] = (char)(len >> 8);
	p[7] = (char)len;
	memcpy(p + 8, payload, len);
	return (8 + len);
}

/* Builds a stream of five frames, one of them empty; returns its size. */
static size_t
sample(char *buf)
{
	size_t n = 0;

	n += frame(buf + n, 1, "hello\n", 6);
	n += frame(buf + n, 2, "oops\n", 5);
	n += frame(buf + n, 1, "", 0);
	n += frame(buf + n, 1, "world\n", 6);
	n += frame(buf + n, 2, "second error line\n", 18);
	return (n);
}

/* Checks the sink holds exactly what sample() encoded. */
static void
check_sample(const struct sink *s)
{
	ASSERT_EQ(s->nout, 12);
	ASSERT_MEMEQ(s->out, "hello\nworld\n", 12);
	ASSERT_EQ(s->nerr, 23);
	ASSERT_MEMEQ(s->err, "oops\nsecond error line\n", 23);
}

/* A whole stream in one read decodes, each frame in one call. */
static void
test_whole(void)
{
	struct dk_demux d;
	struct sink s = { 0 };
	char buf[256];
	size_t n;

	n = sample(buf);
	dk_demux_init(&d, 0);
	ASSERT_OK(dk_demux_feed(&d, buf, n, collect, &s));
	ASSERT_OK(dk_demux_finish(&d));
	check_sample(&s);
	ASSERT_EQ(s.calls, 4);	/* the empty frame gives no call */
	ASSERT_EQ(d.frames, 5);
}

/* Every way of cutting the stream in two gives the same result. */
static void
test_split_everywhere(void)
{
	struct dk_demux d;
	struct sink s;
	char buf[256];
	size_t n, cut;

	n = sample(buf);
	for (cut = 0; cut <= n; cut++) {
		memset(&s, 0, sizeof s);
		dk_demux_init(&d, 0);
		ASSERT_OK(dk_demux_feed(&d, buf, cut, collect, &s));
		ASSERT_OK(dk_demux_feed(&d, buf + cut, n - cut, collect, &s));
		ASSERT_OK(dk_demux_finish(&d));
		check_sample(&s);
	}
}

/* One byte at a time: headers assemble, payload passes through. */
static void
test_bytewise(void)
{
	struct dk_demux d;
	struct sink s = { 0 };
	char buf[256];
	size_t n, i;

	n = sample(buf);
	dk_demux_init(&d, 0);
	for (i = 0; i < n; i++) {
		ASSERT_OK(dk_demux_feed(&d, buf + i, 1, collect, &s));
		if (i + 1 < n && d.left == 0 && d.hlen == 0)
			ASSERT_OK(dk_demux_finish(&d));
	}
	ASSERT_OK(dk_demux_finish(&d));
	check_sample(&s);
	ASSERT_EQ(s.calls, 12 + 23);
}

/* An unknown stream type or nonzero padding is a protocol error. */
static void
test_bad_header(void)
{
	struct dk_demux d;
	struct sink s = { 0 };
	char buf[64];
	size_t n;

	n = frame(buf, 1, "ok", 2);
	n += frame(buf + n, 7, "no", 2);
	dk_demux_init(&d, 0);
	ASSERT_EQ(dk_demux_feed(&d, buf, n, collect, &s), -EPROTO);
	ASSERT_EQ(s.nout, 2);
	/* Sticky: even good input is refused afterwards. */
	n = frame(buf, 1, "ok", 2);
	ASSERT_EQ(dk_demux_feed(&d, buf, n, collect, &s), -EPROTO);
	ASSERT_EQ(dk_demux_finish(&d), -EPROTO);
	ASSERT_EQ(s.nout, 2);

	n = frame(buf, 1, "ok", 2);
	buf[2] = 1;
	dk_demux_init(&d, 0);
	ASSERT_EQ(dk_demux_feed(&d, buf, n, collect, &s), -EPROTO);

	/* Plain text (a TTY stream read as multiplexed) is refused. */
	dk_demux_init(&d, 0);
	ASSERT_EQ(dk_demux_feed(&d, "total 0\ndrwxr-xr-x", 18, collect, &s),
	    -EPROTO);
}

/* A frame longer than the bound is refused before its payload. */
static void
test_bound(void)
{
	struct dk_demux d;
	struct sink s = { 0 };
	char buf[64];

	memset(buf, 'x', sizeof buf);
	frame(buf, 1, buf + 8, 33);
	dk_demux_init(&d, 32);
	ASSERT_EQ(dk_demux_feed(&d, buf, 8 + 33, collect, &s), -EMSGSIZE);
	ASSERT_EQ(s.calls, 0);

	dk_demux_init(&d, 33);
	ASSERT_OK(dk_demux_feed(&d, buf, 8 + 33, collect, &s));
	ASSERT_EQ(s.nout, 33);

	/* The default bound: a header claiming 4 GiB. */
	memcpy(buf, "\1\0\0\0\xff\xff\xff\xff", 8);
	dk_demux_init(&d, 0);
	ASSERT_EQ(dk_demux_feed(&d, buf, 8, collect, &s), -EMSGSIZE);
}

/* A callback's nonzero return stops the feed; the rest can follow. */
static void
test_stop(void)
{
	struct dk_demux d;
	struct sink s = { 0 };
	char buf[256];
	size_t n;

	n = sample(buf);
	s.stop_after = 2;
	dk_demux_init(&d, 0);
	ASSERT_EQ(dk_demux_feed(&d, buf, n, collect, &s), 1);
	ASSERT_EQ(s.calls, 2);
	ASSERT_EQ(d.consumed, 14 + 13);
	ASSERT_EQ(s.nout, 6);
	ASSERT_EQ(s.nerr, 5);
	/* Everything up to the end of the second frame was consumed. */
	s.stop_after = 0;
	ASSERT_OK(dk_demux_feed(&d, buf + 14 + 13, n - 14 - 13, collect,
	    &s));
	ASSERT_EQ(d.consumed, n - 14 - 13);
	check_sample(&s);
}

/* Input that ends inside a header or a payload is truncated. */
static void
test_truncated(void)
{
	struct dk_demux d;
	struct sink s = { 0 };
	char buf[64];
	size_t n;

	n = frame(buf, 2, "abcdef", 6);
	dk_demux_init(&d, 0);
	ASSERT_OK(dk_demux_feed(&d, buf, 5, collect, &s));
	ASSERT_EQ(dk_demux_finish(&d), -EPROTO);
	dk_demux_init(&d, 0);
	ASSERT_OK(dk_demux_feed(&d, buf, n - 1, collect, &s));
	ASSERT_EQ(dk_demux_finish(&d), -EPROTO);
	ASSERT_OK(dk_demux_feed(&d, buf + n - 1, 1, collect, &s));
	ASSERT_OK(dk_demux_finish(&d));
	ASSERT_EQ(s.nerr, 6);
	ASSERT_STREQ(dk_stream_name(DK_STREAM_STDERR), "stderr");
}

TEST_MAIN(T(test_whole), T(test_split_everywhere), T(test_bytewise),
    T(test_bad_header), T(test_bound), T(test_stop), T(test_truncated))
