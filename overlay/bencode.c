/*
 * Bencode (BEP 3), the encoding of every DHT message.
 *
 * The decoder is strict and bounded: it walks the input once without
 * recursion (an explicit stack of OVL_BEN_DEPTH_MAX), writes at most the
 * caller's number of values, copies nothing (strings point into the
 * input) and rejects everything BEP 3 does not allow: leading zeros,
 * "-0", integers beyond 64 bits, dict keys that are not strings in
 * strictly ascending order, a dict ending on a key, bytes after the
 * value. Every mainline implementation we read (libtorrent, jech/dht,
 * the bencode npm package) writes sorted keys, so strictness costs no
 * peer and gives one canonical reading of each message.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "overlay.h"

/* One open list or dict while decoding. */
struct ben_frame {
	int		 at;		/* its index in v */
	const uint8_t	*key;		/* a dict's last key */
	size_t		 keylen;
};

/* Parses the integer at buf[*pos] ('i' already seen at *pos - 1). */
static int
ben_int(const uint8_t *buf, size_t len, size_t *pos, int64_t *out)
{
	size_t p = *pos, start;
	uint64_t u = 0, lim = INT64_MAX;
	int neg = 0;

	if (p < len && buf[p] == '-') {
		neg = 1;
		lim = (uint64_t)INT64_MAX + 1;
		p++;
	}
	start = p;
	while (p < len && buf[p] >= '0' && buf[p] <= '9') {
		if (u > (lim - (uint64_t)(buf[p] - '0')) / 10)
			return (-EBADMSG);
		u = u * 10 + (uint64_t)(buf[p] - '0');
		p++;
	}
	if (p == start || p >= len || buf[p] != 'e')
		return (-EBADMSG);
	if (buf[start] == '0' && (p - start > 1 || neg))
		return (-EBADMSG);
	*out = neg ? (int64_t)(0 - u) : (int64_t)u;
	*pos = p + 1;
	return (0);
}

/* Parses the string whose length starts at buf[*pos]. */
static int
ben_str(const uint8_t *buf, size_t len, size_t *pos, const uint8_t **s,
    size_t *slen)
{
	size_t p = *pos, n = 0, start = p;

	while (p < len && buf[p] >= '0' && buf[p] <= '9') {
		n = n * 10 + (size_t)(buf[p] - '0');
		if (n > len)
			return (-EBADMSG);
		p++;
	}
	if (p == start || p >= len || buf[p] != ':')
		return (-EBADMSG);
	if (buf[start] == '0' && p - start > 1)
		return (-EBADMSG);
	p++;
	if (n > len - p)
		return (-EBADMSG);
	*s = buf + p;
	*slen = n;
	*pos = p + n;
	return (0);
}

/* Compares two byte strings as BEP 3 orders keys. */
static int
ben_keycmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int c;

	c = memcmp(a, b, alen < blen ? alen : blen);
	if (c != 0)
		return (c);
	return (alen < blen ? -1 : alen > blen);
}

/* Decodes one value spanning buf into v. */
int
ovl_ben_decode(const uint8_t *buf, size_t len, struct ovl_ben *v, size_t max)
{
	struct ben_frame st[OVL_BEN_DEPTH_MAX];
	struct ben_frame *top;
	struct ovl_ben *x;
	size_t pos = 0;
	int depth = 0, count = 0, rc;

	if (max > INT32_MAX)
		max = INT32_MAX;
	for (;;) {
		if (pos >= len)
			return (-EBADMSG);
		top = depth > 0 ? &st[depth - 1] : NULL;
		if (top != NULL && buf[pos] == 'e') {
			x = &v[top->at];
			if (x->type == OVL_BEN_DICT && (x->n & 1) != 0)
				return (-EBADMSG);
			x->next = (uint32_t)count;
			pos++;
			if (--depth == 0)
				break;
			continue;
		}
		if ((size_t)count >= max)
			return (-E2BIG);
		x = &v[count];
		memset(x, 0, sizeof *x);
		if (top != NULL && v[top->at].type == OVL_BEN_DICT &&
		    (v[top->at].n & 1) == 0 &&
		    (buf[pos] < '0' || buf[pos] > '9'))
			return (-EBADMSG);
		switch (buf[pos]) {
		case 'i':
			pos++;
			x->type = OVL_BEN_INT;
			if ((rc = ben_int(buf, len, &pos, &x->i)) != 0)
				return (rc);
			break;
		case 'l':
		case 'd':
			if (depth >= OVL_BEN_DEPTH_MAX)
				return (-E2BIG);
			x->type = buf[pos] == 'l' ? OVL_BEN_LIST : OVL_BEN_DICT;
			pos++;
			break;
		default:
			x->type = OVL_BEN_STR;
			if ((rc = ben_str(buf, len, &pos, &x->s, &x->len)) != 0)
				return (rc);
			break;
		}
		x->next = (uint32_t)count + 1;
		if (top != NULL) {
			if (v[top->at].type == OVL_BEN_DICT &&
			    (v[top->at].n & 1) == 0) {
				if (top->key != NULL && ben_keycmp(top->key,
				    top->keylen, x->s, x->len) >= 0)
					return (-EBADMSG);
				top->key = x->s != NULL ? x->s : buf;
				top->keylen = x->len;
			}
			v[top->at].n++;
		}
		count++;
		if (x->type == OVL_BEN_LIST || x->type == OVL_BEN_DICT) {
			st[depth].at = count - 1;
			st[depth].key = NULL;
			st[depth].keylen = 0;
			depth++;
		} else if (depth == 0)
			break;
	}
	if (pos != len)
		return (-EBADMSG);
	return (count);
}

/* Finds key in dict d. */
int
ovl_ben_get(const struct ovl_ben *v, int d, const char *key)
{
	size_t klen = strlen(key);
	uint32_t i, k;

	if (d < 0 || v[d].type != OVL_BEN_DICT)
		return (-1);
	k = (uint32_t)d + 1;
	for (i = 0; i < v[d].n; i += 2) {
		if (v[k].len == klen && memcmp(v[k].s, key, klen) == 0)
			return ((int)k + 1);
		k = v[k + 1].next;
	}
	return (-1);
}

/* Finds key in dict d with a value of type t. */
int
ovl_ben_get_type(const struct ovl_ben *v, int d, const char *key,
    enum ovl_ben_type t)
{
	int i;

	i = ovl_ben_get(v, d, key);
	return (i >= 0 && v[i].type == t ? i : -1);
}

/* Starts an encoder. */
void
ovl_benw_init(struct ovl_benw *w, uint8_t *p, size_t cap)
{
	w->p = p;
	w->cap = cap;
	w->len = 0;
	w->err = 0;
}

/* Appends raw bytes, or marks the encoder full. */
static void
benw_raw(struct ovl_benw *w, const void *s, size_t n)
{
	if (w->err != 0)
		return;
	if (n > w->cap - w->len) {
		w->err = -ENOBUFS;
		return;
	}
	if (n > 0)
		memcpy(w->p + w->len, s, n);
	w->len += n;
}

/* Writes an integer. */
void
ovl_benw_int(struct ovl_benw *w, int64_t i)
{
	char tmp[32];
	int n;

	n = snprintf(tmp, sizeof tmp, "i%" PRId64 "e", i);
	benw_raw(w, tmp, (size_t)n);
}

/* Writes a byte string. */
void
ovl_benw_str(struct ovl_benw *w, const void *s, size_t len)
{
	char tmp[32];
	int n;

	n = snprintf(tmp, sizeof tmp, "%zu:", len);
	benw_raw(w, tmp, (size_t)n);
	benw_raw(w, s, len);
}

/* Writes a NUL-terminated string. */
void
ovl_benw_cstr(struct ovl_benw *w, const char *s)
{
	ovl_benw_str(w, s, strlen(s));
}

/* Opens a dict or a list. */
void
ovl_benw_open(struct ovl_benw *w, char kind)
{
	benw_raw(w, &kind, 1);
}

/* Closes a dict or a list. */
void
ovl_benw_close(struct ovl_benw *w)
{
	benw_raw(w, "e", 1);
}

/* Returns the length or the error. */
int
ovl_benw_end(const struct ovl_benw *w)
{
	return (w->err != 0 ? w->err : (int)w->len);
}
