/*
 * The screen model of a terminal session: libvterm's parser and state
 * layer fed with the program's output, over a cell grid of our own, a
 * bounded scrollback ring, and (in term-snap.c) a snapshot that repaints
 * the screen on a fresh terminal, so a viewer who joins late or comes
 * back after a disconnect sees what the others see.
 *
 * Why our own grid and not libvterm's screen layer: libvterm's screen
 * moves every cell of the screen for each line that scrolls (and reads
 * every cell of the line it pushes out), which held a 24x80 session to
 * 1-8 MiB/s. Our rows form a ring, so a full-screen scroll turns an
 * index; other scrolls (regions, insert/delete) move cells as libvterm
 * does. The main and alternate grids are both ours, so the snapshot can
 * draw the main screen underneath an alternate one.
 *
 * Bytes reach libvterm through term-guard.c and the filter of
 * term-filter.c, which keep program output away from the faults of
 * libvterm 0.1.4 it could reach (docs/SECURITY.md).
 *
 * The scrollback holds lines as the escape sequences that redraw them
 * (a plain 80-column line costs ~80 bytes, not 80 cells of 40), bounded
 * in lines and in bytes. Bulk output scrolls millions of lines through
 * it, nearly all dropped again unread, so a pushed line costs one pass
 * over its cells (term__encode_row, straight from the grid) and one copy
 * into a byte ring that grows by doubling up to the byte bound: no
 * allocation per line. libvterm's own memory is counted through its
 * allocator hooks, so tests can show that no input grows it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "term-int.h"

#define TITLE_MAX	1024	/* bytes of window title kept */
#define SB_CAP_MIN	1024	/* the byte ring's first size */
#define SB_CAP_LIMIT	(1U << 30) /* and its largest */

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

/* Drops the oldest scrollback line. */
static void
sb_drop_oldest(struct term_screen *s)
{
	s->sb_bytes -= sizeof(*s->sb) + s->sb[s->sb_head].len;
	s->sb_head = s->sb_head + 1 == s->sb_max ? 0 : s->sb_head + 1;
	if (--s->sb_count == 0)
		s->sb_end = 0;
}

/* Doubles the byte ring (or makes it), copying the lines to its start
 * in order; -ENOMEM. */
static int
sb_grow(struct term_screen *s)
{
	struct term__sb_ent *e;
	uint32_t cap, pos = 0;
	size_t i;
	char *nb;

	cap = s->sb_cap == 0 ? SB_CAP_MIN : s->sb_cap * 2;
	if (cap > s->sb_cap_max)
		cap = s->sb_cap_max;
	nb = malloc(cap);
	if (nb == NULL)
		return (-ENOMEM);
	for (i = 0; i < s->sb_count; i++) {
		e = &s->sb[(s->sb_head + i) % s->sb_max];
		if (e->len > 0)
			memcpy(nb + pos, s->sb_buf + (e->off & (s->sb_cap - 1)),
			    e->len);
		e->off = pos;
		pos += e->len;
	}
	free(s->sb_buf);
	s->sb_buf = nb;
	s->sb_cap = cap;
	s->sb_end = pos;
	return (0);
}

/* Keeps len bytes as the newest scrollback line, dropping the oldest
 * lines to make room; a line over the bounds is not kept. */
static void
sb_append(struct term_screen *s, const char *data, size_t len)
{
	struct term__sb_ent *e;
	uint32_t off, at, used;

	if (len + sizeof(*e) > s->sb_bytes_max || len > s->sb_cap_max)
		return;
	while (s->sb_count > 0 && (s->sb_count == s->sb_max ||
	    s->sb_bytes + len + sizeof(*e) > s->sb_bytes_max))
		sb_drop_oldest(s);
	for (;;) {
		off = s->sb_end;
		if (s->sb_cap != 0) {
			at = off & (s->sb_cap - 1);
			if (at + len > s->sb_cap)
				off += s->sb_cap - at;	/* next turn */
			used = off + (uint32_t)len - (s->sb_count > 0 ?
			    s->sb[s->sb_head].off : off);
			if (used <= s->sb_cap)
				break;
		}
		if (s->sb_cap < s->sb_cap_max) {
			if (sb_grow(s) != 0)
				return;
		} else
			sb_drop_oldest(s);
	}
	if (len > 0)
		memcpy(s->sb_buf + (off & (s->sb_cap - 1)), data, len);
	e = &s->sb[(s->sb_head + s->sb_count) % s->sb_max];
	e->off = off;
	e->len = (uint32_t)len;
	s->sb_count++;
	s->sb_bytes += len + sizeof(*e);
	s->sb_end = off + (uint32_t)len;
}

/* Returns the cell at row, col of a grid. */
static struct term__cell *
grid_cell(const struct term__grid *g, int row, int col)
{
	return (&term__grid_row(g, row)[col]);
}

/* Blanks a cell with a pen. */
static void
cell_blank(struct term__cell *c, const struct term__pen *pen)
{
	memset(c->chars, 0, sizeof(c->chars));
	c->pen = *pen;
	c->prot = 0;
}

/* Allocates a blank grid; -ENOMEM. */
static int
grid_new(struct term__grid *g, int rows, int cols)
{
	struct term__pen def;
	size_t i, n = (size_t)rows * cols;

	g->cells = malloc(n * sizeof(*g->cells));
	if (g->cells == NULL)
		return (-ENOMEM);
	term__pen_default(&def);
	for (i = 0; i < n; i++)
		cell_blank(&g->cells[i], &def);
	g->rows = rows;
	g->cols = cols;
	g->top = 0;
	return (0);
}

/* Frees a grid's cells. */
static void
grid_free(struct term__grid *g)
{
	free(g->cells);
	memset(g, 0, sizeof(*g));
}

/* Copies cells [from, to) of a grid row out as libvterm shows them. */
static void
row_out(const struct term__grid *g, int r, int from, int to,
    VTermScreenCell *out)
{
	const struct term__cell *row = term__grid_row(g, r), *c;
	int col, i;

	for (col = from; col < to; col++, out++) {
		c = &row[col];
		memset(out->chars, 0, sizeof(out->chars));
		for (i = 0; i < VTERM_MAX_CHARS_PER_CELL && c->chars[i] != 0;
		    i++) {
			out->chars[i] = c->chars[i];
			if (c->chars[i] == (uint32_t)-1)
				break;
		}
		out->width = col < g->cols - 1 &&
		    row[col + 1].chars[0] == (uint32_t)-1 ? 2 : 1;
		out->attrs = c->pen.attrs;
		out->fg = c->pen.fg;
		out->bg = c->pen.bg;
	}
}

/* Keeps row r of the main grid in the scrollback, encoded. */
static void
sb_push_row(struct term_screen *s, const struct term__grid *g, int r)
{
	if (s->sb_max == 0)
		return;
	s->sb_enc.len = 0;
	s->sb_enc.err = 0;
	term__encode_row(&s->sb_enc, term__grid_row(g, r), g->cols);
	if (s->sb_enc.err == 0)
		sb_append(s, s->sb_enc.p, s->sb_enc.len);
}

/* libvterm: a character goes at pos with the current pen. Once per
 * character of output: a plain one (one code point) takes the short
 * way. */
static int
cb_putglyph(VTermGlyphInfo *info, VTermPos pos, void *user)
{
	struct term_screen *s = user;
	struct term__grid *g = s->cur;
	struct term__cell *row, *c;
	uint32_t ch;
	int i;

	s->glyph_width = info->width;	/* what a REP steps by */
	/* What the fast path for text (term-guard.c) starts from. */
	s->fg_set = 1;
	s->fg_plain = info->width == 1 && info->chars[1] == 0 &&
	    !info->dwl && !info->dhl;
	s->fg_row = pos.row;
	s->fg_col = pos.col;
	s->fg_ch = info->chars[0];
	s->fg_prot = info->protected_cell ? 1 : 0;
	if (pos.row < 0 || pos.row >= g->rows || pos.col < 0 ||
	    pos.col >= g->cols)
		return (0);
	row = term__grid_row(g, pos.row);
	c = &row[pos.col];
	ch = info->chars[0];
	if (ch < 0xd800 && info->chars[1] == 0) {
		c->chars[0] = ch;
		memset(&c->chars[1], 0, sizeof(c->chars) - sizeof(ch));
	} else {
		for (i = 0; i < VTERM_MAX_CHARS_PER_CELL &&
		    info->chars[i] != 0; i++) {
			/* libvterm 0.1.4 decodes F4 90.. past U+10FFFF. */
			ch = info->chars[i];
			c->chars[i] = ch > 0x10ffff ||
			    (ch >= 0xd800 && ch <= 0xdfff) ? 0xfffd : ch;
		}
		for (; i < VTERM_MAX_CHARS_PER_CELL; i++)
			c->chars[i] = 0;
	}
	c->pen = s->pen;
	c->prot = info->protected_cell;
	for (i = 1; i < info->width && pos.col + i < g->cols; i++)
		row[pos.col + i].chars[0] = (uint32_t)-1;
	return (1);
}

/* Returns 1 if a rectangle lies inside the grid (libvterm can hand out
 * odd ones, e.g. a scroll region left from before a resize). */
static int
rect_inside(const struct term__grid *g, VTermRect r)
{
	return (r.start_row >= 0 && r.start_col >= 0 &&
	    r.end_row <= g->rows && r.end_col <= g->cols &&
	    r.start_row <= r.end_row && r.start_col <= r.end_col);
}

/* libvterm: blank a rectangle with the current pen. */
static int
cb_erase(VTermRect rect, int selective, void *user)
{
	struct term_screen *s = user;
	struct term__grid *g = s->cur;
	struct term__cell blank, *row;
	int r, col;

	cell_blank(&blank, &s->pen);
	if (rect.start_row < 0)
		rect.start_row = 0;
	if (rect.start_col < 0)
		rect.start_col = 0;
	for (r = rect.start_row; r < rect.end_row && r < g->rows; r++) {
		row = term__grid_row(g, r);
		for (col = rect.start_col; col < rect.end_col &&
		    col < g->cols; col++) {
			if (selective && row[col].prot)
				continue;
			row[col] = blank;
		}
	}
	return (1);
}

/* libvterm: move a rectangle of cells (lines leaving the top of the
 * main screen go to the scrollback, as libvterm's own screen does). */
static int
cb_moverect(VTermRect dest, VTermRect src, void *user)
{
	struct term_screen *s = user;
	struct term__grid *g = s->cur;
	int r, down, n, first, last, step;

	if (!rect_inside(g, dest) || !rect_inside(g, src) ||
	    dest.end_row - dest.start_row != src.end_row - src.start_row ||
	    dest.end_col - dest.start_col != src.end_col - src.start_col)
		return (0);
	if (dest.start_row == 0 && dest.start_col == 0 &&
	    dest.end_col == g->cols && g == &s->grid[0])
		for (r = 0; r < src.start_row; r++)
			sb_push_row(s, g, r);
	down = src.start_row - dest.start_row;
	n = src.end_col - src.start_col;
	if (down < 0) {
		first = dest.end_row - 1;
		last = dest.start_row - 1;
		step = -1;
	} else {
		first = dest.start_row;
		last = dest.end_row;
		step = 1;
	}
	for (r = first; r != last; r += step)
		memmove(grid_cell(g, r, dest.start_col),
		    grid_cell(g, r + down, src.start_col),
		    (size_t)n * sizeof(struct term__cell));
	return (1);
}

/* libvterm: scroll a rectangle. A whole-screen scroll up, the common
 * case by far, turns the ring instead of moving every cell. */
static int
cb_scrollrect(VTermRect rect, int downward, int rightward, void *user)
{
	struct term_screen *s = user;
	struct term__grid *g = s->cur;
	VTermRect gone;
	int r;

	if (rightward == 0 && downward > 0 && downward < g->rows &&
	    rect.start_row == 0 && rect.end_row == g->rows &&
	    rect.start_col == 0 && rect.end_col == g->cols) {
		if (g == &s->grid[0])
			for (r = 0; r < downward; r++)
				sb_push_row(s, g, r);
		g->top = (g->top + downward) % g->rows;
		gone = rect;
		gone.start_row = g->rows - downward;
		return (cb_erase(gone, 0, s));
	}
	if (!rect_inside(g, rect))
		return (1);
	vterm_scroll_rect(rect, downward, rightward, cb_moverect, cb_erase, s);
	return (1);
}

/* libvterm: the cursor moved (we ask the state where it is). */
static int
cb_movecursor(VTermPos pos, VTermPos oldpos, int visible, void *user)
{
	return (1);
}

/* libvterm: the pen changed. */
static int
cb_setpenattr(VTermAttr attr, VTermValue *val, void *user)
{
	struct term_screen *s = user;

	switch (attr) {
	case VTERM_ATTR_BOLD:
		s->pen.attrs.bold = val->boolean ? 1 : 0;
		break;
	case VTERM_ATTR_UNDERLINE:
		s->pen.attrs.underline = (unsigned)val->number & 3;
		break;
	case VTERM_ATTR_ITALIC:
		s->pen.attrs.italic = val->boolean ? 1 : 0;
		break;
	case VTERM_ATTR_BLINK:
		s->pen.attrs.blink = val->boolean ? 1 : 0;
		break;
	case VTERM_ATTR_REVERSE:
		s->pen.attrs.reverse = val->boolean ? 1 : 0;
		break;
	case VTERM_ATTR_STRIKE:
		s->pen.attrs.strike = val->boolean ? 1 : 0;
		break;
	case VTERM_ATTR_FONT:
		s->pen.attrs.font = (unsigned)val->number & 15;
		break;
	case VTERM_ATTR_FOREGROUND:
		s->pen.fg = val->color;
		break;
	case VTERM_ATTR_BACKGROUND:
		s->pen.bg = val->color;
		break;
	default:
		break;
	}
	return (1);
}

/* Moves grid g's content into the blank grid n (the new size): blank
 * rows under the cursor go first, then rows off the top (into the
 * scrollback for the main grid). Returns how many rows moved up. */
static int
grid_resize(struct term_screen *s, struct term__grid *g,
    struct term__grid *n, int cursor_row)
{
	struct term__cell *from, *to;
	int excess, bottom, r, c, k, w, rows = n->rows, cols = n->cols;

	excess = g->rows > rows ? g->rows - rows : 0;
	bottom = g->rows;
	while (excess > 0 && bottom - 1 > cursor_row) {
		for (c = 0; c < g->cols; c++)
			if (grid_cell(g, bottom - 1, c)->chars[0] != 0)
				break;
		if (c < g->cols)
			break;
		bottom--;
		excess--;
	}
	if (g == &s->grid[0])
		for (r = 0; r < excess; r++)
			sb_push_row(s, g, r);
	w = g->cols < cols ? g->cols : cols;
	for (r = 0; r < rows && r + excess < bottom; r++) {
		from = grid_cell(g, r + excess, 0);
		to = grid_cell(n, r, 0);
		memcpy(to, from, (size_t)w * sizeof(*to));
		/* A wide character cut in half by the new edge goes. */
		k = w - 1;
		if (w < g->cols && from[w].chars[0] == (uint32_t)-1)
			memset(to[k].chars, 0, sizeof(to[k].chars));
	}
	grid_free(g);
	*g = *n;
	memset(n, 0, sizeof(*n));
	return (excess);
}

/* libvterm: the size changes; delta moves the cursor with the text. */
static int
cb_resize(int rows, int cols, VTermPos *delta, void *user)
{
	struct term_screen *s = user;
	VTermPos pos;
	int i, moved;

	/* term_screen_resize allocated the new grids beforehand. */
	vterm_state_get_cursorpos(s->st, &pos);
	for (i = 0; i < 2; i++) {
		if (s->grid[i].cells == NULL || s->pend[i].cells == NULL)
			continue;
		moved = grid_resize(s, &s->grid[i], &s->pend[i], pos.row);
		if (&s->grid[i] == s->cur)
			delta->row = -moved;
	}
	s->rows = rows;
	s->cols = cols;
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
		/* Made on entry (libvterm then clears it), freed on exit. */
		if (val->boolean && s->grid[1].cells == NULL &&
		    grid_new(&s->grid[1], s->rows, s->cols) != 0)
			return (0);
		s->cur = &s->grid[val->boolean ? 1 : 0];
		if (!val->boolean)
			grid_free(&s->grid[1]);
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

static const VTermStateCallbacks state_cbs = {
	.putglyph = cb_putglyph,
	.movecursor = cb_movecursor,
	.scrollrect = cb_scrollrect,
	.moverect = cb_moverect,
	.erase = cb_erase,
	.setpenattr = cb_setpenattr,
	.settermprop = cb_settermprop,
	.resize = cb_resize,
};

/* libvterm's replies to the program (DA, DSR): kept only when probing;
 * the viewers' terminals answer the real ones. */
static void
cb_output(const char *bytes, size_t len, void *user)
{
	struct term_screen *s = user;
	size_t n;

	if (!s->probing)
		return;
	n = TERM__PROBE_MAX - s->probe_len;
	if (len < n)
		n = len;
	memcpy(s->probe + s->probe_len, bytes, n);
	s->probe_len += n;
}

/* Checks a size against the bounds. */
static int
size_ok(int rows, int cols)
{
	return (rows >= 1 && cols >= TERM_MIN_COLS && rows <= TERM_MAX_ROWS &&
	    cols <= TERM_MAX_COLS && (long)rows * cols <= TERM_MAX_CELLS);
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
	/* The byte ring's size is a power of two within the bound. */
	for (s->sb_cap_max = SB_CAP_LIMIT; s->sb_cap_max > sb_bytes;
	    s->sb_cap_max /= 2)
		;
	if (s->sb_max > 0) {
		s->sb = calloc(s->sb_max, sizeof(*s->sb));
		if (s->sb == NULL) {
			free(s);
			return (-ENOMEM);
		}
	}
	if (grid_new(&s->grid[0], rows, cols) != 0) {
		term_screen_free(s);
		return (-ENOMEM);
	}
	s->cur = &s->grid[0];
	term__pen_default(&s->pen);
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
	s->fast = 1;
	vterm_set_utf8(s->vt, 1);
	vterm_output_set_callback(s->vt, cb_output, s);
	s->st = vterm_obtain_state(s->vt);
	vterm_state_set_callbacks(s->st, &state_cbs, s);
	vterm_state_reset(s->st, 1);
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
	grid_free(&s->grid[0]);
	grid_free(&s->grid[1]);
	free(s->sb);
	free(s->sb_buf);
	free(s->sb_enc.p);
	free(s->title);
	free(s);
}

/* Feeds program output. */
void
term_screen_feed(struct term_screen *s, const void *buf, size_t len)
{
	if (len == 0)
		return;
	term__guard_feed(s, buf, len);
	s->seq += len;
}

/* Resizes the screen: new grids first, so libvterm's callback cannot
 * fail halfway. */
int
term_screen_resize(struct term_screen *s, int rows, int cols)
{
	int i;

	if (!size_ok(rows, cols))
		return (-EINVAL);
	for (i = 0; i < 2; i++) {
		if (s->grid[i].cells != NULL &&
		    grid_new(&s->pend[i], rows, cols) != 0) {
			grid_free(&s->pend[0]);
			return (-ENOMEM);
		}
	}
	vterm_set_size(s->vt, rows, cols);
	grid_free(&s->pend[0]);
	grid_free(&s->pend[1]);
	term__guard_resized(s);
	return (0);
}

/* Returns the size. */
void
term_screen_size(const struct term_screen *s, int *rows, int *cols)
{
	*rows = s->rows;
	*cols = s->cols;
}

/* Clamps a size into the bounds. */
void
term_size_clamp(int *rows, int *cols)
{
	if (*rows < 1)
		*rows = 1;
	if (*rows > TERM_MAX_ROWS)
		*rows = TERM_MAX_ROWS;
	if (*cols < TERM_MIN_COLS)
		*cols = TERM_MIN_COLS;
	if (*cols > TERM_MAX_COLS)
		*cols = TERM_MAX_COLS;
	if ((long)*rows * *cols > TERM_MAX_CELLS)
		*rows = TERM_MAX_CELLS / *cols;
}

/* Checks a size against the bounds. */
int
term_size_check(int rows, int cols)
{
	return (size_ok(rows, cols) ? 0 : -EINVAL);
}

/* Returns the bytes fed so far. */
uint64_t
term_screen_seq(const struct term_screen *s)
{
	return (s->seq);
}

/* Reads one visible cell. */
int
term_screen_cell(const struct term_screen *s, int row, int col,
    VTermScreenCell *cell)
{
	if (row < 0 || col < 0 || row >= s->rows || col >= s->cols)
		return (-EINVAL);
	row_out(s->cur, row, col, col + 1, cell);
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
	const struct term__sb_ent *e;

	if (i >= s->sb_count) {
		*len = 0;
		return (NULL);
	}
	e = &s->sb[(s->sb_head + i) % s->sb_max];
	*len = e->len;
	return (s->sb_buf + (e->off & (s->sb_cap - 1)));
}

/* Returns the memory held. */
size_t
term_screen_memory(const struct term_screen *s)
{
	size_t cells = 0;
	int i;

	for (i = 0; i < 2; i++)
		if (s->grid[i].cells != NULL)
			cells += (size_t)s->grid[i].rows * s->grid[i].cols;
	return (s->vt_bytes + s->sb_cap + s->sb_enc.cap +
	    cells * sizeof(struct term__cell) +
	    s->sb_max * sizeof(*s->sb) + sizeof(*s));
}
