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
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli-out.h"

static int	volumes_main(const struct cli_cmd *, int, char **);
static int	volume_main(const struct cli_cmd *, int, char **);

const struct cli_cmd cli_cmd_volumes = {
	.name = "volumes",
	.main = volumes_main,
	.usage = "[NODE] [-q] [--json]",
	.summary = "list a node's volumes",
	.help =
	    "  -q, --quiet     print only volume names\n"
	    "  --json          one JSON object per volume\n",
};

const struct cli_cmd cli_cmd_volume = {
	.name = "volume",
	.main = volume_main,
	.usage = "ls|create|rm|prune [NODE] ...",
	.summary = "manage a node's volumes (ls, create, rm, prune)",
	.help =
	    "  ls       as pier volumes\n"
	    "  create   [NODE] [NAME] [-d DRIVER] [--label K=V] [-o K=V]\n"
	    "  rm       [NODE] NAME... [-f]: remove volumes (-f: in use "
	    "too)\n"
	    "  prune    [NODE] [-f] [--filter label=K[=V]]: remove volumes\n"
	    "           no container uses, asking first unless -f\n",
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
		.method = "volume.list", .key = "volumes",
		.hdr = hdr, .ncols = 2, .quiet_col = 1, .no_trunc = 0,
		.cells = volume_cells,
	};

	return (cli_list_main(self, argc, argv, &spec));
}

/* `pier volume create [NODE] [NAME] [-d DRIVER] [--label K=V] [-o K=V]`. */
static int
create_main(const struct cli_cmd *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "driver", required_argument, NULL, 'd' },
		{ "label", required_argument, NULL, 'l' },
		{ "opt", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct cli_link	 l;
	json_t		*params, *res = NULL, *m;	/* owned */
	const char	*node = NULL, *eq;
	char		*k, *s;
	int		 ch, rc;

	params = json_object();
	if (params == NULL)
		return (cli_error(self, "out of memory"));
	optind = 0;
	while ((ch = getopt_long(argc, argv, "d:l:o:h", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'd':
			if (optarg[0] == '\0') {
				json_decref(params);
				return (cli_usage_error(self, "--driver: "
				    "expected a driver name"));
			}
			(void)json_object_set_new(params, "driver",
			    json_string(optarg));
			break;
		case 'l':
		case 'o':
			m = json_object_get(params, ch == 'l' ? "labels" :
			    "options");
			if (m == NULL) {
				m = json_object();
				(void)json_object_set_new(params, ch == 'l' ?
				    "labels" : "options", m);
			}
			eq = strchr(optarg, '=');
			k = strndup(optarg, eq != NULL ?
			    (size_t)(eq - optarg) : strlen(optarg));
			if (k == NULL || k[0] == '\0' || (ch == 'o' &&
			    eq == NULL)) {
				free(k);
				json_decref(params);
				cli_error(self, "bad %s: %s (KEY=VALUE)",
				    ch == 'l' ? "--label" : "--opt", optarg);
				return (CLI_EXIT_USAGE);
			}
			(void)json_object_set_new(m, k, json_string(eq !=
			    NULL ? eq + 1 : ""));
			free(k);
			break;
		case 'h':
			json_decref(params);
			return (cli_help(self));
		default:
			json_decref(params);
			return (cli_usage(self));
		}
	}
	if (argc - optind > 2 || (argc - optind == 2 &&
	    !cli_is_node(argv[optind]))) {
		json_decref(params);
		return (cli_usage(self));
	}
	if (argc - optind == 2 || (argc - optind == 1 &&
	    cli_is_node(argv[optind])))
		node = argv[optind++];
	if (optind < argc)
		(void)json_object_set_new(params, "name",
		    json_string(argv[optind]));
	rc = cli_link_open(self, &l, node);
	if (rc != CLI_EXIT_OK) {
		json_decref(params);
		return (rc);
	}
	rc = cli_link_call(self, &l, "volume.create", params, &res);
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
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct cli_link	 l;
	json_t		*res;	/* owned */
	const char	*node = NULL;
	char		*s;
	int		 ch, force = 0, rc, i;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "fh", longopts, NULL)) != -1) {
		if (ch == 'f')
			force = 1;
		else if (ch == 'h')
			return (cli_help(self));
		else
			return (cli_usage(self));
	}
	if (argc - optind >= 2 && cli_is_node(argv[optind]))
		node = argv[optind++];
	if (optind >= argc)
		return (cli_usage(self));
	rc = cli_link_open(self, &l, node);
	if (rc != CLI_EXIT_OK)
		return (rc);
	for (i = optind; i < argc; i++) {
		if (cli_link_call(self, &l, "volume.remove", json_pack(
		    "{s:s, s:b}", "id", argv[i], "force", force),
		    &res) != CLI_EXIT_OK) {
			rc = CLI_EXIT_FAIL;
			continue;
		}
		s = cli_sanitize(argv[i], 512);
		printf("%s\n", s != NULL ? s : "?");
		free(s);
		json_decref(res);
	}
	cli_link_close(&l);
	return (rc);
}

/* `pier volume SUBCOMMAND ...`. */
static int
volume_main(const struct cli_cmd *self, int argc, char **argv)
{
	static const struct cli_cmd create = {
		.name = "volume create", .main = create_main,
		.usage = "[NODE] [NAME] [-d DRIVER] [--label K=V] [-o K=V]",
		.summary = "create a volume on a node (NAME: the engine "
		"picks one when left out)",
		.help =
		    "  -d, --driver D  volume driver (default local)\n"
		    "  -l, --label K=V a label (repeatable)\n"
		    "  -o, --opt K=V   a driver option (repeatable)\n",
	};
	static const struct cli_cmd rm = {
		.name = "volume rm", .main = rm_main,
		.usage = "[NODE] NAME... [-f]",
		.summary = "remove volumes from a node",
		.help = "  -f, --force     remove even if in use\n",
	};
	const char	*sub;

	if (argc < 2)
		return (cli_usage(self));
	sub = argv[1];
	argv[1] = argv[0];	/* getopt's complaints name the family */
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0)
		return (cli_help(self));
	if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0)
		return (volumes_main(&cli_cmd_volumes, argc - 1, argv + 1));
	if (strcmp(sub, "create") == 0)
		return (create_main(&create, argc - 1, argv + 1));
	if (strcmp(sub, "rm") == 0 || strcmp(sub, "remove") == 0)
		return (rm_main(&rm, argc - 1, argv + 1));
	if (strcmp(sub, "prune") == 0)
		return (cli_cmd_volume_prune.main(&cli_cmd_volume_prune,
		    argc - 1, argv + 1));
	cli_error(self, "unknown subcommand: %s", sub);
	return (cli_usage(self));
}
