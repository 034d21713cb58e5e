/*
 * Line-delimited JSON, as the engine streams events, stats and image pull
 * progress: one object per line, lines split across reads anywhere. The
 * splitter holds at most one partial line, bounded, and hands each
 * complete line to a callback as a parsed object. Also here: the typed
 * views of an event and of a pull progress message, so the stream code
 * and the fuzz targets share one parser.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "docker.h"

/* Sets up a splitter; max_line 0 means DK_JSONL_MAX_LINE. */
void
dk_jsonl_init(struct dk_jsonl *j, size_t max_line)
{
	memset(j, 0, sizeof *j);
	j->max_line = max_line != 0 ? max_line : DK_JSONL_MAX_LINE;
}

/* Frees the partial line. */
void
dk_jsonl_free(struct dk_jsonl *j)
{
	free(j->buf);
	j->buf = NULL;
	j->len = j->cap = 0;
}

/* Appends to the partial line; -EMSGSIZE past the bound, -ENOMEM. */
static int
append(struct dk_jsonl *j, const char *p, size_t n)
{
	size_t cap;
	char *nb;

	if (n > j->max_line - j->len)
		return (-EMSGSIZE);
	if (j->len + n > j->cap) {
		cap = j->cap != 0 ? j->cap : 256;
		while (cap < j->len + n)
			cap *= 2;
		if (cap > j->max_line)
			cap = j->max_line;
		nb = realloc(j->buf, cap);
		if (nb == NULL)
			return (-ENOMEM);
		j->buf = nb;
		j->cap = cap;
	}
	memcpy(j->buf + j->len, p, n);
	j->len += n;
	return (0);
}

/* Parses one line (blank lines are skipped) and calls back. */
static int
emit(struct dk_jsonl *j, const char *p, size_t n, dk_jsonl_cb cb,
    void *arg)
{
	json_t *obj;	/* owned */
	json_error_t err;
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			break;
	if (i == n)
		return (0);
	obj = json_loadb(p, n, 0, &err);
	if (obj == NULL || !json_is_object(obj)) {
		json_decref(obj);
		j->error = -EPROTO;
		return (-EPROTO);
	}
	j->lines++;
	rc = cb(arg, obj);
	json_decref(obj);
	return (rc);
}

/* Feeds bytes; see docker.h for the contract. */
int
dk_jsonl_feed(struct dk_jsonl *j, const char *buf, size_t len,
    dk_jsonl_cb cb, void *arg)
{
	const char *nl;
	size_t n, total = len;
	int rc;

	j->consumed = 0;
	if (j->error != 0)
		return (j->error);
	while (len > 0) {
		nl = memchr(buf, '\n', len);
		if (nl == NULL) {
			rc = append(j, buf, len);
			if (rc != 0)
				j->error = rc;
			else
				j->consumed = total;
			return (rc);
		}
		n = (size_t)(nl - buf);
		if (j->len == 0) {
			if (n > j->max_line) {
				j->error = -EMSGSIZE;
				return (-EMSGSIZE);
			}
			rc = emit(j, buf, n, cb, arg);
		} else {
			rc = append(j, buf, n);
			if (rc != 0) {
				j->error = rc;
				return (rc);
			}
			rc = emit(j, j->buf, j->len, cb, arg);
			j->len = 0;
		}
		buf += n + 1;
		len -= n + 1;
		if (rc != 0) {
			j->consumed = total - len;
			return (rc);
		}
	}
	j->consumed = total;
	return (0);
}

/* Ends the input: a last line without a newline still counts. */
int
dk_jsonl_finish(struct dk_jsonl *j, dk_jsonl_cb cb, void *arg)
{
	int rc;

	if (j->error != 0)
		return (j->error);
	if (j->len == 0)
		return (0);
	rc = emit(j, j->buf, j->len, cb, arg);
	j->len = 0;
	return (rc);
}

/* Returns obj.key as a string or "" when absent or of another type. */
static const char *
str_or_empty(const json_t *obj, const char *key)
{
	const char *s;

	s = json_string_value(json_object_get(obj, key));
	return (s != NULL ? s : "");
}

/* Reads a non-negative integer at obj.key; -1 when absent. */
static long long
int_or_none(const json_t *obj, const char *key)
{
	json_t *v;	/* borrowed */

	v = json_object_get(obj, key);
	if (json_is_integer(v) && json_integer_value(v) >= 0)
		return (json_integer_value(v));
	return (-1);
}

/* Reads a pull progress message; see docker.h. */
int
dk_pull_from_json(const json_t *obj, struct dk_pull_event *ev,
    char **cause)
{
	json_t *detail, *e;	/* borrowed */
	const char *msg;

	memset(ev, 0, sizeof *ev);
	ev->current = ev->total = -1;
	if (!json_is_object(obj)) {
		if (cause != NULL)
			*cause = strdup("pull: progress is not an object");
		return (-EPROTO);
	}
	e = json_object_get(obj, "errorDetail");
	msg = json_string_value(json_object_get(e, "message"));
	if (msg == NULL)
		msg = json_string_value(json_object_get(obj, "error"));
	if (msg != NULL || e != NULL || json_object_get(obj, "error")) {
		if (cause != NULL)
			*cause = strdup(msg != NULL ? msg : "pull failed");
		return (-EIO);
	}
	snprintf(ev->id, sizeof ev->id, "%s", str_or_empty(obj, "id"));
	snprintf(ev->status, sizeof ev->status, "%s",
	    str_or_empty(obj, "status"));
	detail = json_object_get(obj, "progressDetail");
	if (json_is_object(detail)) {
		ev->current = int_or_none(detail, "current");
		ev->total = int_or_none(detail, "total");
	}
	return (0);
}

/* Reads an engine event; see docker.h. */
int
dk_event_from_json(const json_t *obj, struct dk_event *ev)
{
	json_t *actor, *attrs;	/* borrowed */
	const char *s;
	long long t;

	memset(ev, 0, sizeof *ev);
	if (!json_is_object(obj))
		return (-EPROTO);
	snprintf(ev->type, sizeof ev->type, "%s",
	    str_or_empty(obj, "Type"));
	s = str_or_empty(obj, "Action");
	if (s[0] == '\0')
		s = str_or_empty(obj, "status");
	snprintf(ev->action, sizeof ev->action, "%s", s);
	actor = json_object_get(obj, "Actor");
	s = str_or_empty(actor, "ID");
	if (s[0] == '\0')
		s = str_or_empty(obj, "id");
	snprintf(ev->id, sizeof ev->id, "%s", s);
	attrs = json_object_get(actor, "Attributes");
	snprintf(ev->name, sizeof ev->name, "%s",
	    str_or_empty(attrs, "name"));
	t = int_or_none(obj, "timeNano");
	if (t >= 0) {
		ev->time_ns = t;
	} else {
		t = int_or_none(obj, "time");
		/* Seconds past 2262 do not fit in nanoseconds: none. */
		ev->time_ns = t >= 0 && t <= LLONG_MAX / 1000000000LL ?
		    t * 1000000000LL : 0;
	}
	return (0);
}
