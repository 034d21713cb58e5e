/*
 * App templates (Portainer's JSON formats, templates.h):
 *
 *	pier templates [--source URL|FILE] [--refresh] [--offline] [--json]
 *	    [SEARCH]
 *	pier deploy [NODE] TEMPLATE [--source ...] [--name N] [-p ...]
 *	    [-v ...] [-e K=V] [--restart P]
 *
 * The source is --source, else the `templates.source` setting (pier
 * config), else CLI_TPL_DEFAULT_SOURCE; https sources are cached. deploy
 * finds the template (id, title, name, unique prefix), turns it into
 * container.create params (required values asked for on a terminal, else
 * an error naming the -e to add), pulls the image first if the node does
 * not have it, then creates and starts the container and prints its name
 * and id. Stack templates are listed but refused.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "cli.h"
#include "cli-out.h"
#include "templates.h"

#define DESC_WIDTH	50	/* DESCRIPTION column, in display columns */
#define ARGS_MAX	256	/* -p, -v, -e each */

extern const struct cli_cmd cli_cmd_pull;

static int	templates_main(const struct cli_cmd *, int, char **);
static int	deploy_main(const struct cli_cmd *, int, char **);

const struct cli_cmd cli_cmd_templates = {
	.name = "templates",
	.main = templates_main,
	.usage = "[--source URL|FILE] [--refresh] [--offline] [--json] "
	    "[SEARCH]",
	.summary = "list app templates (Portainer's formats)",
	.help =
	    "  --source S   a template file or an https URL (default: the\n"
	    "               templates.source setting, else Portainer's list)\n"
	    "  --refresh    fetch again even if the cached copy is fresh\n"
	    "  --offline    use the cached copy only\n"
	    "  --json       one JSON object per template\n"
	    "  SEARCH       only templates whose title, name, description\n"
	    "               or categories hold it\n",
};

const struct cli_cmd cli_cmd_deploy = {
	.name = "deploy",
	.main = deploy_main,
	.usage = "[NODE] TEMPLATE [--source S] [--name N] [-p PORT] "
	    "[-v VOL] [-e K=V] [--restart P]",
	.summary = "create and start a container from an app template",
	.help =
	    "  TEMPLATE          id, title or name, or a unique prefix\n"
	    "  --source S        as for pier templates\n"
	    "  --name N          container name\n"
	    "  -p [[IP:]HOST:]CTR[/PROTO]  publish a port (replaces the\n"
	    "                    template's mapping of CTR/PROTO)\n"
	    "  -v SRC:DST[:ro]   a volume (replaces the template's at DST)\n"
	    "  -e NAME=VALUE     a variable (required ones are asked for on\n"
	    "                    a terminal)\n"
	    "  --restart P       no, always, unless-stopped, on-failure[:N]\n"
	    "  --offline, --refresh  as for pier templates\n",
};

/* Opens the source: --source, the setting, or the default. */
static int
open_source(const struct cli_cmd *self, const char *source, int offline,
    int refresh, struct cli_tpl_file **f)
{
	struct cli_tpl_fetch_opts	 o;
	char				*dir, *set = NULL, *warn = NULL;
	char				*cause = NULL;
	int				 err;

	if (source == NULL) {
		dir = cli_config_dir();
		if (dir != NULL && cli_setting_get(dir, "templates.source",
		    &set, &cause) != 0) {
			free(dir);
			cli_error(self, "%s", cause != NULL ? cause :
			    "cannot read the settings");
			free(cause);
			return (CLI_EXIT_FAIL);
		}
		free(dir);
		source = set != NULL ? set : CLI_TPL_DEFAULT_SOURCE;
	}
	memset(&o, 0, sizeof(o));
	o.offline = offline;
	o.refresh = refresh;
	err = cli_tpl_open(source, &o, f, &warn, &cause);
	if (warn != NULL)
		fprintf(stderr, "pier %s: warning: %s\n", self->name, warn);
	free(warn);
	if (err != 0)
		cli_error(self, "%s", cause != NULL ? cause : "cannot read "
		    "the templates");
	free(cause);
	free(set);
	return (err != 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK);
}

/* Adds one template's row and its JSON twin. */
static int
templates_row(struct cli_table *t, const struct cli_tpl *tp)
{
	const char	*cells[5];
	char		 id[32];

	snprintf(id, sizeof(id), "%lld", tp->id);
	cells[0] = id;
	cells[1] = cli_tpl_type_name(tp->type);
	cells[2] = tp->title;
	cells[3] = tp->image != NULL ? tp->image : "-";
	cells[4] = tp->description;
	if (cli_table_add(t, cells) != 0)
		return (-1);
	return (cli_table_add_json(t, json_pack("{s:I, s:s, s:s, s:s?, "
	    "s:s?, s:s}", "id", (json_int_t)tp->id, "type", cells[1],
	    "title", tp->title, "name", tp->name, "image", tp->image,
	    "description", tp->description)));
}

/* `pier templates`. */
static int
templates_main(const struct cli_cmd *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "source", required_argument, NULL, 's' },
		{ "refresh", no_argument, NULL, 'r' },
		{ "offline", no_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const hdr[] = { "ID", "TYPE", "TITLE", "IMAGE",
	    "DESCRIPTION" };
	struct cli_tpl_file	*f = NULL;
	struct cli_table	*t = NULL;
	const char		*source = NULL, *query = NULL;
	size_t			 i;
	int			 ch, refresh = 0, offline = 0, json = 0, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (ch == 's')
			source = optarg;
		else if (ch == 'r')
			refresh = 1;
		else if (ch == 'o')
			offline = 1;
		else if (ch == 'j')
			json = 1;
		else if (ch == 'h')
			return (cli_help(self));
		else
			return (cli_usage(self));
	}
	if (argc - optind > 1)
		return (cli_usage(self));
	if (optind < argc)
		query = argv[optind];
	rc = open_source(self, source, offline, refresh, &f);
	if (rc != CLI_EXIT_OK)
		return (rc);
	t = cli_table_new(hdr, 5);
	if (t == NULL)
		rc = cli_error(self, "out of memory");
	else
		cli_table_max_width(t, 4, DESC_WIDTH);
	for (i = 0; t != NULL && i < f->ntemplates; i++) {
		if (query != NULL && !cli_tpl_matches(&f->templates[i], query))
			continue;
		if (templates_row(t, &f->templates[i]) != 0) {
			rc = cli_error(self, "out of memory");
			break;
		}
	}
	if (rc == CLI_EXIT_OK && cli_table_print(t, stdout, json ?
	    CLI_TABLE_JSON : 0) != 0)
		rc = cli_error(self, "cannot print the list");
	cli_table_free(t);
	cli_tpl_file_free(f);
	return (rc);
}

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

/* Pulls image on node with `pier pull`'s progress display. */
static int
pull_image(const char *node, const char *image)
{
	char	*argv[4];

	fprintf(stderr, "Unable to find image '%s' on %s; pulling it\n",
	    image, node);
	argv[0] = (char *)"pull";
	argv[1] = (char *)node;
	argv[2] = (char *)image;
	argv[3] = NULL;
	return (cli_cmd_pull.main(&cli_cmd_pull, 3, argv));
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
	rc = pull_image(cli_rpc_node(l->r), image);
	if (rc != CLI_EXIT_OK)
		cli_error(self, "image %s is not on %s and could not be "
		    "pulled: pier pull %s %s", image, cli_rpc_node(l->r),
		    cli_rpc_node(l->r), image);
	return (rc);
}

/* Creates and starts the container on node; prints its name and id. */
static int
deploy_create(const struct cli_cmd *self, const char *node, json_t *params)
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
	rc = cli_link_call(self, &l, "container.create", params, &res);
	if (rc == CLI_EXIT_OK) {
		w = json_object_get(res, "warnings");
		for (i = 0; i < json_array_size(w); i++)
			fprintf(stderr, "WARNING: %s\n",
			    json_string_value(json_array_get(w, i)));
		printf("%s %s\n", json_string_value(json_object_get(res,
		    "name")), json_string_value(json_object_get(res, "id")));
	}
	json_decref(res);
	cli_link_close(&l);
	return (rc);
}

/* `pier deploy`. */
static int
deploy_main(const struct cli_cmd *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "source", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'n' },
		{ "publish", required_argument, NULL, 'p' },
		{ "volume", required_argument, NULL, 'v' },
		{ "env", required_argument, NULL, 'e' },
		{ "restart", required_argument, NULL, 'R' },
		{ "refresh", no_argument, NULL, 'r' },
		{ "offline", no_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char			*ports[ARGS_MAX], *vols[ARGS_MAX];
	const char			*env[ARGS_MAX];
	struct cli_tpl_overrides	 ov;
	struct cli_tpl_file		*f = NULL;
	const struct cli_tpl		*t;
	const char			*source = NULL, *node = NULL;
	json_t				*params = NULL;	/* owned */
	char				*cause = NULL;
	int				 ch, refresh = 0, offline = 0, rc;

	memset(&ov, 0, sizeof(ov));
	ov.ports = ports;
	ov.volumes = vols;
	ov.env = env;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "p:v:e:h", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 's':
			source = optarg;
			break;
		case 'n':
			ov.name = optarg;
			break;
		case 'R':
			ov.restart = optarg;
			break;
		case 'r':
			refresh = 1;
			break;
		case 'o':
			offline = 1;
			break;
		case 'p':
		case 'v':
		case 'e':
			if (ov.nports >= ARGS_MAX || ov.nvolumes >= ARGS_MAX ||
			    ov.nenv >= ARGS_MAX) {
				cli_error(self, "too many -%c", ch);
				return (CLI_EXIT_USAGE);
			}
			if (ch == 'p')
				ports[ov.nports++] = optarg;
			else if (ch == 'v')
				vols[ov.nvolumes++] = optarg;
			else
				env[ov.nenv++] = optarg;
			break;
		case 'h':
			return (cli_help(self));
		default: return (cli_usage(self));
		}
	}
	if (argc - optind == 2)
		node = argv[optind++];
	if (argc - optind != 1)
		return (cli_usage(self));
	if (isatty(0))
		ov.ask = ask_env;
	rc = open_source(self, source, offline, refresh, &f);
	if (rc != CLI_EXIT_OK)
		return (rc);
	if (cli_tpl_find(f, argv[optind], &t, &cause) != 0 ||
	    cli_tpl_deploy_params(t, &ov, &params, &cause) != 0) {
		cli_error(self, "%s", cause != NULL ? cause : "failed");
		rc = CLI_EXIT_FAIL;
	} else
		rc = deploy_create(self, node, params);
	free(cause);
	cli_tpl_file_free(f);
	return (rc);
}
