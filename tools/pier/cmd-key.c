/*
 * `pier key create|list|revoke`: access keys of a node, managed through
 * an admin connection instead of a shell on the node's host.
 *
 *	pier key create [NODE] --name NAME --role ROLE [--json]
 *	pier key list [NODE] [--json]
 *	pier key revoke [NODE] KEY [--json]
 *
 * create prints the new join key alone on stdout (for scripts and for
 * pasting into `pier join` elsewhere) and a note on stderr; the node
 * shows it only this once. revoke takes a key name or id; the node
 * closes the key's connections at once.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli-out.h"

static int	key_main(const struct cli_cmd *, int, char **);

const struct cli_cmd cli_cmd_key = {
	.name = "key",
	.main = key_main,
	.usage = "create [NODE] --name NAME --role ROLE | list [NODE] | "
	    "revoke [NODE] KEY",
	.summary = "create, list or revoke a node's access keys (admin keys "
	    "only)",
	.help =
	    "  create [NODE] --name NAME --role ROLE\n"
	    "              make an access key (ROLE: viewer, operator or "
	    "admin) and\n"
	    "              print its join key, shown only this once\n"
	    "  list [NODE]  list the access keys (never their secrets)\n"
	    "  revoke [NODE] KEY\n"
	    "              revoke the key with this name or id; its "
	    "connections end\n"
	    "  --json      print the node's answer as JSON\n"
	    "NODE may be left out when only one node is joined.\n",
};

/* What the options said. */
struct key_opts {
	const char	*name;
	const char	*role;
	int		 json;
};

/* Prints a JSON value indented. */
static void
print_json(const json_t *v)
{
	if (json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0)
		putchar('\n');
}

/* Prints key.list's keys as a table. */
static int
key_table(const json_t *keys)
{
	static const char *const hdr[] = { "NAME", "ROLE", "ID", "CREATED",
	    "LAST USED" };
	struct cli_table	*t;
	const json_t		*k;
	const char		*cells[5];
	char			 c[CLI_HUMAN_LEN], u[CLI_HUMAN_LEN];
	json_int_t		 created, used;
	size_t			 i;
	int			 err = 0;

	t = cli_table_new(hdr, 5);
	if (t == NULL)
		return (-ENOMEM);
	json_array_foreach(keys, i, k) {
		created = json_integer_value(json_object_get(k, "created"));
		used = json_integer_value(json_object_get(k, "last_used"));
		cells[0] = json_string_value(json_object_get(k, "name"));
		cells[1] = json_string_value(json_object_get(k, "role"));
		cells[2] = json_string_value(json_object_get(k, "id"));
		cells[3] = cli_human_ago(c, created, (int64_t)time(NULL));
		cells[4] = used > 0 ? cli_human_ago(u, used,
		    (int64_t)time(NULL)) : "never";
		if (cells[0] == NULL || cells[1] == NULL || cells[2] == NULL)
			continue;
		err = cli_table_add(t, cells);
		if (err != 0)
			break;
	}
	if (err == 0)
		err = cli_table_print(t, stdout, 0);
	cli_table_free(t);
	return (err);
}

/* Runs one call on the node and prints its answer; an exit code. */
static int
key_call(const struct cli_cmd *self, const char *sub, const char *node,
    json_t *params, const struct key_opts *o)
{
	struct cli_ctx		 x;
	struct cli_rpc		*r = NULL;
	struct cli_rpc_error	 e;
	json_t			*res = NULL;	/* owned */
	char			*cause = NULL, method[32];
	int			 rc = CLI_EXIT_FAIL;

	memset(&e, 0, sizeof(e));
	snprintf(method, sizeof(method), "key.%s", sub);
	if (cli_ctx_open(&x, &cause) != 0 ||
	    cli_rpc_open(&x, node, &r, &cause) != 0) {
		json_decref(params);
		cli_error(self, "%s", cause != NULL ? cause : "failed");
		goto out;
	}
	if (cli_rpc_call(r, method, params, 0, &res, &e) != 0) {
		rc = cli_rpc_fail(self, cli_rpc_node(r), &e);
		goto out;
	}
	rc = CLI_EXIT_OK;
	if (o->json && strcmp(sub, "list") == 0) {
		if (cli_json_print(stdout, json_object_get(res, "keys")) != 0)
			rc = cli_error(self, "cannot print the keys");
	} else if (o->json)
		print_json(res);
	else if (strcmp(sub, "create") == 0) {
		printf("%s\n", json_string_value(json_object_get(res,
		    "join_key")));
		fprintf(stderr, "Created access key %s (%s, id %s) on %s. "
		    "This join key is shown only once:\ngive it to whoever "
		    "should join with 'pier join KEY'.\n",
		    json_string_value(json_object_get(res, "name")),
		    json_string_value(json_object_get(res, "role")),
		    json_string_value(json_object_get(res, "id")),
		    cli_rpc_node(r));
	} else if (strcmp(sub, "list") == 0) {
		if (key_table(json_object_get(res, "keys")) != 0)
			rc = cli_error(self, "cannot print the keys");
	} else
		printf("Revoked access key %s (id %s) on %s; its connections "
		    "were closed.\n", json_string_value(json_object_get(res,
		    "name")), json_string_value(json_object_get(res, "id")),
		    cli_rpc_node(r));
out:
	json_decref(res);
	cli_rpc_error_clear(&e);
	cli_rpc_close(r);
	cli_ctx_close(&x);
	free(cause);
	return (rc);
}

/* `pier key SUB ...`. */
static int
key_main(const struct cli_cmd *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "role", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct key_opts	 o;
	const char	*sub, *node = NULL, *key = NULL;
	int		 ch, npos;

	if (argc < 2)
		return (cli_usage(self));
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return (cli_help(self));
	sub = argv[1];
	if (strcmp(sub, "create") != 0 && strcmp(sub, "list") != 0 &&
	    strcmp(sub, "revoke") != 0) {
		cli_error(self, "unknown subcommand %s: expected create, list "
		    "or revoke", sub);
		return (CLI_EXIT_USAGE);
	}
	memset(&o, 0, sizeof(o));
	optind = 0;
	argc--;
	argv++;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			o.name = optarg;
			break;
		case 'r':
			o.role = optarg;
			break;
		case 'j':
			o.json = 1;
			break;
		case 'h':
			return (cli_help(self));
		default:
			return (cli_usage(self));
		}
	}
	npos = argc - optind;
	if (strcmp(sub, "revoke") == 0) {
		if (npos < 1 || npos > 2 || o.name != NULL || o.role != NULL)
			return (cli_usage(self));
		node = npos == 2 ? argv[optind] : NULL;
		key = argv[optind + npos - 1];
		return (key_call(self, sub, node, json_pack("{s:s}", "id", key),
		    &o));
	}
	if (npos > 1)
		return (cli_usage(self));
	node = npos == 1 ? argv[optind] : NULL;
	if (strcmp(sub, "list") == 0) {
		if (o.name != NULL || o.role != NULL)
			return (cli_usage(self));
		return (key_call(self, sub, node, NULL, &o));
	}
	if (o.name == NULL || o.role == NULL) {
		cli_error(self, "create needs --name NAME and --role ROLE");
		return (CLI_EXIT_USAGE);
	}
	return (key_call(self, sub, node, json_pack("{s:s, s:s}", "name",
	    o.name, "role", o.role), &o));
}
