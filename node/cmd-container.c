/*
 * container.list, container.inspect and container.top: the read side of
 * the container family. The list answers rows shaped for `pier ps` (our
 * field names, the engine's status words, health drawn out of them),
 * so a client never parses the engine's own summaries; inspect passes
 * the engine's answer through after resolving the name the caller gave
 * (name, id or unique id prefix: node_resolve_container), and top gives
 * the engine's two members in the catalogue's casing.
 *
 * The lifecycle calls (start, stop, ...) are in cmd-container-op.c,
 * create and duplicate in cmd-container-create.c.
 */
#include <stdlib.h>
#include <string.h>

#include "node.h"

#define LIST_LABELS_MAX		32	/* label filters (the schema's bound) */

/* The filter keys docker ps takes, passed to the engine. */
static const char *const ps_filter_keys[] = { "ancestor", "before",
	"expose", "exited", "health", "id", "isolation", "is-task", "label",
	"name", "network", "publish", "since", "status", "volume", NULL };

/* The health word hidden in the engine's status text, or NULL. */
static const char *
status_health(const char *status)
{
	if (strstr(status, "(healthy)") != NULL)
		return ("healthy");
	if (strstr(status, "(unhealthy)") != NULL)
		return ("unhealthy");
	if (strstr(status, "(health: starting)") != NULL)
		return ("starting");
	return (NULL);
}

/* The names without their leading '/' (a new reference). */
static json_t *
row_names(const json_t *c)
{
	const json_t	*names = json_object_get(c, "Names");
	json_t		*out;	/* owned */
	const char	*s;
	size_t		 i;

	out = json_array();
	for (i = 0; out != NULL && i < json_array_size(names); i++) {
		s = json_string_value(json_array_get(names, i));
		if (s == NULL)
			continue;
		(void)json_array_append_new(out, json_string(s[0] == '/' ?
		    s + 1 : s));
	}
	return (out);
}

/* The ports in our names (a new reference). */
static json_t *
row_ports(const json_t *c)
{
	const json_t	*ports = json_object_get(c, "Ports"), *p;
	json_t		*out, *o;	/* owned */
	size_t		 i;

	out = json_array();
	for (i = 0; out != NULL && i < json_array_size(ports); i++) {
		p = json_array_get(ports, i);
		o = json_pack("{s:s, s:I, s:s}", "ip", cmd_jstr(p, "IP"),
		    "private_port", json_integer_value(json_object_get(p,
		    "PrivatePort")), "type", cmd_jstr(p, "Type"));
		if (o != NULL && json_is_integer(json_object_get(p,
		    "PublicPort")))
			(void)json_object_set(o, "public_port",
			    json_object_get(p, "PublicPort"));
		(void)json_array_append_new(out, o);
	}
	return (out);
}

/* The mounts as docker ps shows them: {name, source, driver}. */
static json_t *
row_mounts(const json_t *c)
{
	const json_t	*mounts = json_object_get(c, "Mounts"), *m;
	json_t		*out;	/* owned */
	size_t		 i;

	out = json_array();
	for (i = 0; out != NULL && i < json_array_size(mounts); i++) {
		m = json_array_get(mounts, i);
		(void)json_array_append_new(out, json_pack("{s:s, s:s, s:s}",
		    "name", cmd_jstr(m, "Name"), "source", cmd_jstr(m, "Source"),
		    "driver", cmd_jstr(m, "Driver")));
	}
	return (out);
}

/* The names of the networks a container is on, in the engine's order. */
static json_t *
row_networks(const json_t *c)
{
	const json_t	*nets;
	json_t		*out, *v;	/* owned, borrowed */
	const char	*k;

	/* The model keeps the names alone (model-row.c). */
	if (json_is_array(json_object_get(c, "_nets")))
		return (json_deep_copy(json_object_get(c, "_nets")));
	nets = json_object_get(json_object_get(c, "NetworkSettings"),
	    "Networks");
	out = json_array();
	if (out != NULL && json_is_object(nets)) {
		json_object_foreach((json_t *)nets, k, v)
			(void)json_array_append_new(out, json_string(k));
	}
	return (out);
}

/*
 * One row of container.list from an engine summary (a new reference);
 * arg points at an int, whether the sizes were asked for.
 */
static json_t *
list_row(const json_t *c, const void *arg)
{
	json_t		*row, *names;	/* owned */
	const json_t	*labels;
	const char	*health, *name;
	int		 size = *(const int *)arg;

	names = row_names(c);
	if (names == NULL)
		return (NULL);
	name = json_string_value(json_array_get(names, 0));
	health = status_health(cmd_jstr(c, "Status"));
	labels = json_object_get(c, "Labels");
	row = json_pack("{s:s, s:s, s:O, s:s, s:s, s:s, s:I, s:s, s:s, "
	    "s:s?, s:o, s:O}",
	    "id", cmd_jstr(c, "Id"),
	    "name", name != NULL ? name : "",
	    "names", names,
	    "image", cmd_jstr(c, "Image"),
	    "image_id", cmd_jstr(c, "ImageID"),
	    "command", cmd_jstr(c, "Command"),
	    "created", json_integer_value(json_object_get(c, "Created")),
	    "state", cmd_jstr(c, "State"),
	    "status", cmd_jstr(c, "Status"),
	    "health", health,
	    "ports", row_ports(c),
	    "labels", json_is_object(labels) ? labels : json_object());
	json_decref(names);
	if (row != NULL) {
		(void)json_object_set_new(row, "mounts", row_mounts(c));
		(void)json_object_set_new(row, "networks", row_networks(c));
	}
	if (row != NULL && size) {
		(void)json_object_set_new(row, "size_rw", json_integer(
		    json_integer_value(json_object_get(c, "SizeRw"))));
		(void)json_object_set_new(row, "size_root_fs", json_integer(
		    json_integer_value(json_object_get(c, "SizeRootFs"))));
	}
	return (row);
}

/* The list arrived: answer the rows. */
static void
on_list(struct dk_req *req, int status, json_t *list, void *arg)
{
	struct cmd_req	*r = arg;
	int		 size;

	if (cmd_docker_failed(r, req, status, list))
		return;
	size = proto_param_bool(r->params, "size", 0);
	cmd_reply_rows(r, "containers", list, list_row, &size);
	json_decref(list);
}

/* The label filters as the engine takes them (a new reference). */
static json_t *
list_filters(const json_t *labels)
{
	const char	*kv[LIST_LABELS_MAX + 1];
	char		*bufs[LIST_LABELS_MAX];
	json_t		*f;	/* owned */
	size_t		 i, n = json_array_size(labels);

	if (n > LIST_LABELS_MAX)
		n = LIST_LABELS_MAX;
	for (i = 0; i < n; i++) {
		bufs[i] = proto_xasprintf("label=%s",
		    json_string_value(json_array_get(labels, i)));
		kv[i] = bufs[i];
	}
	kv[n] = NULL;
	f = dk_filters(kv);
	for (i = 0; i < n; i++)
		free(bufs[i]);
	return (f);
}

/* container.list answered from the node's model of the engine. */
static enum cmd_retval
list_from_model(struct cmd_req *r)
{
	json_t	*list;	/* owned */
	int	 size = 0;

	list = node_model_rows(r->node, proto_param_bool(r->params, "all", 0),
	    json_object_get(r->params, "labels"));
	if (list == NULL)
		return (cmd_fail(r, PROTO_E_INTERNAL, "out of memory"));
	cmd_reply_rows(r, "containers", list, list_row, &size);
	json_decref(list);
	return (CMD_DONE);
}

/* container.list from the engine: its own list call. */
static enum cmd_retval
list_from_engine(struct cmd_req *r)
{
	struct dk_req		*req = NULL;
	struct dk_path		 p;
	const json_t		*labels;
	json_t			*filters = NULL;	/* owned */
	int			 err;

	labels = json_object_get(r->params, "labels");
	if (json_array_size(labels) > 0) {
		filters = list_filters(labels);
		if (filters == NULL)
			return (cmd_fail(r, PROTO_E_INTERNAL, "out of memory"));
	}
	if (cmd_list_filters(r, ps_filter_keys, &filters) != 0) {
		json_decref(filters);
		return (CMD_ERROR);
	}
	dk_path_init(&p, "/containers/json", NULL, NULL);
	dk_path_add_bool(&p, "all", proto_param_bool(r->params, "all", 0));
	dk_path_add_bool(&p, "size", proto_param_bool(r->params, "size", 0));
	dk_path_add_json(&p, "filters", filters);
	err = dk_path_request(r->node->dk, &p, "GET", NULL, 0, on_list, r,
	    &req);
	dk_path_free(&p);
	json_decref(filters);
	return (cmd_docker_wait(r, req, err));
}

/* The model's refreshes came back (or it went down): answer. */
static void
on_model(struct cmd_req *r, int ok, void *arg)
{
	(void)arg;
	if (r->cancelled)
		(void)cmd_fail(r, PROTO_E_CANCELLED, "the client went away");
	else if (ok)
		(void)list_from_model(r);
	else
		(void)list_from_engine(r);
}

/*
 * container.list: from the node's model of the engine when it can
 * answer (sizes it cannot: the engine measures them), else the engine.
 */
enum cmd_retval
cmd_container_list(struct cmd_req *r)
{
	int	 err;

	if (cmd_docker(r) == NULL)
		return (CMD_ERROR);
	/* Sizes and filters are the engine's to work out. */
	if (proto_param_bool(r->params, "size", 0) ||
	    json_array_size(json_object_get(r->params, "filters")) > 0)
		return (list_from_engine(r));
	err = node_model_wait(r->node, r, on_model, NULL);
	if (err == 0)
		return (list_from_model(r));
	if (err == 1)
		return (CMD_WAIT);
	return (list_from_engine(r));
}

/*
 * The engine's top answer, {Titles, Processes}, in the catalogue's
 * casing: {titles, processes}, as every other result is spelt.
 */
static void
on_top(struct dk_req *req, int status, json_t *res, void *arg)
{
	struct cmd_req	*r = arg;
	json_t		*titles, *procs;

	if (cmd_docker_failed(r, req, status, res))
		return;
	titles = json_object_get(res, "Titles");
	procs = json_object_get(res, "Processes");
	if (!json_is_array(titles) || !(json_is_array(procs) ||
	    json_is_null(procs) || procs == NULL)) {
		json_decref(res);
		(void)cmd_fail(r, PROTO_E_DOCKER, "the engine's top answer has "
		    "no Titles and Processes");
		return;
	}
	(void)cmd_reply(r, json_pack("{s:O, s:o}", "titles", titles,
	    "processes", json_is_array(procs) ? json_incref(procs) :
	    json_array()));
	json_decref(res);
}

/* The name resolved: inspect or top it. */
static void
on_resolved(struct cmd_req *r, const char *id, const char *name, void *arg)
{
	struct dk_req	*req = NULL;
	int		 top = arg != NULL, err;

	cmd_set_target(r, "%s", name[0] != '\0' ? name : id);
	if (top)
		err = dk_container_top(r->node->dk, id, proto_param_str(
		    r->params, "ps_args", NULL), on_top, r, &req);
	else
		err = dk_container_inspect(r->node->dk, id, 0,
		    cmd_on_passthrough, r, &req);
	(void)cmd_docker_wait(r, req, err);
}

/* container.inspect. */
enum cmd_retval
cmd_container_inspect(struct cmd_req *r)
{
	const char	*id = proto_param_str(r->params, "id", "");

	cmd_set_target(r, "%s", id);
	return (node_resolve_container(r, id, on_resolved, NULL));
}

/* container.top. */
enum cmd_retval
cmd_container_top(struct cmd_req *r)
{
	static const int	 top = 1;
	const char		*id = proto_param_str(r->params, "id", "");

	cmd_set_target(r, "%s", id);
	return (node_resolve_container(r, id, on_resolved, (void *)&top));
}
