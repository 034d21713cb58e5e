/*
 * How --format output is spelt, byte for byte as docker's Go prints it:
 * values as fmt's %v, JSON as encoding/json (compact, Go's escapes,
 * sorted keys for a map), strings as strconv.Quote, times as
 * time.Time.String, and the tabwriter that lays out `table` output.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format-int.h"

/* Orders two strings through pointers to them, for qsort. */
int
fmt__strpcmp(const char *const *a, const char *const *b)
{
	return (strcmp(*a, *b));
}

/*
 * A float as Go writes it: the shortest digits that read back, then
 * fixed notation unless the exponent is below lo or at least hi; Go's
 * exponent has a sign and at least two digits in fmt, one in JSON.
 */
static void
go_float(struct cli__buf *b, double x, int lo, int hi, int json)
{
	char	tmp[64], digits[32];
	int	prec, exp, nd, i;

	if (isnan(x) || isinf(x)) {
		cli__buf_str(b, isnan(x) ? "NaN" : x > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (x == 0) {
		cli__buf_str(b, signbit(x) && !json ? "-0" : "0");
		return;
	}
	for (prec = 1; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, x);
		if (strtod(tmp, NULL) == x)
			break;
	}
	snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, x);
	nd = 0;
	for (i = x < 0 ? 1 : 0; tmp[i] != 'e'; i++) {
		if (tmp[i] != '.')
			digits[nd++] = tmp[i];
	}
	digits[nd] = '\0';
	exp = atoi(tmp + i + 1);
	if (x < 0)
		cli__buf_add(b, "-", 1);
	if (exp < lo || exp >= hi) {
		cli__buf_add(b, digits, 1);
		if (nd > 1) {
			cli__buf_add(b, ".", 1);
			cli__buf_add(b, digits + 1, (size_t)nd - 1);
		}
		cli__buf_printf(b, json ? "e%c%d" : "e%c%02d",
		    exp < 0 ? '-' : '+', abs(exp));
		return;
	}
	if (exp < 0) {
		cli__buf_add(b, "0.", 2);
		cli__buf_rep(b, '0', (size_t)(-exp - 1));
		cli__buf_add(b, digits, (size_t)nd);
		return;
	}
	if (nd <= exp + 1) {
		cli__buf_add(b, digits, (size_t)nd);
		cli__buf_rep(b, '0', (size_t)(exp + 1 - nd));
		return;
	}
	cli__buf_add(b, digits, (size_t)exp + 1);
	cli__buf_add(b, ".", 1);
	cli__buf_add(b, digits + exp + 1, (size_t)(nd - exp - 1));
}

/* An object's keys, sorted (caller frees the array). */
static const char **
sorted_keys(const json_t *o, size_t *n)
{
	const char	**keys, *k;
	json_t		*v;

	*n = 0;
	keys = calloc(json_object_size(o) + 1, sizeof(*keys));
	if (keys == NULL)
		return (NULL);
	json_object_foreach((json_t *)o, k, v)
		keys[(*n)++] = k;
	qsort(keys, *n, sizeof(*keys), (int (*)(const void *,
	    const void *))fmt__strpcmp);
	return (keys);
}

/* Appends v as Go's fmt prints it with %v. */
void
cli_fmt_value(struct cli__buf *b, const json_t *v)
{
	const char	**keys;
	size_t		  i, n;

	switch (json_typeof(v)) {
	case JSON_STRING:
		cli__buf_add(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		cli__buf_printf(b, "%lld", (long long)json_integer_value(v));
		break;
	case JSON_REAL:
		go_float(b, json_real_value(v), -4, 6, 0);
		break;
	case JSON_TRUE:
		cli__buf_str(b, "true");
		break;
	case JSON_FALSE:
		cli__buf_str(b, "false");
		break;
	case JSON_ARRAY:
		cli__buf_add(b, "[", 1);
		for (i = 0; i < json_array_size(v); i++) {
			if (i > 0)
				cli__buf_add(b, " ", 1);
			cli_fmt_value(b, json_array_get(v, i));
		}
		cli__buf_add(b, "]", 1);
		break;
	case JSON_OBJECT:
		keys = sorted_keys(v, &n);
		if (keys == NULL) {
			b->err = -ENOMEM;
			break;
		}
		cli__buf_str(b, "map[");
		for (i = 0; i < n; i++) {
			cli__buf_printf(b, "%s%s:", i > 0 ? " " : "", keys[i]);
			cli_fmt_value(b, json_object_get(v, keys[i]));
		}
		cli__buf_add(b, "]", 1);
		free(keys);
		break;
	default:
		cli__buf_str(b, "<nil>");
		break;
	}
}

/* Appends s as a JSON string with Go's escapes. */
static void
json_str(struct cli__buf *b, const char *s, size_t len, int html)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 c;
	uint32_t		 cp;
	size_t			 i, n;

	cli__buf_add(b, "\"", 1);
	for (i = 0; i < len; i += n) {
		c = (unsigned char)s[i];
		n = 1;
		if (c >= 0x80) {
			n = cli__utf8(s + i, len - i, &cp);
			if (n == 0) {
				cli__buf_str(b, "\\ufffd");
				n = 1;
			} else if (cp == 0x2028 || cp == 0x2029)
				cli__buf_printf(b, "\\u%04x", (unsigned)cp);
			else
				cli__buf_add(b, s + i, n);
			continue;
		}
		if (c == '"' || c == '\\') {
			cli__buf_add(b, "\\", 1);
			cli__buf_add(b, s + i, 1);
		} else if (c == '\n')
			cli__buf_str(b, "\\n");
		else if (c == '\r')
			cli__buf_str(b, "\\r");
		else if (c == '\t')
			cli__buf_str(b, "\\t");
		else if (c == '\b')
			cli__buf_str(b, "\\b");
		else if (c == '\f')
			cli__buf_str(b, "\\f");
		else if (c < 0x20 || (html && (c == '<' || c == '>' ||
		    c == '&'))) {
			cli__buf_str(b, "\\u00");
			cli__buf_add(b, &hex[c >> 4], 1);
			cli__buf_add(b, &hex[c & 0xf], 1);
		} else
			cli__buf_add(b, s + i, 1);
	}
	cli__buf_add(b, "\"", 1);
}

/* Appends v as Go's encoding/json writes it. */
void
cli_fmt_json(struct cli__buf *b, const json_t *v, int go_map)
{
	const char	**keys, *k;
	json_t		 *x;
	size_t		  i, n;

	switch (json_typeof(v)) {
	case JSON_STRING:
		json_str(b, json_string_value(v), json_string_length(v),
		    go_map);
		break;
	case JSON_INTEGER:
		cli__buf_printf(b, "%lld", (long long)json_integer_value(v));
		break;
	case JSON_REAL:
		go_float(b, json_real_value(v), -6, 21, 1);
		break;
	case JSON_TRUE:
		cli__buf_str(b, "true");
		break;
	case JSON_FALSE:
		cli__buf_str(b, "false");
		break;
	case JSON_ARRAY:
		cli__buf_add(b, "[", 1);
		for (i = 0; i < json_array_size(v); i++) {
			if (i > 0)
				cli__buf_add(b, ",", 1);
			cli_fmt_json(b, json_array_get(v, i), go_map);
		}
		cli__buf_add(b, "]", 1);
		break;
	case JSON_OBJECT:
		cli__buf_add(b, "{", 1);
		if (!go_map) {
			i = 0;
			json_object_foreach((json_t *)v, k, x) {
				if (i++ > 0)
					cli__buf_add(b, ",", 1);
				json_str(b, k, strlen(k), 0);
				cli__buf_add(b, ":", 1);
				cli_fmt_json(b, x, 0);
			}
		} else if ((keys = sorted_keys(v, &n)) != NULL) {
			for (i = 0; i < n; i++) {
				if (i > 0)
					cli__buf_add(b, ",", 1);
				json_str(b, keys[i], strlen(keys[i]), 1);
				cli__buf_add(b, ":", 1);
				cli_fmt_json(b, json_object_get(v, keys[i]), 1);
			}
			free(keys);
		} else
			b->err = -ENOMEM;
		cli__buf_add(b, "}", 1);
		break;
	default:
		cli__buf_str(b, "null");
		break;
	}
}

/* Appends s quoted as Go's strconv.Quote does. */
void
cli_fmt_quote(struct cli__buf *b, const char *s)
{
	static const char	 esc_in[] = "\a\b\f\n\r\t\v";
	static const char	 esc_out[] = "abfnrtv";
	const char		*e;
	unsigned char		 c;
	uint32_t		 cp;
	size_t			 i, n, len = strlen(s);

	cli__buf_add(b, "\"", 1);
	for (i = 0; i < len; i += n) {
		c = (unsigned char)s[i];
		n = 1;
		if (c >= 0x80) {
			n = cli__utf8(s + i, len - i, &cp);
			if (n == 0) {
				cli__buf_printf(b, "\\x%02x", c);
				n = 1;
			} else if (cp < 0xa0 || cp == 0xad || cp == 0x2028 ||
			    cp == 0x2029 || cp == 0xfeff)
				cli__buf_printf(b, cp < 0x10000 ? "\\u%04x" :
				    "\\U%08x", (unsigned)cp);
			else
				cli__buf_add(b, s + i, n);
			continue;
		}
		if (c == '"' || c == '\\') {
			cli__buf_add(b, "\\", 1);
			cli__buf_add(b, s + i, 1);
		} else if (c >= 0x20 && c < 0x7f)
			cli__buf_add(b, s + i, 1);
		else if (c != 0 && (e = strchr(esc_in, c)) != NULL)
			cli__buf_printf(b, "\\%c", esc_out[e - esc_in]);
		else
			cli__buf_printf(b, "\\x%02x", c);
	}
	cli__buf_add(b, "\"", 1);
}

/* Go's time.Time.String in local time, nanoseconds only when set. */
void
cli_fmt_time(struct cli__buf *b, int64_t unix_secs, long nsec)
{
	struct tm	tm;
	time_t		t = (time_t)unix_secs;
	char		date[64], zone[64], frac[16];
	int		n;

	if (localtime_r(&t, &tm) == NULL) {
		cli__buf_str(b, "?");
		return;
	}
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z %Z", &tm);
	cli__buf_str(b, date);
	if (nsec > 0 && nsec < 1000000000L) {
		n = snprintf(frac, sizeof(frac), ".%09ld", nsec);
		while (n > 1 && frac[n - 1] == '0')
			frac[--n] = '\0';
		cli__buf_str(b, frac);
	}
	cli__buf_add(b, " ", 1);
	cli__buf_str(b, zone);
}

/* One cell of the tabwriter: its text and its width in runes. */
struct tw_cell {
	const char	*p;
	size_t		 len;
	size_t		 width;
};

/* A line of cells; the last one is not in a column. */
struct tw_line {
	struct tw_cell	*cells;
	size_t		 n;
};

/* The tabwriter's state. */
struct tw {
	struct tw_line	*lines;
	size_t		 nlines;
	size_t		*widths;
	struct cli__buf	 out;
};

#define TW_MINWIDTH	10	/* as docker's tabwriter.NewWriter */
#define TW_PADDING	3

/* Runes in s[0..len), an invalid byte counting one, as Go counts. */
static size_t
runes(const char *s, size_t len)
{
	uint32_t	cp;
	size_t		i = 0, n = 0, k;

	while (i < len) {
		k = cli__utf8(s + i, len - i, &cp);
		i += k > 0 ? k : 1;
		n++;
	}
	return (n);
}

/* Writes lines [l0, l1) with the first nw column widths. */
static void
tw_write(struct tw *t, size_t l0, size_t l1, size_t nw)
{
	struct tw_line	*ln;
	size_t		 i, j;

	for (i = l0; i < l1; i++) {
		ln = &t->lines[i];
		for (j = 0; j < ln->n; j++) {
			cli__buf_add(&t->out, ln->cells[j].p,
			    ln->cells[j].len);
			if (j < nw)
				cli__buf_rep(&t->out, ' ', t->widths[j] -
				    ln->cells[j].width);
		}
		if (i + 1 < t->nlines)
			cli__buf_add(&t->out, "\n", 1);
	}
}

/* One level of Go's tabwriter format(), as an explicit stack. */
struct tw_frame {
	size_t	line0, line1, this;
};

/* Lays out every line as Go's tabwriter.format does. */
static int
tw_format(struct tw *t)
{
	struct tw_frame	*st, *f;
	size_t		 depth = 1, cap = 16, col, end, w, width;
	void		*v;

	st = calloc(cap, sizeof(*st));
	if (st == NULL)
		return (-ENOMEM);
	st[0].line1 = t->nlines;
	while (depth > 0) {
		f = &st[depth - 1];
		col = depth - 1;
		if (f->this >= f->line1) {
			tw_write(t, f->line0, f->line1, col);
			depth--;
			continue;
		}
		if (col + 1 >= t->lines[f->this].n) {
			f->this++;
			continue;
		}
		tw_write(t, f->line0, f->this, col);
		f->line0 = f->this;
		width = TW_MINWIDTH;
		for (end = f->this; end < f->line1; end++) {
			if (col + 1 >= t->lines[end].n)
				break;
			w = t->lines[end].cells[col].width + TW_PADDING;
			if (w > width)
				width = w;
		}
		t->widths[col] = width;
		if (depth == cap) {
			v = realloc(st, cap * 2 * sizeof(*st));
			if (v == NULL) {
				free(st);
				return (-ENOMEM);
			}
			st = v;
			cap *= 2;
			f = &st[depth - 1];
		}
		st[depth].line0 = f->line0;
		st[depth].line1 = end;
		st[depth].this = f->line0;
		f->line0 = end;
		f->this = end + 1;
		depth++;
	}
	free(st);
	return (0);
}

/* Lays out text as Go's tabwriter with docker's settings. */
char *
cli_tabwrite(const char *text, size_t len, size_t *outlen)
{
	struct tw	 t;
	struct tw_line	*ln;
	size_t		 i, start = 0, maxcells = 1, nl = 1;
	void		*v;
	char		*res = NULL;

	memset(&t, 0, sizeof(t));
	for (i = 0; i < len; i++)
		nl += text[i] == '\n';
	t.lines = calloc(nl, sizeof(*t.lines));
	if (t.lines == NULL)
		return (NULL);
	t.nlines = 1;
	for (i = 0; i <= len; i++) {
		if (i < len && text[i] != '\t' && text[i] != '\n')
			continue;
		ln = &t.lines[t.nlines - 1];
		if (i < len || i > start) {
			v = realloc(ln->cells, (ln->n + 1) *
			    sizeof(*ln->cells));
			if (v == NULL)
				goto out;
			ln->cells = v;
			ln->cells[ln->n].p = text + start;
			ln->cells[ln->n].len = i - start;
			ln->cells[ln->n].width = runes(text + start,
			    i - start);
			ln->n++;
			if (ln->n > maxcells)
				maxcells = ln->n;
		}
		if (i < len && text[i] == '\n')
			t.nlines++;
		start = i + 1;
	}
	t.widths = calloc(maxcells, sizeof(*t.widths));
	if (t.widths == NULL || tw_format(&t) != 0 || t.out.err != 0)
		goto out;
	cli__buf_add(&t.out, "", 0);
	if (t.out.err == 0) {
		res = t.out.p;
		*outlen = t.out.len;
		t.out.p = NULL;
	}
out:
	for (i = 0; i < t.nlines; i++)
		free(t.lines[i].cells);
	free(t.lines);
	free(t.widths);
	free(t.out.p);
	return (res);
}
