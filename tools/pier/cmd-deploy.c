/*
 * `pier deploy [NODE] TEMPLATE [--source ...] [--name N] [-p ...] [-v ...]
 * [-e K=V] [--restart P]`: finds the template (id, title, name, unique
 * prefix; an ambiguous one lists the candidates), turns it into
 * container.create params (templates.h; a required value is asked for
 * on a terminal, else the error names the -e to add), pulls the image
 * first if the node does not have it, then creates and starts the
 * container and prints its name and id. Stack templates are refused.
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

#define ARGS_MAX	256	/* -p, -v, -e each */

extern const struct cli_cmd cli_cmd_pull;

static int	deploy_main(const struct cli_cmd *, int, char **);

const struct cli_cmd cli_cmd_deploy = {
	.name = "deploy",
	.main = deploy_main,
	.usage = "[NODE] TEMPLATE [--source S] [--name N] [-p PORT] "
	    "[-v VOL] [-e K=V] [--restart P] [--json]",
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
	    "  --offline, --refresh  as for pier templates\n"
	    "  --json            print the node's answer (id, name,\n"
	    "                    warnings) as JSON\n",
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
	rc = cli_link_call(self, &l, "container.create", params, &res);
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
		{ "json", no_argument, NULL, 'j' },
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
	int				 ch, refresh = 0, offline = 0, json = 0;
	int				 rc;

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
		case 'j':
			json = 1;
			break;
		case 'p':
		case 'v':
		case 'e':
			if (ov.nports >= ARGS_MAX || ov.nvolumes >= ARGS_MAX ||
			    ov.nenv >= ARGS_MAX)
				return (cli_usage_error(self, "too many -%c",
				    ch));
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
	if (cli_tpl_find(f, argv[optind], &t, &cause) != 0 ||
	    cli_tpl_deploy_params(t, &ov, &params, &cause) != 0) {
		cli_fail(self, NULL, cause, "failed");
		rc = CLI_EXIT_FAIL;
	} else
		rc = deploy_create(self, node, params, json);
	free(cause);
	cli_tpl_file_free(f);
	return (rc);
}
