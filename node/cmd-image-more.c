/*
 * image.history, image.tag, container.prune and system.df: the engine's
 * answers for docker image history, docker image tag, docker container
 * prune and docker system df. history's layers and df's objects pass as
 * the engine gives them (a client shows them as docker does); prune
 * answers in our own names.
 */
#include <stdlib.h>
#include <string.h>

#include "node.h"

/* The prune answer: {deleted: [ids], reclaimed}. */
static void
on_pruned(struct dk_req *req, int status, json_t *res, void *arg)
{
	struct cmd_req	*r = arg;
	json_t		*d = json_object_get(res, "ContainersDeleted");

	if (cmd_docker_failed(r, req, status, res))
		return;
	(void)cmd_reply(r, json_pack("{s:O, s:I}", "deleted",
	    json_is_array(d) ? d : json_array(), "reclaimed",
	    json_integer_value(json_object_get(res, "SpaceReclaimed"))));
	json_decref(res);
}

/* The history: {layers: the engine's array}. */
static void
on_history(struct dk_req *req, int status, json_t *res, void *arg)
{
	struct cmd_req	*r = arg;

	if (cmd_docker_failed(r, req, status, res))
		return;
	(void)cmd_reply(r, json_pack("{s:O?}", "layers", json_is_array(res) ?
	    res : NULL));
	json_decref(res);
}

/* image.history: the engine's layers, newest first. */
enum cmd_retval
cmd_image_history(struct cmd_req *r)
{
	struct dk_client	*dk;
	struct dk_req		*req = NULL;
	const char		*id = proto_param_str(r->params, "id", "");
	int			 err;

	cmd_set_target(r, "%s", id);
	dk = cmd_docker(r);
	if (dk == NULL)
		return (CMD_ERROR);
	err = dk_image_history(dk, id, on_history, r, &req);
	return (cmd_docker_wait(r, req, err));
}

/* image.tag: repo[:tag] for an image; {} once done. */
static void
on_tagged(struct dk_req *req, int status, json_t *res, void *arg)
{
	struct cmd_req	*r = arg;

	if (cmd_docker_failed(r, req, status, res))
		return;
	json_decref(res);
	(void)cmd_reply(r, NULL);
}

/* image.tag. */
enum cmd_retval
cmd_image_tag(struct cmd_req *r)
{
	struct dk_client	*dk;
	struct dk_req		*req = NULL;
	const char		*id = proto_param_str(r->params, "id", "");
	const char		*ref = proto_param_str(r->params, "reference",
				    "");
	const char		*colon = strrchr(ref, ':');
	char			*repo;
	int			 err;

	cmd_set_target(r, "%s %s", id, ref);
	dk = cmd_docker(r);
	if (dk == NULL)
		return (CMD_ERROR);
	if (colon != NULL && strchr(colon, '/') == NULL)
		repo = strndup(ref, (size_t)(colon - ref));
	else {
		repo = strdup(ref);
		colon = NULL;
	}
	if (repo == NULL)
		return (cmd_fail(r, PROTO_E_INTERNAL, "out of memory"));
	err = dk_image_tag(dk, id, repo, colon != NULL ? colon + 1 : NULL,
	    on_tagged, r, &req);
	free(repo);
	return (cmd_docker_wait(r, req, err));
}

/* container.prune: stopped containers, optionally only labelled ones. */
enum cmd_retval
cmd_container_prune(struct cmd_req *r)
{
	struct dk_client	*dk;
	struct dk_req		*req = NULL;
	struct dk_path		 p;
	const json_t		*l = json_object_get(r->params, "labels");
	json_t			*f = NULL, *body;	/* owned */
	size_t			 i;
	int			 err;

	dk = cmd_docker(r);
	if (dk == NULL)
		return (CMD_ERROR);
	if (json_array_size(l) > 0) {
		f = json_pack("{s:[]}", "label");
		for (i = 0; f != NULL && i < json_array_size(l); i++)
			(void)json_array_append(json_object_get(f, "label"),
			    json_array_get(l, i));
	}
	dk_path_init(&p, "/containers/prune", NULL, NULL);
	dk_path_add_json(&p, "filters", f);
	json_decref(f);
	body = json_object();
	err = dk_path_request(dk, &p, "POST", body, 0, on_pruned, r, &req);
	json_decref(body);
	dk_path_free(&p);
	return (cmd_docker_wait(r, req, err));
}

/* system.df: the engine's disk usage as it gives it. */
enum cmd_retval
cmd_system_df(struct cmd_req *r)
{
	struct dk_client	*dk;
	struct dk_req		*req = NULL;
	int			 err;

	dk = cmd_docker(r);
	if (dk == NULL)
		return (CMD_ERROR);
	err = dk_disk_usage(dk, cmd_on_passthrough, r, &req);
	return (cmd_docker_wait(r, req, err));
}
