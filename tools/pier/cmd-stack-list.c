/*
 * The read side of the stacks: `pier stack ls [NODE...]` across every
 * joined node (cli_rpc_multi on stack.list: NAME NODE TYPE SERVICES
 * RUNNING STATUS), `pier stack ps NODE/NAME` (stack.ps: NAME SERVICE
 * STATE STATUS IMAGE PORTS) and `pier services [NODE]` (service.list:
 * NAME MODE REPLICAS IMAGE STACK PORTS); each with --json.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "cli-out.h"
#include "cli-stack.h"

static int	ls_main(const struct cli_cmd *, int, char **);
static int	ps_main(const struct cli_cmd *, int, char **);
static int	services_main(const struct cli_cmd *, int, char **);

static const struct cli_opt ls_opts[] = {
	{ .name = "json", .help = "one JSON object per stack" },
	{ .name = NULL }
};
const struct cli_cmd cli_cmd_stack_ls = {
	.name = "stack ls", .main = ls_main,
	.method = "stack.list", .role = PROTO_ROLE_VIEWER,
	.opts = ls_opts, .args_max = -1,
	.usage = "[NODE...] [--json]",
	.summary = "list the stacks of every joined node (or those named)",
	.help = "",
};

const struct cli_cmd cli_cmd_stack_ps = {
	.name = "stack ps", .main = ps_main,
	.method = "stack.ps", .role = PROTO_ROLE_VIEWER,
	.opts = ls_opts, .args_min = 1, .args_max = 1,
	.usage = "NODE/NAME [--json]",
	.summary = "list a stack's containers",
	.help = "",
};

const struct cli_cmd cli_cmd_services = {
	.name = "services", .main = services_main,
	.method = "service.list", .role = PROTO_ROLE_VIEWER,
	.opts = ls_opts, .args_max = 1,
	.usage = "[NODE] [--json]",
	.summary = "list a swarm's services with their replicas",
	.help = "",
};

/* Adds one stack.list row of node to the table. */
static int
ls_row(struct cli_table *t, const char *node, const json_t *s)
{
	char		 svc[24], run[48];
	const char	*cells[6];
	json_t		*j;

	snprintf(svc, sizeof(svc), "%lld", (long long)json_integer_value(
	    json_object_get(s, "services")));
	snprintf(run, sizeof(run), "%lld/%lld",
	    (long long)json_integer_value(json_object_get(s, "running")),
	    (long long)json_integer_value(json_object_get(s, "total")));
	cells[0] = json_string_value(json_object_get(s, "name"));
	cells[1] = node;
	cells[2] = json_string_value(json_object_get(s, "type"));
	cells[3] = svc;
	cells[4] = run;
	cells[5] = json_string_value(json_object_get(s, "status"));
	j = json_deep_copy(s);
	if (j != NULL)
		(void)json_object_set_new(j, "node", json_string(node));
	if (cli_table_add(t, cells) != 0 || cli_table_add_json(t, j) != 0)
		return (-1);
	return (0);
}

/* `pier stack ls`. */
static int
ls_main(const struct cli_cmd *self, int argc, char **argv)
{
	static const char *const hdr[] = { "NAME", "NODE", "TYPE",
	    "SERVICES", "RUNNING", "STATUS" };
	struct cli_multi	*m = NULL;
	struct cli_table	*t = NULL;
	struct cli_args		 a;
	struct cli_ctx		 x;
	const json_t		*rows;
	char			*cause = NULL;
	size_t			 nm = 0, i, k, missing = 0;
	int			 rc;

	rc = cli_args_parse(self, argc, argv, &a);
	cli_args_free(&a);
	if (rc >= 0)
		return (rc);
	rc = CLI_EXIT_FAIL;
	if (cli_ctx_open(&x, &cause) != 0) {
		cli_fail(self, NULL, cause, "failed");
		free(cause);
		return (rc);
	}
	if (cli_rpc_multi(&x, (const char *const *)a.argv, (size_t)a.argc,
	    self->method, NULL, 0, &m, &nm, &cause) != 0) {
		cli_fail(self, NULL, cause, "failed");
		goto out;
	}
	t = cli_table_new(hdr, 6);
	for (i = 0; t != NULL && i < nm; i++) {
		if (m[i].status != 0) {
			missing++;
			cli_error(self, "%s: %s", m[i].node, m[i].err.message !=
			    NULL ? m[i].err.message : "no answer");
			continue;
		}
		rows = json_object_get(m[i].result, "stacks");
		for (k = 0; k < json_array_size(rows); k++)
			if (ls_row(t, m[i].node, json_array_get(rows, k)) != 0)
				goto out;
	}
	if (t == NULL || cli_table_print(t, stdout, cli_args_get(self, &a,
	    "json") != NULL ? CLI_TABLE_JSON : 0) != 0)
		goto out;
	rc = missing > 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
out:
	cli_table_free(t);
	cli_multi_free(m, nm);
	cli_ctx_close(&x);
	free(cause);
	return (rc);
}

/* Calls method on node and prints its rows[key] with cells(); exit code. */
static int
rows_print(const struct cli_cmd *self, const char *node, json_t *params,
    const char *key, const char *const *hdr, size_t ncols,
    void (*cells)(const json_t *, const char **, char **), int json)
{
	struct cli_link		 l;
	struct cli_table	*t;
	const json_t		*rows;
	json_t			*res = NULL;	/* owned */
	const char		*c[8];
	char			*ports = NULL;
	size_t			 i;
	int			 rc;

	rc = cli_link_open(self, &l, node);
	if (rc != CLI_EXIT_OK) {
		json_decref(params);
		return (rc);
	}
	rc = cli_link_call(self, &l, self->method, params, &res);
	cli_link_close(&l);
	if (rc != CLI_EXIT_OK)
		return (rc);
	t = cli_table_new(hdr, ncols);
	rows = json_object_get(res, key);
	for (i = 0; t != NULL && i < json_array_size(rows); i++) {
		cells(json_array_get(rows, i), c, &ports);
		if (cli_table_add(t, c) != 0 || cli_table_add_json(t,
		    json_incref(json_array_get(rows, i))) != 0)
			rc = CLI_EXIT_FAIL;
		free(ports);
		ports = NULL;
	}
	if (t == NULL || cli_table_print(t, stdout, json ? CLI_TABLE_JSON :
	    0) != 0)
		rc = CLI_EXIT_FAIL;
	cli_table_free(t);
	json_decref(res);
	return (rc);
}

/* One stack.ps row: NAME SERVICE STATE STATUS IMAGE PORTS. */
static void
ps_cells(const json_t *r, const char **c, char **ports)
{
	*ports = cli_human_ports_json(json_object_get(r, "ports"));
	c[0] = json_string_value(json_object_get(r, "name"));
	c[1] = json_string_value(json_object_get(r, "service"));
	c[2] = json_string_value(json_object_get(r, "state"));
	c[3] = json_string_value(json_object_get(r, "status"));
	c[4] = json_string_value(json_object_get(r, "image"));
	c[5] = *ports;
}

/* `pier stack ps`. */
static int
ps_main(const struct cli_cmd *self, int argc, char **argv)
{
	static const char *const hdr[] = { "NAME", "SERVICE", "STATE",
	    "STATUS", "IMAGE", "PORTS" };
	struct cli_target	 tg;
	struct cli_args		 a;
	int			 rc;

	rc = cli_args_parse(self, argc, argv, &a);
	cli_args_free(&a);
	if (rc < 0)
		rc = cli_stack_target(self, a.argv[0], &tg);
	if (rc >= 0)
		return (rc);
	rc = rows_print(self, tg.node, json_pack("{s:s}", "name",
	    tg.container), "containers", hdr, 6, ps_cells,
	    cli_args_get(self, &a, "json") != NULL);
	cli_target_free(&tg);
	return (rc);
}

/* One service.list row: NAME MODE REPLICAS IMAGE STACK PORTS. */
static void
svc_cells(const json_t *r, const char **c, char **ports)
{
	static char	 rep[48];
	const json_t	*p;
	char		*s = NULL, *n;
	size_t		 i;

	snprintf(rep, sizeof(rep), "%lld/%lld",
	    (long long)json_integer_value(json_object_get(r, "running")),
	    (long long)json_integer_value(json_object_get(r, "desired")));
	json_array_foreach(json_object_get(r, "ports"), i, p) {
		if (asprintf(&n, "%s%s*:%lld->%lld/%s", s != NULL ? s : "",
		    s != NULL ? ", " : "", (long long)json_integer_value(
		    json_object_get(p, "PublishedPort")), (long long)
		    json_integer_value(json_object_get(p, "TargetPort")),
		    json_string_value(json_object_get(p, "Protocol")) != NULL ?
		    json_string_value(json_object_get(p, "Protocol")) : "tcp") <
		    0)
			break;
		free(s);
		s = n;
	}
	*ports = s;
	c[0] = json_string_value(json_object_get(r, "name"));
	c[1] = json_string_value(json_object_get(r, "mode"));
	c[2] = rep;
	c[3] = json_string_value(json_object_get(r, "image"));
	c[4] = json_string_value(json_object_get(r, "stack"));
	c[5] = s;
}

/* `pier services`. */
static int
services_main(const struct cli_cmd *self, int argc, char **argv)
{
	static const char *const hdr[] = { "NAME", "MODE", "REPLICAS",
	    "IMAGE", "STACK", "PORTS" };
	struct cli_args	 a;
	int		 rc;

	rc = cli_args_parse(self, argc, argv, &a);
	cli_args_free(&a);
	if (rc >= 0)
		return (rc);
	return (rows_print(self, a.argc > 0 ? a.argv[0] : NULL, NULL,
	    "services", hdr, 6, svc_cells, cli_args_get(self, &a, "json") !=
	    NULL));
}
