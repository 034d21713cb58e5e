/*
 * `pier top NODE/CONTAINER [PS_OPTIONS]`: the processes running in a
 * container, as docker top prints them. Options end at the target, so
 * what follows it goes to ps on the node as it is (default -ef).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "cli.h"
#include "cli-out.h"

static int	top_main(const struct cli_cmd *, int, char **);

const struct cli_cmd cli_cmd_top = {
	.name = "top", .main = top_main, .method = "container.top",
	.role = PROTO_ROLE_VIEWER, .usage = "NODE/CONTAINER [PS_OPTIONS]",
	.summary = "show the processes running in a container",
	.args_min = 1, .args_max = -1, .flags = CLI_F_ORDER,
	.help = CLI_HELP_TARGET
	    "  PS_OPTIONS      options for ps on the node (default -ef)\n",
};

/* Prints container.top's answer as docker top does. */
static int
top_print(const json_t *res)
{
	const json_t		*titles, *procs, *row;
	const char		*h[CLI_TABLE_MAX_COLS];
	const char		*cells[CLI_TABLE_MAX_COLS];
	struct cli_table	*t;
	size_t			 i, j, nc;
	int			 err = 0;

	titles = json_object_get(res, "titles");
	procs = json_object_get(res, "processes");
	nc = json_array_size(titles);
	if (nc == 0 || nc > CLI_TABLE_MAX_COLS)
		return (-EPROTO);
	for (i = 0; i < nc; i++)
		h[i] = json_string_value(json_array_get(titles, i));
	t = cli_table_new(h, nc);
	if (t == NULL)
		return (-ENOMEM);
	for (i = 0; err == 0 && i < json_array_size(procs); i++) {
		row = json_array_get(procs, i);
		for (j = 0; j < nc; j++)
			cells[j] = json_string_value(json_array_get(row, j));
		err = cli_table_add(t, cells);
	}
	if (err == 0)
		err = cli_table_print(t, stdout, CLI_TABLE_NO_TRUNC);
	cli_table_free(t);
	return (err);
}

/* `pier top NODE/CONTAINER [PS_OPTIONS]`. */
static int
top_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_link		 l;
	struct cli_target	 t;
	struct cli_rpc_error	 e;
	struct cli_args		 a;
	struct cli__buf		 ps;
	json_t			*params, *res = NULL;	/* owned */
	char			*cause = NULL;
	int			 i, rc = CLI_EXIT_FAIL, err;

	rc = cli_args_parse(self, argc, argv, &a);
	cli_args_free(&a);
	if (rc >= 0)
		return (rc);
	rc = CLI_EXIT_FAIL;
	memset(&t, 0, sizeof(t));
	memset(&e, 0, sizeof(e));
	memset(&ps, 0, sizeof(ps));
	for (i = 1; i < a.argc; i++) {	/* PS_OPTIONS, after the target */
		cli__buf_str(&ps, i > 1 ? " " : "");
		cli__buf_str(&ps, a.argv[i]);
	}
	cli__buf_add(&ps, "", 1);
	if (cli_link_ctx(self, &l) != CLI_EXIT_OK)
		goto out;
	err = cli_target_parse(&l.x.book, a.argv[0], &t, &cause);
	if (err != 0) {
		cli_fail(self, NULL, cause, "failed");
		rc = err == -EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
		goto out;
	}
	if (cli_link_connect(self, &l, t.node) != CLI_EXIT_OK)
		goto out;
	params = json_pack("{s:s}", "id", t.container);
	if (params != NULL && a.argc > 1 && ps.p != NULL)
		(void)json_object_set_new(params, "ps_args", json_string(ps.p));
	/* Its errors name the target, not the node: no cli_link_call. */
	if (cli_rpc_call(l.r, self->method, params, 0, &res, &e) != 0) {
		rc = cli_error(self, "%s: %s", a.argv[0], e.message != NULL ?
		    e.message : "failed");
		goto out;
	}
	if (top_print(res) != 0)
		cli_error(self, "%s: the node's answer is not a process "
		    "table", a.argv[0]);
	else
		rc = CLI_EXIT_OK;
out:
	json_decref(res);
	cli_rpc_error_clear(&e);
	cli_link_close(&l);
	cli_target_free(&t);
	free(ps.p);
	free(cause);
	return (rc);
}
