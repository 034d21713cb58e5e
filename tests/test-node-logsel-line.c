/*
 * logs.select's pure parts (node/logsel-line.c): the engine's RFC 3339
 * times, the splitter of timestamped log text (lines across chunks, a
 * TTY's "\r\n", lines over the bound cut in pieces with the same time),
 * the pattern (ERE forms, -i, -v, the error's position, a catastrophic
 * pattern bounded) and the JSON line, read back by jansson whatever the
 * bytes of the line.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test.h"
#include "node.h"

/* What the splitter handed on. */
struct got {
	int64_t	t[64];
	char	line[64][NODE_LSEL_LINE_MAX + NODE_LSEL_TS_MAX + 1];
	size_t	len[64];
	size_t	n;
};

/* Collects a line. */
static int
got_line(void *arg, int64_t t, const char *line, size_t len)
{
	struct got	*g = arg;

	if (g->n == 64)
		return (1);
	g->t[g->n] = t;
	memcpy(g->line[g->n], line, len);
	g->line[g->n][len] = '\0';
	g->len[g->n++] = len;
	return (0);
}

/* Times as the engine writes them, and what is not one. */
static void
test_time(void)
{
	int64_t	ns;

	ASSERT_OK(node_lsel_time("1970-01-01T00:00:00Z", 20, &ns));
	ASSERT_EQ(ns, 0);
	ASSERT_OK(node_lsel_time("2026-12-06T12:57:48.123456789Z", 30, &ns));
	ASSERT_EQ(ns, 1796561868123456789LL);
	ASSERT_OK(node_lsel_time("2026-12-06T12:57:48.5Z", 22, &ns));
	ASSERT_EQ(ns, 1796561868500000000LL);
	ASSERT_OK(node_lsel_time("2026-12-06T13:57:48+01:00", 25, &ns));
	ASSERT_EQ(ns, 1796561868000000000LL);
	ASSERT_OK(node_lsel_time("2000-02-29T00:00:00Z", 20, &ns));
	ASSERT_EQ(ns, 951782400000000000LL);
	ASSERT(node_lsel_time("2026-12-06 12:57:48Z", 20, &ns) != 0);
	ASSERT(node_lsel_time("2026-13-06T12:57:48Z", 20, &ns) != 0);
	ASSERT(node_lsel_time("2026-12-06T12:57:48.Z", 21, &ns) != 0);
	ASSERT(node_lsel_time("2026-12-06T12:57:48", 19, &ns) != 0);
	ASSERT(node_lsel_time("2026-12-06T12:57:48Zx", 21, &ns) != 0);
}

/* Lines across chunks, "\r\n", an untimed line and a long one. */
static void
test_split(void)
{
	static struct got	 g;
	struct node_lsel_split	*sp;
	const char		*in = "2026-12-06T12:57:48.000000001Z one\n"
	    "2026-12-06T12:57:48.000000002Z tw";
	char			*big;
	size_t			 i;

	sp = malloc(sizeof(*sp));
	ASSERT_NOT_NULL(sp);
	memset(&g, 0, sizeof(g));
	node_lsel_split_init(sp, 0);
	ASSERT_OK(node_lsel_split_feed(sp, in, strlen(in), got_line, &g));
	ASSERT_EQ(g.n, 1);
	ASSERT_OK(node_lsel_split_feed(sp, "o\r\nno time here\n", 16,
	    got_line, &g));
	ASSERT_EQ(g.n, 3);
	ASSERT_STREQ(g.line[0], "one");
	ASSERT_EQ(g.t[0], 1796561868000000001LL);
	ASSERT_STREQ(g.line[1], "two");
	ASSERT_EQ(g.t[1], 1796561868000000002LL);
	ASSERT_STREQ(g.line[2], "no time here");
	ASSERT_EQ(g.t[2], g.t[1]);	/* the last time seen */
	ASSERT_EQ(sp->untimed, 1);

	/* 25000 bytes: pieces of the bound, each with the line's time. */
	big = malloc(25100);
	ASSERT_NOT_NULL(big);
	memcpy(big, "2026-12-06T12:57:49Z ", 21);
	memset(big + 21, 'x', 25000);
	big[25021] = '\n';
	memset(&g, 0, sizeof(g));
	for (i = 0; i < 25022; i += 997)
		ASSERT_OK(node_lsel_split_feed(sp, big + i, i + 997 > 25022 ?
		    25022 - i : 997, got_line, &g));
	ASSERT_EQ(g.n, 3);
	ASSERT_EQ(g.len[0] + g.len[1] + g.len[2], 25000);
	for (i = 0; i < g.n; i++) {
		ASSERT_LE(g.len[i], NODE_LSEL_LINE_MAX + NODE_LSEL_TS_MAX);
		ASSERT_EQ(g.t[i], 1796561869000000000LL);
	}
	/* A last line without its newline comes at the finish. */
	memset(&g, 0, sizeof(g));
	ASSERT_OK(node_lsel_split_feed(sp, "2026-12-06T12:57:50Z end", 24,
	    got_line, &g));
	ASSERT_EQ(g.n, 0);
	ASSERT_OK(node_lsel_split_finish(sp, got_line, &g));
	ASSERT_EQ(g.n, 1);
	ASSERT_STREQ(g.line[0], "end");
	free(big);
	free(sp);
}

/* Extended regular expressions, -i, -v and errors with a position. */
static void
test_grep(void)
{
	struct node_lsel_grep	*g;
	char			*cause = NULL;

	ASSERT_OK(node_lsel_grep_new("^(GET|POST) /api/[a-z]+ [45][0-9]{2}$",
	    0, 0, &g, &cause));
	ASSERT_EQ(node_lsel_grep_match(g, "GET /api/users 404", 18), 1);
	ASSERT_EQ(node_lsel_grep_match(g, "GET /api/users 200", 18), 0);
	ASSERT_EQ(node_lsel_grep_match(g, "get /api/users 404", 18), 0);
	node_lsel_grep_free(g);
	ASSERT_OK(node_lsel_grep_new("[[:digit:]]+ error", 1, 0, &g, &cause));
	ASSERT_EQ(node_lsel_grep_match(g, "42 ERROR here", 13), 1);
	ASSERT_EQ(node_lsel_grep_match(g, "\xff\xfe 7 Error", 11), 1);
	node_lsel_grep_free(g);
	ASSERT_OK(node_lsel_grep_new("debug", 0, 1, &g, &cause));
	ASSERT_EQ(node_lsel_grep_match(g, "a debug line", 12), 0);
	ASSERT_EQ(node_lsel_grep_match(g, "an info line", 12), 1);
	node_lsel_grep_free(g);

	ASSERT_EQ(node_lsel_grep_new("abc(def", 0, 0, &g, &cause), -EINVAL);
	ASSERT_NULL(g);
	ASSERT_NOT_NULL(cause);
	ASSERT_CONTAINS(cause, "position 8");
	free(cause);
	cause = NULL;
	ASSERT_EQ(node_lsel_grep_new("a{2,1}", 0, 0, &g, &cause), -EINVAL);
	ASSERT_CONTAINS(cause, "position");
	free(cause);
}

/* A pattern that backtracks catastrophically costs bounded time. */
static void
test_grep_catastrophic(void)
{
	struct node_lsel_grep	*g;
	struct timespec		 a, b;
	char			 line[4096];
	char			*cause = NULL;
	double			 ms;
	int			 i;

	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '!';
	ASSERT_OK(node_lsel_grep_new("^(a+)+$", 0, 0, &g, &cause));
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < 20; i++)
		ASSERT_EQ(node_lsel_grep_match(g, line, sizeof(line)), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
	ASSERT_EQ(node_lsel_grep_limited(g), 20);
	/* Unbounded, one such line would take longer than the universe. */
	ASSERT_LT(ms, 5000.0);
	node_lsel_grep_free(g);
}

/* Every byte value makes valid JSON that reads back to the line. */
static void
test_encode(void)
{
	struct node_lsel_rec	*r;
	json_t			*o;
	json_error_t		 e;
	char			*out;
	size_t			 len, i;
	const char		*l;

	r = malloc(sizeof(*r) + 256 + 8);
	out = malloc(NODE_LSEL_JSON_MAX);
	ASSERT_NOT_NULL(r);
	ASSERT_NOT_NULL(out);
	for (i = 0; i < 256; i++)
		r->line[i] = (char)i;
	memcpy(r->line + 256, "\xe2\x82\xac\xf0\x9f\x98\x80", 7);	/* €😀 */
	r->len = 263;
	r->t = 1796561868123456789LL;
	r->kind = DK_STREAM_STDERR;
	r->ctx = 1;
	len = node_lsel_encode(out, r, "web\"1", 5);
	ASSERT_EQ(out[len - 1], '\n');
	o = json_loadb(out, len, 0, &e);
	ASSERT_NOT_NULL(o);
	ASSERT_EQ(json_integer_value(json_object_get(o, "t")), r->t);
	ASSERT_STREQ(json_string_value(json_object_get(o, "c")), "web\"1");
	ASSERT_STREQ(json_string_value(json_object_get(o, "s")), "stderr");
	ASSERT_EQ(json_integer_value(json_object_get(o, "x")), 1);
	l = json_string_value(json_object_get(o, "l"));
	ASSERT_NOT_NULL(l);
	/* ASCII comes back as is; NUL and 0x80-0xff as U+FFFD. */
	ASSERT_EQ(json_string_length(json_object_get(o, "l")),
	    3 + 127 + 128 * 3 + 7);
	ASSERT_MEMEQ(l, "\xef\xbf\xbd", 3);
	ASSERT_MEMEQ(l + 3, r->line + 1, 127);
	ASSERT_MEMEQ(l + 130, "\xef\xbf\xbd", 3);
	ASSERT_MEMEQ(l + 130 + 128 * 3, "\xe2\x82\xac\xf0\x9f\x98\x80", 7);
	json_decref(o);
	free(out);
	free(r);
}

TEST_MAIN(
	T(test_time),
	T(test_split),
	T(test_grep),
	T(test_grep_catastrophic),
	T(test_encode))
