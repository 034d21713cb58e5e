/*
 * Container operations: list, inspect, create, start, stop, restart, kill,
 * pause, unpause, rename, update, remove, wait and top. Each builds its
 * path (names escaped by path.c) and, where needed, a JSON body; results
 * come back as the engine's JSON, owned by the callback.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"

static void	set_cause(char **, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* Sets *cause (if cause) to a formatted text. */
static void
set_cause(char **cause, const char *fmt, ...)
{
	va_list ap;

	if (cause == NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) < 0)
		*cause = NULL;
	va_end(ap);
}

/* Sends a request to prefix/id/suffix with no query. */
static int
simple(struct dk_client *c, const char *method, const char *id,
    const char *suffix, dk_req_cb *cb, void *arg, struct dk_req **reqp)
{
	struct dk_path p;
	int rc;

	dk_path_init(&p, "/containers", id, suffix);
	rc = dk_path_request(c, &p, method, NULL, 0, cb, arg, reqp);
	dk_path_free(&p);
	return (rc);
}

/* Makes a JSON array of strings from a NULL-terminated list. */
static json_t *
str_array(const char *const *v)
{
	json_t *a = json_array();	/* owned */

	for (; a != NULL && v != NULL && *v != NULL; v++)
		if (json_array_append_new(a, json_string(*v)) != 0) {
			json_decref(a);
			return (NULL);
		}
	return (a);
}

/* Makes a JSON object from "key=value" strings; NULL on a bad one. */
static json_t *
kv_object(const char *const *v, char **cause)
{
	json_t *o = json_object();	/* owned */
	const char *eq;
	char *k;

	for (; o != NULL && v != NULL && *v != NULL; v++) {
		eq = strchr(*v, '=');
		if (eq == NULL || eq == *v) {
			set_cause(cause, "label \"%s\" is not key=value", *v);
			json_decref(o);
			return (NULL);
		}
		k = strndup(*v, (size_t)(eq - *v));
		if (k == NULL || json_object_set_new(o, k,
		    json_string(eq + 1)) != 0) {
			free(k);
			json_decref(o);
			return (NULL);
		}
		free(k);
	}
	return (o);
}

/* Sets key to a new value unless the value is NULL; -1 on failure. */
static int
set_opt(json_t *o, const char *key, json_t *v)
{
	if (v == NULL)
		return (-1);
	return (json_object_set_new(o, key, v));
}

/* Adds the port bindings and exposed ports of o to cfg and host. */
static int
add_ports(json_t *cfg, json_t *host, const struct dk_create_opts *o,
    char **cause)
{
	json_t *exposed, *bindings, *list, *b;	/* borrowed after set */
	char key[64];
	const struct dk_port *pt;
	size_t i;

	if (o->nports == 0)
		return (0);
	if (set_opt(cfg, "ExposedPorts", json_object()) != 0 ||
	    set_opt(host, "PortBindings", json_object()) != 0)
		return (-1);
	exposed = json_object_get(cfg, "ExposedPorts");
	bindings = json_object_get(host, "PortBindings");
	for (i = 0; i < o->nports; i++) {
		pt = &o->ports[i];
		if (pt->container_port == NULL ||
		    pt->container_port[0] == '\0' ||
		    strlen(pt->container_port) > 40) {
			set_cause(cause, "port %zu has no container port", i);
			return (-1);
		}
		(void)snprintf(key, sizeof key, "%s%s", pt->container_port,
		    strchr(pt->container_port, '/') ? "" : "/tcp");
		if (set_opt(exposed, key, json_object()) != 0)
			return (-1);
		list = json_object_get(bindings, key);
		if (list == NULL) {
			if (set_opt(bindings, key, json_array()) != 0)
				return (-1);
			list = json_object_get(bindings, key);
		}
		b = json_pack("{s:s, s:s}", "HostIp",
		    pt->host_ip ? pt->host_ip : "", "HostPort",
		    pt->host_port ? pt->host_port : "");
		if (b == NULL || json_array_append_new(list, b) != 0)
			return (-1);
	}
	return (0);
}

/* Builds the HostConfig object of a create. */
static json_t *
host_config(const struct dk_create_opts *o, json_t *cfg, char **cause)
{
	json_t *h = json_object();	/* owned */

	if (h == NULL)
		return (NULL);
	if (add_ports(cfg, h, o, cause) != 0)
		goto fail;
	if (o->binds != NULL && set_opt(h, "Binds", str_array(o->binds)) != 0)
		goto fail;
	if (o->restart != NULL && set_opt(h, "RestartPolicy",
	    json_pack("{s:s, s:i}", "Name", o->restart, "MaximumRetryCount",
	    o->restart_max)) != 0)
		goto fail;
	if (o->nano_cpus < 0 || o->memory < 0) {
		set_cause(cause, "CPU and memory limits must not be negative");
		goto fail;
	}
	if (o->nano_cpus > 0 && set_opt(h, "NanoCpus",
	    json_integer(o->nano_cpus)) != 0)
		goto fail;
	if (o->memory > 0 && set_opt(h, "Memory",
	    json_integer(o->memory)) != 0)
		goto fail;
	if (o->network_mode != NULL && set_opt(h, "NetworkMode",
	    json_string(o->network_mode)) != 0)
		goto fail;
	return (h);
fail:
	json_decref(h);
	return (NULL);
}

/* Builds the body of a create; see docker.h. */
json_t *
dk_create_body(const struct dk_create_opts *o, char **cause)
{
	json_t *b, *h;		/* owned */

	if (cause != NULL)
		*cause = NULL;
	if (o->image == NULL || o->image[0] == '\0') {
		set_cause(cause, "a container needs an image");
		return (NULL);
	}
	b = json_pack("{s:s}", "Image", o->image);
	if (b == NULL)
		return (NULL);
	if (o->cmd != NULL && set_opt(b, "Cmd", str_array(o->cmd)) != 0)
		goto fail;
	if (o->entrypoint != NULL && set_opt(b, "Entrypoint",
	    str_array(o->entrypoint)) != 0)
		goto fail;
	if (o->env != NULL && set_opt(b, "Env", str_array(o->env)) != 0)
		goto fail;
	if (o->labels != NULL && set_opt(b, "Labels",
	    kv_object(o->labels, cause)) != 0)
		goto fail;
	if (o->working_dir != NULL && set_opt(b, "WorkingDir",
	    json_string(o->working_dir)) != 0)
		goto fail;
	if (o->user != NULL && set_opt(b, "User", json_string(o->user)) != 0)
		goto fail;
	if (o->hostname != NULL && set_opt(b, "Hostname",
	    json_string(o->hostname)) != 0)
		goto fail;
	if (set_opt(b, "Tty", json_boolean(o->tty)) != 0 ||
	    set_opt(b, "OpenStdin", json_boolean(o->open_stdin)) != 0 ||
	    set_opt(b, "AttachStdin", json_boolean(o->open_stdin)) != 0)
		goto fail;
	h = host_config(o, b, cause);
	if (set_opt(b, "HostConfig", h) != 0)
		goto fail;
	return (b);
fail:
	if (cause != NULL && *cause == NULL)
		set_cause(cause, "cannot build the container's settings");
	json_decref(b);
	return (NULL);
}

/* Lists containers. */
int
dk_container_list(struct dk_client *c, int all, const json_t *filters,
    dk_req_cb *cb, void *arg, struct dk_req **reqp)
{
	struct dk_path p;
	int rc;

	dk_path_init(&p, "/containers/json", NULL, NULL);
	dk_path_add_bool(&p, "all", all);
	dk_path_add_json(&p, "filters", filters);
	rc = dk_path_request(c, &p, "GET", NULL, 0, cb, arg, reqp);
	dk_path_free(&p);
	return (rc);
}

/* Inspects a container. */
int
dk_container_inspect(struct dk_client *c, const char *id, int size,
    dk_req_cb *cb, void *arg, struct dk_req **reqp)
{
	struct dk_path p;
	int rc;

	dk_path_init(&p, "/containers", id, "/json");
	dk_path_add_bool(&p, "size", size);
	rc = dk_path_request(c, &p, "GET", NULL, 0, cb, arg, reqp);
	dk_path_free(&p);
	return (rc);
}

/* Creates a container from options. */
int
dk_container_create(struct dk_client *c, const struct dk_create_opts *o,
    dk_req_cb *cb, void *arg, struct dk_req **reqp)
{
	json_t *body;		/* owned */
	char *cause = NULL;
	int rc;

	if (reqp != NULL)
		*reqp = NULL;
	body = dk_create_body(o, &cause);
	free(cause);
	if (body == NULL)
		return (-EINVAL);
	rc = dk_container_create_json(c, o->name, body, cb, arg, reqp);
	json_decref(body);
	return (rc);
}

/* Creates a container from a ready body. */
int
dk_container_create_json(struct dk_client *c, const char *name,
    json_t *body, dk_req_cb *cb, void *arg, struct dk_req **reqp)
{
	struct dk_path p;
	int rc;

	if (!json_is_object(body))
		return (-EINVAL);
	dk_path_init(&p, "/containers/create", NULL, NULL);
	if (name != NULL && name[0] != '\0')
		dk_path_add(&p, "name", name);
	rc = dk_path_request(c, &p, "POST", body, 0, cb, arg, reqp);
	dk_path_free(&p);
	return (rc);
}

/* Starts a container. */
int
dk_container_start(struct dk_client *c, const char *id, dk_req_cb *cb,
    void *arg, struct dk_req **reqp)
{
	return (simple(c, "POST", id, "/start", cb, arg, reqp));
}

/* Stops or restarts a container with an optional timeout. */
static int
stop_restart(struct dk_client *c, const char *id, const char *what,
    int timeout_s, dk_req_cb *cb, void *arg, struct dk_req **reqp)
{
	struct dk_path p;
	int rc;

	dk_path_init(&p, "/containers", id, what);
	if (timeout_s >= 0)
		dk_path_add_int(&p, "t", timeout_s);
	rc = dk_path_request(c, &p, "POST", NULL, DK_REQ_NOTIMEOUT, cb, arg,
	    reqp);
	dk_path_free(&p);
	return (rc);
}

/* Stops a container. */
int
dk_container_stop(struct dk_client *c, const char *id, int timeout_s,
    dk_req_cb *cb, void *arg, struct dk_req **reqp)
{
	return (stop_restart(c, id, "/stop", timeout_s, cb, arg, reqp));
}

/* Restarts a container. */
int
dk_container_restart(struct dk_client *c, const char *id, int timeout_s,
    dk_req_cb *cb, void *arg, struct dk_req **reqp)
{
	return (stop_restart(c, id, "/restart", timeout_s, cb, arg, reqp));
}

/* Sends a signal to a container. */
int
dk_container_kill(struct dk_client *c, const char *id, const char *signal,
    dk_req_cb *cb, void *arg, struct dk_req **reqp)
{
	struct dk_path p;
	int rc;

	dk_path_init(&p, "/containers", id, "/kill");
	dk_path_add(&p, "signal", signal);
	rc = dk_path_request(c, &p, "POST", NULL, 0, cb, arg, reqp);
	dk_path_free(&p);
	return (rc);
}

/* Pauses a container. */
int
dk_container_pause(struct dk_client *c, const char *id, dk_req_cb *cb,
    void *arg, struct dk_req **reqp)
{
	return (simple(c, "POST", id, "/pause", cb, arg, reqp));
}

/* Unpauses a container. */
int
dk_container_unpause(struct dk_client *c, const char *id, dk_req_cb *cb,
    void *arg, struct dk_req **reqp)
{
	return (simple(c, "POST", id, "/unpause", cb, arg, reqp));
}

/* Renames a container. */
int
dk_container_rename(struct dk_client *c, const char *id, const char *name,
    dk_req_cb *cb, void *arg, struct dk_req **reqp)
{
	struct dk_path p;
	int rc;

	if (name == NULL || name[0] == '\0')
		return (-EINVAL);
	dk_path_init(&p, "/containers", id, "/rename");
	dk_path_add(&p, "name", name);
	rc = dk_path_request(c, &p, "POST", NULL, 0, cb, arg, reqp);
	dk_path_free(&p);
	return (rc);
}

/* Updates a container's resources. */
int
dk_container_update(struct dk_client *c, const char *id,
    const struct dk_resources *r, dk_req_cb *cb, void *arg,
    struct dk_req **reqp)
{
	json_t *b;		/* owned */
	int rc, bad = 0;

	b = json_object();
	if (b == NULL)
		return (-ENOMEM);
	if (r->nano_cpus != 0)
		bad |= set_opt(b, "NanoCpus", json_integer(r->nano_cpus));
	if (r->memory != 0)
		bad |= set_opt(b, "Memory", json_integer(r->memory));
	if (r->memory_swap != 0)
		bad |= set_opt(b, "MemorySwap", json_integer(r->memory_swap));
	if (r->cpu_shares != 0)
		bad |= set_opt(b, "CpuShares", json_integer(r->cpu_shares));
	if (r->pids_limit != 0)
		bad |= set_opt(b, "PidsLimit", json_integer(r->pids_limit));
	if (r->restart != NULL)
		bad |= set_opt(b, "RestartPolicy", json_pack("{s:s, s:i}",
		    "Name", r->restart, "MaximumRetryCount", r->restart_max));
	if (bad) {
		json_decref(b);
		return (-ENOMEM);
	}
	rc = dk_container_update_json(c, id, b, cb, arg, reqp);
	json_decref(b);
	return (rc);
}

/* Updates a container from a ready body. */
int
dk_container_update_json(struct dk_client *c, const char *id, json_t *body,
    dk_req_cb *cb, void *arg, struct dk_req **reqp)
{
	struct dk_path p;
	int rc;

	if (reqp != NULL)
		*reqp = NULL;
	if (!json_is_object(body))
		return (-EINVAL);
	dk_path_init(&p, "/containers", id, "/update");
	rc = dk_path_request(c, &p, "POST", body, 0, cb, arg, reqp);
	dk_path_free(&p);
	return (rc);
}

/* Removes a container. */
int
dk_container_remove(struct dk_client *c, const char *id, int force,
    int volumes, dk_req_cb *cb, void *arg, struct dk_req **reqp)
{
	struct dk_path p;
	int rc;

	dk_path_init(&p, "/containers", id, NULL);
	dk_path_add_bool(&p, "force", force);
	dk_path_add_bool(&p, "v", volumes);
	rc = dk_path_request(c, &p, "DELETE", NULL, 0, cb, arg, reqp);
	dk_path_free(&p);
	return (rc);
}

/* Waits for a container to reach a condition. */
int
dk_container_wait(struct dk_client *c, const char *id,
    const char *condition, dk_req_cb *cb, void *arg, struct dk_req **reqp)
{
	struct dk_path p;
	int rc;

	dk_path_init(&p, "/containers", id, "/wait");
	dk_path_add(&p, "condition", condition);
	rc = dk_path_request(c, &p, "POST", NULL, DK_REQ_NOTIMEOUT, cb, arg,
	    reqp);
	dk_path_free(&p);
	return (rc);
}

/* Lists a container's processes. */
int
dk_container_top(struct dk_client *c, const char *id, const char *ps_args,
    dk_req_cb *cb, void *arg, struct dk_req **reqp)
{
	struct dk_path p;
	int rc;

	dk_path_init(&p, "/containers", id, "/top");
	dk_path_add(&p, "ps_args", ps_args);
	rc = dk_path_request(c, &p, "GET", NULL, 0, cb, arg, reqp);
	dk_path_free(&p);
	return (rc);
}
