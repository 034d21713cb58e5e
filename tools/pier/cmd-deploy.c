/*
 * `pier deploy [NODE] TEMPLATE [--source ...] [--name N] [-p ...] [-v ...]
 * [-e K=V] [--restart P]`: finds the template (id, title, name, unique
 * prefix; an ambiguous one lists the candidates), turns it into
 * container.create params (templates.h; a required value is asked for
 * on a terminal, else the error names the -e to add), pulls the image
 * first if the node does not have it, then creates and starts the
 * container and prints its name and id. A stack template (types 2 and
 * 3) deploys as `pier stack up` does: its compose file is fetched from
 * its repository (template-stack.c), its variables resolved as above
 * and passed to compose's interpolation, and compose's output shown
 * live; --name names the stack (default: the template's name).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "cli.h"
#include "cli-out.h"
#include "templates.h"
#include "cli-stack.h"

#define ARGS_MAX	256	/* -p, -v, -e each */

extern const struct cli_cmd cli_cmd_pull;

static int	deploy_main(const struct cli_cmd *, int, char **);

static const struct cli_opt deploy_opts[] = {
	{ .name = "source", .arg = "S", .kind = CLI_K_ARG,
	  .help = "as for pier templates" },
	{ .name = "name", .arg = "N", .kind = CLI_K_ARG,
	  .help = "container name" },
	{ .name = "publish", .letter = 'p', .arg = "[[IP:]HOST:]CTR[/PROTO]",
	  .kind = CLI_K_ARG, .help = "publish a port (replaces the\n"
	  "template's mapping of CTR/PROTO)" },
	{ .name = "volume", .letter = 'v', .arg = "SRC:DST[:ro]",
	  .kind = CLI_K_ARG,
	  .help = "a volume (replaces the template's at DST)" },
	{ .name = "env", .letter = 'e', .arg = "NAME=VALUE", .kind = CLI_K_ARG,
	  .help = "a variable (required ones are asked for on\n"
	  "a terminal)" },
	{ .name = "restart", .arg = "P", .kind = CLI_K_ARG,
	  .help = "no, always, unless-stopped, on-failure[:N]" },
	{ .name = "offline", .help = "as for pier templates" },
	{ .name = "refresh", .help = "as for pier templates" },
	{ .name = "json", .help = "print the node's answer (id, name,\n"
	  "warnings) as JSON" },
	{ .name = NULL }
};

const struct cli_cmd cli_cmd_deploy = {
	.name = "deploy",
	.main = deploy_main,
	.method = "container.create",
	.role = PROTO_ROLE_ADMIN,
	.opts = deploy_opts,
	.args_min = 1,
	.args_max = 2,
	.usage = "[NODE] TEMPLATE [--source S] [--name N] [-p PORT] "
	    "[-v VOL] [-e K=V] [--restart P] [--json]",
	.summary = "create and start a container from an app template",
	.help =
	    "  TEMPLATE        id, title or name, or a unique prefix\n",
};

/* Asks for a required variable on the terminal (the ask callback). */
static int
ask_env(const struct cli_tpl *t, const struct cli_tpl_env *e, char **value,
    void *arg)
{
	char	*prompt = NULL, *line = NULL;
	int	 err;

	if (asprintf(&prompt, "%s%s%s%s: ", e->label != NULL ? e->label :
	    e->name, e->label != NULL ? " (" : "", e->label != NULL ?
	    e->name : "", e->label != NULL ? ")" : "") < 0)
		return (-1);
	err = cli_ask_line(prompt, &line);
	free(prompt);
	if (err != 0 || line == NULL || line[0] == '\0') {
		free(line);
		*value = NULL;
		return (-1);
	}
	*value = line;
	return (0);
}

/* Makes sure the node has the image, pulling it if missing. */
static int
ensure_image(const struct cli_cmd *self, struct cli_link *l,
    const char *image)
{
	struct cli_rpc_error	 e;
	json_t			*res = NULL;	/* owned */
	int			 rc;

	memset(&e, 0, sizeof(e));
	rc = cli_rpc_call(l->r, "image.inspect", json_pack("{s:s}", "id",
	    image), 0, &res, &e);
	json_decref(res);
	if (rc == 0)
		return (CLI_EXIT_OK);
	if (e.code != PROTO_E_NOTFOUND) {
		rc = cli_rpc_fail(self, cli_rpc_node(l->r), &e);
		cli_rpc_error_clear(&e);
		return (rc);
	}
	cli_rpc_error_clear(&e);
	rc = cli_pull_missing(self, cli_rpc_node(l->r), image);
	if (rc != CLI_EXIT_OK)
		cli_error(self, "image %s is not on %s and could not be "
		    "pulled: pier pull %s %s", image, cli_rpc_node(l->r),
		    cli_rpc_node(l->r), image);
	return (rc);
}

/* Creates and starts the container on node; prints its name and id. */
static int
deploy_create(const struct cli_cmd *self, const char *node, json_t *params,
    int json)
{
	struct cli_link	 l;
	const json_t	*w;
	json_t		*res = NULL;	/* owned */
	size_t		 i;
	int		 rc;

	rc = cli_link_open(self, &l, node);
	if (rc != CLI_EXIT_OK) {
		json_decref(params);
		return (rc);
	}
	rc = ensure_image(self, &l, json_string_value(json_object_get(params,
	    CLI_TPL_K_IMAGE)));
	if (rc != CLI_EXIT_OK) {
		json_decref(params);
		cli_link_close(&l);
		return (rc);
	}
	(void)json_object_set_new(params, "start", json_true());
	rc = cli_link_call(self, &l, self->method, params, &res);
	if (rc == CLI_EXIT_OK) {
		w = json_object_get(res, "warnings");
		for (i = 0; i < json_array_size(w); i++)
			fprintf(stderr, "WARNING: %s\n",
			    json_string_value(json_array_get(w, i)));
		if (json) {
			if (json_dumpf(res, stdout, JSON_INDENT(2) |
			    JSON_PRESERVE_ORDER) == 0)
				putchar('\n');
		} else
			printf("%s %s\n", json_string_value(json_object_get(res,
			    "name")), json_string_value(json_object_get(res,
			    "id")));
	}
	json_decref(res);
	cli_link_close(&l);
	return (rc);
}

/* Deploys a stack template on node as `pier stack up` would. */
static int
deploy_stack(const struct cli_cmd *self, const char *node,
    const struct cli_tpl *t, const struct cli_tpl_overrides *ov)
{
	json_t		*params = NULL, *cf;	/* owned */
	char		*cause = NULL, *text = NULL, *name = NULL;
	const char	*file;
	size_t		 len;
	int		 rc;

	if (ov->nports > 0 || ov->nvolumes > 0 || ov->restart != NULL)
		return (cli_usage_error(self, "-p, -v and --restart are for "
		    "container templates; %s is a stack", t->title));
	if (cli_tpl_stack_params(t, ov, &params, &cause) != 0 ||
	    cli_tpl_stack_fetch(t, NULL, &text, &len, &cause) != 0) {
		json_decref(params);
		rc = cli_fail(self, NULL, cause, "failed");
		free(cause);
		return (rc);
	}
	name = ov->name != NULL ? strdup(ov->name) : cli_stack_name_from(
	    t->name != NULL ? t->name : t->title);
	file = strrchr(t->stackfile, '/') != NULL ? strrchr(t->stackfile,
	    '/') + 1 : t->stackfile;
	if (name == NULL || !cli_stack_name_ok(name)) {
		rc = cli_usage_error(self, "%s: not a stack name (1 to 63 of "
		    "a-z 0-9 - _); use --name", name != NULL ? name : "?");
		goto out;
	}
	cf = json_pack("[s]", file);
	if (cf == NULL || json_object_set_new(params, "compose_files", cf) !=
	    0 || cli_stack_put(params, file, text, len) != 0 ||
	    json_object_set_new(params, "name", json_string(name)) != 0) {
		rc = cli_error(self, "out of memory");
		goto out;
	}
	fprintf(stderr, "deploying %s as stack %s\n", t->title, name);
	rc = cli_stack_stream(self, node, "stack.up", params);
	params = NULL;
out:
	json_decref(params);
	free(name);
	free(text);
	return (rc);
}

/* `pier deploy`. */
static int
deploy_main(const struct cli_cmd *self, int argc, char **argv)
{
	static const char *const many[] = { "publish", "volume", "env" };
	const char			*ports[ARGS_MAX], *vols[ARGS_MAX];
	const char			*env[ARGS_MAX];
	const char			**lists[3] = { ports, vols, env };
	size_t				*counts[3];
	struct cli_tpl_overrides	 ov;
	struct cli_tpl_file		*f = NULL;
	struct cli_args			 a;
	const struct cli_tpl		*t;
	const char			*source, *node = NULL, *arg;
	json_t				*params = NULL;	/* owned */
	char				*cause = NULL;
	size_t				 i, pos;
	int				 refresh, offline, json, rc;

	memset(&ov, 0, sizeof(ov));
	ov.ports = ports;
	ov.volumes = vols;
	ov.env = env;
	counts[0] = &ov.nports;
	counts[1] = &ov.nvolumes;
	counts[2] = &ov.nenv;
	rc = cli_args_parse(self, argc, argv, &a);
	cli_args_free(&a);
	if (rc >= 0)
		return (rc);
	for (i = 0; i < 3; i++) {
		pos = 0;
		while ((arg = cli_args_next(self, &a, many[i], &pos)) != NULL) {
			if (*counts[i] >= ARGS_MAX)
				return (cli_usage_error(self, "too many -%c",
				    "pve"[i]));
			lists[i][(*counts[i])++] = arg;
		}
	}
	source = cli_args_get(self, &a, "source");
	ov.name = cli_args_get(self, &a, "name");
	ov.restart = cli_args_get(self, &a, "restart");
	refresh = cli_args_get(self, &a, "refresh") != NULL;
	offline = cli_args_get(self, &a, "offline") != NULL;
	json = cli_args_get(self, &a, "json") != NULL;
	if (a.argc == 2)
		node = a.argv[0];
	if (cli_tpl_overrides_check(&ov, &cause) != 0) {
		(void)cli_fail(self, NULL, cause, "out of memory");
		free(cause);
		return (CLI_EXIT_USAGE);
	}
	if (isatty(0))
		ov.ask = ask_env;
	rc = cli_tpl_source_open(self, source, offline, refresh, &f);
	if (rc != CLI_EXIT_OK)
		return (rc);
	if (cli_tpl_find(f, a.argv[a.argc - 1], &t, &cause) == 0 &&
	    t->error == NULL && (t->type == CLI_TPL_SWARM ||
	    t->type == CLI_TPL_COMPOSE))
		rc = deploy_stack(self, node, t, &ov);
	else if (cause != NULL ||
	    cli_tpl_deploy_params(t, &ov, &params, &cause) != 0) {
		cli_fail(self, NULL, cause, "failed");
		rc = CLI_EXIT_FAIL;
	} else
		rc = deploy_create(self, node, params, json);
	free(cause);
	cli_tpl_file_free(f);
	return (rc);
}
