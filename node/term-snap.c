/*
 * The snapshot half of the screen model: the escape sequences that, sent
 * to a fresh terminal of the same size, redraw what the program drew.
 * Cells go out row by row with one SGR per change of pen (always from a
 * reset, so no attribute leaks between cells); runs of blank cells are
 * erased with their own pen (ECH), so coloured blanks survive; blanks a
 * clear already made are skipped. The same encoder keeps scrollback
 * lines, so replaying them is a copy; it reads the grid's own cells and
 * writes a run of plain characters in one pen a byte each, since every
 * line that scrolls off goes through it. An SGR never carries more than
 * 16 arguments (libvterm's limit): colours that would pass it go on in a
 * second one.
 *
 * Input modes libvterm keeps private (application cursor and keypad
 * keys, bracketed paste, newline mode, focus reports, the mouse encoding)
 * are read back by asking libvterm to encode a key, a paste, a focus
 * event or a click into a private buffer and looking at the bytes. The
 * scroll region, left/right margins, origin mode and autowrap come from
 * asking libvterm DECRQSS/DECRQM questions, which it answers the same
 * way, when its parser is between sequences. A snapshot taken in the
 * middle of a sequence or a UTF-8 character ends with its first bytes.
 *
 * Not reproduced (libvterm does not tell): insert mode, the character
 * set in use, the cursor saved by DECSC, double-width lines and a
 * pending wrap; nor the margins when the snapshot falls mid-sequence.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "term-int.h"

/* Appends n bytes. */
static void
sbuf_put(struct term__sbuf *b, const void *data, size_t n)
{
	size_t cap;
	char *p;

	if (b->err != 0)
		return;
	if (b->cap - b->len < n) {
		cap = b->cap ? b->cap : 256;
		while (cap - b->len < n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL) {
			b->err = -ENOMEM;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

/* Appends a string. */
static void
sbuf_str(struct term__sbuf *b, const char *str)
{
	sbuf_put(b, str, strlen(str));
}

/* Appends formatted text (short: escape sequences). */
static void __attribute__((format(printf, 2, 3)))
sbuf_fmt(struct term__sbuf *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof tmp) {
		b->err = -EOVERFLOW;
		return;
	}
	sbuf_put(b, tmp, (size_t)n);
}

/* Appends one code point as UTF-8 (U+FFFD for what is not one). */
static void
sbuf_utf8(struct term__sbuf *b, uint32_t c)
{
	char u[4];

	if (c < 0x80 && b->err == 0 && b->len < b->cap) {
		b->p[b->len++] = (char)c;	/* the common case */
		return;
	}
	if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		c = 0xfffd;
	if (c < 0x80) {
		u[0] = (char)c;
		sbuf_put(b, u, 1);
	} else if (c < 0x800) {
		u[0] = (char)(0xc0 | (c >> 6));
		u[1] = (char)(0x80 | (c & 0x3f));
		sbuf_put(b, u, 2);
	} else if (c < 0x10000) {
		u[0] = (char)(0xe0 | (c >> 12));
		u[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		u[2] = (char)(0x80 | (c & 0x3f));
		sbuf_put(b, u, 3);
	} else {
		u[0] = (char)(0xf0 | (c >> 18));
		u[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		u[3] = (char)(0x80 | (c & 0x3f));
		sbuf_put(b, u, 4);
	}
}

/* Compares colours as a terminal shows them. */
static int
color_eq(const VTermColor *a, const VTermColor *b)
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

/* Compares the parts of two pens that SGR sets, field by field. */
static int
pen_eq_slow(const struct term__pen *a, const struct term__pen *b)
{
	return (a->attrs.bold == b->attrs.bold &&
	    a->attrs.underline == b->attrs.underline &&
	    a->attrs.italic == b->attrs.italic &&
	    a->attrs.blink == b->attrs.blink &&
	    a->attrs.reverse == b->attrs.reverse &&
	    a->attrs.strike == b->attrs.strike &&
	    a->attrs.font == b->attrs.font &&
	    color_eq(&a->fg, &b->fg) && color_eq(&a->bg, &b->bg));
}

/* Compares the parts of two pens that SGR sets, byte by byte first:
 * cells drawn with one pen hold copies of it (unused bytes, e.g. of an
 * indexed colour, may still differ, hence the slow way after). */
static inline int
pen_eq(const struct term__pen *a, const struct term__pen *b)
{
	return (memcmp(a, b, sizeof(*a)) == 0 || pen_eq_slow(a, b));
}

/* The pen of a fresh terminal. */
void
term__pen_default(struct term__pen *p)
{
	memset(p, 0, sizeof(*p));
	p->fg.type = VTERM_COLOR_DEFAULT_FG;
	p->bg.type = VTERM_COLOR_DEFAULT_BG;
}

/* Arguments of one SGR, at most: libvterm 0.1.4 keeps 16 (a colon's
 * sub-arguments count), so does the feed guard (term-guard.c), and a
 * viewer on libvterm would lose the rest. */
#define SGR_ARGS_MAX	16

/* Appends the SGR arguments of one colour (base 30 for fg, 40 bg),
 * going on in a new SGR if this one would pass SGR_ARGS_MAX; *args
 * counts the arguments of the SGR being written. */
static void
sgr_color(struct term__sbuf *b, const VTermColor *c, int base, int *args)
{
	const char *sep = ";";
	int n;

	n = (c->type & VTERM_COLOR_DEFAULT_MASK) != 0 ? 1 :
	    !VTERM_COLOR_IS_INDEXED(c) ? 5 : c->indexed.idx < 16 ? 1 : 3;
	if (*args + n > SGR_ARGS_MAX) {
		sep = "m\033[";	/* adds to the pen, no reset */
		*args = 0;
	}
	*args += n;
	if ((c->type & VTERM_COLOR_DEFAULT_MASK) != 0)
		sbuf_fmt(b, "%s%d", sep, base + 9);
	else if (VTERM_COLOR_IS_INDEXED(c) && c->indexed.idx < 8)
		sbuf_fmt(b, "%s%d", sep, base + c->indexed.idx);
	else if (VTERM_COLOR_IS_INDEXED(c) && c->indexed.idx < 16)
		sbuf_fmt(b, "%s%d", sep, base + 60 + c->indexed.idx - 8);
	else if (VTERM_COLOR_IS_INDEXED(c))
		sbuf_fmt(b, "%s%d;5;%d", sep, base + 8, c->indexed.idx);
	else
		sbuf_fmt(b, "%s%d;2;%d;%d;%d", sep, base + 8, c->rgb.red,
		    c->rgb.green, c->rgb.blue);
}

/* Appends SGR arguments (each after a ';'), counting them in *args (a
 * colon's sub-arguments count too). */
static void
sgr_arg(struct term__sbuf *b, int *args, const char *arg)
{
	const char *c;

	for (c = arg; *c != '\0'; c++)
		if (*c == ';' || *c == ':')
			(*args)++;
	sbuf_str(b, arg);
}

/* Appends an SGR that sets pen p, starting from reset (and a second one
 * when the colours would take it past SGR_ARGS_MAX). */
static void
sgr_put(struct term__sbuf *b, const struct term__pen *p)
{
	static const char *const fonts[] = { "", ";11", ";12", ";13", ";14",
	    ";15", ";16", ";17", ";18", ";19", ";20", ";21", ";22", ";23",
	    ";24", ";25" };
	int args = 1;

	sbuf_str(b, "\033[0");
	if (p->attrs.bold)
		sgr_arg(b, &args, ";1");
	if (p->attrs.italic)
		sgr_arg(b, &args, ";3");
	if (p->attrs.underline == VTERM_UNDERLINE_SINGLE)
		sgr_arg(b, &args, ";4");
	else if (p->attrs.underline == VTERM_UNDERLINE_DOUBLE)
		sgr_arg(b, &args, ";21");
	else if (p->attrs.underline == VTERM_UNDERLINE_CURLY)
		sgr_arg(b, &args, ";4:3");
	if (p->attrs.blink)
		sgr_arg(b, &args, ";5");
	if (p->attrs.reverse)
		sgr_arg(b, &args, ";7");
	if (p->attrs.strike)
		sgr_arg(b, &args, ";9");
	sgr_arg(b, &args, fonts[p->attrs.font]);
	if ((p->fg.type & VTERM_COLOR_DEFAULT_MASK) == 0)
		sgr_color(b, &p->fg, 30, &args);
	if ((p->bg.type & VTERM_COLOR_DEFAULT_MASK) == 0)
		sgr_color(b, &p->bg, 40, &args);
	sbuf_str(b, "m");
}

/* Switches the drawing pen from cur to p. */
static void
sgr_set(struct term__sbuf *b, struct term__pen *cur,
    const struct term__pen *p)
{
	if (!pen_eq(cur, p))
		sgr_put(b, p);
	*cur = *p;	/* the same bytes compare fast next time */
}

/* Returns how many cells of a row to draw (trailing blanks dropped when
 * trim, else those already right after a clear). */
static int
row_extent(const struct term__cell *row, int n, int trim)
{
	struct term__pen def;

	term__pen_default(&def);
	while (n > 0 && row[n - 1].chars[0] == 0) {
		if (!trim && !pen_eq(&row[n - 1].pen, &def))
			break;
		n--;
	}
	return (n);
}

/* Draws cells [0, n) of a row of cols cells from the cursor on: text
 * with its pens, runs of blank cells erased with theirs. Blanks a clear
 * already made are skipped when skip_default is set. One pass over the
 * grid's own cells: a pen is compared with the drawing pen (bytes
 * first), and a plain character is one byte. */
static void
encode_cells(struct term__sbuf *b, struct term__pen *cur,
    const struct term__cell *row, int n, int cols, int skip_default)
{
	const struct term__cell *c;
	struct term__pen def;
	int col, run, i;
	uint32_t ch;
	size_t len;

	term__pen_default(&def);
	col = 0;
	while (col < n) {
		c = &row[col];
		ch = c->chars[0];
		if (ch == 0) {
			for (run = 1; col + run < n; run++) {
				if (row[col + run].chars[0] != 0 ||
				    !pen_eq(&row[col + run].pen, &c->pen))
					break;
			}
			if (!skip_default || !pen_eq(&c->pen, &def)) {
				sgr_set(b, cur, &c->pen);
				sbuf_fmt(b, "\033[%dX", run);
			}
			if (col + run < n)
				sbuf_fmt(b, "\033[%dC", run);
			col += run;
			continue;
		}
		if (ch == (uint32_t)-1) {
			/* The right half of a wide character whose left
			 * half is gone: nothing to draw, move on. */
			sbuf_str(b, "\033[C");
			col++;
			continue;
		}
		if (memcmp(&c->pen, cur, sizeof(*cur)) != 0)
			sgr_set(b, cur, &c->pen);
		/* The common case: a run of plain characters in this pen,
		 * a byte each. */
		for (len = b->len; col < n && len < b->cap; col++) {
			c = &row[col];
			if (c->chars[0] - 1 >= 0x7f || c->chars[1] != 0 ||
			    (col < cols - 1 &&
			    row[col + 1].chars[0] == (uint32_t)-1) ||
			    memcmp(&c->pen, cur, sizeof(*cur)) != 0)
				break;
			b->p[len++] = (char)c->chars[0];
		}
		if (len > b->len) {
			b->len = len;
			continue;
		}
		for (i = 0; i < VTERM_MAX_CHARS_PER_CELL &&
		    c->chars[i] != 0; i++)
			sbuf_utf8(b, c->chars[i]);
		if (col < cols - 1 && row[col + 1].chars[0] == (uint32_t)-1) {
			col += 2;
			/* Our width and the viewer's may differ (emoji,
			 * newer Unicode, U+FFFD for a bad wide one): go on
			 * from where we think the next cell is. */
			if (col < n)
				sbuf_fmt(b, "\033[%dG", col + 1);
		} else
			col++;
	}
}

/* Draws rows of a grid after a clear. */
static void
encode_grid(const struct term__grid *g, struct term__sbuf *b,
    struct term__pen *cur)
{
	const struct term__cell *row;
	int r, n;

	for (r = 0; r < g->rows; r++) {
		row = term__grid_row(g, r);
		n = row_extent(row, g->cols, 0);
		if (n == 0)
			continue;
		sbuf_fmt(b, "\033[%d;1H", r + 1);
		encode_cells(b, cur, row, n, g->cols, 1);
	}
}

/* Encodes a scrollback line: trailing blanks dropped, pen reset after. */
void
term__encode_row(struct term__sbuf *b, const struct term__cell *row,
    int cols)
{
	struct term__pen cur, def;

	term__pen_default(&cur);
	term__pen_default(&def);
	encode_cells(b, &cur, row, row_extent(row, cols, 1), cols, 0);
	sgr_set(b, &cur, &def);
}

/* Asks libvterm how it would encode something; returns 1 if the bytes
 * start with want. Runs the probe with output captured. */
static int
probe_starts(struct term_screen *s, const char *want)
{
	return (s->probe_len >= strlen(want) &&
	    memcmp(s->probe, want, strlen(want)) == 0);
}

/* Starts capturing libvterm's output. */
static void
probe_begin(struct term_screen *s)
{
	s->probing = 1;
	s->probe_len = 0;
}

/* Appends the input modes that libvterm keeps private. */
static void
encode_modes(struct term_screen *s, struct term__sbuf *b)
{
	probe_begin(s);
	vterm_keyboard_key(s->vt, VTERM_KEY_UP, VTERM_MOD_NONE);
	if (probe_starts(s, "\033O"))
		sbuf_str(b, "\033[?1h");
	probe_begin(s);
	vterm_keyboard_key(s->vt, VTERM_KEY_KP_0, VTERM_MOD_NONE);
	if (probe_starts(s, "\033O"))
		sbuf_str(b, "\033=");
	probe_begin(s);
	vterm_keyboard_key(s->vt, VTERM_KEY_ENTER, VTERM_MOD_NONE);
	if (probe_starts(s, "\r\n"))
		sbuf_str(b, "\033[20h");
	probe_begin(s);
	vterm_keyboard_start_paste(s->vt);
	if (s->probe_len > 0)
		sbuf_str(b, "\033[?2004h");
	probe_begin(s);
	vterm_state_focus_in(s->st);
	if (s->probe_len > 0)
		sbuf_str(b, "\033[?1004h");
	if (s->mouse != VTERM_PROP_MOUSE_NONE) {
		sbuf_str(b, s->mouse == VTERM_PROP_MOUSE_MOVE ? "\033[?1003h" :
		    s->mouse == VTERM_PROP_MOUSE_DRAG ? "\033[?1002h" :
		    "\033[?1000h");
		probe_begin(s);
		vterm_mouse_button(s->vt, 1, 1, VTERM_MOD_NONE);
		if (probe_starts(s, "\033[<"))
			sbuf_str(b, "\033[?1006h");
		else if (s->probe_len > 2 && s->probe[2] >= '0' &&
		    s->probe[2] <= '9')
			sbuf_str(b, "\033[?1015h");
		vterm_mouse_button(s->vt, 1, 0, VTERM_MOD_NONE);
	}
	s->probing = 0;
}

/* Asks libvterm (when its parser is between sequences) a DECRQSS or
 * DECRQM question; returns the reply's numbers in v[], their count. */
static int
ask(struct term_screen *s, const char *q, int v[2])
{
	const char *p, *end;
	int n = 0;

	probe_begin(s);
	vterm_input_write(s->vt, q, strlen(q));
	s->probing = 0;
	end = s->probe + s->probe_len;
	/* Skip the reply's introducer ("\033P1$r", "\033[?6;"). */
	for (p = s->probe; p < end && (*p < '0' || *p > '9'); p++)
		;
	if (q[1] == 'P' && p < end)
		p++;	/* DECRQSS: "1$r" says the request was valid */
	else if (q[1] == '[') {
		while (p < end && *p >= '0' && *p <= '9')
			p++;	/* DECRQM: the mode number */
	}
	while (p < end && n < 2) {
		if (*p >= '0' && *p <= '9') {
			v[n] = 0;
			while (p < end && *p >= '0' && *p <= '9' &&
			    v[n] < 100000)
				v[n] = v[n] * 10 + (*p++ - '0');
			n++;
		} else if (*p == ';' || *p == '$' || *p == 'r')
			p++;
		else
			break;
	}
	return (n);
}

/* Appends the scroll region, margins, origin mode and autowrap, which
 * libvterm answers about. Only between sequences: a question in the
 * middle of one would break it. Returns 1 if origin mode is on (the
 * cursor is then placed relative to *top, *left). */
static int
encode_margins(struct term_screen *s, struct term__sbuf *b, int *top,
    int *left)
{
	int v[2], lr, origin;

	*top = *left = 0;
	if (!term__filter_idle(&s->filt))
		return (0);
	lr = ask(s, "\033[?69$p", v) == 1 && v[0] == 1;
	if (lr) {
		sbuf_str(b, "\033[?69h");
		if (ask(s, "\033P$qs\033\\", v) == 2 && v[0] >= 1 &&
		    v[1] > v[0] && v[1] <= s->cols) {
			sbuf_fmt(b, "\033[%d;%ds", v[0], v[1]);
			*left = v[0] - 1;
		}
	}
	if (ask(s, "\033P$qr\033\\", v) == 2 && v[0] >= 1 && v[1] > v[0] &&
	    v[1] <= s->rows && (v[0] > 1 || v[1] < s->rows)) {
		sbuf_fmt(b, "\033[%d;%dr", v[0], v[1]);
		*top = v[0] - 1;
	}
	if (ask(s, "\033[?7$p", v) == 1 && v[0] == 2)
		sbuf_str(b, "\033[?7l");
	origin = ask(s, "\033[?6$p", v) == 1 && v[0] == 1;
	if (origin)
		sbuf_str(b, "\033[?6h");
	else
		*top = *left = 0;
	return (origin);
}

/* Appends the window title, without control characters. */
static void
encode_title(struct term_screen *s, struct term__sbuf *b)
{
	const unsigned char *t;

	if (s->title == NULL)
		return;
	sbuf_str(b, "\033]2;");
	for (t = (const unsigned char *)s->title; *t != '\0'; t++)
		if (*t >= 0x20 && *t != 0x7f)
			sbuf_put(b, t, 1);
	sbuf_str(b, "\033\\");
}

/* Replays the scrollback: the lines from the top row down, then
 * newlines at the bottom scroll them all off in order (starting at the
 * bottom would push the blank rows of the cleared screen first). */
static void
encode_scrollback(struct term_screen *s, struct term__sbuf *b)
{
	const char *line;
	size_t i, len;
	int r;

	if (s->sb_count == 0)
		return;
	sbuf_str(b, "\033[H");
	for (i = 0; i < s->sb_count; i++) {
		line = term_screen_sb_line(s, i, &len);
		sbuf_put(b, line, len);
		sbuf_str(b, "\r\n");
	}
	/* The lines still on screen: min(count, rows - 1). */
	sbuf_fmt(b, "\033[%d;1H", s->rows);
	for (r = 0; r < s->rows - 1 && (size_t)r < s->sb_count; r++)
		sbuf_str(b, "\n");
	sbuf_str(b, "\033[H\033[2J");
}

/* Reads the pen the program is drawing with now. */
static void
state_pen(struct term_screen *s, struct term__pen *out)
{
	struct term__pen p;
	VTermValue v;

	term__pen_default(&p);
	if (vterm_state_get_penattr(s->st, VTERM_ATTR_BOLD, &v))
		p.attrs.bold = v.boolean ? 1 : 0;
	if (vterm_state_get_penattr(s->st, VTERM_ATTR_UNDERLINE, &v))
		p.attrs.underline = (unsigned)v.number & 3;
	if (vterm_state_get_penattr(s->st, VTERM_ATTR_ITALIC, &v))
		p.attrs.italic = v.boolean ? 1 : 0;
	if (vterm_state_get_penattr(s->st, VTERM_ATTR_BLINK, &v))
		p.attrs.blink = v.boolean ? 1 : 0;
	if (vterm_state_get_penattr(s->st, VTERM_ATTR_REVERSE, &v))
		p.attrs.reverse = v.boolean ? 1 : 0;
	if (vterm_state_get_penattr(s->st, VTERM_ATTR_STRIKE, &v))
		p.attrs.strike = v.boolean ? 1 : 0;
	if (vterm_state_get_penattr(s->st, VTERM_ATTR_FONT, &v))
		p.attrs.font = (unsigned)v.number & 15;
	if (vterm_state_get_penattr(s->st, VTERM_ATTR_FOREGROUND, &v))
		p.fg = v.color;
	if (vterm_state_get_penattr(s->st, VTERM_ATTR_BACKGROUND, &v))
		p.bg = v.color;
	*out = p;
}

/* Appends the pen the program is drawing with now. */
static void
encode_state_pen(struct term_screen *s, struct term__sbuf *b,
    struct term__pen *cur)
{
	struct term__pen p;

	state_pen(s, &p);
	sgr_set(b, cur, &p);
}

/* Appends an SGR that sets the pen the program is drawing with now. */
void
term__encode_pen(struct term_screen *s, struct term__sbuf *b)
{
	struct term__pen p;

	state_pen(s, &p);
	sgr_put(b, &p);
}

/* Builds the repaint. */
int
term_screen_snapshot(struct term_screen *s, int flags, char **out,
    size_t *len)
{
	struct term__sbuf b = { 0 };
	struct term__pen cur;
	VTermPos pos;
	int shape, top, left;

	*out = NULL;
	*len = 0;
	term__pen_default(&cur);
	/* Back to a known state: main screen, plain pen, no margins, no
	 * special modes, cleared. Not ESC ( B: after it libvterm puts a
	 * combining mark that follows the last column on the next line;
	 * a client resets its own terminal's character sets. */
	sbuf_str(&b, "\033[?1049l\033[0m\033[4l\033[?6l\033[?7h\033[r"
	    "\033[?1l\033>\033[20l\033[?2004l\033[?1004l\033[?1000l"
	    "\033[?1002l\033[?1003l\033[?1006l\033[?1015l\033[?5l\033[?69l"
	    "\033[?25h\033[H\033[2J");
	if ((flags & TERM_SNAP_SCROLLBACK) != 0)
		encode_scrollback(s, &b);
	if (s->altscreen) {
		/* The main screen underneath first, then the alternate
		 * one over it. */
		encode_grid(&s->grid[0], &b, &cur);
		term__pen_default(&cur);
		sbuf_str(&b, "\033[0m\033[?1049h\033[H\033[2J");
	}
	encode_grid(s->cur, &b, &cur);
	if (s->reverse)
		sbuf_str(&b, "\033[?5h");
	encode_modes(s, &b);
	encode_title(s, &b);
	/* Always: leaving the alternate screen above restored a saved
	 * cursor style on some terminals (libvterm among them). */
	shape = s->cursor_shape == VTERM_PROP_CURSORSHAPE_UNDERLINE ? 3 :
	    s->cursor_shape == VTERM_PROP_CURSORSHAPE_BAR_LEFT ? 5 : 1;
	sbuf_fmt(&b, "\033[%d q", shape + (s->cursor_blink ? 0 : 1));
	vterm_state_get_cursorpos(s->st, &pos);
	if (encode_margins(s, &b, &top, &left))
		sbuf_fmt(&b, "\033[%d;%dH", pos.row - top + 1,
		    pos.col - left + 1);	/* origin mode */
	else
		sbuf_fmt(&b, "\033[%d;%dH", pos.row + 1, pos.col + 1);
	encode_state_pen(s, &b, &cur);
	if (!s->cursor_visible)
		sbuf_str(&b, "\033[?25l");
	/* A sequence or character the program has begun and not ended:
	 * the viewer's terminal reads its rest from the live stream. */
	if (!s->filt.tail_lost)
		sbuf_put(&b, s->filt.tail, s->filt.tail_len);
	if (b.err != 0) {
		free(b.p);
		return (b.err);
	}
	*out = b.p;
	*len = b.len;
	return (0);
}

