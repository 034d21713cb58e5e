/*
 * volume.list, volume.create, volume.remove and volume.prune. The list
 * answers rows in our own names for `pier volumes`; create sends the
 * labels and driver options as the caller gave them (the schema bounds
 * them); remove and prune answer what went. The engine resolves names
 * and says 404 (not_found) or 409 (conflict: in use).
 */
#include <stdlib.h>
#include <string.h>

#include "node.h"

/* The filter keys docker takes here, passed to the engine. */
static const char *const filter_keys[] = { "dangling", "driver", "label", "name",
	NULL };

/* One row of volume.list from an engine volume (a new reference). */
static json_t *
list_row(const json_t *v, const void *arg)
{
	const json_t	*labels = json_object_get(v, "Labels");

	(void)arg;
	return (json_pack("{s:s, s:s, s:s, s:s, s:s, s:O}",
	    "name", cmd_jstr(v, "Name"),
	    "driver", cmd_jstr(v, "Driver"),
	    "mountpoint", cmd_jstr(v, "Mountpoint"),
	    "created", cmd_jstr(v, "CreatedAt"),
	    "scope", cmd_jstr(v, "Scope"),
	    "labels", json_is_object(labels) ? labels : json_null()));
}

/* The list arrived: answer the rows. */
static void
on_list(struct dk_req *req, int status, json_t *res, void *arg)
{
	struct cmd_req	*r = arg;

	if (cmd_docker_failed(r, req, status, res))
		return;
	cmd_reply_rows(r, "volumes", json_object_get(res, "Volumes"),
	    list_row, NULL);
	json_decref(res);
}

/* volume.list. */
enum cmd_retval
cmd_volume_list(struct cmd_req *r)
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
	err = dk_volume_list(dk, json_object_size(filters) > 0 ? filters :
	    NULL, on_list, r, &req);
	json_decref(filters);
	return (cmd_docker_wait(r, req, err));
}

/* The volume exists: answer its name, driver and mount point. */
static void
on_create(struct dk_req *req, int status, json_t *res, void *arg)
{
	struct cmd_req	*r = arg;

	if (cmd_docker_failed(r, req, status, res))
		return;
	cmd_set_target(r, "%s", cmd_jstr(res, "Name"));
	(void)cmd_reply(r, json_pack("{s:s, s:s, s:s}",
	    "name", cmd_jstr(res, "Name"),
	    "driver", cmd_jstr(res, "Driver"),
	    "mountpoint", cmd_jstr(res, "Mountpoint")));
	json_decref(res);
}

/* volume.create. */
enum cmd_retval
cmd_volume_create(struct cmd_req *r)
{
	struct dk_client	*dk;
	struct dk_req		*req = NULL;
	struct dk_path		 p;
	const json_t		*labels, *opts;
	json_t			*body;	/* owned */
	const char		*name;
	int			 err;

	name = proto_param_str(r->params, "name", NULL);
	cmd_set_target(r, "%s", name != NULL ? name : "(new)");
	dk = cmd_docker(r);
	if (dk == NULL)
		return (CMD_ERROR);
	labels = json_object_get(r->params, "labels");
	opts = json_object_get(r->params, "options");
	body = json_pack("{s:s, s:s?, s:o, s:o}",
	    "Driver", proto_param_str(r->params, "driver", "local"),
	    "Name", name,
	    "Labels", labels != NULL ? json_deep_copy(labels) : json_object(),
	    "DriverOpts", opts != NULL ? json_deep_copy(opts) : json_object());
	if (body == NULL)
		return (cmd_fail(r, PROTO_E_INTERNAL, "out of memory"));
	dk_path_init(&p, "/volumes/create", NULL, NULL);
	err = dk_path_request(dk, &p, "POST", body, 0, on_create, r, &req);
	dk_path_free(&p);
	json_decref(body);
	return (cmd_docker_wait(r, req, err));
}

/* The volume is gone: answer its name. */
static void
on_remove(struct dk_req *req, int status, json_t *res, void *arg)
{
	struct cmd_req	*r = arg;

	if (cmd_docker_failed(r, req, status, res))
		return;
	json_decref(res);
	(void)cmd_reply(r, json_pack("{s:s}", "name",
	    proto_param_str(r->params, "id", "")));
}

/* volume.remove. */
enum cmd_retval
cmd_volume_remove(struct cmd_req *r)
{
	struct dk_client	*dk;
	struct dk_req		*req = NULL;
	const char		*id = proto_param_str(r->params, "id", "");
	int			 err;

	cmd_set_target(r, "%s", id);
	dk = cmd_docker(r);
	if (dk == NULL)
		return (CMD_ERROR);
	err = dk_volume_remove(dk, id, proto_param_bool(r->params, "force", 0),
	    on_remove, r, &req);
	return (cmd_docker_wait(r, req, err));
}

/* The prune ended: answer the volumes removed and the bytes reclaimed. */
static void
on_prune(struct dk_req *req, int status, json_t *res, void *arg)
{
	struct cmd_req	*r = arg;
	const json_t	*del;
	json_t		*names;	/* owned */
	size_t		 i;

	if (cmd_docker_failed(r, req, status, res))
		return;
	del = json_object_get(res, "VolumesDeleted");
	names = json_array();
	for (i = 0; names != NULL && i < json_array_size(del); i++) {
		if (json_is_string(json_array_get(del, i)))
			(void)json_array_append(names, json_array_get(del, i));
	}
	(void)cmd_reply(r, json_pack("{s:o, s:I}", "deleted", names,
	    "reclaimed", json_integer_value(json_object_get(res,
	    "SpaceReclaimed"))));
	json_decref(res);
}

/* volume.prune. */
enum cmd_retval
cmd_volume_prune(struct cmd_req *r)
{
	struct dk_client	*dk;
	struct dk_req		*req = NULL;
	json_t			*filters;	/* owned */
	int			 err;

	cmd_set_target(r, "unused");
	dk = cmd_docker(r);
	if (dk == NULL)
		return (CMD_ERROR);
	filters = node_prune_filters(json_object_get(r->params, "labels"),
	    NULL);
	if (filters == NULL)
		return (cmd_fail(r, PROTO_E_INTERNAL, "out of memory"));
	err = dk_volume_prune(dk, filters, on_prune, r, &req);
	json_decref(filters);
	return (cmd_docker_wait(r, req, err));
}
