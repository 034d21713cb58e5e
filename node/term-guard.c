/*
 * The feed guard of the screen model: every byte of program output goes
 * to libvterm 0.1.4 through the filter (term-filter.c), which keeps it
 * within what libvterm's parser handles safely, one write per call.
 * After a resize the guard also resets a scroll region and a saved
 * cursor that no longer fit, and gives libvterm again the sequence under
 * way.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "term-int.h"

#define GUARD_CHUNK	TERM_PTY_READ_SIZE	/* bytes per write */

/* Returns where libvterm's cursor is if it stands right after the last
 * glyph it put, that glyph the byte ch put plainly (one code point,
 * width 1, a line of normal width), and text is plain; 1 then, with
 * *row, *col. 2 if that glyph went into the last column (the cursor
 * waits there to wrap), else 0. */
static int
fast_where(struct term_screen *s, unsigned char ch, int *row, int *col)
{
	const struct term__grid *g = s->cur;
	VTermPos pos;

	if (!s->fg_set || !s->fg_plain || s->fg_ch != ch ||
	    g->rows != s->rows || g->cols != s->cols ||
	    !term__filter_text_plain(&s->filt))
		return (0);
	vterm_state_get_cursorpos(s->st, &pos);
	if (pos.row != s->fg_row || pos.row < 0 || pos.row >= g->rows)
		return (0);
	if (pos.col == s->fg_col + 1 && pos.col < g->cols) {
		*row = pos.row;
		*col = pos.col;
		return (1);
	}
	return (pos.col == s->fg_col && pos.col == g->cols - 1 ? 2 : 0);
}

/* Gives libvterm one byte of text, to put itself. */
static void
slow_put(struct term_screen *s, const unsigned char *p)
{
	s->fg_set = 0;
	vterm_input_write(s->vt, (const char *)p, 1);
}

/* Puts n printable ASCII bytes into the grid at row, col, as libvterm's
 * on_text and our cb_putglyph would one by one, and moves libvterm's
 * cursor after them (HPA: the cells are on the cursor's line, none in
 * its last column, so nothing wraps and nothing waits to). */
static void
fast_put(struct term_screen *s, int row, int col, const unsigned char *p,
    int n)
{
	struct term__cell tmpl, *c;
	char seq[16];
	int i, len, v;

	memset(&tmpl, 0, sizeof(tmpl));
	tmpl.pen = s->pen;
	tmpl.prot = s->fg_prot;
	c = &term__grid_row(s->cur, row)[col];
	for (i = 0; i < n; i++) {
		c[i] = tmpl;
		c[i].chars[0] = p[i];
	}
	s->fast_cells += (uint64_t)n;
	/* "\033[%d`" without printf: this runs once a line. */
	v = col + n + 1;
	len = (int)sizeof(seq);
	seq[--len] = '`';
	do
		seq[--len] = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	seq[--len] = '[';
	seq[--len] = '\033';
	vterm_input_write(s->vt, seq + len, sizeof(seq) - (size_t)len);
}

/* Bytes p[0..k) of a run of printable ASCII whose first byte (p[-1])
 * libvterm just put, and whose last byte (p[k]) is left to go to libvterm
 * with what follows it (0.1.4 joins a combining mark to the glyph before
 * it only within one write when that glyph waits to wrap). What fits
 * before the line's last column goes into the grid directly; the last
 * column and the wrap after it go through libvterm. */
static void
guard_run(struct term_screen *s, const unsigned char *p, size_t k)
{
	int row, col, m;

	while (k > 0) {
		switch (fast_where(s, p[-1], &row, &col)) {
		case 1:
			m = s->cols - 1 - col;
			if ((size_t)m > k)
				m = (int)k;
			if (m > 0) {
				fast_put(s, row, col, p, m);
				p += m;
				k -= (size_t)m;
			}
			break;
		case 2:
			break;	/* the next byte wraps: libvterm's */
		default:
			s->fg_set = 0;
			vterm_input_write(s->vt, (const char *)p, k);
			return;
		}
		if (k > 0) {
			slow_put(s, p++);
			k--;
		}
	}
}

/* Passes bytes to libvterm through the filter, a PTY read's worth per
 * write (libvterm 0.1.4 forgets the part of a string in an earlier
 * write, so fewer writes keep more titles). The writes end where they
 * would without the fast path, every GUARD_CHUNK bytes: where a write
 * ends can matter to libvterm (a combining mark after a glyph waiting to
 * wrap). Runs of printable ASCII take the fast path (guard_run) when
 * libvterm would put them plainly: libvterm's parser and state cost
 * about 20 ns a byte, which held bulk output in a shell to what the
 * screen worker could digest. */
void
term__guard_feed(struct term_screen *s, const unsigned char *p,
    size_t len)
{
	unsigned char buf[GUARD_CHUNK + TERM__FILTER_SLACK];
	size_t n, m, k, room = GUARD_CHUNK;

	s->filt.fast_on = s->fast;
	while (len > 0) {
		n = len < room ? len : room;
		if (room == GUARD_CHUNK)
			s->filt.seg_hi = 0;	/* a write starts */
		m = term__filter(&s->filt, p, &n, buf);
		s->fg_set = 0;
		if (m > 0)
			vterm_input_write(s->vt, (const char *)buf, m);
		if (s->filt.rep) {
			/* libvterm 0.1.4 repeats the last glyph stepping by
			 * its width: with 0 or -1 it never stops. CAN ends
			 * the sequence with no effect instead. */
			s->filt.rep = 0;
			vterm_input_write(s->vt, s->glyph_width > 0 ? "b" :
			    "\030", 1);
		}
		p += n;
		len -= n;
		room -= n;
		if (s->filt.fast > 0) {
			/* All but the run's last byte. */
			k = s->filt.fast - 1;
			s->filt.fast = 0;
			guard_run(s, p, k);
			p += k;
			len -= k;
			room -= k;
		}
		if (room == 0)
			room = GUARD_CHUNK;
	}
}

/* Writes a formatted sequence to libvterm. */
static void __attribute__((format(printf, 2, 3)))
guard_put(struct term_screen *s, const char *fmt, ...)
{
	char buf[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof buf)
		vterm_input_write(s->vt, buf, (size_t)n);
}

/* libvterm 0.1.4 leaves the saved cursor (DECSC, ?1049h) where it was
 * when the screen shrinks, and a later DECRC puts the cursor there, past
 * the last row, where on_text reads lineinfo[] past its end (state.c).
 * Pull it in as xterm does: restore it, move it within the screen, save
 * it again; then give back the pen and cursor modes the restore took. */
static void
guard_clamp_saved(struct term_screen *s)
{
	struct term__sbuf pen = { 0 };
	int visible = s->cursor_visible, blink = s->cursor_blink;
	int shape = s->cursor_shape;
	VTermPos saved;

	term__encode_pen(s, &pen);
	vterm_input_write(s->vt, "\0338", 2);
	vterm_state_get_cursorpos(s->st, &saved);
	guard_put(s, "\033[%d;%dH\0337",
	    (saved.row < s->rows ? saved.row : s->rows - 1) + 1,
	    (saved.col < s->cols ? saved.col : s->cols - 1) + 1);
	if (pen.err == 0)
		vterm_input_write(s->vt, pen.p, pen.len);
	free(pen.p);
	guard_put(s, "\033[?25%c\033[%d q", visible ? 'h' : 'l',
	    (shape == VTERM_PROP_CURSORSHAPE_UNDERLINE ? 3 :
	    shape == VTERM_PROP_CURSORSHAPE_BAR_LEFT ? 5 : 1) + !blink);
}

/* After a resize: libvterm 0.1.4 keeps a scroll region that no longer
 * fits and then scrolls with a negative memmove (\e[5;20r, 1 row, \n).
 * Reset the region, as xterm does on a resize, and the saved cursor,
 * keeping the cursor where it is; a sequence the program is in the
 * middle of is cut (CAN) and given again as the filter passed it, so
 * libvterm is back where it was. */
void
term__guard_resized(struct term_screen *s)
{
	struct term__filter *f = &s->filt;
	struct term__vtmodes vt;
	VTermPos pos;

	if (f->state != TERM__G_TEXT || f->utf8_need != 0)
		vterm_input_write(s->vt, "\030", 1);
	vterm_state_get_cursorpos(s->st, &pos);
	vterm_input_write(s->vt, "\033[r", 3);
	guard_clamp_saved(s);
	guard_put(s, "\033[%d;%dH", pos.row + 1, pos.col + 1);
	if ((f->state == TERM__G_TEXT && f->utf8_need == 0) ||
	    f->hold_len > 0)
		return;	/* nothing open, or held and not given yet */
	if (!f->tail_lost) {
		vterm_input_write(s->vt, f->tail, f->tail_len);
		return;
	}
	/* Too long to give again: both start afresh from text (the
	 * modes libvterm keeps stay). */
	vt = f->vt;
	memset(f, 0, sizeof(*f));
	f->state = TERM__G_TEXT;
	f->vt = vt;
}
