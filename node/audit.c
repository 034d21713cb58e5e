/*
 * The audit log: one JSON object per line in STATE/audit.log for every
 * mutating call and every refusal, with the time, the client key's
 * fingerprint and name, the access key and its role, the method, the
 * target, the outcome and the error. Lines are appended with one write
 * to an O_APPEND descriptor, so a reader never sees half a line from a
 * crash in the middle of the call and `tail -f` works.
 *
 * When a line would take the file past max_bytes, the files rotate as
 * logrotate would: audit.log.(keep-1) -> audit.log.keep (the oldest is
 * dropped), ..., audit.log -> audit.log.1, and a new audit.log begins.
 * audit.read reads backwards through the same files.
 *
 * Each text field is bounded (NODE_AUDIT_FIELD_MAX), so a line is too:
 * a peer controls only targets and names, and those are cut.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "node.h"

#define AUDIT_LINE_MAX	(16 * 1024)	/* longer lines are skipped on read */

/* Opens the log in dir with the given bounds (0: the defaults). */
int
node_audit_open(struct node_audit *a, const char *dir, size_t max_bytes,
    unsigned keep, char **cause)
{
	memset(a, 0, sizeof(*a));
	if (asprintf(&a->path, "%s/%s", dir, NODE_AUDIT_FILE) < 0) {
		a->path = NULL;
		return (-ENOMEM);
	}
	a->max_bytes = max_bytes != 0 ? max_bytes : NODE_AUDIT_MAX_BYTES;
	a->keep = keep != 0 ? keep : NODE_AUDIT_KEEP;
	(void)cause;
	return (0);
}

/* Frees the path. */
void
node_audit_close(struct node_audit *a)
{
	free(a->path);
	a->path = NULL;
}

/* Sets a string field (cut to the bound) or null. */
static void
set_text(json_t *o, const char *k, const char *v)
{
	char	buf[NODE_AUDIT_FIELD_MAX + 1];
	size_t	len;
	json_t	*s;	/* owned */

	if (v == NULL) {
		(void)json_object_set_new(o, k, json_null());
		return;
	}
	len = strnlen(v, NODE_AUDIT_FIELD_MAX);
	memcpy(buf, v, len);
	buf[len] = '\0';
	/* Cutting may split a UTF-8 sequence: back off to a valid end. */
	s = json_stringn(buf, len);
	while (s == NULL && len > 0)
		s = json_stringn(buf, --len);
	(void)json_object_set_new(o, k, s != NULL ? s : json_null());
}

/* Formats unix milliseconds as 2026-01-02T03:04:05.678Z. */
static void
time_format(int64_t ms, char *buf, size_t len)
{
	struct tm	tm;
	time_t		t = (time_t)(ms / 1000);

	gmtime_r(&t, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

/* The name of rotated file i (0: the live file); caller frees. */
static char *
rotated(const struct node_audit *a, unsigned i)
{
	char	*p;

	if (i == 0)
		return (strdup(a->path));
	if (asprintf(&p, "%s.%u", a->path, i) < 0)
		return (NULL);
	return (p);
}

/* Shifts the files by one; the oldest falls off. */
static int
rotate(struct node_audit *a)
{
	char		*from, *to;
	unsigned	 i;
	int		 err = 0;

	for (i = a->keep; i > 0; i--) {
		from = rotated(a, i - 1);
		to = rotated(a, i);
		if (from == NULL || to == NULL)
			err = -ENOMEM;
		else if (rename(from, to) != 0 && errno != ENOENT)
			err = -errno;
		free(from);
		free(to);
		if (err != 0)
			return (err);
	}
	a->rotations++;
	return (0);
}

/* Appends one entry as a JSON line. */
int
node_audit_write(struct node_audit *a, const struct node_audit_entry *e)
{
	struct timespec	 ts;
	struct stat	 st;
	json_t		*o;	/* owned */
	char		*line = NULL, tbuf[80];
	size_t		 len;
	int64_t		 ms = e->time_ms;
	ssize_t		 w;
	int		 fd = -1, err = 0;

	if (ms == 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	}
	time_format(ms, tbuf, sizeof(tbuf));
	o = json_object();
	if (o == NULL)
		return (-ENOMEM);
	set_text(o, "time", tbuf);
	set_text(o, "client", e->client);
	set_text(o, "client_name", e->client_name);
	set_text(o, "key", e->key);
	set_text(o, "role", e->role);
	set_text(o, "method", e->method);
	set_text(o, "target", e->target);
	set_text(o, "outcome", e->outcome);
	set_text(o, "error", e->error);
	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (line == NULL) {
		err = -ENOMEM;
		goto out;
	}
	len = strlen(line);
	line[len++] = '\n';	/* json_dumps leaves room: NUL becomes \n */
	if (stat(a->path, &st) == 0 && st.st_size > 0 &&
	    (size_t)st.st_size + len > a->max_bytes) {
		err = rotate(a);
		if (err != 0)
			goto out;
	}
	fd = open(a->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	w = write(fd, line, len);
	if (w < 0)
		err = -errno;
	else if ((size_t)w != len)
		err = -EIO;
	else
		a->lines++;
out:
	if (fd >= 0)
		close(fd);
	free(line);
	if (err != 0)
		a->failures++;
	return (err);
}

/* Unix seconds of an entry's "time", or -1. */
static int64_t
entry_time(const json_t *e)
{
	struct tm	 tm;
	const char	*s = json_string_value(json_object_get(e, "time"));

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
		return (-1);
	return ((int64_t)timegm(&tm));
}

/*
 * Reads one file's lines into a new array (oldest first), keeping only
 * entries at or after since. -ENOENT if the file is absent.
 */
static int
read_file(const char *path, int64_t since, json_t **out)
{
	FILE	*fp;
	json_t	*arr, *e;	/* owned */
	char	*line = NULL;
	size_t	 cap = 0;
	ssize_t	 n;

	*out = NULL;
	fp = fopen(path, "re");
	if (fp == NULL)
		return (-errno);
	arr = json_array();
	if (arr == NULL) {
		fclose(fp);
		return (-ENOMEM);
	}
	while ((n = getline(&line, &cap, fp)) > 0) {
		if (n > AUDIT_LINE_MAX)
			continue;
		e = json_loadb(line, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(e) || (since > 0 && entry_time(e) <
		    since)) {
			json_decref(e);
			continue;
		}
		(void)json_array_append_new(arr, e);
	}
	free(line);
	fclose(fp);
	*out = arr;
	return (0);
}

/* The last tail entries at or after since, across rotated files. */
int
node_audit_read(const struct node_audit *a, size_t tail, int64_t since,
    json_t **out, char **cause)
{
	json_t		*all, *part, *res;	/* owned */
	char		*path;
	size_t		 i, n, from;
	unsigned	 f;
	int		 err;

	*out = NULL;
	all = json_array();
	if (all == NULL)
		return (-ENOMEM);
	/* Newest file first; stop once tail entries are in hand. */
	for (f = 0; f <= a->keep && json_array_size(all) < tail; f++) {
		path = rotated(a, f);
		if (path == NULL) {
			json_decref(all);
			return (-ENOMEM);
		}
		err = read_file(path, since, &part);
		if (err == -ENOENT) {
			free(path);
			continue;
		}
		if (err != 0) {
			if (asprintf(cause, "cannot read %s: %s", path,
			    strerror(-err)) < 0)
				*cause = NULL;
			free(path);
			json_decref(all);
			return (err);
		}
		free(path);
		(void)json_array_extend(part, all);
		json_decref(all);
		all = part;
	}
	n = json_array_size(all);
	from = n > tail ? n - tail : 0;
	res = json_array();
	for (i = from; res != NULL && i < n; i++)
		(void)json_array_append(res, json_array_get(all, i));
	json_decref(all);
	if (res == NULL)
		return (-ENOMEM);
	*out = res;
	return (0);
}
