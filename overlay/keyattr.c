/*
 * The limits an access key may carry, and how the keys file writes them:
 * an expiry time, a number of client keys it binds (a one-time key binds
 * one: the first client key that joins with it), a disabled flag, and
 * labels (K=V) for the people who hand keys out.
 *
 * In the access-keys file they follow the secret on the key's line, as
 * space-separated words, each NAME=VALUE:
 *	expires=UNIX-SECONDS disabled=UNIX-SECONDS uses=N
 *	client=FINGERPRINT (once per bound client key) label=K=V
 * A file with any of them starts "pier-access-keys 2" (keys.c), so a
 * pierd that knows only version 1 refuses the whole file instead of
 * letting in keys whose limits it cannot read; a version 2 reader
 * refuses a word it does not know for the same reason.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "overlay.h"

#define LABEL_KEY_CHARS	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
			"0123456789._/-"

/* Parses a decimal count of units; -1 if not one. */
static int64_t
parse_count(const char *s, size_t n)
{
	int64_t	v = 0;
	size_t	i;

	if (n == 0 || n > 9)
		return (-1);
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		v = v * 10 + (s[i] - '0');
	}
	return (v);
}

/* Parses an RFC 3339 time into unix seconds; -EINVAL if not one. */
static int
parse_rfc3339(const char *s, int64_t *out)
{
	struct tm	tm;
	int		y, mo, d, h, mi, sec, oh, om, used = 0, sign;
	const char	*z;
	time_t		t;

	if (sscanf(s, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &y, &mo, &d, &h,
	    &mi, &sec, &used) != 6 || used != 19)
		return (-EINVAL);
	z = s + used;
	if (*z == '.') {
		z++;
		while (*z >= '0' && *z <= '9')
			z++;
	}
	if ((z[0] == 'Z' || z[0] == 'z') && z[1] == '\0')
		oh = om = sign = 0;
	else if ((z[0] == '+' || z[0] == '-') && sscanf(z + 1, "%2d:%2d%n",
	    &oh, &om, &used) == 2 && used == 5 && z[6] == '\0')
		sign = z[0] == '+' ? 1 : -1;
	else
		return (-EINVAL);
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60 || oh > 23 || om > 59)
		return (-EINVAL);
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return (-EINVAL);
	*out = (int64_t)t - sign * (oh * 3600 + om * 60);
	return (0);
}

/* A duration from now or an RFC 3339 time, as unix seconds. */
int
ovl_key_expiry_parse(const char *s, int64_t now, int64_t *out,
    char **cause)
{
	static const struct {
		char	unit;
		int64_t	secs;
	} units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
		{ 'w', 7 * 86400 },
	};
	size_t	n = strlen(s), i;
	int64_t	v;

	if (n >= 2) {
		for (i = 0; i < sizeof units / sizeof units[0]; i++) {
			if (s[n - 1] != units[i].unit)
				continue;
			v = parse_count(s, n - 1);
			if (v > 0) {
				*out = now + v * units[i].secs;
				return (0);
			}
		}
	}
	if (parse_rfc3339(s, out) == 0) {
		if (*out > now)
			return (0);
		ovl__set_cause(cause, "expiry %s is not in the future", s);
		return (-EINVAL);
	}
	ovl__set_cause(cause, "bad expiry \"%s\": give a duration (90m, "
	    "12h, 7d, 2w) or an RFC 3339 time (2027-01-31T18:00:00Z)", s);
	return (-EINVAL);
}

/* Parses "K=V" into l. */
int
ovl_key_label_parse(const char *s, struct ovl_key_label *l, char **cause)
{
	const char	*eq = strchr(s, '=');
	size_t		 kn, i;

	kn = eq != NULL ? (size_t)(eq - s) : 0;
	if (eq == NULL || kn == 0 || kn > OVL_KEY_LABEL_KEY_MAX ||
	    strspn(s, LABEL_KEY_CHARS) != kn) {
		ovl__set_cause(cause, "bad label \"%s\": K=V with K 1 to %d of "
		    "A-Z a-z 0-9 . _ / -", s, OVL_KEY_LABEL_KEY_MAX);
		return (-EINVAL);
	}
	for (i = 0; eq[1 + i] != '\0'; i++) {
		if (i == OVL_KEY_LABEL_VAL_MAX || eq[1 + i] <= ' ' ||
		    eq[1 + i] > '~') {
			ovl__set_cause(cause, "bad label \"%s\": its value is "
			    "up to %d printable characters without spaces", s,
			    OVL_KEY_LABEL_VAL_MAX);
			return (-EINVAL);
		}
	}
	memset(l, 0, sizeof *l);
	memcpy(l->k, s, kn);
	strcpy(l->v, eq + 1);
	return (0);
}

/* Sets label l in lim, replacing one with the same K. */
int
ovl_key_limits_label(struct ovl_key_limits *lim,
    const struct ovl_key_label *l)
{
	size_t	i;

	for (i = 0; i < lim->nlabels; i++) {
		if (strcmp(lim->labels[i].k, l->k) == 0) {
			lim->labels[i] = *l;
			return (0);
		}
	}
	if (lim->nlabels == OVL_KEY_LABELS_MAX)
		return (-ENOSPC);
	lim->labels[lim->nlabels++] = *l;
	return (0);
}

/* RFC 3339 in UTC, or "never". */
void
ovl_key_time(int64_t t, char *buf, size_t len)
{
	struct tm	tm;
	time_t		tt = (time_t)t;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL)
		snprintf(buf, len, "never");
	else
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Disabled or expired, with the go-away text. */
int
ovl_key_check(const struct ovl_access_key *k, int64_t now, char *reason,
    size_t len)
{
	char	t[32];

	if (k->disabled != 0) {
		snprintf(reason, len, "access key %s is disabled", k->name);
		return (-EKEYREJECTED);
	}
	if (k->expires != 0 && now >= k->expires) {
		ovl_key_time(k->expires, t, sizeof t);
		snprintf(reason, len, "access key %s expired at %s", k->name,
		    t);
		return (-EKEYEXPIRED);
	}
	return (0);
}

/* Is fp bound to k? */
int
ovl_key_bound(const struct ovl_access_key *k, const char *fp)
{
	size_t	i;

	for (i = 0; i < k->nbound; i++)
		if (strcmp(k->bound[i], fp) == 0)
			return (1);
	return (0);
}

/* Has k anything beyond a version 1 line? */
int
ovl__key_has_attr(const struct ovl_access_key *k)
{
	return (k->expires != 0 || k->disabled != 0 || k->uses != 0 ||
	    k->nbound != 0 || k->nlabels != 0);
}

/* Appends one attribute word; keeps *off within cap. */
static void
put(char *buf, size_t cap, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Appends one attribute word; keeps *off within cap. */
static void
put(char *buf, size_t cap, size_t *off, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (*off >= cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, cap - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off = *off + (size_t)n < cap ? *off + (size_t)n : cap - 1;
}

/* " expires=... disabled=... uses=... client=... label=K=V". */
size_t
ovl__key_attr_format(const struct ovl_access_key *k, char *buf, size_t cap)
{
	size_t	off = 0, i;

	if (cap > 0)
		buf[0] = '\0';
	if (k->expires != 0)
		put(buf, cap, &off, " expires=%" PRId64, k->expires);
	if (k->disabled != 0)
		put(buf, cap, &off, " disabled=%" PRId64, k->disabled);
	if (k->uses != 0)
		put(buf, cap, &off, " uses=%u", k->uses);
	for (i = 0; i < k->nbound; i++)
		put(buf, cap, &off, " client=%s", k->bound[i]);
	for (i = 0; i < k->nlabels; i++)
		put(buf, cap, &off, " label=%s=%s", k->labels[i].k,
		    k->labels[i].v);
	return (off);
}

/* Parses a positive unix time. */
static int
parse_time(const char *s, int64_t *out)
{
	char	*end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v <= 0)
		return (-EINVAL);
	*out = (int64_t)v;
	return (0);
}

/* Parses one NAME=VALUE word into k. */
static int
attr_word(struct ovl_access_key *k, const char *w)
{
	struct ovl_key_label	l;
	int64_t			v;

	if (strncmp(w, "expires=", 8) == 0)
		return (parse_time(w + 8, &k->expires));
	if (strncmp(w, "disabled=", 9) == 0)
		return (parse_time(w + 9, &k->disabled));
	if (strncmp(w, "uses=", 5) == 0) {
		if (parse_time(w + 5, &v) != 0 || v > OVL_KEY_USES_MAX)
			return (-EINVAL);
		k->uses = (unsigned)v;
		return (0);
	}
	if (strncmp(w, "client=", 7) == 0) {
		if (!ovl__deny_valid(w + 7) || k->nbound == OVL_KEY_USES_MAX)
			return (-EINVAL);
		strcpy(k->bound[k->nbound++], w + 7);
		return (0);
	}
	if (strncmp(w, "label=", 6) == 0) {
		if (ovl_key_label_parse(w + 6, &l, NULL) != 0 ||
		    k->nlabels == OVL_KEY_LABELS_MAX)
			return (-EINVAL);
		k->labels[k->nlabels++] = l;
		return (0);
	}
	return (-EINVAL);
}

/* The words after the secret. */
int
ovl__key_attr_parse(struct ovl_access_key *k, const char *s)
{
	char	w[OVL_KEY_LABEL_KEY_MAX + OVL_KEY_LABEL_VAL_MAX + 16];
	size_t	n;

	for (;;) {
		while (*s == ' ')
			s++;
		if (*s == '\0')
			break;
		n = strcspn(s, " ");
		if (n >= sizeof w)
			return (-EINVAL);
		memcpy(w, s, n);
		w[n] = '\0';
		if (attr_word(k, w) != 0)
			return (-EINVAL);
		s += n;
	}
	if (k->uses != 0 && k->nbound > k->uses)
		return (-EINVAL);
	return (0);
}
