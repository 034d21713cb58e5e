/*
 * `pier image prune` and `pier volume prune`: remove what no container
 * uses, asking first unless -f as docker does, and only what carries the
 * given labels with --filter label=K[=V] (the node passes the filters to
 * the engine), then print what went and the space reclaimed. `pier image`
 * and `pier volume` hand their prune subcommand to these entries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "cli.h"
#include "cli-out.h"

static int	image_prune_main(const struct cli_cmd *, int, char **);
static int	volume_prune_main(const struct cli_cmd *, int, char **);

static const struct cli_opt image_prune_opts[] = {
	{ .name = "all", .letter = 'a',
	  .help = "every image no container uses, not only dangling ones" },
	{ .name = "force", .letter = 'f',
	  .help = "do not ask for confirmation" },
	{ .name = "filter", .arg = "label=KEY[=VALUE]", .kind = CLI_K_ARG,
	  .help = "only images with the label" },
	{ .name = "json", .help = "print the node's answer as JSON" },
	{ .name = NULL }
};

const struct cli_cmd cli_cmd_image_prune = {
	.name = "image prune",
	.main = image_prune_main,
	.method = "image.prune",
	.role = PROTO_ROLE_ADMIN,
	.opts = image_prune_opts,
	.args_max = 1,
	.usage = "[NODE] [-a] [-f] [--filter label=K[=V]] [--json]",
	.summary = "remove unused images from a node",
	.help = "",
};

static const struct cli_opt volume_prune_opts[] = {
	{ .name = "force", .letter = 'f',
	  .help = "do not ask for confirmation" },
	{ .name = "filter", .arg = "label=KEY[=VALUE]", .kind = CLI_K_ARG,
	  .help = "only volumes with the label" },
	{ .name = NULL }
};

const struct cli_cmd cli_cmd_volume_prune = {
	.name = "volume prune",
	.main = volume_prune_main,
	.method = "volume.prune",
	.role = PROTO_ROLE_ADMIN,
	.opts = volume_prune_opts,
	.args_max = 1,
	.usage = "[NODE] [-f] [--filter label=K[=V]]",
	.summary = "remove volumes no container uses",
	.help = "",
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

/*
 * Reads a prune's command line: 1 and *params (owned) to go on, else an
 * exit code (the filters are label=K[=V] only).
 */
static int
prune_args(const struct cli_cmd *self, int argc, char **argv,
    struct cli_args *a, json_t **params)
{
	const char	*f;
	size_t		 pos = 0;
	int		 rc;

	*params = NULL;
	rc = cli_args_parse(self, argc, argv, a);
	while (rc < 0 && (f = cli_args_next(self, a, "filter", &pos)) != NULL)
		if (add_filter(a->params, f) != 0) {
			cli_error(self, "unsupported filter: %s (use "
			    "label=KEY or label=KEY=VALUE)", f);
			rc = CLI_EXIT_USAGE;
		}
	if (rc < 0) {
		*params = a->params;
		a->params = NULL;
	}
	cli_args_free(a);
	return (rc < 0 ? 1 : rc);
}

/* `pier image prune [NODE] [-a] [-f] [--filter label=K[=V]]`. */
static int
image_prune_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_link	 l;
	struct cli_args	 a;
	json_t		*params, *res = NULL;	/* owned */
	char		 hs[CLI_HUMAN_LEN];
	int		 all, force, json, rc;

	rc = prune_args(self, argc, argv, &a, &params);
	if (rc != 1)
		return (rc);
	all = cli_args_get(self, &a, "all") != NULL;
	force = cli_args_get(self, &a, "force") != NULL;
	json = cli_args_get(self, &a, "json") != NULL;
	if (!force && !cli_confirm(all ? "This will remove all images "
	    "without at least one container associated to them." :
	    "This will remove all dangling images.")) {
		json_decref(params);
		fprintf(stderr, "Nothing removed (add -f to prune without "
		    "being asked).\n");
		return (CLI_EXIT_FAIL);
	}
	(void)json_object_set_new(params, "all", json_boolean(all));
	rc = cli_link_open(self, &l, a.argc > 0 ? a.argv[0] : NULL);
	if (rc != CLI_EXIT_OK) {
		json_decref(params);
		return (rc);
	}
	rc = cli_link_call(self, &l, self->method, params, &res);
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
	struct cli_link	 l;
	struct cli_args	 a;
	const json_t	*del;
	json_t		*params, *res = NULL;	/* owned */
	char		 hs[CLI_HUMAN_LEN], *s;
	size_t		 i;
	int		 force, rc;

	rc = prune_args(self, argc, argv, &a, &params);
	if (rc != 1)
		return (rc);
	force = cli_args_get(self, &a, "force") != NULL;
	if (!force && !cli_confirm("This will remove all local volumes not "
	    "used by at least one container.")) {
		json_decref(params);
		fprintf(stderr, "Nothing removed (add -f to prune without "
		    "being asked).\n");
		return (CLI_EXIT_FAIL);
	}
	rc = cli_link_open(self, &l, a.argc > 0 ? a.argv[0] : NULL);
	if (rc != CLI_EXIT_OK) {
		json_decref(params);
		return (rc);
	}
	rc = cli_link_call(self, &l, self->method, params, &res);
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
