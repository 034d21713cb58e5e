/*
 * The image commands, worded as docker's:
 *
 *	pier images [NODE] [-a] [-q] [--no-trunc] [--json]
 *	pier rmi [NODE] IMAGE... [-f] [--no-prune]
 *	pier image ls|rm|inspect|prune ...
 *
 * images prints REPOSITORY TAG IMAGE ID CREATED SIZE, one row per tag
 * (<none> for an untagged image) from image.list; rmi prints what each
 * removal untagged and deleted and goes on past a failed one; `image
 * prune` is in cmd-prune.c. NODE may be left out when one node is
 * joined.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto.h"
#include "cli.h"
#include "cli-out.h"

static int	images_main(const struct cli_cmd *, int, char **);
static int	rmi_main(const struct cli_cmd *, int, char **);

static const struct cli_opt images_opts[] = {
	{ .name = "all", .letter = 'a',
	  .help = "show intermediate images too" },
	{ .name = "quiet", .letter = 'q', .help = "print only image ids" },
	{ .name = "no-trunc", .help = "full ids" },
	{ .name = "json", .help = "one JSON object per row" },
	{ .name = "digests", .help = "show digests (a DIGEST column)" },
	CLI_OPTS_LISTING,
	{ .name = NULL }
};

const struct cli_cmd cli_cmd_images = {
	.name = "images",
	.main = images_main,
	.method = "image.list",
	.role = PROTO_ROLE_VIEWER,
	.opts = images_opts,
	.args_max = -1,
	.usage = "[NODE...] [-a] [-q] [--digests] [--no-trunc] [--json] "
	    "[--format TEMPLATE] [-f KEY=VALUE]",
	.summary = "list a node's images",
	.help = "",
};

static const struct cli_opt rmi_opts[] = {
	{ .name = "force", .letter = 'f',
	  .help = "remove even if tagged more than once or used" },
	{ .name = "no-prune", .help = "keep untagged parents" },
	{ .name = NULL }
};

const struct cli_cmd cli_cmd_rmi = {
	.name = "rmi",
	.main = rmi_main,
	.method = "image.remove",
	.role = PROTO_ROLE_ADMIN,
	.opts = rmi_opts,
	.args_min = 1,
	.args_max = -1,
	.usage = "[NODE] IMAGE... [-f] [--no-prune]",
	.summary = "remove images from a node",
	.help = "",
	.notes = "\nNODE may be left out when only one node is joined.\n",
};


/* Adds one table row and its JSON twin. */
static int
images_row(struct cli_table *t, const json_t *img, const char *repo,
    const char *tag, int no_trunc, int digests, time_t now)
{
	const char	*cells[6], **c = cells;
	const char	*id = json_string_value(json_object_get(img, "id"));
	const char	*dg = "<none>", *d;
	const json_t	*v;
	json_int_t	 created, size;
	char		 sid[CLI_SHORT_ID + 1], ago[CLI_HUMAN_LEN];
	char		 hs[CLI_HUMAN_LEN];
	size_t		 i, rl = strlen(repo);

	if (id == NULL)
		id = "";
	/* The digest of this repository: "repo@sha256:...". */
	json_array_foreach(json_object_get(img, "digests"), i, v) {
		d = json_string_value(v);
		if (d != NULL && strncmp(d, repo, rl) == 0 && d[rl] == '@')
			dg = d + rl + 1;
	}
	created = json_integer_value(json_object_get(img, "created"));
	size = json_integer_value(json_object_get(img, "size"));
	*c++ = repo;
	*c++ = tag;
	if (digests)
		*c++ = dg;
	*c++ = no_trunc ? id : cli_short_id(sid, id);
	*c++ = cli_human_ago(ago, created, now);
	*c++ = cli_human_size(hs, (double)size, 3);
	if (cli_table_add(t, cells) != 0)
		return (-1);
	return (cli_table_add_json(t, json_pack("{s:s, s:s, s:s, s:I, s:I, "
	    "s:O}", "repository", repo, "tag", tag, "id", id, "created",
	    created, "size", size, "digests", json_object_get(img,
	    "digests"))));
}

/* Adds the rows of one image: one per tag, or one <none> row. */
static int
images_add(struct cli_table *t, const json_t *img, int no_trunc,
    int digests, time_t now)
{
	const json_t	*tags = json_object_get(img, "tags");
	const char	*ref, *colon, *at;
	char		*repo;
	size_t		 i;
	int		 err = 0, rows = 0;

	for (i = 0; err == 0 && i < json_array_size(tags); i++) {
		ref = json_string_value(json_array_get(tags, i));
		if (ref == NULL || strcmp(ref, "<none>:<none>") == 0)
			continue;
		colon = strrchr(ref, ':');
		if (colon == NULL || strchr(colon, '/') != NULL)
			colon = ref + strlen(ref);
		repo = strndup(ref, (size_t)(colon - ref));
		if (repo == NULL)
			return (-1);
		err = images_row(t, img, repo, *colon == ':' ? colon + 1 :
		    "latest", no_trunc, digests, now);
		free(repo);
		rows++;
	}
	if (err != 0 || rows > 0)
		return (err);
	ref = json_string_value(json_array_get(json_object_get(img,
	    "digests"), 0));
	at = ref != NULL ? strchr(ref, '@') : NULL;
	if (at == NULL || strcmp(ref, "<none>@<none>") == 0)
		return (images_row(t, img, "<none>", "<none>", no_trunc,
		    digests, now));
	repo = strndup(ref, (size_t)(at - ref));
	if (repo == NULL)
		return (-1);
	err = images_row(t, img, repo, "<none>", no_trunc, digests, now);
	free(repo);
	return (err);
}

/* Prints image.list's rows as docker images does. */
static int
images_print(const struct cli_cmd *self, const json_t *imgs, int quiet,
    int no_trunc, int json, int digests)
{
	static const char *const hdr[] = { "REPOSITORY", "TAG", "IMAGE ID",
	    "CREATED", "SIZE" };
	static const char *const hdr_dg[] = { "REPOSITORY", "TAG", "DIGEST",
	    "IMAGE ID", "CREATED", "SIZE" };
	struct cli_table	*t;
	size_t			 i;
	time_t			 now = time(NULL);
	char			 sid[CLI_SHORT_ID + 1];
	const char		*id;
	int			 err = 0;

	if (quiet && !json) {
		for (i = 0; i < json_array_size(imgs); i++) {
			id = json_string_value(json_object_get(
			    json_array_get(imgs, i), "id"));
			if (id != NULL)
				printf("%s\n", no_trunc ? id :
				    cli_short_id(sid, id));
		}
		return (CLI_EXIT_OK);
	}
	t = digests ? cli_table_new(hdr_dg, 6) : cli_table_new(hdr, 5);
	if (t == NULL)
		return (cli_error(self, "out of memory"));
	for (i = 0; err == 0 && i < json_array_size(imgs); i++)
		err = images_add(t, json_array_get(imgs, i), no_trunc, digests,
		    now);
	if (err == 0)
		err = cli_table_print(t, stdout, (json ? CLI_TABLE_JSON : 0) |
		    CLI_TABLE_NO_TRUNC);
	cli_table_free(t);
	return (err != 0 ? cli_error(self, "out of memory") : CLI_EXIT_OK);
}

/* `pier images` and `pier image ls`. */
static int
images_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_link	 l;
	struct cli_args	 a;
	struct cli_fmt	*f = NULL;
	json_t		*res = NULL, *params;	/* owned */
	int		 all, quiet, no_trunc, json, rc;

	rc = cli_args_parse(self, argc, argv, &a);
	cli_args_free(&a);
	if (rc >= 0)
		return (rc);
	all = cli_args_get(self, &a, "all") != NULL;
	quiet = cli_args_get(self, &a, "quiet") != NULL;
	no_trunc = cli_args_get(self, &a, "no-trunc") != NULL;
	json = cli_args_get(self, &a, "json") != NULL;
	params = json_pack("{s:b}", "all", all);
	if (params == NULL)
		return (cli_error(self, "out of memory"));
	rc = cli_listing_opts(self, &a, &cli_listing_images, params, &f);
	if (rc < 0 && f != NULL && !quiet)
		rc = cli_listing_format(self, &cli_listing_images, f,
		    (const char *const *)a.argv, (size_t)a.argc, params,
		    !no_trunc);
	else if (rc < 0)
		rc = cli_listing_multi(self, &cli_listing_images, &a, params,
		    quiet, json, no_trunc);
	cli_fmt_free(f);
	if (rc >= 0) {
		json_decref(params);
		return (rc);
	}
	rc = cli_link_open(self, &l, a.argc > 0 ? a.argv[0] : NULL);
	if (rc != CLI_EXIT_OK) {
		json_decref(params);
		return (rc);
	}
	rc = cli_link_call(self, &l, self->method, params, &res);
	if (rc == CLI_EXIT_OK)
		rc = images_print(self, json_object_get(res, "images"), quiet,
		    no_trunc, json, cli_args_get(self, &a, "digests") != NULL);
	json_decref(res);
	cli_link_close(&l);
	return (rc);
}

/* Prints "Untagged: x" and "Deleted: y" lines of a removal's result. */
static void
print_removed(const json_t *res, const char *untagged, const char *deleted)
{
	const json_t	*a;
	size_t		 i;
	char		*s;

	a = json_object_get(res, "untagged");
	for (i = 0; i < json_array_size(a); i++) {
		s = cli_sanitize(json_string_value(json_array_get(a, i)), 512);
		printf("%s: %s\n", untagged, s != NULL ? s : "?");
		free(s);
	}
	a = json_object_get(res, "deleted");
	for (i = 0; i < json_array_size(a); i++) {
		s = cli_sanitize(json_string_value(json_array_get(a, i)), 512);
		printf("%s: %s\n", deleted, s != NULL ? s : "?");
		free(s);
	}
}

/* `pier rmi` and `pier image rm`. */
static int
rmi_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_link	 l;
	struct cli_args	 a;
	json_t		*res;	/* owned */
	const char	*node = NULL;
	int		 force, no_prune, rc, i = 0;

	rc = cli_args_parse(self, argc, argv, &a);
	cli_args_free(&a);
	if (rc >= 0)
		return (rc);
	force = cli_args_get(self, &a, "force") != NULL;
	no_prune = cli_args_get(self, &a, "no-prune") != NULL;
	if (a.argc >= 2 && cli_is_node(a.argv[0]))
		node = a.argv[i++];
	rc = cli_link_open(self, &l, node);
	if (rc != CLI_EXIT_OK)
		return (rc);
	for (; i < a.argc; i++) {
		if (cli_link_call(self, &l, self->method, json_pack(
		    "{s:s, s:b, s:b}", "id", a.argv[i], "force", force,
		    "no_prune", no_prune), &res) != CLI_EXIT_OK) {
			rc = CLI_EXIT_FAIL;
			continue;
		}
		print_removed(res, "Untagged", "Deleted");
		json_decref(res);
	}
	cli_link_close(&l);
	return (rc);
}

/* `pier image inspect [NODE] IMAGE`. */
static int
inspect_main(const struct cli_cmd *self, int argc, char **argv)
{
	return (cli_inspect_main(self, argc, argv, "image.inspect"));
}

static const struct cli_cmd inspect = {
	.name = "image inspect", .main = inspect_main,
	.method = "image.inspect", .role = PROTO_ROLE_VIEWER,
	.args_min = 1, .args_max = 2,
	.usage = "[NODE] IMAGE",
	.summary = "show an image's configuration as JSON",
	.help = "",
};

/* `pier image SUBCOMMAND ...`: its words, and what each runs. */
extern const struct cli_cmd cli_cmd_image_history;
extern const struct cli_cmd cli_cmd_image_tag;

static const struct cli_sub image_subs[] = {
	{ "ls", "list", &cli_cmd_images },
	{ "rm", NULL, &cli_cmd_rmi },
	{ "inspect", NULL, &inspect },
	{ "prune", NULL, &cli_cmd_image_prune },
	{ "history", NULL, &cli_cmd_image_history },
	{ "tag", NULL, &cli_cmd_image_tag },
	{ NULL, NULL, NULL }
};
const struct cli_cmd cli_cmd_image = {
	.name = "image",
	.main = cli_family_main,
	.usage = "ls|rm|inspect|prune|history|tag [NODE] ...",
	.summary = "manage a node's images (ls, rm, inspect, prune, history, "
	    "tag)",
	.help = "",
	.subs = image_subs,
};
