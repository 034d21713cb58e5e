/*
 * stack.list, stack.ps and service.list: the read side of the stacks,
 * from the engine's labels rather than from pier's own folders, so that
 * a stack started on the host by hand shows too. A compose stack is the
 * containers sharing a com.docker.compose.project label; a swarm stack
 * is the services sharing com.docker.stack.namespace (their tasks'
 * containers carry it as well). stack.list adds the stacks pier keeps
 * files for but that have no containers now (status "down").
 *
 * stack.list makes two engine calls in a row: the containers, then the
 * services with their task counts; an engine that is no swarm manager
 * refuses the second, which then counts as no swarm stacks.
 */
#include <stdlib.h>
#include <string.h>

#include "node.h"

/* A label of an engine object (Labels or Spec.Labels), or NULL. */
static const char *
label(const json_t *o, const char *k)
{
	const json_t	*l = json_object_get(o, "Labels");

	if (l == NULL)
		l = json_object_get(json_object_get(o, "Spec"), "Labels");
	return (json_string_value(json_object_get(l, k)));
}

/* The row of stack name in rows (made if missing), or NULL. */
static json_t *
stack_row(json_t *rows, const char *name, const char *type)
{
	json_t	*row = json_object_get(rows, name);	/* borrowed */

	if (row != NULL)
		return (row);
	row = json_pack("{s:s, s:s, s:i, s:i, s:i, s:b, s:{}}", "name", name,
	    "type", type, "services", 0, "running", 0, "total", 0, "stored",
	    0, "svc");
	if (row == NULL || json_object_set_new(rows, name, row) != 0)
		return (NULL);
	return (row);
}

/* Adds n to the integer member k of row. */
static void
add_int(json_t *row, const char *k, json_int_t n)
{
	(void)json_object_set_new(row, k, json_integer(json_integer_value(
	    json_object_get(row, k)) + n));
}

/* Counts a service name once in row. */
static void
add_service(json_t *row, const char *svc)
{
	json_t	*seen = json_object_get(row, "svc");

	if (svc != NULL && json_object_get(seen, svc) == NULL) {
		(void)json_object_set_new(seen, svc, json_true());
		add_int(row, "services", 1);
	}
}

/* Ends stack.list: stored folders added, statuses set, rows sorted. */
static void
list_reply(struct cmd_req *r)
{
	json_t		*rows = r->data, *out, *stored, *row;
	const char	*name;
	json_int_t	 run, tot;
	size_t		 i;

	r->data = NULL;
	stored = node_stack_stored(r->node);
	for (i = 0; i < json_array_size(stored); i++) {
		row = stack_row(rows, json_string_value(json_array_get(stored,
		    i)), "compose");
		if (row != NULL)
			(void)json_object_set_new(row, "stored", json_true());
	}
	json_decref(stored);
	out = json_array();
	json_object_foreach(rows, name, row) {
		(void)json_object_del(row, "svc");
		run = json_integer_value(json_object_get(row, "running"));
		tot = json_integer_value(json_object_get(row, "total"));
		(void)json_object_set_new(row, "status", json_string(tot == 0 ?
		    "down" : run == tot ? "running" : run == 0 ? "stopped" :
		    "partial"));
		(void)json_array_append(out, row);
	}
	json_decref(rows);
	(void)cmd_reply(r, json_pack("{s:o}", "stacks", out));
}

/* The services arrived (or the engine is no swarm manager). */
static void
on_services(struct dk_req *req, int status, json_t *list, void *arg)
{
	struct cmd_req	*r = arg;
	json_t		*row, *ss;
	const json_t	*s;
	const char	*ns;
	size_t		 i;

	cmd_docker_done(r);
	json_array_foreach(status == 0 ? list : NULL, i, s) {
		ns = label(s, NODE_L_NAMESPACE);
		if (ns == NULL || (row = stack_row(r->data, ns, "swarm")) ==
		    NULL)
			continue;
		ss = json_object_get(s, "ServiceStatus");
		add_service(row, json_string_value(json_object_get(
		    json_object_get(s, "Spec"), "Name")));
		add_int(row, "running", json_integer_value(json_object_get(ss,
		    "RunningTasks")));
		add_int(row, "total", json_integer_value(json_object_get(ss,
		    "DesiredTasks")));
	}
	json_decref(list);
	list_reply(r);
}

/* GET /services?status=true, with the label filter lf (borrowed). */
static int
services_get(struct cmd_req *r, const char *lf, dk_req_cb *cb,
    struct dk_req **req)
{
	struct dk_path	 p;
	json_t		*f = NULL;	/* owned */
	int		 err;

	if (lf != NULL)
		f = json_pack("{s:[s]}", "label", lf);
	dk_path_init(&p, "/services", NULL, NULL);
	dk_path_add(&p, "status", "true");
	dk_path_add_json(&p, "filters", f);
	err = dk_path_request(r->node->dk, &p, "GET", NULL, 0, cb, r, req);
	dk_path_free(&p);
	json_decref(f);
	return (err);
}

/* The containers arrived: group them, then ask for the services. */
static void
on_containers(struct dk_req *req, int status, json_t *list, void *arg)
{
	struct cmd_req	*r = arg;
	struct dk_req	*sreq = NULL;
	json_t		*row;
	const json_t	*c;
	const char	*wd, *p;
	size_t		 i;

	if (cmd_docker_failed(r, req, status, list)) {
		json_decref(r->data);
		r->data = NULL;
		return;
	}
	json_array_foreach(list, i, c) {
		p = label(c, NODE_L_PROJECT);
		row = p == NULL ? NULL : stack_row(r->data, p, "compose");
		if (row == NULL)
			continue;
		add_service(row, label(c, NODE_L_SERVICE));
		add_int(row, "total", 1);
		if (strcmp(cmd_jstr(c, "State"), "running") == 0)
			add_int(row, "running", 1);
		wd = label(c, NODE_L_WORKDIR);
		if (wd != NULL)
			(void)json_object_set_new(row, "working_dir",
			    json_string(wd));
	}
	json_decref(list);
	if (services_get(r, NODE_L_NAMESPACE, on_services, &sreq) != 0)
		list_reply(r);
	else
		(void)cmd_docker_wait(r, sreq, 0);
}

/* stack.list. */
enum cmd_retval
cmd_stack_list(struct cmd_req *r)
{
	struct dk_client	*dk;
	struct dk_req		*req = NULL;
	json_t			*f;	/* owned */
	int			 err;

	dk = cmd_docker(r);
	if (dk == NULL)
		return (CMD_ERROR);
	r->data = json_object();
	f = json_pack("{s:[s]}", "label", NODE_L_PROJECT);
	err = r->data != NULL && f != NULL ? dk_container_list(dk, 1, f,
	    on_containers, r, &req) : -ENOMEM;
	json_decref(f);
	if (err != 0) {
		json_decref(r->data);
		r->data = NULL;
	}
	return (cmd_docker_wait(r, req, err));
}

/* One row of stack.ps from a container of the stack. */
static json_t *
ps_row(const json_t *c, const void *arg)
{
	const json_t	*names = json_object_get(c, "Names");
	const char	*name = json_string_value(json_array_get(names, 0));
	const char	*svc = label(c, NODE_L_SERVICE);

	(void)arg;
	if (svc == NULL)
		svc = label(c, NODE_L_SWARM_SVC);
	return (json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s, s:s, s:O?}",
	    "id", cmd_jstr(c, "Id"),
	    "name", name != NULL && name[0] == '/' ? name + 1 : "",
	    "type", label(c, NODE_L_PROJECT) != NULL ? "compose" : "swarm",
	    "service", svc,
	    "image", cmd_jstr(c, "Image"),
	    "state", cmd_jstr(c, "State"),
	    "status", cmd_jstr(c, "Status"),
	    "ports", json_object_get(c, "Ports")));
}

/* The containers arrived: keep the stack's. */
static void
on_ps(struct dk_req *req, int status, json_t *list, void *arg)
{
	struct cmd_req	*r = arg;
	const char	*name = proto_param_str(r->params, "name", "");
	const char	*p, *ns;
	json_t		*mine, *meta = NULL;	/* owned */
	const json_t	*c;
	size_t		 i;

	if (cmd_docker_failed(r, req, status, list))
		return;
	mine = json_array();
	json_array_foreach(list, i, c) {
		p = label(c, NODE_L_PROJECT);
		ns = label(c, NODE_L_NAMESPACE);
		if ((p != NULL && strcmp(p, name) == 0) ||
		    (ns != NULL && strcmp(ns, name) == 0))
			(void)json_array_append(mine, (json_t *)c);
	}
	json_decref(list);
	if (json_array_size(mine) == 0 && node_stack_meta(r->node, name,
	    &meta) != 0) {
		json_decref(mine);
		(void)cmd_fail(r, PROTO_E_NOTFOUND, "no stack %s on this node",
		    name);
		return;
	}
	json_decref(meta);
	cmd_reply_rows(r, "containers", mine, ps_row, NULL);
	json_decref(mine);
}

/* stack.ps. */
enum cmd_retval
cmd_stack_ps(struct cmd_req *r)
{
	struct dk_client	*dk;
	struct dk_req		*req = NULL;
	int			 err;

	cmd_set_target(r, "%s", proto_param_str(r->params, "name", ""));
	dk = cmd_docker(r);
	if (dk == NULL)
		return (CMD_ERROR);
	err = dk_container_list(dk, 1, NULL, on_ps, r, &req);
	return (cmd_docker_wait(r, req, err));
}

/* One row of service.list from an engine service. */
static json_t *
svc_row(const json_t *s, const void *arg)
{
	const json_t	*spec = json_object_get(s, "Spec");
	const json_t	*ss = json_object_get(s, "ServiceStatus");
	const json_t	*mode = json_object_get(spec, "Mode");
	const json_t	*img = json_object_get(json_object_get(json_object_get(
			    spec, "TaskTemplate"), "ContainerSpec"), "Image");

	(void)arg;
	return (json_pack("{s:s, s:s, s:s, s:I, s:I, s:s?, s:s?, s:O?}",
	    "id", cmd_jstr(s, "ID"),
	    "name", cmd_jstr(spec, "Name"),
	    "mode", json_object_get(mode, "Global") != NULL ? "global" :
	    "replicated",
	    "running", json_integer_value(json_object_get(ss,
	    "RunningTasks")),
	    "desired", json_integer_value(json_object_get(ss,
	    "DesiredTasks")),
	    "image", json_string_value(img),
	    "stack", label(s, NODE_L_NAMESPACE),
	    "ports", json_object_get(json_object_get(s, "Endpoint"),
	    "Ports")));
}

/* The services arrived. */
static void
on_svc_list(struct dk_req *req, int status, json_t *list, void *arg)
{
	struct cmd_req	*r = arg;

	if (status != 0 && dk_req_http_status(req) == 503) {
		cmd_docker_done(r);
		json_decref(list);
		(void)cmd_fail(r, PROTO_E_STATE, "this node's engine is not a "
		    "swarm manager: %s", dk_req_message(req) != NULL ?
		    dk_req_message(req) : "no swarm");
		return;
	}
	if (cmd_docker_failed(r, req, status, list))
		return;
	cmd_reply_rows(r, "services", list, svc_row, NULL);
	json_decref(list);
}

/* service.list. */
enum cmd_retval
cmd_service_list(struct cmd_req *r)
{
	struct dk_req	*req = NULL;
	int		 err;

	if (cmd_docker(r) == NULL)
		return (CMD_ERROR);
	err = services_get(r, NULL, on_svc_list, &req);
	return (cmd_docker_wait(r, req, err));
}
