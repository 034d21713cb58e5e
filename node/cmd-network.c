/*
 * network.list and network.inspect: the read side of the network
 * family. The list answers rows in our own names for `pier networks`
 * (docker network ls's columns and a little more); inspect passes the
 * engine's object through, the engine resolving a name, an id or an id
 * prefix itself (404: not_found).
 */
#include <stdlib.h>
#include <string.h>

#include "node.h"

/* A string member or "". */
static const char *
jstr(const json_t *o, const char *k)
{
	const char	*s = json_string_value(json_object_get(o, k));

	return (s != NULL ? s : "");
}

/* The client left: stop the engine request held in data. */
static void
req_cancel(struct cmd_req *r)
{
	if (r->data != NULL)
		dk_req_cancel(r->data);
}

/* Holds req in r until its callback, so a client leaving cancels it. */
static enum cmd_retval
req_wait(struct cmd_req *r, struct dk_req *req, int err)
{
	if (err != 0)
		return (cmd_fail_docker(r, NULL, err));
	r->data = req;
	r->on_cancel = req_cancel;
	return (CMD_WAIT);
}

/* One row of network.list from an engine network (a new reference). */
static json_t *
list_row(const json_t *nw)
{
	const json_t	*labels = json_object_get(nw, "Labels");

	return (json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:s, s:O}",
	    "id", jstr(nw, "Id"),
	    "name", jstr(nw, "Name"),
	    "driver", jstr(nw, "Driver"),
	    "scope", jstr(nw, "Scope"),
	    "internal", json_is_true(json_object_get(nw, "Internal")),
	    "ipv6", json_is_true(json_object_get(nw, "EnableIPv6")),
	    "created", jstr(nw, "Created"),
	    "labels", json_is_object(labels) ? labels : json_null()));
}

/* The list arrived: answer the rows. */
static void
on_list(struct dk_req *req, int status, json_t *list, void *arg)
{
	struct cmd_req	*r = arg;
	json_t		*rows;	/* owned */
	size_t		 i;

	r->data = NULL;
	r->on_cancel = NULL;
	if (status != 0) {
		json_decref(list);
		(void)cmd_fail_docker(r, req, status);
		return;
	}
	rows = json_array();
	for (i = 0; rows != NULL && i < json_array_size(list); i++) {
		if (json_array_append_new(rows,
		    list_row(json_array_get(list, i))) != 0) {
			json_decref(rows);
			rows = NULL;
		}
	}
	json_decref(list);
	if (rows == NULL) {
		(void)cmd_fail(r, PROTO_E_INTERNAL, "out of memory");
		return;
	}
	(void)cmd_reply(r, json_pack("{s:o}", "networks", rows));
}

/* network.list. */
enum cmd_retval
cmd_network_list(struct cmd_req *r)
{
	struct dk_client	*dk;
	struct dk_req		*req = NULL;
	int			 err;

	dk = cmd_docker(r);
	if (dk == NULL)
		return (CMD_ERROR);
	err = dk_network_list(dk, NULL, on_list, r, &req);
	return (req_wait(r, req, err));
}

/* The inspect object arrived: pass it through. */
static void
on_inspect(struct dk_req *req, int status, json_t *res, void *arg)
{
	struct cmd_req	*r = arg;

	r->data = NULL;
	r->on_cancel = NULL;
	if (status != 0) {
		json_decref(res);
		(void)cmd_fail_docker(r, req, status);
		return;
	}
	if (!json_is_object(res)) {
		json_decref(res);
		(void)cmd_fail(r, PROTO_E_DOCKER, "the engine's answer is not "
		    "an object");
		return;
	}
	(void)cmd_reply(r, res);
}

/* network.inspect. */
enum cmd_retval
cmd_network_inspect(struct cmd_req *r)
{
	struct dk_client	*dk;
	struct dk_req		*req = NULL;
	const char		*id = proto_param_str(r->params, "id", "");
	int			 err;

	cmd_set_target(r, "%s", id);
	dk = cmd_docker(r);
	if (dk == NULL)
		return (CMD_ERROR);
	err = dk_network_inspect(dk, id, on_inspect, r, &req);
	return (req_wait(r, req, err));
}
