/*
 * The functions a --format template calls that build text: printf,
 * print and println as Go's fmt, and docker's join, split, truncate,
 * pad, title, upper and lower (format-exec.c calls them; the others,
 * which only pick or compare values, are there).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format-int.h"

#define FMT_PAD_MAX	4096		/* spaces pad adds on a side */

/* Reads a printf count (width or precision), at most 4096. */
static int
pf_count(const char **f)
{
	int	n = 0;

	while (isdigit((unsigned char)**f)) {
		if (n < 4096)
			n = n * 10 + (**f - '0');
		(*f)++;
	}
	return (n > 4096 ? 4096 : n);
}

/* Appends one printf conversion of v: verb with flags, width, prec. */
static void
pf_one(struct fmt_exec *e, struct cli__buf *b, int verb, int minus, int zero,
    int width, int prec, const json_t *v)
{
	struct cli__buf	one;

	memset(&one, 0, sizeof(one));
	if (verb == 'd' && json_is_integer(v)) {
		cli__buf_printf(b, minus ? "%-*lld" : zero ? "%0*lld" :
		    "%*lld", width, (long long)json_integer_value(v));
		return;
	}
	if ((verb == 'f' || verb == 'e' || verb == 'g') &&
	    json_is_number(v)) {
		if (prec < 0)
			prec = 6;
		if (verb == 'f')
			cli__buf_printf(b, minus ? "%-*.*f" : "%*.*f", width,
			    prec, json_number_value(v));
		else if (verb == 'e')
			cli__buf_printf(b, minus ? "%-*.*e" : "%*.*e", width,
			    prec, json_number_value(v));
		else
			cli__buf_printf(b, minus ? "%-*.*g" : "%*.*g", width,
			    prec, json_number_value(v));
		return;
	}
	if (verb == 'q' && json_is_string(v))
		cli_fmt_quote(&one, json_string_value(v));
	else
		fmt__print_value(e, &one, v);
	cli__buf_add(&one, "", 0);
	if (one.err == 0)
		cli__buf_printf(b, minus ? "%-*.*s" : "%*.*s", width,
		    prec >= 0 ? prec : (int)one.len, one.p);
	free(one.p);
}

/* printf's verbs %s %v %d %q %f %e %g %% with - 0, width, precision. */
json_t *
fmt__fn_printf(struct fmt_exec *e, json_t **v, size_t n, size_t pos)
{
	struct cli__buf	 b;
	const char	*f = fmt__want_str(e, v[0], pos);
	size_t		 k = 1;
	json_t		*r;
	int		 minus, zero, width, prec;

	if (f == NULL)
		return (NULL);
	memset(&b, 0, sizeof(b));
	cli__buf_add(&b, "", 0);
	for (; *f != '\0'; f++) {
		if (*f != '%') {
			cli__buf_add(&b, f, 1);
			continue;
		}
		f++;
		minus = zero = 0;
		for (; *f != '\0' && strchr("-+# 0", *f) != NULL; f++) {
			minus |= *f == '-';
			zero |= *f == '0';
		}
		width = pf_count(&f);
		prec = -1;
		if (*f == '.') {
			f++;
			prec = pf_count(&f);
		}
		if (*f == '\0')
			break;
		if (*f == '%')
			cli__buf_add(&b, "%", 1);
		else if (k >= n)
			cli__buf_printf(&b, "%%!%c(MISSING)", *f);
		else
			pf_one(e, &b, *f, minus, zero, width, prec, v[k++]);
	}
	r = b.err == 0 ? fmt__mkstr(b.p, b.len) : NULL;
	free(b.p);
	return (r);
}

/* print and println: Go's Sprint and Sprintln. */
json_t *
fmt__fn_print(struct fmt_exec *e, json_t **v, size_t n, int ln)
{
	struct cli__buf	 b;
	size_t		 k;
	json_t		*r;

	memset(&b, 0, sizeof(b));
	cli__buf_add(&b, "", 0);
	for (k = 0; k < n; k++) {
		if (k > 0 && (ln || (!json_is_string(v[k]) &&
		    !json_is_string(v[k - 1]))))
			cli__buf_add(&b, " ", 1);
		fmt__print_value(e, &b, v[k]);
	}
	if (ln)
		cli__buf_add(&b, "\n", 1);
	r = b.err == 0 ? fmt__mkstr(b.p, b.len) : NULL;
	free(b.p);
	return (r);
}

/* join, split, title, upper, lower, truncate, pad: string functions. */
json_t *
fmt__fn_string(struct fmt_exec *e, int fn, json_t **v, size_t n, size_t pos)
{
	struct cli__buf	 b;
	const char	*s, *sep, *hit;
	size_t		 k, len, step;
	json_t		*r;
	long long	 x, y;

	memset(&b, 0, sizeof(b));
	cli__buf_add(&b, "", 0);
	if (fn == FN_JOIN) {
		if (n != 2 || !json_is_array(v[0]) ||
		    (sep = fmt__want_str(e, v[1], pos)) == NULL) {
			free(b.p);
			return (fmt__xerr(e, pos, "%s", "join takes a list and a "
			    "separator string"));
		}
		for (k = 0; k < json_array_size(v[0]); k++) {
			if (k > 0)
				cli__buf_str(&b, sep);
			fmt__print_value(e, &b, json_array_get(v[0], k));
		}
		r = b.err == 0 ? fmt__mkstr(b.p, b.len) : NULL;
		free(b.p);
		return (r);
	}
	free(b.p);
	if ((s = fmt__want_str(e, v[0], pos)) == NULL)
		return (NULL);
	len = json_string_length(v[0]);
	switch (fn) {
	case FN_SPLIT:
		if (n != 2 || (sep = fmt__want_str(e, v[1], pos)) == NULL)
			return (fmt__xerr(e, pos, "%s", "split takes a string and "
			    "a separator"));
		r = json_array();
		while (r != NULL) {
			if (*sep == '\0') {
				if (*s == '\0')
					break;
				step = 1;
				while (((unsigned char)s[step] & 0xc0) == 0x80)
					step++;
				(void)json_array_append_new(r, fmt__mkstr(s, step));
				s += step;
				continue;
			}
			hit = strstr(s, sep);
			(void)json_array_append_new(r, fmt__mkstr(s, hit != NULL ?
			    (size_t)(hit - s) : strlen(s)));
			if (hit == NULL)
				break;
			s = hit + strlen(sep);
		}
		return (r);
	case FN_TRUNCATE:
		if (n != 2 || !json_is_integer(v[1]) ||
		    json_integer_value(v[1]) < 0)
			return (fmt__xerr(e, pos, "%s", "truncate takes a string "
			    "and a length"));
		x = json_integer_value(v[1]);
		return (fmt__mkstr(s, (size_t)x < len ? (size_t)x : len));
	case FN_PAD:
		if (n != 3 || !json_is_integer(v[1]) ||
		    !json_is_integer(v[2]) || json_integer_value(v[1]) < 0 ||
		    json_integer_value(v[2]) < 0 ||
		    json_integer_value(v[1]) > FMT_PAD_MAX ||
		    json_integer_value(v[2]) > FMT_PAD_MAX)
			return (fmt__xerr(e, pos, "pad takes a string and two "
			    "counts, at most %d", FMT_PAD_MAX));
		x = json_integer_value(v[1]);
		y = json_integer_value(v[2]);
		memset(&b, 0, sizeof(b));
		cli__buf_rep(&b, ' ', (size_t)x);
		cli__buf_add(&b, s, len);
		cli__buf_rep(&b, ' ', (size_t)y);
		r = b.err == 0 ? fmt__mkstr(b.p, b.len) : NULL;
		free(b.p);
		return (r);
	default:
		break;
	}
	if (n != 1)
		return (fmt__xerr(e, pos, "%s", "wrong number of arguments"));
	r = fmt__mkstr(s, len);
	if (r == NULL)
		return (NULL);
	/* Only ASCII changes case, as for the names docker shows. */
	for (k = 0; k < len; k++) {
		char *p = (char *)json_string_value(r) + k;

		if (fn == FN_UPPER)
			*p = (char)toupper((unsigned char)*p);
		else if (fn == FN_LOWER)
			*p = (char)tolower((unsigned char)*p);
		else if (fn == FN_TITLE && (k == 0 ||
		    !isalnum((unsigned char)s[k - 1])))
			*p = (char)toupper((unsigned char)*p);
	}
	return (r);
}

