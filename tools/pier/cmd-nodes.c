/*
 * `pier nodes`: the address book. Lists the joined nodes (never their
 * secrets) with the role their access key has (as the node said at join;
 * "-" or null for a node joined before nodes said it) and forgets one with `pier nodes rm NAME`. Forgetting is local:
 * the node's access key stays valid until revoked on the node.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int	nodes_main(const struct cli_cmd *, int, char **);

static const struct cli_opt nodes_opts[] = {
	{ .name = "json", .help = "print the list as JSON" },
	{ .name = NULL }
};

const struct cli_cmd cli_cmd_nodes = {
	.name = "nodes",
	.main = nodes_main,
	.opts = nodes_opts,
	.args_max = 2,
	.usage = "[--json] | rm NAME",
	.summary = "list the joined nodes, or forget one",
	.help = "",
	.notes =
	    "  rm NAME         forget the node NAME (its access key stays "
	    "valid on the node\n"
	    "                  until 'pierd key revoke' there)\n",
};

/* Prints the book as a table or as JSON. */
static int
nodes_list(const struct cli_book *b, int json)
{
	json_t	*arr, *o;	/* owned, borrowed */
	char	 t[32];
	size_t	 i;
	int	 rc = CLI_EXIT_OK;

	if (!json) {
		printf("%-20s %-24s %-20s %-9s %s\n", "NAME", "ADDRESS",
		    "FINGERPRINT", "ROLE", "JOINED");
		for (i = 0; i < b->n; i++) {
			cli_time_format(b->nodes[i].joined, t, sizeof(t));
			printf("%-20s %-24s %-20s %-9s %s\n", b->nodes[i].name,
			    b->nodes[i].addr != NULL ? b->nodes[i].addr : "-",
			    b->nodes[i].fingerprint != NULL ?
			    b->nodes[i].fingerprint : "-", b->nodes[i].role !=
			    NULL ? b->nodes[i].role : "-", t);
		}
		return (CLI_EXIT_OK);
	}
	arr = json_array();
	for (i = 0; arr != NULL && i < b->n; i++) {
		o = json_pack("{s:s, s:s?, s:s?, s:s?, s:I}",
		    "name", b->nodes[i].name, "address", b->nodes[i].addr,
		    "fingerprint", b->nodes[i].fingerprint,
		    "role", b->nodes[i].role,
		    "joined", (json_int_t)b->nodes[i].joined);
		if (o == NULL || json_array_append_new(arr, o) != 0)
			rc = CLI_EXIT_FAIL;
	}
	if (arr == NULL || json_dumpf(arr, stdout, JSON_INDENT(2)) != 0)
		rc = CLI_EXIT_FAIL;
	else
		putchar('\n');
	json_decref(arr);
	return (rc);
}

/* `pier nodes [--json]` and `pier nodes rm NAME`. */
static int
nodes_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_args	 a;
	struct cli_book	 book;
	char		*dir, *cause = NULL;
	int		 json, rc = CLI_EXIT_FAIL, err;

	rc = cli_args_parse(self, argc, argv, &a);
	cli_args_free(&a);
	if (rc >= 0)
		return (rc);
	rc = CLI_EXIT_FAIL;
	json = cli_args_get(self, &a, "json") != NULL;
	argc = a.argc;
	argv = a.argv;
	if (argc != 0 && !(argc == 2 && strcmp(argv[0], "rm") == 0))
		return (cli_usage(self));
	if (argc == 2 && json)
		return (cli_usage(self));
	dir = cli_config_dir();
	if (dir == NULL)
		return (cli_error(self, "no config directory: set "
		    "PIER_CONFIG_DIR or HOME"));
	if (cli_book_load(&book, dir, &cause) != 0) {
		cli_error(self, "%s", cause);
		goto out;
	}
	if (argc == 0)
		rc = nodes_list(&book, json);
	else {
		err = cli_book_remove(&book, argv[1]);
		if (err == -ENOENT)
			cli_error(self, "no node named %s (see 'pier nodes')",
			    argv[1]);
		else if (err != 0 || cli_book_save(&book, &cause) != 0)
			cli_fail(self, NULL, cause, strerror(-err));
		else {
			fprintf(stderr, "forgot %s\n", argv[1]);
			rc = CLI_EXIT_OK;
		}
	}
	cli_book_free(&book);
out:
	free(cause);
	free(dir);
	return (rc);
}
