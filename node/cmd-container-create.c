/*
 * container.create: a container from the caller's params, started unless
 * start is false. The image must already be on the node: create does
 * not pull (a pull is a long stream with progress, which image.pull
 * carries on its own channel), so a missing image is answered not_found
 * with "pull it first", and `pier run` pulls then retries.
 *
 * The chain, one engine call at a time: image inspect (is it there?),
 * create, start, inspect (for the name the engine picked). It is shared
 * with container.duplicate (cmd-container-dup.c), which enters it at the
 * create step with a body of its own. A container that was created but
 * failed to start is left in place, as `docker run` leaves it, and the
 * error names it and carries its id.
 */
#include <stdlib.h>
#include <string.h>

#include "node.h"

/* Where a creation is in its chain. */
enum cr_step {
	CR_IMAGE,
	CR_CREATE,
	CR_START,
	CR_INSPECT,
};

/* One creation in flight. */
struct cr {
	struct cmd_req	*r;
	enum cr_step	 step;
	json_t		*body;		/* owned */
	json_t		*warnings;	/* owned */
	char		*name;		/* owned, or NULL */
	char		 id[80];
	int		 start;
};

static void	cr_next(struct cr *);

/* Frees a creation (detached from its request, which may be gone). */
static void
cr_free(struct cr *c)
{
	json_decref(c->body);
	json_decref(c->warnings);
	free(c->name);
	free(c);
}

/* One engine call of the chain ended. */
static void
on_step(struct dk_req *req, int status, json_t *res, void *arg)
{
	struct cr	*c = arg;
	struct cmd_req	*r = c->r;
	const char	*s;

	cmd_docker_done(r);
	if (status != 0 && c->step == CR_IMAGE && status == DK_E_NOT_FOUND) {
		s = json_string_value(json_object_get(c->body, "Image"));
		(void)cmd_fail(r, PROTO_E_NOTFOUND, "image %s not found on the "
		    "node; pull it first (pier pull NODE %s)", s, s);
		goto fail;
	}
	if (status != 0 && c->step == CR_START) {
		(void)cmd_fail_data(r, PROTO_E_DOCKER, json_pack("{s:s}",
		    "id", c->id), "created %.12s but could not start it: %s",
		    c->id,
		    dk_req_message(req)[0] != '\0' ? dk_req_message(req) :
		    dk_strerror(status));
		goto fail;
	}
	if (status != 0) {
		(void)cmd_fail_docker(r, req, status);
		goto fail;
	}
	switch (c->step) {
	case CR_IMAGE:
		c->step = CR_CREATE;
		break;
	case CR_CREATE:
		s = json_string_value(json_object_get(res, "Id"));
		if (s == NULL) {
			(void)cmd_fail(r, PROTO_E_DOCKER, "the engine's create "
			    "answer has no Id");
			goto fail;
		}
		snprintf(c->id, sizeof(c->id), "%s", s);
		if (json_is_array(json_object_get(res, "Warnings")))
			(void)json_array_extend(c->warnings,
			    json_object_get(res, "Warnings"));
		c->step = c->start ? CR_START : CR_INSPECT;
		break;
	case CR_START:
		c->step = CR_INSPECT;
		break;
	case CR_INSPECT:
		s = json_string_value(json_object_get(res, "Name"));
		s = s == NULL ? "" : s[0] == '/' ? s + 1 : s;
		cmd_set_target(r, "%s (%.12s)", s, c->id);
		node_model_touch(r->node->model, c->id);
		(void)cmd_reply(r, json_pack("{s:s, s:s, s:O}", "id", c->id,
		    "name", s, "warnings", c->warnings));
		json_decref(res);
		cr_free(c);
		return;
	}
	json_decref(res);
	cr_next(c);
	return;
fail:
	json_decref(res);
	cr_free(c);
}

/* Starts the engine call of the current step, or ends the request. */
static void
cr_next(struct cr *c)
{
	struct dk_client	*dk = c->r->node->dk;
	struct dk_req		*req = NULL;
	struct dk_path		 p;
	const char		*image, *platform;
	int			 err = -EINVAL;

	if (c->r->cancelled) {
		(void)cmd_fail(c->r, PROTO_E_CANCELLED, "the client went away");
		cr_free(c);
		return;
	}
	switch (c->step) {
	case CR_IMAGE:
		image = json_string_value(json_object_get(c->body, "Image"));
		err = dk_image_inspect(dk, image, on_step, c, &req);
		break;
	case CR_CREATE:
		platform = proto_param_str(c->r->params, "platform", NULL);
		if (platform == NULL) {
			err = dk_container_create_json(dk, c->name, c->body,
			    on_step, c, &req);
			break;
		}
		/* The engine takes the platform in the query (API 1.41). */
		dk_path_init(&p, "/containers/create", NULL, NULL);
		if (c->name != NULL && c->name[0] != '\0')
			dk_path_add(&p, "name", c->name);
		dk_path_add(&p, "platform", platform);
		err = dk_path_request(dk, &p, "POST", c->body, 0, on_step, c,
		    &req);
		dk_path_free(&p);
		break;
	case CR_START:
		err = dk_container_start(dk, c->id, on_step, c, &req);
		break;
	case CR_INSPECT:
		err = dk_container_inspect(dk, c->id, 0, on_step, c, &req);
		break;
	}
	if (cmd_docker_wait(c->r, req, err) != CMD_WAIT)
		cr_free(c);
}

/* Runs the chain from check_image (or create) on; see node.h. */
enum cmd_retval
cmd__container_create_body(struct cmd_req *r, const char *name,
    json_t *body, int start, int check_image)
{
	struct cr	*c;

	if (cmd_docker(r) == NULL) {
		json_decref(body);
		return (CMD_ERROR);
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL || body == NULL || (c->warnings = json_array()) ==
	    NULL || (name != NULL && (c->name = strdup(name)) == NULL)) {
		if (c != NULL)
			json_decref(c->warnings);
		free(c);
		json_decref(body);
		return (cmd_fail(r, PROTO_E_INTERNAL, "out of memory"));
	}
	c->r = r;
	c->body = body;
	c->start = start;
	c->step = check_image ? CR_IMAGE : CR_CREATE;
	cr_next(c);
	return (CMD_WAIT);
}

/* container.create. */
enum cmd_retval
cmd_container_create(struct cmd_req *r)
{
	const char	*name;
	json_t		*body;	/* owned */
	char		*cause = NULL;

	name = proto_param_str(r->params, "name", NULL);
	cmd_set_target(r, "%s (%s)", name != NULL ? name : "",
	    proto_param_str(r->params, "image", ""));
	body = node_create_body(r->params, &cause);
	if (body == NULL) {
		(void)cmd_fail(r, cause != NULL ? PROTO_E_PARAMS :
		    PROTO_E_INTERNAL, "%s", cause != NULL ? cause :
		    "out of memory");
		free(cause);
		return (CMD_ERROR);
	}
	return (cmd__container_create_body(r, name, body,
	    proto_param_bool(r->params, "start", 1), 1));
}
