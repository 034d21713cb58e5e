/*
 * The body of POST /containers/create from container.create's params
 * (already checked against the catalogue's schema for types and bounds).
 * What the schema cannot say is checked here, with the field named:
 * mount targets must be absolute, a bind source absolute or a volume
 * name, retries only with on-failure. Mounts with a source become Binds
 * ("src:dst[:ro]"), those without one anonymous volumes in Mounts.
 * Pure: no I/O, so the unit test covers every field.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"

/* Sets *cause (printf-style) and returns NULL after freeing b. */
static json_t *__attribute__((format(printf, 3, 4)))
body_fail(json_t *b, char **cause, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg = NULL;

	json_decref(b);
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (cause != NULL)
		*cause = msg;
	else
		free(msg);
	return (NULL);
}

/* Tells whether s is a volume name as Docker takes them. */
static int
volume_name_ok(const char *s)
{
	if (!isalnum((unsigned char)*s))
		return (0);
	for (s++; *s != '\0'; s++) {
		if (!isalnum((unsigned char)*s) && strchr("_.-", *s) == NULL)
			return (0);
	}
	return (1);
}

/* Copies a param into body under key when it is present. */
static void
copy_param(json_t *dst, const char *key, const json_t *params,
    const char *name)
{
	json_t	*v = json_object_get(params, name);	/* borrowed */

	if (v != NULL)
		(void)json_object_set_new(dst, key, json_deep_copy(v));
}

/* Adds ExposedPorts and PortBindings: 0, or -1 out of memory. */
static int
body_ports(json_t *b, json_t *h, const json_t *ports)
{
	const json_t	*p;
	json_t		*exp, *bind, *list;	/* borrowed once set */
	char		 key[32], hp[8];
	const char	*proto, *ip;
	size_t		 i;

	if (json_array_size(ports) == 0)
		return (0);
	exp = json_object();
	bind = json_object();
	if (json_object_set_new(b, "ExposedPorts", exp) != 0 ||
	    json_object_set_new(h, "PortBindings", bind) != 0)
		return (-1);
	for (i = 0; i < json_array_size(ports); i++) {
		p = json_array_get(ports, i);
		proto = proto_param_str(p, "protocol", "tcp");
		ip = proto_param_str(p, "host_ip", "");
		snprintf(key, sizeof(key), "%lld/%s",
		    proto_param_int(p, "container_port", 0), proto);
		hp[0] = '\0';
		if (proto_param_int(p, "host_port", 0) > 0)
			snprintf(hp, sizeof(hp), "%lld",
			    proto_param_int(p, "host_port", 0));
		(void)json_object_set_new(exp, key, json_object());
		list = json_object_get(bind, key);
		if (list == NULL) {
			list = json_array();
			if (json_object_set_new(bind, key, list) != 0)
				return (-1);
		}
		if (json_array_append_new(list, json_pack("{s:s, s:s}",
		    "HostIp", ip, "HostPort", hp)) != 0)
			return (-1);
	}
	return (0);
}

/* Adds Binds and Mounts: b, or NULL (b freed) with *cause. */
static json_t *
body_mounts(json_t *b, json_t *h, const json_t *mounts, char **cause)
{
	const json_t	*m;
	json_t		*binds, *anon;	/* borrowed once set */
	const char	*src, *dst;
	char		*s;
	size_t		 i;
	int		 ro;

	binds = json_array();
	anon = json_array();
	(void)json_object_set_new(h, "Binds", binds);
	(void)json_object_set_new(h, "Mounts", anon);
	for (i = 0; i < json_array_size(mounts); i++) {
		m = json_array_get(mounts, i);
		src = proto_param_str(m, "source", NULL);
		dst = proto_param_str(m, "target", "");
		ro = proto_param_bool(m, "read_only", 0);
		if (dst[0] != '/' || strchr(dst, ':') != NULL)
			return (body_fail(b, cause, "params.mounts[%zu].target:"
			    " %s is not an absolute path without ':'", i, dst));
		if (src != NULL && src[0] != '/' && !volume_name_ok(src))
			return (body_fail(b, cause, "params.mounts[%zu].source:"
			    " %s is neither an absolute path nor a volume "
			    "name", i, src));
		if (src != NULL && strchr(src, ':') != NULL)
			return (body_fail(b, cause, "params.mounts[%zu].source:"
			    " %s holds a ':'", i, src));
		if (src == NULL) {
			(void)json_array_append_new(anon, json_pack(
			    "{s:s, s:s, s:b}", "Type", "volume", "Target",
			    dst, "ReadOnly", ro));
			continue;
		}
		s = proto_xasprintf("%s:%s%s", src, dst, ro ? ":ro" : "");
		(void)json_array_append_new(binds, json_string(s));
		free(s);
	}
	if (json_array_size(binds) == 0)
		(void)json_object_del(h, "Binds");
	if (json_array_size(anon) == 0)
		(void)json_object_del(h, "Mounts");
	return (b);
}

/* Builds the create body from container.create's params; see node.h. */
json_t *
node_create_body(const json_t *params, char **cause)
{
	json_t		*b, *h;	/* owned; h borrowed once set */
	const char	*restart;
	double		 cpus;
	long long	 retries;

	if (cause != NULL)
		*cause = NULL;
	b = json_pack("{s:s, s:b, s:b, s:b}",
	    "Image", proto_param_str(params, "image", ""),
	    "Tty", proto_param_bool(params, "tty", 0),
	    "OpenStdin", proto_param_bool(params, "stdin", 0),
	    "AttachStdin", 0);
	/* docker run -i attached: the input's end is the container's. */
	if (b != NULL && proto_param_bool(params, "stdin", 0) &&
	    proto_param_bool(params, "stdin_once", 0))
		(void)json_object_set_new(b, "StdinOnce", json_true());
	h = json_object();
	if (b == NULL || h == NULL || json_object_set_new(b, "HostConfig",
	    h) != 0) {
		json_decref(b);
		return (NULL);
	}
	copy_param(b, "Cmd", params, "cmd");
	copy_param(b, "Entrypoint", params, "entrypoint");
	copy_param(b, "Env", params, "env");
	copy_param(b, "Labels", params, "labels");
	copy_param(b, "Hostname", params, "hostname");
	copy_param(b, "User", params, "user");
	copy_param(b, "WorkingDir", params, "workdir");
	copy_param(h, "NetworkMode", params, "network");
	copy_param(h, "Privileged", params, "privileged");
	if (body_ports(b, h, json_object_get(params, "ports")) != 0) {
		json_decref(b);
		return (NULL);
	}
	if (body_mounts(b, h, json_object_get(params, "mounts"), cause) ==
	    NULL)
		return (NULL);
	restart = proto_param_str(params, "restart", NULL);
	retries = proto_param_int(params, "restart_retries", 0);
	if (retries > 0 && (restart == NULL || strcmp(restart,
	    "on-failure") != 0))
		return (body_fail(b, cause, "params.restart_retries: %lld "
		    "retries need restart \"on-failure\"", retries));
	if (restart != NULL)
		(void)json_object_set_new(h, "RestartPolicy", json_pack(
		    "{s:s, s:I}", "Name", restart, "MaximumRetryCount",
		    (json_int_t)retries));
	cpus = proto_param_num(params, "cpus", 0);
	if (cpus > 0)
		(void)json_object_set_new(h, "NanoCpus",
		    json_integer((json_int_t)(cpus * 1e9 + 0.5)));
	if (proto_param_int(params, "memory", 0) > 0)
		(void)json_object_set_new(h, "Memory", json_integer(
		    proto_param_int(params, "memory", 0)));
	if (node_create_flags(b, params, cause) != 0) {
		json_decref(b);
		return (NULL);
	}
	return (b);
}
