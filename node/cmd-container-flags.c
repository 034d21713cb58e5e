/*
 * The docker run flags of container.create beyond the basic ones
 * (cmd-container-body.c): --rm, -P, capabilities, devices, GPUs, DNS,
 * extra hosts, logging, init, a read-only root, limits (pids, shm,
 * ulimits), stop signal and timeout, security options, tmpfs mounts and
 * the health check, each put where the engine's create body has it.
 * What the schema cannot say is checked here with the field named, and
 * a value outside a known set (a capability, a ulimit) is refused
 * naming the allowed ones. Pure: no I/O.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"

/* Linux capabilities (capabilities(7)) without CAP_, and ALL. */
static const char *const caps[] = {
	"ALL", "AUDIT_CONTROL", "AUDIT_READ", "AUDIT_WRITE", "BLOCK_SUSPEND",
	"BPF", "CHECKPOINT_RESTORE", "CHOWN", "DAC_OVERRIDE",
	"DAC_READ_SEARCH", "FOWNER", "FSETID", "IPC_LOCK", "IPC_OWNER",
	"KILL", "LEASE", "LINUX_IMMUTABLE", "MAC_ADMIN", "MAC_OVERRIDE",
	"MKNOD", "NET_ADMIN", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_RAW",
	"PERFMON", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYSLOG",
	"SYS_ADMIN", "SYS_BOOT", "SYS_CHROOT", "SYS_MODULE", "SYS_NICE",
	"SYS_PACCT", "SYS_PTRACE", "SYS_RAWIO", "SYS_RESOURCE", "SYS_TIME",
	"SYS_TTY_CONFIG", "WAKE_ALARM", NULL
};

/* setrlimit(2) resources as docker names them. */
static const char *const ulimit_names[] = {
	"as", "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue",
	"nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending",
	"stack", NULL
};

/* The names of a list joined by ", " (new). */
static char *
names_of(const char *const *l)
{
	size_t	 n = 1, i;
	char	*s;

	for (i = 0; l[i] != NULL; i++)
		n += strlen(l[i]) + 2;
	s = calloc(1, n);
	if (s == NULL)
		return (NULL);
	for (i = 0; l[i] != NULL; i++) {
		if (i > 0)
			strcat(s, ", ");
		strcat(s, l[i]);
	}
	return (s);
}

/* Tells whether name is in a list. */
static int
in_list(const char *const *l, const char *name)
{
	for (; *l != NULL; l++)
		if (strcmp(*l, name) == 0)
			return (1);
	return (0);
}

/* Sets *cause to "params.FIELD[i]: what; the known ones are: ...". */
static int
refuse(char **cause, const char *field, size_t i, const char *what,
    const char *const *known)
{
	char	*names = known != NULL ? names_of(known) : NULL;

	if (cause != NULL)
		*cause = proto_xasprintf("params.%s[%zu]: %s%s%s", field, i,
		    what, names != NULL ? "; the known ones are: " : "",
		    names != NULL ? names : "");
	free(names);
	return (-1);
}

/* cap_add or cap_drop as CAP_NAMEs (ALL stays ALL). */
static int
flags_caps(json_t *h, const json_t *params, const char *field,
    const char *key, char **cause)
{
	const json_t	*l = json_object_get(params, field);
	json_t		*out;
	char		 name[40], what[80], full[48];
	const char	*s;
	size_t		 i, j;

	if (l == NULL)
		return (0);
	out = json_array();
	(void)json_object_set_new(h, key, out);
	for (i = 0; i < json_array_size(l); i++) {
		s = json_string_value(json_array_get(l, i));
		if (strncasecmp(s, "CAP_", 4) == 0)
			s += 4;
		for (j = 0; s[j] != '\0' && j < sizeof(name) - 1; j++)
			name[j] = (char)toupper((unsigned char)s[j]);
		name[j] = '\0';
		if (!in_list(caps, name)) {
			snprintf(what, sizeof(what), "unknown capability %s",
			    json_string_value(json_array_get(l, i)));
			return (refuse(cause, field, i, what, caps));
		}
		snprintf(full, sizeof(full), "%s%s", strcmp(name, "ALL") ==
		    0 ? "" : "CAP_", name);
		(void)json_array_append_new(out, json_string(full));
	}
	return (0);
}

/* devices: HOST[:CONTAINER[:PERMS]] into Devices. */
static int
flags_devices(json_t *h, const json_t *params, char **cause)
{
	const json_t	*l = json_object_get(params, "devices");
	json_t		*out;
	char		*s, *ctr, *perm;
	size_t		 i;
	int		 rc = 0;

	if (l == NULL)
		return (0);
	out = json_array();
	(void)json_object_set_new(h, "Devices", out);
	for (i = 0; rc == 0 && i < json_array_size(l); i++) {
		s = strdup(json_string_value(json_array_get(l, i)));
		if (s == NULL)
			return (-1);
		ctr = strchr(s, ':');
		if (ctr != NULL)
			*ctr++ = '\0';
		perm = ctr != NULL ? strchr(ctr, ':') : NULL;
		if (perm != NULL)
			*perm++ = '\0';
		if (s[0] != '/' || (ctr != NULL && ctr[0] != '/') ||
		    (perm != NULL && (perm[0] == '\0' ||
		    strspn(perm, "rwm") != strlen(perm))))
			rc = refuse(cause, "devices", i, "expected "
			    "HOST[:CONTAINER[:PERMS]]: absolute paths, PERMS "
			    "of r, w and m", NULL);
		else
			(void)json_array_append_new(out, json_pack(
			    "{s:s, s:s, s:s}", "PathOnHost", s,
			    "PathInContainer", ctr != NULL ? ctr : s,
			    "CgroupPermissions", perm != NULL ? perm : "rwm"));
		free(s);
	}
	return (rc);
}

/* tmpfs (PATH[:OPTS]) and ulimits (NAME=SOFT[:HARD]). */
static int
flags_tmpfs_ulimits(json_t *h, const json_t *params, char **cause)
{
	const json_t	*l;
	json_t		*t, *u;
	const char	*s, *c;
	char		 name[32], path[4096], *end;
	long long	 soft, hard;
	size_t		 i, n;

	l = json_object_get(params, "tmpfs");
	if (l != NULL) {
		t = json_object();
		(void)json_object_set_new(h, "Tmpfs", t);
		for (i = 0; i < json_array_size(l); i++) {
			s = json_string_value(json_array_get(l, i));
			c = strchr(s, ':');
			n = c != NULL ? (size_t)(c - s) : strlen(s);
			if (s[0] != '/' || n >= 4096)
				return (refuse(cause, "tmpfs", i, "expected "
				    "an absolute PATH[:OPTIONS]", NULL));
			memcpy(path, s, n);
			path[n] = '\0';
			(void)json_object_set_new(t, path, json_string(c !=
			    NULL ? c + 1 : ""));
		}
	}
	l = json_object_get(params, "ulimits");
	if (l == NULL)
		return (0);
	u = json_array();
	(void)json_object_set_new(h, "Ulimits", u);
	for (i = 0; i < json_array_size(l); i++) {
		s = json_string_value(json_array_get(l, i));
		c = strchr(s, '=');
		n = c != NULL ? (size_t)(c - s) : 0;
		if (n == 0 || n >= sizeof(name))
			return (refuse(cause, "ulimits", i, "expected "
			    "NAME=SOFT[:HARD]", NULL));
		memcpy(name, s, n);
		name[n] = '\0';
		if (!in_list(ulimit_names, name))
			return (refuse(cause, "ulimits", i, "unknown limit",
			    ulimit_names));
		soft = strtoll(c + 1, &end, 10);
		hard = soft;
		if (*end == ':')
			hard = strtoll(end + 1, &end, 10);
		if (*end != '\0' || end == c + 1 || soft > hard)
			return (refuse(cause, "ulimits", i, "expected "
			    "NAME=SOFT[:HARD], integers, SOFT at most HARD",
			    NULL));
		(void)json_array_append_new(u, json_pack("{s:s, s:I, s:I}",
		    "Name", name, "Soft", (json_int_t)soft, "Hard",
		    (json_int_t)hard));
	}
	return (0);
}

/* GPUs, logging and the health check. */
static int
flags_gpus_log_health(json_t *b, json_t *h, const json_t *params,
    char **cause)
{
	const char	*g = proto_param_str(params, "gpus", NULL);
	const char	*cmd = proto_param_str(params, "health_cmd", NULL);
	const char	*drv = proto_param_str(params, "log_driver", NULL);
	const json_t	*opts = json_object_get(params, "log_opts");
	json_t		*hc;
	char		*end;
	long long	 n = -1;

	if (g != NULL && strcmp(g, "all") != 0) {
		n = strtoll(g, &end, 10);
		if (*end != '\0' || n < 1) {
			if (cause != NULL)
				*cause = proto_xasprintf("params.gpus: "
				    "expected all or a count, not %s", g);
			return (-1);
		}
	}
	if (g != NULL)
		(void)json_object_set_new(h, "DeviceRequests", json_pack(
		    "[{s:s, s:I, s:[[s]]}]", "Driver", "", "Count",
		    (json_int_t)n, "Capabilities", "gpu"));
	if (drv != NULL || opts != NULL)
		(void)json_object_set_new(h, "LogConfig", json_pack("{s:s, s:o}",
		    "Type", drv != NULL ? drv : "", "Config", opts != NULL ?
		    json_deep_copy(opts) : json_object()));
	if (proto_param_bool(params, "no_healthcheck", 0)) {
		if (cmd != NULL) {
			if (cause != NULL)
				*cause = strdup("params.no_healthcheck: "
				    "cannot go with health_cmd");
			return (-1);
		}
		(void)json_object_set_new(b, "Healthcheck", json_pack(
		    "{s:[s]}", "Test", "NONE"));
		return (0);
	}
	if (cmd == NULL && json_object_get(params, "health_interval") ==
	    NULL && json_object_get(params, "health_timeout") == NULL &&
	    json_object_get(params, "health_retries") == NULL)
		return (0);
	hc = json_object();
	(void)json_object_set_new(b, "Healthcheck", hc);
	if (cmd != NULL)
		(void)json_object_set_new(hc, "Test", json_pack("[s, s]",
		    "CMD-SHELL", cmd));
	if (json_object_get(params, "health_interval") != NULL)
		(void)json_object_set_new(hc, "Interval", json_integer(
		    proto_param_int(params, "health_interval", 0) * 1000000));
	if (json_object_get(params, "health_timeout") != NULL)
		(void)json_object_set_new(hc, "Timeout", json_integer(
		    proto_param_int(params, "health_timeout", 0) * 1000000));
	if (json_object_get(params, "health_retries") != NULL)
		(void)json_object_set_new(hc, "Retries", json_integer(
		    proto_param_int(params, "health_retries", 0)));
	return (0);
}

/* The keys of a --mount, and its types. */
static const char *const mount_keys[] = {
	"type", "source", "src", "target", "destination", "dst", "readonly",
	"ro", "volume-nocopy", "tmpfs-size", "tmpfs-mode", "bind-propagation",
	NULL
};
static const char *const mount_types[] = { "bind", "volume", "tmpfs", NULL };

/* One --mount (type=...,source=...,target=...) as a Mounts entry. */
static int
flags_mount(json_t *out, const char *spec, size_t i, char **cause)
{
	json_t		*m;	/* owned */
	char		*s, *tok, *save = NULL, *eq, what[160];
	const char	*type = "volume", *v;
	int		 rc = -1;
	long long	 n;

	s = strdup(spec);
	m = json_object();
	if (s == NULL || m == NULL)
		goto out;
	for (tok = strtok_r(s, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		eq = strchr(tok, '=');
		if (eq != NULL)
			*eq++ = '\0';
		v = eq != NULL ? eq : "";
		if (!in_list(mount_keys, tok)) {
			snprintf(what, sizeof(what), "unknown key %.64s", tok);
			refuse(cause, "mount_specs", i, what, mount_keys);
			goto out;
		}
		if (strcmp(tok, "type") == 0) {
			if (!in_list(mount_types, v)) {
				snprintf(what, sizeof(what), "unknown type "
				    "%.64s", v);
				refuse(cause, "mount_specs", i, what,
				    mount_types);
				goto out;
			}
			type = strcmp(v, "bind") == 0 ? "bind" :
			    strcmp(v, "tmpfs") == 0 ? "tmpfs" : "volume";
		} else if (strcmp(tok, "source") == 0 ||
		    strcmp(tok, "src") == 0)
			(void)json_object_set_new(m, "Source", json_string(v));
		else if (strcmp(tok, "target") == 0 ||
		    strcmp(tok, "destination") == 0 || strcmp(tok, "dst") == 0)
			(void)json_object_set_new(m, "Target", json_string(v));
		else if (strcmp(tok, "readonly") == 0 || strcmp(tok, "ro") == 0)
			(void)json_object_set_new(m, "ReadOnly", json_boolean(
			    eq == NULL || strcmp(v, "true") == 0 ||
			    strcmp(v, "1") == 0));
		else if (strcmp(tok, "volume-nocopy") == 0)
			/* With an empty DriverConfig, as docker's CLI. */
			(void)json_object_set_new(m, "VolumeOptions", json_pack(
			    "{s:b, s:{}}", "NoCopy", eq == NULL ||
			    strcmp(v, "true") == 0, "DriverConfig"));
		else if (strcmp(tok, "bind-propagation") == 0)
			(void)json_object_set_new(m, "BindOptions", json_pack(
			    "{s:s}", "Propagation", v));
		else {
			n = strtoll(v, &eq, strcmp(tok, "tmpfs-mode") == 0 ?
			    8 : 10);
			if (*eq != '\0' || n < 0) {
				refuse(cause, "mount_specs", i, "tmpfs-size and "
				    "tmpfs-mode take numbers (bytes, octal)",
				    NULL);
				goto out;
			}
			if (json_object_get(m, "TmpfsOptions") == NULL)
				(void)json_object_set_new(m, "TmpfsOptions",
				    json_object());
			(void)json_object_set_new(json_object_get(m,
			    "TmpfsOptions"), strcmp(tok, "tmpfs-mode") == 0 ?
			    "Mode" : "SizeBytes", json_integer(n));
		}
	}
	if (cmd_jstr(m, "Target")[0] != '/' || (strcmp(type, "bind") == 0 &&
	    cmd_jstr(m, "Source")[0] != '/') || (strcmp(type, "tmpfs") == 0 &&
	    json_object_get(m, "Source") != NULL)) {
		refuse(cause, "mount_specs", i, "expected an absolute target, "
		    "an absolute source for a bind and none for a tmpfs", NULL);
		goto out;
	}
	(void)json_object_set_new(m, "Type", json_string(type));
	(void)json_array_append(out, m);
	rc = 0;
out:
	json_decref(m);
	free(s);
	return (rc);
}

/* mount_specs: each --mount into HostConfig.Mounts. */
static int
flags_mounts(json_t *h, const json_t *params, char **cause)
{
	const json_t	*l = json_object_get(params, "mount_specs");
	json_t		*out;
	size_t		 i;

	if (l == NULL)
		return (0);
	out = json_object_get(h, "Mounts");
	if (!json_is_array(out)) {
		out = json_array();
		(void)json_object_set_new(h, "Mounts", out);
	}
	for (i = 0; i < json_array_size(l); i++)
		if (flags_mount(out, json_string_value(json_array_get(l, i)), i,
		    cause) != 0)
			return (-1);
	return (0);
}

/* Maps a param onto a key of dst when present. */
static void
flags_copy(json_t *dst, const char *key, const json_t *params,
    const char *name)
{
	json_t	*v = json_object_get(params, name);	/* borrowed */

	if (v != NULL)
		(void)json_object_set_new(dst, key, json_deep_copy(v));
}

/* Adds the run flags to a create body; see node.h. */
int
node_create_flags(json_t *b, const json_t *params, char **cause)
{
	json_t	*h = json_object_get(b, "HostConfig");	/* borrowed */

	flags_copy(h, "AutoRemove", params, "remove");
	flags_copy(h, "PublishAllPorts", params, "publish_all");
	flags_copy(h, "Dns", params, "dns");
	flags_copy(h, "ExtraHosts", params, "add_hosts");
	flags_copy(h, "Init", params, "init");
	flags_copy(h, "ReadonlyRootfs", params, "read_only");
	flags_copy(h, "PidsLimit", params, "pids_limit");
	flags_copy(h, "ShmSize", params, "shm_size");
	flags_copy(h, "SecurityOpt", params, "security_opts");
	flags_copy(b, "StopSignal", params, "stop_signal");
	flags_copy(b, "StopTimeout", params, "stop_timeout");
	if (flags_caps(h, params, "cap_add", "CapAdd", cause) != 0 ||
	    flags_caps(h, params, "cap_drop", "CapDrop", cause) != 0 ||
	    flags_devices(h, params, cause) != 0 ||
	    flags_mounts(h, params, cause) != 0 ||
	    flags_tmpfs_ulimits(h, params, cause) != 0 ||
	    flags_gpus_log_health(b, h, params, cause) != 0)
		return (-1);
	return (0);
}
