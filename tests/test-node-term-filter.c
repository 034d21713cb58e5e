/*
 * Tests of the filter in front of libvterm (node/term-filter.c): output
 * within libvterm 0.1.4's safe limits passes byte for byte, however it
 * is split into calls; what goes past them is cut to them, the same
 * whichever way it is split.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "term-int.h"
#include "test.h"

/* One call of the filter over all of len bytes (no REP in them). */
static size_t
filter(struct term__filter *f, const char *in, size_t len, char *out)
{
	size_t n = len, o;

	o = term__filter(f, in, &n, out);
	ASSERT_EQ(n, len);
	ASSERT(!f->rep);
	return (o);
}

/* Runs buf through a fresh filter in calls of at most step bytes (0:
 * cut at *cuts, a 0-terminated list of offsets); returns the output
 * (malloc'd), its length in *outlen. */
static char *
run(const char *buf, size_t len, size_t step, const size_t *cuts,
    size_t *outlen)
{
	struct term__filter f;
	char *out;
	size_t at = 0, n, o = 0;

	memset(&f, 0, sizeof(f));
	out = malloc(len + TERM__FILTER_SLACK + 1);
	if (out == NULL)
		FAIL("out of memory");
	while (at < len) {
		if (step > 0)
			n = len - at < step ? len - at : step;
		else if (*cuts != 0 && *cuts > at)
			n = *cuts++ - at;
		else
			n = len - at;
		o += term__filter(&f, buf + at, &n, out + o);
		if (f.rep) {
			f.rep = 0;
			out[o++] = 'b';	/* as the guard does for a glyph */
		}
		ASSERT_LE(o, len);
		at += n;
	}
	*outlen = o;
	return (out);
}

/* Fails unless buf comes out as want, in one call, byte by byte and
 * split at each offset. */
static void
assert_filters(const char *what, const char *buf, size_t len,
    const char *want, size_t wlen)
{
	size_t cuts[2] = { 0, 0 }, n, i;
	char *out;

	for (i = 0; i <= len; i++) {
		if (i == len)
			out = run(buf, len, 1, NULL, &n);
		else {
			cuts[0] = i;
			out = run(buf, len, 0, cuts, &n);
		}
		if (n != wlen || memcmp(out, want, n) != 0)
			FAIL("%s (cut at %zu): %zu bytes out, %zu wanted",
			    what, i, n, wlen);
		free(out);
	}
}

/* Fails unless buf passes unchanged. */
static void
assert_passes(const char *buf)
{
	assert_filters(buf, buf, strlen(buf), buf, strlen(buf));
}

/* What programs print passes untouched, split anywhere. */
static void
test_ordinary_output_passes(void)
{
	static const char *const cases[] = {
	    "plain text\r\nand more\ttabbed\b\a",
	    "\033[1;31mred\033[0m \033[38;5;196mx\033[38;2;10;20;30my",
	    "\033[4:3mcurly\033[58:2::1:2:3m\033[m",
	    "\033[1;2;3;4;5;6;7;8;9;10;11;12;13;14;15;16m",	/* 16 */
	    "\033[?1049h\033[?25l\033[2J\033[H\033[?1049l\033[?25h",
	    "\033[65535;65535H\033[5;20r\033[>c\033[?1$p\033[!p",
	    "\033]0;a title\007\033]2;another\033\\after",
	    "caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80 done",
	    "\033(0lqqk\033(B\0337\0338\033M\033D\033E\033c",
	    "\033[0000000000000000000001m leading zeros",
	    "NUL\0 and DEL\x7f in text",
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_passes(cases[i]);
	/* The NUL case: strlen stops at it, so once more in full. */
	assert_filters("nul", "a\0b\x7f" "c", 5, "a\0b\x7f" "c", 5);
}

/* A 17th CSI argument and on go, ':' sub-parameters counted as
 * arguments, as libvterm counts them. */
static void
test_csi_arguments_cut(void)
{
	char in[512], want[512];
	int i, n, w;

	n = snprintf(in, sizeof in, "\033[1");
	w = snprintf(want, sizeof want, "\033[1");
	for (i = 2; i <= 40; i++) {
		n += snprintf(in + n, sizeof in - n, ";%d", i);
		if (i <= 16)
			w += snprintf(want + w, sizeof want - w, ";%d", i);
	}
	n += snprintf(in + n, sizeof in - n, "mX");
	w += snprintf(want + w, sizeof want - w, "mX");
	assert_filters("40 args", in, (size_t)n, want, (size_t)w);
	/* Colons alone, and colons then semicolons. */
	n = snprintf(in, sizeof in, "\033[38");
	for (i = 0; i < 100; i++)
		in[n++] = ':';
	n += snprintf(in + n, sizeof in - n, ";0;1mY");
	w = snprintf(want, sizeof want, "\033[38");
	for (i = 0; i < TERM__CSI_SEPS_MAX; i++)
		want[w++] = ':';
	w += snprintf(want + w, sizeof want - w, "mY");
	assert_filters("100 colons", in, (size_t)n, want, (size_t)w);
	/* A new sequence counts afresh. */
	assert_passes("\033[1;2;3;4;5;6;7;8;9;10;11;12;13;14;15;16m"
	    "\033[1;2;3;4;5;6;7;8;9;10;11;12;13;14;15;16m");
}

/* An argument stops at 65535: the digit that would pass it goes. */
static void
test_csi_numbers_cut(void)
{
	static const char in[] = "\033[999999999999;65536;65535;"
	    "99999999999999999999999999999Hz";
	static const char want[] = "\033[9999;6553;65535;9999Hz";

	assert_filters("numbers", in, sizeof in - 1, want, sizeof want - 1);
}

/* A string passes its first TERM__STR_MAX bytes and its end. */
static void
test_strings_cut(void)
{
	char *in, *want;
	size_t n = 3 * TERM__STR_MAX, i, w;

	in = malloc(n + 16);
	want = malloc(n + 16);
	if (in == NULL || want == NULL)
		FAIL("out of memory");
	memcpy(in, "\033]2;", 4);
	memcpy(want, "\033]2;", 4);
	for (i = 0; i < n; i++)
		in[4 + i] = (char)('a' + i % 26);
	memcpy(want + 4, in + 4, TERM__STR_MAX - 2);
	w = 4 + TERM__STR_MAX - 2;	/* "2;" counts */
	memcpy(in + 4 + n, "\033\\z", 3);
	memcpy(want + w, "\033\\z", 3);
	assert_filters("long title", in, 4 + n + 3, want, w + 3);
	free(in);
	free(want);
}

/* An ESC in a string at the end of a call waits for the next byte, so
 * libvterm never sees an ST split (it would hand the string on with
 * length (size_t)-1); controls between that ESC and its \ go. */
static void
test_string_terminator_whole(void)
{
	struct term__filter f;
	char out[16];

	memset(&f, 0, sizeof(f));
	ASSERT_EQ(filter(&f, "\033]2;x\033", 6, out), 5);
	ASSERT_MEMEQ(out, "\033]2;x", 5);
	ASSERT_EQ(filter(&f, "\0\n", 2, out), 0);
	ASSERT_EQ(filter(&f, "\\ok", 3, out), 4);
	ASSERT_MEMEQ(out, "\033\\ok", 4);
	ASSERT(term__filter_idle(&f));
}

/* The bytes of a UTF-8 character that a control cuts off go, so each
 * run of text starts with libvterm's decoder at rest; one split between
 * calls is held and given whole. */
static void
test_utf8_cut_and_held(void)
{
	struct term__filter f;
	char out[16];

	assert_filters("cut", "a\xc6\n*", 4, "a\n*", 3);
	assert_filters("cut by ESC", "\xe4\xb8\033[m\xdc*", 7,
	    "\033[m\xdc*", 5);
	/* 5- and 6-byte forms count as libvterm counts them. */
	assert_filters("6-byte", "\xfc\x80\x80\r\xdc*", 6, "\r\xdc*", 3);
	assert_filters("FF keeps it open", "\xc6\xff\xff\a*", 5, "\a*", 2);
	memset(&f, 0, sizeof(f));
	ASSERT_EQ(filter(&f, "x\xe4\xb8", 3, out), 1);
	ASSERT(!term__filter_idle(&f));
	ASSERT_EQ(filter(&f, "\xad", 1, out), 3);
	ASSERT_MEMEQ(out, "\xe4\xb8\xad", 3);
	ASSERT(term__filter_idle(&f));
}

/* The filter follows libvterm where the old guard lost it: DEL after ESC
 * (ignored there, so ESC DEL [ still opens a CSI) and a byte from 0x80
 * that ends a CSI (taken, not text). */
static void
test_follows_parser(void)
{
	char in[128], want[128];
	int n, w, i;

	n = snprintf(in, sizeof in, "\033\177[");
	w = snprintf(want, sizeof want, "\033\177[");
	for (i = 0; i < 30; i++) {
		in[n++] = ';';
		if (i < TERM__CSI_SEPS_MAX)
			want[w++] = ';';
	}
	in[n++] = 'm';
	want[w++] = 'm';
	assert_filters("ESC DEL [", in, (size_t)n, want, (size_t)w);
	assert_filters("CSI ends at 0xc3", "\033[1\xc3\n", 5,
	    "\033[1\xc3\n", 5);
	/* ESC and an intermediate end a string: an escape, not the
	 * string's ESC (which the filter would hold). */
	assert_passes("\033P\033'\xfb\033]x\033(Bz");
}

/* The crashing input (a CSI with 68 separators, an OSC, a resize) and
 * its variants come out the same however they are split, and within the
 * limits. */
static void
test_hostile_inputs_split(void)
{
	static const char *const seeds[] = { "issue8-colons-osc-resize",
	    "colons-across-resize", "huge-params", "utf8-rest-across-runs",
	    "saved-cursor-shrink", "bad-utf8", "osc-open", "dcs-open" };
	char path[4096], *buf, *whole, *out;
	size_t i, n, wn, on, k;

	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		snprintf(path, sizeof path, "%s/tools/fuzz/seeds/vterm/%s",
		    test_env("PIER_SOURCE_ROOT", ".."), seeds[i]);
		buf = test_read_file(path, &n);
		if (buf == NULL)
			FAIL("cannot read %s", path);
		whole = run(buf, n, 0, (size_t[]){ 0 }, &wn);
		for (k = 1; k <= 7; k++) {
			out = run(buf, n, k, NULL, &on);
			if (on != wn || memcmp(out, whole, on) != 0)
				FAIL("%s in calls of %zu differs", seeds[i],
				    k);
			free(out);
		}
		free(whole);
		free(buf);
	}
}

/* A REP's final byte is left to the caller, who knows whether the last
 * glyph has a width; only a plain CSI b is one. */
static void
test_rep_left_to_caller(void)
{
	struct term__filter f;
	char out[32];
	size_t n;

	memset(&f, 0, sizeof(f));
	n = 9;
	ASSERT_EQ(term__filter(&f, "x\033[5bmore", &n, out), 4);
	ASSERT_EQ(n, 5);
	ASSERT(f.rep);
	ASSERT_MEMEQ(out, "x\033[5", 4);
	f.rep = 0;
	ASSERT(term__filter_idle(&f));
	ASSERT_EQ(f.tail_len, 0);	/* the snapshot ends with no CSI */
	ASSERT_EQ(filter(&f, "more\033[?5b\033[5 b\033[>b", 18, out), 18);
	assert_passes("x\033[b\033[3b\033[65535bz");
}

/* Combining marks in a row pass up to TERM__MARKS_MAX (libvterm keeps
 * every one joined to a glyph); any other character starts the count
 * again, and marks decoded as U+FFFD are not marks. */
static void
test_marks_cut(void)
{
	char in[1024], want[1024];
	int i, n = 0, w = 0;

	in[n++] = want[w++] = 'e';
	for (i = 0; i < 300; i++) {
		memcpy(in + n, "\xcc\x81", 2);	/* U+0301 */
		n += 2;
		if (i < TERM__MARKS_MAX) {
			memcpy(want + w, "\xcc\x81", 2);
			w += 2;
		}
	}
	/* Escapes between them do not part them from their glyph. */
	memcpy(in + n, "\033[1m\xcc\x81x\xcc\x81", 9);
	memcpy(want + w, "\033[1mx\xcc\x81", 7);
	n += 9;
	w += 7;
	assert_filters("marks", in, (size_t)n, want, (size_t)w);
	/* Overlong forms of a mark are U+FFFD to libvterm. */
	n = 0;
	for (i = 0; i < 100; i++) {
		memcpy(in + n, "\xe0\x8c\x81", 3);
		n += 3;
	}
	assert_filters("overlong", in, (size_t)n, in, (size_t)n);
	assert_passes("e\xcc\x81\xcc\xa7 \xe0\xa4\x95\xe0\xa5\x8d"
	    "\xe0\xa4\xb7 \xed\x95\x9c \xe1\x84\x92\xe1\x85\xa1"
	    "\xe1\x86\xab");
}

/* Every DCS ends in CAN instead of its ST or BEL: 0.1.4 answers an
 * unknown DECRQSS through a bad vsnprintf, and may take the end of any
 * DCS for one. OSC strings keep their ends. */
static void
test_dcs_cancelled(void)
{
	assert_filters("unknown", "\033P$qX\033\\", 7,
	    "\033P$qX\033\030", 7);
	assert_filters("BEL", "\033P$q\007z", 6, "\033P$q\030z", 6);
	assert_filters("known", "\033P$qm\033\\", 7,
	    "\033P$qm\033\030", 7);
	assert_filters("sixel", "\033Pq#0;2;0;0;0$q-\033\\x", 19,
	    "\033Pq#0;2;0;0;0$q-\033\030x", 19);
	assert_passes("\033]2;$qX\007\033]0;t\033\\");
}

/* SS2 and SS3 (ESC N, ESC O) become ESC CAN: 0.1.4 decodes one code
 * point with G2's or G3's own UTF-8 decoder and may leave it halfway
 * for the next single shift. After an intermediate they are no single
 * shift and pass. */
static void
test_single_shifts_cancelled(void)
{
	assert_filters("SS3", "\033O\xef\xef#\033O#", 8,
	    "\033\030\xef\xef#\033\030#", 8);
	assert_filters("SS2 in a string", "\033]x\033Ny", 6,
	    "\033]x\033\030y", 6);
	assert_passes("\033(N\033$O\033n\033o");
}

TEST_MAIN(
	T(test_ordinary_output_passes),
	T(test_csi_arguments_cut),
	T(test_csi_numbers_cut),
	T(test_strings_cut),
	T(test_string_terminator_whole),
	T(test_utf8_cut_and_held),
	T(test_follows_parser),
	T(test_rep_left_to_caller),
	T(test_marks_cut),
	T(test_dcs_cancelled),
	T(test_single_shifts_cancelled),
	T(test_hostile_inputs_split)
)
