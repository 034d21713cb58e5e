/*
 * Tests of tools/pier/format*.c, the --format evaluator, against what
 * docker's Go prints for the same templates: fields, json (a context's
 * sorted, escaped map and a value's own order), table headers through
 * the tabwriter, .Label, the string functions, blocks, and the errors
 * (an unknown field names the fields there are, a syntax error its
 * position).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "format.h"

static const char *const ps_fields[] = {
	"ID", "CONTAINER ID", "Names", "NAMES", "Image", "IMAGE",
	"Status", "STATUS", "Labels", "LABELS", "Node", "NODE", NULL
};
static const struct cli_fmt_spec ps_spec = {
	.fields = ps_fields, .labels = 1, .go_map = 1,
};
static const struct cli_fmt_spec any_spec = { .fields = NULL };

/* Runs text over the rows (a JSON array) with spec; output or error. */
static char *
render(const struct cli_fmt_spec *spec, const char *text, const char *rows)
{
	struct cli_fmt	*f;
	struct cli__buf	 b;
	json_t		*r, *row;
	char		*cause = NULL;
	size_t		 i;

	r = json_loads(rows, 0, NULL);
	if (r == NULL)
		return (strdup("bad rows"));
	if (cli_fmt_parse(text, spec, &f, &cause) != 0) {
		json_decref(r);
		return (cause);
	}
	memset(&b, 0, sizeof(b));
	cli__buf_add(&b, "", 0);
	if (cli_fmt_is_table(f) && cli_fmt_header(f, &b, &cause) != 0)
		goto fail;
	json_array_foreach(r, i, row) {
		if (cli_fmt_row(f, row, json_object_get(row, "labels_"),
		    "n0", &b, &cause) != 0)
			goto fail;
	}
	cli_fmt_free(f);
	json_decref(r);
	return (b.p);
fail:
	cli_fmt_free(f);
	json_decref(r);
	free(b.p);
	return (cause);
}

/* render() through the tabwriter. */
static char *
render_table(const struct cli_fmt_spec *spec, const char *text,
    const char *rows)
{
	char	*s = render(spec, text, rows), *t;
	size_t	 len;

	t = cli_tabwrite(s, strlen(s), &len);
	free(s);
	return (t);
}

#define ROWS	"[{\"ID\":\"1218da9b4694\",\"Names\":\"web\"," \
	"\"Image\":\"nginx:1\",\"Status\":\"Up 3 hours\"," \
	"\"Labels\":\"a.b=x,c=<y>\",\"Node\":\"n1\"," \
	"\"labels_\":{\"a.b\":\"x\",\"c\":\"<y>\"}}," \
	"{\"ID\":\"47aa67b9c91d\",\"Names\":\"database\"," \
	"\"Image\":\"postgres\",\"Status\":\"Exited (0) 2 days ago\"," \
	"\"Labels\":\"\",\"Node\":\"n2\",\"labels_\":{}}]"

/* Checks one template's output. */
#define CHECK(spec, text, rows, want) do {				\
	char *got_ = render(spec, text, rows);				\
	ASSERT_STREQ(got_, want);					\
	free(got_);							\
} while (0)

/* Fields, literal text, \t, and the two kinds of json. */
static void
test_fields(void)
{
	CHECK(&ps_spec, "{{.ID}}\\t{{.Names}}", ROWS,
	    "1218da9b4694\tweb\n47aa67b9c91d\tdatabase\n");
	CHECK(&ps_spec, "  {{.Node}}/{{.ID}}  ", ROWS,
	    "n1/1218da9b4694\nn2/47aa67b9c91d\n");
	CHECK(&ps_spec, "{{json .Names}}", ROWS, "\"web\"\n\"database\"\n");
	CHECK(&ps_spec, "{{json .Labels}}", "[{\"Labels\":\"c=<y>\"}]",
	    "\"c=<y>\"\n");
	/* A row as docker marshals a context: sorted keys, <>& escaped. */
	CHECK(&ps_spec, "{{json .}}", "[{\"Names\":\"a&b\",\"ID\":\"<1>\"}]",
	    "{\"ID\":\"\\u003c1\\u003e\",\"Names\":\"a\\u0026b\"}\n");
	CHECK(&ps_spec, "json", "[{\"Names\":\"x\",\"ID\":\"1\"}]",
	    "{\"ID\":\"1\",\"Names\":\"x\"}\n");
	/* An inspect object keeps its order and is not escaped. */
	CHECK(&any_spec, "{{json .}}",
	    "[{\"Z\":1,\"A\":[true,null,1.5,\"<\\n\\u0001\"]}]",
	    "{\"Z\":1,\"A\":[true,null,1.5,\"<\\n\\u0001\"]}\n");
	CHECK(&any_spec, "{{.State.Status}} {{.Config.Cmd}} {{.Config.Env}}",
	    "[{\"State\":{\"Status\":\"running\"},\"Config\":{\"Cmd\":"
	    "[\"sleep\",\"9\"],\"Env\":{\"b\":2,\"a\":\"x\"}}}]",
	    "running [sleep 9] map[a:x b:2]\n");
	CHECK(&any_spec, "{{.Config.Labels.missing}}",
	    "[{\"Config\":{\"Labels\":{\"k\":\"v\"}}}]", "<no value>\n");
	CHECK(&any_spec, "{{.X}} {{.Y}} {{.Z}}",
	    "[{\"X\":1e6,\"Y\":0.5,\"Z\":null}]", "1e+06 0.5 <nil>\n");
}

/* `table`: headers from the fields, .Label's header, the tabwriter. */
static void
test_table(void)
{
	char	*s;

	s = render_table(&ps_spec, "table {{.ID}}\\t{{.Names}}\\t"
	    "{{.Label \"a.b\"}}\\t{{upper .Status}}", ROWS);
	ASSERT_STREQ(s,
	    "CONTAINER ID   NAMES      b         STATUS\n"
	    "1218da9b4694   web        x         UP 3 HOURS\n"
	    "47aa67b9c91d   database             EXITED (0) 2 DAYS AGO\n");
	free(s);
	s = render_table(&ps_spec, "table {{.Node}}: {{json .Names}}", "[]");
	ASSERT_STREQ(s, "NODE: NAMES\n");
	free(s);
	/* Column blocks end where a line has fewer cells, as Go's. */
	s = cli_tabwrite("a\tb\tc\nlonger text\td\n\nx\ty\n",
	    strlen("a\tb\tc\nlonger text\td\n\nx\ty\n"), &(size_t){0});
	ASSERT_STREQ(s, "a             b         c\nlonger text   d\n\n"
	    "x         y\n");
	free(s);
	s = cli_tabwrite("é\tx\n", strlen("é\tx\n"), &(size_t){0});
	ASSERT_STREQ(s, "é         x\n");
	free(s);
}

/* Functions, pipes and blocks. */
static void
test_functions(void)
{
	CHECK(&ps_spec, "{{.Label \"a.b\"}}|{{.Label \"none\"}}|"
	    "{{lower .Image}}|{{.Names | upper}}|{{title \"ab cd\"}}", ROWS,
	    "x||nginx:1|WEB|Ab Cd\n||postgres|DATABASE|Ab Cd\n");
	CHECK(&ps_spec, "{{join (split .Image \":\") \",\"}} "
	    "{{truncate .ID 4}} [{{pad .Names 1 2}}] {{len .Names}}", ROWS,
	    "nginx,1 1218 [ web  ] 3\npostgres 47aa [ database  ] 8\n");
	CHECK(&ps_spec, "{{if eq .Node \"n1\"}}one{{else if .Labels}}lab"
	    "{{else}}{{.Node}}{{end}}", ROWS, "one\nn2\n");
	CHECK(&ps_spec, "{{printf \"%-5s|%3d|%q\" .Node 7 .Names}}", ROWS,
	    "n1   |  7|\"web\"\nn2   |  7|\"database\"\n");
	CHECK(&any_spec, "{{range .Ports}}{{.P}}/{{$.Name}} {{else}}none"
	    "{{end}}{{with .Net}}{{.IP}}{{end}}",
	    "[{\"Name\":\"c\",\"Ports\":[{\"P\":80},{\"P\":443}],"
	    "\"Net\":{\"IP\":\"10.0.0.2\"}},{\"Name\":\"d\",\"Ports\":[],\"Net\":null}]",
	    "80/c 443/c 10.0.0.2\nnone\n");
	CHECK(&any_spec, "{{range $k := .}}x{{end}}", "[{}]",
	    "template: at position 9: variables are not supported");
	CHECK(&any_spec, "{{- .A -}}  \n {{.B}}{{/* c */}}",
	    "[{\"A\":\"a\",\"B\":\"b\"}]", "ab\n");
	CHECK(&any_spec, "{{index .A 1}} {{index .M \"k\"}} {{not .F}} "
	    "{{and 1 0}} {{or 0 \"y\"}} {{print 1 2 \"s\"}}",
	    "[{\"A\":[5,6],\"M\":{\"k\":\"v\"},\"F\":false}]",
	    "6 v true 0 y 1 2s\n");
}

/* Errors: an unknown field names the fields; syntax errors a place. */
static void
test_errors(void)
{
	CHECK(&ps_spec, "{{.ID}} {{.Nmaes}}", ROWS,
	    "template: at position 11: unknown field .Nmaes; the fields are "
	    ".ID, .Names, .Image, .Status, .Labels, .Node, .Label \"KEY\"");
	CHECK(&ps_spec, "{{.ID", ROWS,
	    "template: at position 6: unclosed action");
	CHECK(&ps_spec, "ab {{if .ID}}x", ROWS,
	    "template: at position 4: missing {{end}}");
	CHECK(&ps_spec, "{{end}}", ROWS,
	    "template: at position 7: unexpected {{end}}");
	CHECK(&ps_spec, "{{nosuch .ID}}", ROWS,
	    "template: at position 3: function \"nosuch\" not defined");
	CHECK(&ps_spec, "{{.Label}}", ROWS, "template: at position 3: "
	    ".Label needs a label's name: {{.Label \"KEY\"}}");
	CHECK(&ps_spec, "{{join .Names \",\"}}", ROWS, "template: at "
	    "position 3: join takes a list and a separator string");
	CHECK(&any_spec, "{{.State.Nope}}",
	    "[{\"State\":{\"Status\":\"x\",\"Pid\":1}}]",
	    "template: at position 3: unknown field .Nope; the fields are "
	    ".Status, .Pid");
	CHECK(&ps_spec, "{{\"abc}}", ROWS,
	    "template: at position 3: unterminated string");
	CHECK(&any_spec, "{{range .}}{{range .}}{{.}}{{end}}{{end}}",
	    "[[[1,2],[3]]]", "123\n");
}

/* Go's quoting and time formats. */
static void
test_quote_time(void)
{
	struct cli__buf	b;

	memset(&b, 0, sizeof(b));
	cli_fmt_quote(&b, "sh -c 'echo \"hi\"\t\x01\xff'");
	ASSERT_STREQ(b.p, "\"sh -c 'echo \\\"hi\\\"\\t\\x01\\xff'\"");
	free(b.p);
	memset(&b, 0, sizeof(b));
	setenv("TZ", "UTC", 1);
	cli_fmt_time(&b, 1700000000, 0);
	ASSERT_STREQ(b.p, "2023-11-14 22:13:20 +0000 UTC");
	cli_fmt_time(&b, 1700000000, 342405000);
	ASSERT_STREQ(b.p, "2023-11-14 22:13:20 +0000 UTC"
	    "2023-11-14 22:13:20.342405 +0000 UTC");
	free(b.p);
}

TEST_MAIN(
	T(test_fields),
	T(test_table),
	T(test_functions),
	T(test_errors),
	T(test_quote_time))
