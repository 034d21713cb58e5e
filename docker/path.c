/*
 * Request paths for the Engine API. Object names come from peers through
 * node/, so each is escaped to stay inside its own path segment: a name
 * like "../images/prune" must never reach another endpoint. Query values
 * are escaped too. Errors are sticky and surface at dk_path_request.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"

/* Appends n bytes, growing the buffer. */
static void
put(struct dk_path *p, const char *s, size_t n)
{
	size_t cap;
	char *nb;

	if (p->error != 0)
		return;
	if (p->len + n + 1 > p->cap) {
		cap = p->cap ? p->cap : 128;
		while (cap < p->len + n + 1)
			cap *= 2;
		nb = realloc(p->buf, cap);
		if (nb == NULL) {
			p->error = -ENOMEM;
			return;
		}
		p->buf = nb;
		p->cap = cap;
	}
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	p->buf[p->len] = '\0';
}

/* Appends a string. */
static void
puts_(struct dk_path *p, const char *s)
{
	put(p, s, strlen(s));
}

/* Appends s percent-encoded; chars in keep stay as they are. */
static void
put_escaped(struct dk_path *p, const char *s, const char *keep)
{
	static const char hex[] = "0123456789ABCDEF";
	char e[3];
	unsigned char ch;

	for (; *s != '\0'; s++) {
		ch = (unsigned char)*s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		    ch == '~' || (ch != '\0' && strchr(keep, ch) != NULL)) {
			put(p, s, 1);
			continue;
		}
		e[0] = '%';
		e[1] = hex[ch >> 4];
		e[2] = hex[ch & 15];
		put(p, e, 3);
	}
}

/* Starts a path with an escaped name between prefix and suffix. */
static void
init(struct dk_path *p, const char *prefix, const char *name,
    const char *suffix, const char *keep)
{
	memset(p, 0, sizeof *p);
	puts_(p, prefix);
	if (name != NULL || suffix != NULL) {
		if (name == NULL || *name == '\0') {
			p->error = -EINVAL;
			return;
		}
		puts_(p, "/");
		/* '.' is escaped too, so "." and ".." stay names. */
		put_escaped(p, name, keep);
	}
	if (suffix != NULL)
		puts_(p, suffix);
}

/* Starts a path for a container, volume or network name. */
void
dk_path_init(struct dk_path *p, const char *prefix, const char *name,
    const char *suffix)
{
	init(p, prefix, name, suffix, "");
}

/* Starts a path for an image reference ("repo/name:tag@digest"). */
void
dk_path_init_image(struct dk_path *p, const char *prefix, const char *name,
    const char *suffix)
{
	init(p, prefix, name, suffix, "/:@");
}

/* Appends one query parameter. */
void
dk_path_add(struct dk_path *p, const char *key, const char *value)
{
	if (value == NULL)
		return;
	puts_(p, p->nquery++ == 0 ? "?" : "&");
	put_escaped(p, key, ".");
	puts_(p, "=");
	put_escaped(p, value, ".");
}

/* Appends key=1 when on. */
void
dk_path_add_bool(struct dk_path *p, const char *key, int on)
{
	if (on)
		dk_path_add(p, key, "1");
}

/* Appends key=n. */
void
dk_path_add_int(struct dk_path *p, const char *key, long long n)
{
	char buf[32];

	(void)snprintf(buf, sizeof buf, "%lld", n);
	dk_path_add(p, key, buf);
}

/* Appends key=<compact JSON>. */
void
dk_path_add_json(struct dk_path *p, const char *key, const json_t *v)
{
	char *s;

	if (v == NULL)
		return;
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (s == NULL) {
		if (p->error == 0)
			p->error = -EINVAL;
		return;
	}
	dk_path_add(p, key, s);
	free(s);
}

/* Frees a path's buffer. */
void
dk_path_free(struct dk_path *p)
{
	free(p->buf);
	memset(p, 0, sizeof *p);
}

/* Sends a request to a built path. */
int
dk_path_request(struct dk_client *c, struct dk_path *p, const char *method,
    json_t *body, int flags, dk_req_cb *cb, void *arg, struct dk_req **reqp)
{
	struct dk_req_opts o = {
		.method = method,
		.path = p->buf,
		.body = body,
		.flags = flags,
	};

	if (reqp != NULL)
		*reqp = NULL;
	if (p->error != 0)
		return (p->error);
	if (p->buf == NULL)
		return (-EINVAL);
	return (dk_request(c, &o, cb, arg, reqp));
}

/* Builds a filters object from "key=value" strings. */
json_t *
dk_filters(const char *const *kv)
{
	json_t *f, *a;		/* owned, borrowed */
	const char *eq;
	char *key;

	f = json_object();
	if (f == NULL)
		return (NULL);
	for (; kv != NULL && *kv != NULL; kv++) {
		eq = strchr(*kv, '=');
		if (eq == NULL || eq == *kv)
			goto fail;
		key = strndup(*kv, (size_t)(eq - *kv));
		if (key == NULL)
			goto fail;
		a = json_object_get(f, key);
		if (a == NULL) {
			if (json_object_set_new(f, key, json_array()) != 0) {
				free(key);
				goto fail;
			}
			a = json_object_get(f, key);
		}
		free(key);
		if (json_array_append_new(a, json_string(eq + 1)) != 0)
			goto fail;
	}
	return (f);
fail:
	json_decref(f);
	return (NULL);
}
