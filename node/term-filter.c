/*
 * The filter in front of libvterm: program output in, the bytes libvterm
 * may parse out, as a pure function over bytes whose state carries over
 * from one call to the next (a sequence can be split across reads). The
 * output of one call is meant for one vterm_input_write.
 *
 * libvterm 0.1.4's parser (src/parser.c, vterm_input_write) trusts its
 * input in ways a program can abuse (docs/SECURITY.md has the details):
 *
 *  - each ';' or ':' of a control sequence moves parser.csi_argi on and
 *    stores into parser.csi_args[csi_argi], a long[CSI_ARGS_MAX = 16],
 *    with no bound: the 17th argument overwrites the parser's callback
 *    and string pointers, then the state and screen pointers of the
 *    struct VTerm, then the heap past it;
 *  - an argument's digits are summed into a long with no bound (signed
 *    overflow; state.c then takes the value as an int);
 *  - a string (OSC, DCS) ended by an ESC \ whose ESC came in the write
 *    before is handed on with length (size_t)-1, read through strncpy;
 *  - an OSC title is copied into a stack array as long as the string's
 *    part in one write;
 *  - its UTF-8 decoder keeps a character's missing bytes from one run of
 *    text to the next, and there writes one code point past the end of
 *    the stack array on_text decodes into;
 *  - REP (CSI n b) repeats the last glyph by stepping the cursor by its
 *    width, and never ends when that width is 0 or -1 (a combining mark
 *    or U+0085 first on a line, or no glyph yet);
 *  - combining marks join the glyph before them in a buffer that grows
 *    with each (four bytes a mark, never given back);
 *  - a DECRQSS it does not know (DCS $ q X ST) is answered through
 *    vsnprintf with an int where the format wants a string, and what it
 *    takes for the request is only the string's part in the last write
 *    and the parts that controls cut off before it;
 *  - a single shift (SS2, SS3) decodes one code point with G2's or G3's
 *    own UTF-8 decoder and can leave it in the middle of a character.
 *
 * So the filter follows the parser's states byte by byte, exactly as
 * 0.1.4 moves between them (with UTF-8 on, as pierd always sets it), and
 * drops what goes past the limits of term-int.h (TERM__CSI_SEPS_MAX,
 * TERM__CSI_ARG_MAX, TERM__STR_MAX, TERM__MARKS_MAX). It never adds a
 * byte; it puts a CAN in place of the ST or BEL that ends a DCS, which
 * libvterm would act on only to answer DECRQSS, and of the final byte of
 * a single shift; output within the limits otherwise passes unchanged. An ESC inside a string that ends a
 * call is held back and given with the next call, so an ST is never
 * split; a UTF-8 character split between calls is held back too and
 * given whole (0.1.4 shows U+FFFD for one split between writes), and the
 * bytes of one that text abandons halfway are taken back, so every run
 * of text starts with the decoder at rest. A REP's final byte is left to
 * the caller, who knows the last glyph's width (term-guard.c).
 *
 * The filter also keeps the bytes of the sequence under way as it gave
 * them to libvterm, which the snapshot ends with and a resize gives again
 * (term-guard.c): they are within the limits by construction.
 *
 * And it follows what of libvterm's state decides how printable ASCII is
 * put, which 0.1.4 has no call to ask: the character sets designated
 * (SCS: ESC ( ) * + with 0, A or B) and invoked into GL (SI, SO, LS2,
 * LS3), insert mode (SM/RM 4) and origin mode (DECSET/DECRST 6), all
 * reset by RIS. Where 0.1.4 acts on the first argument only, a set with
 * the mode in any argument counts and a reset only with it first, so
 * the filter may think a mode on that is off, never the other way; and
 * DECSTR, which 0.1.4 ignores, leaves it as it was. While text is plain
 * (term__filter_text_plain) the caller may put runs of it itself, which
 * is where the filter stops when asked (term-guard.c).
 */
#include <string.h>

#include "term-int.h"

/* Returns 1 if a character decoded as cp from n bytes is one 0.1.4's
 * decoder gives as it is (not U+FFFD: overlong, surrogate, FFFE, FFFF)
 * and may join to the glyph before. */
static int
is_mark(uint32_t cp, int n)
{
	static const uint32_t least[] = { 0, 0, 0x80, 0x800, 0x10000,
	    0x200000, 0x4000000 };

	if (cp < least[n] || (cp >= 0xd800 && cp <= 0xdfff) ||
	    cp == 0xfffe || cp == 0xffff)
		return (0);
	return (term__is_mark(cp));
}

/* Follows one byte of text through 0.1.4's UTF-8 decoder (decode_utf8):
 * its bytes_remaining, 5- and 6-byte forms and FE, FF (which leave it)
 * included, and the combining marks in a row. Returns 0 for the last
 * byte of a mark past TERM__MARKS_MAX, with f->drop its other bytes:
 * libvterm keeps every mark joined to one glyph in a buffer that only
 * grows (combine_chars), four bytes a mark. */
static int
text_step(struct term__filter *f, unsigned char c)
{
	int v = f->utf8_need;

	if (c < 0x80) {
		f->utf8_need = 0;
		f->marks = 0;
	} else if (c < 0xc0) {
		if (v == 0)
			f->marks = 0;	/* U+FFFD */
		else {
			f->cp = f->cp << 6 | (c & 0x3f);
			if (--f->utf8_need == 0 &&
			    !is_mark(f->cp, f->u8_total))
				f->marks = 0;
			else if (f->utf8_need == 0 &&
			    ++f->marks > TERM__MARKS_MAX) {
				f->marks--;
				f->drop = f->u8_len;
				f->u8_len = 0;
				return (0);
			}
		}
	} else if (c < 0xfe) {
		f->utf8_need = c < 0xe0 ? 1 : c < 0xf0 ? 2 : c < 0xf8 ? 3 :
		    c < 0xfc ? 4 : 5;
		f->u8_total = f->utf8_need + 1;
		f->cp = c & (0x3f >> f->utf8_need);
		if (v > 0)
			f->marks = 0;	/* U+FFFD for the one cut */
	} else
		f->marks = 0;	/* U+FFFD */
	/* The bytes since the decoder left its rest state. */
	f->u8_len = f->utf8_need == 0 ? 0 : v == 0 ? 1 : f->u8_len + 1;
	return (1);
}

/* SI, SO: which set GL invokes (0.1.4 acts on them wherever they come,
 * in a sequence or a string too). */
static void
shift_step(struct term__filter *f, unsigned char c)
{
	if (c == 0x0e)
		f->vt.gl = 1;
	else if (c == 0x0f)
		f->vt.gl = 0;
}

/* An escape sequence's final byte (not a C1 control): LS2, LS3, RIS and
 * the designations of G0-G3 that 0.1.4 knows (state.c, on_escape). */
static void
esc_done(struct term__filter *f, unsigned char c)
{
	int set;

	if (f->esc_ni == 0) {
		if (c == 'n' || c == 'o')
			f->vt.gl = c == 'n' ? 2 : 3;
		else if (c == 'c')
			memset(&f->vt, 0, sizeof(f->vt));
		return;
	}
	if (f->esc_ni != 1 || f->esc_i0 < '(' || f->esc_i0 > '+')
		return;
	set = f->esc_i0 - '(';
	if (c == '0' || c == 'A')	/* DEC graphics, UK */
		f->vt.g_odd |= (uint8_t)(1U << set);
	else if (c == 'B')		/* US-ASCII */
		f->vt.g_odd &= (uint8_t)~(1U << set);
	if (c == '0' || c == 'A' || c == 'B')
		f->vt.g_set |= (uint8_t)(1U << set);
}

/* The end of a CSI argument (at ';', ':' or the final byte). */
static void
csi_arg_end(struct term__filter *f)
{
	int v = f->csi_digit ? (int)f->arg : -1;

	if (f->seps == 0)
		f->csi_a0 = v;
	if (v == 4)
		f->csi_has |= 1;
	else if (v == 6)
		f->csi_has |= 2;
	f->csi_digit = 0;
}

/* SM, RM, DECSET, DECRST: insert mode (4) and origin mode (6). 0.1.4
 * acts on the first argument; a set counts with the mode anywhere. */
static void
csi_mode(struct term__filter *f, unsigned char c)
{
	int first, bit, mode;
	uint8_t *on;

	if (f->seps <= TERM__CSI_SEPS_MAX)
		csi_arg_end(f);
	first = f->csi_a0;
	if (f->phase == 2)
		return;		/* intermediates: 0.1.4 does nothing */
	if (f->csi_nlead == 0) {
		mode = 4;
		on = &f->vt.insert;
	} else if (f->csi_nlead == 1 && f->csi_lead == '?') {
		mode = 6;
		on = &f->vt.origin;
	} else
		return;
	bit = mode == 4 ? 1 : 2;
	if (c == 'h' && (f->csi_has & bit))
		*on = 1;
	else if (c == 'l' && first == mode)
		*on = 0;
}

/* Follows one byte through 0.1.4's parser. Returns 1 if libvterm may
 * have it, 0 if it is dropped, 2 if a CAN goes in its place. That is
 * for the end of every DCS, which CAN drops: 0.1.4 acts on none but
 * DECRQSS, whose answers the screen model discards (the viewers'
 * terminals answer), and it may take a part of any DCS for an unknown
 * one. And for the final byte of SS2 and SS3 (ESC N, ESC O), which CAN
 * cancels: with UTF-8 on, G2 and G3 are UTF-8 decoders of their own,
 * and a single shift runs one for one code point only, leaving it in
 * the middle of a character for the next single shift, where one byte
 * gives two code points into an array sized for one. */
static int
filter_step(struct term__filter *f, unsigned char c)
{
	unsigned v;

	if (c < 0x20 || c == 0x7f)
		f->seg_hi = 0;	/* ends libvterm's on_text */
	if (c == 0x00 || c == 0x7f) {
		/* Ignored by libvterm wherever it comes; in a string
		 * after ESC it would part the ESC from its \ . */
		return (f->state != TERM__G_STR_ESC);
	}
	if (c == 0x18 || c == 0x1a) {
		f->state = TERM__G_TEXT;
		f->utf8_need = 0;
		return (1);
	}
	if (c == 0x1b) {
		f->state = f->state == TERM__G_STR ? TERM__G_STR_ESC :
		    TERM__G_ESC;
		f->esc_ni = 0;
		return (1);
	}
	if (c == 0x07 && f->state == TERM__G_STR) {
		f->state = TERM__G_TEXT;
		return (f->dcs ? 2 : 1);
	}
	if (c < 0x20) {
		if (f->state == TERM__G_TEXT)
			f->utf8_need = 0;
		/* Executed where it is; after ESC in a string it would
		 * part the ESC from its \ . */
		if (f->state == TERM__G_STR_ESC)
			return (0);
		shift_step(f, c);
		return (1);
	}
	switch (f->state) {
	case TERM__G_TEXT:
		if (c >= 0x80)
			f->seg_hi = 1;
		return (text_step(f, c));
	case TERM__G_STR_ESC:
		if (c == '\\') {
			f->state = TERM__G_TEXT;
			return (f->dcs ? 2 : 1);
		}
		/* Anything else ends the string and is an escape. */
		f->state = TERM__G_ESC;
		/* FALLTHROUGH */
	case TERM__G_ESC:
		f->utf8_need = 0;
		if ((c == 'N' || c == 'O') && f->esc_ni == 0) {
			/* SS2, SS3: CAN instead (see filter_step). */
			f->state = TERM__G_TEXT;
			return (2);
		}
		if (c >= 0x20 && c <= 0x2f) {
			if (f->esc_ni == 0)
				f->esc_i0 = c;
			if (f->esc_ni < 2)
				f->esc_ni++;
		}
		if (c == '[') {
			/* Even after intermediates (ESC ( [ too). */
			f->state = TERM__G_CSI;
			f->seps = 0;
			f->phase = 0;
			f->plain = 1;
			f->arg = 0;
			f->csi_nlead = 0;
			f->csi_digit = 0;
			f->csi_a0 = -1;
			f->csi_has = 0;
		} else if (c == ']' || c == 'P') {
			f->state = TERM__G_STR;	/* 0.1.4: OSC, DCS */
			f->slen = 0;
			f->dcs = c == 'P';
		} else if (c >= 0x30 && c < 0x80) {
			f->state = TERM__G_TEXT;
			/* Without intermediates 40-5F is a C1 control. */
			if (f->esc_ni > 0 || c < 0x40 || c >= 0x60)
				esc_done(f, c);
		}
		/* else an intermediate, or a byte libvterm ignores there */
		return (1);
	case TERM__G_CSI:
		/* Leaders (<=>?) only first, then arguments, then
		 * intermediates; a byte out of that order ends the sequence
		 * (libvterm takes it, as text neither), as does the final
		 * byte. */
		if (c >= 0x20 && c <= 0x2f) {
			f->phase = 2;
			f->plain = 0;
			return (1);
		}
		if (c >= 0x3c && c <= 0x3f && f->phase == 0) {
			f->plain = 0;
			if (f->csi_nlead == 0)
				f->csi_lead = c;
			if (f->csi_nlead < 2)
				f->csi_nlead++;
			return (1);
		}
		if (c < 0x30 || c > 0x3b || f->phase == 2) {
			f->state = TERM__G_TEXT;
			if (c == 'h' || c == 'l')
				csi_mode(f, c);
			if (c == 'b' && f->plain) {
				f->rep = 1;	/* the caller's to give */
				return (0);
			}
			return (1);
		}
		f->phase = 1;
		if (f->seps > TERM__CSI_SEPS_MAX)
			return (0);	/* the 17th argument and on */
		if (c == ';' || c == ':') {
			csi_arg_end(f);
			if (++f->seps > TERM__CSI_SEPS_MAX)
				return (0);
			f->arg = 0;
			return (1);
		}
		v = f->arg * 10 + (c - '0');
		if (v > TERM__CSI_ARG_MAX)
			return (0);	/* the digit that would pass it */
		f->arg = v;
		f->csi_digit = 1;
		return (1);
	default:	/* TERM__G_STR */
		return (++f->slen <= TERM__STR_MAX);
	}
}

/* Keeps the bytes of the sequence or character under way, as passed:
 * a sequence from its ESC on (an ESC cancels the one before it), less
 * the controls libvterm executed already. */
static void
tail_track(struct term__filter *f, enum term__gstate was, unsigned char c)
{
	if (f->state == TERM__G_TEXT && f->utf8_need == 0) {
		f->tail_len = 0;
		f->tail_lost = 0;
	} else if (c == 0x1b && f->state == TERM__G_ESC) {
		f->tail[0] = (char)c;
		f->tail_len = 1;
		f->tail_lost = 0;
	} else if (was == TERM__G_STR_ESC && f->state != TERM__G_STR_ESC) {
		/* The string's ESC begins an escape: ESC and this byte. */
		f->tail[0] = 0x1b;
		f->tail[1] = (char)c;
		f->tail_len = 2;
		f->tail_lost = 0;
	} else if (c < 0x20 && c != 0x1b)
		;	/* executed already, inside the sequence: not again */
	else if (f->state == TERM__G_TEXT && c >= 0xc0) {
		/* A new character; one left half-done is abandoned. */
		f->tail[0] = (char)c;
		f->tail_len = 1;
		f->tail_lost = 0;
	} else if (f->tail_len < TERM__TAIL_MAX)
		f->tail[f->tail_len++] = (char)c;
	else
		f->tail_lost = 1;
}

/* Takes back the bytes of a character that text ends in the middle
 * of (a control), or that FE and FF stretch past what hold[] keeps (the
 * same however the output is split). 0.1.4's
 * UTF-8 decoder would carry its bytes_remaining into its next run of
 * text, and there one byte can give two code points (U+FFFD and the
 * byte): on_text in state.c sizes its stack array codepoints[] at one a
 * byte, so a run reaching the write's end overflows it. The bytes were
 * passed in this call (a character never spans two: it is held or cut
 * at the end of each), so they are the last u8_len of its output;
 * returns how many. */
static size_t
u8_cut(struct term__filter *f)
{
	size_t n = f->u8_len;

	f->utf8_need = 0;
	f->u8_len = 0;
	f->tail_len = 0;
	f->tail_lost = 0;
	return (n);
}

/* Goes over the ASCII text and controls from p[i] on (up to len, an ESC
 * or a byte over 7F, which *k says): follows SI and SO, and with
 * f->fast_on stops at the first run of TERM__FAST_MIN printable bytes
 * met while text is plain. Returns the index after that run's first
 * byte, with *end the index after the run (*k then too); or *k.
 *
 * Not where a byte over 7F came earlier in this stretch of text while
 * GL holds a designated set: 0.1.4 decodes a stretch of text (an on_text
 * call, up to a control) with the decoder its first byte picks, UTF-8
 * for a byte over 7F, else GL's set, whose US-ASCII decoder stops at a
 * byte over 7F. There the run's last byte, which starts a stretch of its
 * own after the fast path, would be decoded apart from a combining mark
 * after it that it joins without the fast path. */
static size_t
text_scan(struct term__filter *f, const unsigned char *p, size_t i,
    size_t len, size_t *k, size_t *end)
{
	size_t j, run = 0;

	for (j = i; j < len && p[j] < 0x80 && p[j] != 0x1b; j++) {
		if (p[j] >= 0x20 && p[j] != 0x7f) {
			if (++run < TERM__FAST_MIN || !f->fast_on ||
			    !term__filter_text_plain(f) ||
			    (f->seg_hi && (f->vt.g_set >> f->vt.gl & 1)))
				continue;
			for (*end = j + 1; *end < len && p[*end] >= 0x20 &&
			    p[*end] < 0x7f; (*end)++)
				;
			*k = *end;
			return (j + 2 - TERM__FAST_MIN);
		}
		run = 0;
		f->seg_hi = 0;
		shift_step(f, p[j]);
	}
	*k = j;
	return (j);
}

/* Filters *lenp bytes of program output into out, which has room for
 * *lenp + TERM__FILTER_SLACK bytes; returns how many bytes libvterm gets.
 * At a REP's final byte it stops, sets f->rep and says in *lenp how many
 * bytes it took. */
size_t
term__filter(struct term__filter *f, const void *in, size_t *lenp,
    void *out)
{
	const unsigned char *p = in;
	unsigned char *o = out;
	enum term__gstate was;
	size_t i, k, e, end = 0, n, len = *lenp;

	n = f->hold_len;
	memcpy(o, f->hold, n);
	f->hold_len = 0;
	for (i = 0; i < len; i++) {
		if (f->state == TERM__G_TEXT && f->utf8_need == 0) {
			/* The common case: ASCII text and controls, which
			 * change nothing here but the count of marks and
			 * the set GL invokes. */
			e = text_scan(f, p, i, len, &k, &end);
			memcpy(o + n, p + i, e - i);
			n += e - i;
			for (; f->marks > 0 && i < e; i++)
				if (p[i] >= 0x20 && p[i] != 0x7f)
					f->marks = 0;	/* a character */
			if (e < k) {
				/* A run of text for the fast path: its
				 * first byte passed, the rest the
				 * caller's. */
				f->fast = end - e;
				*lenp = e;
				return (n);
			}
			if ((i = k) == len)
				break;
		} else if (f->state == TERM__G_TEXT &&
		    (p[i] < 0x20 || p[i] == 0x7f))
			n -= u8_cut(f);
		was = f->state;
		switch (filter_step(f, p[i])) {
		case 2:
			o[n++] = 0x18;	/* CAN for the string's end */
			tail_track(f, was, 0x18);
			continue;
		case 1:
			break;
		default:
			n -= f->drop;	/* a mark's first bytes */
			f->drop = 0;
			if (f->state == TERM__G_TEXT && f->utf8_need == 0) {
				f->tail_len = 0;	/* REP, or a mark */
				f->tail_lost = 0;
			}
			if (!f->rep)
				continue;
			*lenp = i + 1;
			return (n);	/* in text: nothing to hold */
		}
		o[n++] = p[i];
		tail_track(f, was, p[i]);
		if (f->u8_len > sizeof(f->hold))
			n -= u8_cut(f);	/* FE, FF: no character */
	}
	if (f->state == TERM__G_STR_ESC) {
		/* The ESC was the last byte passed: it waits for its \ . */
		f->hold[0] = 0x1b;
		f->hold_len = 1;
		n--;
	} else if (f->state == TERM__G_TEXT && f->utf8_need > 0) {
		/* The open character, the last bytes passed. */
		f->hold_len = f->u8_len;
		memcpy(f->hold, o + n - f->hold_len, f->hold_len);
		n -= f->hold_len;
	}
	return (n);
}

/* Returns 1 if libvterm puts printable ASCII as itself, in place. */
int
term__filter_text_plain(const struct term__filter *f)
{
	return (!(f->vt.g_odd >> f->vt.gl & 1) && !f->vt.insert &&
	    !f->vt.origin);
}

/* Returns 1 if the filter (and libvterm with it) is between sequences
 * and characters, with nothing held back. */
int
term__filter_idle(const struct term__filter *f)
{
	return (f->state == TERM__G_TEXT && f->utf8_need == 0 &&
	    f->hold_len == 0);
}
