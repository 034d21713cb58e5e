/*
 * Internals shared by the two halves of the screen model: term-screen.c
 * (the cell grid kept from libvterm's state layer) and term-snap.c (the
 * escape sequences that redraw it), with term-filter.c and term-guard.c
 * in front of libvterm. Nothing else includes this but their tests.
 */
#ifndef PIER_TERM_INT_H
#define PIER_TERM_INT_H

#include "term.h"

#define TERM__PROBE_MAX	64	/* libvterm output a probe keeps */
#define TERM__TAIL_MAX	256	/* open sequence kept for a repaint */
#define TERM__CSI_SEPS_MAX 15	/* libvterm 0.1.4 keeps 16 CSI args */
#define TERM__CSI_ARG_MAX 65535	/* largest CSI argument passed */
#define TERM__STR_MAX	4096	/* OSC or DCS bytes passed */
#define TERM__FILTER_SLACK 8	/* output room past the input's length */
#define TERM__MARKS_MAX	32	/* combining marks in a row passed */
#define TERM__FAST_MIN	16	/* shortest run of text put directly */

/* Where libvterm's parser is, as the filter follows it. */
enum term__gstate {
	TERM__G_TEXT,		/* text and controls */
	TERM__G_ESC,		/* after ESC (and intermediates) */
	TERM__G_CSI,		/* in a control sequence */
	TERM__G_STR,		/* in OSC or DCS */
	TERM__G_STR_ESC,	/* ESC in one of those: ST follows? */
};

/* What libvterm's state holds that decides how it puts printable ASCII,
 * and that 0.1.4 cannot be asked: followed by the filter from the
 * sequences it passes, erring towards "may be on". */
struct term__vtmodes {
	uint8_t			 g_odd;	/* G0-G3 not identity on ASCII */
	uint8_t			 g_set;	/* G0-G3 designated (not UTF-8) */
	uint8_t			 gl;	/* the set GL invokes: 0-3 */
	uint8_t			 origin; /* DECOM may be on */
	uint8_t			 insert; /* IRM may be on */
};

/* The filter in front of libvterm (term-filter.c): where its parser is
 * and what is under way there. */
struct term__filter {
	enum term__gstate	 state;
	int			 seps;	/* separators seen in this CSI */
	int			 phase;	/* 0 leader, 1 args, 2 inter */
	int			 plain;	/* no leader or intermediate yet */
	int			 rep;	/* stopped at a REP's final byte */
	unsigned		 arg;	/* the CSI argument under way */
	size_t			 slen;	/* bytes of this OSC or DCS */
	int			 dcs;	/* that string is a DCS */
	unsigned char		 esc_i0; /* the first intermediate after ESC */
	int			 esc_ni; /* how many (up to 2) */
	unsigned char		 csi_lead; /* this CSI's first leader */
	int			 csi_nlead; /* its leaders (up to 2) */
	int			 csi_digit; /* a digit in this argument */
	int			 csi_a0; /* its first argument, -1 none */
	unsigned		 csi_has; /* bit 0: an argument 4, 1: 6 */
	int			 utf8_need; /* continuation bytes due */
	size_t			 u8_len; /* bytes of that character */
	uint32_t		 cp;	/* its code point so far */
	int			 u8_total; /* its length, from the lead */
	int			 marks;	/* combining marks in a row */
	size_t			 drop;	/* bytes to take back */
	char			 tail[TERM__TAIL_MAX]; /* open sequence */
	size_t			 tail_len;
	int			 tail_lost; /* longer than tail[] */
	char			 hold[TERM__FILTER_SLACK]; /* for next call */
	size_t			 hold_len;
	struct term__vtmodes	 vt;	/* libvterm's modes for text */
	int			 seg_hi; /* a byte over 7F in this stretch
					  * of text of this write */
	int			 fast_on; /* stop before runs of text */
	size_t			 fast;	/* after a stop: the run's rest */
};

/* The attributes and colours of a cell or of the drawing pen. */
struct term__pen {
	VTermScreenCellAttrs	attrs;
	VTermColor		fg;
	VTermColor		bg;
};

/* One cell: up to six code points (0-terminated; (uint32_t)-1 marks the
 * right half of a wide character), its pen and DECSCA protection. */
struct term__cell {
	uint32_t		chars[VTERM_MAX_CHARS_PER_CELL];
	struct term__pen	pen;
	uint8_t			prot;
};

/* A screen buffer whose rows form a ring, so a full-screen scroll
 * moves an index instead of every cell. */
struct term__grid {
	struct term__cell	*cells;
	int			 rows;
	int			 cols;
	int			 top;	/* ring index of row 0 */
};

/* Where one encoded scrollback line lies in the byte ring. off is a
 * logical offset that only grows (mod 2^32); the ring's size is a power
 * of two, so off & (size - 1) is where the bytes start. A line never
 * wraps: one that would is put at the start of the next turn. */
struct term__sb_ent {
	uint32_t	off;
	uint32_t	len;
};

/* A growing byte buffer whose first failure sticks. */
struct term__sbuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
	int	 err;
};

struct term_screen {
	VTerm			*vt;
	VTermState		*st;
	VTermAllocatorFunctions	 alloc;	/* libvterm points here */
	size_t			 vt_bytes;
	int			 rows;
	int			 cols;
	uint64_t		 seq;

	struct term__grid	 grid[2]; /* main, alternate (lazily) */
	struct term__grid	*cur;
	struct term__grid	 pend[2]; /* new grids during a resize */
	struct term__pen	 pen;	/* what the program draws with */

	int			 altscreen;
	int			 cursor_visible;
	int			 cursor_blink;
	int			 cursor_shape;
	int			 glyph_width; /* of the last glyph put */
	int			 mouse;
	int			 reverse;
	char			*title;

	struct term__filter	 filt;	/* what libvterm's parser gets */
	int			 fast;	/* put runs of text directly */
	uint64_t		 fast_cells; /* cells put so (for tests) */

	/* The last glyph libvterm put, for the fast path (term-guard.c). */
	int			 fg_set; /* put since the guard asked */
	int			 fg_plain; /* one code point, width 1, on a
					  * line of normal width */
	int			 fg_row;
	int			 fg_col;
	uint32_t		 fg_ch;
	uint8_t			 fg_prot;

	int			 probing; /* keep libvterm's output */
	char			 probe[TERM__PROBE_MAX];
	size_t			 probe_len;

	struct term__sb_ent	*sb;	/* ring of sb_max lines */
	size_t			 sb_max;
	size_t			 sb_bytes_max;
	size_t			 sb_head; /* index of the oldest */
	size_t			 sb_count;
	size_t			 sb_bytes; /* lengths plus an entry each */
	char			*sb_buf; /* the lines' bytes, a ring */
	uint32_t		 sb_cap;  /* its size, 0 until needed */
	uint32_t		 sb_cap_max; /* power of two <= sb_bytes_max */
	uint32_t		 sb_end;  /* logical offset after the newest */
	struct term__sbuf	 sb_enc;  /* a line being encoded */
};

/* Returns row r of a grid: cols cells in a row. */
static inline struct term__cell *
term__grid_row(const struct term__grid *g, int r)
{
	int i = g->top + r;

	if (i >= g->rows)
		i -= g->rows;	/* top and r are both below rows */
	return (&g->cells[(size_t)i * g->cols]);
}

/* term-filter.c */

/* Filters *len bytes of program output into out (room for *len +
 * TERM__FILTER_SLACK bytes) for one vterm_input_write; returns how many.
 * Stops after the final byte of a REP, with f->rep set and *len the
 * bytes taken: the caller gives libvterm that byte or a CAN. With
 * f->fast_on, also stops after the first byte of a run of at least
 * TERM__FAST_MIN printable ASCII bytes met in text while the modes allow
 * the fast path, with f->fast the run's bytes after it: the caller puts
 * all but the last of them and gives the filter the rest from the last
 * on (term-guard.c). */
size_t term__filter(struct term__filter *f, const void *in, size_t *len,
    void *out);
/* Returns 1 if nothing is under way or held back. */
int term__filter_idle(const struct term__filter *f);
/* Returns 1 if libvterm puts printable ASCII as itself, in place, as far
 * as the filter can tell (no other character set in GL, no insert or
 * origin mode). */
int term__filter_text_plain(const struct term__filter *f);

/* term-marks.c */

/* Returns 1 if libvterm 0.1.4 may take cp for a combining mark. */
int term__is_mark(uint32_t cp);

/* term-guard.c */

/* Passes program output to libvterm through the guard. */
void term__guard_feed(struct term_screen *s, const unsigned char *p,
    size_t len);
/* Puts libvterm right after a resize (resets the scroll region). */
void term__guard_resized(struct term_screen *s);

/* term-snap.c */

/* Sets a pen to a fresh terminal's: no attributes, default colours. */
void term__pen_default(struct term__pen *p);
/* Appends to b the escape sequences that draw a row of cols cells as a
 * scrollback line: trailing blanks dropped, the pen reset after. */
void term__encode_row(struct term__sbuf *b, const struct term__cell *row,
    int cols);

/* Appends an SGR that sets the pen the program is drawing with now. */
void term__encode_pen(struct term_screen *s, struct term__sbuf *b);

#endif
