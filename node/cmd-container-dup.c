/*
 * container.duplicate: a new container with another's configuration.
 * The source is inspected and its Config and HostConfig become the new
 * create body, with the caller's overrides (name, cpus, memory, network,
 * hostname, env entries replacing those of the same key). The copy is
 * started if the source was running (unless start is false).
 *
 * What is not copied: the generated hostname (the source's short id,
 * so the copy gets its own), one that came from the host or cannot go
 * with the copy's network (container:NAME), an explicit MAC address
 * (two would clash), and the name. Fixed host ports are copied, so
 * starting a copy of a running container that publishes one fails with
 * the engine's "port is already allocated", and the copy stays created:
 * the error says so and carries its id.
 * The default name is NAME-copy, else the first free NAME-copy-N, found
 * with one list call.
 *
 * With export, nothing is made: the copy's configuration comes back as
 * container.create's params for another node (cmd-container-export.c),
 * named as the source unless name is given.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"

#define DUP_NAME_TRIES	1000	/* NAME-copy-2 .. NAME-copy-1000 */

/* One duplication before its create. */
struct dup {
	struct cmd_req	*r;
	json_t		*src;		/* owned: the source's inspect */
	char		 id[80];
	char		 name[256];
};

/* Frees a duplication (detached from its request, which may be gone). */
static void
dup_free(struct dup *d)
{
	json_decref(d->src);
	free(d);
}

/* Replaces or appends K=V entries of over in the env array. */
static void
env_merge(json_t *env, const json_t *over)
{
	const char	*kv, *e, *eq;
	size_t		 i, j, klen;

	for (i = 0; i < json_array_size(over); i++) {
		kv = json_string_value(json_array_get(over, i));
		eq = strchr(kv, '=');
		klen = eq != NULL ? (size_t)(eq - kv) : strlen(kv);
		for (j = 0; j < json_array_size(env); j++) {
			e = json_string_value(json_array_get(env, j));
			if (e != NULL && strncmp(e, kv, klen) == 0 &&
			    (e[klen] == '=' || e[klen] == '\0'))
				break;
		}
		if (j < json_array_size(env))
			(void)json_array_set_new(env, j, json_string(kv));
		else
			(void)json_array_append_new(env, json_string(kv));
	}
}

/*
 * Tells whether the source's hostname is not its own to copy: it came
 * from the host (network host, and the copy is not) or the copy shares
 * another container's network, where the engine refuses a hostname.
 */
static int
dup_hostname_foreign(const json_t *h, const json_t *params)
{
	const char	*src, *dst;

	src = json_string_value(json_object_get(h, "NetworkMode"));
	dst = proto_param_str(params, "network", src);
	if (src == NULL || dst == NULL)
		return (0);
	if (strncmp(dst, "container:", 10) == 0)
		return (1);
	return (strcmp(src, "host") == 0 && strcmp(dst, "host") != 0);
}

/* The create body of the copy from the source and overrides (new). */
static json_t *
dup_body(const json_t *src, const json_t *params)
{
	json_t		*b, *h, *env;	/* owned, borrowed, borrowed */
	const char	*id, *hn;
	double		 cpus;

	b = json_deep_copy(json_object_get(src, "Config"));
	h = json_deep_copy(json_object_get(src, "HostConfig"));
	if (!json_is_object(b) || !json_is_object(h)) {
		json_decref(b);
		json_decref(h);
		return (NULL);
	}
	(void)json_object_set_new(b, "HostConfig", h);
	id = json_string_value(json_object_get(src, "Id"));
	hn = json_string_value(json_object_get(b, "Hostname"));
	if (id != NULL && hn != NULL && strlen(hn) == 12 &&
	    strncmp(id, hn, 12) == 0)
		(void)json_object_del(b, "Hostname");
	(void)json_object_del(b, "MacAddress");
	if (dup_hostname_foreign(h, params)) {
		(void)json_object_del(b, "Hostname");
		(void)json_object_del(b, "Domainname");
	}
	if (json_object_get(params, "hostname") != NULL)
		(void)json_object_set(b, "Hostname",
		    json_object_get(params, "hostname"));
	if (json_object_get(params, "network") != NULL)
		(void)json_object_set(h, "NetworkMode",
		    json_object_get(params, "network"));
	cpus = proto_param_num(params, "cpus", -1);
	if (cpus >= 0) {
		(void)json_object_set_new(h, "NanoCpus",
		    json_integer((json_int_t)(cpus * 1e9 + 0.5)));
		(void)json_object_set_new(h, "CpuQuota", json_integer(0));
		(void)json_object_set_new(h, "CpuPeriod", json_integer(0));
	}
	if (json_object_get(params, "memory") != NULL) {
		(void)json_object_set(h, "Memory",
		    json_object_get(params, "memory"));
		/* 0: the engine's default swap for the new limit. */
		(void)json_object_set_new(h, "MemorySwap", json_integer(0));
	}
	if (json_object_get(params, "env") != NULL) {
		env = json_object_get(b, "Env");
		if (!json_is_array(env)) {
			env = json_array();
			(void)json_object_set_new(b, "Env", env);
		}
		env_merge(env, json_object_get(params, "env"));
	}
	return (b);
}

/*
 * The ports and mounts of the overrides as container.create would make
 * them (a new body), or NULL with *cause: the same rules and messages.
 */
static json_t *
dup_over_body(const json_t *params, char **cause)
{
	json_t	*p, *b;	/* owned */

	p = json_pack("{s:s}", "image", "-");
	if (p == NULL)
		return (NULL);
	if (json_object_get(params, "ports") != NULL)
		(void)json_object_set(p, "ports", json_object_get(params,
		    "ports"));
	if (json_object_get(params, "mounts") != NULL)
		(void)json_object_set(p, "mounts", json_object_get(params,
		    "mounts"));
	b = node_create_body(p, cause);
	json_decref(p);
	return (b);
}

/* The target of a bind "src:dst[:mode]" (into buf), or "". */
static const char *
bind_target(const char *bind, char *buf, size_t len)
{
	const char	*a = strchr(bind, ':'), *e;

	if (a == NULL)
		return ("");
	e = strchr(a + 1, ':');
	snprintf(buf, len, "%.*s", (int)(e != NULL ? e - a - 1 :
	    (ptrdiff_t)strlen(a + 1)), a + 1);
	return (buf);
}

/* Drops the copy's binds and mounts at target dst. */
static void
drop_target(json_t *h, const char *dst)
{
	json_t		*l;	/* borrowed */
	char		 t[4096];
	size_t		 i;

	l = json_object_get(h, "Binds");
	for (i = json_array_size(l); i-- > 0;)
		if (strcmp(bind_target(json_string_value(json_array_get(l, i)),
		    t, sizeof(t)), dst) == 0)
			(void)json_array_remove(l, i);
	l = json_object_get(h, "Mounts");
	for (i = json_array_size(l); i-- > 0;)
		if (strcmp(cmd_jstr(json_array_get(l, i), "Target"), dst) == 0)
			(void)json_array_remove(l, i);
}

/* Appends v (borrowed) to the array h[key], made when missing. */
static void
append_to(json_t *h, const char *key, json_t *v)
{
	json_t	*l = json_object_get(h, key);	/* borrowed */

	if (!json_is_array(l)) {
		l = json_array();
		(void)json_object_set_new(h, key, l);
	}
	(void)json_array_append(l, v);
}

/*
 * Applies the -p, -v and -l overrides to the copy's body b: ports
 * replace the source's bindings (so a copy of a container with
 * published ports can start beside it), a mount replaces the source's
 * at the same target, labels are added or replaced.
 */
static void
dup_apply(json_t *b, const json_t *params)
{
	json_t		*h = json_object_get(b, "HostConfig");	/* borrowed */
	json_t		*ob, *oh, *v, *exp;	/* owned; borrowed */
	char		 t[4096];
	size_t		 i;

	if (json_object_get(params, "labels") != NULL) {
		if (!json_is_object(json_object_get(b, "Labels")))
			(void)json_object_set_new(b, "Labels", json_object());
		(void)json_object_update(json_object_get(b, "Labels"),
		    json_object_get(params, "labels"));
	}
	ob = dup_over_body(params, NULL);
	if (ob == NULL)
		return;
	oh = json_object_get(ob, "HostConfig");
	if (json_object_get(params, "ports") != NULL) {
		v = json_object_get(oh, "PortBindings");
		(void)json_object_set_new(h, "PortBindings", v != NULL ?
		    json_deep_copy(v) : json_object());
		exp = json_object_get(b, "ExposedPorts");
		if (!json_is_object(exp)) {
			exp = json_object();
			(void)json_object_set_new(b, "ExposedPorts", exp);
		}
		(void)json_object_update(exp, json_object_get(ob,
		    "ExposedPorts"));
	}
	json_array_foreach(json_object_get(oh, "Binds"), i, v) {
		drop_target(h, bind_target(json_string_value(v), t,
		    sizeof(t)));
		append_to(h, "Binds", v);
	}
	json_array_foreach(json_object_get(oh, "Mounts"), i, v) {
		drop_target(h, cmd_jstr(v, "Target"));
		append_to(h, "Mounts", v);
	}
	json_decref(ob);
}

/* Tells whether a container in the list is called name. */
static int
name_taken(const json_t *list, const char *name)
{
	const json_t	*names;
	const char	*s;
	size_t		 i, j;

	for (i = 0; i < json_array_size(list); i++) {
		names = json_object_get(json_array_get(list, i), "Names");
		for (j = 0; j < json_array_size(names); j++) {
			s = json_string_value(json_array_get(names, j));
			if (s != NULL && strcmp(s[0] == '/' ? s + 1 : s,
			    name) == 0)
				return (1);
		}
	}
	return (0);
}

/*
 * export: answers the body as container.create's params, checked as a
 * create on any node would check them, with the fields they cannot say
 * in dropped; nothing is created.
 */
static void
dup_export(struct cmd_req *r, const char *name, json_t *body, int start)
{
	const struct proto_method	*m;
	json_t				*p, *dropped, *b;	/* owned */
	char				*cause = NULL;

	m = proto_method_find("container.create");
	dropped = json_array();
	p = node_export_params(body, dropped);
	json_decref(body);
	if (p == NULL || dropped == NULL || m == NULL) {
		json_decref(p);
		json_decref(dropped);
		(void)cmd_fail(r, PROTO_E_INTERNAL, "out of memory");
		return;
	}
	(void)json_object_set_new(p, "name", json_string(name));
	(void)json_object_set_new(p, "start", json_boolean(start));
	b = NULL;
	if (proto_params_check(m->params, p, &cause) == 0)
		b = node_create_body(p, &cause);
	if (b == NULL) {
		(void)cmd_fail(r, PROTO_E_STATE, "the configuration "
		    "cannot be said as container.create's params: %s",
		    cause != NULL ? cause : "out of memory");
		free(cause);
		json_decref(p);
		json_decref(dropped);
		return;
	}
	json_decref(b);
	(void)cmd_reply(r, json_pack("{s:o, s:o}", "params", p, "dropped",
	    dropped));
}

/* Hands the body to the create chain. */
static void
dup_create(struct dup *d, const char *name)
{
	struct cmd_req	*r = d->r;
	json_t		*body;	/* owned, then given */
	int		 start;

	start = json_is_true(json_object_get(json_object_get(d->src,
	    "State"), "Running")) && proto_param_bool(r->params, "start", 1);
	body = dup_body(d->src, r->params);
	if (body != NULL)
		dup_apply(body, r->params);
	cmd_set_target(r, "%s -> %s", d->name, name);
	dup_free(d);
	if (body == NULL) {
		(void)cmd_fail(r, PROTO_E_DOCKER, "the source's inspect has no "
		    "Config or HostConfig");
		return;
	}
	if (proto_param_bool(r->params, "export", 0))
		dup_export(r, name, body, start);
	else
		(void)cmd__container_create_body(r, name, body, start, 0);
}

/* The names in use arrived: pick the first free NAME-copy[-N]. */
static void
on_names(struct dk_req *req, int status, json_t *list, void *arg)
{
	struct dup	*d = arg;
	char		 name[300];
	int		 i, taken;

	if (cmd_docker_failed(d->r, req, status, list)) {
		dup_free(d);
		return;
	}
	snprintf(name, sizeof(name), "%s-copy", d->name);
	taken = name_taken(list, name);
	for (i = 2; taken && i <= DUP_NAME_TRIES; i++) {
		snprintf(name, sizeof(name), "%s-copy-%d", d->name, i);
		taken = name_taken(list, name);
	}
	json_decref(list);
	if (taken || strlen(name) > 255) {
		(void)cmd_fail(d->r, PROTO_E_CONFLICT, "no free name for a "
		    "copy of %s; give one with name", d->name);
		dup_free(d);
		return;
	}
	dup_create(d, name);
}

/* The source's inspect arrived. */
static void
on_source(struct dk_req *req, int status, json_t *res, void *arg)
{
	struct dup	*d = arg;
	struct dk_req	*list = NULL;
	const char	*name;
	int		 err;

	if (cmd_docker_failed(d->r, req, status, res)) {
		dup_free(d);
		return;
	}
	d->src = res;
	if (d->r->cancelled) {
		(void)cmd_fail(d->r, PROTO_E_CANCELLED, "the client went away");
		dup_free(d);
		return;
	}
	name = proto_param_str(d->r->params, "name", NULL);
	/* Exported for another node: the source's own name is free there. */
	if (name == NULL && proto_param_bool(d->r->params, "export", 0))
		name = d->name;
	if (name != NULL) {
		dup_create(d, name);
		return;
	}
	err = dk_container_list(d->r->node->dk, 1, NULL, on_names, d, &list);
	if (cmd_docker_wait(d->r, list, err) != CMD_WAIT)
		dup_free(d);
}

/* The source resolved: inspect it. */
static void
on_resolved(struct cmd_req *r, const char *id, const char *name, void *arg)
{
	struct dk_req	*req = NULL;
	struct dup	*d;
	int		 err;

	(void)arg;
	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		(void)cmd_fail(r, PROTO_E_INTERNAL, "out of memory");
		return;
	}
	d->r = r;
	snprintf(d->id, sizeof(d->id), "%s", id);
	snprintf(d->name, sizeof(d->name), "%s", name[0] != '\0' ? name : id);
	cmd_set_target(r, "%s", d->name);
	err = dk_container_inspect(r->node->dk, d->id, 0, on_source, d, &req);
	if (cmd_docker_wait(r, req, err) != CMD_WAIT)
		dup_free(d);
}

/* container.duplicate. */
enum cmd_retval
cmd_container_duplicate(struct cmd_req *r)
{
	const char	*id = proto_param_str(r->params, "id", "");
	json_t		*ob;	/* owned */
	char		*cause = NULL;

	cmd_set_target(r, "%s", id);
	/* Bad ports or mounts are refused before the engine is asked. */
	ob = dup_over_body(r->params, &cause);
	if (ob == NULL) {
		(void)cmd_fail(r, cause != NULL ? PROTO_E_PARAMS :
		    PROTO_E_INTERNAL, "%s", cause != NULL ? cause :
		    "out of memory");
		free(cause);
		return (CMD_ERROR);
	}
	json_decref(ob);
	return (node_resolve_container(r, id, on_resolved, NULL));
}
