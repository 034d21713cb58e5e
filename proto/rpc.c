/*
 * JSON-RPC 2.0 on channel 0: the framing (a 4-byte big-endian length and
 * that many bytes of UTF-8 JSON), an incremental decoder fed chunks of any
 * size, the parser that turns one body into a validated struct proto_msg,
 * and the builders of requests, notifications and replies.
 *
 * The decoder and the parser defend against the peer separately. A length
 * over the limit is refused before a byte of the body is buffered, and it
 * ends the channel, since the stream can no longer be trusted. A body that
 * is well framed but not acceptable JSON is a parse error reply and the
 * channel goes on; its nesting is measured before jansson sees it, so a
 * depth bomb costs a linear scan and nothing more.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

/* The buffer a decoder keeps between messages; larger ones are freed. */
#define PROTO_DEC_KEEP		4096
/* Longest string id accepted, in bytes. */
#define PROTO_ID_MAX		256
/* Longest method name accepted, in bytes. */
#define PROTO_METHOD_MAX	128
/* Longest error message sent, in bytes; longer ones are cut. */
#define PROTO_MESSAGE_MAX	4096

/* Aborts: memory for a small internal object ran out. */
static void __attribute__((noreturn))
proto_oom(void)
{
	fprintf(stderr, "pier: out of memory\n");
	abort();
}

/* Returns a malloc'd printf-style string; aborts if memory runs out. */
char *
proto_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		proto_oom();
	return (s);
}

/* Sets up a decoder taking bodies of at most max bytes. */
void
proto_dec_init(struct proto_dec *d, size_t max)
{
	memset(d, 0, sizeof *d);
	d->max = max != 0 ? max : PROTO_MSG_MAX;
}

/* Frees what the decoder holds. */
void
proto_dec_free(struct proto_dec *d)
{
	free(d->buf);
	d->buf = NULL;
	d->cap = d->len = d->hlen = d->want = 0;
}

/* Tells whether the decoder holds part of a message. */
int
proto_dec_pending(const struct proto_dec *d)
{
	return (d->hlen != 0);
}

/* Makes room for need body bytes, growing geometrically up to want. */
static int
proto_dec_reserve(struct proto_dec *d, size_t need)
{
	size_t cap;
	char *p;

	if (need <= d->cap)
		return (0);
	cap = d->cap != 0 ? d->cap : 1024;
	while (cap < need)
		cap *= 2;
	if (cap > d->want)
		cap = d->want;
	p = realloc(d->buf, cap);
	if (p == NULL)
		return (-ENOMEM);
	d->buf = p;
	d->cap = cap;
	return (0);
}

/* Feeds bytes of channel 0 and calls cb for every whole message. */
int
proto_dec_feed(struct proto_dec *d, const void *data, size_t len,
    proto_msg_cb cb, void *arg)
{
	const uint8_t *p = data;
	size_t n;
	int rc;

	while (len > 0 || (d->hlen == PROTO_MSG_HDR && d->want == 0)) {
		if (d->hlen < PROTO_MSG_HDR) {
			n = PROTO_MSG_HDR - d->hlen;
			if (n > len)
				n = len;
			memcpy(d->hdr + d->hlen, p, n);
			d->hlen += n;
			p += n;
			len -= n;
			if (d->hlen < PROTO_MSG_HDR)
				break;
			d->want = (size_t)d->hdr[0] << 24 |
			    (size_t)d->hdr[1] << 16 |
			    (size_t)d->hdr[2] << 8 | d->hdr[3];
			if (d->want > d->max)
				return (-EMSGSIZE);
			d->len = 0;
		}
		n = d->want - d->len;
		if (n > len)
			n = len;
		if (d->len == 0 && n == d->want) {
			/* The whole body is in this chunk: no copy. */
			d->hlen = 0;
			d->want = 0;
			rc = cb(arg, (const char *)p, n);
			p += n;
			len -= n;
			if (rc != 0)
				return (rc);
			continue;
		}
		if (n == 0)
			break;
		rc = proto_dec_reserve(d, d->len + n);
		if (rc != 0)
			return (rc);
		memcpy(d->buf + d->len, p, n);
		d->len += n;
		p += n;
		len -= n;
		if (d->len < d->want)
			break;
		n = d->len;
		d->hlen = 0;
		d->want = 0;
		d->len = 0;
		rc = cb(arg, d->buf, n);
		if (rc != 0)
			return (rc);
		if (d->cap > PROTO_DEC_KEEP) {
			free(d->buf);
			d->buf = NULL;
			d->cap = 0;
		}
	}
	return (0);
}

/* A dump in progress: head bytes kept free in front, at most max after. */
struct dump_buf {
	char	*p;
	size_t	 len, cap, max;
	int	 err;
};

/* jansson's writer: appends a piece, growing the buffer; -1 stops it. */
static int
dump_put(const char *s, size_t n, void *arg)
{
	struct dump_buf	*b = arg;
	size_t		 cap;
	char		*p;

	if (n > b->max || b->len + n > b->max) {
		b->err = -EMSGSIZE;
		return (-1);
	}
	if (b->len + n + 1 > b->cap) {
		cap = b->cap * 2 > b->len + n + 1 ? b->cap * 2 : b->len + n + 1;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->err = -ENOMEM;
			return (-1);
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	return (0);
}

/* Dumps v once, compact (see proto.h). */
int
proto_dump(const json_t *v, size_t head, size_t max, char **out,
    size_t *outlen)
{
	struct dump_buf	b;

	*out = NULL;
	*outlen = 0;
	memset(&b, 0, sizeof(b));
	b.cap = head + 512;
	b.max = head + max;
	if ((b.p = malloc(b.cap)) == NULL)
		return (-ENOMEM);
	b.len = head;
	if (json_dump_callback(v, dump_put, &b, JSON_COMPACT) != 0 ||
	    b.len == head) {
		free(b.p);
		return (b.err != 0 ? b.err : -EINVAL);
	}
	*out = b.p;
	*outlen = b.len;
	return (0);
}

/* Frames a message: 4-byte length, then compact JSON. */
int
proto_encode(const json_t *msg, size_t max, char **out, size_t *outlen)
{
	size_t	n;
	char	*buf;
	int	err;

	*out = NULL;
	*outlen = 0;
	if (max == 0)
		max = PROTO_MSG_MAX;
	if (max > UINT32_MAX)
		max = UINT32_MAX;
	/* One pass: the body is written once, its length put in front. */
	err = proto_dump(msg, PROTO_MSG_HDR, max, &buf, &n);
	if (err != 0)
		return (err);
	n -= PROTO_MSG_HDR;
	buf[0] = (char)(n >> 24);
	buf[1] = (char)(n >> 16);
	buf[2] = (char)(n >> 8);
	buf[3] = (char)n;
	*out = buf;
	*outlen = PROTO_MSG_HDR + n;
	return (0);
}

/* Checks the nesting depth of a body, outside strings. */
int
proto_depth_check(const char *body, size_t len, int max)
{
	size_t i;
	int depth = 0, instr = 0, esc = 0;

	for (i = 0; i < len; i++) {
		if (instr) {
			if (esc)
				esc = 0;
			else if (body[i] == '\\')
				esc = 1;
			else if (body[i] == '"')
				instr = 0;
			continue;
		}
		switch (body[i]) {
		case '"':
			instr = 1;
			break;
		case '[':
		case '{':
			if (++depth > max)
				return (PROTO_E_PARSE);
			break;
		case ']':
		case '}':
			depth--;
			break;
		}
	}
	return (0);
}

/* Fails a parse: sets *cause and returns code. */
static int
proto_msg_fail(char **cause, int code, const char *what)
{
	if (cause != NULL)
		*cause = proto_xasprintf("%s", what);
	return (code);
}

/* Checks that obj has only the members named in the NULL-ended allowed. */
static int
proto_msg_members(json_t *obj, const char *const *allowed, char **cause)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(obj, key, v) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL) {
			if (cause != NULL)
				*cause = proto_xasprintf(
				    "unknown member \"%.64s\"", key);
			return (PROTO_E_INVALID);
		}
	}
	return (0);
}

/* Validates the method part of a request or notification. */
static int
proto_msg_call(struct proto_msg *m, json_t *method, char **cause)
{
	static const char *const members[] = {
		"jsonrpc", "id", "method", "params", NULL
	};
	json_t *params;
	int rc;

	if (!json_is_string(method) || json_string_length(method) == 0 ||
	    json_string_length(method) > PROTO_METHOD_MAX)
		return (proto_msg_fail(cause, PROTO_E_INVALID,
		    "method must be a non-empty string of at most 128 bytes"));
	rc = proto_msg_members(m->root, members, cause);
	if (rc != 0)
		return (rc);
	params = json_object_get(m->root, "params");
	if (params != NULL && json_is_array(params))
		return (proto_msg_fail(cause, PROTO_E_PARAMS,
		    "params must be an object: parameters go by name"));
	if (params != NULL && !json_is_object(params))
		return (proto_msg_fail(cause, PROTO_E_INVALID,
		    "params must be an object when present"));
	m->method = json_string_value(method);
	m->params = params;
	m->kind = m->id != NULL ? PROTO_REQUEST : PROTO_NOTIFY;
	return (0);
}

/* Validates the reply part of a result or error. */
static int
proto_msg_reply(struct proto_msg *m, json_t *result, json_t *error,
    int null_id, char **cause)
{
	static const char *const rmembers[] = {
		"jsonrpc", "id", "result", NULL
	};
	static const char *const emembers[] = {
		"jsonrpc", "id", "error", NULL
	};
	static const char *const errmembers[] = {
		"code", "message", "data", NULL
	};
	json_t *code, *message;
	int rc;

	if (result != NULL && error != NULL)
		return (proto_msg_fail(cause, PROTO_E_INVALID,
		    "a reply has a result or an error, not both"));
	if (m->id == NULL && !(error != NULL && null_id))
		return (proto_msg_fail(cause, PROTO_E_INVALID,
		    "a reply needs the id of its request"));
	if (result != NULL) {
		rc = proto_msg_members(m->root, rmembers, cause);
		if (rc != 0)
			return (rc);
		m->kind = PROTO_RESULT;
		m->result = result;
		return (0);
	}
	rc = proto_msg_members(m->root, emembers, cause);
	if (rc != 0)
		return (rc);
	if (!json_is_object(error))
		return (proto_msg_fail(cause, PROTO_E_INVALID,
		    "error must be an object"));
	rc = proto_msg_members(error, errmembers, cause);
	if (rc != 0)
		return (rc);
	code = json_object_get(error, "code");
	message = json_object_get(error, "message");
	if (!json_is_integer(code) || json_integer_value(code) < INT32_MIN ||
	    json_integer_value(code) > INT32_MAX)
		return (proto_msg_fail(cause, PROTO_E_INVALID,
		    "error.code must be a 32-bit integer"));
	if (!json_is_string(message))
		return (proto_msg_fail(cause, PROTO_E_INVALID,
		    "error.message must be a string"));
	m->kind = PROTO_ERROR;
	m->code = (int)json_integer_value(code);
	m->message = json_string_value(message);
	m->data = json_object_get(error, "data");
	return (0);
}

/* Parses and validates one message body. */
int
proto_msg_parse(struct proto_msg *m, const char *body, size_t len,
    int depth_max, char **cause)
{
	json_error_t jerr;
	json_t *id, *v, *method, *result, *error;
	int null_id = 0;

	memset(m, 0, sizeof *m);
	if (cause != NULL)
		*cause = NULL;
	if (len == 0)
		return (proto_msg_fail(cause, PROTO_E_PARSE,
		    "empty message"));
	if (depth_max <= 0)
		depth_max = PROTO_DEPTH_MAX;
	if (proto_depth_check(body, len, depth_max) != 0) {
		if (cause != NULL)
			*cause = proto_xasprintf("JSON nested deeper than %d",
			    depth_max);
		return (PROTO_E_PARSE);
	}
	m->root = json_loadb(body, len, JSON_REJECT_DUPLICATES |
	    JSON_DECODE_ANY, &jerr);
	if (m->root == NULL) {
		if (cause != NULL)
			*cause = proto_xasprintf("invalid JSON at byte %d: %s",
			    jerr.position, jerr.text);
		return (PROTO_E_PARSE);
	}
	if (json_is_array(m->root))
		return (proto_msg_fail(cause, PROTO_E_INVALID,
		    "batch requests are not supported: "
		    "send one message per frame"));
	if (!json_is_object(m->root))
		return (proto_msg_fail(cause, PROTO_E_INVALID,
		    "a message must be a JSON object"));
	id = json_object_get(m->root, "id");
	if (id != NULL) {
		if (json_is_integer(id) || (json_is_string(id) &&
		    json_string_length(id) <= PROTO_ID_MAX))
			m->id = id;
		else if (json_is_null(id))
			null_id = 1;
		else
			return (proto_msg_fail(cause, PROTO_E_INVALID,
			    "id must be an integer or a string of at most "
			    "256 bytes"));
	}
	v = json_object_get(m->root, "jsonrpc");
	if (!json_is_string(v) || strcmp(json_string_value(v), "2.0") != 0)
		return (proto_msg_fail(cause, PROTO_E_INVALID,
		    "jsonrpc must be \"2.0\""));
	method = json_object_get(m->root, "method");
	result = json_object_get(m->root, "result");
	error = json_object_get(m->root, "error");
	if (method != NULL) {
		if (result != NULL || error != NULL)
			return (proto_msg_fail(cause, PROTO_E_INVALID,
			    "a message is a call or a reply, not both"));
		if (null_id)
			return (proto_msg_fail(cause, PROTO_E_INVALID,
			    "id must be an integer or a string of at most "
			    "256 bytes"));
		return (proto_msg_call(m, method, cause));
	}
	if (result != NULL || error != NULL)
		return (proto_msg_reply(m, result, error, null_id, cause));
	return (proto_msg_fail(cause, PROTO_E_INVALID,
	    "a message needs a method, a result or an error"));
}

/* Releases what a parse left in m. */
void
proto_msg_clear(struct proto_msg *m)
{
	json_decref(m->root);
	memset(m, 0, sizeof *m);
}

/* Returns a JSON string of s, replacing bytes that are not UTF-8. */
static json_t *
proto_string_lossy(const char *s, size_t max)
{
	json_t *j;
	char *copy;
	size_t len, i;

	len = strnlen(s, max);
	j = json_stringn(s, len);
	if (j != NULL)
		return (j);
	/* Not UTF-8 (or cut inside a character): keep the ASCII. */
	copy = malloc(len + 1);
	if (copy == NULL)
		proto_oom();
	for (i = 0; i < len; i++)
		copy[i] = (s[i] & 0x80) != 0 || s[i] == 0 ? '?' : s[i];
	copy[len] = '\0';
	j = json_stringn(copy, len);
	free(copy);
	if (j == NULL)
		proto_oom();
	return (j);
}

/* Returns v, aborting if it is NULL because memory ran out. */
static json_t *
proto_nonnull(json_t *v)
{
	if (v == NULL)
		proto_oom();
	return (v);
}

/* A request {jsonrpc, id, method, params}. */
json_t *
proto_request_new(json_int_t id, const char *method, json_t *params)
{
	json_t *msg;

	msg = proto_nonnull(json_pack("{s:s, s:I, s:s}", "jsonrpc", "2.0",
	    "id", id, "method", method));
	if (params != NULL && json_object_set_new(msg, "params", params) != 0)
		proto_oom();
	return (msg);
}

/* A notification {jsonrpc, method, params}. */
json_t *
proto_notify_new(const char *method, json_t *params)
{
	json_t *msg;

	msg = proto_nonnull(json_pack("{s:s, s:s}", "jsonrpc", "2.0",
	    "method", method));
	if (params != NULL && json_object_set_new(msg, "params", params) != 0)
		proto_oom();
	return (msg);
}

/* A result reply to id. */
json_t *
proto_result_new(const json_t *id, json_t *result)
{
	json_t *msg;

	if (result == NULL)
		result = proto_nonnull(json_object());
	msg = proto_nonnull(json_pack("{s:s, s:O?, s:o}", "jsonrpc", "2.0",
	    "id", id, "result", result));
	return (msg);
}

/* An error reply to id; data gains "name". */
json_t *
proto_error_new(const json_t *id, int code, const char *message,
    json_t *data)
{
	json_t *err, *d;

	if (data != NULL && json_is_object(data))
		d = data;
	else {
		d = proto_nonnull(json_object());
		if (data != NULL && json_object_set_new(d, "detail",
		    data) != 0)
			proto_oom();
	}
	if (json_object_set_new(d, "name",
	    proto_nonnull(json_string(proto_err_name(code)))) != 0)
		proto_oom();
	if (message == NULL)
		message = proto_strerror(code);
	err = proto_nonnull(json_pack("{s:i, s:o, s:o}", "code", code,
	    "message", proto_string_lossy(message, PROTO_MESSAGE_MAX),
	    "data", d));
	return (proto_nonnull(json_pack("{s:s, s:O?, s:o}", "jsonrpc", "2.0",
	    "id", id, "error", err)));
}

/* proto_error_new with a printf-style message. */
json_t *
proto_errorf(const json_t *id, int code, const char *fmt, ...)
{
	va_list ap;
	json_t *msg;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		proto_oom();
	va_end(ap);
	msg = proto_error_new(id, code, s, NULL);
	free(s);
	return (msg);
}
