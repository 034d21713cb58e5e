/*
 * Tests of proto/methods.c and doc.c: the catalogue's invariants (sorted,
 * unique, complete entries, bounded schemas, stream methods take a
 * channel), the least roles written down here apart from the catalogue,
 * every method the issues need, the dispatcher's checks in order, and
 * that docs/PROTOCOL.md lists exactly the catalogue's methods, roles and
 * parameters.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "proto.h"
#include "test.h"

/* Checks one schema (and nested ones) for completeness and bounds. */
static void
check_schema(const char *method, int role, const struct proto_field *top,
    const struct proto_field *fields)
{
	const struct proto_field *f, *g;
	size_t i;

	ASSERT_NOT_NULL(fields);
	for (f = fields; f->name != NULL; f++) {
		if (f->doc == NULL || f->doc[0] == '\0')
			FAIL("%s.%s: no doc", method, f->name);
		for (g = fields; g < f; g++)
			if (strcmp(g->name, f->name) == 0)
				FAIL("%s.%s: twice", method, f->name);
		switch (f->type) {
		case PROTO_T_STRING:
			if (f->max <= 0 || f->min < 0 || f->min > f->max)
				FAIL("%s.%s: unbounded string", method,
				    f->name);
			for (i = 0; f->choices != NULL &&
			    f->choices[i] != NULL; i++)
				ASSERT_LE(strlen(f->choices[i]), f->max);
			if (f->choice_roles == NULL)
				break;
			if (f->choices == NULL || fields != top)
				FAIL("%s.%s: choice_roles need choices at the "
				    "top level", method, f->name);
			for (i = 0; f->choices[i] != NULL; i++)
				if (f->choice_roles[i] < (int)role ||
				    f->choice_roles[i] > PROTO_ROLE_ADMIN)
					FAIL("%s.%s: bad role for %s", method,
					    f->name, f->choices[i]);
			break;
		case PROTO_T_INT:
		case PROTO_T_NUMBER:
			if (f->min >= f->max)
				FAIL("%s.%s: empty range", method, f->name);
			break;
		case PROTO_T_BOOL:
			break;
		case PROTO_T_STRINGS:
		case PROTO_T_MAP:
			if (f->max <= 0 || f->max_len == 0)
				FAIL("%s.%s: unbounded", method, f->name);
			break;
		case PROTO_T_OBJECT:
		case PROTO_T_OBJECTS:
			if (f->fields == NULL || (f->type == PROTO_T_OBJECTS &&
			    f->max <= 0))
				FAIL("%s.%s: unbounded object", method,
				    f->name);
			check_schema(method, role, top, f->fields);
			break;
		default:
			FAIL("%s.%s: bad type %d", method, f->name, f->type);
		}
	}
}

/* Sorted, unique, complete, bounded entries; streams take a channel. */
static void
test_catalogue_invariants(void)
{
	const struct proto_method *m;
	const struct proto_field *ch;
	const char *dot;
	size_t i;

	ASSERT_GE(proto_nmethods, 40);
	for (i = 0; i < proto_nmethods; i++) {
		m = &proto_methods[i];
		ASSERT_NOT_NULL(m->name);
		if (i > 0 && strcmp(proto_methods[i - 1].name, m->name) >= 0)
			FAIL("%s then %s: not sorted or not unique",
			    proto_methods[i - 1].name, m->name);
		/* family.verb, lowercase. */
		dot = strchr(m->name, '.');
		if (dot == NULL || dot == m->name || dot[1] == '\0' ||
		    strchr(dot + 1, '.') != NULL)
			FAIL("%s: not family.verb", m->name);
		for (dot = m->name; *dot != '\0'; dot++)
			if (!islower((unsigned char)*dot) && *dot != '.')
				FAIL("%s: not lowercase", m->name);
		if (m->summary == NULL || m->summary[0] == '\0' ||
		    m->result == NULL || m->result[0] == '\0')
			FAIL("%s: no summary or result", m->name);
		if (m->role < PROTO_ROLE_VIEWER || m->role > PROTO_ROLE_RELAY)
			FAIL("%s: no role", m->name);
		if ((m->role == PROTO_ROLE_RELAY) !=
		    (strncmp(m->name, "relay.", 6) == 0))
			FAIL("%s: the relay role is for relay.* alone", m->name);
		if ((m->flags & PROTO_READONLY) != 0 &&
		    (m->flags & PROTO_MUTATING) != 0)
			FAIL("%s: read-only and mutating", m->name);
		if ((m->flags & PROTO_MUTATING) != 0 &&
		    m->role == PROTO_ROLE_VIEWER)
			FAIL("%s: a viewer may not mutate", m->name);
		check_schema(m->name, m->role, m->params, m->params);
		/* Streams and the channel parameter go together. */
		ch = proto_field_find(m->params, "channel");
		if (((m->flags & PROTO_STREAM) != 0) !=
		    (m->stream != PROTO_STREAM_NONE) ||
		    ((m->flags & PROTO_STREAM) != 0) != (ch != NULL))
			FAIL("%s: stream flag, kind and channel disagree",
			    m->name);
		if (ch != NULL && (ch->type != PROTO_T_INT || ch->min != 1 ||
		    (ch->flags & PROTO_REQUIRED) == 0))
			FAIL("%s: channel must be a required id >= 1",
			    m->name);
	}
}

/* Every name finds its own entry; near misses find nothing. */
static void
test_find(void)
{
	size_t i;

	for (i = 0; i < proto_nmethods; i++)
		ASSERT(proto_method_find(proto_methods[i].name) ==
		    &proto_methods[i]);
	ASSERT_NULL(proto_method_find("container.sto"));
	ASSERT_NULL(proto_method_find("container.stopx"));
	ASSERT_NULL(proto_method_find(""));
	ASSERT_NULL(proto_method_find("Container.stop"));
	ASSERT_NULL(proto_method_find(NULL));
}

/* A method and its least role, written apart from the catalogue. */
struct need {
	const char	*name;
	int		 role;
};

/* Each method issues 4 and 5 need is there, with its role. */
static void
test_needed_methods_and_roles(void)
{
	static const struct need needs[] = {
		{ "node.info", PROTO_ROLE_VIEWER },
		{ "container.list", PROTO_ROLE_VIEWER },
		{ "container.inspect", PROTO_ROLE_VIEWER },
		{ "container.logs", PROTO_ROLE_VIEWER },
		{ "container.stats", PROTO_ROLE_VIEWER },
		{ "container.top", PROTO_ROLE_VIEWER },
		{ "stats.subscribe", PROTO_ROLE_VIEWER },
		{ "events.subscribe", PROTO_ROLE_VIEWER },
		{ "image.list", PROTO_ROLE_VIEWER },
		{ "image.inspect", PROTO_ROLE_VIEWER },
		{ "volume.list", PROTO_ROLE_VIEWER },
		{ "network.list", PROTO_ROLE_VIEWER },
		{ "network.inspect", PROTO_ROLE_VIEWER },
		{ "container.start", PROTO_ROLE_OPERATOR },
		{ "container.stop", PROTO_ROLE_OPERATOR },
		{ "container.restart", PROTO_ROLE_OPERATOR },
		{ "container.kill", PROTO_ROLE_OPERATOR },
		{ "container.pause", PROTO_ROLE_OPERATOR },
		{ "container.unpause", PROTO_ROLE_OPERATOR },
		{ "exec.run", PROTO_ROLE_OPERATOR },
		{ "session.open", PROTO_ROLE_OPERATOR },
		{ "session.list", PROTO_ROLE_OPERATOR },
		{ "session.attach", PROTO_ROLE_OPERATOR },
		{ "session.resize", PROTO_ROLE_OPERATOR },
		{ "session.kill", PROTO_ROLE_OPERATOR },
		{ "container.create", PROTO_ROLE_ADMIN },
		{ "container.duplicate", PROTO_ROLE_ADMIN },
		{ "container.remove", PROTO_ROLE_ADMIN },
		{ "container.rename", PROTO_ROLE_ADMIN },
		{ "container.update", PROTO_ROLE_ADMIN },
		{ "image.pull", PROTO_ROLE_ADMIN },
		{ "image.remove", PROTO_ROLE_ADMIN },
		{ "image.prune", PROTO_ROLE_ADMIN },
		{ "volume.create", PROTO_ROLE_ADMIN },
		{ "volume.remove", PROTO_ROLE_ADMIN },
		{ "volume.prune", PROTO_ROLE_ADMIN },
		{ "key.create", PROTO_ROLE_ADMIN },
		{ "key.list", PROTO_ROLE_ADMIN },
		{ "key.revoke", PROTO_ROLE_ADMIN },
		{ "audit.read", PROTO_ROLE_ADMIN },
	};
	const struct proto_method *m;
	size_t i;

	for (i = 0; i < sizeof needs / sizeof needs[0]; i++) {
		m = proto_method_find(needs[i].name);
		if (m == NULL)
			FAIL("%s: missing from the catalogue", needs[i].name);
		if ((int)m->role != needs[i].role)
			FAIL("%s: role %s, want %s", m->name,
			    proto_role_name(m->role),
			    proto_role_name(needs[i].role));
	}
	/* The session kinds issue 5 needs. */
	m = proto_method_find("session.open");
	ASSERT_STREQ(proto_field_find(m->params, "kind")->choices[2],
	    "docker");
	ASSERT_EQ(m->stream, PROTO_STREAM_TERMINAL);
	ASSERT_EQ(proto_method_find("exec.run")->stream, PROTO_STREAM_OUTPUT);
	ASSERT_EQ(proto_method_find("stats.subscribe")->stream,
	    PROTO_STREAM_STATS);
}

/* Role values match overlay's enum; names parse both ways. */
static void
test_roles(void)
{
	enum proto_role r;

	ASSERT_EQ(PROTO_ROLE_VIEWER, 1);
	ASSERT_EQ(PROTO_ROLE_OPERATOR, 2);
	ASSERT_EQ(PROTO_ROLE_ADMIN, 3);
	ASSERT_OK(proto_role_parse("operator", &r));
	ASSERT_EQ(r, PROTO_ROLE_OPERATOR);
	ASSERT_EQ(proto_role_parse("root", &r), -EINVAL);
	ASSERT_STREQ(proto_role_name(0), "none");
	/* relay stands apart: only relay methods, and only for it */
	ASSERT_EQ(PROTO_ROLE_RELAY, 4);
	ASSERT_OK(proto_role_parse("relay", &r));
	ASSERT_EQ(r, PROTO_ROLE_RELAY);
	ASSERT(!proto_role_allows(PROTO_ROLE_RELAY, PROTO_ROLE_VIEWER));
	ASSERT(!proto_role_allows(PROTO_ROLE_RELAY, PROTO_ROLE_ADMIN));
	ASSERT(!proto_role_allows(PROTO_ROLE_ADMIN, PROTO_ROLE_RELAY));
	ASSERT(proto_role_allows(PROTO_ROLE_RELAY, PROTO_ROLE_RELAY));
	ASSERT(proto_role_allows(PROTO_ROLE_ADMIN, PROTO_ROLE_VIEWER));
	ASSERT(!proto_role_allows(PROTO_ROLE_VIEWER, PROTO_ROLE_OPERATOR));
}

/* Parses a request text into m. */
static void
parse(struct proto_msg *m, const char *s)
{
	char *cause = NULL;

	if (proto_msg_parse(m, s, strlen(s), 0, &cause) != 0)
		FAIL("parse %s: %s", s, cause);
}

/* The error member of a reply. */
static json_t *
reply_error(json_t *reply)
{
	return (json_object_get(reply, "error"));
}

/* The dispatcher's checks run in order and build the right reply. */
static void
test_request_check(void)
{
	const struct proto_method *mp;
	struct proto_msg m;
	json_t *reply, *err;

	parse(&m, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"container.stop\","
	    "\"params\":{\"id\":\"web\",\"timeout\":5}}");
	ASSERT_EQ(proto_request_check(&m, PROTO_ROLE_VIEWER, &mp, &reply),
	    PROTO_E_FORBIDDEN);
	ASSERT_NULL(mp);
	err = reply_error(reply);
	ASSERT_EQ(json_integer_value(json_object_get(err, "code")), 1000);
	ASSERT_CONTAINS(json_string_value(json_object_get(err, "message")),
	    "needs the operator role");
	ASSERT_STREQ(json_string_value(json_object_get(json_object_get(err,
	    "data"), "role")), "operator");
	ASSERT_EQ(json_integer_value(json_object_get(reply, "id")), 1);
	json_decref(reply);
	ASSERT_OK(proto_request_check(&m, PROTO_ROLE_OPERATOR, &mp, &reply));
	ASSERT(mp == proto_method_find("container.stop"));
	ASSERT_NULL(reply);
	proto_msg_clear(&m);

	/* Unknown method first, then role, then params. */
	parse(&m, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"container.nuke\","
	    "\"params\":{\"x\":1}}");
	ASSERT_EQ(proto_request_check(&m, PROTO_ROLE_ADMIN, &mp, &reply),
	    PROTO_E_NOMETHOD);
	ASSERT_CONTAINS(json_string_value(json_object_get(reply_error(reply),
	    "message")), "container.nuke");
	json_decref(reply);
	proto_msg_clear(&m);
	parse(&m, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"key.create\","
	    "\"params\":{\"x\":1}}");
	ASSERT_EQ(proto_request_check(&m, PROTO_ROLE_OPERATOR, &mp, &reply),
	    PROTO_E_FORBIDDEN);
	json_decref(reply);
	ASSERT_EQ(proto_request_check(&m, PROTO_ROLE_ADMIN, &mp, &reply),
	    PROTO_E_PARAMS);
	ASSERT_CONTAINS(json_string_value(json_object_get(reply_error(reply),
	    "message")), "params.x: unknown parameter");
	ASSERT_STREQ(json_string_value(json_object_get(json_object_get(
	    reply_error(reply), "data"), "name")), "invalid_params");
	json_decref(reply);
	proto_msg_clear(&m);

	/* A choice may need more than the method: kind docker is admin. */
	parse(&m, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"session.open\","
	    "\"params\":{\"kind\":\"docker\",\"channel\":3,"
	    "\"cmd\":[\"ps\"]}}");
	ASSERT_EQ(proto_request_check(&m, PROTO_ROLE_OPERATOR, &mp, &reply),
	    PROTO_E_FORBIDDEN);
	ASSERT_NULL(mp);
	err = reply_error(reply);
	ASSERT_STREQ(json_string_value(json_object_get(err, "message")),
	    "session.open with kind \"docker\" needs the admin role; this "
	    "key is operator");
	ASSERT_STREQ(json_string_value(json_object_get(json_object_get(err,
	    "data"), "role")), "admin");
	json_decref(reply);
	ASSERT_OK(proto_request_check(&m, PROTO_ROLE_ADMIN, &mp, &reply));
	ASSERT_NULL(reply);
	proto_msg_clear(&m);
	parse(&m, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"session.open\","
	    "\"params\":{\"kind\":\"shell\",\"channel\":3,"
	    "\"container\":\"web\"}}");
	ASSERT_OK(proto_request_check(&m, PROTO_ROLE_OPERATOR, &mp, &reply));
	ASSERT_EQ(proto_request_check(&m, PROTO_ROLE_VIEWER, &mp, &reply),
	    PROTO_E_FORBIDDEN);
	json_decref(reply);
	proto_msg_clear(&m);

	/* A notification is checked but never answered. */
	parse(&m, "{\"jsonrpc\":\"2.0\",\"method\":\"container.start\"}");
	ASSERT_EQ(proto_request_check(&m, PROTO_ROLE_ADMIN, &mp, &reply),
	    PROTO_E_PARAMS);
	ASSERT_NULL(reply);
	ASSERT_EQ(proto_request_check(&m, PROTO_ROLE_VIEWER, &mp, &reply),
	    PROTO_E_FORBIDDEN);
	ASSERT_NULL(reply);
	proto_msg_clear(&m);
}

/* Reads docs/PROTOCOL.md from the source tree (caller frees). */
static char *
read_doc(void)
{
	char path[4096];
	char *doc;

	snprintf(path, sizeof path, "%s/docs/PROTOCOL.md",
	    test_env("PIER_SOURCE_ROOT", "."));
	doc = test_read_file(path, NULL);
	if (doc == NULL)
		FAIL("cannot read %s", path);
	return (doc);
}

/* Counts the occurrences of needle in the n bytes at hay. */
static int
count(const char *hay, size_t n, const char *needle)
{
	const char *p = hay, *end = hay + n;
	size_t k = strlen(needle);
	int c = 0;

	while ((p = memmem(p, (size_t)(end - p), needle, k)) != NULL) {
		c++;
		p += k;
	}
	return (c);
}

/* PROTOCOL.md lists exactly the methods, roles and params. */
static void
test_doc_matches_catalogue(void)
{
	const struct proto_method *m;
	const struct proto_field *f;
	char *doc, *gen, want[256];
	const char *block, *sec, *next;
	size_t start, len, i;

	doc = read_doc();
	/* The generated parts are exactly what the catalogue gives now. */
	ASSERT_OK(proto_doc_block(doc, "methods", &start, &len));
	gen = proto_doc_methods();
	if (strlen(gen) != len || memcmp(doc + start, gen, len) != 0) {
		free(gen);
		free(doc);
		FAIL("docs/PROTOCOL.md is stale: run ninja protocol-doc");
	}
	free(gen);
	block = doc + start;
	/* And, read independently: each method once, its role, its params. */
	ASSERT_EQ(count(block, len, "\n### "), (int)proto_nmethods);
	for (i = 0; i < proto_nmethods; i++) {
		m = &proto_methods[i];
		snprintf(want, sizeof want, "### %s\n", m->name);
		ASSERT_EQ(count(block, len, want), 1);
		sec = strstr(block, want);
		next = strstr(sec + 1, "\n### ");
		if (next == NULL || next > block + len)
			next = block + len;
		snprintf(want, sizeof want, "- role: %s\n",
		    proto_role_name(m->role));
		ASSERT_EQ(count(sec, (size_t)(next - sec), want), 1);
		for (f = m->params; f->name != NULL; f++) {
			snprintf(want, sizeof want, "| `%s` | %s |", f->name,
			    proto_type_name(f->type));
			if (count(sec, (size_t)(next - sec), want) != 1)
				FAIL("%s: param %s not listed", m->name,
				    f->name);
		}
	}
	ASSERT_OK(proto_doc_block(doc, "errors", &start, &len));
	gen = proto_doc_errors();
	ASSERT_EQ(strlen(gen), len);
	ASSERT_MEMEQ(doc + start, gen, len);
	free(gen);
	ASSERT_EQ(proto_doc_block(doc, "nothing", &start, &len), -ENOENT);
	free(doc);
}

/* The help text names the role, each param and what it accepts. */
static void
test_method_help(void)
{
	char *help;

	help = proto_doc_method_help(proto_method_find("container.stop"));
	ASSERT_CONTAINS(help, "container.stop: stop a container");
	ASSERT_CONTAINS(help, "least role: operator\n");
	ASSERT_CONTAINS(help, "  id (required): container name, id or "
	    "unique id prefix\n      a string of 1 to 256 bytes\n");
	ASSERT_CONTAINS(help, "  timeout: seconds to wait");
	ASSERT_CONTAINS(help, "an integer between 0 and 3600\n");
	ASSERT_CONTAINS(help, "result: {id, name}\n");
	free(help);
	help = proto_doc_method_help(proto_method_find("container.create"));
	ASSERT_CONTAINS(help, "  ports: published ports\n");
	ASSERT_CONTAINS(help, "    container_port (required): port inside");
	free(help);
	help = proto_doc_method_help(proto_method_find("session.open"));
	ASSERT_CONTAINS(help, "; least role per choice: \"shell\": operator, "
	    "\"exec\": operator, \"docker\": admin\n");
	free(help);
	help = proto_doc_method_help(proto_method_find("node.info"));
	ASSERT_CONTAINS(help, "no parameters\n");
	free(help);
}

TEST_MAIN(
	T(test_catalogue_invariants),
	T(test_find),
	T(test_needed_methods_and_roles),
	T(test_roles),
	T(test_request_check),
	T(test_doc_matches_catalogue),
	T(test_method_help)
)
