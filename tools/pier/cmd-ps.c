/*
 * `pier ps [-a] [-q] [--no-trunc] [--json] [--timeout SECS] [NODE...]`:
 * the containers of every joined node (or the named ones), asked in
 * parallel with container.list, in one table like docker ps with a NODE
 * column first. A node that does not answer within the timeout (3 s by
 * default) is reported on stderr as unreachable and the others still
 * print; the exit code is then 1, so a script can tell a partial list
 * from a whole one. -q prints NODE/ID per line, which every command that
 * takes NODE/CONTAINER accepts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto.h"
#include "cli.h"
#include "cli-out.h"

#define PS_TIMEOUT_MS	3000	/* per node, connect and reply */
#define PS_CMD_WIDTH	20	/* COMMAND is cut to this, as docker's */

static int	ps_main(const struct cli_cmd *, int, char **);

static const struct cli_opt ps_opts[] = {
	{ .name = "all", .letter = 'a', .help = "show stopped containers too" },
	{ .name = "quiet", .letter = 'q',
	  .help = "print NODE/ID only, one per line" },
	{ .name = "no-trunc", .help = "do not cut ids and commands" },
	{ .name = "json", .help = "print the rows as JSON" },
	{ .name = "timeout", .arg = "SECS", .kind = CLI_K_ARG,
	  .help = "wait this long for each node (default 3)" },
	CLI_OPTS_LISTING,
	{ .name = NULL }
};

const struct cli_cmd cli_cmd_ps = {
	.name = "ps",
	.main = ps_main,
	.method = "container.list",
	.role = PROTO_ROLE_VIEWER,
	.opts = ps_opts,
	.args_max = -1,
	.usage = "[-a] [-q] [--no-trunc] [--json] [--format TEMPLATE] "
	    "[-f KEY=VALUE] [--timeout SECS] [NODE...]",
	.summary = "list containers on every joined node (or those named)",
	.help =
	    "  NODE            joined nodes to ask (default: all, at once)\n",
	.notes =
	    "\nA node that does not answer in time is reported on stderr as\n"
	    "unreachable; the others still print, and the exit code is 1.\n"
	    "--format takes docker's templates and fields (.ID, .Names,\n"
	    ".Image, .Command, .CreatedAt, .RunningFor, .Status, .State,\n"
	    ".Ports, .Labels, .Label \"KEY\", .Mounts, .Networks, .Size,\n"
	    ".LocalVolumes) and .Node; it prints what it is given, no NODE\n"
	    "column added, so one node's output is docker ps's.\n",
};

static const char *const ps_headers[] = { "NODE", "CONTAINER ID", "IMAGE",
	"COMMAND", "CREATED", "STATUS", "PORTS", "NAMES" };
#define PS_NCOLS	(sizeof(ps_headers) / sizeof(ps_headers[0]))

/* A string member or "". */
static const char *
str(const json_t *o, const char *k)
{
	const char	*s = json_string_value(json_object_get(o, k));

	return (s != NULL ? s : "");
}

/* The NAMES cell: names joined with commas (caller frees). */
static char *
names_cell(const json_t *row)
{
	const json_t	*names = json_object_get(row, "names");
	struct cli__buf	 b;
	size_t		 i;

	memset(&b, 0, sizeof(b));
	for (i = 0; i < json_array_size(names); i++) {
		if (i > 0)
			cli__buf_str(&b, ",");
		cli__buf_str(&b, json_string_value(json_array_get(names, i)) ?
		    json_string_value(json_array_get(names, i)) : "");
	}
	cli__buf_add(&b, "", 1);
	if (b.err != 0) {
		free(b.p);
		return (NULL);
	}
	return (b.p);
}

/* Adds one container row of a node to the table (or prints it for -q). */
static int
ps_row(struct cli_table *t, const char *node, const json_t *row,
    int quiet, int no_trunc, int json, int64_t now)
{
	const char	*cells[PS_NCOLS];
	char		 id[CLI_SHORT_ID + 1], ago[CLI_HUMAN_LEN];
	char		*cmd, *quoted, *ports, *names;
	json_t		*j;	/* owned */
	int		 err;

	cli_short_id(id, str(row, "id"));
	if (quiet) {
		printf("%s/%s\n", node, no_trunc ? str(row, "id") : id);
		return (0);
	}
	cmd = no_trunc ? strdup(str(row, "command")) :
	    cli_ellipsis(str(row, "command"), PS_CMD_WIDTH);
	quoted = NULL;
	if (cmd != NULL && asprintf(&quoted, "\"%s\"", cmd) < 0)
		quoted = NULL;
	ports = cli_human_ports_json(json_object_get(row, "ports"));
	names = names_cell(row);
	cells[0] = node;
	cells[1] = no_trunc ? str(row, "id") : id;
	cells[2] = str(row, "image");
	cells[3] = quoted;
	cells[4] = cli_human_ago(ago, json_integer_value(json_object_get(row,
	    "created")), now);
	cells[5] = str(row, "status");
	cells[6] = ports;
	cells[7] = names;
	err = cli_table_add(t, cells);
	/* The JSON rows are kept only when they are printed. */
	j = json ? json_deep_copy(row) : NULL;
	if (!json || err != 0)
		;
	else if (j != NULL && json_object_set_new(j, "node",
	    json_string(node)) == 0)
		err = cli_table_add_json(t, j);
	else {
		json_decref(j);
		err = -ENOMEM;
	}
	free(cmd);
	free(quoted);
	free(ports);
	free(names);
	return (err);
}

/* `pier ps`. */
static int
ps_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_args		 a;
	struct cli_ctx		 x;
	struct cli_multi	*m = NULL;
	struct cli_table	*t = NULL;
	struct cli_fmt		*f = NULL;
	const json_t		*rows;
	json_t			*params;	/* owned */
	const char		*arg;
	char			*cause = NULL, *end;
	size_t			 nm = 0, i, k;
	long			 timeout_ms = PS_TIMEOUT_MS;
	double			 secs;
	int			 all, quiet, no_trunc, json;
	int			 rc = CLI_EXIT_FAIL, missing = 0;

	rc = cli_args_parse(self, argc, argv, &a);
	cli_args_free(&a);
	if (rc >= 0)
		return (rc);
	rc = CLI_EXIT_FAIL;
	all = cli_args_get(self, &a, "all") != NULL;
	quiet = cli_args_get(self, &a, "quiet") != NULL;
	no_trunc = cli_args_get(self, &a, "no-trunc") != NULL;
	json = cli_args_get(self, &a, "json") != NULL;
	arg = cli_args_get(self, &a, "timeout");
	if (arg != NULL) {
		secs = strtod(arg, &end);
		if (*end != '\0' || end == arg || !(secs > 0) || secs > 3600)
			return (cli_usage_error(self, "--timeout: expected "
			    "seconds, more than 0 and at most 3600, not %s",
			    arg));
		timeout_ms = (long)(secs * 1000);
	}
	params = json_pack("{s:b}", "all", all);
	if (params == NULL)
		return (CLI_EXIT_FAIL);
	rc = cli_listing_opts(self, &a, &cli_listing_ps, params, &f);
	/* docker ps asks for sizes when the template shows them. */
	if (rc < 0 && f != NULL && !quiet && cli_fmt_uses(f, "Size"))
		(void)json_object_set_new(params, "size", json_true());
	if (rc < 0 && f != NULL && !quiet)
		rc = cli_listing_format(self, &cli_listing_ps, f,
		    (const char *const *)a.argv, (size_t)a.argc, params,
		    !no_trunc);
	if (rc >= 0 || cli_ctx_open(&x, &cause) != 0) {
		if (rc < 0) {
			cli_fail(self, NULL, cause, "failed");
			rc = CLI_EXIT_FAIL;
		}
		free(cause);
		cli_fmt_free(f);
		json_decref(params);
		return (rc);
	}
	rc = CLI_EXIT_FAIL;
	if (cli_rpc_multi(&x, (const char *const *)a.argv, (size_t)a.argc,
	    self->method, params, timeout_ms,
	    &m, &nm, &cause) != 0) {
		cli_fail(self, NULL, cause, "failed");
		goto out;
	}
	t = cli_table_new(ps_headers, PS_NCOLS);
	if (t == NULL)
		goto out;
	for (i = 0; i < nm; i++) {
		if (m[i].status != 0) {
			missing++;
			cli_error(self, "%s: %s%s", m[i].node,
			    m[i].status == -EREMOTEIO ? "" : "unreachable: ",
			    m[i].err.message != NULL ? m[i].err.message :
			    "no answer");
			continue;
		}
		rows = json_object_get(m[i].result, "containers");
		for (k = 0; k < json_array_size(rows); k++) {
			if (ps_row(t, m[i].node, json_array_get(rows, k),
			    quiet, no_trunc, json, (int64_t)time(NULL)) != 0)
				goto out;
		}
	}
	if (!quiet && cli_table_print(t, stdout, (no_trunc ?
	    CLI_TABLE_NO_TRUNC : 0) | (json ? CLI_TABLE_JSON : 0)) != 0)
		goto out;
	rc = missing > 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
out:
	cli_fmt_free(f);
	cli_table_free(t);
	cli_multi_free(m, nm);
	json_decref(params);
	cli_ctx_close(&x);
	free(cause);
	return (rc);
}
