/*
 * The generated parts of docs/PROTOCOL.md: the method reference (every
 * method's role, flags, stream, result and parameter table) and the
 * error code table, written from the catalogue and the error table. The
 * doc holds them between "begin generated" and "end generated" markers;
 * proto-gen-doc rewrites them and a unit test fails when they drift.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

/* Writes s to f with the characters markdown tables need escaped. */
static void
proto_doc_cell(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else
			fputc(*s, f);
	}
}

/* Writes the flags of a method as words. */
static void
proto_doc_flags(FILE *f, unsigned flags)
{
	static const struct {
		unsigned	 flag;
		const char	*word;
	} words[] = {
		{ PROTO_READONLY, "read-only" },
		{ PROTO_MUTATING, "mutating (audited)" },
		{ PROTO_STREAM, "stream" },
		{ PROTO_NEEDS_DOCKER, "needs Docker" },
	};
	size_t i;
	int n = 0;

	for (i = 0; i < sizeof words / sizeof words[0]; i++)
		if ((flags & words[i].flag) != 0)
			fprintf(f, "%s%s", n++ > 0 ? ", " : "", words[i].word);
	if (n == 0)
		fputs("none", f);
}

/* The name of a stream kind as the doc writes it. */
static const char *
proto_doc_stream(enum proto_stream s)
{
	switch (s) {
	case PROTO_STREAM_NONE:
		return ("none");
	case PROTO_STREAM_OUTPUT:
		return ("output (framed)");
	case PROTO_STREAM_TERMINAL:
		return ("terminal (framed)");
	case PROTO_STREAM_STATS:
		return ("stats (JSON lines)");
	case PROTO_STREAM_EVENTS:
		return ("events (JSON lines)");
	case PROTO_STREAM_PULL:
		return ("pull progress (JSON lines)");
	case PROTO_STREAM_LOGS:
		return ("log lines (JSON lines)");
	}
	return ("unknown");
}

/* Writes the choices that need more than the method's role. */
static void
proto_doc_choice_roles(FILE *f, const struct proto_field *p)
{
	size_t i;

	for (i = 0; p->choice_roles != NULL && p->choices[i] != NULL; i++)
		fprintf(f, "%s\"%s\": %s", i == 0 ? "; least role per "
		    "choice: " : ", ", p->choices[i],
		    proto_role_name(p->choice_roles[i]));
}

/* Writes one table row per field, nested fields under prefix. */
static void
proto_doc_fields(FILE *f, const struct proto_field *fields,
    const char *prefix)
{
	const struct proto_field *p;
	char desc[256], sub[128];

	for (p = fields; p != NULL && p->name != NULL; p++) {
		proto_field_describe(p, desc, sizeof desc);
		fprintf(f, "| `%s%s` | %s | %s | ", prefix, p->name,
		    proto_type_name(p->type),
		    (p->flags & PROTO_REQUIRED) != 0 ? "yes" : "no");
		proto_doc_cell(f, desc);
		proto_doc_choice_roles(f, p);
		fputs(" | ", f);
		proto_doc_cell(f, p->doc != NULL ? p->doc : "");
		fputs(" |\n", f);
		if (p->fields == NULL)
			continue;
		snprintf(sub, sizeof sub, "%s%s%s.", prefix, p->name,
		    p->type == PROTO_T_OBJECTS ? "[]" : "");
		proto_doc_fields(f, p->fields, sub);
	}
}

/* Writes the reference of one method. */
static void
proto_doc_method(FILE *f, const struct proto_method *m)
{
	fprintf(f, "### %s\n\n%s.\n\n", m->name, m->summary);
	fprintf(f, "- role: %s\n- flags: ", proto_role_name(m->role));
	proto_doc_flags(f, m->flags);
	fprintf(f, "\n- stream: %s\n- result: %s\n\n",
	    proto_doc_stream(m->stream), m->result);
	if (m->params == NULL || m->params->name == NULL) {
		fputs("No parameters.\n\n", f);
		return;
	}
	fputs("| param | type | required | accepts | meaning |\n"
	    "|---|---|---|---|---|\n", f);
	proto_doc_fields(f, m->params, "");
	fputs("\n", f);
}

/* Writes one help line per field, nested fields indented under theirs. */
static void
proto_help_fields(FILE *f, const struct proto_field *fields, int indent)
{
	const struct proto_field *p;
	char desc[256];

	for (p = fields; p != NULL && p->name != NULL; p++) {
		proto_field_describe(p, desc, sizeof desc);
		fprintf(f, "%*s%s%s: %s\n%*s%s", indent, "", p->name,
		    (p->flags & PROTO_REQUIRED) != 0 ? " (required)" : "",
		    p->doc != NULL ? p->doc : "", indent + 4, "", desc);
		proto_doc_choice_roles(f, p);
		fputc('\n', f);
		proto_help_fields(f, p->fields, indent + 2);
	}
}

/* Closes a memory stream and returns its text, or NULL on failure. */
static char *
proto_doc_finish(FILE *f, char **buf)
{
	int bad;

	bad = ferror(f);
	if (fclose(f) != 0 || bad) {
		free(*buf);
		return (NULL);
	}
	return (*buf);
}

/* The generated method reference. */
char *
proto_doc_methods(void)
{
	FILE *f;
	char *buf = NULL;
	size_t len, i;

	f = open_memstream(&buf, &len);
	if (f == NULL)
		return (NULL);
	fputs("| method | least role | summary |\n|---|---|---|\n", f);
	for (i = 0; i < proto_nmethods; i++) {
		fprintf(f, "| `%s` | %s | ", proto_methods[i].name,
		    proto_role_name(proto_methods[i].role));
		proto_doc_cell(f, proto_methods[i].summary);
		fputs(" |\n", f);
	}
	fputs("\n", f);
	for (i = 0; i < proto_nmethods; i++)
		proto_doc_method(f, &proto_methods[i]);
	return (proto_doc_finish(f, &buf));
}

/* Plain-text help for one method, for the client (caller frees). */
char *
proto_doc_method_help(const struct proto_method *m)
{
	FILE *f;
	char *buf = NULL;
	size_t len;

	f = open_memstream(&buf, &len);
	if (f == NULL)
		return (NULL);
	fprintf(f, "%s: %s\nleast role: %s\n", m->name, m->summary,
	    proto_role_name(m->role));
	if (m->params == NULL || m->params->name == NULL)
		fputs("no parameters\n", f);
	else {
		fputs("parameters:\n", f);
		proto_help_fields(f, m->params, 2);
	}
	fprintf(f, "result: %s\n", m->result);
	return (proto_doc_finish(f, &buf));
}

/* The generated error table. */
char *
proto_doc_errors(void)
{
	static const int codes[] = {
#define PROTO_DOC_CODE(e, code, name, msg)	(code),
		PROTO_ERRORS(PROTO_DOC_CODE)
#undef PROTO_DOC_CODE
	};
	FILE *f;
	char *buf = NULL;
	size_t len, i;

	f = open_memstream(&buf, &len);
	if (f == NULL)
		return (NULL);
	fputs("| code | data.name | meaning |\n|---|---|---|\n", f);
	for (i = 0; i < sizeof codes / sizeof codes[0]; i++)
		fprintf(f, "| %d | `%s` | %s |\n", codes[i],
		    proto_err_name(codes[i]), proto_strerror(codes[i]));
	fputs("\n", f);
	return (proto_doc_finish(f, &buf));
}

/* Finds the generated block called tag in doc. */
int
proto_doc_block(const char *doc, const char *tag, size_t *start,
    size_t *len)
{
	char begin[128], end[128];
	const char *b, *e;

	snprintf(begin, sizeof begin, "<!-- begin generated: %s -->\n", tag);
	snprintf(end, sizeof end, "<!-- end generated: %s -->", tag);
	b = strstr(doc, begin);
	if (b == NULL)
		return (-ENOENT);
	b += strlen(begin);
	e = strstr(b, end);
	if (e == NULL)
		return (-ENOENT);
	*start = (size_t)(b - doc);
	*len = (size_t)(e - b);
	return (0);
}
