/*
 * What the list and inspect commands of the object families (networks,
 * volumes, images) share: sorting a node's rows by name as docker lists
 * them, and `pier FAMILY inspect [NODE] NAME`, which prints the engine's
 * inspect object as indented JSON. One copy instead of one per family.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Orders two rows by their "name", for qsort. */
static int
by_name(const void *a, const void *b)
{
	const char	*x, *y;

	x = json_string_value(json_object_get(*(json_t *const *)a, "name"));
	y = json_string_value(json_object_get(*(json_t *const *)b, "name"));
	return (strcmp(x != NULL ? x : "", y != NULL ? y : ""));
}

/* The rows of a list sorted by name, as docker lists them (new). */
json_t *
cli_rows_by_name(const json_t *rows)
{
	json_t	**v, *out;	/* out owned */
	size_t	  i, n = json_array_size(rows);

	out = json_array();
	v = calloc(n + 1, sizeof(*v));
	if (out == NULL || v == NULL) {
		free(v);
		json_decref(out);
		return (NULL);
	}
	for (i = 0; i < n; i++)
		v[i] = json_array_get(rows, i);
	qsort(v, n, sizeof(*v), by_name);
	for (i = 0; i < n; i++)
		(void)json_array_append(out, v[i]);
	free(v);
	return (out);
}

/*
 * Calls method (no parameters) on l and sets *rows to the answer's array
 * key sorted by name (new); CLI_EXIT_OK with *rows NULL when out of
 * memory. An exit code.
 */
int
cli_list_call(const struct cli_cmd *self, struct cli_link *l,
    const char *method, const char *key, json_t **rows)
{
	json_t	*res = NULL;	/* owned */
	int	 rc;

	*rows = NULL;
	rc = cli_link_call(self, l, method, NULL, &res);
	if (rc != CLI_EXIT_OK) {
		json_decref(res);
		return (rc);
	}
	*rows = cli_rows_by_name(json_object_get(res, key));
	json_decref(res);
	return (CLI_EXIT_OK);
}

/* `pier FAMILY inspect [NODE] NAME`: method's answer as indented JSON. */
int
cli_inspect_main(const struct cli_cmd *self, int argc, char **argv,
    const char *method)
{
	struct cli_link	 l;
	json_t		*res = NULL;	/* owned */
	int		 rc;

	if (argc == 2 && strcmp(argv[1], "--help") == 0)
		return (cli_help(self));
	if (argc != 2 && argc != 3)
		return (cli_usage(self));
	rc = cli_link_open(self, &l, argc == 3 ? argv[1] : NULL);
	if (rc != CLI_EXIT_OK)
		return (rc);
	rc = cli_link_call(self, &l, method, json_pack("{s:s}",
	    "id", argv[argc - 1]), &res);
	if (rc == CLI_EXIT_OK && json_dumpf(res, stdout, JSON_INDENT(4) |
	    JSON_PRESERVE_ORDER) == 0)
		putchar('\n');
	json_decref(res);
	cli_link_close(&l);
	return (rc);
}
