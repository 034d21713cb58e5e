/*
 * The app templates of `pier ui`: the page's "templates" op lists the
 * container templates of the source `pier templates` reads (the
 * templates.source setting, else the default), with what the deploy
 * wizard asks for (variables, ports); its "deploy" op turns the wizard's
 * answers into container.create params with the code `pier deploy`
 * uses (cli_tpl_deploy_params). The page then calls container.create
 * and container.start itself, as any other call. The source is read
 * once per `pier ui` (an https one through its cache, as the CLI does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "templates.h"
#include "ui.h"

#define UI_TPL_ARGS_MAX	64	/* variables or ports of one deploy */

extern const struct cli_cmd cli_cmd_ui;

/* Opens the source the first time; 0 or -EIO (the error on stderr). */
static int
tpl_file(struct ui *u)
{
	if (u->tpl == NULL && cli_tpl_source_open(&cli_cmd_ui, NULL, 0, 0,
	    &u->tpl) != CLI_EXIT_OK) {
		u->tpl = NULL;
		return (-EIO);
	}
	return (0);
}

/* One container template for the page. */
static json_t *
tpl_json(const struct cli_tpl *t)
{
	json_t	*o, *env, *ports;	/* owned */
	size_t	 i;

	env = json_array();
	ports = json_array();
	for (i = 0; env != NULL && i < t->nenv; i++) {
		if (t->env[i].preset)
			continue;
		(void)json_array_append_new(env, json_pack("{s:s, s:s?, s:s?, "
		    "s:s?, s:b}", "name", t->env[i].name, "label",
		    t->env[i].label, "description", t->env[i].description,
		    "default", t->env[i].def != NULL ? t->env[i].def :
		    t->env[i].select_default, "required", t->env[i].def ==
		    NULL && t->env[i].select_default == NULL));
	}
	for (i = 0; ports != NULL && i < t->nports; i++)
		(void)json_array_append_new(ports, json_pack("{s:i, s:i, s:s}",
		    "container", t->ports[i].container, "host",
		    t->ports[i].host, "protocol", t->ports[i].proto));
	o = json_pack("{s:I, s:s?, s:s?, s:s, s:s?, s:o, s:o}", "id",
	    (json_int_t)t->id, "name", t->name, "title", t->title,
	    "description", t->description != NULL ? t->description : "",
	    "image", t->image, "env", env != NULL ? env : json_array(),
	    "ports", ports != NULL ? ports : json_array());
	return (o);
}

/* {templates: [...]}: the deployable templates, or NULL. */
json_t *
ui_tpl_list(struct ui *u, char **cause)
{
	json_t	*arr, *o;	/* owned */
	size_t	 i;

	if (tpl_file(u) != 0) {
		*cause = strdup("cannot read the templates (see pier ui's "
		    "output; pier config set templates.source)");
		return (NULL);
	}
	arr = json_array();
	for (i = 0; arr != NULL && i < u->tpl->ntemplates; i++) {
		if (u->tpl->templates[i].error != NULL ||
		    u->tpl->templates[i].type != CLI_TPL_CONTAINER)
			continue;
		o = tpl_json(&u->tpl->templates[i]);
		if (o == NULL || json_array_append_new(arr, o) != 0) {
			json_decref(arr);
			return (NULL);
		}
	}
	return (arr != NULL ? json_pack("{s:o}", "templates", arr) : NULL);
}

/*
 * {template, name, env: {K: V}, ports: {CTR/PROTO: HOST}} to {params}
 * for container.create, or NULL with *cause.
 */
json_t *
ui_tpl_params(struct ui *u, const json_t *msg, char **cause)
{
	struct cli_tpl_overrides	 ov;
	const struct cli_tpl		*t;
	const char			*env[UI_TPL_ARGS_MAX];
	const char			*ports[UI_TPL_ARGS_MAX];
	char				*bufs[2 * UI_TPL_ARGS_MAX];
	const char			*k, *q;
	json_t				*v, *params = NULL; /* borrowed, owned */
	size_t				 nb = 0, i;

	q = json_string_value(json_object_get(msg, "template"));
	if (q == NULL) {
		*cause = strdup("no template named");
		return (NULL);
	}
	if (tpl_file(u) != 0) {
		*cause = strdup("cannot read the templates");
		return (NULL);
	}
	if (cli_tpl_find(u->tpl, q, &t, cause) != 0)
		return (NULL);
	memset(&ov, 0, sizeof(ov));
	ov.name = json_string_value(json_object_get(msg, "name"));
	if (ov.name != NULL && ov.name[0] == '\0')
		ov.name = NULL;
	json_object_foreach(json_object_get(msg, "env"), k, v) {
		if (ov.nenv == UI_TPL_ARGS_MAX || !json_is_string(v) ||
		    json_string_value(v)[0] == '\0' ||
		    asprintf(&bufs[nb], "%s=%s", k, json_string_value(v)) < 0)
			continue;
		env[ov.nenv++] = bufs[nb++];
	}
	json_object_foreach(json_object_get(msg, "ports"), k, v) {
		if (ov.nports == UI_TPL_ARGS_MAX || !json_is_string(v) ||
		    json_string_value(v)[0] == '\0' ||
		    asprintf(&bufs[nb], "%s:%s", json_string_value(v), k) < 0)
			continue;
		ports[ov.nports++] = bufs[nb++];
	}
	ov.env = env;
	ov.ports = ports;
	if (cli_tpl_overrides_check(&ov, cause) == 0 &&
	    cli_tpl_deploy_params(t, &ov, &params, cause) != 0)
		params = NULL;
	for (i = 0; i < nb; i++)
		free(bufs[i]);
	if (params == NULL)
		return (NULL);
	return (json_pack("{s:o}", "params", params));
}

/* Frees the template file. */
void
ui_tpl_free(struct ui *u)
{
	if (u->tpl != NULL)
		cli_tpl_file_free(u->tpl);
	u->tpl = NULL;
}
