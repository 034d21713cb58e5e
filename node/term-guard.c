/*
 * The feed guard of the screen model: every byte of program output goes
 * through here on its way to libvterm 0.1.4, which has faults a program
 * can reach (the comments below say which). The guard follows libvterm's
 * parser byte by byte (text, escape, control sequence, string, and
 * UTF-8 characters under way) so it can:
 *
 *  - drop CSI arguments past the 16th, which libvterm writes past the end
 *    of its argument array;
 *  - hold back a UTF-8 character split between two reads and pass it
 *    whole, since libvterm shows U+FFFD for one split between two writes;
 *  - keep the bytes of a sequence the program has begun and not ended,
 *    which the snapshot ends with (term-snap.c);
 *  - reset a scroll region that no longer fits after a resize.
 */
#include <stdio.h>
#include <string.h>

#include "term-int.h"

#define CSI_SEPS_MAX	15	/* libvterm 0.1.4 keeps 16 CSI args */

/* Follows libvterm's parser for one byte: where a sequence starts and
 * ends, and whether a UTF-8 character is half done. Returns 1 if the
 * byte must not reach libvterm: a CSI argument past the 16th, which
 * libvterm 0.1.4 stores past the end of its argument array (a
 * 25-argument SGR crashes it); the sequence still ends where the
 * program ended it, with its first 16 arguments. */
static int
guard_step(struct term_screen *s, unsigned char c)
{
	switch (s->gstate) {
	case TERM__G_TEXT:
text:
		if (c == 0x1b)
			s->gstate = TERM__G_ESC;
		if (c < 0x80)
			s->utf8_need = 0;
		else if (c < 0xc0)
			s->utf8_need -= s->utf8_need > 0;
		else
			s->utf8_need = c < 0xe0 ? 1 : c < 0xf0 ? 2 :
			    c < 0xf8 ? 3 : 0;
		return (0);
	case TERM__G_STR_ESC:
		if (c == '\\') {
			s->gstate = TERM__G_TEXT;
			return (0);
		}
		/* Anything else ends the string and is an escape. */
		s->gstate = TERM__G_ESC;
		/* FALLTHROUGH */
	case TERM__G_ESC:
		if (c >= 0x80)
			;	/* libvterm ignores it there */
		else if (c == 0x18 || c == 0x1a)
			s->gstate = TERM__G_TEXT;
		else if (c < 0x30)
			;	/* ESC again, C0 or an intermediate */
		else if (c == '[') {
			/* Even after intermediates (ESC ( [ too). */
			s->gstate = TERM__G_CSI;
			s->csi_seps = 0;
			s->csi_phase = 0;
		} else if (c == ']' || c == 'P')
			s->gstate = TERM__G_STR;	/* 0.1.4: OSC, DCS */
		else
			s->gstate = TERM__G_TEXT;
		return (0);
	case TERM__G_CSI:
		if (c >= 0x80) {
			/* libvterm drops the sequence; text again. */
			s->gstate = TERM__G_TEXT;
			goto text;
		}
		/* libvterm 0.1.4: leaders (<=>?) only first, then
		 * arguments, then intermediates; a byte out of that order
		 * ends the sequence as if it were the final one. */
		if (c == 0x1b)
			s->gstate = TERM__G_ESC;
		else if (c == 0x18 || c == 0x1a || (c >= 0x40 && c <= 0x7e))
			s->gstate = TERM__G_TEXT;
		else if (c >= 0x20 && c <= 0x2f)
			s->csi_phase = 2;
		else if (c >= 0x30 && c <= 0x3f && s->csi_phase == 2)
			s->gstate = TERM__G_TEXT;
		else if (c >= 0x3c && c <= 0x3f && s->csi_phase == 1)
			s->gstate = TERM__G_TEXT;
		else if (c >= 0x30 && c <= 0x3b) {
			s->csi_phase = 1;
			if (c == ';' || c == ':')
				s->csi_seps++;
		}
		return (s->gstate == TERM__G_CSI &&
		    s->csi_seps > CSI_SEPS_MAX &&
		    ((c >= '0' && c <= '9') || c == ';' || c == ':'));
	default:	/* TERM__G_STR */
		if (c == 0x07 || c == 0x18 || c == 0x1a)
			s->gstate = TERM__G_TEXT;
		else if (c == 0x1b)
			s->gstate = TERM__G_STR_ESC;
		return (0);
	}
}

/* Keeps the bytes of a sequence or character still open (the snapshot
 * ends with them, so a viewer's terminal reads the rest as we do). */
static void
tail_track(struct term_screen *s, unsigned char c)
{
	if (s->gstate == TERM__G_TEXT && s->utf8_need == 0) {
		s->tail_len = 0;
		s->tail_lost = 0;
	} else if (c < 0x20 && c != 0x1b)
		;	/* executed already, inside the sequence: not again */
	else if (s->gstate == TERM__G_TEXT && c >= 0xc0) {
		/* A new character; one left half-done is abandoned. */
		s->tail[0] = (char)c;
		s->tail_len = 1;
		s->tail_lost = 0;
	}
	else if (s->tail_len < TERM__TAIL_MAX)
		s->tail[s->tail_len++] = (char)c;
	else
		s->tail_lost = 1;
}

/* Passes bytes to libvterm through the guard. A UTF-8 character split
 * between two reads is held back and passed whole: libvterm 0.1.4 shows
 * U+FFFD for a character split between two vterm_input_write calls. */
void
term__guard_feed(struct term_screen *s, const unsigned char *p,
    size_t len)
{
	char buf[2 * sizeof(s->hold)];
	size_t i = 0, start, n, k;

	if (s->hold_len > 0) {
		n = s->hold_len;
		memcpy(buf, s->hold, n);
		/* Only continuation bytes complete it (at most three). */
		while (i < len && s->gstate == TERM__G_TEXT &&
		    s->utf8_need > 0 && p[i] >= 0x80 && p[i] < 0xc0 &&
		    n < sizeof(buf)) {
			(void)guard_step(s, p[i]);
			tail_track(s, p[i]);
			buf[n++] = (char)p[i++];
		}
		if (i == len && s->gstate == TERM__G_TEXT &&
		    s->utf8_need > 0 && n < sizeof(s->hold)) {
			memcpy(s->hold, buf, n);	/* still not whole */
			s->hold_len = n;
			return;
		}
		s->hold_len = 0;
		vterm_input_write(s->vt, buf, n);
	}
	for (start = i; i < len; i++) {
		if (guard_step(s, p[i])) {
			if (i > start)
				vterm_input_write(s->vt, (const char *)p +
				    start, i - start);
			start = i + 1;
		}
		tail_track(s, p[i]);
	}
	k = 0;
	if (s->gstate == TERM__G_TEXT && s->utf8_need > 0 &&
	    s->tail_len <= len - start && s->tail_len < sizeof(s->hold)) {
		/* The tail is the open character, all of it in p. */
		k = s->tail_len;
		memcpy(s->hold, p + len - k, k);
		s->hold_len = k;
	}
	if (len - k > start)
		vterm_input_write(s->vt, (const char *)p + start,
		    len - k - start);
}

/* After a resize: libvterm 0.1.4 keeps a scroll region that no longer
 * fits and then scrolls with a negative memmove (\e[5;20r, 1 row, \n).
 * Reset the region, as xterm does on a resize, keeping the cursor where
 * it is; a sequence the program is in the middle of is cut (CAN) and
 * its first bytes given again, so libvterm is back where it was. */
void
term__guard_resized(struct term_screen *s)
{
	VTermPos pos;
	char cup[32];
	int n;

	if (s->gstate != TERM__G_TEXT || s->utf8_need != 0)
		vterm_input_write(s->vt, "\030", 1);
	vterm_state_get_cursorpos(s->st, &pos);
	vterm_input_write(s->vt, "\033[r", 3);
	n = snprintf(cup, sizeof cup, "\033[%d;%dH", pos.row + 1, pos.col + 1);
	vterm_input_write(s->vt, cup, (size_t)n);
	if ((s->gstate == TERM__G_TEXT && s->utf8_need == 0) ||
	    s->hold_len > 0)
		return;	/* nothing open, or held and not given yet */
	if (!s->tail_lost && (s->gstate != TERM__G_CSI ||
	    s->csi_seps <= CSI_SEPS_MAX)) {
		vterm_input_write(s->vt, s->tail, s->tail_len);
		return;
	}
	/* Not safely given again (it may hold arguments the guard kept
	 * from libvterm): both start afresh from text. */
	s->gstate = TERM__G_TEXT;
	s->utf8_need = 0;
	s->tail_len = 0;
	s->tail_lost = 0;
}
