/*
 * The pure parts of logs.select: reading the engine's timestamped log
 * text into lines, the pattern they are matched against, and the JSON
 * line each one becomes on the channel. No I/O; the fuzz target and the
 * unit test drive these directly.
 *
 * Lines. With timestamps the engine writes every log message as an RFC
 * 3339 time, a space and the message (ending in '\n' unless the engine
 * cut a long message into parts). The splitter keeps one partial line
 * per stream kind, bounded: a line longer than NODE_LSEL_LINE_MAX bytes
 * is passed on in pieces of that size, each with the line's time, so a
 * peer's log never makes the node hold more than one piece per stream.
 *
 * Pattern. PCRE2 with its JIT, in UTF mode that tolerates invalid UTF-8
 * (log text is bytes); every match runs under a match limit and a depth
 * limit, so a pattern that backtracks catastrophically costs a bounded
 * amount of work per line: such a line counts as not matching and is
 * counted in `limited`. docs/PERFORMANCE.md has the measurement against
 * glibc's regex.h that chose it.
 *
 * JSON. Lines are encoded by hand (jansson would cost an object and
 * three allocations per line): control characters are escaped, and NUL
 * and bytes that are not UTF-8 become U+FFFD, so the line is valid JSON
 * that common parsers accept (many refuse \u0000) whatever the
 * container wrote. A piece of NODE_LSEL_LINE_MAX bytes encodes to at
 * most six times that plus the frame of the object, under PROTO_LINE_MAX.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <errno.h>
#include <inttypes.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"

/* Work bounds of one match (PCRE2's own units: backtracks, depth KiB). */
#define LSEL_MATCH_LIMIT	200000
#define LSEL_DEPTH_LIMIT	1000

/* A compiled --grep pattern. */
struct node_lsel_grep {
	pcre2_code		*re;
	pcre2_match_data	*md;
	pcre2_match_context	*mc;
	int			 invert;
	uint64_t		 limited;	/* lines over the work bound */
};

/* Days from 1970-01-01 to a civil date (proleptic Gregorian). */
static int64_t
lsel_days(int64_t y, unsigned m, unsigned d)
{
	int64_t		era;
	unsigned	yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + (int64_t)doe - 719468);
}

/* Reads n decimal digits at s into *v; -EINVAL if one is not a digit. */
static int
lsel_num(const char *s, size_t n, unsigned *v)
{
	size_t	i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (-EINVAL);
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return (0);
}

/* Parses an RFC 3339 time (the engine's log timestamps); see node.h. */
int
node_lsel_time(const char *s, size_t len, int64_t *ns)
{
	unsigned	y, mo, d, h, mi, se, oh, om, frac = 0;
	size_t		i = 19, digits = 0;
	int64_t		t, off = 0;

	if (len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' &&
	    s[10] != 't') || s[13] != ':' || s[16] != ':')
		return (-EINVAL);
	if (lsel_num(s, 4, &y) != 0 || lsel_num(s + 5, 2, &mo) != 0 ||
	    lsel_num(s + 8, 2, &d) != 0 || lsel_num(s + 11, 2, &h) != 0 ||
	    lsel_num(s + 14, 2, &mi) != 0 || lsel_num(s + 17, 2, &se) != 0)
		return (-EINVAL);
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    se > 60)
		return (-EINVAL);
	if (s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			if (digits < 9) {
				frac = frac * 10 + (unsigned)(s[i] - '0');
				digits++;
			}
		}
		if (digits == 0)
			return (-EINVAL);
		for (; digits < 9; digits++)
			frac *= 10;
	}
	if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i + 6 <= len && (s[i] == '+' || s[i] == '-') &&
	    s[i + 3] == ':') {
		if (lsel_num(s + i + 1, 2, &oh) != 0 ||
		    lsel_num(s + i + 4, 2, &om) != 0 || oh > 23 || om > 59)
			return (-EINVAL);
		off = ((int64_t)oh * 60 + om) * 60;
		if (s[i] == '-')
			off = -off;
		i += 6;
	} else
		return (-EINVAL);
	if (i != len)
		return (-EINVAL);
	t = lsel_days(y, mo, d) * 86400 + (int64_t)h * 3600 + mi * 60 + se -
	    off;
	*ns = t * 1000000000LL + frac;
	return (0);
}

/* Sets up a splitter for one stream kind; last_t starts the times. */
void
node_lsel_split_init(struct node_lsel_split *sp, int64_t last_t)
{
	memset(sp, 0, sizeof(*sp));
	sp->t = last_t;
}

/* Hands the buffered line (or a piece of it) to cb. */
static int
lsel_split_emit(struct node_lsel_split *sp, int complete,
    node_lsel_line_cb *cb, void *arg)
{
	const char	*p = sp->buf, *sep;
	size_t		 l = sp->len, n;
	int64_t		 t;
	int		 rc;

	if (complete)
		l--;	/* the '\n' */
	if (!sp->have_t) {
		n = l < NODE_LSEL_TS_MAX ? l : NODE_LSEL_TS_MAX;
		sep = memchr(p, ' ', n);
		if (sep != NULL && node_lsel_time(p, (size_t)(sep - p),
		    &t) == 0) {
			sp->t = t;
			l -= (size_t)(sep - p) + 1;
			p = sep + 1;
		} else
			sp->untimed++;
		sp->have_t = 1;
	}
	if (complete && l > 0 && p[l - 1] == '\r')
		l--;	/* a TTY's line end */
	rc = cb(arg, sp->t, p, l);
	sp->len = 0;
	if (complete)
		sp->have_t = 0;
	return (rc);
}

/* Splits engine log text into lines for cb; see node.h. */
int
node_lsel_split_feed(struct node_lsel_split *sp, const char *buf, size_t len,
    node_lsel_line_cb *cb, void *arg)
{
	const char	*nl;
	size_t		 n, take, room;
	int		 rc;

	while (len > 0) {
		room = sizeof(sp->buf) - sp->len;
		nl = memchr(buf, '\n', len);
		n = nl != NULL ? (size_t)(nl - buf) + 1 : len;
		take = n < room ? n : room;
		memcpy(sp->buf + sp->len, buf, take);
		sp->len += take;
		buf += take;
		len -= take;
		rc = 0;
		if (take == n && nl != NULL)
			rc = lsel_split_emit(sp, 1, cb, arg);
		else if (sp->len == sizeof(sp->buf))
			rc = lsel_split_emit(sp, 0, cb, arg);
		if (rc != 0)
			return (rc);
	}
	return (0);
}

/* At the stream's end: a last line without '\n', if any. */
int
node_lsel_split_finish(struct node_lsel_split *sp, node_lsel_line_cb *cb,
    void *arg)
{
	if (sp->len == 0)
		return (0);
	return (lsel_split_emit(sp, 0, cb, arg));
}

/* Compiles a pattern; see node.h. */
int
node_lsel_grep_new(const char *pattern, int icase, int invert,
    struct node_lsel_grep **gp, char **cause)
{
	struct node_lsel_grep	*g;
	PCRE2_UCHAR		 msg[256];
	PCRE2_SIZE		 off;
	uint32_t		 opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
	int			 ec;

	*gp = NULL;
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return (-ENOMEM);
	if (icase)
		opts |= PCRE2_CASELESS;
	g->invert = invert;
	g->re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	    opts, &ec, &off, NULL);
	if (g->re == NULL) {
		(void)pcre2_get_error_message(ec, msg, sizeof(msg));
		if (cause != NULL && asprintf(cause, "the pattern does not "
		    "compile at position %zu (byte %zu of \"%s\"): %s",
		    (size_t)off + 1, (size_t)off + 1, pattern,
		    (char *)msg) < 0)
			*cause = NULL;
		free(g);
		return (-EINVAL);
	}
	(void)pcre2_jit_compile(g->re, PCRE2_JIT_COMPLETE);	/* or interp */
	g->md = pcre2_match_data_create(1, NULL);
	g->mc = pcre2_match_context_create(NULL);
	if (g->md == NULL || g->mc == NULL) {
		node_lsel_grep_free(g);
		return (-ENOMEM);
	}
	(void)pcre2_set_match_limit(g->mc, LSEL_MATCH_LIMIT);
	(void)pcre2_set_depth_limit(g->mc, LSEL_DEPTH_LIMIT);
	*gp = g;
	return (0);
}

/* Frees a pattern (NULL is fine). */
void
node_lsel_grep_free(struct node_lsel_grep *g)
{
	if (g == NULL)
		return;
	pcre2_match_data_free(g->md);
	pcre2_match_context_free(g->mc);
	pcre2_code_free(g->re);
	free(g);
}

/* Whether a line is selected (-v applied); see node.h. */
int
node_lsel_grep_match(struct node_lsel_grep *g, const char *line, size_t len)
{
	int	rc;

	rc = pcre2_match(g->re, (PCRE2_SPTR)line, len, 0, 0, g->md, g->mc);
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_JIT_STACKLIMIT) {
		g->limited++;
		return (0);
	}
	return ((rc >= 0) != (g->invert != 0));
}

/* Lines that hit the work bound so far. */
uint64_t
node_lsel_grep_limited(const struct node_lsel_grep *g)
{
	return (g != NULL ? g->limited : 0);
}

/*
 * The length of a valid UTF-8 sequence at s (at most n bytes), or 0
 * when it is not one (overlong forms, surrogates and values past
 * U+10FFFF included).
 */
static size_t
lsel_utf8(const unsigned char *s, size_t n)
{
	unsigned	c = s[0];
	size_t		len, i;
	uint32_t	cp;

	if (c < 0x80)
		return (1);
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else
		return (0);
	if (n < len)
		return (0);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return (0);
	return (len);
}

/* Appends a JSON string (quotes included) of s to out; see node.h. */
size_t
node_lsel_json_str(char *out, const char *s, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, o = 0, n;

	out[o++] = '"';
	while (i < len) {
		if (p[i] >= 0x20 && p[i] < 0x80 && p[i] != '"' &&
		    p[i] != '\\') {
			out[o++] = (char)p[i++];
			continue;
		}
		if (p[i] == '"' || p[i] == '\\') {
			out[o++] = '\\';
			out[o++] = (char)p[i++];
			continue;
		}
		if (p[i] < 0x20 && p[i] != 0) {
			out[o++] = '\\';
			switch (p[i]) {
			case '\n':
				out[o++] = 'n';
				break;
			case '\t':
				out[o++] = 't';
				break;
			case '\r':
				out[o++] = 'r';
				break;
			default:
				out[o++] = 'u';
				out[o++] = '0';
				out[o++] = '0';
				out[o++] = hex[p[i] >> 4];
				out[o++] = hex[p[i] & 15];
			}
			i++;
			continue;
		}
		n = p[i] == 0 ? 0 : lsel_utf8(p + i, len - i);
		if (n == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);	/* U+FFFD */
			o += 3;
			i++;
			continue;
		}
		memcpy(out + o, p + i, n);
		o += n;
		i += n;
	}
	out[o++] = '"';
	return (o);
}

/* Encodes one log line as a JSON line; see node.h. */
size_t
node_lsel_encode(char *out, const struct node_lsel_rec *r, const char *ctr,
    size_t ctrlen)
{
	size_t	o;

	o = (size_t)sprintf(out, "{\"t\":%" PRId64 ",\"c\":", r->t);
	o += node_lsel_json_str(out + o, ctr, ctrlen);
	o += (size_t)sprintf(out + o, ",\"s\":\"%s\"",
	    r->kind == DK_STREAM_STDERR ? "stderr" : "stdout");
	if (r->ctx)
		o += (size_t)sprintf(out + o, ",\"x\":1");
	memcpy(out + o, ",\"l\":", 5);
	o += 5;
	o += node_lsel_json_str(out + o, r->line, r->len);
	out[o++] = '}';
	out[o++] = '\n';
	return (o);
}
