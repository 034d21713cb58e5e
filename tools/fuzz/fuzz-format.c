/*
 * Fuzzes --format: any bytes as a template, parsed for a listing's
 * fields and for an inspect object, then run over fixed rows (with a
 * table's header) and laid out by the tabwriter; the same bytes also go
 * to the tabwriter as text. A template comes from a user's command line
 * and the rows from nodes, so neither may crash the client or make it
 * work without bound.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fields[] = {
	"ID", "CONTAINER ID", "Names", "NAMES", "Labels", "LABELS",
	"Node", "NODE", NULL
};
static const struct cli_fmt_spec specs[] = {
	{ .fields = fields, .labels = 1, .go_map = 1 },
	{ .fields = NULL },
};

/* Runs one template over the rows of its kind. */
static void
run(const char *text, const struct cli_fmt_spec *spec, const json_t *row,
    const json_t *labels)
{
	struct cli_fmt	*f;
	struct cli__buf	 b;
	char		*cause = NULL, *t;
	size_t		 len;
	int		 i;

	if (cli_fmt_parse(text, spec, &f, &cause) != 0) {
		free(cause);
		return;
	}
	memset(&b, 0, sizeof(b));
	if (cli_fmt_is_table(f) && cli_fmt_header(f, &b, &cause) != 0) {
		free(cause);
		cause = NULL;
	}
	for (i = 0; i < 2; i++) {
		if (cli_fmt_row(f, row, labels, "n1", &b, &cause) != 0) {
			free(cause);
			cause = NULL;
		}
	}
	if (b.p != NULL && b.len < 65536) {
		t = cli_tabwrite(b.p, b.len, &len);
		free(t);
	}
	free(b.p);
	cli_fmt_free(f);
}

/* Feeds one input as a template and as tabwriter text. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t	*row, *labels, *obj;	/* made once */
	char		*text, *t;
	size_t		 len;

	if (size > 4096)
		return (0);
	text = malloc(size + 1);
	if (text == NULL)
		return (0);
	memcpy(text, data, size);
	text[size] = '\0';
	if (row == NULL)
		row = json_pack("{s:s, s:s, s:s, s:s}", "ID",
		    "1218da9b4694", "Names", "web,x", "Labels",
		    "a=1,b=<2>", "Node", "n1");
	if (labels == NULL)
		labels = json_pack("{s:s, s:s}", "a", "1", "b", "<2>");
	if (obj == NULL)
		obj = json_loads("{\"Id\":\"abc\",\"State\":{"
		    "\"Status\":\"up\",\"Pid\":7,\"Ok\":true},"
		    "\"Config\":{\"Cmd\":[\"sh\",\"-c\",\"x\"],"
		    "\"Labels\":{\"k\":\"v\",\"e\":\"\"},"
		    "\"N\":null,\"F\":1.5e-9},\"List\":[[1,2],[3,[4,[5]]],"
		    "{\"a\":[1,2,3]}]}", 0, NULL);
	if (row != NULL && labels != NULL && obj != NULL) {
		run(text, &specs[0], row, labels);
		run(text, &specs[1], obj, NULL);
	}
	t = cli_tabwrite(text, size, &len);
	free(t);
	free(text);
	return (0);
}
