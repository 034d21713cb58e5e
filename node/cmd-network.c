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

/* The filter keys docker takes here, passed to the engine. */
static const char *const filter_keys[] = { "dangling", "driver", "id", "label", "name", "scope", "type",
	NULL };

/* One row of network.list from an engine network (a new reference). */
static json_t *
list_row(const json_t *nw, const void *arg)
{
	const json_t	*labels = json_object_get(nw, "Labels");

	(void)arg;
	return (json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:s, s:O}",
	    "id", cmd_jstr(nw, "Id"),
	    "name", cmd_jstr(nw, "Name"),
	    "driver", cmd_jstr(nw, "Driver"),
	    "scope", cmd_jstr(nw, "Scope"),
	    "internal", json_is_true(json_object_get(nw, "Internal")),
	    "ipv6", json_is_true(json_object_get(nw, "EnableIPv6")),
	    "created", cmd_jstr(nw, "Created"),
	    "labels", json_is_object(labels) ? labels : json_null()));
}

/* The list arrived: answer the rows. */
static void
on_list(struct dk_req *req, int status, json_t *list, void *arg)
{
	struct cmd_req	*r = arg;

	if (cmd_docker_failed(r, req, status, list))
		return;
	cmd_reply_rows(r, "networks", list, list_row, NULL);
	json_decref(list);
}

/* network.list. */
enum cmd_retval
cmd_network_list(struct cmd_req *r)
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
	err = dk_network_list(dk, json_object_size(filters) > 0 ? filters :
	    NULL, on_list, r, &req);
	json_decref(filters);
	return (cmd_docker_wait(r, req, err));
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
	err = dk_network_inspect(dk, id, cmd_on_passthrough, r, &req);
	return (cmd_docker_wait(r, req, err));
}
