/*
 * Tests of proto/params.c: every type of field with its bounds, unknown
 * keys, missing required fields, nested objects and arrays of objects
 * (and the path the message names), the wording of descriptions, and the
 * getters handlers use.
 */
#include <string.h>

#include "proto.h"
#include "test.h"

static const struct proto_field inner[] = {
	{ .name = "port", .type = PROTO_T_INT, .flags = PROTO_REQUIRED,
	  .min = 1, .max = 65535 },
	{ .name = "proto", .type = PROTO_T_STRING, .max = 4,
	  .choices = (const char *const[]){ "tcp", "udp", NULL } },
	{ .name = NULL }
};

static const struct proto_field schema[] = {
	{ .name = "id", .type = PROTO_T_STRING, .flags = PROTO_REQUIRED,
	  .min = 1, .max = 8 },
	{ .name = "timeout", .type = PROTO_T_INT, .min = 0, .max = 3600 },
	{ .name = "cpus", .type = PROTO_T_NUMBER, .min = 0, .max = 4 },
	{ .name = "force", .type = PROTO_T_BOOL },
	{ .name = "cmd", .type = PROTO_T_STRINGS, .max = 3, .max_len = 5 },
	{ .name = "labels", .type = PROTO_T_MAP, .max = 2, .max_len = 4 },
	{ .name = "ports", .type = PROTO_T_OBJECTS, .max = 2,
	  .fields = inner },
	{ .name = "opts", .type = PROTO_T_OBJECT, .fields = inner },
	{ .name = "proto", .type = PROTO_T_STRING, .max = 4,
	  .choices = (const char *const[]){ "tcp", "udp", NULL } },
	{ .name = "argv", .type = PROTO_T_STRINGS, .min = 1, .max = 2,
	  .max_len = 3 },
	{ .name = NULL }
};

/* One params object and what the check must say. */
struct pcase {
	const char	*json;		/* the params object */
	const char	*cause;		/* NULL: accepted; else the message */
};

static const struct pcase pcases[] = {
	{ "{\"id\":\"a\"}", NULL },
	{ "{\"id\":\"abcdefgh\",\"timeout\":3600,\"cpus\":2.5,\"force\":true,"
	  "\"cmd\":[\"a\",\"b\",\"abcde\"],"
	  "\"labels\":{\"k\":\"v\",\"kk\":\"\"},"
	  "\"ports\":[{\"port\":80},{\"port\":65535,\"proto\":\"udp\"}],"
	  "\"opts\":{\"port\":1},\"proto\":\"tcp\",\"argv\":[\"x\"]}", NULL },
	{ "{}", "params.id: missing; expected a string of 1 to 8 bytes" },
	{ "{\"id\":\"a\",\"bogus\":1}", "params.bogus: unknown parameter "
	  "(accepted: id, timeout, cpus, force, cmd, labels, ports, opts, "
	  "proto, argv)" },
	{ "{\"id\":5}", "params.id: expected a string of 1 to 8 bytes" },
	{ "{\"id\":\"\"}", "params.id: expected a string of 1 to 8 bytes" },
	{ "{\"id\":\"abcdefghi\"}",
	  "params.id: expected a string of 1 to 8 bytes" },
	{ "{\"id\":null}", "params.id: expected a string of 1 to 8 bytes" },
	{ "{\"id\":\"a\",\"timeout\":0}", NULL },
	{ "{\"id\":\"a\",\"timeout\":\"5\"}",
	  "params.timeout: expected an integer between 0 and 3600" },
	{ "{\"id\":\"a\",\"timeout\":3601}",
	  "params.timeout: expected an integer between 0 and 3600" },
	{ "{\"id\":\"a\",\"timeout\":-1}",
	  "params.timeout: expected an integer between 0 and 3600" },
	{ "{\"id\":\"a\",\"timeout\":5.0}",
	  "params.timeout: expected an integer between 0 and 3600" },
	{ "{\"id\":\"a\",\"timeout\":true}",
	  "params.timeout: expected an integer between 0 and 3600" },
	{ "{\"id\":\"a\",\"cpus\":4}", NULL },
	{ "{\"id\":\"a\",\"cpus\":4.01}",
	  "params.cpus: expected a number between 0 and 4" },
	{ "{\"id\":\"a\",\"cpus\":-0.5}",
	  "params.cpus: expected a number between 0 and 4" },
	{ "{\"id\":\"a\",\"cpus\":\"1\"}",
	  "params.cpus: expected a number between 0 and 4" },
	{ "{\"id\":\"a\",\"force\":1}",
	  "params.force: expected true or false" },
	{ "{\"id\":\"a\",\"force\":false}", NULL },
	{ "{\"id\":\"a\",\"cmd\":[]}", NULL },
	{ "{\"id\":\"a\",\"cmd\":[\"a\",\"b\",\"c\",\"d\"]}",
	  "params.cmd: expected an array of at most 3 strings of at most 5 "
	  "bytes" },
	{ "{\"id\":\"a\",\"cmd\":[\"abcdef\"]}",
	  "params.cmd: expected an array of at most 3 strings" },
	{ "{\"id\":\"a\",\"cmd\":[1]}", "params.cmd: expected an array" },
	{ "{\"id\":\"a\",\"cmd\":\"ls\"}", "params.cmd: expected an array" },
	{ "{\"id\":\"a\",\"argv\":[]}",
	  "params.argv: expected an array of 1 to 2 strings of at most 3 "
	  "bytes" },
	{ "{\"id\":\"a\",\"labels\":{}}", NULL },
	{ "{\"id\":\"a\",\"labels\":{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"}}",
	  "params.labels: expected an object of at most 2 string values, "
	  "keys and values of at most 4 bytes" },
	{ "{\"id\":\"a\",\"labels\":{\"a\":1}}", "params.labels: expected" },
	{ "{\"id\":\"a\",\"labels\":{\"abcde\":\"x\"}}",
	  "params.labels: expected" },
	{ "{\"id\":\"a\",\"labels\":{\"\":\"x\"}}", "params.labels: expected" },
	{ "{\"id\":\"a\",\"labels\":{\"a\":\"abcde\"}}",
	  "params.labels: expected" },
	{ "{\"id\":\"a\",\"labels\":[]}", "params.labels: expected" },
	{ "{\"id\":\"a\",\"ports\":[{\"port\":0}]}",
	  "params.ports[0].port: expected an integer between 1 and 65535" },
	{ "{\"id\":\"a\",\"ports\":[{\"port\":80},{\"proto\":\"tcp\"}]}",
	  "params.ports[1].port: missing; expected an integer between 1 "
	  "and 65535" },
	{ "{\"id\":\"a\",\"ports\":[{\"port\":80,\"x\":1}]}",
	  "params.ports[0].x: unknown parameter (accepted: port, proto)" },
	{ "{\"id\":\"a\",\"ports\":[5]}",
	  "params.ports[0]: expected an object" },
	{ "{\"id\":\"a\",\"ports\":[{\"port\":1},{\"port\":2},{\"port\":3}]}",
	  "params.ports: expected an array of at most 2 objects" },
	{ "{\"id\":\"a\",\"ports\":[{\"port\":1,\"proto\":\"icmp\"}]}",
	  "params.ports[0].proto: expected one of \"tcp\", \"udp\"" },
	{ "{\"id\":\"a\",\"opts\":{\"port\":1,\"zz\":1}}",
	  "params.opts.zz: unknown parameter (accepted: port, proto)" },
	{ "{\"id\":\"a\",\"opts\":{}}",
	  "params.opts.port: missing; expected an integer" },
	{ "{\"id\":\"a\",\"opts\":[]}", "params.opts: expected an object" },
	{ "{\"id\":\"a\",\"proto\":\"udp\"}", NULL },
	{ "{\"id\":\"a\",\"proto\":\"UDP\"}",
	  "params.proto: expected one of \"tcp\", \"udp\"" },
	/* After a nested object the path is back at params. */
	{ "{\"opts\":{\"port\":1},\"id\":\"a\",\"timeout\":-2}",
	  "params.timeout: expected" },
};

/* Every type, bound, unknown key and missing field, with its message. */
static void
test_cases(void)
{
	json_t *params;
	char *cause;
	size_t i;
	int rc;

	for (i = 0; i < sizeof pcases / sizeof pcases[0]; i++) {
		params = json_loads(pcases[i].json, 0, NULL);
		if (params == NULL)
			FAIL("case %zu: bad JSON in the test", i);
		rc = proto_params_check(schema, params, &cause);
		json_decref(params);
		if (pcases[i].cause == NULL && rc != 0)
			FAIL("case %zu (%s) refused: %s", i, pcases[i].json,
			    cause);
		if (pcases[i].cause == NULL) {
			ASSERT_NULL(cause);
			continue;
		}
		if (rc != PROTO_E_PARAMS)
			FAIL("case %zu (%s) accepted", i, pcases[i].json);
		if (cause == NULL || strncmp(cause, pcases[i].cause,
		    strlen(pcases[i].cause)) != 0)
			FAIL("case %zu: \"%s\", want \"%s\"", i, cause,
			    pcases[i].cause);
		free(cause);
	}
}

/* Absent params are empty; a non-object is refused. */
static void
test_absent_and_non_object(void)
{
	static const struct proto_field none[] = { { .name = NULL } };
	json_t *v;
	char *cause;

	/* Absent params are an empty object: the required field is missing. */
	ASSERT_EQ(proto_params_check(schema, NULL, &cause), PROTO_E_PARAMS);
	ASSERT_STREQ(cause, "params.id: missing; expected a string of 1 to 8 "
	    "bytes");
	free(cause);
	ASSERT_OK(proto_params_check(none, NULL, &cause));
	ASSERT_NULL(cause);
	v = json_pack("{s:i}", "a", 1);
	ASSERT_EQ(proto_params_check(none, v, &cause), PROTO_E_PARAMS);
	ASSERT_STREQ(cause, "params.a: unknown parameter (accepted: none)");
	free(cause);
	ASSERT_EQ(proto_params_check(none, v, NULL), PROTO_E_PARAMS);
	json_decref(v);
	v = json_array();
	ASSERT_EQ(proto_params_check(schema, v, &cause), PROTO_E_PARAMS);
	ASSERT_STREQ(cause, "params: expected an object");
	free(cause);
	json_decref(v);
}

/* Descriptions read as docs and messages need, cut to the buffer. */
static void
test_describe(void)
{
	char buf[256];

	proto_field_describe(&schema[0], buf, sizeof buf);
	ASSERT_STREQ(buf, "a string of 1 to 8 bytes");
	proto_field_describe(&schema[1], buf, sizeof buf);
	ASSERT_STREQ(buf, "an integer between 0 and 3600");
	proto_field_describe(&schema[3], buf, sizeof buf);
	ASSERT_STREQ(buf, "true or false");
	proto_field_describe(&schema[8], buf, sizeof buf);
	ASSERT_STREQ(buf, "one of \"tcp\", \"udp\"");
	/* Cut to the buffer, always terminated. */
	ASSERT_EQ(proto_field_describe(&schema[1], buf, 8), 7);
	ASSERT_STREQ(buf, "an inte");
	ASSERT_STREQ(proto_type_name(PROTO_T_STRINGS), "array of strings");
	ASSERT_STREQ(proto_type_name(PROTO_T_MAP), "map of strings");
	ASSERT(proto_field_find(schema, "ports") == &schema[6]);
	ASSERT_NULL(proto_field_find(schema, "nope"));
}

/* Getters return checked values or the default. */
static void
test_getters(void)
{
	json_t *p;

	p = json_loads("{\"s\":\"x\",\"i\":7,\"n\":1.5,\"b\":true,"
	    "\"bf\":false}", 0, NULL);
	ASSERT_STREQ(proto_param_str(p, "s", NULL), "x");
	ASSERT_STREQ(proto_param_str(p, "i", "def"), "def");
	ASSERT_EQ(proto_param_int(p, "i", 0), 7);
	ASSERT_EQ(proto_param_int(p, "x", -3), -3);
	ASSERT(proto_param_num(p, "n", 0) == 1.5);
	ASSERT(proto_param_num(p, "i", 0) == 7.0);
	ASSERT_EQ(proto_param_bool(p, "b", 0), 1);
	ASSERT_EQ(proto_param_bool(p, "bf", 1), 0);
	ASSERT_EQ(proto_param_bool(p, "x", 1), 1);
	ASSERT_EQ(proto_param_int(NULL, "i", 4), 4);
	json_decref(p);
}

TEST_MAIN(
	T(test_cases),
	T(test_absent_and_non_object),
	T(test_describe),
	T(test_getters)
)
