/*
 * Tests of the terminal screen model (node/term-screen.c): program output
 * goes into screen A, A's snapshot goes into a fresh screen B of the same
 * size, and the two must agree cell by cell (text, width, attributes,
 * colours), in the cursor, in the modes (a second snapshot, of B, must
 * equal A's) and in the scrollback. Input meant to confuse the parser
 * must neither crash nor grow memory.
 */
#include <errno.h>
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

/* Compares colours as a terminal shows them. */
static int
color_same(const VTermColor *a, const VTermColor *b)
{
	if ((a->type & VTERM_COLOR_DEFAULT_MASK) !=
	    (b->type & VTERM_COLOR_DEFAULT_MASK))
		return (0);
	if ((a->type & VTERM_COLOR_DEFAULT_MASK) != 0)
		return (1);
	if (VTERM_COLOR_IS_INDEXED(a) != VTERM_COLOR_IS_INDEXED(b))
		return (0);
	if (VTERM_COLOR_IS_INDEXED(a))
		return (a->indexed.idx == b->indexed.idx);
	return (a->rgb.red == b->rgb.red && a->rgb.green == b->rgb.green &&
	    a->rgb.blue == b->rgb.blue);
}

/* Fails unless two screens show the same cells and cursor. */
static void
assert_same_screen(struct term_screen *a, struct term_screen *b)
{
	VTermScreenCell ca, cb;
	int rows, cols, r, c, i, ar, ac, av, br, bc, bv;

	term_screen_size(a, &rows, &cols);
	term_screen_size(b, &r, &c);
	ASSERT_EQ(rows, r);
	ASSERT_EQ(cols, c);
	for (r = 0; r < rows; r++) {
		for (c = 0; c < cols; c++) {
			ASSERT_OK(term_screen_cell(a, r, c, &ca));
			ASSERT_OK(term_screen_cell(b, r, c, &cb));
			for (i = 0; i < VTERM_MAX_CHARS_PER_CELL; i++) {
				if (ca.chars[i] != cb.chars[i])
					FAIL("cell %d,%d char %d: U+%04X != "
					    "U+%04X", r, c, i, ca.chars[i],
					    cb.chars[i]);
				if (ca.chars[i] == 0)
					break;
			}
			if (ca.width != cb.width ||
			    ca.attrs.bold != cb.attrs.bold ||
			    ca.attrs.underline != cb.attrs.underline ||
			    ca.attrs.italic != cb.attrs.italic ||
			    ca.attrs.blink != cb.attrs.blink ||
			    ca.attrs.reverse != cb.attrs.reverse ||
			    ca.attrs.strike != cb.attrs.strike ||
			    ca.attrs.font != cb.attrs.font)
				FAIL("cell %d,%d: width or attributes differ",
				    r, c);
			if (!color_same(&ca.fg, &cb.fg) ||
			    !color_same(&ca.bg, &cb.bg))
				FAIL("cell %d,%d: colours differ (fg %02x/%02x"
				    " bg %02x/%02x)", r, c, ca.fg.type,
				    cb.fg.type, ca.bg.type, cb.bg.type);
		}
	}
	term_screen_cursor(a, &ar, &ac, &av);
	term_screen_cursor(b, &br, &bc, &bv);
	ASSERT_EQ(ar, br);
	ASSERT_EQ(ac, bc);
	ASSERT_EQ(av, bv);
	ASSERT_EQ(term_screen_altscreen(a), term_screen_altscreen(b));
	ASSERT_STREQ(term_screen_title(a), term_screen_title(b));
}

/* Makes B from A's snapshot, checks B matches, and that B's own snapshot
 * is A's (so modes and pen came across too). Returns B. */
static struct term_screen *
replay(struct term_screen *a, int flags)
{
	struct term_screen *b;
	char *sa, *sb;
	size_t la, lb;
	int rows, cols;

	term_screen_size(a, &rows, &cols);
	ASSERT_OK(term_screen_snapshot(a, flags, &sa, &la));
	ASSERT_OK(term_screen_new(&b, rows, cols, 100, 1 << 20));
	term_screen_feed(b, sa, la);
	assert_same_screen(a, b);
	ASSERT_OK(term_screen_snapshot(b, flags, &sb, &lb));
	if (la != lb || memcmp(sa, sb, la) != 0) {
		size_t i, k;

		for (i = 0; i < la && i < lb && sa[i] == sb[i]; i++)
			;
		i = i > 20 ? i - 20 : 0;
		/* Readable: controls as '~'. */
		for (k = 0; k < la; k++)
			if ((unsigned char)sa[k] < 0x20)
				sa[k] = '~';
		for (k = 0; k < lb; k++)
			if ((unsigned char)sb[k] < 0x20)
				sb[k] = '~';
		FAIL("snapshots differ: %zu and %zu bytes, from %zu: "
		    "\"%.60s\" vs \"%.60s\"", la, lb, i, sa + i, sb + i);
	}
	free(sa);
	free(sb);
	return (b);
}

/* Colours, attributes, cursor moves, wide and combining characters. */
static void
test_roundtrip_colours(void)
{
	struct term_screen *a, *b;
	VTermScreenCell c;

	ASSERT_OK(term_screen_new(&a, 24, 80, 100, 1 << 20));
	feed(a, "plain \033[1mbold\033[0m \033[4munder\033[24m "
	    "\033[3mital\033[23m \033[7mrev\033[27m \033[9mstrike\033[29m "
	    "\033[5mblink\033[25m \033[21mdbl\033[24m\r\n");
	feed(a, "\033[31mred\033[42mongreen\033[0m \033[91mbright"
	    "\033[104mbbg\033[0m \033[38;5;200m256\033[48;5;17mbg"
	    "\033[0m \033[38;2;10;20;30mrgb\033[48;2;200;100;50mrgbbg"
	    "\033[0m\r\n");
	feed(a, "wide \xe4\xb8\xad\xe6\x96\x87 combining e\xcc\x81 "
	    "a\xcc\x81\xcc\xa7 emoji \xf0\x9f\x98\x80!\r\n");
	feed(a, "\033[10;20Hmoved\033[5;70Hedge\033[1;80HZ");
	feed(a, "\033[12;1H\033[44m\033[Kblue line\033[0m");
	feed(a, "\033[14;5H\033[45m\033[10X\033[0m after erase");
	feed(a, "\033[24;1Hbottom\033[20;30H");
	/* A combining mark on the last column stays there. */
	feed(a, "\033[22;79Hxe\xcc\x81\033[20;30H");
	b = replay(a, 0);
	ASSERT_OK(term_screen_cell(b, 2, 5, &c));
	ASSERT_EQ(c.chars[0], 0x4e2d);
	ASSERT_EQ(c.width, 2);
	ASSERT_OK(term_screen_cell(b, 2, 20, &c));
	ASSERT_EQ(c.chars[0], 'e');
	ASSERT_EQ(c.chars[1], 0x301);
	ASSERT_OK(term_screen_cell(b, 1, 0, &c));
	ASSERT(VTERM_COLOR_IS_INDEXED(&c.fg));
	ASSERT_EQ(c.fg.indexed.idx, 1);
	term_screen_free(b);
	term_screen_free(a);
}

/* The pen in use carries over: later output looks the same on both. */
static void
test_pen_carries_over(void)
{
	struct term_screen *a, *b;

	ASSERT_OK(term_screen_new(&a, 10, 40, 0, 0));
	feed(a, "x\033[1;4;33;48;5;99mstill set");
	b = replay(a, 0);
	feed(a, " more\r\n\033[Kcleared");
	feed(b, " more\r\n\033[Kcleared");
	assert_same_screen(a, b);
	term_screen_free(b);
	term_screen_free(a);
}

/* A vi-like program: alternate screen, title, input modes, hidden
 * cursor; leaving the alternate screen shows the same main screen. */
static void
test_roundtrip_altscreen(void)
{
	struct term_screen *a, *b;
	char *snap;
	size_t len;

	ASSERT_OK(term_screen_new(&a, 24, 80, 100, 1 << 20));
	feed(a, "$ vi notes.txt\r\nprompt line \033[32mgreen\033[0m\r\n$ ");
	feed(a, "\033[?1049h\033[22;0;0t\033[?1h\033=\033[H\033[2J"
	    "\033]2;notes.txt - VI\007\033[?2004h\033[?1002h\033[?1006h"
	    "\033[?1004h\033[?25l");
	feed(a, "\033[1;1Hfirst line\033[2;1H\033[34m~\033[3;1H~\033[0m"
	    "\033[24;1H\033[7m\"notes.txt\" 1L\033[0m\033[1;6H\033[6 q");
	ASSERT_EQ(term_screen_altscreen(a), 1);
	ASSERT_STREQ(term_screen_title(a), "notes.txt - VI");
	b = replay(a, 0);
	ASSERT_OK(term_screen_snapshot(a, 0, &snap, &len));
	/* The modes a viewer's terminal needs for input. */
	snap = realloc(snap, len + 1);
	ASSERT_NOT_NULL(snap);
	snap[len] = '\0';
	ASSERT_CONTAINS(snap, "\033[?1h");
	ASSERT_CONTAINS(snap, "\033=");
	ASSERT_CONTAINS(snap, "\033[?2004h");
	ASSERT_CONTAINS(snap, "\033[?1002h");
	ASSERT_CONTAINS(snap, "\033[?1006h");
	ASSERT_CONTAINS(snap, "\033[?1004h");
	ASSERT_CONTAINS(snap, "\033[?25l");
	ASSERT_CONTAINS(snap, "\033[6 q");
	free(snap);
	/* vi quits: the main screen underneath is the same on both. */
	feed(a, "\033[?25h\033[?1049l\033[?1l\033>");
	feed(b, "\033[?25h\033[?1049l\033[?1l\033>");
	ASSERT_EQ(term_screen_altscreen(b), 0);
	{
		VTermScreenCell ca, cb;
		int r, c;

		for (r = 0; r < 24; r++)
			for (c = 0; c < 80; c++) {
				ASSERT_OK(term_screen_cell(a, r, c, &ca));
				ASSERT_OK(term_screen_cell(b, r, c, &cb));
				if (ca.chars[0] != cb.chars[0])
					FAIL("main screen %d,%d differs", r,
					    c);
			}
	}
	/* The peek did not disturb A: it still works as a terminal. */
	feed(a, "\033[?1049hX");
	ASSERT_EQ(term_screen_altscreen(a), 1);
	term_screen_free(b);
	term_screen_free(a);
}

/* Scrollback: bounded in lines, replayed in order, kept by B too. */
static void
test_scrollback(void)
{
	struct term_screen *a, *b;
	const char *la, *lb;
	size_t na, nb, i;
	char line[64];
	int k;

	ASSERT_OK(term_screen_new(&a, 10, 40, 50, 1 << 20));
	for (k = 1; k <= 200; k++) {
		snprintf(line, sizeof line, "line \033[3%dm%d\033[0m\r\n",
		    k % 8, k);
		feed(a, line);
	}
	ASSERT_EQ(term_screen_sb_count(a), 50);
	la = term_screen_sb_line(a, 0, &na);
	ASSERT_NOT_NULL(la);
	/* Lines 1..191 scrolled off; the oldest kept is 142. */
	ASSERT(na > 8 && memmem(la, na, "142", 3) != NULL);
	b = replay(a, TERM_SNAP_SCROLLBACK);
	ASSERT_EQ(term_screen_sb_count(b), 50);
	for (i = 0; i < 50; i++) {
		la = term_screen_sb_line(a, i, &na);
		lb = term_screen_sb_line(b, i, &nb);
		ASSERT_EQ(na, nb);
		ASSERT_MEMEQ(la, lb, na);
	}
	ASSERT_NULL(term_screen_sb_line(a, 50, &na));
	term_screen_free(b);
	term_screen_free(a);
}

/* The scrollback's byte bound holds, and 0 turns it off. */
static void
test_scrollback_bytes(void)
{
	struct term_screen *s, *off;
	size_t i, total, n;
	char line[128];

	ASSERT_OK(term_screen_new(&s, 5, 100, 100000, 4096));
	ASSERT_OK(term_screen_new(&off, 5, 100, 1000, 0));
	memset(line, 'x', 90);
	memcpy(line + 90, "\r\n", 3);
	for (i = 0; i < 1000; i++) {
		feed(s, line);
		feed(off, line);
	}
	total = 0;
	for (i = 0; i < term_screen_sb_count(s); i++) {
		ASSERT_NOT_NULL(term_screen_sb_line(s, i, &n));
		total += n + sizeof(size_t);
	}
	ASSERT_LE(total, 4096);
	ASSERT_GT(term_screen_sb_count(s), 10);
	ASSERT_EQ(term_screen_sb_count(off), 0);
	term_screen_free(off);
	term_screen_free(s);
}

/* Fails unless two cells look the same (text, width, attributes,
 * colours). */
static void
assert_same_cell(const char *what, int line, int col,
    const VTermScreenCell *a, const VTermScreenCell *b)
{
	int i;

	for (i = 0; i < VTERM_MAX_CHARS_PER_CELL; i++) {
		if (a->chars[i] != b->chars[i])
			FAIL("%s %d, col %d, char %d: U+%04X != U+%04X", what,
			    line, col, i, a->chars[i], b->chars[i]);
		if (a->chars[i] == 0)
			break;
	}
	if (a->width != b->width || a->attrs.bold != b->attrs.bold ||
	    a->attrs.underline != b->attrs.underline ||
	    a->attrs.italic != b->attrs.italic ||
	    a->attrs.blink != b->attrs.blink ||
	    a->attrs.reverse != b->attrs.reverse ||
	    a->attrs.strike != b->attrs.strike ||
	    a->attrs.font != b->attrs.font ||
	    !color_same(&a->fg, &b->fg) || !color_same(&a->bg, &b->bg))
		FAIL("%s %d, col %d: width, attributes or colours differ",
		    what, line, col);
}

/* Appends one line of SPL_COLS columns with a pen change before nearly
 * every cell: attributes, 16, 256 and RGB colours (an indexed colour
 * set twice, so equal pens may differ in unused bytes), coloured
 * blanks, runs of plain text, wide and combining characters. */
#define SPL_COLS	40
static void
pen_line(char *buf, size_t size, unsigned long *x)
{
	static const char *const sgr[] = {
		"\033[0m", "\033[1m", "\033[3m", "\033[4m", "\033[21m",
		"\033[4:3m", "\033[5m", "\033[7m", "\033[9m", "\033[11m",
		"\033[31m", "\033[42m", "\033[93m", "\033[104m",
		"\033[38;5;200m", "\033[48;5;17m", "\033[38;5;3m",
		"\033[38;2;1;2;3m", "\033[48;2;250;128;0m", "\033[39;49m",
		"\033[22;23;24;25;27;29;10m",
	};
	size_t len = 0;
	int col = 0, k;

	while (col < SPL_COLS) {
		*x = *x * 1103515245 + 12345;
		k = (int)((*x >> 16) % 16);
		if (k < 12)
			len += (size_t)snprintf(buf + len, size - len, "%s",
			    sgr[(*x >> 8) % (sizeof(sgr) / sizeof(sgr[0]))]);
		if (k < 6) {
			buf[len++] = (char)('A' + (*x >> 20) % 26);
			col++;
		} else if (k < 9) {
			/* A run of plain text in one pen. */
			for (k = 0; k < 5 && col < SPL_COLS; k++, col++)
				buf[len++] = (char)('a' + k);
		} else if (k < 11) {
			buf[len++] = ' ';	/* a blank in this pen */
			col++;
		} else if (k < 13 && col + 2 <= SPL_COLS) {
			len += (size_t)snprintf(buf + len, size - len,
			    "\xe4\xb8\xad");	/* U+4E2D, two columns */
			col += 2;
		} else if (k < 15) {
			len += (size_t)snprintf(buf + len, size - len,
			    "e\xcc\x81");	/* e and U+0301 */
			col++;
		}
	}
	snprintf(buf + len, size - len, "\033[0m\r\n");
}

/* Scrollback lines with many pen changes draw, on a fresh terminal,
 * the very cells the line had: each kept line is checked against a
 * screen tall enough never to scroll, fed the same output. */
static void
test_scrollback_pens(void)
{
	enum { LINES = 300, KEEP = 100, ROWS = 10 };
	struct term_screen *a, *tall, *c, *b;
	VTermScreenCell ca, cb;
	unsigned long x = 7;
	const char *line;
	char buf[2048];
	size_t i, len;
	int k, col, last;

	ASSERT_OK(term_screen_new(&a, ROWS, SPL_COLS, KEEP, 1 << 20));
	ASSERT_OK(term_screen_new(&tall, LINES + 1, SPL_COLS, 0, 0));
	for (k = 0; k < LINES; k++) {
		pen_line(buf, sizeof buf, &x);
		feed(a, buf);
		feed(tall, buf);
	}
	ASSERT_EQ(term_screen_sb_count(a), KEEP);
	for (i = 0; i < KEEP; i++) {
		/* Line LINES - (ROWS - 1) - KEEP + i scrolled off as i. */
		k = (int)(LINES - (ROWS - 1) - KEEP + i);
		line = term_screen_sb_line(a, i, &len);
		ASSERT_NOT_NULL(line);
		ASSERT_OK(term_screen_new(&c, 2, SPL_COLS, 0, 0));
		term_screen_feed(c, line, len);
		/* Trailing blanks are not kept, whatever their pen. */
		for (last = SPL_COLS - 1; last >= 0; last--) {
			ASSERT_OK(term_screen_cell(tall, k, last, &ca));
			if (ca.chars[0] != 0)
				break;
		}
		for (col = 0; col < SPL_COLS; col++) {
			ASSERT_OK(term_screen_cell(tall, k, col, &ca));
			ASSERT_OK(term_screen_cell(c, 0, col, &cb));
			if (col <= last)
				assert_same_cell("line", k, col, &ca, &cb);
			else
				ASSERT_EQ(cb.chars[0], 0);
		}
		/* The pen is back to the default at the end of a line. */
		feed(c, "Z");
		if (last + 1 < SPL_COLS)
			ASSERT_OK(term_screen_cell(c, 0, last + 1, &cb));
		else
			ASSERT_OK(term_screen_cell(c, 1, 0, &cb)); /* wrapped */
		ASSERT_EQ(cb.chars[0], 'Z');
		ASSERT(!cb.attrs.bold && !cb.attrs.reverse &&
		    (cb.fg.type & VTERM_COLOR_DEFAULT_FG) != 0 &&
		    (cb.bg.type & VTERM_COLOR_DEFAULT_BG) != 0);
		term_screen_free(c);
	}
	b = replay(a, TERM_SNAP_SCROLLBACK);
	ASSERT_EQ(term_screen_sb_count(b), KEEP);
	for (i = 0; i < KEEP; i++) {
		line = term_screen_sb_line(a, i, &len);
		ASSERT_MEMEQ(line, term_screen_sb_line(b, i, &len), len);
	}
	term_screen_free(b);
	term_screen_free(tall);
	term_screen_free(a);
}

/* The scrollback's byte ring: lines of every length (empty ones too)
 * go round it many times, and after every line it holds exactly the
 * newest lines that fit both bounds, in order, byte for byte. A line
 * longer than the ring is not kept and the others stay. */
static void
test_scrollback_ring(void)
{
	enum { N = 4000, ROWS = 3, COLS = 100, BYTES = 3000 };
	struct term_screen *s;
	static char want[N][COLS];
	size_t lens[N], i, n, total, data, gone;
	const char *line;
	char buf[COLS + 8];
	int k, w;

	ASSERT_OK(term_screen_new(&s, ROWS, COLS, 1000, BYTES));
	for (k = 0; k < N; k++) {
		w = k % 7 == 3 ? 0 : snprintf(want[k], COLS, "%d-", k);
		for (; w > 0 && w < (k * 37) % (COLS - 1); w++)
			want[k][w] = (char)('a' + w % 26);
		lens[k] = (size_t)w;
		memcpy(buf, want[k], lens[k]);
		memcpy(buf + lens[k], "\r\n", 2);
		term_screen_feed(s, buf, lens[k] + 2);
		/* Lines 0 .. k + 1 - ROWS have scrolled off. */
		gone = k + 2 >= ROWS ? (size_t)(k + 2 - ROWS) : 0;
		n = term_screen_sb_count(s);
		ASSERT_LE(n, gone);
		total = data = 0;
		for (i = 0; i < n; i++) {
			size_t len, j = gone - n + i;

			line = term_screen_sb_line(s, i, &len);
			ASSERT_NOT_NULL(line);
			if (len != lens[j] || memcmp(line, want[j], len) != 0)
				FAIL("after line %d: kept line %zu is not "
				    "line %zu", k, i, j);
			total += len + 8;
			data += len;
		}
		ASSERT_LE(total, BYTES);
		/* Not needlessly short: the ring (2048 bytes, the power of
		 * two under BYTES) is full but for less than two lines. */
		if (gone > n && total + lens[gone - n - 1] + 8 <= BYTES)
			ASSERT_GT(data, 2048 - 2 * COLS);
	}
	/* A line whose encoding passes the ring is not kept. */
	term_screen_free(s);
	ASSERT_OK(term_screen_new(&s, 2, COLS, 100, 600));
	for (k = 0; k < COLS; k++) {
		snprintf(buf, sizeof buf, "\033[38;5;%dmx", k + 16);
		feed(s, buf);
	}
	feed(s, "\033[0m\r\nplain\r\n\r\n");
	ASSERT_EQ(term_screen_sb_count(s), 1);
	line = term_screen_sb_line(s, 0, &n);
	ASSERT_EQ(n, 5);
	ASSERT_MEMEQ(line, "plain", 5);
	term_screen_free(s);
}

/* Sizes are bounded; resizing keeps working and the sequence counts
 * bytes. */
static void
test_resize_and_seq(void)
{
	struct term_screen *s;
	int rows, cols;

	ASSERT_EQ(term_screen_new(&s, 0, 80, 0, 0), -EINVAL);
	ASSERT_NULL(s);
	ASSERT_EQ(term_screen_new(&s, 24, TERM_MAX_COLS + 1, 0, 0), -EINVAL);
	ASSERT_OK(term_screen_new(&s, 24, 80, 10, 4096));
	ASSERT_EQ(term_screen_seq(s), 0);
	feed(s, "abc");
	feed(s, "");
	feed(s, "de");
	ASSERT_EQ(term_screen_seq(s), 5);
	ASSERT_EQ(term_screen_resize(s, 1000, 1000), -EINVAL);
	ASSERT_EQ(term_screen_resize(s, -1, 10), -EINVAL);
	/* One column is refused: libvterm 0.1.4 would crash on a wide
	 * character there. */
	ASSERT_EQ(term_screen_resize(s, 1, 1), -EINVAL);
	ASSERT_OK(term_screen_resize(s, 1, 2));
	/* libvterm would scroll a region that no longer fits with a
	 * negative memmove; the region is reset on a resize. */
	ASSERT_OK(term_screen_resize(s, 24, 80));
	feed(s, "\033[5;20r\033[3");
	ASSERT_OK(term_screen_resize(s, 1, 29));
	feed(s, "1mred\n\n\n\033[5;20r");
	ASSERT_OK(term_screen_resize(s, 2, 29));
	feed(s, "\n\n\n");
	ASSERT_OK(term_screen_resize(s, 1, 2));
	feed(s, "\xe4\xb8\xad wide into one cell\r\n");
	ASSERT_OK(term_screen_resize(s, 500, 200));
	term_screen_size(s, &rows, &cols);
	ASSERT_EQ(rows, 500);
	ASSERT_EQ(cols, 200);
	feed(s, "\033[500;200Hcorner");
	term_screen_free(replay(s, TERM_SNAP_SCROLLBACK));
	ASSERT_OK(term_screen_resize(s, 24, 80));
	term_screen_free(replay(s, TERM_SNAP_SCROLLBACK));
	term_screen_free(s);
}

/* Feeds n bytes of a repeated pattern. */
static void
feed_repeat(struct term_screen *s, const char *pat, size_t n)
{
	size_t plen = strlen(pat), k;

	for (k = 0; k < n; k += plen)
		term_screen_feed(s, pat, plen);
}

/* Sequences meant to confuse: unterminated strings, huge parameters,
 * invalid UTF-8. No crash, bounded memory, and the screen still works. */
static void
test_confusing_input(void)
{
	struct term_screen *s, *b;
	size_t base, peak = 0, m;
	VTermScreenCell c;
	int i;

	ASSERT_OK(term_screen_new(&s, 24, 80, 100, 64 * 1024));
	base = term_screen_memory(s);
	for (i = 0; i < 6; i++) {
		switch (i) {
		case 0:
			feed(s, "\033]2;");
			feed_repeat(s, "title without end ", 1 << 20);
			break;
		case 1:
			feed(s, "\033P1$q");
			feed_repeat(s, "dcs without end ", 1 << 20);
			break;
		case 2:
			feed_repeat(s, "\033[99999999999999999999;"
			    "4294967296;-5;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;H"
			    "\033([0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;"
			    "0;0;0;0;0;0;0;0;0m\033[-1;-1r", 1 << 18);
			break;
		case 3:
			feed_repeat(s, "\xff\xfe\xc0\x80\xed\xa0\x80"
			    "\xf4\x90\x80\x80\xe4\xb8", 1 << 18);
			break;
		case 4:
			feed_repeat(s, "\033[?1049h\033[?1049l\033[2J\033#8"
			    "\033[1;999r\033[999S\033[999T\033[999@", 1 << 18);
			break;
		default:
			feed_repeat(s, "\033]0;t\007\033[38;2;1;2;3;"
			    "48:5:300m\033[99999b\033_apc\033\\\030", 1 << 18);
			break;
		}
		m = term_screen_memory(s);
		if (m > peak)
			peak = m;
	}
	/* Scrollback (64 KiB) and a title are all that may grow. */
	ASSERT_LE(peak, base + 64 * 1024 + 4096);
	feed(s, "\033\\\033[0m\033[?1049l\033c\033[HOK");
	ASSERT_OK(term_screen_cell(s, 0, 0, &c));
	ASSERT_EQ(c.chars[0], 'O');
	b = replay(s, TERM_SNAP_SCROLLBACK);
	term_screen_free(b);
	term_screen_free(s);
}

/* A title with control characters cannot smuggle escapes into the
 * snapshot. */
static void
test_title_sanitised(void)
{
	struct term_screen *s;
	char *snap;
	size_t len, i;

	ASSERT_OK(term_screen_new(&s, 5, 20, 0, 0));
	feed(s, "\033]2;a\tb\001c\x7f\007");
	ASSERT_CONTAINS(term_screen_title(s), "a");
	ASSERT_OK(term_screen_snapshot(s, 0, &snap, &len));
	for (i = 0; i + 4 < len; i++)
		if (memcmp(snap + i, "\033]2;", 4) == 0)
			break;
	ASSERT(i + 4 < len);
	for (i += 4; i < len && snap[i] != '\033'; i++)
		ASSERT(snap[i] >= 0x20 && snap[i] != 0x7f);
	free(snap);
	term_screen_free(s);
}

/* Counts the lines libvterm's own screen pushes to its scrollback. */
static int
ref_pushline(int cols, const VTermScreenCell *cells, void *user)
{
	(*(size_t *)user)++;
	return (1);
}

static const VTermScreenCallbacks ref_cbs = {
	.sb_pushline = ref_pushline,
};

/* Feeds the same bytes to libvterm's own screen layer and to ours; they
 * must agree on every cell, the cursor and the lines scrolled off. */
static void
diff_against_libvterm(const char *what, const char *in, size_t len,
    int rows, int cols)
{
	struct term_screen *s;
	VTermScreenCell a, b;
	VTermScreen *vs;
	VTermPos pos;
	VTerm *vt;
	size_t pushed = 0;
	int r, c, i, mr, mc, mv;

	vt = vterm_new(rows, cols);
	ASSERT_NOT_NULL(vt);
	vterm_set_utf8(vt, 1);
	vs = vterm_obtain_screen(vt);
	vterm_screen_set_callbacks(vs, &ref_cbs, &pushed);
	vterm_screen_enable_altscreen(vs, 1);
	vterm_screen_reset(vs, 1);
	ASSERT_OK(term_screen_new(&s, rows, cols, 1000000, 1 << 30));
	/* libvterm whole (it cannot take a character split between two
	 * writes), ours in odd pieces, to cross every boundary. */
	vterm_input_write(vt, in, len);
	for (i = 0; (size_t)i < len; i += 7)
		term_screen_feed(s, in + i, len - (size_t)i < 7 ?
		    len - (size_t)i : 7);
	for (r = 0; r < rows; r++) {
		for (c = 0; c < cols; c++) {
			pos.row = r;
			pos.col = c;
			memset(&a, 0, sizeof(a));
			ASSERT(vterm_screen_get_cell(vs, pos, &a));
			ASSERT_OK(term_screen_cell(s, r, c, &b));
			for (i = 0; i < VTERM_MAX_CHARS_PER_CELL; i++) {
				/* We keep U+FFFD for what is no character. */
				if (a.chars[i] > 0x10ffff &&
				    a.chars[i] != (uint32_t)-1)
					a.chars[i] = 0xfffd;
				if (a.chars[i] != b.chars[i])
					FAIL("%s: cell %d,%d char %d: U+%04X "
					    "!= U+%04X", what, r, c, i,
					    a.chars[i], b.chars[i]);
				if (a.chars[i] == 0 ||
				    a.chars[i] == (uint32_t)-1)
					break;
			}
			if (a.width != b.width ||
			    a.attrs.bold != b.attrs.bold ||
			    a.attrs.underline != b.attrs.underline ||
			    a.attrs.italic != b.attrs.italic ||
			    a.attrs.blink != b.attrs.blink ||
			    a.attrs.reverse != b.attrs.reverse ||
			    a.attrs.strike != b.attrs.strike ||
			    a.attrs.font != b.attrs.font ||
			    !color_same(&a.fg, &b.fg) ||
			    !color_same(&a.bg, &b.bg))
				FAIL("%s: cell %d,%d: width, attributes or "
				    "colours differ", what, r, c);
		}
	}
	vterm_state_get_cursorpos(vterm_obtain_state(vt), &pos);
	term_screen_cursor(s, &mr, &mc, &mv);
	ASSERT_EQ(pos.row, mr);
	ASSERT_EQ(pos.col, mc);
	if (pushed != term_screen_sb_count(s))
		FAIL("%s: libvterm pushed %zu lines, we kept %zu", what,
		    pushed, term_screen_sb_count(s));
	term_screen_free(s);
	vterm_free(vt);
}

/* Our grid behaves as libvterm's own screen on what moves cells:
 * scrolling (whole screen, regions, margins), insert/delete, erase
 * variants, selective erase, wide and combining characters, tabs,
 * the alternate screen; and on every fuzz seed. */
static void
test_same_as_libvterm(void)
{
	static const char *const cases[] = {
	    "plain\r\ntext\r\n",
	    "\033[44mcoloured scroll\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n"
	    "\r\n\r\n\r\n\r\nend\033[0m",
	    "\033[3;6r\033[3;1Ha\r\nb\r\nc\r\nd\r\ne\r\nf\r\n\033[r",
	    "\033[1;8rtop region\r\n1\r\n2\r\n3\r\n4\r\n5\r\n6\r\n7\r\n8"
	    "\r\n9\r\n\033[r",
	    "\033[5;1Hxxxxxxxxxx\033[5;3H\033[2@\033[3P\033[2L\033[1M"
	    "\033[4X",
	    "abcdefgh\r\nijklmnop\033[1;5H\033[1J\033[2;3H\033[1K"
	    "\033[3;1Hline\033[2K\033[J",
	    "\033[1\"qPROT\033[0\"qnormal\033[1;1H\033[?2J\033[?2K",
	    "\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad\033[1;2Hx\033[1;5Hy",
	    "e\xcc\x81\xcc\x82\xcc\x83\xcc\x84\xcc\x85\xcc\x86\xcc\x87 z",
	    "a\tb\tc\bd\r\n\033[3g\tx\033H",
	    "\033[Hfirst\033M\033Mtop",
	    "\033[5;1Hmid\033[3S\033[2T\033[40S\033[1;1Hafter",
	    "\033#8\033[2;2Hx",
	    "main\033[?1049halt\r\n\r\n\033[?1049lback",
	    "one\033[?47htwo\033[?47lthree",
	    "\033[?69h\033[5;20s\033[2;10r\033[2;5Hmargins\r\n1\r\n2\r\n"
	    "3\r\n4\r\n5\r\n6\r\n7\r\n8\r\n9\r\n\033[?69l\033[r",
	    "\033[?6h\033[3;5r\033[1;1Horigin\033[?6l\033[r",
	    "\033[4hinsert\033[1;1HX\033[4l",
	    "\033[?7lno wrap no wrap no wrap no wrap no wrap no wrap no "
	    "wrap no wrap no wrap\033[?7h",
	    "\033[38;5;100;48;2;1;2;3;1;4;9mstyled\033[0m\r\n\033[K",
	};
	char line[300];
	size_t i;
	int k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(line, sizeof line, "case %zu", i);
		diff_against_libvterm(line, cases[i], strlen(cases[i]), 10,
		    40);
	}
	/* Long lines wrap and scroll the same way. */
	for (k = 0; k < 298; k++)
		line[k] = (char)('a' + k % 26);
	line[298] = '\0';
	diff_against_libvterm("wrap", line, 298, 4, 20);
	{
		static const char *const seeds[] = { "colours", "altscreen",
		    "osc-open", "dcs-open", "huge-params", "bad-utf8",
		    "scroll" };
		char path[4096];
		char *buf;
		size_t n;

		for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
			snprintf(path, sizeof path,
			    "%s/tools/fuzz/seeds/vterm/%s",
			    test_env("PIER_SOURCE_ROOT", ".."), seeds[i]);
			buf = test_read_file(path, &n);
			if (buf == NULL)
				FAIL("cannot read %s", path);
			/* huge-params would crash libvterm unguarded. */
			if (strcmp(seeds[i], "huge-params") != 0)
				diff_against_libvterm(seeds[i], buf, n, 24,
				    80);
			free(buf);
		}
	}
}

/* A snapshot taken between two halves of a character or a sequence
 * leaves the viewer's terminal ready for the second half. */
static void
test_open_sequence_carries_over(void)
{
	static const char *const halves[][2] = {
	    { "abc\xe4\xb8", "\xad and on" },
	    { "\033[3", "1mred\033[0m" },
	    { "\033[38;2;1", "0;20;30mrgb" },
	    { "\033]2;ti", "tle\007after" },
	    { "x\033", "[2Jcleared" },
	    { "\033(", "0qqq\033(B" },
	};
	struct term_screen *a, *b;
	size_t i;

	for (i = 0; i < sizeof(halves) / sizeof(halves[0]); i++) {
		ASSERT_OK(term_screen_new(&a, 5, 30, 0, 0));
		feed(a, "before ");
		feed(a, halves[i][0]);
		b = replay(a, 0);
		feed(a, halves[i][1]);
		feed(b, halves[i][1]);
		assert_same_screen(a, b);
		term_screen_free(b);
		term_screen_free(a);
	}
}

/* The scroll region, left/right margins, origin mode and autowrap carry
 * over: later output scrolls and wraps the same on both. */
static void
test_regions_carry_over(void)
{
	static const char *const setups[] = {
	    "\033[3;10r\033[10;1H",
	    "\033[?69h\033[5;30s\033[3;10r\033[?6h\033[2;3Hx",
	    "\033[?7l\033[4;70H",
	    "\033[2;20r\033[?6h\033[5;1H\033[?7l",
	};
	struct term_screen *a, *b;
	char more[64];
	size_t i;
	int k;

	for (i = 0; i < sizeof(setups) / sizeof(setups[0]); i++) {
		ASSERT_OK(term_screen_new(&a, 24, 80, 0, 0));
		for (k = 0; k < 30; k++) {
			snprintf(more, sizeof more, "base %d\r\n", k);
			feed(a, more);
		}
		feed(a, setups[i]);
		b = replay(a, 0);
		for (k = 0; k < 20; k++) {
			snprintf(more, sizeof more, "more %d and a longer "
			    "line that goes past the margin\r\n", k);
			feed(a, more);
			feed(b, more);
		}
		assert_same_screen(a, b);
		term_screen_free(b);
		term_screen_free(a);
	}
}

TEST_MAIN(
	T(test_roundtrip_colours),
	T(test_pen_carries_over),
	T(test_roundtrip_altscreen),
	T(test_scrollback),
	T(test_scrollback_bytes),
	T(test_scrollback_pens),
	T(test_scrollback_ring),
	T(test_resize_and_seq),
	T(test_confusing_input),
	T(test_title_sanitised),
	T(test_same_as_libvterm),
	T(test_open_sequence_carries_over),
	T(test_regions_carry_over)
)
