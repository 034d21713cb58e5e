/*
 * `pier image history`, `pier image tag`, `pier container prune` and
 * `pier system df`, printed as docker prints them: history's table
 * (IMAGE CREATED CREATED BY SIZE COMMENT, or the ids alone with -q), tag
 * nothing, prune "Deleted Containers:" and the space reclaimed after
 * asking (unless -f), df the TYPE TOTAL ACTIVE SIZE RECLAIMABLE table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto.h"
#include "cli.h"
#include "cli-out.h"

static int	one_main(const struct cli_cmd *, int, char **);

static const struct cli_opt history_opts[] = {
	{ .name = "quiet", .letter = 'q', .help = "only the image ids" },
	{ .name = "no-trunc", .help = "do not shorten ids and commands" },
	{ .name = NULL }
};
const struct cli_cmd cli_cmd_image_history = {
	.name = "image history", .main = one_main,
	.method = "image.history", .role = PROTO_ROLE_VIEWER,
	.opts = history_opts, .args_min = 1, .args_max = 2,
	.usage = "[NODE] IMAGE [-q] [--no-trunc]",
	.summary = "show the layers of an image",
	.help = "",
};

const struct cli_cmd cli_cmd_image_tag = {
	.name = "image tag", .main = one_main,
	.method = "image.tag", .role = PROTO_ROLE_ADMIN,
	.args_min = 2, .args_max = 3,
	.usage = "[NODE] SOURCE TARGET",
	.summary = "give an image another name",
	.help = "",
};

static const struct cli_opt prune_opts[] = {
	{ .name = "force", .letter = 'f', .help = "do not ask" },
	{ .name = "filter", .arg = "label=K[=V]", .kind = CLI_K_ARG,
	  .help = "only containers with this label" },
	{ .name = NULL }
};
const struct cli_cmd cli_cmd_container_prune = {
	.name = "container prune", .main = one_main,
	.method = "container.prune", .role = PROTO_ROLE_ADMIN,
	.opts = prune_opts, .args_max = 1,
	.usage = "[NODE] [-f] [--filter label=K=V]",
	.summary = "remove stopped containers",
	.help = "",
};

const struct cli_cmd cli_cmd_system_df = {
	.name = "system df", .main = one_main,
	.method = "system.df", .role = PROTO_ROLE_VIEWER,
	.args_max = 1, .usage = "[NODE]",
	.summary = "show the engine's disk usage",
	.help = "",
};

static const struct cli_sub container_subs[] = {
	{ "prune", NULL, &cli_cmd_container_prune },
	{ NULL, NULL, NULL }
};
const struct cli_cmd cli_cmd_container = {
	.name = "container", .main = cli_family_main,
	.usage = "prune [NODE] ...",
	.summary = "manage a node's containers as a whole (prune)",
	.help = "", .subs = container_subs,
};

static const struct cli_sub system_subs[] = {
	{ "df", NULL, &cli_cmd_system_df },
	{ NULL, NULL, NULL }
};
const struct cli_cmd cli_cmd_system = {
	.name = "system", .main = cli_family_main,
	.usage = "df [NODE]",
	.summary = "a node's engine as a whole (df)",
	.help = "", .subs = system_subs,
};

/* A short id: the 12 hex digits after "sha256:", or "<missing>". */
static const char *
short_id(const char *id, int no_trunc, char *buf, size_t len)
{
	if (id == NULL || *id == '\0' || strcmp(id, "<missing>") == 0)
		return ("<missing>");
	if (no_trunc)
		return (id);
	if (strncmp(id, "sha256:", 7) == 0)
		id += 7;
	snprintf(buf, len, "%.12s", id);
	return (buf);
}

/* Prints image.history's layers as docker image history does. */
static int
history_print(const json_t *answer, int quiet, int no_trunc)
{
	const json_t		*res = json_object_get(answer, "layers");
	static const char *const h[] = { "IMAGE", "CREATED", "CREATED BY",
	    "SIZE", "COMMENT" };
	const char		*cells[5];
	char			 id[80], ago[CLI_HUMAN_LEN], sz[CLI_HUMAN_LEN];
	char			 by[64];
	struct cli_table	*t;
	const json_t		*l;
	const char		*cb;
	size_t			 i;
	int			 err = 0;

	if (quiet) {
		json_array_foreach(res, i, l)
			printf("%s\n", short_id(json_string_value(
			    json_object_get(l, "Id")), no_trunc, id,
			    sizeof(id)));
		return (0);
	}
	t = cli_table_new(h, 5);
	if (t == NULL)
		return (-ENOMEM);
	json_array_foreach(res, i, l) {
		cells[0] = short_id(json_string_value(json_object_get(l, "Id")),
		    no_trunc, id, sizeof(id));
		cells[1] = cli_human_ago(ago, json_integer_value(
		    json_object_get(l, "Created")), (int64_t)time(NULL));
		cb = json_string_value(json_object_get(l, "CreatedBy"));
		cb = cb != NULL ? cb : "";
		if (!no_trunc && strlen(cb) > 45) {
			snprintf(by, sizeof(by), "%.44s…", cb);
			cb = by;
		}
		cells[2] = cb;
		cells[3] = cli_human_size(sz, (double)json_integer_value(
		    json_object_get(l, "Size")), 3);
		cells[4] = json_string_value(json_object_get(l, "Comment"));
		err = cli_table_add(t, cells);
		if (err != 0)
			break;
	}
	if (err == 0)
		err = cli_table_print(t, stdout, CLI_TABLE_NO_TRUNC);
	cli_table_free(t);
	return (err);
}

/* Prints system.df's answer as docker system df does. */
static int
df_print(const json_t *res)
{
	static const char *const h[] = { "TYPE", "TOTAL", "ACTIVE", "SIZE",
	    "RECLAIMABLE" };
	static const char *const types[] = { "Images", "Containers",
	    "Local Volumes", "Build Cache" };
	static const char *const keys[] = { "Images", "Containers",
	    "Volumes", "BuildCache" };
	const char		*cells[5];
	char			 tot[32], act[32], sz[CLI_HUMAN_LEN];
	char			 rc[CLI_HUMAN_LEN + 16], r[CLI_HUMAN_LEN];
	struct cli_table	*t;
	const json_t		*l, *o;
	double			 size, reclaim, s;
	size_t			 i, k, active;
	int			 err = 0, used;

	t = cli_table_new(h, 5);
	if (t == NULL)
		return (-ENOMEM);
	for (k = 0; k < 4 && err == 0; k++) {
		l = json_object_get(res, keys[k]);
		size = reclaim = 0;
		active = 0;
		json_array_foreach(l, i, o) {
			if (k == 1)
				s = (double)json_integer_value(json_object_get(
				    o, "SizeRw"));
			else if (k == 2)
				s = (double)json_integer_value(json_object_get(
				    json_object_get(o, "UsageData"), "Size"));
			else
				s = (double)json_integer_value(json_object_get(
				    o, "Size"));
			if (k == 0)
				used = json_integer_value(json_object_get(o,
				    "Containers")) > 0;
			else if (k == 1)
				used = strcmp(json_string_value(json_object_get(
				    o, "State")) != NULL ? json_string_value(
				    json_object_get(o, "State")) : "",
				    "running") == 0;
			else if (k == 2)
				used = json_integer_value(json_object_get(
				    json_object_get(o, "UsageData"),
				    "RefCount")) > 0;
			else
				used = json_is_true(json_object_get(o,
				    "InUse"));
			size += s > 0 ? s : 0;
			if (used)
				active++;
			else
				reclaim += s > 0 ? s : 0;
		}
		if (k == 0)	/* shared layers count once: the engine's sum */
			size = (double)json_integer_value(json_object_get(res,
			    "LayersSize"));
		snprintf(tot, sizeof(tot), "%zu", json_array_size(l));
		snprintf(act, sizeof(act), "%zu", active);
		cli_human_size(sz, size, 3);
		cli_human_size(r, reclaim, 3);
		if (size > 0 && k != 3)
			snprintf(rc, sizeof(rc), "%s (%.0f%%)", r,
			    reclaim * 100 / size);
		else
			snprintf(rc, sizeof(rc), "%s", r);
		cells[0] = types[k];
		cells[1] = tot;
		cells[2] = act;
		cells[3] = sz;
		cells[4] = rc;
		err = cli_table_add(t, cells);
	}
	if (err == 0)
		err = cli_table_print(t, stdout, CLI_TABLE_NO_TRUNC);
	cli_table_free(t);
	return (err);
}

/* Prints container.prune's answer as docker container prune does. */
static void
prune_print(const json_t *res)
{
	const json_t	*d = json_object_get(res, "deleted");
	char		 b[CLI_HUMAN_LEN];
	size_t		 i;

	if (json_array_size(d) > 0) {
		printf("Deleted Containers:\n");
		for (i = 0; i < json_array_size(d); i++)
			printf("%s\n", json_string_value(json_array_get(d, i)));
		printf("\n");
	}
	printf("Total reclaimed space: %s\n", cli_human_size(b,
	    (double)json_integer_value(json_object_get(res, "reclaimed")), 3));
}

/* The four commands: NODE optional before their own arguments. */
static int
one_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_link	 l;
	struct cli_args	 a;
	json_t		*params, *res = NULL;	/* owned */
	const char	*node = NULL, *f;
	int		 rc, want, i = 0, quiet, no_trunc;
	size_t		 pos = 0;

	rc = cli_args_parse(self, argc, argv, &a);
	params = a.params;
	a.params = NULL;
	want = self == &cli_cmd_image_tag ? 2 : self == &cli_cmd_image_history ?
	    1 : 0;
	if (rc < 0 && a.argc > want) {
		if (!cli_is_node(a.argv[0]))
			rc = cli_usage_error(self, "%s: no joined node of that "
			    "name (see 'pier nodes')", a.argv[0]);
		node = a.argv[i++];
	}
	while (rc < 0 && (f = cli_args_next(self, &a, "filter", &pos)) !=
	    NULL) {
		if (strncmp(f, "label=", 6) != 0 || f[6] == '\0')
			rc = cli_usage_error(self, "--filter %s: only "
			    "label=K[=V] is known here", f);
		else
			cli_params_push(params, "labels", f + 6);
	}
	if (rc < 0 && self == &cli_cmd_container_prune &&
	    cli_args_get(self, &a, "force") == NULL &&
	    !cli_confirm("This will remove all stopped containers."))
		rc = CLI_EXIT_OK;
	quiet = cli_args_get(self, &a, "quiet") != NULL;
	no_trunc = cli_args_get(self, &a, "no-trunc") != NULL;
	cli_args_free(&a);
	if (rc >= 0) {
		json_decref(params);
		return (rc);
	}
	if (want >= 1)
		(void)json_object_set_new(params, "id", json_string(a.argv[i]));
	if (want == 2)
		(void)json_object_set_new(params, "reference",
		    json_string(a.argv[i + 1]));
	rc = cli_link_open(self, &l, node);
	if (rc != CLI_EXIT_OK) {
		json_decref(params);
		return (rc);
	}
	rc = cli_link_call(self, &l, self->method, params, &res);
	cli_link_close(&l);
	if (rc == CLI_EXIT_OK) {
		if (self == &cli_cmd_image_history)
			rc = history_print(res, quiet, no_trunc) == 0 ?
			    CLI_EXIT_OK : CLI_EXIT_FAIL;
		else if (self == &cli_cmd_system_df)
			rc = df_print(res) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
		else if (self == &cli_cmd_container_prune)
			prune_print(res);
	}
	json_decref(res);
	return (rc);
}
