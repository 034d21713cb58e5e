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

/* Passes bytes to libvterm through the filter, a PTY read's worth per
 * write (libvterm 0.1.4 forgets the part of a string in an earlier
 * write, so fewer writes keep more titles). */
void
term__guard_feed(struct term_screen *s, const unsigned char *p,
    size_t len)
{
	unsigned char buf[GUARD_CHUNK + TERM__FILTER_SLACK];
	size_t n, m;

	while (len > 0) {
		n = len < GUARD_CHUNK ? len : GUARD_CHUNK;
		m = term__filter(&s->filt, p, &n, buf);
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
	/* Too long to give again: both start afresh from text. */
	memset(f, 0, sizeof(*f));
	f->state = TERM__G_TEXT;
}
