/*
 * container.diff, container.wait and container.commit: what docker diff,
 * docker wait and docker commit ask of the engine, for a container
 * resolved as elsewhere (name, full id or unique id prefix). wait has no
 * timeout of its own: it lasts until the container stops, and a client
 * that leaves cancels it.
 */
#include <stdlib.h>
#include <string.h>

#include "node.h"

/* The kinds of a change, as docker diff prints them. */
static const char *const change_kinds[] = { "C", "A", "D" };

/* The changes: {changes: [{kind, path}]}. */
static void
on_diff(struct dk_req *req, int status, json_t *res, void *arg)
{
	struct cmd_req	*r = arg;
	const json_t	*c;
	json_t		*out;	/* owned */
	json_int_t	 k;
	size_t		 i;

	if (cmd_docker_failed(r, req, status, res))
		return;
	out = json_array();
	json_array_foreach(res, i, c) {
		k = json_integer_value(json_object_get(c, "Kind"));
		(void)json_array_append_new(out, json_pack("{s:s, s:s}",
		    "kind", k >= 0 && k <= 2 ? change_kinds[k] : "?",
		    "path", cmd_jstr(c, "Path")));
	}
	json_decref(res);
	(void)cmd_reply(r, json_pack("{s:o}", "changes", out));
}

/* The wait is over: {status_code, error}. */
static void
on_wait(struct dk_req *req, int status, json_t *res, void *arg)
{
	struct cmd_req	*r = arg;
	const json_t	*e;

	if (cmd_docker_failed(r, req, status, res))
		return;
	e = json_object_get(json_object_get(res, "Error"), "Message");
	(void)cmd_reply(r, json_pack("{s:I, s:s?}", "status_code",
	    json_integer_value(json_object_get(res, "StatusCode")), "error",
	    json_string_value(e)));
	json_decref(res);
}

/* The image is made: {id}. */
static void
on_commit(struct dk_req *req, int status, json_t *res, void *arg)
{
	struct cmd_req	*r = arg;

	if (cmd_docker_failed(r, req, status, res))
		return;
	(void)cmd_reply(r, json_pack("{s:s}", "id", cmd_jstr(res, "Id")));
	json_decref(res);
}

/* Which call a resolved container gets. */
enum more_op { MORE_DIFF, MORE_WAIT, MORE_COMMIT };

/* The container is known: the engine call. */
static void
on_resolved(struct cmd_req *r, const char *id, const char *name, void *arg)
{
	enum more_op		 op = *(const enum more_op *)arg;
	struct dk_client	*dk;
	struct dk_req		*req = NULL;
	struct dk_path		 p;
	const char		*ref, *colon;
	json_t			*body;	/* owned */
	char			*repo = NULL;
	int			 err;

	dk = cmd_docker(r);
	if (dk == NULL)
		return;
	switch (op) {
	case MORE_DIFF:
		dk_path_init(&p, "/containers", id, "/changes");
		err = dk_path_request(dk, &p, "GET", NULL, 0, on_diff, r, &req);
		dk_path_free(&p);
		break;
	case MORE_WAIT:
		err = dk_container_wait(dk, id, proto_param_str(r->params,
		    "condition", NULL), on_wait, r, &req);
		break;
	default:
		dk_path_init(&p, "/commit", NULL, NULL);
		dk_path_add(&p, "container", id);
		ref = proto_param_str(r->params, "reference", NULL);
		colon = ref != NULL ? strrchr(ref, ':') : NULL;
		if (colon != NULL && strchr(colon, '/') == NULL) {
			repo = strndup(ref, (size_t)(colon - ref));
			dk_path_add(&p, "repo", repo);
			dk_path_add(&p, "tag", colon + 1);
		} else
			dk_path_add(&p, "repo", ref);
		dk_path_add(&p, "comment", proto_param_str(r->params,
		    "message", NULL));
		dk_path_add(&p, "author", proto_param_str(r->params, "author",
		    NULL));
		dk_path_add(&p, "pause", proto_param_bool(r->params, "pause",
		    1) ? "true" : "false");
		/* An empty config: the engine wants JSON, not a form. */
		body = json_object();
		err = dk_path_request(dk, &p, "POST", body, DK_REQ_NOTIMEOUT,
		    on_commit, r, &req);
		json_decref(body);
		dk_path_free(&p);
		free(repo);
		break;
	}
	(void)cmd_docker_wait(r, req, err);
}

/* Resolves the container of r, then runs op. */
static enum cmd_retval
more_begin(struct cmd_req *r, const enum more_op *op)
{
	const char	*id = proto_param_str(r->params, "id", "");

	cmd_set_target(r, "%s", id);
	return (node_resolve_container(r, id, on_resolved, (void *)op));
}

/* container.diff. */
enum cmd_retval
cmd_container_diff(struct cmd_req *r)
{
	static const enum more_op op = MORE_DIFF;

	return (more_begin(r, &op));
}

/* container.wait. */
enum cmd_retval
cmd_container_wait(struct cmd_req *r)
{
	static const enum more_op op = MORE_WAIT;

	return (more_begin(r, &op));
}

/* container.commit. */
enum cmd_retval
cmd_container_commit(struct cmd_req *r)
{
	static const enum more_op op = MORE_COMMIT;

	return (more_begin(r, &op));
}
