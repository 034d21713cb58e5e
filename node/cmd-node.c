/*
 * node.info: what a client shows in `pier info`: the node's version,
 * protocol version, key fingerprint and uptime, the caller's access key
 * and role, the host's CPUs and
 * memory, and from the engine (one GET /info) its version, negotiated
 * API version and the counts of containers and images. When Docker is
 * down the node still answers: docker is null and docker_error says why,
 * so `pier info` is also how one finds out that the engine is the
 * problem, not the node.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pier-config.h"
#include "node.h"

/* The part of the answer that needs no Docker (a new reference). */
static json_t *
info_base(struct cmd_req *r)
{
	double		 load[3];
	struct node	*n = r->node;
	char		 host[256];
	json_t		*o;	/* owned */

	if (gethostname(host, sizeof(host)) != 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	o = json_pack("{s:s, s:i, s:s, s:I, s:I, s:{s:s, s:I, s:I}, s:I}",
	    "version", PIER_VERSION,
	    "proto", PROTO_VERSION,
	    "key", n->fingerprint,
	    "started", (json_int_t)n->started,
	    "uptime", (json_int_t)((uv_now(n->loop) - n->started_ms) / 1000),
	    "host", "name", host,
	    "cpus", (json_int_t)uv_available_parallelism(),
	    "memory", (json_int_t)uv_get_total_memory(),
	    "requests", (json_int_t)n->nserved);
	/* What `pier run any` weighs: free memory, and CPUs not busy. */
	uv_loadavg(load);
	if (o != NULL)
		(void)json_object_set_new(json_object_get(o, "host"), "load",
		    json_pack("{s:I, s:f}", "memory_free",
		    (json_int_t)uv_get_free_memory(), "load1", load[0]));
	if (o != NULL)
		(void)json_object_set_new(o, "model", node_model_json(n));
	/* The caller's own access: what `pier nodes` shows as its role. */
	if (o != NULL)
		(void)json_object_set_new(o, "access", json_pack("{s:s, s:s}",
		    "key", r->caller.key, "role",
		    proto_role_name(r->caller.role)));
	return (o);
}

/* An integer field of the engine's info, or -1. */
static json_int_t
info_int(const json_t *info, const char *k)
{
	json_t	*v = json_object_get(info, k);	/* borrowed */

	return (json_is_integer(v) ? json_integer_value(v) : -1);
}

/* The engine's /info arrived (or failed): answer. */
static void
on_info(struct dk_req *req, int status, json_t *info, void *arg)
{
	struct cmd_req	*r = arg;
	const char	*api, *msg;
	json_t		*o;	/* owned */

	cmd_docker_done(r);
	o = info_base(r);
	if (o == NULL) {
		json_decref(info);
		(void)cmd_fail(r, PROTO_E_INTERNAL, "out of memory");
		return;
	}
	if (status == 0 && json_is_object(info)) {
		api = dk_client_api_version(dk_req_client(req));
		(void)json_object_set_new(o, "docker", json_pack(
		    "{s:s, s:s, s:s, s:s, s:s, s:I, s:I}",
		    "version", cmd_jstr(info, "ServerVersion"),
		    "api", api != NULL ? api : "",
		    "os", cmd_jstr(info, "OperatingSystem"),
		    "kernel", cmd_jstr(info, "KernelVersion"),
		    "name", cmd_jstr(info, "Name"),
		    "cpus", info_int(info, "NCPU"),
		    "memory", info_int(info, "MemTotal")));
		(void)json_object_set_new(o, "containers", json_pack(
		    "{s:I, s:I, s:I, s:I}",
		    "total", info_int(info, "Containers"),
		    "running", info_int(info, "ContainersRunning"),
		    "paused", info_int(info, "ContainersPaused"),
		    "stopped", info_int(info, "ContainersStopped")));
		(void)json_object_set_new(o, "images",
		    json_integer(info_int(info, "Images")));
	} else {
		msg = dk_req_message(req);
		(void)json_object_set_new(o, "docker", json_null());
		(void)json_object_set_new(o, "containers", json_null());
		(void)json_object_set_new(o, "images", json_null());
		(void)json_object_set_new(o, "docker_error", json_string(
		    msg != NULL && msg[0] != '\0' ? msg :
		    dk_strerror(status)));
	}
	json_decref(info);
	(void)cmd_reply(r, o);
}

/* node.info. */
enum cmd_retval
cmd_node_info(struct cmd_req *r)
{
	struct node	*n = r->node;
	struct dk_req	*req = NULL;
	json_t		*o;	/* owned */
	int		 err;

	if (n->dk != NULL) {
		err = dk_info(n->dk, on_info, r, &req);
		if (err == 0)
			return (cmd_docker_wait(r, req, 0));
	}
	o = info_base(r);
	if (o == NULL)
		return (cmd_fail(r, PROTO_E_INTERNAL, "out of memory"));
	(void)json_object_set_new(o, "docker", json_null());
	(void)json_object_set_new(o, "containers", json_null());
	(void)json_object_set_new(o, "images", json_null());
	(void)json_object_set_new(o, "docker_error", json_string(
	    n->dk_cause != NULL ? n->dk_cause : "the Docker client could not "
	    "start a request"));
	return (cmd_reply(r, o));
}
