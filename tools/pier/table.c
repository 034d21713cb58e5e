/*
 * Column tables in the docker CLI's look, and the same rows as JSON.
 *
 * docker prints its lists through Go's tabwriter(minwidth 10, padding 3):
 * a header row in capitals, each column as wide as its widest cell plus
 * three spaces (ten at least), left-aligned, the last column not padded.
 * We do the same, but measure in display columns (a CJK character or an
 * emoji takes two, a combining mark none), so names in any script line
 * up. A column may be limited to a width and cut with "…" as docker cuts
 * the command of `docker ps`; --no-trunc lifts the limits.
 *
 * Cells are sanitized when added: they come from nodes, and a control
 * character in a container name must not reach the terminal as one.
 * The same rows can be given as JSON objects, printed for --json as an
 * array with one object per line, keys in the order the command set.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli-out.h"

/* A table being filled. */
struct cli_table {
	size_t		 ncols;
	char		**headers;	/* ncols, in capitals */
	size_t		*max;		/* ncols width limits, 0: none */
	char		**cells;	/* nrows * ncols, sanitized */
	size_t		 nrows;
	size_t		 cap;		/* rows of room in cells */
	json_t		*json;		/* array of row objects */
};

/* A range of code points with one display width. */
struct width_range {
	uint32_t	lo;
	uint32_t	hi;
};

/* Combining marks and invisible format characters: width 0. */
static const struct width_range zero_width[] = {
	{ 0x0300, 0x036f }, { 0x0483, 0x0489 }, { 0x0591, 0x05bd },
	{ 0x05bf, 0x05bf }, { 0x05c1, 0x05c2 }, { 0x05c4, 0x05c5 },
	{ 0x05c7, 0x05c7 }, { 0x0610, 0x061a }, { 0x064b, 0x065f },
	{ 0x0670, 0x0670 }, { 0x06d6, 0x06dc }, { 0x06df, 0x06e4 },
	{ 0x06e7, 0x06e8 }, { 0x06ea, 0x06ed }, { 0x0900, 0x0902 },
	{ 0x093a, 0x093a }, { 0x093c, 0x093c }, { 0x0941, 0x0948 },
	{ 0x094d, 0x094d }, { 0x0951, 0x0957 }, { 0x0962, 0x0963 },
	{ 0x0e31, 0x0e31 }, { 0x0e34, 0x0e3a }, { 0x0e47, 0x0e4e },
	{ 0x1ab0, 0x1aff }, { 0x1dc0, 0x1dff }, { 0x200b, 0x200f },
	{ 0x202a, 0x202e }, { 0x2060, 0x2064 }, { 0x2066, 0x206f },
	{ 0x20d0, 0x20ff }, { 0xfe00, 0xfe0f }, { 0xfe20, 0xfe2f },
	{ 0xfeff, 0xfeff }, { 0xe0001, 0xe0001 }, { 0xe0020, 0xe007f },
	{ 0xe0100, 0xe01ef },
};

/* East Asian wide and fullwidth characters, emoji: width 2. */
static const struct width_range double_width[] = {
	{ 0x1100, 0x115f }, { 0x231a, 0x231b }, { 0x2329, 0x232a },
	{ 0x23e9, 0x23ec }, { 0x23f0, 0x23f0 }, { 0x23f3, 0x23f3 },
	{ 0x25fd, 0x25fe }, { 0x2614, 0x2615 }, { 0x2648, 0x2653 },
	{ 0x267f, 0x267f }, { 0x2693, 0x2693 }, { 0x26a1, 0x26a1 },
	{ 0x26aa, 0x26ab }, { 0x26bd, 0x26be }, { 0x26c4, 0x26c5 },
	{ 0x26ce, 0x26ce }, { 0x26d4, 0x26d4 }, { 0x26ea, 0x26ea },
	{ 0x26f2, 0x26f3 }, { 0x26f5, 0x26f5 }, { 0x26fa, 0x26fa },
	{ 0x26fd, 0x26fd }, { 0x2705, 0x2705 }, { 0x270a, 0x270b },
	{ 0x2728, 0x2728 }, { 0x274c, 0x274c }, { 0x274e, 0x274e },
	{ 0x2753, 0x2755 }, { 0x2757, 0x2757 }, { 0x2795, 0x2797 },
	{ 0x27b0, 0x27b0 }, { 0x27bf, 0x27bf }, { 0x2b1b, 0x2b1c },
	{ 0x2b50, 0x2b50 }, { 0x2b55, 0x2b55 }, { 0x2e80, 0x303e },
	{ 0x3041, 0x33ff }, { 0x3400, 0x4dbf }, { 0x4e00, 0x9fff },
	{ 0xa000, 0xa4cf }, { 0xa960, 0xa97f }, { 0xac00, 0xd7a3 },
	{ 0xf900, 0xfaff }, { 0xfe10, 0xfe19 }, { 0xfe30, 0xfe6f },
	{ 0xff00, 0xff60 }, { 0xffe0, 0xffe6 }, { 0x16fe0, 0x16fe4 },
	{ 0x17000, 0x18aff }, { 0x1b000, 0x1b2ff }, { 0x1f004, 0x1f004 },
	{ 0x1f0cf, 0x1f0cf }, { 0x1f18e, 0x1f18e }, { 0x1f191, 0x1f19a },
	{ 0x1f200, 0x1f202 }, { 0x1f210, 0x1f23b }, { 0x1f240, 0x1f248 },
	{ 0x1f250, 0x1f251 }, { 0x1f260, 0x1f265 }, { 0x1f300, 0x1f64f },
	{ 0x1f680, 0x1f6ff }, { 0x1f7e0, 0x1f7eb }, { 0x1f90c, 0x1f9ff },
	{ 0x1fa70, 0x1faff }, { 0x20000, 0x2fffd }, { 0x30000, 0x3fffd },
};

/* Tells whether cp is in one of n sorted ranges. */
static int
in_ranges(uint32_t cp, const struct width_range *r, size_t n)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cp < r[mid].lo)
			hi = mid;
		else if (cp > r[mid].hi)
			lo = mid + 1;
		else
			return (1);
	}
	return (0);
}

/* Display width of one code point. */
int
cli_char_width(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
		return (0);
	if (cp < 0x300)
		return (1);
	if (in_ranges(cp, zero_width,
	    sizeof(zero_width) / sizeof(zero_width[0])))
		return (0);
	if (in_ranges(cp, double_width,
	    sizeof(double_width) / sizeof(double_width[0])))
		return (2);
	return (1);
}

/* Decodes one UTF-8 character (shortest form, no surrogates). */
size_t
cli__utf8(const char *s, size_t n, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len, i;
	uint32_t c, min;

	if (n == 0)
		return (0);
	if (u[0] < 0x80) {
		*cp = u[0];
		return (1);
	}
	if (u[0] >= 0xc2 && u[0] <= 0xdf) {
		len = 2;
		c = u[0] & 0x1f;
		min = 0x80;
	} else if ((u[0] & 0xf0) == 0xe0) {
		len = 3;
		c = u[0] & 0x0f;
		min = 0x800;
	} else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
		len = 4;
		c = u[0] & 0x07;
		min = 0x10000;
	} else
		return (0);
	if (n < len)
		return (0);
	for (i = 1; i < len; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return (0);
		c = c << 6 | (u[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return (0);
	*cp = c;
	return (len);
}

/* Display width of UTF-8 text; an undecodable byte counts 1. */
size_t
cli_str_width(const char *s)
{
	size_t n = strlen(s), i = 0, k, w = 0;
	uint32_t cp;

	while (i < n) {
		if ((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f) {
			w++;		/* printable ASCII, the common case */
			i++;
			continue;
		}
		k = cli__utf8(s + i, n - i, &cp);
		if (k == 0) {
			w++;
			i++;
			continue;
		}
		w += (size_t)cli_char_width(cp);
		i += k;
	}
	return (w);
}

/* Copies s cut to width display columns, ending in an ellipsis if cut. */
char *
cli_ellipsis(const char *s, size_t width)
{
	size_t n = strlen(s), i = 0, k, w = 0, cut = 0, cw;
	uint32_t cp;
	char *r;

	if (cli_str_width(s) <= width)
		return (strdup(s));
	if (width == 0)
		return (strdup(""));
	/* Keep what fits in width - 1 columns, then "…". */
	while (i < n) {
		k = cli__utf8(s + i, n - i, &cp);
		cw = k == 0 ? 1 : (size_t)cli_char_width(cp);
		if (k == 0)
			k = 1;
		if (w + cw > width - 1)
			break;
		w += cw;
		i += k;
		cut = i;
	}
	r = malloc(cut + sizeof("…"));
	if (r == NULL)
		return (NULL);
	memcpy(r, s, cut);
	memcpy(r + cut, "…", sizeof("…"));
	return (r);
}

/* Copies s for a terminal, with control and broken bytes replaced. */
char *
cli_sanitize(const char *s, size_t max)
{
	size_t n = strnlen(s, max), i = 0, k, o = 0;
	uint32_t cp;
	char *r;

	r = malloc(n + 1);
	if (r == NULL)
		return (NULL);
	while (i < n) {
		k = cli__utf8(s + i, n - i, &cp);
		if (k == 0) {
			r[o++] = '?';
			i++;
			continue;
		}
		if (cp == '\t' || cp == '\n' || cp == '\r')
			r[o++] = ' ';
		else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) ||
		    (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069))
			r[o++] = '?';	/* controls, bidi overrides */
		else {
			memcpy(r + o, s + i, k);
			o += k;
		}
		i += k;
	}
	r[o] = '\0';
	return (r);
}

/* Formats a message into *cause; returns code. */
int
cli__error(char **cause, int code, const char *fmt, ...)
{
	va_list ap;

	if (cause == NULL)
		return (code);
	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) < 0)
		*cause = NULL;
	va_end(ap);
	return (code);
}

/* Makes room for n more bytes and a NUL; sets err when out of memory. */
static int
buf_grow(struct cli__buf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->err != 0)
		return (-1);
	if (b->len + n + 1 <= b->cap)
		return (0);
	cap = b->cap == 0 ? 256 : b->cap;
	while (cap < b->len + n + 1)
		cap *= 2;
	p = realloc(b->p, cap);
	if (p == NULL) {
		b->err = ENOMEM;
		return (-1);
	}
	b->p = p;
	b->cap = cap;
	return (0);
}

/* Appends n bytes. */
void
cli__buf_add(struct cli__buf *b, const char *s, size_t n)
{
	if (buf_grow(b, n) != 0)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* Appends a string. */
void
cli__buf_str(struct cli__buf *b, const char *s)
{
	cli__buf_add(b, s, strlen(s));
}

/* Appends n copies of c. */
void
cli__buf_rep(struct cli__buf *b, int c, size_t n)
{
	if (buf_grow(b, n) != 0)
		return;
	memset(b->p + b->len, c, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* Appends formatted text. */
void
cli__buf_printf(struct cli__buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = ENOMEM;
		return;
	}
	cli__buf_add(b, s, (size_t)n);
	free(s);
}

/* Makes a table with the given headers. */
struct cli_table *
cli_table_new(const char *const *headers, size_t ncols)
{
	struct cli_table *t;
	size_t i;
	char *p;

	if (ncols == 0 || ncols > CLI_TABLE_MAX_COLS)
		return (NULL);
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return (NULL);
	t->ncols = ncols;
	t->headers = calloc(ncols, sizeof(*t->headers));
	t->max = calloc(ncols, sizeof(*t->max));
	t->json = json_array();
	if (t->headers == NULL || t->max == NULL || t->json == NULL)
		goto fail;
	for (i = 0; i < ncols; i++) {
		t->headers[i] = cli_sanitize(headers[i] ? headers[i] : "",
		    CLI_TABLE_MAX_CELL);
		if (t->headers[i] == NULL)
			goto fail;
		for (p = t->headers[i]; *p != '\0'; p++) {
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
		}
	}
	return (t);
fail:
	cli_table_free(t);
	return (NULL);
}

/* Frees a table. */
void
cli_table_free(struct cli_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; t->headers != NULL && i < t->ncols; i++)
		free(t->headers[i]);
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->headers);
	free(t->max);
	free(t->cells);
	json_decref(t->json);
	free(t);
}

/* Limits a column's width. */
void
cli_table_max_width(struct cli_table *t, size_t col, size_t width)
{
	if (col < t->ncols)
		t->max[col] = width;
}

/* Appends a row of cells. */
int
cli_table_add(struct cli_table *t, const char *const *cells)
{
	size_t cap, i, base;
	char **p;

	if (t->nrows == t->cap) {
		cap = t->cap == 0 ? 16 : t->cap * 2;
		p = reallocarray(t->cells, cap * t->ncols, sizeof(*p));
		if (p == NULL)
			return (-ENOMEM);
		t->cells = p;
		t->cap = cap;
	}
	base = t->nrows * t->ncols;
	for (i = 0; i < t->ncols; i++) {
		t->cells[base + i] = cli_sanitize(cells[i] ? cells[i] : "",
		    CLI_TABLE_MAX_CELL);
		if (t->cells[base + i] == NULL) {
			while (i-- > 0)
				free(t->cells[base + i]);
			return (-ENOMEM);
		}
	}
	t->nrows++;
	return (0);
}

/* Appends a JSON row, taking the reference. */
int
cli_table_add_json(struct cli_table *t, json_t *row)
{
	if (row == NULL)
		return (-EINVAL);
	if (json_array_append_new(t->json, row) != 0)
		return (-ENOMEM);
	return (0);
}

/* Number of text rows. */
size_t
cli_table_rows(const struct cli_table *t)
{
	return (t->nrows);
}

/* Writes the JSON array of rows into b. */
static void
render_json(struct cli__buf *b, const json_t *rows)
{
	size_t i, n;
	char *s;

	n = json_array_size(rows);
	if (n == 0) {
		cli__buf_str(b, "[]\n");
		return;
	}
	cli__buf_str(b, "[\n");
	for (i = 0; i < n; i++) {
		s = json_dumps(json_array_get(rows, i),
		    JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
		if (s == NULL) {
			b->err = ENOMEM;
			return;
		}
		cli__buf_str(b, "  ");
		cli__buf_str(b, s);
		cli__buf_str(b, i + 1 < n ? ",\n" : "\n");
		free(s);
	}
	cli__buf_str(b, "]\n");
}

/* Writes one line of cells (of display widths cw), padded to width. */
static void
render_line(struct cli__buf *b, const struct cli_table *t, char **cells,
    const size_t *cw, const size_t *width)
{
	size_t i;

	for (i = 0; i < t->ncols; i++) {
		cli__buf_str(b, cells[i]);
		if (i + 1 == t->ncols)
			break;
		cli__buf_rep(b, ' ', width[i] - cw[i]);
	}
	cli__buf_add(b, "\n", 1);
}

/* Renders the table's text, or its JSON rows. */
char *
cli_table_render(const struct cli_table *t, unsigned flags, size_t *len)
{
	struct cli__buf b = { 0 };
	size_t width[CLI_TABLE_MAX_COLS], hw[CLI_TABLE_MAX_COLS];
	size_t i, r, w, n, *cw = NULL;
	char **shown = NULL;

	if (flags & CLI_TABLE_JSON) {
		render_json(&b, t->json);
		goto out;
	}
	/* The cells as shown (cut where a column is limited), measured. */
	n = t->nrows * t->ncols;
	shown = calloc(n + 1, sizeof(*shown));
	cw = calloc(n + 1, sizeof(*cw));
	if (shown == NULL || cw == NULL) {
		b.err = ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (t->max[i % t->ncols] != 0 &&
		    !(flags & CLI_TABLE_NO_TRUNC)) {
			shown[i] = cli_ellipsis(t->cells[i],
			    t->max[i % t->ncols]);
			if (shown[i] == NULL) {
				b.err = ENOMEM;
				goto out;
			}
		}
		cw[i] = cli_str_width(shown[i] ? shown[i] : t->cells[i]);
	}
	for (i = 0; i < t->ncols; i++) {
		hw[i] = cli_str_width(t->headers[i]);
		w = (flags & CLI_TABLE_NO_HEADER) ? 0 : hw[i];
		for (r = 0; r < t->nrows; r++) {
			if (cw[r * t->ncols + i] > w)
				w = cw[r * t->ncols + i];
		}
		w += CLI_TABLE_PADDING;
		width[i] = w < CLI_TABLE_MINWIDTH ? CLI_TABLE_MINWIDTH : w;
	}
	if (!(flags & CLI_TABLE_NO_HEADER))
		render_line(&b, t, t->headers, hw, width);
	for (r = 0; r < t->nrows; r++) {
		char *row[CLI_TABLE_MAX_COLS];

		for (i = 0; i < t->ncols; i++) {
			n = r * t->ncols + i;
			row[i] = shown[n] ? shown[n] : t->cells[n];
		}
		render_line(&b, t, row, cw + r * t->ncols, width);
	}
	if (b.p == NULL)
		cli__buf_add(&b, "", 0);
out:
	if (shown != NULL) {
		for (i = 0; i < t->nrows * t->ncols; i++)
			free(shown[i]);
		free(shown);
	}
	free(cw);
	if (b.err != 0) {
		free(b.p);
		return (NULL);
	}
	if (len != NULL)
		*len = b.len;
	return (b.p);
}

/* Writes the rendered table to fp. */
int
cli_table_print(const struct cli_table *t, FILE *fp, unsigned flags)
{
	size_t len;
	char *s;
	int rc = 0;

	s = cli_table_render(t, flags, &len);
	if (s == NULL)
		return (-ENOMEM);
	if (len > 0 && fwrite(s, 1, len, fp) != len)
		rc = -EIO;
	if (fflush(fp) != 0)
		rc = -EIO;
	free(s);
	return (rc);
}

/* Prints an array of row objects for --json. */
int
cli_json_print(FILE *fp, const json_t *rows)
{
	struct cli__buf b = { 0 };
	int rc = 0;

	if (!json_is_array(rows))
		return (-EINVAL);
	render_json(&b, rows);
	if (b.err != 0) {
		free(b.p);
		return (-ENOMEM);
	}
	if (fwrite(b.p, 1, b.len, fp) != b.len || fflush(fp) != 0)
		rc = -EIO;
	free(b.p);
	return (rc);
}
