/*
 * `pier networks [NODE] [-q] [--no-trunc] [--json]`: a node's networks
 * as docker network ls prints them (NETWORK ID NAME DRIVER SCOPE), and
 * `pier network ls|inspect` for the same list and the engine's inspect
 * object. NODE may be left out when one node is joined.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "cli.h"
#include "cli-out.h"

static int	networks_main(const struct cli_cmd *, int, char **);

static const struct cli_opt networks_opts[] = {
	{ .name = "quiet", .letter = 'q', .help = "print only network ids" },
	{ .name = "no-trunc", .help = "full ids" },
	{ .name = "json", .help = "one JSON object per network" },
	CLI_OPTS_LISTING,
	{ .name = NULL }
};

const struct cli_cmd cli_cmd_networks = {
	.name = "networks",
	.main = networks_main,
	.method = "network.list",
	.role = PROTO_ROLE_VIEWER,
	.opts = networks_opts,
	.args_max = -1,
	.usage = "[NODE...] [-q] [--no-trunc] [--json] [--format TEMPLATE] "
	    "[-f KEY=VALUE]",
	.summary = "list a node's networks",
	.help = "",
};


/* One network's cells: NETWORK ID (short unless --no-trunc), NAME, ... */
static void
network_cells(const json_t *nw, int no_trunc, const char **cells, char *buf)
{
	const char	*id = json_string_value(json_object_get(nw, "id"));

	if (id == NULL)
		id = "";
	cells[0] = no_trunc ? id : cli_short_id(buf, id);
	cells[1] = json_string_value(json_object_get(nw, "name"));
	cells[2] = json_string_value(json_object_get(nw, "driver"));
	cells[3] = json_string_value(json_object_get(nw, "scope"));
}

/* `pier networks` and `pier network ls`. */
static int
networks_main(const struct cli_cmd *self, int argc, char **argv)
{
	static const char *const hdr[] = { "NETWORK ID", "NAME", "DRIVER",
	    "SCOPE" };
	static const struct cli_list_spec spec = {
		.key = "networks", .listing = &cli_listing_networks, .hdr = hdr, .ncols = 4, .quiet_col = 0,
		.cells = network_cells,
	};

	return (cli_list_main(self, argc, argv, &spec));
}

/* `pier network inspect [NODE] NETWORK`. */
static int
inspect_main(const struct cli_cmd *self, int argc, char **argv)
{
	return (cli_inspect_main(self, argc, argv, "network.inspect"));
}

static const struct cli_cmd inspect = {
	.name = "network inspect", .main = inspect_main,
	.method = "network.inspect", .role = PROTO_ROLE_VIEWER,
	.args_min = 1, .args_max = 2,
	.usage = "[NODE] NETWORK",
	.summary = "show a network's configuration as JSON",
	.help = "",
};

/* `pier network SUBCOMMAND ...`: its words, and what each runs. */
extern const struct cli_cmd cli_cmd_network_create;
extern const struct cli_cmd cli_cmd_network_rm;
extern const struct cli_cmd cli_cmd_network_connect;
extern const struct cli_cmd cli_cmd_network_disconnect;
extern const struct cli_cmd cli_cmd_network_prune;

static const struct cli_sub network_subs[] = {
	{ "ls", "list", &cli_cmd_networks },
	{ "inspect", NULL, &inspect },
	{ "create", NULL, &cli_cmd_network_create },
	{ "rm", "remove", &cli_cmd_network_rm },
	{ "connect", NULL, &cli_cmd_network_connect },
	{ "disconnect", NULL, &cli_cmd_network_disconnect },
	{ "prune", NULL, &cli_cmd_network_prune },
	{ NULL, NULL, NULL }
};
const struct cli_cmd cli_cmd_network = {
	.name = "network",
	.main = cli_family_main,
	.usage = "ls|inspect|create|rm|connect|disconnect|prune [NODE] ...",
	.summary = "manage a node's networks (ls, inspect, create, rm, "
	    "connect, disconnect, prune)",
	.help = "",
	.subs = network_subs,
};
