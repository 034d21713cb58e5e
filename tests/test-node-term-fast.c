/*
 * Tests of the fast path for text in the screen model (node/term-guard.c):
 * runs of printable ASCII go into the grid directly when libvterm would
 * put them plainly. A screen with the fast path and one without are fed
 * the same output, cut the same way, and must agree after every piece:
 * every cell of both grids (text, pen, protection), the cursor, the
 * scrollback, and the snapshot that repaints them byte for byte. The
 * output mixes long runs of text with everything that changes how
 * libvterm puts text or where: character sets and shifts, insert and
 * origin mode, margins, double-width lines, protection, wide characters
 * and combining marks, REP, wraps, resizes. Tests also check that the
 * fast path ran where it may, and not where it may not.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "term-int.h"
#include "test.h"

/* A small deterministic generator (xorshift64). */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((unsigned)(rng >> 11) % n);
}

/* A growing byte string. */
struct str {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

static void
put(struct str *b, const char *s, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL)
			abort();
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void __attribute__((format(printf, 2, 3)))
putf(struct str *b, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	put(b, tmp, (size_t)n);
}

/* Sequences that change how or where text goes. */
static const char *const seqs[] = {
	"\r\n", "\r", "\n", "\t", "\b", "\x0e", "\x0f", "\x7f", "\x07",
	"\033(0", "\033(B", "\033(A", "\033)0", "\033)B", "\033*0",
	"\033+0", "\033*B", "\033n", "\033o", "\033(%5", "\033((0",
	"\033 (0", "\033c",
	"\033[4h", "\033[4l", "\033[1;4h", "\033[4;1l", "\033[?4h",
	"\033[4:1h", "\033[;4h", "\033[$4h",
	"\033[?6h", "\033[?6l", "\033[?6;7l", "\033[?7l", "\033[?7h",
	"\033[?69h", "\033[?69l", "\033[5;70s", "\033[3;20r", "\033[r",
	"\033[2;5r", "\033[?1049h", "\033[?1049l", "\033[?47h",
	"\033[?47l", "\033[!p",
	"\033#6", "\033#3", "\033#4", "\033#5", "\033#8",
	"\033[1\"q", "\033[0\"q", "\033[2\"q", "\033[?1J", "\033[?2K",
	"\0337", "\0338", "\033[s", "\033[u",
	"\033D", "\033M", "\033E", "\033[K", "\033[1K", "\033[2J",
	"\033[1;31m", "\033[0m", "\033[38;5;200m", "\033[7m", "\033[4:3m",
	"\033[48;2;1;2;3m",
	"\xe4\xb8\xad", "\xc3\xa9", "\xcc\x81", "\xcc\x81\xcc\x82",
	"\xf0\x9f\x98\x80", "\xff", "\xe4\xb8", "\xc2\x85",
	"\033]0;a title\007", "\033P$qr\033\\", "\033[?25l", "\033[?25h",
	"\033[6n", "\033[c",
};

/* Appends one piece of program output. */
static void
gen_piece(struct str *b, int rows, int cols)
{
	char run[400];
	unsigned n, i, k = rnd(100);

	if (k < 45) {
		/* A run of text, often as long as a line or longer. */
		n = 1 + (k < 15 ? rnd(cols * 3) : k < 30 ? rnd(cols) :
		    rnd(24));
		if (n > sizeof run)
			n = sizeof run;
		for (i = 0; i < n; i++)
			run[i] = (char)(0x20 + rnd(95));
		put(b, run, n);
	} else if (k < 75) {
		const char *s = seqs[rnd(sizeof seqs / sizeof seqs[0])];

		put(b, s, strlen(s));
	} else if (k < 85) {
		putf(b, "\033[%u;%uH", 1 + rnd(rows + 2), 1 + rnd(cols + 2));
	} else if (k < 92) {
		putf(b, "\033[%u%c", rnd(cols + 2),
		    "ABCDGdEF`@PXLMSTb"[rnd(17)]);
	} else {
		/* A line of text and its end, as bulk output has. */
		n = (unsigned)cols - 4 + rnd(6);
		for (i = 0; i < n && i < sizeof run; i++)
			run[i] = (char)('a' + rnd(26));
		put(b, run, i);
		put(b, "\r\n", 2);
	}
}

/* Fails unless two cells are the same. */
static void
assert_cell(const struct term__cell *a, const struct term__cell *b, int g,
    int r, int c)
{
	const VTermScreenCellAttrs *x = &a->pen.attrs, *y = &b->pen.attrs;

	if (memcmp(a->chars, b->chars, sizeof(a->chars)) != 0)
		FAIL("grid %d cell %d,%d: U+%04X != U+%04X", g, r, c,
		    a->chars[0], b->chars[0]);
	ASSERT_EQ(a->prot, b->prot);
	ASSERT(x->bold == y->bold && x->underline == y->underline &&
	    x->italic == y->italic && x->blink == y->blink &&
	    x->reverse == y->reverse && x->strike == y->strike &&
	    x->font == y->font && x->dwl == y->dwl && x->dhl == y->dhl);
	ASSERT_MEMEQ(&a->pen.fg, &b->pen.fg, sizeof(a->pen.fg));
	ASSERT_MEMEQ(&a->pen.bg, &b->pen.bg, sizeof(a->pen.bg));
}

/* Fails unless two screens hold the same state. */
static void
assert_same(struct term_screen *a, struct term_screen *b)
{
	const struct term__grid *ga, *gb;
	int g, r, c, ar, ac, av, br, bc, bv;
	char *sa, *sb;
	size_t la, lb, i, na, nb;
	const char *x, *y;

	for (g = 0; g < 2; g++) {
		ga = &a->grid[g];
		gb = &b->grid[g];
		ASSERT_EQ(ga->rows, gb->rows);
		ASSERT_EQ(ga->cols, gb->cols);
		ASSERT_EQ(ga->cells == NULL, gb->cells == NULL);
		for (r = 0; ga->cells != NULL && r < ga->rows; r++)
			for (c = 0; c < ga->cols; c++)
				assert_cell(&term__grid_row(ga, r)[c],
				    &term__grid_row(gb, r)[c], g, r, c);
	}
	ASSERT_EQ(a->cur == &a->grid[1], b->cur == &b->grid[1]);
	term_screen_cursor(a, &ar, &ac, &av);
	term_screen_cursor(b, &br, &bc, &bv);
	ASSERT_EQ(ar, br);
	ASSERT_EQ(ac, bc);
	ASSERT_EQ(av, bv);
	ASSERT_EQ(a->glyph_width, b->glyph_width);
	ASSERT_MEMEQ(&a->filt.vt, &b->filt.vt, sizeof(a->filt.vt));
	ASSERT_EQ(term_screen_sb_count(a), term_screen_sb_count(b));
	for (i = 0; i < term_screen_sb_count(a); i++) {
		x = term_screen_sb_line(a, i, &na);
		y = term_screen_sb_line(b, i, &nb);
		ASSERT_EQ(na, nb);
		ASSERT_MEMEQ(x, y, na);
	}
	ASSERT_OK(term_screen_snapshot(a, TERM_SNAP_SCROLLBACK, &sa, &la));
	ASSERT_OK(term_screen_snapshot(b, TERM_SNAP_SCROLLBACK, &sb, &lb));
	ASSERT_EQ(la, lb);
	ASSERT_MEMEQ(sa, sb, la);
	free(sa);
	free(sb);
}

/* Feeds a C string. */
static void
feed(struct term_screen *s, const char *str)
{
	term_screen_feed(s, str, strlen(str));
}

/* Feeds both screens the same bytes in the same pieces. */
static void
feed_both(struct term_screen *a, struct term_screen *b, const char *p,
    size_t len)
{
	term_screen_feed(a, p, len);
	term_screen_feed(b, p, len);
}

/* Random output, cut at random, into a screen with the fast path and one
 * without: they agree after every piece, and after a probe that shows
 * what libvterm keeps unseen (a pending wrap, the glyph a mark joins). */
static void
test_same_as_slow(void)
{
	static const int sizes[][2] = { { 24, 80 }, { 5, 20 }, { 40, 132 },
	    { 1, 20 }, { 3, 200 } };
	static const char probe[] = "Zq\xcc\x81yz";
	struct term_screen *a, *b;
	struct str out = { 0 };
	uint64_t fast = 0;
	size_t off, n;
	int round, i, rows, cols;

	for (round = 0; round < 400; round++) {
		rows = sizes[round % 5][0];
		cols = sizes[round % 5][1];
		ASSERT_OK(term_screen_new(&a, rows, cols, 30, 8192));
		ASSERT_OK(term_screen_new(&b, rows, cols, 30, 8192));
		b->fast = 0;
		out.len = 0;
		for (i = 0; i < 120; i++)
			gen_piece(&out, rows, cols);
		for (off = 0; off < out.len; off += n) {
			n = 1 + rnd(round % 3 == 0 ? 8 : 600);
			if (n > out.len - off)
				n = out.len - off;
			feed_both(a, b, out.p + off, n);
			assert_same(a, b);
			if (rnd(40) == 0) {
				rows = 1 + (int)rnd(40);
				cols = TERM_MIN_COLS + (int)rnd(150);
				ASSERT_OK(term_screen_resize(a, rows, cols));
				ASSERT_OK(term_screen_resize(b, rows, cols));
				assert_same(a, b);
			}
		}
		feed_both(a, b, probe, sizeof probe - 1);
		assert_same(a, b);
		ASSERT_EQ(b->fast_cells, 0);
		fast += a->fast_cells;
		term_screen_free(a);
		term_screen_free(b);
	}
	free(out.p);
	/* The fast path ran, often: the test compared something. */
	ASSERT_GT(fast, 100000);
}

/* Bulk output (lines of text, and one endless line that wraps) takes the
 * fast path for all but a few bytes a line, and lands as it would
 * without it. */
static void
test_bulk_goes_fast(void)
{
	struct term_screen *a, *b;
	struct str out = { 0 };
	int i, k;

	ASSERT_OK(term_screen_new(&a, 24, 80, 100, 1 << 16));
	ASSERT_OK(term_screen_new(&b, 24, 80, 100, 1 << 16));
	b->fast = 0;
	for (i = 0; i < 1000; i++) {
		for (k = 0; k < 76; k++)
			put(&out, &"ABCDEFGHIJKLMNOPQRSTUVWXYZ"[(i + k) % 26], 1);
		put(&out, "\r\n", 2);
	}
	feed_both(a, b, out.p, out.len);
	assert_same(a, b);
	/* Each line's first and last byte go through libvterm (and a line
	 * cut where a write ends, every 16 KiB, up to 16 more). */
	ASSERT_LE(a->fast_cells, 1000 * 74);
	ASSERT_GE(a->fast_cells, 1000 * 74 - 16 * 5);
	out.len = 0;
	for (i = 0; i < 80 * 100 + 7; i++)
		put(&out, "x", 1);
	a->fast_cells = 0;
	feed_both(a, b, out.p, out.len);
	assert_same(a, b);
	/* A wrap costs two bytes through libvterm (the last column, and
	 * the first of the next line) besides the pieces' first and last. */
	ASSERT_GT(a->fast_cells, 80 * 100 * 9 / 10);
	free(out.p);
	term_screen_free(a);
	term_screen_free(b);
}

/* A combining mark right after a run of text joins the run's last
 * glyph as it does without the fast path, also when that glyph went into
 * the last column and waits to wrap (libvterm 0.1.4 joins it then only
 * within one stretch of decoded text, so the run's last byte goes with
 * what follows; and after a byte over 7F while GL holds US-ASCII, the
 * stretch is UTF-8's and the run is left to libvterm). */
static void
test_mark_after_run(void)
{
	static const char *const heads[] = { "", "\033(B", "\033(B\xc3\xa9",
	    "\xc3\xa9" };
	static const char *const tails[] = { "\xcc\x81", "\xcc\x81\xcc\x82z",
	    "\033[2b", "\xe4\xb8\xad" };
	struct term_screen *a, *b;
	char line[200];
	int len, cols = 40;
	size_t h, t, n;

	for (h = 0; h < sizeof heads / sizeof heads[0]; h++)
	for (t = 0; t < sizeof tails / sizeof tails[0]; t++) {
		for (len = 16; len <= 2 * cols + 1; len++) {
			ASSERT_OK(term_screen_new(&a, 3, cols, 10, 4096));
			ASSERT_OK(term_screen_new(&b, 3, cols, 10, 4096));
			b->fast = 0;
			n = strlen(heads[h]);
			memcpy(line, heads[h], n);
			memset(line + n, 'm', (size_t)len);
			memcpy(line + n + len, tails[t], strlen(tails[t]));
			feed_both(a, b, line, n + (size_t)len +
			    strlen(tails[t]));
			assert_same(a, b);
			if (h != 2)
				ASSERT_GT(a->fast_cells, 0);
			else
				ASSERT_EQ(a->fast_cells, 0);
			term_screen_free(a);
			term_screen_free(b);
		}
	}
}

/* Where libvterm would not put text plainly, the fast path stays out:
 * another character set in GL (designated, shifted in, invoked by LS2),
 * insert mode, origin mode. (Double-width lines need no test: without
 * a setlineinfo callback libvterm 0.1.4 keeps every line normal.) */
static void
test_fast_stays_out(void)
{
	static const char *const setups[] = {
		"\033(0", "\033)0\x0e", "\033*0\033n", "\033+A\033o",
		"\033[4h", "\033[1;4h", "\033[?6h", "\033[?1;6h",
	};
	static const char *const undo[] = {
		"\033(B", "\x0f", "\033(B\033*B", "\033+B",
		"\033[4l", "\033[4l", "\033[?6l", "\033[?6l",
	};
	static const char text[] = "lqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqk##";
	struct term_screen *a, *b;
	size_t i;

	for (i = 0; i < sizeof setups / sizeof setups[0]; i++) {
		ASSERT_OK(term_screen_new(&a, 10, 80, 0, 0));
		ASSERT_OK(term_screen_new(&b, 10, 80, 0, 0));
		b->fast = 0;
		feed_both(a, b, "abc", 3);
		feed_both(a, b, setups[i], strlen(setups[i]));
		feed_both(a, b, text, sizeof text - 1);
		assert_same(a, b);
		if (a->fast_cells != 0)
			FAIL("setup %zu (%s): fast path taken", i,
			    setups[i] + 1);
		feed_both(a, b, undo[i], strlen(undo[i]));
		feed_both(a, b, text, sizeof text - 1);
		assert_same(a, b);
		if (a->fast_cells == 0)
			FAIL("setup %zu: no fast path after %s", i, undo[i] + 1);
		term_screen_free(a);
		term_screen_free(b);
	}
}

/* The modes the filter follows: a set counts with the mode in any
 * argument, a reset only with it first (0.1.4 reads the first); RIS
 * resets them all. */
static void
test_modes_followed(void)
{
	struct term_screen *a;

	ASSERT_OK(term_screen_new(&a, 10, 80, 0, 0));
	ASSERT(term__filter_text_plain(&a->filt));
	feed(a, "\033[20;4h");
	ASSERT_EQ(a->filt.vt.insert, 1);
	feed(a, "\033[20;4l");
	ASSERT_EQ(a->filt.vt.insert, 1);
	feed(a, "\033[4:1l");
	ASSERT_EQ(a->filt.vt.insert, 0);
	feed(a, "\033[?4h\033[?6$h\033[>6h");
	ASSERT(term__filter_text_plain(&a->filt));
	feed(a, "\033[?6h");
	ASSERT_EQ(a->filt.vt.origin, 1);
	feed(a, "\033(0\033)A\033+0\x0e");
	ASSERT_EQ(a->filt.vt.g_odd, 0xb);
	ASSERT_EQ(a->filt.vt.gl, 1);
	feed(a, "\033[31m\x0f");	/* SI */
	ASSERT_EQ(a->filt.vt.gl, 0);
	feed(a, "\033[1\x0e;2H");	/* SO inside a CSI */
	ASSERT_EQ(a->filt.vt.gl, 1);
	feed(a, "\033c");
	ASSERT(term__filter_text_plain(&a->filt));
	ASSERT_EQ(a->filt.vt.g_odd, 0);
	ASSERT_EQ(a->filt.vt.gl, 0);
	term_screen_free(a);
}

TEST_MAIN(
	T(test_same_as_slow),
	T(test_bulk_goes_fast),
	T(test_mark_after_run),
	T(test_fast_stays_out),
	T(test_modes_followed)
)
