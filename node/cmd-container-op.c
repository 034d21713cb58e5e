/*
 * The container lifecycle: start, stop, restart, kill, pause, unpause,
 * rename, remove and update. Each resolves the name the caller gave
 * (name, id or unique id prefix), makes one engine call and answers
 * {id, name}, so the client can print the name as docker does. The
 * audit target is the container's name once known.
 *
 * Starting a running container or stopping a stopped one succeeds, as
 * with the docker CLI (the engine says 304 "not modified"); pausing a
 * paused one, or killing a stopped one, is the engine's conflict and
 * comes back as conflict.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"

/* Which call a request makes once its container is resolved. */
enum op_kind {
	OP_START,
	OP_STOP,
	OP_RESTART,
	OP_KILL,
	OP_PAUSE,
	OP_UNPAUSE,
	OP_RENAME,
	OP_REMOVE,
	OP_UPDATE,
};

/* One lifecycle call in flight. */
struct op {
	struct cmd_req	*r;
	enum op_kind	 kind;
	char		 id[80];
	char		 name[256];
};

/* Frees an op (detached from its request, which may be gone). */
static void
op_end(struct op *o)
{
	free(o);
}

/* The engine answered the call. */
static void
on_done(struct dk_req *req, int status, json_t *res, void *arg)
{
	struct op	*o = arg;
	struct cmd_req	*r = o->r;
	const json_t	*warn;
	json_t		*out;	/* owned */

	if (status == DK_E_NOT_MODIFIED && (o->kind == OP_START ||
	    o->kind == OP_STOP))
		status = 0;
	if (cmd_docker_failed(r, req, status, res)) {
		op_end(o);
		return;
	}
	node_model_touch(r->node->model, o->id);
	if (o->kind == OP_RENAME)
		snprintf(o->name, sizeof(o->name), "%s",
		    proto_param_str(r->params, "name", ""));
	out = json_pack("{s:s, s:s}", "id", o->id, "name", o->name);
	if (out != NULL && o->kind == OP_UPDATE) {
		warn = json_object_get(res, "Warnings");
		(void)json_object_set_new(out, "warnings", json_is_array(warn) ?
		    json_deep_copy(warn) : json_array());
	}
	json_decref(res);
	(void)cmd_reply(r, out);
	op_end(o);
}

/* The body of an update from the params (a new reference). */
static json_t *
update_body(const json_t *params)
{
	json_t		*b;	/* owned */
	const char	*restart;
	double		 cpus;

	b = json_object();
	if (b == NULL)
		return (NULL);
	cpus = proto_param_num(params, "cpus", -1);
	if (cpus >= 0)
		(void)json_object_set_new(b, "NanoCpus",
		    json_integer((json_int_t)(cpus * 1e9 + 0.5)));
	if (json_object_get(params, "memory") != NULL) {
		(void)json_object_set_new(b, "Memory", json_integer(
		    proto_param_int(params, "memory", 0)));
		/* Swap unlimited, so a lower limit never trips over it. */
		(void)json_object_set_new(b, "MemorySwap", json_integer(-1));
	}
	if (json_object_get(params, "memory_swap") != NULL)
		(void)json_object_set_new(b, "MemorySwap", json_integer(
		    proto_param_int(params, "memory_swap", -1)));
	if (json_object_get(params, "pids_limit") != NULL)
		(void)json_object_set_new(b, "PidsLimit", json_integer(
		    proto_param_int(params, "pids_limit", -1)));
	if (json_object_get(params, "cpu_shares") != NULL)
		(void)json_object_set_new(b, "CpuShares", json_integer(
		    proto_param_int(params, "cpu_shares", 1024)));
	if (json_object_get(params, "cpuset_cpus") != NULL)
		(void)json_object_set_new(b, "CpusetCpus", json_string(
		    proto_param_str(params, "cpuset_cpus", "")));
	restart = proto_param_str(params, "restart", NULL);
	if (restart != NULL)
		(void)json_object_set_new(b, "RestartPolicy", json_pack(
		    "{s:s, s:I}", "Name", restart, "MaximumRetryCount",
		    (json_int_t)proto_param_int(params, "restart_retries",
		    0)));
	return (b);
}

/* Starts the engine call of an op into *req; 0 or a negative errno. */
static int
op_call(struct op *o, struct dk_client *dk, struct dk_req **req)
{
	const json_t	*p = o->r->params;
	json_t		*body;	/* owned */
	int		 err, t;

	t = (int)proto_param_int(p, "timeout", -1);
	switch (o->kind) {
	case OP_START:
		return (dk_container_start(dk, o->id, on_done, o, req));
	case OP_STOP:
		return (dk_container_stop(dk, o->id, t, on_done, o, req));
	case OP_RESTART:
		return (dk_container_restart(dk, o->id, t, on_done, o,
		    req));
	case OP_KILL:
		return (dk_container_kill(dk, o->id, proto_param_str(p,
		    "signal", NULL), on_done, o, req));
	case OP_PAUSE:
		return (dk_container_pause(dk, o->id, on_done, o, req));
	case OP_UNPAUSE:
		return (dk_container_unpause(dk, o->id, on_done, o, req));
	case OP_RENAME:
		return (dk_container_rename(dk, o->id, proto_param_str(p,
		    "name", ""), on_done, o, req));
	case OP_REMOVE:
		return (dk_container_remove(dk, o->id, proto_param_bool(p,
		    "force", 0), proto_param_bool(p, "volumes", 0), on_done,
		    o, req));
	case OP_UPDATE:
		body = update_body(p);
		if (body == NULL)
			return (-ENOMEM);
		err = dk_container_update_json(dk, o->id, body, on_done, o,
		    req);
		json_decref(body);
		return (err);
	}
	return (-EINVAL);
}

/* The name resolved: make the call (arg is the op_kind). */
static void
on_resolved(struct cmd_req *r, const char *id, const char *name, void *arg)
{
	struct dk_req	*req = NULL;
	struct op	*o;
	int		 err;

	o = calloc(1, sizeof(*o));
	if (o == NULL) {
		(void)cmd_fail(r, PROTO_E_INTERNAL, "out of memory");
		return;
	}
	o->r = r;
	o->kind = (enum op_kind)(uintptr_t)arg;
	snprintf(o->id, sizeof(o->id), "%s", id);
	snprintf(o->name, sizeof(o->name), "%s", name);
	if (o->kind == OP_RENAME)
		cmd_set_target(r, "%s -> %s", name[0] != '\0' ? name : id,
		    proto_param_str(r->params, "name", ""));
	else
		cmd_set_target(r, "%s", name[0] != '\0' ? name : id);
	err = op_call(o, r->node->dk, &req);
	if (err != 0)
		free(o);
	(void)cmd_docker_wait(r, req, err == -ENOMEM ? DK_E_INTERNAL : err);
}

/* Resolves the request's container, then makes the call of kind. */
static enum cmd_retval
op_begin(struct cmd_req *r, enum op_kind kind)
{
	const char	*id = proto_param_str(r->params, "id", "");

	if (kind == OP_RENAME)
		cmd_set_target(r, "%s -> %s", id,
		    proto_param_str(r->params, "name", ""));
	else
		cmd_set_target(r, "%s", id);
	return (node_resolve_container(r, id, on_resolved,
	    (void *)(uintptr_t)kind));
}

/* container.start. */
enum cmd_retval
cmd_container_start(struct cmd_req *r)
{
	return (op_begin(r, OP_START));
}

/* container.stop. */
enum cmd_retval
cmd_container_stop(struct cmd_req *r)
{
	return (op_begin(r, OP_STOP));
}

/* container.restart. */
enum cmd_retval
cmd_container_restart(struct cmd_req *r)
{
	return (op_begin(r, OP_RESTART));
}

/* container.kill. */
enum cmd_retval
cmd_container_kill(struct cmd_req *r)
{
	return (op_begin(r, OP_KILL));
}

/* container.pause. */
enum cmd_retval
cmd_container_pause(struct cmd_req *r)
{
	return (op_begin(r, OP_PAUSE));
}

/* container.unpause. */
enum cmd_retval
cmd_container_unpause(struct cmd_req *r)
{
	return (op_begin(r, OP_UNPAUSE));
}

/* container.rename. */
enum cmd_retval
cmd_container_rename(struct cmd_req *r)
{
	return (op_begin(r, OP_RENAME));
}

/* container.remove. */
enum cmd_retval
cmd_container_remove(struct cmd_req *r)
{
	return (op_begin(r, OP_REMOVE));
}

/* container.update. */
enum cmd_retval
cmd_container_update(struct cmd_req *r)
{
	if (json_object_size(r->params) < 2)
		return (cmd_fail(r, PROTO_E_PARAMS, "params: give at least one "
		    "of cpus, memory, memory_swap, pids_limit, cpu_shares, "
		    "cpuset_cpus and restart"));
	/* The engine would take 0 as "unchanged" and answer success. */
	if (json_object_get(r->params, "cpus") != NULL &&
	    proto_param_num(r->params, "cpus", -1) <= 0)
		return (cmd_fail(r, PROTO_E_PARAMS, "params.cpus: expected "
		    "more than 0; the engine cannot lift a CPU limit in place "
		    "(container.duplicate with cpus 0 can)"));
	return (op_begin(r, OP_UPDATE));
}
