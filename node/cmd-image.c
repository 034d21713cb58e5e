/*
 * image.list, image.inspect, image.remove and image.prune: the image
 * family except pull (cmd-image-pull.c). The list answers rows in our
 * own names, shaped for `pier images` (tags and digests as the engine
 * keeps them, so the client splits REPOSITORY and TAG itself); remove
 * and prune sort the engine's mixed {Untagged}/{Deleted} answers into
 * two lists. Names, ids and id prefixes are resolved by the engine
 * itself, which answers 404 (not_found) or 409 (conflict: in use).
 */
#include <stdlib.h>
#include <string.h>

#include "node.h"

/* The filter keys docker takes here, passed to the engine. */
static const char *const filter_keys[] = { "before", "dangling", "label", "reference", "since", "until",
	NULL };

#define PRUNE_LABELS_MAX	32	/* label filters (the schema's bound) */

/* An integer member or 0. */
static json_int_t
jint(const json_t *o, const char *k)
{
	return (json_integer_value(json_object_get(o, k)));
}

/* A copy of an array of strings, empty when missing (a new reference). */
static json_t *
str_array(const json_t *a)
{
	json_t	*out;	/* owned */
	size_t	 i;

	out = json_array();
	for (i = 0; out != NULL && i < json_array_size(a); i++) {
		if (json_is_string(json_array_get(a, i)))
			(void)json_array_append(out, json_array_get(a, i));
	}
	return (out);
}

/* One row of image.list from an engine summary (a new reference). */
static json_t *
list_row(const json_t *img, const void *arg)
{
	const json_t	*labels = json_object_get(img, "Labels");

	(void)arg;
	return (json_pack("{s:s, s:o, s:o, s:I, s:I, s:I, s:s, s:O}",
	    "id", cmd_jstr(img, "Id"),
	    "tags", str_array(json_object_get(img, "RepoTags")),
	    "digests", str_array(json_object_get(img, "RepoDigests")),
	    "size", jint(img, "Size"),
	    "created", jint(img, "Created"),
	    "containers", jint(img, "Containers"),
	    "parent", cmd_jstr(img, "ParentId"),
	    "labels", json_is_object(labels) ? labels : json_null()));
}

/* The list arrived: answer the rows. */
static void
on_list(struct dk_req *req, int status, json_t *list, void *arg)
{
	struct cmd_req	*r = arg;

	if (cmd_docker_failed(r, req, status, list))
		return;
	cmd_reply_rows(r, "images", list, list_row, NULL);
	json_decref(list);
}

/* image.list. */
enum cmd_retval
cmd_image_list(struct cmd_req *r)
{
	struct dk_client	*dk;
	struct dk_req		*req = NULL;
	json_t			*filters = NULL;	/* owned */
	int			 err;

	dk = cmd_docker(r);
	if (dk == NULL)
		return (CMD_ERROR);
	if (cmd_list_filters(r, filter_keys, &filters) != 0) {
		json_decref(filters);
		return (CMD_ERROR);
	}
	err = dk_image_list(dk, proto_param_bool(r->params, "all", 0),
	    json_object_size(filters) > 0 ? filters : NULL, on_list, r, &req);
	json_decref(filters);
	return (cmd_docker_wait(r, req, err));
}

/* image.inspect. */
enum cmd_retval
cmd_image_inspect(struct cmd_req *r)
{
	struct dk_client	*dk;
	struct dk_req		*req = NULL;
	const char		*id = proto_param_str(r->params, "id", "");
	int			 err;

	cmd_set_target(r, "%s", id);
	dk = cmd_docker(r);
	if (dk == NULL)
		return (CMD_ERROR);
	err = dk_image_inspect(dk, id, cmd_on_passthrough, r, &req);
	return (cmd_docker_wait(r, req, err));
}

/*
 * Sorts the engine's [{Untagged: ref} | {Deleted: id}] into
 * {deleted: [id], untagged: [ref]} (a new reference).
 */
static json_t *
split_deleted(const json_t *items)
{
	json_t		*deleted, *untagged;	/* owned */
	const json_t	*it;
	json_t		*v;	/* borrowed */
	size_t		 i;

	deleted = json_array();
	untagged = json_array();
	for (i = 0; i < json_array_size(items); i++) {
		it = json_array_get(items, i);
		v = json_object_get(it, "Deleted");
		if (json_is_string(v) && deleted != NULL)
			(void)json_array_append(deleted, v);
		v = json_object_get(it, "Untagged");
		if (json_is_string(v) && untagged != NULL)
			(void)json_array_append(untagged, v);
	}
	return (json_pack("{s:o, s:o}", "deleted", deleted,
	    "untagged", untagged));
}

/* The image is gone (or an error): answer what went. */
static void
on_remove(struct dk_req *req, int status, json_t *res, void *arg)
{
	struct cmd_req	*r = arg;
	json_t		*out;	/* owned */

	if (cmd_docker_failed(r, req, status, res))
		return;
	out = split_deleted(res);
	json_decref(res);
	if (out == NULL) {
		(void)cmd_fail(r, PROTO_E_INTERNAL, "out of memory");
		return;
	}
	(void)cmd_reply(r, out);
}

/* image.remove. */
enum cmd_retval
cmd_image_remove(struct cmd_req *r)
{
	struct dk_client	*dk;
	struct dk_req		*req = NULL;
	const char		*id = proto_param_str(r->params, "id", "");
	int			 err;

	cmd_set_target(r, "%s", id);
	dk = cmd_docker(r);
	if (dk == NULL)
		return (CMD_ERROR);
	err = dk_image_remove(dk, id, proto_param_bool(r->params, "force", 0),
	    proto_param_bool(r->params, "no_prune", 0), on_remove, r, &req);
	return (cmd_docker_wait(r, req, err));
}

/* The prune ended: answer what went and the bytes reclaimed. */
static void
on_prune(struct dk_req *req, int status, json_t *res, void *arg)
{
	struct cmd_req	*r = arg;
	json_t		*out;	/* owned */

	if (cmd_docker_failed(r, req, status, res))
		return;
	out = split_deleted(json_object_get(res, "ImagesDeleted"));
	if (out != NULL)
		(void)json_object_set_new(out, "reclaimed", json_integer(
		    jint(res, "SpaceReclaimed")));
	json_decref(res);
	if (out == NULL) {
		(void)cmd_fail(r, PROTO_E_INTERNAL, "out of memory");
		return;
	}
	(void)cmd_reply(r, out);
}

/*
 * The engine's prune filters: dangling=true unless all, plus label=K[=V]
 * for each of labels (a new reference, NULL when out of memory).
 */
json_t *
node_prune_filters(const json_t *labels, const char *dangling)
{
	const char	*kv[PRUNE_LABELS_MAX + 2];
	char		*bufs[PRUNE_LABELS_MAX];
	json_t		*f;	/* owned */
	size_t		 i, n = json_array_size(labels), k = 0;

	if (n > PRUNE_LABELS_MAX)
		n = PRUNE_LABELS_MAX;
	if (dangling != NULL)
		kv[k++] = dangling;
	for (i = 0; i < n; i++) {
		bufs[i] = proto_xasprintf("label=%s",
		    json_string_value(json_array_get(labels, i)));
		kv[k++] = bufs[i];
	}
	kv[k] = NULL;
	f = dk_filters(kv);
	for (i = 0; i < n; i++)
		free(bufs[i]);
	return (f);
}

/* image.prune. */
enum cmd_retval
cmd_image_prune(struct cmd_req *r)
{
	struct dk_client	*dk;
	struct dk_req		*req = NULL;
	json_t			*filters;	/* owned */
	int			 all, err;

	all = proto_param_bool(r->params, "all", 0);
	cmd_set_target(r, "%s", all ? "unused" : "dangling");
	dk = cmd_docker(r);
	if (dk == NULL)
		return (CMD_ERROR);
	filters = node_prune_filters(json_object_get(r->params, "labels"),
	    all ? "dangling=false" : "dangling=true");
	if (filters == NULL)
		return (cmd_fail(r, PROTO_E_INTERNAL, "out of memory"));
	err = dk_image_prune(dk, filters, on_prune, r, &req);
	json_decref(filters);
	return (cmd_docker_wait(r, req, err));
}
