/*
 * `pier networks [NODE] [-q] [--no-trunc] [--json]`: a node's networks
 * as docker network ls prints them (NETWORK ID NAME DRIVER SCOPE), and
 * `pier network ls|inspect` for the same list and the engine's inspect
 * object. NODE may be left out when one node is joined.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli-out.h"

static int	networks_main(const struct cli_cmd *, int, char **);
static int	network_main(const struct cli_cmd *, int, char **);

const struct cli_cmd cli_cmd_networks = {
	.name = "networks",
	.main = networks_main,
	.usage = "[NODE] [-q] [--no-trunc] [--json]",
	.summary = "list a node's networks",
	.help =
	    "  -q, --quiet     print only network ids\n"
	    "  --no-trunc      full ids\n"
	    "  --json          one JSON object per network\n",
};

const struct cli_cmd cli_cmd_network = {
	.name = "network",
	.main = network_main,
	.usage = "ls|inspect [NODE] ...",
	.summary = "look at a node's networks (ls, inspect)",
	.help =
	    "  ls       as pier networks\n"
	    "  inspect  [NODE] NETWORK: the engine's inspect object\n",
};

/* `pier networks` and `pier network ls`. */
static int
networks_main(const struct cli_cmd *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "no-trunc", no_argument, NULL, 'T' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const hdr[] = { "NETWORK ID", "NAME", "DRIVER",
	    "SCOPE" };
	struct cli_link		 l;
	struct cli_table	*t = NULL;
	const json_t		*nets, *nw;
	const char		*cells[4], *id;
	char			 sid[CLI_SHORT_ID + 1];
	json_t			*res = NULL;	/* owned */
	size_t			 i;
	int			 ch, quiet = 0, no_trunc = 0, json = 0, rc;
	int			 err = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		if (ch == 'q')
			quiet = 1;
		else if (ch == 'T')
			no_trunc = 1;
		else if (ch == 'j')
			json = 1;
		else if (ch == 'h')
			return (cli_help(self));
		else
			return (cli_usage(self));
	}
	if (argc - optind > 1)
		return (cli_usage(self));
	rc = cli_link_open(self, &l, optind < argc ? argv[optind] : NULL);
	if (rc != CLI_EXIT_OK)
		return (rc);
	rc = cli_list_call(self, &l, "network.list", "networks", &res);
	nets = res;
	if (rc != CLI_EXIT_OK)
		goto out;
	if (res == NULL) {
		err = -1;
		goto out;
	}
	if (json) {
		err = cli_json_print(stdout, nets);
		goto out;
	}
	t = cli_table_new(hdr, 4);
	if (t == NULL) {
		err = -1;
		goto out;
	}
	json_array_foreach(nets, i, nw) {
		id = json_string_value(json_object_get(nw, "id"));
		if (id == NULL)
			id = "";
		if (quiet) {
			printf("%s\n", no_trunc ? id : cli_short_id(sid, id));
			continue;
		}
		cells[0] = no_trunc ? id : cli_short_id(sid, id);
		cells[1] = json_string_value(json_object_get(nw, "name"));
		cells[2] = json_string_value(json_object_get(nw, "driver"));
		cells[3] = json_string_value(json_object_get(nw, "scope"));
		err = cli_table_add(t, cells);
		if (err != 0)
			break;
	}
	if (err == 0 && !quiet)
		err = cli_table_print(t, stdout, CLI_TABLE_NO_TRUNC);
out:
	cli_table_free(t);
	json_decref(res);
	cli_link_close(&l);
	if (err != 0)
		return (cli_error(self, "cannot print the list"));
	return (rc);
}

/* `pier network inspect [NODE] NETWORK`. */
static int
inspect_main(const struct cli_cmd *self, int argc, char **argv)
{
	return (cli_inspect_main(self, argc, argv, "network.inspect"));
}

/* `pier network SUBCOMMAND ...`. */
static int
network_main(const struct cli_cmd *self, int argc, char **argv)
{
	static const struct cli_cmd inspect = {
		.name = "network inspect", .main = inspect_main,
		.usage = "[NODE] NETWORK",
		.summary = "show a network's configuration as JSON",
		.help = "",
	};

	if (argc < 2)
		return (cli_usage(self));
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return (cli_help(self));
	if (strcmp(argv[1], "ls") == 0 || strcmp(argv[1], "list") == 0)
		return (networks_main(&cli_cmd_networks, argc - 1, argv + 1));
	if (strcmp(argv[1], "inspect") == 0)
		return (inspect_main(&inspect, argc - 1, argv + 1));
	cli_error(self, "unknown subcommand: %s", argv[1]);
	return (cli_usage(self));
}
