/*
 * Tests of proto/rpc.c and errors.c: channel 0 framing (every split point,
 * oversize, zero length, stopping), the depth scan, parsing and validating
 * every kind of message and each JSON-RPC error case, the reply builders,
 * and the error table's invariants.
 */
#include <errno.h>
#include <string.h>

#include "proto.h"
#include "test.h"

/* What the decoder delivered, for comparison. */
struct got {
	char	*body[8];
	size_t	 len[8];
	int	 n;
	int	 stop_at;	/* return 7 from this message on (1-based) */
};

/* Collects one body. */
static int
got_cb(void *arg, const char *body, size_t len)
{
	struct got *g = arg;

	if (g->n >= 8)
		return (-1);
	g->body[g->n] = malloc(len + 1);
	memcpy(g->body[g->n], body, len);
	g->body[g->n][len] = '\0';
	g->len[g->n] = len;
	g->n++;
	if (g->stop_at != 0 && g->n >= g->stop_at)
		return (7);
	return (0);
}

/* Frees what got_cb collected. */
static void
got_free(struct got *g)
{
	int i;

	for (i = 0; i < g->n; i++)
		free(g->body[i]);
	memset(g, 0, sizeof *g);
}

/* Appends the framing of a JSON text to buf at *off. */
static void
frame(char *buf, size_t *off, const char *json)
{
	json_t *v;
	char *out;
	size_t len;

	v = json_loads(json, 0, NULL);
	ASSERT_NOT_NULL(v);
	ASSERT_OK(proto_encode(v, 0, &out, &len));
	json_decref(v);
	memcpy(buf + *off, out, len);
	*off += len;
	free(out);
}

/* Messages come out whole however the stream is split. */
static void
test_split_at_every_byte(void)
{
	static const char *msgs[] = {
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"node.info\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"result\":{\"x\":[1,2]}}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"n\",\"params\":{}}",
	};
	struct proto_dec d;
	struct got g = { 0 };
	char stream[512];
	size_t n = 0, i, k;
	int j;

	for (j = 0; j < 3; j++)
		frame(stream, &n, msgs[j]);
	/* Every two-piece split, then one byte at a time. */
	for (i = 0; i <= n; i++) {
		proto_dec_init(&d, 0);
		ASSERT_OK(proto_dec_feed(&d, stream, i, got_cb, &g));
		ASSERT_OK(proto_dec_feed(&d, stream + i, n - i, got_cb, &g));
		ASSERT_EQ(g.n, 3);
		for (j = 0; j < 3; j++)
			ASSERT_STREQ(g.body[j], msgs[j]);
		ASSERT(!proto_dec_pending(&d));
		got_free(&g);
		proto_dec_free(&d);
	}
	proto_dec_init(&d, 0);
	for (k = 0; k < n; k++) {
		ASSERT_OK(proto_dec_feed(&d, stream + k, 1, got_cb, &g));
		if (k == 0)
			ASSERT(proto_dec_pending(&d));
	}
	ASSERT(!proto_dec_pending(&d));
	ASSERT_EQ(g.n, 3);
	for (j = 0; j < 3; j++)
		ASSERT_STREQ(g.body[j], msgs[j]);
	got_free(&g);
	proto_dec_free(&d);
}

/* An oversize length fails at the header; the maximum passes. */
static void
test_oversize_is_fatal_before_buffering(void)
{
	struct proto_dec d;
	struct got g = { 0 };
	uint8_t hdr[4] = { 0, 0, 0, 101 };
	uint8_t big[4] = { 0xff, 0xff, 0xff, 0xff };
	char body[100];
	uint8_t exact[4] = { 0, 0, 0, 100 };

	proto_dec_init(&d, 100);
	/* The header alone is refused: no body byte was buffered. */
	ASSERT_EQ(proto_dec_feed(&d, hdr, 4, got_cb, &g), -EMSGSIZE);
	ASSERT_NULL(d.buf);
	proto_dec_free(&d);
	proto_dec_init(&d, 0);
	ASSERT_EQ(d.max, PROTO_MSG_MAX);
	ASSERT_EQ(proto_dec_feed(&d, big, 4, got_cb, &g), -EMSGSIZE);
	proto_dec_free(&d);
	/* Exactly the maximum passes. */
	proto_dec_init(&d, 100);
	memset(body, ' ', sizeof body);
	ASSERT_OK(proto_dec_feed(&d, exact, 4, got_cb, &g));
	ASSERT_OK(proto_dec_feed(&d, body, 50, got_cb, &g));
	ASSERT_EQ(g.n, 0);
	ASSERT_OK(proto_dec_feed(&d, body, 50, got_cb, &g));
	ASSERT_EQ(g.n, 1);
	ASSERT_EQ(g.len[0], 100);
	got_free(&g);
	proto_dec_free(&d);
}

/* Empty bodies are parse errors; non-zero from cb stops the feed. */
static void
test_zero_length_and_stop(void)
{
	struct proto_dec d;
	struct got g = { 0 };
	uint8_t zeros[12] = { 0 };
	struct proto_msg m;
	char *cause;

	proto_dec_init(&d, 0);
	ASSERT_OK(proto_dec_feed(&d, zeros, 12, got_cb, &g));
	ASSERT_EQ(g.n, 3);
	ASSERT_EQ(g.len[2], 0);
	/* An empty body is a parse error, not the channel's end. */
	ASSERT_EQ(proto_msg_parse(&m, g.body[0], 0, 0, &cause), PROTO_E_PARSE);
	ASSERT_CONTAINS(cause, "empty");
	free(cause);
	proto_msg_clear(&m);
	got_free(&g);
	/* The callback's non-zero return stops the feed at once. */
	g.stop_at = 2;
	ASSERT_EQ(proto_dec_feed(&d, zeros, 12, got_cb, &g), 7);
	ASSERT_EQ(g.n, 2);
	got_free(&g);
	proto_dec_free(&d);
}

/* The encoder writes the length prefix and honours its maximum. */
static void
test_encode_limit(void)
{
	json_t *v;
	char *out;
	size_t len;

	v = json_pack("{s:s}", "k", "0123456789");
	ASSERT_EQ(proto_encode(v, 10, &out, &len), -EMSGSIZE);
	ASSERT_NULL(out);
	ASSERT_OK(proto_encode(v, 0, &out, &len));
	ASSERT_EQ(len, 4 + strlen("{\"k\":\"0123456789\"}"));
	ASSERT_MEMEQ(out + 4, "{\"k\":\"0123456789\"}", len - 4);
	ASSERT_EQ((uint8_t)out[3], len - 4);
	free(out);
	json_decref(v);
}

/* Builds a request whose params nest depth levels in total. */
static char *
nested(int depth)
{
	char *s;
	int i, n = 0, inner = depth - 2;

	s = malloc(128 + 2 * (size_t)depth);
	n += sprintf(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\","
	    "\"params\":{\"a\":");
	for (i = 0; i < inner; i++)
		s[n++] = '[';
	for (i = 0; i < inner; i++)
		s[n++] = ']';
	sprintf(s + n, "}}");
	return (s);
}

/* Nesting past 32 is refused by the scan; brackets in strings pass. */
static void
test_depth_bomb(void)
{
	struct proto_msg m;
	char *s, *cause;
	const char *tricky;

	s = nested(PROTO_DEPTH_MAX);
	ASSERT_OK(proto_msg_parse(&m, s, strlen(s), 0, &cause));
	ASSERT_NULL(cause);
	proto_msg_clear(&m);
	free(s);
	s = nested(PROTO_DEPTH_MAX + 1);
	ASSERT_EQ(proto_msg_parse(&m, s, strlen(s), 0, &cause),
	    PROTO_E_PARSE);
	ASSERT_CONTAINS(cause, "deeper than 32");
	free(cause);
	proto_msg_clear(&m);
	free(s);
	/* A million brackets cost a scan, not a parse. */
	s = malloc(1000001);
	memset(s, '[', 1000000);
	s[1000000] = '\0';
	ASSERT_EQ(proto_depth_check(s, 1000000, 32), PROTO_E_PARSE);
	free(s);
	/* Brackets inside strings, and escaped quotes, do not count. */
	tricky = "{\"jsonrpc\":\"2.0\",\"id\":\"[[[[\\\"[[[[[[[[[[[[[[[[[[[["
	    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\",\"method\":\"m\"}";
	ASSERT_OK(proto_depth_check(tricky, strlen(tricky), 2));
	ASSERT_OK(proto_msg_parse(&m, tricky, strlen(tricky), 2, &cause));
	ASSERT_EQ(m.kind, PROTO_REQUEST);
	proto_msg_clear(&m);
}

/* A garbage body is a parse error; the next message still parses. */
static void
test_garbage_then_valid(void)
{
	static const char *good = "{\"jsonrpc\":\"2.0\",\"id\":9,"
	    "\"method\":\"node.info\"}";
	struct proto_dec d;
	struct got g = { 0 };
	struct proto_msg m;
	char stream[256], *cause;
	size_t n = 0, i;
	json_int_t id;

	/* A well-framed body of garbage, then a good message. */
	stream[n++] = 0;
	stream[n++] = 0;
	stream[n++] = 0;
	stream[n++] = 6;
	memcpy(stream + n, "\xff\x00{]\"x", 6);
	n += 6;
	frame(stream, &n, good);
	proto_dec_init(&d, 0);
	for (i = 0; i < n; i++)
		ASSERT_OK(proto_dec_feed(&d, stream + i, 1, got_cb, &g));
	ASSERT_EQ(g.n, 2);
	ASSERT_EQ(proto_msg_parse(&m, g.body[0], g.len[0], 0, &cause),
	    PROTO_E_PARSE);
	ASSERT_CONTAINS(cause, "invalid JSON");
	ASSERT_NULL(m.id);
	free(cause);
	proto_msg_clear(&m);
	ASSERT_OK(proto_msg_parse(&m, g.body[1], g.len[1], 0, &cause));
	id = json_integer_value(m.id);
	ASSERT_EQ(id, 9);
	ASSERT_STREQ(m.method, "node.info");
	ASSERT_NULL(m.params);
	proto_msg_clear(&m);
	got_free(&g);
	proto_dec_free(&d);
}

/* Requests with string and integer ids, and notifications, parse. */
static void
test_requests_ok(void)
{
	struct proto_msg m;
	const char *s;
	char *cause;

	s = "{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"method\":\"container.stop\","
	    "\"params\":{\"id\":\"web\",\"timeout\":5}}";
	ASSERT_OK(proto_msg_parse(&m, s, strlen(s), 0, &cause));
	ASSERT_EQ(m.kind, PROTO_REQUEST);
	ASSERT_STREQ(json_string_value(m.id), "abc");
	ASSERT_STREQ(m.method, "container.stop");
	ASSERT_EQ(proto_param_int(m.params, "timeout", -1), 5);
	proto_msg_clear(&m);
	s = "{\"method\":\"x.y\",\"jsonrpc\":\"2.0\"}";
	ASSERT_OK(proto_msg_parse(&m, s, strlen(s), 0, &cause));
	ASSERT_EQ(m.kind, PROTO_NOTIFY);
	ASSERT_NULL(m.id);
	proto_msg_clear(&m);
	s = "{\"jsonrpc\":\"2.0\",\"id\":-9223372036854775808,"
	    "\"method\":\"m\"}";
	ASSERT_OK(proto_msg_parse(&m, s, strlen(s), 0, &cause));
	ASSERT(json_integer_value(m.id) < 0);
	proto_msg_clear(&m);
}

/* One malformed message and what it must give. */
struct bad {
	const char	*json;
	int		 code;
	const char	*cause;
	int		 id;		/* the id expected back, or 0 */
};

/* Each malformed message gives its code, a cause and the id. */
static void
test_requests_invalid(void)
{
	static const struct bad cases[] = {
		{ "[]", PROTO_E_INVALID, "batch", 0 },
		{ "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\"}]",
		  PROTO_E_INVALID, "batch", 0 },
		{ "1", PROTO_E_INVALID, "JSON object", 0 },
		{ "\"s\"", PROTO_E_INVALID, "JSON object", 0 },
		{ "null", PROTO_E_INVALID, "JSON object", 0 },
		{ "{\"id\":1,\"method\":\"m\"}", PROTO_E_INVALID,
		  "jsonrpc", 1 },
		{ "{\"jsonrpc\":\"1.0\",\"id\":2,\"method\":\"m\"}",
		  PROTO_E_INVALID, "jsonrpc", 2 },
		{ "{\"jsonrpc\":2.0,\"id\":3,\"method\":\"m\"}",
		  PROTO_E_INVALID, "jsonrpc", 3 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":5}",
		  PROTO_E_INVALID, "method", 4 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"\"}",
		  PROTO_E_INVALID, "method", 5 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"aaaaaaaaaaaaaaaa"
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
		  PROTO_E_INVALID, "128", 6 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"m\"}",
		  PROTO_E_INVALID, "id must be", 0 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"m\"}",
		  PROTO_E_INVALID, "id must be", 0 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"m\"}",
		  PROTO_E_INVALID, "id must be", 0 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"m\"}",
		  PROTO_E_INVALID, "id must be", 0 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"m\","
		  "\"params\":[1,2]}", PROTO_E_PARAMS, "by name", 7 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"m\","
		  "\"params\":\"x\"}", PROTO_E_INVALID, "params", 8 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"m\","
		  "\"params\":null}", PROTO_E_INVALID, "params", 9 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"m\","
		  "\"extra\":1}", PROTO_E_INVALID, "unknown member", 10 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"m\","
		  "\"result\":1}", PROTO_E_INVALID, "not both", 11 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":12}", PROTO_E_INVALID,
		  "needs a method", 12 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"m\"}",
		  PROTO_E_PARSE, "duplicate", 0 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\"} x",
		  PROTO_E_PARSE, "invalid JSON", 0 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\xc3\x28\"}",
		  PROTO_E_PARSE, "invalid JSON", 0 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\\u0000\"}",
		  PROTO_E_PARSE, "invalid JSON", 0 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\"",
		  PROTO_E_PARSE, "invalid JSON", 0 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":99999999999999999999,"
		  "\"method\":\"m\"}", PROTO_E_PARSE, "invalid JSON", 0 },
	};
	struct proto_msg m;
	char *cause, longid[400];
	size_t i;
	int rc;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		rc = proto_msg_parse(&m, cases[i].json, strlen(cases[i].json),
		    0, &cause);
		if (rc != cases[i].code)
			FAIL("case %zu (%s): code %d, want %d (%s)", i,
			    cases[i].json, rc, cases[i].code, cause);
		ASSERT_CONTAINS(cause, cases[i].cause);
		if (cases[i].id != 0)
			ASSERT_EQ(json_integer_value(m.id), cases[i].id);
		else
			ASSERT_NULL(m.id);
		free(cause);
		proto_msg_clear(&m);
	}
	/* A string id of 257 bytes is too long. */
	snprintf(longid, sizeof longid,
	    "{\"jsonrpc\":\"2.0\",\"id\":\"%0257d\","
	    "\"method\":\"m\"}", 0);
	ASSERT_EQ(proto_msg_parse(&m, longid, strlen(longid), 0, &cause),
	    PROTO_E_INVALID);
	free(cause);
	proto_msg_clear(&m);
	/* cause may be NULL. */
	ASSERT_EQ(proto_msg_parse(&m, "[]", 2, 0, NULL), PROTO_E_INVALID);
	proto_msg_clear(&m);
}

/* Results and errors parse; malformed replies are refused. */
static void
test_replies_parse(void)
{
	static const struct bad cases[] = {
		{ "{\"jsonrpc\":\"2.0\",\"result\":1}", PROTO_E_INVALID,
		  "needs the id", 0 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":1}",
		  PROTO_E_INVALID, "needs the id", 0 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1,\"error\":{}}",
		  PROTO_E_INVALID, "not both", 1 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":2,\"error\":[]}",
		  PROTO_E_INVALID, "error must be an object", 2 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":\"x\","
		  "\"message\":\"m\"}}", PROTO_E_INVALID, "error.code", 3 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":4,\"error\":{\"code\":1}}",
		  PROTO_E_INVALID, "error.message", 4 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":5,\"error\":{\"code\":1,"
		  "\"message\":\"m\",\"x\":1}}", PROTO_E_INVALID,
		  "unknown member", 5 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":6,\"result\":1,\"x\":2}",
		  PROTO_E_INVALID, "unknown member", 6 },
	};
	struct proto_msg m;
	const char *s;
	char *cause;
	size_t i;

	s = "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"ok\":true}}";
	ASSERT_OK(proto_msg_parse(&m, s, strlen(s), 0, &cause));
	ASSERT_EQ(m.kind, PROTO_RESULT);
	ASSERT(json_is_true(json_object_get(m.result, "ok")));
	proto_msg_clear(&m);
	s = "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,"
	    "\"message\":\"bad\",\"data\":{\"name\":\"parse_error\"}}}";
	ASSERT_OK(proto_msg_parse(&m, s, strlen(s), 0, &cause));
	ASSERT_EQ(m.kind, PROTO_ERROR);
	ASSERT_NULL(m.id);
	ASSERT_EQ(m.code, PROTO_E_PARSE);
	ASSERT_STREQ(m.message, "bad");
	ASSERT_STREQ(json_string_value(json_object_get(m.data, "name")),
	    "parse_error");
	proto_msg_clear(&m);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (proto_msg_parse(&m, cases[i].json, strlen(cases[i].json),
		    0, &cause) != cases[i].code)
			FAIL("case %zu (%s): %s", i, cases[i].json, cause);
		ASSERT_CONTAINS(cause, cases[i].cause);
		free(cause);
		proto_msg_clear(&m);
	}
}

/* Encodes msg, decodes and parses it back into m. */
static void
round_trip(json_t *msg, struct proto_msg *m)
{
	char *out, *cause;
	size_t len;

	ASSERT_OK(proto_encode(msg, 0, &out, &len));
	ASSERT_OK(proto_msg_parse(m, out + 4, len - 4, 0, &cause));
	free(out);
}

/* Built messages round-trip; bad or long messages still make a reply. */
static void
test_builders(void)
{
	struct proto_msg m;
	json_t *id, *msg;
	char bad[5000];

	msg = proto_request_new(42, "container.list",
	    json_pack("{s:b}", "all", 1));
	round_trip(msg, &m);
	ASSERT_EQ(m.kind, PROTO_REQUEST);
	ASSERT_EQ(json_integer_value(m.id), 42);
	ASSERT_STREQ(m.method, "container.list");
	ASSERT(proto_param_bool(m.params, "all", 0));
	json_decref(msg);
	proto_msg_clear(&m);

	msg = proto_notify_new("x.y", NULL);
	round_trip(msg, &m);
	ASSERT_EQ(m.kind, PROTO_NOTIFY);
	json_decref(msg);
	proto_msg_clear(&m);

	id = json_string("req-1");
	msg = proto_result_new(id, NULL);
	round_trip(msg, &m);
	ASSERT_EQ(m.kind, PROTO_RESULT);
	ASSERT_STREQ(json_string_value(m.id), "req-1");
	ASSERT(json_is_object(m.result));
	json_decref(msg);
	proto_msg_clear(&m);

	msg = proto_error_new(id, PROTO_E_FORBIDDEN, NULL,
	    json_pack("{s:s}", "role", "admin"));
	round_trip(msg, &m);
	ASSERT_EQ(m.kind, PROTO_ERROR);
	ASSERT_EQ(m.code, 1000);
	ASSERT_STREQ(m.message, proto_strerror(PROTO_E_FORBIDDEN));
	ASSERT_STREQ(json_string_value(json_object_get(m.data, "name")),
	    "forbidden");
	ASSERT_STREQ(json_string_value(json_object_get(m.data, "role")),
	    "admin");
	json_decref(msg);
	proto_msg_clear(&m);

	/* An id of NULL becomes null; non-object data goes under detail. */
	msg = proto_error_new(NULL, PROTO_E_DOCKER, "engine said no",
	    json_integer(409));
	round_trip(msg, &m);
	ASSERT_NULL(m.id);
	ASSERT_EQ(json_integer_value(json_object_get(m.data, "detail")), 409);
	json_decref(msg);
	proto_msg_clear(&m);

	/* Messages that are not UTF-8, or too long, still make a reply. */
	memset(bad, 'a', sizeof bad - 1);
	bad[sizeof bad - 1] = '\0';
	bad[3] = (char)0xff;
	msg = proto_errorf(id, PROTO_E_DOCKER, "%s", bad);
	round_trip(msg, &m);
	ASSERT_EQ(strlen(m.message), 4096);
	ASSERT_EQ(m.message[3], '?');
	json_decref(msg);
	proto_msg_clear(&m);
	json_decref(id);
}

/* Codes and names are unique; errno values map to codes. */
static void
test_error_table(void)
{
	static const int codes[] = {
#define CODE(e, code, name, msg)	(code),
		PROTO_ERRORS(CODE)
#undef CODE
	};
	size_t i, j, n = sizeof codes / sizeof codes[0];

	ASSERT_EQ(PROTO_E_PARSE, -32700);
	ASSERT_EQ(PROTO_E_INVALID, -32600);
	ASSERT_EQ(PROTO_E_NOMETHOD, -32601);
	ASSERT_EQ(PROTO_E_PARAMS, -32602);
	ASSERT_EQ(PROTO_E_INTERNAL, -32603);
	for (i = 0; i < n; i++) {
		ASSERT_NE(codes[i], 0);
		ASSERT_EQ(proto_err_from_name(proto_err_name(codes[i])),
		    codes[i]);
		ASSERT(strcmp(proto_strerror(codes[i]), "unknown error") != 0);
		/* Ours stay out of JSON-RPC's reserved range. */
		if (codes[i] > 0)
			ASSERT(codes[i] >= 1000 && codes[i] < 6000);
		for (j = i + 1; j < n; j++) {
			ASSERT_NE(codes[i], codes[j]);
			ASSERT(strcmp(proto_err_name(codes[i]),
			    proto_err_name(codes[j])) != 0);
		}
	}
	ASSERT_STREQ(proto_err_name(12345), "unknown_error");
	ASSERT_STREQ(proto_strerror(12345), "unknown error");
	ASSERT_EQ(proto_err_from_name("nope"), 0);
	ASSERT_EQ(proto_err_from_errno(-ETIMEDOUT), PROTO_E_TIMEOUT);
	ASSERT_EQ(proto_err_from_errno(-ENOENT), PROTO_E_NOTFOUND);
	ASSERT_EQ(proto_err_from_errno(-EMSGSIZE), PROTO_E_TOOLARGE);
	ASSERT_EQ(proto_err_from_errno(-ECANCELED), PROTO_E_CANCELLED);
	ASSERT_EQ(proto_err_from_errno(-EIO), PROTO_E_INTERNAL);
}

TEST_MAIN(
	T(test_split_at_every_byte),
	T(test_oversize_is_fatal_before_buffering),
	T(test_zero_length_and_stop),
	T(test_encode_limit),
	T(test_depth_bomb),
	T(test_garbage_then_valid),
	T(test_requests_ok),
	T(test_requests_invalid),
	T(test_replies_parse),
	T(test_builders),
	T(test_error_table)
)
