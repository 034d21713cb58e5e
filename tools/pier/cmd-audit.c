/*
 * `pier audit [NODE] [--tail N] [--since TIME] [--json]`: the node's
 * audit log through the protocol (admin keys only): who changed what,
 * and every refused call, oldest first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto.h"
#include "cli.h"
#include "cli-out.h"

static int	audit_main(const struct cli_cmd *, int, char **);

static const struct cli_opt audit_opts[] = {
	{ .name = "tail", .letter = 'n', .arg = "N", .kind = CLI_K_ARG,
	  .help = "the last N entries (default 100, at most 10000)" },
	{ .name = "since", .arg = "TIME", .kind = CLI_K_ARG,
	  .help = "entries from TIME on: RFC 3339, unix seconds, or\n"
	  "a duration back from now (10m, 2h)" },
	{ .name = "json", .help = "print the entries as JSON" },
	{ .name = NULL }
};

const struct cli_cmd cli_cmd_audit = {
	.name = "audit",
	.main = audit_main,
	.method = "audit.read",
	.role = PROTO_ROLE_ADMIN,
	.opts = audit_opts,
	.args_max = 1,
	.usage = "[NODE] [--tail N] [--since TIME] [--json]",
	.summary = "show a node's audit log (admin keys only)",
	.help =
	    "  NODE            a joined node (optional when only one is "
	    "joined)\n",
};

/* A string member or "-". */
static const char *
field(const json_t *o, const char *k)
{
	const char	*s = json_string_value(json_object_get(o, k));

	return (s != NULL && s[0] != '\0' ? s : "-");
}

/* Prints the entries as a table. */
static int
audit_table(const json_t *entries)
{
	static const char *const hdr[] = { "TIME", "CLIENT", "KEY", "ROLE",
	    "METHOD", "TARGET", "OUTCOME", "ERROR" };
	struct cli_table	*t;
	const json_t		*e;
	const char		*cells[8];
	size_t			 i;
	int			 err = 0;

	t = cli_table_new(hdr, 8);
	if (t == NULL)
		return (-ENOMEM);
	cli_table_max_width(t, 5, 30);
	cli_table_max_width(t, 7, 60);
	json_array_foreach(entries, i, e) {
		cells[0] = field(e, "time");
		cells[1] = field(e, "client_name");
		cells[2] = field(e, "key");
		cells[3] = field(e, "role");
		cells[4] = field(e, "method");
		cells[5] = field(e, "target");
		cells[6] = field(e, "outcome");
		cells[7] = field(e, "error");
		err = cli_table_add(t, cells);
		if (err != 0)
			break;
	}
	if (err == 0)
		err = cli_table_print(t, stdout, 0);
	cli_table_free(t);
	return (err);
}

/* `pier audit`. */
static int
audit_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_args		 a;
	struct cli_link		 l;
	struct timespec		 ts;
	json_t			*res = NULL, *params;	/* owned */
	const json_t		*entries;
	const char		*arg;
	char			*cause = NULL, *end;
	long			 tail = 100;
	int64_t			 since_ns = 0;
	int			 json, rc = CLI_EXIT_FAIL;

	rc = cli_args_parse(self, argc, argv, &a);
	cli_args_free(&a);
	if (rc >= 0)
		return (rc);
	rc = CLI_EXIT_FAIL;
	arg = cli_args_get(self, &a, "tail");
	if (arg != NULL) {
		tail = strtol(arg, &end, 10);
		if (*end != '\0' || end == arg || tail < 1 || tail > 10000) {
			cli_error(self, "--tail wants 1 to 10000");
			return (CLI_EXIT_USAGE);
		}
	}
	arg = cli_args_get(self, &a, "since");
	if (arg != NULL) {
		clock_gettime(CLOCK_REALTIME, &ts);
		if (cli_parse_time(arg, (int64_t)ts.tv_sec * 1000000000LL +
		    ts.tv_nsec, &since_ns, &cause) != 0) {
			cli_fail(self, "--since", cause, arg);
			free(cause);
			return (CLI_EXIT_USAGE);
		}
	}
	json = cli_args_get(self, &a, "json") != NULL;
	params = json_pack("{s:I}", "tail", (json_int_t)tail);
	if (since_ns > 0)
		(void)json_object_set_new(params, "since",
		    json_integer(since_ns / 1000000000LL));
	if (cli_link_open(self, &l, a.argc > 0 ? a.argv[0] : NULL) !=
	    CLI_EXIT_OK) {
		json_decref(params);
		return (CLI_EXIT_FAIL);
	}
	if (cli_link_call(self, &l, self->method, params, &res) !=
	    CLI_EXIT_OK)
		goto out;
	entries = json_object_get(res, "entries");
	if ((json ? cli_json_print(stdout, entries) : audit_table(entries)) !=
	    0)
		cli_error(self, "cannot print the entries");
	else
		rc = CLI_EXIT_OK;
	if (json_is_true(json_object_get(res, "truncated")))
		fprintf(stderr, "pier audit: only the newest %zu entries fit "
		    "one reply (the log holds more)\n",
		    json_array_size(entries));
out:
	json_decref(res);
	cli_link_close(&l);
	return (rc);
}
