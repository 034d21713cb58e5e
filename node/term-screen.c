/*
 * The screen model of a terminal session: a libvterm screen fed with the
 * program's output, a bounded scrollback ring, and a snapshot that
 * repaints the screen on a fresh terminal, so a viewer who joins late or
 * comes back after a disconnect sees what the others see.
 *
 * libvterm keeps cells, pen and modes; we keep what it reports only
 * through callbacks (title, cursor visibility and shape, alternate screen,
 * mouse mode). Input modes it keeps private (application cursor and
 * keypad keys, bracketed paste, newline mode, focus reports, the mouse
 * encoding) are read back by asking libvterm to encode a key, a paste or
 * a click into a private buffer and looking at the bytes it produces.
 *
 * The scrollback holds lines as the escape sequences that redraw them
 * (a plain 80-column line costs ~80 bytes, not 80 cells of 40), bounded
 * both in lines and in bytes; libvterm's own memory is counted through
 * its allocator hooks, so tests can show that no input grows it.
 *
 * Not reproduced by a snapshot (libvterm does not expose them): the
 * scroll region, insert mode, origin mode, the character set in use, the
 * cursor saved by DECSC, double-width lines and a pending wrap.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "term.h"

#define TITLE_MAX	1024	/* bytes of window title kept */
#define CSI_SEPS_MAX	15	/* libvterm 0.1.4 keeps 16 CSI arguments */
#define PROBE_MAX	64	/* bytes of libvterm output a probe keeps */

/* One scrollback line, encoded. */
struct sb_line {
	size_t	len;
	char	data[];
};

/* A growing byte buffer whose first failure sticks. */
struct sbuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
	int	 err;
};

/* The attributes and colours a snapshot tracks while drawing. */
struct pen {
	VTermScreenCellAttrs	attrs;
	VTermColor		fg;
	VTermColor		bg;
};

struct term_screen {
	VTerm			*vt;
	VTermScreen		*vs;
	VTermState		*st;
	VTermAllocatorFunctions	 alloc;	/* libvterm keeps a pointer */
	size_t			 vt_bytes;
	int			 rows;
	int			 cols;
	uint64_t		 seq;

	VTermScreenCell		*row;	/* one row, for encoding */
	int			 row_cap;

	int			 altscreen;
	int			 cursor_visible;
	int			 cursor_blink;
	int			 cursor_shape;
	int			 mouse;
	int			 reverse;
	char			*title;

	int			 csi;	/* guard: 0 text, 1 after ESC, 2 CSI */
	int			 csi_seps; /* separators seen in this CSI */

	int			 peeking; /* refuse altscreen changes */
	int			 probing; /* keep libvterm's output */
	char			 probe[PROBE_MAX];
	size_t			 probe_len;

	struct sb_line		**sb;	/* ring of sb_max lines */
	size_t			 sb_max;
	size_t			 sb_bytes_max;
	size_t			 sb_head; /* index of the oldest */
	size_t			 sb_count;
	size_t			 sb_bytes;
};

/* Header in front of each libvterm allocation, to count its size. */
union vt_hdr {
	size_t		size;
	max_align_t	align;
};

/* libvterm's malloc: zeroed, counted. */
static void *
vt_malloc(size_t size, void *data)
{
	struct term_screen *s = data;
	union vt_hdr *h;

	h = calloc(1, sizeof(*h) + size);
	if (h == NULL)
		return (NULL);
	h->size = size;
	s->vt_bytes += size;
	return (h + 1);
}

/* libvterm's free. */
static void
vt_free(void *ptr, void *data)
{
	struct term_screen *s = data;
	union vt_hdr *h;

	if (ptr == NULL)
		return;
	h = (union vt_hdr *)ptr - 1;
	s->vt_bytes -= h->size;
	free(h);
}

/* Appends n bytes. */
static void
sbuf_put(struct sbuf *b, const void *data, size_t n)
{
	size_t cap;
	char *p;

	if (b->err != 0)
		return;
	if (b->cap - b->len < n) {
		cap = b->cap ? b->cap : 4096;
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
sbuf_str(struct sbuf *b, const char *str)
{
	sbuf_put(b, str, strlen(str));
}

/* Appends formatted text (short: escape sequences). */
static void __attribute__((format(printf, 2, 3)))
sbuf_fmt(struct sbuf *b, const char *fmt, ...)
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
sbuf_utf8(struct sbuf *b, uint32_t c)
{
	char u[4];

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

/* Compares the parts of two pens that SGR sets. */
static int
pen_eq(const struct pen *a, const struct pen *b)
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

/* The pen of a fresh terminal. */
static void
pen_default(struct pen *p)
{
	memset(p, 0, sizeof(*p));
	p->fg.type = VTERM_COLOR_DEFAULT_FG;
	p->bg.type = VTERM_COLOR_DEFAULT_BG;
}

/* Appends the SGR parameters of one colour (base 30 for fg, 40 bg). */
static void
sgr_color(struct sbuf *b, const VTermColor *c, int base)
{
	if ((c->type & VTERM_COLOR_DEFAULT_MASK) != 0)
		sbuf_fmt(b, ";%d", base + 9);
	else if (VTERM_COLOR_IS_INDEXED(c) && c->indexed.idx < 8)
		sbuf_fmt(b, ";%d", base + c->indexed.idx);
	else if (VTERM_COLOR_IS_INDEXED(c) && c->indexed.idx < 16)
		sbuf_fmt(b, ";%d", base + 60 + c->indexed.idx - 8);
	else if (VTERM_COLOR_IS_INDEXED(c))
		sbuf_fmt(b, ";%d;5;%d", base + 8, c->indexed.idx);
	else
		sbuf_fmt(b, ";%d;2;%d;%d;%d", base + 8, c->rgb.red,
		    c->rgb.green, c->rgb.blue);
}

/* Switches the drawing pen to p with one SGR that starts from reset. */
static void
sgr_set(struct sbuf *b, struct pen *cur, const struct pen *p)
{
	if (pen_eq(cur, p))
		return;
	sbuf_str(b, "\033[0");
	if (p->attrs.bold)
		sbuf_str(b, ";1");
	if (p->attrs.italic)
		sbuf_str(b, ";3");
	if (p->attrs.underline == VTERM_UNDERLINE_SINGLE)
		sbuf_str(b, ";4");
	else if (p->attrs.underline == VTERM_UNDERLINE_DOUBLE)
		sbuf_str(b, ";21");
	else if (p->attrs.underline == VTERM_UNDERLINE_CURLY)
		sbuf_str(b, ";4:3");
	if (p->attrs.blink)
		sbuf_str(b, ";5");
	if (p->attrs.reverse)
		sbuf_str(b, ";7");
	if (p->attrs.strike)
		sbuf_str(b, ";9");
	if (p->attrs.font != 0)
		sbuf_fmt(b, ";%d", 10 + p->attrs.font);
	if ((p->fg.type & VTERM_COLOR_DEFAULT_MASK) == 0)
		sgr_color(b, &p->fg, 30);
	if ((p->bg.type & VTERM_COLOR_DEFAULT_MASK) == 0)
		sgr_color(b, &p->bg, 40);
	sbuf_str(b, "m");
	*cur = *p;
}

/* The pen a cell was drawn with. */
static void
cell_pen(const VTermScreenCell *c, struct pen *p)
{
	memset(p, 0, sizeof(*p));
	p->attrs.bold = c->attrs.bold;
	p->attrs.underline = c->attrs.underline;
	p->attrs.italic = c->attrs.italic;
	p->attrs.blink = c->attrs.blink;
	p->attrs.reverse = c->attrs.reverse;
	p->attrs.strike = c->attrs.strike;
	p->attrs.font = c->attrs.font;
	p->fg = c->fg;
	p->bg = c->bg;
}

/* Returns how many cells of a row to draw (trailing blanks dropped when
 * trim, else those already right after a clear). */
static int
row_extent(const VTermScreenCell *cells, int n, int trim)
{
	struct pen p, def;

	pen_default(&def);
	while (n > 0 && cells[n - 1].chars[0] == 0) {
		cell_pen(&cells[n - 1], &p);
		if (!trim && !pen_eq(&p, &def))
			break;
		n--;
	}
	return (n);
}

/* Draws cells[0..n) from the cursor on: text with its pens, runs of
 * blank cells erased with theirs. Blanks a clear already made are
 * skipped when skip_default is set. */
static void
encode_cells(struct sbuf *b, struct pen *cur, const VTermScreenCell *cells,
    int n, int skip_default)
{
	struct pen p, def;
	int col, run, i;

	pen_default(&def);
	col = 0;
	while (col < n) {
		cell_pen(&cells[col], &p);
		if (cells[col].chars[0] == 0) {
			for (run = 1; col + run < n; run++) {
				struct pen q;

				if (cells[col + run].chars[0] != 0)
					break;
				cell_pen(&cells[col + run], &q);
				if (!pen_eq(&p, &q))
					break;
			}
			if (!skip_default || !pen_eq(&p, &def)) {
				sgr_set(b, cur, &p);
				sbuf_fmt(b, "\033[%dX", run);
			}
			if (col + run < n)
				sbuf_fmt(b, "\033[%dC", run);
			col += run;
			continue;
		}
		if (cells[col].chars[0] == (uint32_t)-1) {
			/* The right half of a wide character whose left
			 * half is gone: nothing to draw, move on. */
			sbuf_str(b, "\033[C");
			col++;
			continue;
		}
		sgr_set(b, cur, &p);
		for (i = 0; i < VTERM_MAX_CHARS_PER_CELL &&
		    cells[col].chars[i] != 0; i++)
			sbuf_utf8(b, cells[col].chars[i]);
		col += cells[col].width > 1 ? cells[col].width : 1;
	}
}

/* Reads one visible row into s->row. */
static void
read_row(struct term_screen *s, int r)
{
	VTermPos pos;
	int c;

	pos.row = r;
	for (c = 0; c < s->cols; c++) {
		pos.col = c;
		memset(&s->row[c], 0, sizeof(s->row[c]));
		if (!vterm_screen_get_cell(s->vs, pos, &s->row[c]))
			s->row[c].width = 1;
	}
}

/* Draws the visible buffer after a clear. */
static void
encode_screen(struct term_screen *s, struct sbuf *b, struct pen *cur)
{
	int r, n;

	for (r = 0; r < s->rows; r++) {
		read_row(s, r);
		n = row_extent(s->row, s->cols, 0);
		if (n == 0)
			continue;
		sbuf_fmt(b, "\033[%d;1H", r + 1);
		encode_cells(b, cur, s->row, n, 1);
	}
}

/* Drops the oldest scrollback line. */
static void
sb_drop_oldest(struct term_screen *s)
{
	struct sb_line *l;

	l = s->sb[s->sb_head];
	s->sb[s->sb_head] = NULL;
	s->sb_bytes -= sizeof(*l) + l->len;
	free(l);
	s->sb_head = (s->sb_head + 1) % s->sb_max;
	s->sb_count--;
}

/* libvterm: a line scrolled off the top; keep it encoded. */
static int
cb_sb_pushline(int cols, const VTermScreenCell *cells, void *user)
{
	struct term_screen *s = user;
	struct sbuf b = { 0 };
	struct pen cur, def;
	struct sb_line *l;
	int n;

	if (s->sb_max == 0 || s->altscreen)
		return (0);
	pen_default(&cur);
	pen_default(&def);
	n = row_extent(cells, cols, 1);
	encode_cells(&b, &cur, cells, n, 0);
	sgr_set(&b, &cur, &def);
	if (b.err != 0 || sizeof(*l) + b.len > s->sb_bytes_max) {
		free(b.p);
		return (0);
	}
	l = malloc(sizeof(*l) + b.len);
	if (l == NULL) {
		free(b.p);
		return (0);
	}
	l->len = b.len;
	if (b.len > 0)
		memcpy(l->data, b.p, b.len);
	free(b.p);
	while (s->sb_count > 0 && (s->sb_count == s->sb_max ||
	    s->sb_bytes + sizeof(*l) + l->len > s->sb_bytes_max))
		sb_drop_oldest(s);
	s->sb[(s->sb_head + s->sb_count) % s->sb_max] = l;
	s->sb_count++;
	s->sb_bytes += sizeof(*l) + l->len;
	return (1);
}

/* libvterm: a terminal property changed. */
static int
cb_settermprop(VTermProp prop, VTermValue *val, void *user)
{
	struct term_screen *s = user;
	size_t n;
	char *t;

	switch (prop) {
	case VTERM_PROP_ALTSCREEN:
		if (s->peeking)
			return (0);
		s->altscreen = val->boolean;
		break;
	case VTERM_PROP_CURSORVISIBLE:
		s->cursor_visible = val->boolean;
		break;
	case VTERM_PROP_CURSORBLINK:
		s->cursor_blink = val->boolean;
		break;
	case VTERM_PROP_CURSORSHAPE:
		s->cursor_shape = val->number;
		break;
	case VTERM_PROP_MOUSE:
		s->mouse = val->number;
		break;
	case VTERM_PROP_REVERSE:
		s->reverse = val->boolean;
		break;
	case VTERM_PROP_TITLE:
		if (val->string == NULL)
			break;
		n = strnlen(val->string, TITLE_MAX);
		t = malloc(n + 1);
		if (t == NULL)
			break;
		memcpy(t, val->string, n);
		t[n] = '\0';
		free(s->title);
		s->title = t;
		break;
	default:
		break;
	}
	return (1);
}

/* libvterm: the size changed. */
static int
cb_resize(int rows, int cols, void *user)
{
	struct term_screen *s = user;

	s->rows = rows;
	s->cols = cols;
	return (1);
}

/* libvterm's replies to the program (DA, DSR): kept only when probing;
 * the viewers' terminals answer the real ones. */
static void
cb_output(const char *bytes, size_t len, void *user)
{
	struct term_screen *s = user;
	size_t n;

	if (!s->probing)
		return;
	n = PROBE_MAX - s->probe_len;
	if (len < n)
		n = len;
	memcpy(s->probe + s->probe_len, bytes, n);
	s->probe_len += n;
}

static const VTermScreenCallbacks screen_cbs = {
	.settermprop = cb_settermprop,
	.resize = cb_resize,
	.sb_pushline = cb_sb_pushline,
};

/* Checks a size against the bounds. */
static int
size_ok(int rows, int cols)
{
	return (rows >= 1 && cols >= TERM_MIN_COLS && rows <= TERM_MAX_ROWS &&
	    cols <= TERM_MAX_COLS && (long)rows * cols <= TERM_MAX_CELLS);
}

/* Makes the row buffer hold cols cells. */
static int
row_reserve(struct term_screen *s, int cols)
{
	VTermScreenCell *r;

	if (cols <= s->row_cap)
		return (0);
	r = realloc(s->row, (size_t)cols * sizeof(*r));
	if (r == NULL)
		return (-ENOMEM);
	s->row = r;
	s->row_cap = cols;
	return (0);
}

/* Makes a screen. */
int
term_screen_new(struct term_screen **out, int rows, int cols,
    size_t sb_lines, size_t sb_bytes)
{
	struct term_screen *s;

	*out = NULL;
	if (!size_ok(rows, cols))
		return (-EINVAL);
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return (-ENOMEM);
	s->sb_max = sb_bytes > 0 ? sb_lines : 0;
	s->sb_bytes_max = sb_bytes;
	if (s->sb_max > 0) {
		s->sb = calloc(s->sb_max, sizeof(*s->sb));
		if (s->sb == NULL) {
			free(s);
			return (-ENOMEM);
		}
	}
	if (row_reserve(s, cols) != 0) {
		term_screen_free(s);
		return (-ENOMEM);
	}
	s->alloc.malloc = vt_malloc;
	s->alloc.free = vt_free;
	s->vt = vterm_new_with_allocator(rows, cols, &s->alloc, s);
	if (s->vt == NULL) {
		term_screen_free(s);
		return (-ENOMEM);
	}
	s->rows = rows;
	s->cols = cols;
	s->cursor_visible = 1;
	vterm_set_utf8(s->vt, 1);
	vterm_output_set_callback(s->vt, cb_output, s);
	s->vs = vterm_obtain_screen(s->vt);
	s->st = vterm_obtain_state(s->vt);
	vterm_screen_set_callbacks(s->vs, &screen_cbs, s);
	vterm_screen_enable_altscreen(s->vs, 1);
	vterm_screen_reset(s->vs, 1);
	*out = s;
	return (0);
}

/* Frees a screen. */
void
term_screen_free(struct term_screen *s)
{
	if (s == NULL)
		return;
	if (s->vt != NULL)
		vterm_free(s->vt);
	while (s->sb_count > 0)
		sb_drop_oldest(s);
	free(s->sb);
	free(s->row);
	free(s->title);
	free(s);
}

/* Passes bytes to libvterm, leaving out the arguments of a CSI past its
 * 16th: libvterm 0.1.4 stores them past the end of its argument array
 * (a 25-argument SGR crashes it). The sequence itself still ends where
 * the program ended it, with the first 16 arguments. */
static void
guard_feed(struct term_screen *s, const unsigned char *p, size_t len)
{
	size_t i, start = 0;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = p[i];
		if (c == 0x1b) {
			s->csi = 1;
			continue;
		}
		if (s->csi == 0) {
			if (c == 0x9b && !vterm_get_utf8(s->vt)) {
				s->csi = 2;
				s->csi_seps = 0;
			}
			continue;
		}
		if (s->csi == 1) {
			s->csi = c == '[' ? 2 : 0;
			s->csi_seps = 0;
			continue;
		}
		if (c == ';' || c == ':')
			s->csi_seps++;
		else if (c >= 0x40 && c <= 0x7e)
			s->csi = 0;
		else if (c == 0x18 || c == 0x1a)
			s->csi = 0;
		if (s->csi == 2 && s->csi_seps > CSI_SEPS_MAX &&
		    ((c >= '0' && c <= '9') || c == ';' || c == ':')) {
			/* Drop this byte. */
			if (i > start)
				vterm_input_write(s->vt, (const char *)p +
				    start, i - start);
			start = i + 1;
		}
	}
	if (len > start)
		vterm_input_write(s->vt, (const char *)p + start, len - start);
}

/* Feeds program output. */
void
term_screen_feed(struct term_screen *s, const void *buf, size_t len)
{
	if (len == 0)
		return;
	guard_feed(s, buf, len);
	s->seq += len;
}

/* Resizes the screen. */
int
term_screen_resize(struct term_screen *s, int rows, int cols)
{
	if (!size_ok(rows, cols))
		return (-EINVAL);
	if (row_reserve(s, cols) != 0)
		return (-ENOMEM);
	vterm_set_size(s->vt, rows, cols);
	return (0);
}

/* Returns the size. */
void
term_screen_size(const struct term_screen *s, int *rows, int *cols)
{
	*rows = s->rows;
	*cols = s->cols;
}

/* Returns the bytes fed so far. */
uint64_t
term_screen_seq(const struct term_screen *s)
{
	return (s->seq);
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
encode_modes(struct term_screen *s, struct sbuf *b)
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

/* Appends the window title, without control characters. */
static void
encode_title(struct term_screen *s, struct sbuf *b)
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
encode_scrollback(struct term_screen *s, struct sbuf *b)
{
	struct sb_line *l;
	size_t i;
	int r;

	if (s->sb_count == 0)
		return;
	sbuf_str(b, "\033[H");
	for (i = 0; i < s->sb_count; i++) {
		l = s->sb[(s->sb_head + i) % s->sb_max];
		sbuf_put(b, l->data, l->len);
		sbuf_str(b, "\r\n");
	}
	/* The lines still on screen: min(count, rows - 1). */
	sbuf_fmt(b, "\033[%d;1H", s->rows);
	for (r = 0; r < s->rows - 1 && (size_t)r < s->sb_count; r++)
		sbuf_str(b, "\n");
	sbuf_str(b, "\033[H\033[2J");
}

/* Appends the pen the program is drawing with now. */
static void
encode_state_pen(struct term_screen *s, struct sbuf *b, struct pen *cur)
{
	struct pen p;
	VTermValue v;

	pen_default(&p);
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
	sgr_set(b, cur, &p);
}

/* Builds the repaint. */
int
term_screen_snapshot(struct term_screen *s, int flags, char **out,
    size_t *len)
{
	struct sbuf b = { 0 };
	struct pen cur;
	VTermValue v;
	VTermPos pos;
	int shape;

	*out = NULL;
	*len = 0;
	pen_default(&cur);
	/* Back to a known state: main screen, plain pen, no margins, no
	 * special modes, ASCII G0, cleared. */
	sbuf_str(&b, "\033[?1049l\033[0m\033[4l\033[?6l\033[?7h\033[r\033(B"
	    "\033[?1l\033>\033[20l\033[?2004l\033[?1004l\033[?1000l"
	    "\033[?1002l\033[?1003l\033[?1006l\033[?1015l\033[?5l"
	    "\033[?25h\033[H\033[2J");
	if ((flags & TERM_SNAP_SCROLLBACK) != 0)
		encode_scrollback(s, &b);
	if (s->altscreen) {
		/* Draw the main screen underneath first: flip libvterm's
		 * buffer without letting its state (and our callback)
		 * see a change, read, flip back. */
		s->peeking = 1;
		v.boolean = 0;
		vterm_state_set_termprop(s->st, VTERM_PROP_ALTSCREEN, &v);
		encode_screen(s, &b, &cur);
		v.boolean = 1;
		vterm_state_set_termprop(s->st, VTERM_PROP_ALTSCREEN, &v);
		s->peeking = 0;
		pen_default(&cur);
		sbuf_str(&b, "\033[0m\033[?1049h\033[H\033[2J");
	}
	encode_screen(s, &b, &cur);
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
	sbuf_fmt(&b, "\033[%d;%dH", pos.row + 1, pos.col + 1);
	encode_state_pen(s, &b, &cur);
	if (!s->cursor_visible)
		sbuf_str(&b, "\033[?25l");
	if (b.err != 0) {
		free(b.p);
		return (b.err);
	}
	*out = b.p;
	*len = b.len;
	return (0);
}

/* Reads one visible cell. */
int
term_screen_cell(const struct term_screen *s, int row, int col,
    VTermScreenCell *cell)
{
	VTermPos pos;

	if (row < 0 || col < 0 || row >= s->rows || col >= s->cols)
		return (-EINVAL);
	memset(cell, 0, sizeof(*cell));
	pos.row = row;
	pos.col = col;
	if (!vterm_screen_get_cell(s->vs, pos, cell))
		return (-EINVAL);
	return (0);
}

/* Returns the cursor. */
void
term_screen_cursor(const struct term_screen *s, int *row, int *col,
    int *visible)
{
	VTermPos pos;

	vterm_state_get_cursorpos(s->st, &pos);
	*row = pos.row;
	*col = pos.col;
	*visible = s->cursor_visible;
}

/* Returns whether the alternate screen is in use. */
int
term_screen_altscreen(const struct term_screen *s)
{
	return (s->altscreen);
}

/* Returns the title. */
const char *
term_screen_title(const struct term_screen *s)
{
	return (s->title != NULL ? s->title : "");
}

/* Returns the scrollback line count. */
size_t
term_screen_sb_count(const struct term_screen *s)
{
	return (s->sb_count);
}

/* Returns one scrollback line. */
const char *
term_screen_sb_line(const struct term_screen *s, size_t i, size_t *len)
{
	struct sb_line *l;

	if (i >= s->sb_count) {
		*len = 0;
		return (NULL);
	}
	l = s->sb[(s->sb_head + i) % s->sb_max];
	*len = l->len;
	return (l->data);
}

/* Returns the memory held. */
size_t
term_screen_memory(const struct term_screen *s)
{
	return (s->vt_bytes + s->sb_bytes +
	    (size_t)s->row_cap * sizeof(VTermScreenCell) +
	    s->sb_max * sizeof(*s->sb) + sizeof(*s));
}
