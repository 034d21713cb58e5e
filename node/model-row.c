/*
 * The rows of the container model (model.c): each container is kept as
 * the engine's summary cut to what container.list shows (Id, Names,
 * Image, ImageID, Command, Created, Ports, Labels, State, Status), its
 * Mounts cut to {Name, Source, Driver} and the names of its networks
 * under _nets, plus
 * what its inspect said of its state, under keys of our own that start
 * with '_': _state (the engine's state word), _st and _fin (started and
 * finished, ns since the epoch, 0 for never), _exit, _health and _cns
 * (created, ns, for the order). The status text is made from them at
 * answer time with the engine's own rules (its State.String and
 * go-units' HumanDuration), so "Up 5 minutes" is as true as the
 * engine's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "node.h"

#define NS_PER_S	1000000000LL

/* The summary's keys the model keeps. */
static const char *const sum_keys[] = { "Id", "Names", "Image", "ImageID",
	"Command", "Created", "Ports", "Labels", "State", "Status", NULL };

/* Keeps what docker ps shows of c's mounts and networks in sum. */
static void
summary_extra(json_t *sum, const json_t *c)
{
	const json_t	*mounts = json_object_get(c, "Mounts"), *m, *nets;
	json_t		*a, *v;
	const char	*k;
	size_t		 i;

	if (json_is_array(mounts) && (a = json_array()) != NULL) {
		json_array_foreach(mounts, i, m)
			(void)json_array_append_new(a, json_pack("{s:s, s:s, "
			    "s:s}", "Name", cmd_jstr(m, "Name"), "Source",
			    cmd_jstr(m, "Source"), "Driver", cmd_jstr(m,
			    "Driver")));
		(void)json_object_set_new(sum, "Mounts", a);
	}
	nets = json_object_get(json_object_get(c, "NetworkSettings"),
	    "Networks");
	if (json_is_object(nets) && (a = json_array()) != NULL) {
		json_object_foreach((json_t *)nets, k, v)
			(void)json_array_append_new(a, json_string(k));
		(void)json_object_set_new(sum, "_nets", a);
	}
}

/* The engine's summary cut to the keys the model keeps (new reference). */
json_t *
node_model_summary(const json_t *c)
{
	json_t	*sum;	/* owned */
	size_t	 i;

	if (!json_is_object(c) || !json_is_string(json_object_get(c, "Id")))
		return (NULL);
	sum = json_object();
	for (i = 0; sum != NULL && sum_keys[i] != NULL; i++)
		if (json_object_get(c, sum_keys[i]) != NULL)
			(void)json_object_set(sum, sum_keys[i],
			    json_object_get(c, sum_keys[i]));
	if (sum != NULL)
		summary_extra(sum, c);
	return (sum);
}

/* Sets the summary's kept keys from c, keeping our own. */
void
node_model_merge(json_t *sum, const json_t *c)
{
	size_t	 i;

	for (i = 0; sum_keys[i] != NULL; i++)
		if (json_object_get(c, sum_keys[i]) != NULL)
			(void)json_object_set(sum, sum_keys[i],
			    json_object_get(c, sum_keys[i]));
	summary_extra(sum, c);
}

/*
 * An RFC 3339 time as the engine writes it ("2026-12-06T13:01:02.5Z",
 * or with an offset) in ns since the epoch; 0 for Go's zero time
 * (year 1) or what does not parse.
 */
int64_t
node_model_parse_time(const char *s)
{
	struct tm	 tm;
	const char	*p;
	int64_t		 t, frac = 0, scale = NS_PER_S;
	int		 off, sign, oh, om, n = 0;

	if (s == NULL)
		return (0);
	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
	    tm.tm_year < 1970)
		return (0);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	p = s + n;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (scale > 1) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
		}
	}
	off = 0;
	if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2)
			return (0);
		off = sign * (oh * 3600 + om * 60);
	} else if (*p != 'Z')
		return (0);
	t = (int64_t)timegm(&tm) - off;
	return (t * NS_PER_S + frac);
}

/* Sets the model's own keys from an inspect's State and Created. */
void
node_model_set_state(json_t *sum, const json_t *state, const json_t *created)
{
	const json_t	*health;
	const char	*word;

	word = json_string_value(json_object_get(state, "Status"));
	(void)json_object_set_new(sum, "_state", json_string(word != NULL ?
	    word : ""));
	(void)json_object_set_new(sum, "_st", json_integer(
	    node_model_parse_time(cmd_jstr(state, "StartedAt"))));
	(void)json_object_set_new(sum, "_fin", json_integer(
	    node_model_parse_time(cmd_jstr(state, "FinishedAt"))));
	(void)json_object_set_new(sum, "_exit", json_integer(
	    json_integer_value(json_object_get(state, "ExitCode"))));
	health = json_object_get(state, "Health");
	if (json_is_string(json_object_get(health, "Status")))
		(void)json_object_set(sum, "_health",
		    json_object_get(health, "Status"));
	else
		(void)json_object_del(sum, "_health");
	(void)json_object_set_new(sum, "_cns", json_integer(
	    node_model_parse_time(json_string_value(created))));
}

/* The container's state word: the inspect's, else the summary's. */
const char *
node_model_state(const json_t *sum)
{
	const char	*s = json_string_value(json_object_get(sum, "_state"));

	return (s != NULL ? s : cmd_jstr(sum, "State"));
}

/* Whether docker ps without -a shows it (its process runs). */
int
node_model_is_running(const json_t *sum)
{
	const char	*s = node_model_state(sum);

	return (strcmp(s, "running") == 0 || strcmp(s, "paused") == 0 ||
	    strcmp(s, "restarting") == 0);
}

/* Whether the container has every label of labels ("K" or "K=V"). */
int
node_model_has_labels(const json_t *sum, const json_t *labels)
{
	const json_t	*have = json_object_get(sum, "Labels");
	const char	*l, *eq, *v;
	char		 key[512];
	size_t		 i, klen;

	for (i = 0; i < json_array_size(labels); i++) {
		l = json_string_value(json_array_get(labels, i));
		if (l == NULL)
			continue;
		eq = strchr(l, '=');
		klen = eq != NULL ? (size_t)(eq - l) : strlen(l);
		if (klen >= sizeof(key))
			return (0);
		memcpy(key, l, klen);
		key[klen] = '\0';
		v = json_string_value(json_object_get(have, key));
		if (v == NULL || (eq != NULL && strcmp(v, eq + 1) != 0))
			return (0);
	}
	return (1);
}

/* When it was made, in ns (for the order); from Created if not known. */
int64_t
node_model_created_ns(const json_t *sum)
{
	int64_t	 t = json_integer_value(json_object_get(sum, "_cns"));

	if (t != 0)
		return (t);
	return (json_integer_value(json_object_get(sum, "Created")) *
	    NS_PER_S);
}

/* The wall clock in ns since the epoch. */
int64_t
node_model_now_ns(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec);
}

/* A duration as the engine words it (go-units' HumanDuration). */
void
node_model_human_duration(int64_t ns, char *buf, size_t len)
{
	int64_t	 secs = ns / NS_PER_S, mins = secs / 60, hours;

	/* Hours are rounded, the smaller units cut, as in Go. */
	hours = (ns + NS_PER_S * 1800) / (NS_PER_S * 3600);
	if (ns < NS_PER_S)
		snprintf(buf, len, "Less than a second");
	else if (secs == 1)
		snprintf(buf, len, "1 second");
	else if (secs < 60)
		snprintf(buf, len, "%lld seconds", (long long)secs);
	else if (mins == 1)
		snprintf(buf, len, "About a minute");
	else if (mins < 60)
		snprintf(buf, len, "%lld minutes", (long long)mins);
	else if (hours == 1)
		snprintf(buf, len, "About an hour");
	else if (hours < 48)
		snprintf(buf, len, "%lld hours", (long long)hours);
	else if (hours < 24 * 7 * 2)
		snprintf(buf, len, "%lld days", (long long)(hours / 24));
	else if (hours < 24 * 30 * 2)
		snprintf(buf, len, "%lld weeks", (long long)(hours / 24 / 7));
	else if (hours < 24 * 365 * 2)
		snprintf(buf, len, "%lld months", (long long)(hours / 24 / 30));
	else
		snprintf(buf, len, "%lld years",
		    (long long)(ns / (NS_PER_S * 3600) / 24 / 365));
}

/* The status text of a container at now, as the engine's list gives it. */
void
node_model_status(const json_t *sum, int64_t now, char *buf, size_t len)
{
	const char	*s = node_model_state(sum), *h;
	int64_t		 st, fin;
	char		 d[64];

	if (json_object_get(sum, "_state") == NULL) {
		snprintf(buf, len, "%s", cmd_jstr(sum, "Status"));
		return;
	}
	st = json_integer_value(json_object_get(sum, "_st"));
	fin = json_integer_value(json_object_get(sum, "_fin"));
	h = json_string_value(json_object_get(sum, "_health"));
	if (strcmp(s, "running") == 0 || strcmp(s, "paused") == 0) {
		node_model_human_duration(now - st, d, sizeof(d));
		if (strcmp(s, "paused") == 0)
			snprintf(buf, len, "Up %s (Paused)", d);
		else if (h != NULL && strcmp(h, "none") != 0)
			snprintf(buf, len, "Up %s (%s)", d,
			    strcmp(h, "starting") == 0 ? "health: starting" :
			    h);
		else
			snprintf(buf, len, "Up %s", d);
	} else if (strcmp(s, "restarting") == 0) {
		node_model_human_duration(now - fin, d, sizeof(d));
		snprintf(buf, len, "Restarting (%lld) %s ago", (long long)
		    json_integer_value(json_object_get(sum, "_exit")), d);
	} else if (strcmp(s, "removing") == 0)
		snprintf(buf, len, "Removal In Progress");
	else if (strcmp(s, "dead") == 0)
		snprintf(buf, len, "Dead");
	else if (strcmp(s, "created") == 0 || st == 0)
		snprintf(buf, len, "Created");
	else if (fin == 0)
		buf[0] = '\0';
	else {
		node_model_human_duration(now - fin, d, sizeof(d));
		snprintf(buf, len, "Exited (%lld) %s ago", (long long)
		    json_integer_value(json_object_get(sum, "_exit")), d);
	}
}

/* Sets the summary's State and Status as of now. */
void
node_model_stamp_status(json_t *sum, int64_t now)
{
	char	 buf[128];

	node_model_status(sum, now, buf, sizeof(buf));
	(void)json_object_set_new(sum, "Status", json_string(buf));
	(void)json_object_set_new(sum, "State", json_string(
	    node_model_state(sum)));
}
