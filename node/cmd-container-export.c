/*
 * container.duplicate with export: the copy's create body (the source's
 * Config and HostConfig with the overrides, cmd-container-dup.c) turned
 * back into container.create's params, for a create on another node.
 * Each field the params cannot say, when it holds more than the
 * engine's default, is named in dropped ("HostConfig.CpuShares") rather
 * than left out silently. Ports only exposed (no binding) are the
 * image's EXPOSE and are not listed; Config.Volumes (-v /path, or the
 * image's VOLUME) become anonymous mounts. Pure: no I/O.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"

/* The body's keys the params carry, or that are the engine's own. */
static const char *const known_keys[] = {
	"Image", "Cmd", "Entrypoint", "Env", "Labels", "Hostname", "User",
	"WorkingDir", "Tty", "OpenStdin", "StdinOnce", "ExposedPorts",
	"StopSignal", "StopTimeout", "Healthcheck", "HostConfig",
	"AttachStdin", "AttachStdout", "AttachStderr", "Volumes",
	"ArgsEscaped", NULL
};
static const char *const known_host_keys[] = {
	"NetworkMode", "Privileged", "PortBindings", "Binds", "Mounts",
	"RestartPolicy", "NanoCpus", "Memory", "AutoRemove",
	"PublishAllPorts", "CapAdd", "CapDrop", "Dns", "ExtraHosts",
	"LogConfig", "Init", "ReadonlyRootfs", "PidsLimit", "ShmSize",
	"SecurityOpt", "Tmpfs", "Ulimits", "Devices",
	/* Filled in by the engine, the same on every node. */
	"MaskedPaths", "ReadonlyPaths", "ConsoleSize", "CgroupnsMode",
	"IpcMode", "Runtime", "Isolation", "MemorySwap", NULL
};

/* Tells whether s is in the NULL-ended list l. */
static int
listed(const char *const *l, const char *s)
{
	for (; *l != NULL; l++)
		if (strcmp(*l, s) == 0)
			return (1);
	return (0);
}

/* Tells whether v says nothing: null, false, 0, "", [] or {}. */
static int
empty(const json_t *v)
{
	return (v == NULL || json_is_null(v) || json_is_false(v) ||
	    (json_is_integer(v) && json_integer_value(v) == 0) ||
	    (json_is_string(v) && json_string_length(v) == 0) ||
	    (json_is_array(v) && json_array_size(v) == 0) ||
	    (json_is_object(v) && json_object_size(v) == 0));
}

/* Names the non-empty keys of o not in known, as PREFIXKey. */
static void
drop_unknown(const json_t *o, const char *const *known, const char *prefix,
    json_t *dropped)
{
	const char	*k;
	json_t		*v;
	char		 s[256];

	json_object_foreach((json_t *)o, k, v) {
		if (listed(known, k) || empty(v))
			continue;
		snprintf(s, sizeof(s), "%s%s", prefix, k);
		(void)json_array_append_new(dropped, json_string(s));
	}
}

/* Copies o[key] to p[name] when it is not empty. */
static void
take(json_t *p, const char *name, const json_t *o, const char *key)
{
	json_t	*v = json_object_get(o, key);	/* borrowed */

	if (!empty(v))
		(void)json_object_set(p, name, v);
}

/* PortBindings as ports. */
static void
ex_ports(json_t *p, const json_t *h)
{
	const char	*key, *hp;
	json_t		*l, *e, *o, *ports;
	char		 proto[8];
	int		 port;
	size_t		 i;

	ports = json_array();
	json_object_foreach(json_object_get(h, "PortBindings"), key, l) {
		proto[0] = '\0';
		if (sscanf(key, "%d/%7s", &port, proto) < 1)
			continue;
		json_array_foreach(l, i, e) {
			o = json_pack("{s:i, s:s}", "container_port", port,
			    "protocol", proto[0] != '\0' ? proto : "tcp");
			hp = cmd_jstr(e, "HostPort");
			if (o != NULL && atoi(hp) > 0)
				(void)json_object_set_new(o, "host_port",
				    json_integer(atoi(hp)));
			if (o != NULL && cmd_jstr(e, "HostIp")[0] != '\0')
				(void)json_object_set(o, "host_ip",
				    json_object_get(e, "HostIp"));
			(void)json_array_append_new(ports, o);
		}
	}
	if (json_array_size(ports) > 0)
		(void)json_object_set(p, "ports", ports);
	json_decref(ports);
}

/* Tells whether a --mount spec's target is t. */
static int
spec_at(const char *spec, const char *t)
{
	const char	*a = strstr(spec, ",target=");
	size_t		 n = strlen(t);

	return (a != NULL && strncmp(a + 8, t, n) == 0 &&
	    (a[8 + n] == ',' || a[8 + n] == '\0'));
}

/*
 * Config.Volumes (docker run -v /path, and the image's VOLUMEs) as
 * anonymous mounts, unless a mount already has that target.
 */
static void
ex_volumes(json_t *m, const json_t *vols, const json_t *specs)
{
	const char	*t;
	json_t		*v, *e;
	size_t		 i;
	int		 taken;

	json_object_foreach((json_t *)vols, t, v) {
		taken = 0;
		json_array_foreach(m, i, e)
			taken |= strcmp(cmd_jstr(e, "target"), t) == 0;
		json_array_foreach(specs, i, e)
			taken |= spec_at(json_string_value(e), t);
		if (!taken)
			(void)json_array_append_new(m, json_pack("{s:s, s:b}",
			    "target", t, "read_only", 0));
	}
}

/* Binds, Mounts and Volumes as mounts and mount_specs. */
static void
ex_mounts(json_t *p, const json_t *b, const json_t *h, json_t *dropped)
{
	json_t		*m, *specs, *v;
	const char	*s, *a, *c, *type;
	char		*spec;
	size_t		 i;

	m = json_array();
	specs = json_array();
	json_array_foreach(json_object_get(h, "Binds"), i, v) {
		s = json_string_value(v);
		a = s != NULL ? strchr(s, ':') : NULL;
		c = a != NULL ? strchr(a + 1, ':') : NULL;
		if (a == NULL || (c != NULL && strcmp(c, ":ro") != 0 &&
		    strcmp(c, ":rw") != 0)) {
			spec = proto_xasprintf("HostConfig.Binds %s",
			    s != NULL ? s : "?");
			(void)json_array_append_new(dropped, json_string(spec));
			free(spec);
			continue;
		}
		(void)json_array_append_new(m, json_pack("{s:s%, s:s%, s:b}",
		    "source", s, (size_t)(a - s), "target", a + 1,
		    c != NULL ? (size_t)(c - a - 1) : strlen(a + 1),
		    "read_only", c != NULL && strcmp(c, ":ro") == 0));
	}
	json_array_foreach(json_object_get(h, "Mounts"), i, v) {
		type = cmd_jstr(v, "Type");
		s = cmd_jstr(v, "Source");
		if (strcmp(type, "volume") == 0 && s[0] == '\0') {
			(void)json_array_append_new(m, json_pack("{s:s, s:b}",
			    "target", cmd_jstr(v, "Target"), "read_only",
			    json_is_true(json_object_get(v, "ReadOnly"))));
			continue;
		}
		spec = proto_xasprintf("type=%s%s%s,target=%s%s", type,
		    s[0] != '\0' ? ",source=" : "", s, cmd_jstr(v, "Target"),
		    json_is_true(json_object_get(v, "ReadOnly")) ?
		    ",readonly" : "");
		(void)json_array_append_new(specs, json_string(spec));
		free(spec);
	}
	ex_volumes(m, json_object_get(b, "Volumes"), specs);
	if (json_array_size(m) > 0)
		(void)json_object_set(p, "mounts", m);
	if (json_array_size(specs) > 0)
		(void)json_object_set(p, "mount_specs", specs);
	json_decref(m);
	json_decref(specs);
}

/* Devices and Ulimits as devices and ulimits strings. */
static void
ex_devices_ulimits(json_t *p, const json_t *h)
{
	json_t	*l, *v;
	char	*s;
	size_t	 i;

	l = json_array();
	json_array_foreach(json_object_get(h, "Devices"), i, v) {
		s = proto_xasprintf("%s:%s:%s", cmd_jstr(v, "PathOnHost"),
		    cmd_jstr(v, "PathInContainer"),
		    cmd_jstr(v, "CgroupPermissions"));
		(void)json_array_append_new(l, json_string(s));
		free(s);
	}
	if (json_array_size(l) > 0)
		(void)json_object_set(p, "devices", l);
	json_decref(l);
	l = json_array();
	json_array_foreach(json_object_get(h, "Ulimits"), i, v) {
		s = proto_xasprintf("%s=%lld:%lld", cmd_jstr(v, "Name"),
		    (long long)json_integer_value(json_object_get(v, "Soft")),
		    (long long)json_integer_value(json_object_get(v, "Hard")));
		(void)json_array_append_new(l, json_string(s));
		free(s);
	}
	if (json_array_size(l) > 0)
		(void)json_object_set(p, "ulimits", l);
	json_decref(l);
}

/* Restart policy, tmpfs, logging and the health check. */
static void
ex_misc(json_t *p, const json_t *b, const json_t *h, json_t *dropped)
{
	const json_t	*rp = json_object_get(h, "RestartPolicy");
	const json_t	*hc = json_object_get(b, "Healthcheck"), *t;
	const json_t	*lc = json_object_get(h, "LogConfig");
	const char	*k, *name = cmd_jstr(rp, "Name");
	json_t		*v, *l;
	char		*s;

	if (name[0] != '\0' && strcmp(name, "no") != 0) {
		(void)json_object_set_new(p, "restart", json_string(name));
		take(p, "restart_retries", rp, "MaximumRetryCount");
	}
	l = json_array();
	json_object_foreach(json_object_get(h, "Tmpfs"), k, v) {
		s = proto_xasprintf("%s%s%s", k, json_string_length(v) > 0 ?
		    ":" : "", json_string_value(v) ? json_string_value(v) : "");
		(void)json_array_append_new(l, json_string(s));
		free(s);
	}
	if (json_array_size(l) > 0)
		(void)json_object_set(p, "tmpfs", l);
	json_decref(l);
	take(p, "log_driver", lc, "Type");
	take(p, "log_opts", lc, "Config");
	t = json_object_get(hc, "Test");
	if (json_array_size(t) == 1 && strcmp(json_string_value(
	    json_array_get(t, 0)), "NONE") == 0)
		(void)json_object_set_new(p, "no_healthcheck", json_true());
	else if (json_array_size(t) == 2 && strcmp(json_string_value(
	    json_array_get(t, 0)), "CMD-SHELL") == 0)
		(void)json_object_set(p, "health_cmd", json_array_get(t, 1));
	else if (json_array_size(t) > 0)
		(void)json_array_append_new(dropped,
		    json_string("Healthcheck.Test"));
	if (json_integer_value(json_object_get(hc, "Interval")) > 0)
		(void)json_object_set_new(p, "health_interval", json_integer(
		    json_integer_value(json_object_get(hc, "Interval")) /
		    1000000));
	if (json_integer_value(json_object_get(hc, "Timeout")) > 0)
		(void)json_object_set_new(p, "health_timeout", json_integer(
		    json_integer_value(json_object_get(hc, "Timeout")) /
		    1000000));
	take(p, "health_retries", hc, "Retries");
}

/* container.create's params from a create body; see node.h. */
json_t *
node_export_params(const json_t *b, json_t *dropped)
{
	const json_t	*h = json_object_get(b, "HostConfig");
	const char	*net = cmd_jstr(h, "NetworkMode");
	json_t		*p;	/* owned */

	p = json_object();
	if (p == NULL)
		return (NULL);
	drop_unknown(b, known_keys, "Config.", dropped);
	drop_unknown(h, known_host_keys, "HostConfig.", dropped);
	take(p, "image", b, "Image");
	take(p, "cmd", b, "Cmd");
	take(p, "entrypoint", b, "Entrypoint");
	take(p, "env", b, "Env");
	take(p, "labels", b, "Labels");
	take(p, "hostname", b, "Hostname");
	take(p, "user", b, "User");
	take(p, "workdir", b, "WorkingDir");
	take(p, "tty", b, "Tty");
	take(p, "stdin", b, "OpenStdin");
	take(p, "stdin_once", b, "StdinOnce");
	take(p, "stop_signal", b, "StopSignal");
	take(p, "stop_timeout", b, "StopTimeout");
	if (net[0] != '\0' && strcmp(net, "default") != 0)
		take(p, "network", h, "NetworkMode");
	take(p, "privileged", h, "Privileged");
	take(p, "remove", h, "AutoRemove");
	take(p, "publish_all", h, "PublishAllPorts");
	take(p, "cap_add", h, "CapAdd");
	take(p, "cap_drop", h, "CapDrop");
	take(p, "dns", h, "Dns");
	take(p, "add_hosts", h, "ExtraHosts");
	take(p, "init", h, "Init");
	take(p, "read_only", h, "ReadonlyRootfs");
	take(p, "pids_limit", h, "PidsLimit");
	take(p, "shm_size", h, "ShmSize");
	take(p, "security_opts", h, "SecurityOpt");
	take(p, "memory", h, "Memory");
	if (json_integer_value(json_object_get(h, "NanoCpus")) > 0)
		(void)json_object_set_new(p, "cpus", json_real((double)
		    json_integer_value(json_object_get(h, "NanoCpus")) / 1e9));
	ex_ports(p, h);
	ex_mounts(p, b, h, dropped);
	ex_devices_ulimits(p, h);
	ex_misc(p, b, h, dropped);
	return (p);
}
