/*
 * App templates (Portainer's JSON formats, templates.h):
 *
 *	pier templates [--source URL|FILE] [--refresh] [--offline] [--json]
 *	    [SEARCH]
 *
 * The source is --source, else the `templates.source` setting (pier
 * config), else CLI_TPL_DEFAULT_SOURCE; https sources are cached.
 * `pier deploy` (cmd-deploy.c) opens its source the same way. Stack
 * templates are listed here and refused by deploy. A template with a bad
 * field is left out of the list with one warning on stderr naming it and
 * the field; deploy refuses it alone, with that message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli-out.h"
#include "templates.h"

#define DESC_WIDTH	50	/* DESCRIPTION column, in display columns */

static int	templates_main(const struct cli_cmd *, int, char **);

static const struct cli_opt templates_opts[] = {
	{ .name = "source", .arg = "S", .kind = CLI_K_ARG,
	  .help = "a template file or an https URL (default: the\n"
	  "templates.source setting, else Portainer's list)" },
	{ .name = "refresh",
	  .help = "fetch again even if the cached copy is fresh" },
	{ .name = "offline", .help = "use the cached copy only" },
	{ .name = "json", .help = "one JSON object per template" },
	{ .name = NULL }
};

const struct cli_cmd cli_cmd_templates = {
	.name = "templates",
	.main = templates_main,
	.opts = templates_opts,
	.args_max = 1,
	.usage = "[--source URL|FILE] [--refresh] [--offline] [--json] "
	    "[SEARCH]",
	.summary = "list app templates (Portainer's formats)",
	.help = "",
	.notes =
	    "  SEARCH          only templates whose title, name, description\n"
	    "                  or categories hold it\n",
};

/* Opens the source: --source, the setting, or the default. */
int
cli_tpl_source_open(const struct cli_cmd *self, const char *source, int offline,
    int refresh, struct cli_tpl_file **f)
{
	struct cli_tpl_fetch_opts	 o;
	char				*dir, *set = NULL, *warn = NULL;
	char				*cause = NULL;
	int				 err;

	if (source != NULL && source[0] == '\0')
		return (cli_usage_error(self, "--source: expected a file or an "
		    "https URL"));
	if (source == NULL) {
		dir = cli_config_dir();
		if (dir != NULL && cli_setting_get(dir, "templates.source",
		    &set, &cause) != 0) {
			free(dir);
			cli_fail(self, NULL, cause, "cannot read the settings");
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
		cli_fail(self, NULL, cause, "cannot read the templates");
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
	static const char *const hdr[] = { "ID", "TYPE", "TITLE", "IMAGE",
	    "DESCRIPTION" };
	struct cli_tpl_file	*f = NULL;
	struct cli_table	*t = NULL;
	struct cli_args		 a;
	const char		*source, *query = NULL;
	size_t			 i;
	int			 refresh, offline, json, rc;

	rc = cli_args_parse(self, argc, argv, &a);
	cli_args_free(&a);
	if (rc >= 0)
		return (rc);
	source = cli_args_get(self, &a, "source");
	refresh = cli_args_get(self, &a, "refresh") != NULL;
	offline = cli_args_get(self, &a, "offline") != NULL;
	json = cli_args_get(self, &a, "json") != NULL;
	if (a.argc > 0)
		query = a.argv[0];
	rc = cli_tpl_source_open(self, source, offline, refresh, &f);
	if (rc != CLI_EXIT_OK)
		return (rc);
	t = cli_table_new(hdr, 5);
	if (t == NULL)
		rc = cli_error(self, "out of memory");
	else
		cli_table_max_width(t, 4, DESC_WIDTH);
	/* One bad template costs itself only: say so once, list the rest. */
	for (i = 0; i < f->ntemplates; i++) {
		if (f->templates[i].error != NULL)
			fprintf(stderr, "pier %s: warning: %s; left out\n",
			    self->name, f->templates[i].error);
	}
	for (i = 0; t != NULL && i < f->ntemplates; i++) {
		if (!cli_tpl_matches(&f->templates[i], query))
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
