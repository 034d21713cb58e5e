/*
 * network.create, network.remove, network.connect, network.disconnect
 * and network.prune: the engine's network calls, as docker network's
 * subcommands make them. The engine resolves network and container
 * names and says 404 (not_found) or 409/403 (conflict: in use, or a
 * predefined network); answers are in our own names.
 */
#include <stdlib.h>
#include <string.h>

#include "node.h"

/* The create answer: {id, warning}. */
static void
on_created(struct dk_req *req, int status, json_t *res, void *arg)
{
	struct cmd_req	*r = arg;

	if (cmd_docker_failed(r, req, status, res))
		return;
	(void)cmd_reply(r, json_pack("{s:s, s:s}", "id", cmd_jstr(res, "Id"),
	    "warning", cmd_jstr(res, "Warning")));
	json_decref(res);
}

/* An answer without a body: {id} of what was acted on. */
static void
on_done(struct dk_req *req, int status, json_t *res, void *arg)
{
	struct cmd_req	*r = arg;

	if (cmd_docker_failed(r, req, status, res))
		return;
	json_decref(res);
	(void)cmd_reply(r, json_pack("{s:s}", "id", proto_param_str(
	    r->params, "id", "")));
}

/* The prune answer: {deleted: [names]}. */
static void
on_pruned(struct dk_req *req, int status, json_t *res, void *arg)
{
	struct cmd_req	*r = arg;
	json_t		*d = json_object_get(res, "NetworksDeleted");

	if (cmd_docker_failed(r, req, status, res))
		return;
	(void)cmd_reply(r, json_pack("{s:O}", "deleted", json_is_array(d) ?
	    d : json_array()));
	json_decref(res);
}

/* Sends method path with body (stolen) and waits for cb. */
static enum cmd_retval
net_call(struct cmd_req *r, const char *method, struct dk_path *p,
    json_t *body, dk_req_cb *cb)
{
	struct dk_client	*dk;
	struct dk_req		*req = NULL;
	int			 err;

	dk = cmd_docker(r);
	if (dk == NULL) {
		dk_path_free(p);
		json_decref(body);
		return (CMD_ERROR);
	}
	err = dk_path_request(dk, p, method, body, 0, cb, r, &req);
	dk_path_free(p);
	json_decref(body);
	return (cmd_docker_wait(r, req, err));
}

/* network.create: a network, with IPAM when a subnet is given. */
enum cmd_retval
cmd_network_create(struct cmd_req *r)
{
	struct dk_path	 p;
	json_t		*b, *cfg;	/* owned */
	const char	*sub = proto_param_str(r->params, "subnet", NULL);
	const char	*gw = proto_param_str(r->params, "gateway", NULL);

	cmd_set_target(r, "%s", proto_param_str(r->params, "name", ""));
	if (gw != NULL && sub == NULL)
		return (cmd_fail(r, PROTO_E_PARAMS, "params.gateway: needs a "
		    "subnet"));
	b = json_pack("{s:s, s:s, s:b, s:b, s:b, s:b}",
	    "Name", proto_param_str(r->params, "name", ""),
	    "Driver", proto_param_str(r->params, "driver", "bridge"),
	    "Internal", proto_param_bool(r->params, "internal", 0),
	    "Attachable", proto_param_bool(r->params, "attachable", 0),
	    "EnableIPv6", proto_param_bool(r->params, "ipv6", 0),
	    "CheckDuplicate", 1);
	if (b == NULL)
		return (cmd_fail(r, PROTO_E_INTERNAL, "out of memory"));
	if (json_object_get(r->params, "labels") != NULL)
		(void)json_object_set(b, "Labels", json_object_get(r->params,
		    "labels"));
	if (sub != NULL) {
		cfg = json_pack("{s:s}", "Subnet", sub);
		if (gw != NULL)
			(void)json_object_set_new(cfg, "Gateway",
			    json_string(gw));
		(void)json_object_set_new(b, "IPAM", json_pack("{s:s, s:[o]}",
		    "Driver", "default", "Config", cfg));
	}
	dk_path_init(&p, "/networks/create", NULL, NULL);
	return (net_call(r, "POST", &p, b, on_created));
}

/* network.remove. */
enum cmd_retval
cmd_network_remove(struct cmd_req *r)
{
	struct dk_path	 p;

	cmd_set_target(r, "%s", proto_param_str(r->params, "id", ""));
	dk_path_init(&p, "/networks", proto_param_str(r->params, "id", ""),
	    "");
	return (net_call(r, "DELETE", &p, NULL, on_done));
}

/* network.connect: a container on a network, with aliases. */
enum cmd_retval
cmd_network_connect(struct cmd_req *r)
{
	struct dk_path	 p;
	json_t		*b, *al;	/* owned, borrowed */

	cmd_set_target(r, "%s %s", proto_param_str(r->params, "id", ""),
	    proto_param_str(r->params, "container", ""));
	al = json_object_get(r->params, "aliases");
	b = json_pack("{s:s, s:{s:O}}", "Container", proto_param_str(
	    r->params, "container", ""), "EndpointConfig", "Aliases",
	    al != NULL ? al : json_null());
	dk_path_init(&p, "/networks", proto_param_str(r->params, "id", ""),
	    "/connect");
	return (net_call(r, "POST", &p, b, on_done));
}

/* network.disconnect. */
enum cmd_retval
cmd_network_disconnect(struct cmd_req *r)
{
	struct dk_path	 p;

	cmd_set_target(r, "%s %s", proto_param_str(r->params, "id", ""),
	    proto_param_str(r->params, "container", ""));
	dk_path_init(&p, "/networks", proto_param_str(r->params, "id", ""),
	    "/disconnect");
	return (net_call(r, "POST", &p, json_pack("{s:s, s:b}", "Container",
	    proto_param_str(r->params, "container", ""), "Force",
	    proto_param_bool(r->params, "force", 0)), on_done));
}

/* network.prune: unused networks, optionally only labelled ones. */
enum cmd_retval
cmd_network_prune(struct cmd_req *r)
{
	struct dk_path	 p;
	const json_t	*l = json_object_get(r->params, "labels");
	json_t		*f = NULL;	/* owned */
	size_t		 i;

	if (json_array_size(l) > 0) {
		f = json_pack("{s:[]}", "label");
		for (i = 0; f != NULL && i < json_array_size(l); i++)
			(void)json_array_append(json_object_get(f, "label"),
			    json_array_get(l, i));
	}
	dk_path_init(&p, "/networks/prune", NULL, NULL);
	dk_path_add_json(&p, "filters", f);
	json_decref(f);
	return (net_call(r, "POST", &p, NULL, on_pruned));
}
