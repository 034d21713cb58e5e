/*
 * Tests of the screen model (node/term-screen.c) against hostile program
 * output: the input of issue 8, which made libvterm 0.1.4 write past its
 * CSI argument array, its variants, and what fuzzing found after it
 * (docs/SECURITY.md). Each goes in whole and split, through a resize,
 * a snapshot and its replay; under the sanitizers nothing may fault or
 * hang.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "term.h"
#include "test.h"

/* Feeds a C string. */
static void
feed(struct term_screen *s, const char *str)
{
	term_screen_feed(s, str, strlen(str));
}

/* Reads a seed input of fuzz-vterm. */
static char *
read_seed(const char *name, size_t *len)
{
	char path[4096], *buf;

	snprintf(path, sizeof path, "%s/tools/fuzz/seeds/vterm/%s",
	    test_env("PIER_SOURCE_ROOT", ".."), name);
	buf = test_read_file(path, len);
	if (buf == NULL)
		FAIL("cannot read %s", path);
	return (buf);
}

/* Feeds buf in writes of step bytes (0: one write), resizes halfway,
 * snapshots and replays the snapshot into a fresh screen: the screen
 * model must come through whole, the cursor inside the screen and the
 * same on both. */
static void
hostile_run(const char *buf, size_t len, size_t step, int rows, int cols)
{
	struct term_screen *a, *b;
	size_t at, n, half = len / 2, sl;
	int r, c, v, br, bc, bv;
	char *snap;

	ASSERT_OK(term_screen_new(&a, 24, 80, 50, 64 * 1024));
	for (at = 0; at < len; at += n) {
		n = step == 0 ? (at < half ? half : len - at) : step;
		if (at < half && at + n > half)
			n = half - at;
		if (n > len - at)
			n = len - at;
		term_screen_feed(a, buf + at, n);
		if (at + n == half)
			ASSERT_OK(term_screen_resize(a, rows, cols));
	}
	term_screen_cursor(a, &r, &c, &v);
	ASSERT(r >= 0 && r < rows && c >= 0 && c < cols);
	ASSERT_OK(term_screen_snapshot(a, TERM_SNAP_SCROLLBACK, &snap, &sl));
	ASSERT_OK(term_screen_new(&b, rows, cols, 50, 64 * 1024));
	term_screen_feed(b, snap, sl);
	free(snap);
	term_screen_cursor(b, &br, &bc, &bv);
	ASSERT_EQ(br, r);
	ASSERT_EQ(bc, c);
	term_screen_free(b);
	ASSERT_OK(term_screen_resize(a, 24, 80));
	feed(a, "\033[1;2;3mstill parsing\r\n");
	term_screen_free(a);
}

/* The output of issue 8 (libvterm 0.1.4 stores CSI arguments past
 * csi_args[16], over the VTerm's own pointers) and its variants: more
 * ':' sub-parameters, split across writes, resized and snapshot. */
static void
test_hostile_csi_arguments(void)
{
	char buf[4096];
	size_t len, k, n;
	char *seed;

	seed = read_seed("issue8-colons-osc-resize", &len);
	for (k = 0; k <= 3; k++)
		hostile_run(seed, len, k == 3 ? 7 : k, 28, 111);
	free(seed);
	/* 2000 ':' in one sequence, then a string left open, as the
	 * issue's input but longer; and DEL after ESC, which libvterm
	 * skips (so ESC DEL [ opens a CSI too). */
	for (k = 0; k < 2; k++) {
		n = (size_t)snprintf(buf, sizeof buf, k == 0 ? "\033[38" :
		    "\033\177[38");
		while (n < 2000)
			buf[n++] = ':';
		n += (size_t)snprintf(buf + n, sizeof buf - n,
		    ";0;1\033]2;open title ::::::::;0m");
		hostile_run(buf, n, 0, 28, 111);
		hostile_run(buf, n, 1, 5, 20);
	}
}

/* libvterm 0.1.4 keeps the saved cursor where it was when the screen
 * shrinks; restoring it put the cursor past the last row, where text
 * reads lineinfo[] past its end. */
static void
test_saved_cursor_shrinks(void)
{
	static const char *const saves[] = { "\0337", "\033[?1049h" };
	static const char *const restores[] = { "\0338x", "\033[?1049lx" };
	struct term_screen *s;
	int i, r, c, v;

	for (i = 0; i < 2; i++) {
		ASSERT_OK(term_screen_new(&s, 24, 80, 10, 4096));
		feed(s, "\033[1;4m\033[20;70H");
		feed(s, saves[i]);
		feed(s, "\033[0m\033[3;3H\033[?25l");
		ASSERT_OK(term_screen_resize(s, 5, 20));
		/* The pen and cursor modes are the program's still. */
		term_screen_cursor(s, &r, &c, &v);
		ASSERT_EQ(r, 2);
		ASSERT_EQ(c, 2);
		ASSERT_EQ(v, 0);
		feed(s, restores[i]);
		term_screen_cursor(s, &r, &c, &v);
		ASSERT(r >= 0 && r < 5 && c >= 0 && c < 20);
		feed(s, "more text after the restore\r\n");
		term_screen_free(s);
	}
}

/* Seeds the fuzzer found: a UTF-8 character cut by a control (libvterm
 * then decodes one code point past its stack array), a saved cursor
 * past a shrink, DECRQSS requests libvterm does not know (one only in
 * the part of a DCS that a write boundary leaves it), and single shifts
 * that leave G3's UTF-8 decoder halfway. */
static void
test_hostile_seeds(void)
{
	static const char *const seeds[] = { "utf8-rest-across-runs",
	    "saved-cursor-shrink", "decrqss-unknown", "decrqss-split",
	    "single-shift-utf8" };
	size_t i, len;
	char *buf;

	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		buf = read_seed(seeds[i], &len);
		hostile_run(buf, len, 0, 1, TERM_MIN_COLS + 10);
		hostile_run(buf, len, 1, 1, TERM_MIN_COLS + 10);
		free(buf);
	}
}
/* REP repeats the last glyph; libvterm 0.1.4 steps by its width and
 * looped for ever (the node's whole event loop with it) on one of width
 * 0 or -1, or with no glyph yet. */
static void
test_rep_ends(void)
{
	static const char *const cases[] = { "\033[b", "\xcc\x81\033[3b",
	    "a\r\n\xcc\x81\033[3b", "\xc2\x85\033[3b",
	    "\xe2\x80\x8b\033[b", "\033c\033[2b" };
	struct term_screen *s;
	VTermScreenCell cell;
	size_t i;
	int c;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ASSERT_OK(term_screen_new(&s, 5, 20, 10, 4096));
		feed(s, cases[i]);
		feed(s, "\r\nafter");
		hostile_run(cases[i], strlen(cases[i]), 1, 3, 30);
		term_screen_free(s);
	}
	/* After a glyph with a width it repeats, as before. */
	ASSERT_OK(term_screen_new(&s, 5, 20, 10, 4096));
	feed(s, "x\033[3b\xe4\xb8\xad\033[2b");
	for (c = 0; c < 4; c++) {
		ASSERT_OK(term_screen_cell(s, 0, c, &cell));
		ASSERT_EQ(cell.chars[0], 'x');
	}
	for (c = 4; c < 8; c += 2) {	/* 0.1.4 counts columns */
		ASSERT_OK(term_screen_cell(s, 0, c, &cell));
		ASSERT_EQ(cell.chars[0], 0x4e2d);
	}
	term_screen_free(s);
}

/* Combining marks after one glyph: libvterm keeps them all joined to
 * it, in a buffer that grew by four bytes a mark (33 MB for 10 MiB of
 * U+0301), never given back. */
static void
test_marks_bounded(void)
{
	struct term_screen *s;
	char buf[16384];
	size_t base, i;

	for (i = 0; i < sizeof(buf); i += 2)
		memcpy(buf + i, "\xcc\x81", 2);
	ASSERT_OK(term_screen_new(&s, 24, 80, 10, 4096));
	feed(s, "x");
	base = term_screen_memory(s);
	for (i = 0; i < 256; i++)	/* 4 MiB */
		term_screen_feed(s, buf, sizeof(buf));
	ASSERT_LT(term_screen_memory(s), base + 64 * 1024);
	feed(s, "\r\nnext line");
	term_screen_free(s);
}

/* A REP's final byte ends its sequence: the snapshot after it does not
 * end with the sequence's first bytes. */
static void
test_rep_closes(void)
{
	struct term_screen *s;
	char *snap;
	size_t len;

	ASSERT_OK(term_screen_new(&s, 5, 20, 10, 4096));
	feed(s, "x\033[3bhello");
	ASSERT_OK(term_screen_snapshot(s, 0, &snap, &len));
	ASSERT(len < 3 || memcmp(snap + len - 3, "\033[3", 3) != 0);
	free(snap);
	term_screen_free(s);
}

/* A DECRQSS libvterm 0.1.4 does not know: it answers "0$r" through
 * vsnprintf("0$r%.s", (int)len, command), an int for a string. */
static void
test_dcs_unknown_request(void)
{
	static const char *const cases[] = { "\033P$qX\033\\",
	    "\033P$q\007", "\007\033P$q$\007" };
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hostile_run(cases[i], strlen(cases[i]), 0, 5, 20);
		hostile_run(cases[i], strlen(cases[i]), 1, 5, 20);
	}
}

TEST_MAIN(
	T(test_hostile_csi_arguments),
	T(test_saved_cursor_shrinks),
	T(test_hostile_seeds),
	T(test_rep_ends),
	T(test_marks_bounded),
	T(test_rep_closes),
	T(test_dcs_unknown_request)
)
