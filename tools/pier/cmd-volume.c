/*
 * The volume commands, worded as docker's:
 *
 *	pier volumes [NODE] [-q] [--json]		DRIVER VOLUME NAME
 *	pier volume create [NODE] [NAME] [-d DRIVER] [--label K=V] [-o K=V]
 *	pier volume rm [NODE] NAME... [-f]
 *	pier volume prune [NODE] [-f] [--filter label=K[=V]]
 *	pier volume ls ...				as pier volumes
 *
 * prune is in cmd-prune.c. NODE may be left out when one node is
 * joined; a first word naming a joined node is the node.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "cli.h"
#include "cli-out.h"

static int	volumes_main(const struct cli_cmd *, int, char **);

static const struct cli_opt volumes_opts[] = {
	{ .name = "quiet", .letter = 'q', .help = "print only volume names" },
	{ .name = "json", .help = "one JSON object per volume" },
	CLI_OPTS_LISTING,
	{ .name = NULL }
};

const struct cli_cmd cli_cmd_volumes = {
	.name = "volumes",
	.main = volumes_main,
	.method = "volume.list",
	.role = PROTO_ROLE_VIEWER,
	.opts = volumes_opts,
	.args_max = -1,
	.usage = "[NODE...] [-q] [--json] [--format TEMPLATE] [-f KEY=VALUE]",
	.summary = "list a node's volumes",
	.help = "",
};

/* One volume's cells: DRIVER, VOLUME NAME. */
static void
volume_cells(const json_t *v, int no_trunc, const char **cells, char *buf)
{
	(void)no_trunc;
	(void)buf;
	cells[0] = json_string_value(json_object_get(v, "driver"));
	cells[1] = json_string_value(json_object_get(v, "name"));
}

/* `pier volumes` and `pier volume ls`. */
static int
volumes_main(const struct cli_cmd *self, int argc, char **argv)
{
	static const char *const hdr[] = { "DRIVER", "VOLUME NAME" };
	static const struct cli_list_spec spec = {
		.key = "volumes", .listing = &cli_listing_volumes, .hdr = hdr, .ncols = 2, .quiet_col = 1,
		.cells = volume_cells,
	};

	return (cli_list_main(self, argc, argv, &spec));
}

/* `pier volume create [NODE] [NAME] [-d DRIVER] [--label K=V] [-o K=V]`. */
static int
create_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_link	 l;
	struct cli_args	 a;
	json_t		*params, *res = NULL;	/* owned */
	const char	*node = NULL, *driver;
	char		*s;
	int		 rc;

	rc = cli_args_parse(self, argc, argv, &a);
	driver = cli_args_get(self, &a, "driver");
	if (rc < 0 && driver != NULL && driver[0] == '\0')
		rc = cli_usage_error(self, "--driver: expected a driver name");
	if (rc < 0 && a.argc == 2 && !cli_is_node(a.argv[0]))
		rc = cli_usage(self);
	params = a.params;
	a.params = NULL;
	cli_args_free(&a);
	if (rc >= 0) {
		json_decref(params);
		return (rc);
	}
	if (a.argc == 2 || (a.argc == 1 && cli_is_node(a.argv[0])))
		node = a.argv[0];
	if (driver != NULL)
		(void)json_object_set_new(params, "driver",
		    json_string(driver));
	if (a.argc == 2 || (a.argc == 1 && node == NULL))
		(void)json_object_set_new(params, "name",
		    json_string(a.argv[a.argc - 1]));
	rc = cli_link_open(self, &l, node);
	if (rc != CLI_EXIT_OK) {
		json_decref(params);
		return (rc);
	}
	rc = cli_link_call(self, &l, self->method, params, &res);
	if (rc == CLI_EXIT_OK) {
		s = cli_sanitize(json_string_value(json_object_get(res,
		    "name")), 512);
		printf("%s\n", s != NULL ? s : "?");
		free(s);
	}
	json_decref(res);
	cli_link_close(&l);
	return (rc);
}

/* `pier volume rm [NODE] NAME... [-f]`. */
static int
rm_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_link	 l;
	struct cli_args	 a;
	json_t		*res;	/* owned */
	const char	*node = NULL;
	char		*s;
	int		 force, rc, i;

	rc = cli_args_parse(self, argc, argv, &a);
	cli_args_free(&a);
	if (rc >= 0)
		return (rc);
	force = cli_args_get(self, &a, "force") != NULL;
	i = 0;
	if (a.argc >= 2 && cli_is_node(a.argv[0]))
		node = a.argv[i++];
	rc = cli_link_open(self, &l, node);
	if (rc != CLI_EXIT_OK)
		return (rc);
	for (; i < a.argc; i++) {
		if (cli_link_call(self, &l, self->method, json_pack(
		    "{s:s, s:b}", "id", a.argv[i], "force", force),
		    &res) != CLI_EXIT_OK) {
			rc = CLI_EXIT_FAIL;
			continue;
		}
		s = cli_sanitize(a.argv[i], 512);
		printf("%s\n", s != NULL ? s : "?");
		free(s);
		json_decref(res);
	}
	cli_link_close(&l);
	return (rc);
}

static const struct cli_opt create_opts[] = {
	{ .name = "driver", .letter = 'd', .arg = "D", .kind = CLI_K_ARG,
	  .help = "volume driver (default local)" },
	{ .name = "label", .letter = 'l', .arg = "K=V", .kind = CLI_K_MAP,
	  .param = "labels", .help = "a label (repeatable)" },
	{ .name = "opt", .letter = 'o', .arg = "K=V", .kind = CLI_K_MAP_EQ,
	  .param = "options", .help = "a driver option (repeatable)" },
	{ .name = NULL }
};
static const struct cli_cmd create = {
	.name = "volume create", .main = create_main,
	.method = "volume.create", .role = PROTO_ROLE_ADMIN,
	.opts = create_opts, .args_max = 2,
	.usage = "[NODE] [NAME] [-d DRIVER] [--label K=V] [-o K=V]",
	.summary = "create a volume on a node (no NAME: the engine "
	    "names it)",
	.help = "",
};

static const struct cli_opt rm_opts[] = {
	{ .name = "force", .letter = 'f', .help = "remove even if in use" },
	{ .name = NULL }
};
static const struct cli_cmd rm = {
	.name = "volume rm", .main = rm_main,
	.method = "volume.remove", .role = PROTO_ROLE_ADMIN,
	.opts = rm_opts, .args_min = 1, .args_max = -1,
	.usage = "[NODE] NAME... [-f]",
	.summary = "remove volumes from a node",
	.help = "",
};

extern const struct cli_cmd cli_cmd_volume_backup;
extern const struct cli_cmd cli_cmd_volume_restore;

/* `pier volume SUBCOMMAND ...`: its words, and what each runs. */
static const struct cli_sub volume_subs[] = {
	{ "ls", "list", &cli_cmd_volumes },
	{ "create", NULL, &create },
	{ "rm", "remove", &rm },
	{ "prune", NULL, &cli_cmd_volume_prune },
	{ "backup", NULL, &cli_cmd_volume_backup },
	{ "restore", NULL, &cli_cmd_volume_restore },
	{ NULL, NULL, NULL }
};
const struct cli_cmd cli_cmd_volume = {
	.name = "volume",
	.main = cli_family_main,
	.usage = "ls|create|rm|prune|backup|restore [NODE] ...",
	.summary = "manage a node's volumes (ls, create, rm, prune, backup, "
	    "restore)",
	.help = "",
	.subs = volume_subs,
};
