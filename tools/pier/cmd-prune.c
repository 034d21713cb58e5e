/*
 * `pier image prune` and `pier volume prune`: remove what no container
 * uses, asking first unless -f as docker does, and only what carries the
 * given labels with --filter label=K[=V] (the node passes the filters to
 * the engine), then print what went and the space reclaimed. `pier image`
 * and `pier volume` hand their prune subcommand to these entries.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli-out.h"

static int	image_prune_main(const struct cli_cmd *, int, char **);
static int	volume_prune_main(const struct cli_cmd *, int, char **);

const struct cli_cmd cli_cmd_image_prune = {
	.name = "image prune",
	.main = image_prune_main,
	.usage = "[NODE] [-a] [-f] [--filter label=K[=V]] [--json]",
	.summary = "remove unused images from a node",
	.help =
	    "  -a, --all       every image no container uses, not "
	    "only dangling ones\n"
	    "  -f, --force     do not ask for confirmation\n"
	    "  --filter label=KEY[=VALUE]  only images with the "
	    "label\n"
	    "  --json          print the node's answer as JSON\n",
};

const struct cli_cmd cli_cmd_volume_prune = {
	.name = "volume prune",
	.main = volume_prune_main,
	.usage = "[NODE] [-f] [--filter label=K[=V]]",
	.summary = "remove volumes no container uses",
	.help =
	    "  -f, --force     do not ask for confirmation\n"
	    "  --filter label=KEY[=VALUE]  only volumes with the "
	    "label\n",
};

/* Prints "word: item" for each string of res[key], sanitized. */
static void
print_list(const json_t *res, const char *key, const char *word)
{
	const json_t	*a = json_object_get(res, key);
	size_t		 i;
	char		*s;

	for (i = 0; i < json_array_size(a); i++) {
		s = cli_sanitize(json_string_value(json_array_get(a, i)), 512);
		printf("%s: %s\n", word, s != NULL ? s : "?");
		free(s);
	}
}

/* Adds a --filter label=K[=V] to params' labels; -1 if not one. */
static int
add_filter(json_t *params, const char *f)
{
	json_t	*a;	/* borrowed */

	if (strncmp(f, "label=", 6) != 0 || f[6] == '\0')
		return (-1);
	a = json_object_get(params, "labels");
	if (a == NULL) {
		if (json_object_set_new(params, "labels", json_array()) != 0)
			return (-1);
		a = json_object_get(params, "labels");
	}
	return (json_array_append_new(a, json_string(f + 6)));
}

/* `pier image prune [NODE] [-a] [-f] [--filter label=K[=V]]`. */
static int
image_prune_main(const struct cli_cmd *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "force", no_argument, NULL, 'f' },
		{ "filter", required_argument, NULL, 'F' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct cli_link	 l;
	json_t		*params, *res = NULL;	/* owned */
	char		 hs[CLI_HUMAN_LEN];
	int		 ch, all = 0, force = 0, json = 0, rc;

	params = json_object();
	if (params == NULL)
		return (cli_error(self, "out of memory"));
	optind = 0;
	while ((ch = getopt_long(argc, argv, "afh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			all = 1;
			break;
		case 'f':
			force = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'F':
			if (add_filter(params, optarg) == 0)
				break;
			json_decref(params);
			cli_error(self, "unsupported filter: %s (use "
			    "label=KEY or label=KEY=VALUE)", optarg);
			return (CLI_EXIT_USAGE);
		case 'h':
			json_decref(params);
			return (cli_help(self));
		default:
			json_decref(params);
			return (cli_usage(self));
		}
	}
	if (argc - optind > 1) {
		json_decref(params);
		return (cli_usage(self));
	}
	if (!force && !cli_confirm(all ? "This will remove all images "
	    "without at least one container associated to them." :
	    "This will remove all dangling images.")) {
		json_decref(params);
		fprintf(stderr, "Nothing removed (add -f to prune without "
		    "being asked).\n");
		return (CLI_EXIT_FAIL);
	}
	(void)json_object_set_new(params, "all", json_boolean(all));
	rc = cli_link_open(self, &l, optind < argc ? argv[optind] : NULL);
	if (rc != CLI_EXIT_OK) {
		json_decref(params);
		return (rc);
	}
	rc = cli_link_call(self, &l, "image.prune", params, &res);
	if (rc == CLI_EXIT_OK && json) {
		if (json_dumpf(res, stdout, JSON_INDENT(2) |
		    JSON_PRESERVE_ORDER) == 0)
			putchar('\n');
	} else if (rc == CLI_EXIT_OK) {
		if (json_array_size(json_object_get(res, "untagged")) +
		    json_array_size(json_object_get(res, "deleted")) > 0) {
			printf("Deleted Images:\n");
			print_list(res, "untagged", "untagged");
			print_list(res, "deleted", "deleted");
			printf("\n");
		}
		printf("Total reclaimed space: %s\n", cli_human_size(hs,
		    (double)json_integer_value(json_object_get(res,
		    "reclaimed")), 3));
	}
	json_decref(res);
	cli_link_close(&l);
	return (rc);
}

/* `pier volume prune [NODE] [-f] [--filter label=K[=V]]`. */
static int
volume_prune_main(const struct cli_cmd *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "filter", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct cli_link	 l;
	const json_t	*del;
	json_t		*params, *res = NULL;	/* owned */
	char		 hs[CLI_HUMAN_LEN], *s;
	size_t		 i;
	int		 ch, force = 0, rc;

	params = json_object();
	if (params == NULL)
		return (cli_error(self, "out of memory"));
	optind = 0;
	while ((ch = getopt_long(argc, argv, "fh", longopts, NULL)) != -1) {
		if (ch == 'f')
			force = 1;
		else if (ch == 'F' && add_filter(params, optarg) == 0)
			continue;
		else {
			json_decref(params);
			if (ch == 'h')
				return (cli_help(self));
			if (ch == 'F')
				cli_error(self, "unsupported filter: %s (use "
				    "label=KEY or label=KEY=VALUE)", optarg);
			return (cli_usage(self));
		}
	}
	if (argc - optind > 1) {
		json_decref(params);
		return (cli_usage(self));
	}
	if (!force && !cli_confirm("This will remove all local volumes not "
	    "used by at least one container.")) {
		json_decref(params);
		fprintf(stderr, "Nothing removed (add -f to prune without "
		    "being asked).\n");
		return (CLI_EXIT_FAIL);
	}
	rc = cli_link_open(self, &l, optind < argc ? argv[optind] : NULL);
	if (rc != CLI_EXIT_OK) {
		json_decref(params);
		return (rc);
	}
	rc = cli_link_call(self, &l, "volume.prune", params, &res);
	if (rc == CLI_EXIT_OK) {
		del = json_object_get(res, "deleted");
		if (json_array_size(del) > 0)
			printf("Deleted Volumes:\n");
		for (i = 0; i < json_array_size(del); i++) {
			s = cli_sanitize(json_string_value(json_array_get(del,
			    i)), 512);
			printf("%s\n", s != NULL ? s : "?");
			free(s);
		}
		if (json_array_size(del) > 0)
			printf("\n");
		printf("Total reclaimed space: %s\n", cli_human_size(hs,
		    (double)json_integer_value(json_object_get(res,
		    "reclaimed")), 3));
	}
	json_decref(res);
	cli_link_close(&l);
	return (rc);
}
