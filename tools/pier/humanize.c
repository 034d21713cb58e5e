/*
 * Values as people read them, the way docker prints them, so `pier ps`
 * and `docker ps` side by side say the same thing: sizes (decimal as ps
 * and images, binary as stats' memory), go-units' HumanDuration with its
 * thresholds, the engine's status words, the PORTS column with its
 * ranges, percents; and the other way, the parsers of --memory (docker's
 * RAMInBytes), --cpus (exact NanoCpus) and --since/--until (a Go
 * duration, RFC 3339, or unix seconds, as docker logs takes them).
 *
 * Everything here is pure: "now" is a parameter, so tests pin it.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli-out.h"

/* Nanoseconds in a second. */
#define NS	1000000000LL

/* docker's decimal and binary size units. */
static const char *const decimal_units[] = {
	"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"
};
static const char *const binary_units[] = {
	"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"
};

/* Scales size down by base while it is at least base; formats it. */
static char *
human_units(char buf[static CLI_HUMAN_LEN], double size, double base,
    const char *const *units, size_t nunits, int prec)
{
	size_t i = 0;

	while (size >= base && i + 1 < nunits) {
		size /= base;
		i++;
	}
	(void)snprintf(buf, CLI_HUMAN_LEN, "%.*g%s", prec, size, units[i]);
	return (buf);
}

/* A decimal size with prec significant digits. */
char *
cli_human_size(char buf[static CLI_HUMAN_LEN], double bytes, int prec)
{
	return (human_units(buf, bytes, 1000.0, decimal_units,
	    sizeof(decimal_units) / sizeof(decimal_units[0]), prec));
}

/* A binary size with 4 significant digits. */
char *
cli_human_bytes(char buf[static CLI_HUMAN_LEN], double bytes)
{
	return (human_units(buf, bytes, 1024.0, binary_units,
	    sizeof(binary_units) / sizeof(binary_units[0]), 4));
}

/* go-units' HumanDuration, on whole seconds (its thresholds all are). */
char *
cli_human_duration(char buf[static CLI_HUMAN_LEN], int64_t s)
{
	int64_t minutes = s / 60, hours = (s + 1800) / 3600;	/* rounded */

	if (s < 1)
		(void)snprintf(buf, CLI_HUMAN_LEN, "Less than a second");
	else if (s == 1)
		(void)snprintf(buf, CLI_HUMAN_LEN, "1 second");
	else if (s < 60)
		(void)snprintf(buf, CLI_HUMAN_LEN, "%" PRId64 " seconds", s);
	else if (minutes == 1)
		(void)snprintf(buf, CLI_HUMAN_LEN, "About a minute");
	else if (minutes < 60)
		(void)snprintf(buf, CLI_HUMAN_LEN, "%" PRId64 " minutes",
		    minutes);
	else if (hours == 1)
		(void)snprintf(buf, CLI_HUMAN_LEN, "About an hour");
	else if (hours < 48)
		(void)snprintf(buf, CLI_HUMAN_LEN, "%" PRId64 " hours", hours);
	else if (hours < 24 * 7 * 2)
		(void)snprintf(buf, CLI_HUMAN_LEN, "%" PRId64 " days",
		    hours / 24);
	else if (hours < 24 * 30 * 2)
		(void)snprintf(buf, CLI_HUMAN_LEN, "%" PRId64 " weeks",
		    hours / 24 / 7);
	else if (hours < 24 * 365 * 2)
		(void)snprintf(buf, CLI_HUMAN_LEN, "%" PRId64 " months",
		    hours / 24 / 30);
	else	/* years from the hours cut down, not rounded, as go-units */
		(void)snprintf(buf, CLI_HUMAN_LEN, "%" PRId64 " years",
		    s / 3600 / 24 / 365);
	return (buf);
}

/* "5 minutes ago". */
char *
cli_human_ago(char buf[static CLI_HUMAN_LEN], int64_t then, int64_t now)
{
	char d[CLI_HUMAN_LEN];

	(void)cli_human_duration(d, now - then);
	(void)snprintf(buf, CLI_HUMAN_LEN, "%.32s ago", d);
	return (buf);
}

/* "12.34%", or "--" when unknown. */
char *
cli_human_percent(char buf[static CLI_HUMAN_LEN], double pct)
{
	if (isnan(pct) || isinf(pct) || pct < 0)
		(void)snprintf(buf, CLI_HUMAN_LEN, "--");
	else
		(void)snprintf(buf, CLI_HUMAN_LEN, "%.2f%%", pct);
	return (buf);
}

/* The first 12 characters of an id after any "algo:" prefix. */
char *
cli_short_id(char buf[static CLI_SHORT_ID + 1], const char *id)
{
	const char *colon;

	colon = strchr(id, ':');
	if (colon != NULL)
		id = colon + 1;
	(void)snprintf(buf, CLI_SHORT_ID + 1, "%s", id);
	return (buf);
}

/* The engine's status words for a container's state. */
char *
cli_human_status(char buf[static CLI_HUMAN_LEN], const struct cli_cstate *st,
    int64_t now)
{
	const char *state = st->state ? st->state : "";
	char d[CLI_HUMAN_LEN];

	if (strcmp(state, "running") == 0 || strcmp(state, "paused") == 0 ||
	    strcmp(state, "restarting") == 0) {
		if (strcmp(state, "restarting") == 0) {
			(void)cli_human_duration(d, now - st->finished);
			(void)snprintf(buf, CLI_HUMAN_LEN,
			    "Restarting (%d) %.32s ago", st->exit_code, d);
			return (buf);
		}
		(void)cli_human_duration(d, now - st->started);
		if (strcmp(state, "paused") == 0)
			(void)snprintf(buf, CLI_HUMAN_LEN, "Up %.32s (Paused)",
			    d);
		else if (st->health != NULL && *st->health != '\0' &&
		    strcmp(st->health, "none") != 0)
			(void)snprintf(buf, CLI_HUMAN_LEN, "Up %.32s (%s%.16s)",
			    d, strcmp(st->health, "starting") == 0 ?
			    "health: " : "", st->health);
		else
			(void)snprintf(buf, CLI_HUMAN_LEN, "Up %.32s", d);
		return (buf);
	}
	if (strcmp(state, "removing") == 0)
		(void)snprintf(buf, CLI_HUMAN_LEN, "Removal In Progress");
	else if (strcmp(state, "dead") == 0)
		(void)snprintf(buf, CLI_HUMAN_LEN, "Dead");
	else if (st->started == 0)
		(void)snprintf(buf, CLI_HUMAN_LEN, "Created");
	else if (st->finished == 0)
		buf[0] = '\0';
	else {
		(void)cli_human_duration(d, now - st->finished);
		(void)snprintf(buf, CLI_HUMAN_LEN, "Exited (%d) %.32s ago",
		    st->exit_code, d);
	}
	return (buf);
}

/* Orders ports as docker ps does: private port, ip, public, type. */
static int
port_cmp(const void *a, const void *b)
{
	const struct cli_port *x = a, *y = b;
	int c;

	if (x->private_port != y->private_port)
		return (x->private_port < y->private_port ? -1 : 1);
	c = strcmp(x->ip ? x->ip : "", y->ip ? y->ip : "");
	if (c != 0)
		return (c);
	if (x->public_port != y->public_port)
		return (x->public_port < y->public_port ? -1 : 1);
	return (strcmp(x->type ? x->type : "", y->type ? y->type : ""));
}

/* A run of consecutive ports sharing an ip (or none) and a type. */
struct port_group {
	const char	*ip;
	const char	*type;
	unsigned	 first;
	unsigned	 last;
};

/* Writes a group: "80/tcp", "8000-8002/tcp", "0.0.0.0:80->80/tcp". */
static void
port_group_put(struct cli__buf *b, const struct port_group *g)
{
	char range[32];

	if (b->len > 0)
		cli__buf_str(b, ", ");
	if (g->first == g->last)
		(void)snprintf(range, sizeof range, "%u", g->first);
	else
		(void)snprintf(range, sizeof range, "%u-%u", g->first, g->last);
	if (*g->ip != '\0')
		cli__buf_printf(b, "%s:%s->%s/%s", g->ip, range, range,
		    g->type);
	else
		cli__buf_printf(b, "%s/%s", range, g->type);
}

/* The PORTS column of docker ps. */
char *
cli_human_ports(const struct cli_port *in, size_t n)
{
	struct cli__buf b = { 0 }, maps = { 0 };
	struct port_group *g = NULL;
	struct cli_port *p = NULL;
	size_t i, k, ng = 0;
	const char *ip, *type;

	if (n > CLI_PORTS_MAX)
		n = CLI_PORTS_MAX;
	if (n > 0) {
		p = malloc(n * sizeof(*p));
		g = malloc(n * sizeof(*g));
		if (p == NULL || g == NULL) {
			b.err = ENOMEM;
			goto out;
		}
		memcpy(p, in, n * sizeof(*p));
		qsort(p, n, sizeof(*p), port_cmp);
	}
	for (i = 0; i < n; i++) {
		ip = p[i].ip ? p[i].ip : "";
		type = p[i].type ? p[i].type : "tcp";
		if (*ip != '\0' && p[i].public_port != p[i].private_port) {
			if (maps.len > 0)
				cli__buf_str(&maps, ", ");
			cli__buf_printf(&maps, "%s:%u->%u/%s", ip,
			    p[i].public_port, p[i].private_port, type);
			continue;
		}
		for (k = 0; k < ng; k++) {
			if (strcmp(g[k].ip, ip) == 0 &&
			    strcmp(g[k].type, type) == 0)
				break;
		}
		if (k == ng) {
			g[ng++] = (struct port_group){ ip, type,
			    p[i].private_port, p[i].private_port };
			continue;
		}
		if (p[i].private_port == g[k].last + 1) {
			g[k].last = p[i].private_port;
			continue;
		}
		/* A gap: this run is done; a new one takes its place. */
		port_group_put(&b, &g[k]);
		g[k].first = g[k].last = p[i].private_port;
	}
	for (k = 0; k < ng; k++)
		port_group_put(&b, &g[k]);
	if (maps.len > 0) {
		if (b.len > 0)
			cli__buf_str(&b, ", ");
		cli__buf_add(&b, maps.p, maps.len);
	}
	if (maps.err != 0)
		b.err = maps.err;
	if (b.p == NULL)
		cli__buf_add(&b, "", 0);
out:
	free(maps.p);
	free(p);
	free(g);
	if (b.err != 0) {
		free(b.p);
		return (NULL);
	}
	return (b.p);
}

/* The first of two keys present in o. */
static json_t *
get2(const json_t *o, const char *a, const char *b)
{
	json_t *v;

	v = json_object_get(o, a);
	return (v != NULL ? v : json_object_get(o, b));
}

/* A port number from JSON, or 0 when absent or out of range. */
static unsigned
json_port(const json_t *v)
{
	json_int_t i;

	if (!json_is_integer(v))
		return (0);
	i = json_integer_value(v);
	return (i < 0 || i > 65535 ? 0 : (unsigned)i);
}

/* The PORTS column from a JSON array of port objects. */
char *
cli_human_ports_json(const json_t *ports)
{
	struct cli_port *p;
	size_t i, n = 0;
	json_t *o, *v;
	char *r;

	p = calloc(json_array_size(ports) + 1, sizeof(*p));
	if (p == NULL)
		return (NULL);
	for (i = 0; i < json_array_size(ports) && n < CLI_PORTS_MAX; i++) {
		o = json_array_get(ports, i);
		if (!json_is_object(o))
			continue;
		v = get2(o, "PrivatePort", "private_port");
		if (v == NULL)
			v = json_object_get(o, "container_port");
		p[n].private_port = json_port(v);
		if (p[n].private_port == 0)
			continue;
		v = get2(o, "PublicPort", "public_port");
		if (v == NULL)
			v = json_object_get(o, "host_port");
		p[n].public_port = json_port(v);
		v = get2(o, "IP", "ip");
		if (v == NULL)
			v = json_object_get(o, "host_ip");
		p[n].ip = json_is_string(v) ? json_string_value(v) : "";
		v = get2(o, "Type", "type");
		if (v == NULL)
			v = json_object_get(o, "protocol");
		p[n].type = json_is_string(v) ? json_string_value(v) : "tcp";
		n++;
	}
	r = cli_human_ports(p, n);
	free(p);
	return (r);
}

/* Parses a memory size as docker's RAMInBytes. */
int
cli_parse_size(const char *s, int64_t *bytes, char **cause)
{
	static const char units[] = "kmgtp";
	const char *sep = NULL, *q, *u;
	char num[64], sfx[4];
	size_t nlen, i;
	double size;
	char *end;

	for (q = s; *q != '\0'; q++) {
		if (isdigit((unsigned char)*q) || *q == '.' || *q == ' ')
			sep = q;
	}
	if (sep == NULL)
		return (cli__error(cause, -EINVAL, "invalid size: '%s'", s));
	nlen = (size_t)(sep - s) + (*sep == ' ' ? 0 : 1);
	if (nlen == 0 || nlen >= sizeof num || strlen(sep + 1) > 3)
		return (cli__error(cause, -EINVAL, "invalid size: '%s'", s));
	memcpy(num, s, nlen);
	num[nlen] = '\0';
	for (i = 0; i < nlen; i++) {
		if (!isdigit((unsigned char)num[i]) && num[i] != '.' &&
		    num[i] != 'e' && num[i] != 'E' && num[i] != '+' &&
		    num[i] != '-')
			return (cli__error(cause, -EINVAL,
			    "invalid size: '%s'", s));
	}
	errno = 0;
	size = strtod(num, &end);
	if (*end != '\0' || errno != 0 || !isfinite(size))
		return (cli__error(cause, -EINVAL, "invalid size: '%s'", s));
	if (size < 0)
		return (cli__error(cause, -EINVAL, "invalid size: '%s'", s));
	for (i = 0; sep[1 + i] != '\0'; i++)
		sfx[i] = (char)tolower((unsigned char)sep[1 + i]);
	sfx[i] = '\0';
	if (sfx[0] == '\0' || (sfx[0] == 'b' && sfx[1] == '\0'))
		goto done;
	u = strchr(units, sfx[0]);
	if (u == NULL || (sfx[1] != '\0' && strcmp(sfx + 1, "b") != 0 &&
	    strcmp(sfx + 1, "ib") != 0))
		return (cli__error(cause, -EINVAL, "invalid suffix: '%s'",
		    sfx));
	size = ldexp(size, 10 * (int)(u - units + 1));
done:
	if (size >= 9223372036854775808.0)
		return (cli__error(cause, -EINVAL, "size too large: '%s'", s));
	*bytes = (int64_t)size;
	return (0);
}

/* Parses --cpus into NanoCpus, exactly. */
int
cli_parse_cpus(const char *s, int64_t *nano_cpus, char **cause)
{
	const char *p = s;
	int64_t whole = 0, frac = 0, scale = 100000000;
	int digits = 0;

	if (*p == '-')
		return (cli__error(cause, -EINVAL,
		    "invalid --cpus \"%s\": must not be negative", s));
	for (; isdigit((unsigned char)*p); p++, digits++) {
		if (whole > (INT64_MAX / NS - 9) / 10)
			return (cli__error(cause, -EINVAL,
			    "invalid --cpus \"%s\": too large", s));
		whole = whole * 10 + (*p - '0');
	}
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++, digits++) {
			if (scale == 0) {
				if (*p != '0')
					return (cli__error(cause, -EINVAL,
					    "invalid --cpus \"%s\": value is "
					    "too precise", s));
				continue;
			}
			frac += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (*p != '\0' || digits == 0)
		return (cli__error(cause, -EINVAL,
		    "invalid --cpus \"%s\": not a decimal number", s));
	*nano_cpus = whole * NS + frac;
	return (0);
}

/* One Go duration unit. */
struct dur_unit {
	const char	*name;
	int64_t		 ns;
};

/* Go's duration units, longest names first where they share a start. */
static const struct dur_unit dur_units[] = {
	{ "ns", 1 }, { "us", 1000 }, { "\xc2\xb5s", 1000 },
	{ "\xce\xbcs", 1000 }, { "ms", 1000000 }, { "s", NS },
	{ "m", 60 * NS }, { "h", 3600 * NS },
};

/* Parses a Go duration. */
int
cli_parse_duration(const char *s, int64_t *ns, char **cause)
{
	const char *p = s;
	uint64_t total = 0, v, f, unit, add;
	double scale;
	size_t i, len, ulen;
	int neg = 0, any;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (strcmp(p, "0") == 0) {
		*ns = 0;
		return (0);
	}
	if (*p == '\0')
		goto bad;
	while (*p != '\0') {
		v = 0;
		f = 0;
		scale = 1;
		any = 0;
		for (; isdigit((unsigned char)*p); p++, any = 1) {
			if (v > (UINT64_C(1) << 63) / 10)
				goto bad;
			v = v * 10 + (uint64_t)(*p - '0');
		}
		if (*p == '.') {
			for (p++; isdigit((unsigned char)*p); p++, any = 1) {
				if (scale >= 1e18)
					continue;	/* past precision */
				f = f * 10 + (uint64_t)(*p - '0');
				scale *= 10;
			}
		}
		if (!any)
			goto bad;
		unit = 0;
		ulen = 0;
		for (i = 0; i < sizeof(dur_units) / sizeof(dur_units[0]);
		    i++) {
			len = strlen(dur_units[i].name);
			if (strncmp(p, dur_units[i].name, len) == 0 &&
			    len > ulen) {
				unit = (uint64_t)dur_units[i].ns;
				ulen = len;
			}
		}
		if (unit == 0)
			return (cli__error(cause, -EINVAL,
			    "invalid duration \"%s\": missing or unknown "
			    "unit", s));
		p += ulen;
		if (v > (UINT64_C(1) << 63) / unit)
			goto bad;
		add = v * unit + (uint64_t)((double)f * ((double)unit / scale));
		if (add > (UINT64_C(1) << 63) ||
		    total + add > UINT64_C(1) << 63)
			goto bad;
		total += add;
	}
	if (!neg && total > (uint64_t)INT64_MAX)
		goto bad;
	*ns = neg ? (int64_t)(0 - total) : (int64_t)total;
	return (0);
bad:
	return (cli__error(cause, -EINVAL, "invalid duration \"%s\"", s));
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468);
}

/* Reads exactly n digits at *pp into *v, then the byte sep (0: none). */
static int
field(const char **pp, int n, int *v, int sep)
{
	const char *p = *pp;

	*v = 0;
	while (n-- > 0) {
		if (!isdigit((unsigned char)*p))
			return (-1);
		*v = *v * 10 + (*p++ - '0');
	}
	if (sep != 0) {
		if (*p != sep)
			return (-1);
		p++;
	}
	*pp = p;
	return (0);
}

/*
 * Parses YYYY-MM-DD[THH[:MM[:SS[.frac]]]][Z|+HH:MM|-HH:MM] into seconds
 * and nanoseconds; without a zone the time is local, as docker takes it.
 */
static int
parse_rfc3339(const char *s, int64_t *sec, int64_t *nsec)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	int y, mo, d, h = 0, mi = 0, se = 0, zh, zm, leap, n;
	int64_t ns = 0, off = 0, scale = NS / 10;
	const char *p = s;
	int zone = 0, sign, parts = 1;
	struct tm tm;
	time_t t;

	if (field(&p, 4, &y, '-') != 0 || field(&p, 2, &mo, '-') != 0 ||
	    field(&p, 2, &d, 0) != 0)
		return (-EINVAL);
	if (*p == 'T') {
		p++;
		if (field(&p, 2, &h, 0) != 0)
			return (-EINVAL);
		/* Minutes, then seconds, then a fraction of a second. */
		if (*p == ':') {
			p++;
			if (field(&p, 2, &mi, 0) != 0)
				return (-EINVAL);
			parts++;
		}
		if (*p == ':') {
			p++;
			if (field(&p, 2, &se, 0) != 0)
				return (-EINVAL);
			parts++;
		}
		if (*p == '.' && parts == 3) {
			for (p++, n = 0; isdigit((unsigned char)*p); p++, n++) {
				ns += (*p - '0') * scale;
				scale /= 10;
			}
			if (n == 0 || n > 9)
				return (-EINVAL);
		}
	}
	if (*p == 'Z' || *p == 'z') {
		zone = 1;
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		p++;
		if (field(&p, 2, &zh, ':') != 0 || field(&p, 2, &zm, 0) != 0 ||
		    zh > 23 || zm > 59)
			return (-EINVAL);
		off = sign * (zh * 3600 + zm * 60);
		zone = 1;
	}
	if (*p != '\0')
		return (-EINVAL);
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && leap) || h > 23 || mi > 59 ||
	    se > 59)
		return (-EINVAL);
	if (zone) {
		*sec = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
		    se - off;
	} else {
		memset(&tm, 0, sizeof tm);
		tm.tm_year = y - 1900;
		tm.tm_mon = mo - 1;
		tm.tm_mday = d;
		tm.tm_hour = h;
		tm.tm_min = mi;
		tm.tm_sec = se;
		tm.tm_isdst = -1;
		t = mktime(&tm);
		if (t == (time_t)-1 && !(y == 1969 && mo == 12 && d == 31))
			return (-EINVAL);
		*sec = (int64_t)t;
	}
	*nsec = ns;
	return (0);
}

/* Parses unix seconds with an optional fraction, as docker takes them. */
static int
parse_unix(const char *s, int64_t *sec, int64_t *nsec)
{
	int64_t v = 0, f = 0, scale = NS / 10;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return (-EINVAL);
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (INT64_MAX / NS - 9) / 10)
			return (-EINVAL);
		v = v * 10 + (*p - '0');
	}
	if (*p == '.') {
		if (!isdigit((unsigned char)p[1]))
			return (-EINVAL);
		for (p++; isdigit((unsigned char)*p); p++) {
			if (scale == 0)
				return (-EINVAL);
			f += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (*p != '\0')
		return (-EINVAL);
	*sec = v;
	*nsec = f;
	return (0);
}

/* Parses --since/--until as docker logs does. */
int
cli_parse_time(const char *s, int64_t now_ns, int64_t *ns_out, char **cause)
{
	int64_t d, sec, nsec;

	if (strcmp(s, "0") != 0 && cli_parse_duration(s, &d, NULL) == 0) {
		if ((d > 0 && now_ns < INT64_MIN + d) ||
		    (d < 0 && now_ns > INT64_MAX + d))
			return (cli__error(cause, -EINVAL,
			    "duration out of range: \"%s\"", s));
		*ns_out = now_ns - d;
		return (0);
	}
	if (strchr(s, '-') != NULL) {
		if (parse_rfc3339(s, &sec, &nsec) != 0)
			return (cli__error(cause, -EINVAL,
			    "invalid time \"%s\": expected RFC 3339 like "
			    "2006-01-02T15:04:05Z07:00", s));
	} else if (parse_unix(s, &sec, &nsec) != 0)
		return (cli__error(cause, -EINVAL,
		    "failed to parse value as time or duration: \"%s\"", s));
	if (sec > INT64_MAX / NS - 1 || sec < INT64_MIN / NS + 1)
		return (cli__error(cause, -EINVAL, "time out of range: \"%s\"",
		    s));
	*ns_out = sec * NS + nsec;
	return (0);
}
