/*
 * What the list and inspect commands of the object families (networks,
 * volumes, images) share: `pier FAMILY ls [NODE] [-q] [--no-trunc]
 * [--json]`, which fetches a node's rows, sorts them by name as docker
 * lists them and prints them as a table, one column with -q, or JSON;
 * and `pier FAMILY inspect [NODE] NAME`, which prints the engine's
 * inspect object as indented JSON. A family's command file gives only
 * its columns (struct cli_list_spec); one copy of the rest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli-out.h"

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
static int
list_call(const struct cli_cmd *self, struct cli_link *l,
    const char *method, const char *key, json_t *params, json_t **rows)
{
	json_t	*res = NULL;	/* owned */
	int	 rc;

	*rows = NULL;
	rc = cli_link_call(self, l, method, params, &res);
	if (rc != CLI_EXIT_OK) {
		json_decref(res);
		return (rc);
	}
	*rows = cli_rows_by_name(json_object_get(res, key));
	json_decref(res);
	return (CLI_EXIT_OK);
}

/* Prints rows as spec's table, or its quiet column alone; 0 or -1. */
static int
list_print(const struct cli_list_spec *spec, const json_t *rows,
    int quiet, int no_trunc)
{
	struct cli_table	*t = NULL;
	const json_t		*row;
	const char		*cells[CLI_LIST_COLS_MAX];
	char			 buf[CLI_LIST_BUF], *s;
	size_t			 i, c;
	int			 err = 0;

	if (!quiet && (t = cli_table_new(spec->hdr, spec->ncols)) == NULL)
		return (-1);
	json_array_foreach(rows, i, row) {
		for (c = 0; c < spec->ncols; c++)
			cells[c] = NULL;
		spec->cells(row, no_trunc, cells, buf);
		if (quiet) {
			s = cli_sanitize(cells[spec->quiet_col], 512);
			printf("%s\n", s != NULL ? s : "?");
			free(s);
			continue;
		}
		err = cli_table_add(t, cells);
		if (err != 0)
			break;
	}
	if (err == 0 && !quiet)
		err = cli_table_print(t, stdout, CLI_TABLE_NO_TRUNC);
	cli_table_free(t);
	return (err != 0 ? -1 : 0);
}

/* `pier FAMILY ls [NODE] [-q] [--no-trunc] [--json]` as spec says. */
int
cli_list_main(const struct cli_cmd *self, int argc, char **argv,
    const struct cli_list_spec *spec)
{
	struct cli_link	 l;
	struct cli_args	 a;
	struct cli_fmt	*f = NULL;
	json_t		*rows = NULL, *params;	/* owned */
	int		 quiet, no_trunc, json, rc, err = 0;

	rc = cli_args_parse(self, argc, argv, &a);
	cli_args_free(&a);
	if (rc >= 0)
		return (rc);
	quiet = cli_args_get(self, &a, "quiet") != NULL;
	no_trunc = cli_args_get(self, &a, "no-trunc") != NULL;
	json = cli_args_get(self, &a, "json") != NULL;
	params = json_object();
	if (params == NULL)
		return (cli_error(self, "out of memory"));
	rc = cli_listing_opts(self, &a, spec->listing, params, &f);
	if (rc < 0 && f != NULL && !quiet)
		rc = cli_listing_format(self, spec->listing, f,
		    (const char *const *)a.argv, (size_t)a.argc, params,
		    !no_trunc);
	else if (rc < 0)
		rc = cli_listing_multi(self, spec->listing, &a, params, quiet,
		    json, no_trunc);
	cli_fmt_free(f);
	if (rc >= 0) {
		json_decref(params);
		return (rc);
	}
	rc = cli_link_open(self, &l, a.argc > 0 ? a.argv[0] : NULL);
	if (rc != CLI_EXIT_OK) {
		json_decref(params);
		return (rc);
	}
	rc = list_call(self, &l, self->method, spec->key, params, &rows);
	if (rc == CLI_EXIT_OK && rows == NULL)
		err = -1;
	else if (rc == CLI_EXIT_OK && json)
		err = cli_json_print(stdout, rows);
	else if (rc == CLI_EXIT_OK)
		err = list_print(spec, rows, quiet, no_trunc);
	json_decref(rows);
	cli_link_close(&l);
	if (err != 0)
		return (cli_error(self, "cannot print the list"));
	return (rc);
}

/* `pier FAMILY inspect [NODE] NAME`: method's answer as indented JSON. */
int
cli_inspect_main(const struct cli_cmd *self, int argc, char **argv,
    const char *method)
{
	struct cli_link	 l;
	json_t		*res = NULL;	/* owned */
	int		 rc;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0))
		return (cli_help(self));
	if (argc != 2 && argc != 3)
		return (cli_usage(self));
	/* No options here: an unknown one is not an object's name. */
	if (argv[1][0] == '-' || argv[argc - 1][0] == '-')
		return (cli_usage_error(self, "unknown option %s",
		    argv[1][0] == '-' ? argv[1] : argv[argc - 1]));
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
