/*
 * The catalogue of methods: one entry per method, sorted by name, with
 * its least role, its parameter schema, its flags, the stream its
 * "channel" carries and a line on its result. The node's dispatch table
 * pairs each entry with a handler; the client's help and the method
 * reference in docs/PROTOCOL.md are generated from it. A method missing
 * here does not exist.
 *
 * Roles (enum proto_role in proto.h): viewer reads (list, inspect, logs, stats,
 * events); operator adds lifecycle (start, stop, restart, kill, pause)
 * and shells; admin does everything else: create, remove, change
 * configuration, images, volumes, the Docker CLI terminal and keys.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

#define CHOICES(...)	((const char *const[]){ __VA_ARGS__, NULL })
#define F_END		{ .name = NULL }

/* Largest unix time accepted (year 9999), in seconds. */
#define T_MAX		253402300799LL

/* The object a call acts on: name, id or unique id prefix. */
#define F_ID(what) {							\
	.name = "id", .type = PROTO_T_STRING, .flags = PROTO_REQUIRED,	\
	.min = 1, .max = 256, .doc = (what) }
#define F_CONTAINER	F_ID("container name, id or unique id prefix")
/* The stream channel the caller opened before the request. */
#define F_CHANNEL {							\
	.name = "channel", .type = PROTO_T_INT,				\
	.flags = PROTO_REQUIRED,					\
	.min = 1, .max = 4294967295LL,					\
	.doc = "stream channel the caller opened for this call" }
#define F_BOOL(n, what) {						\
	.name = (n), .type = PROTO_T_BOOL, .doc = (what) }
#define F_STR(n, lo, hi, what) {					\
	.name = (n), .type = PROTO_T_STRING, .min = (lo), .max = (hi),	\
	.doc = (what) }
#define F_INT(n, lo, hi, what) {					\
	.name = (n), .type = PROTO_T_INT, .min = (lo), .max = (hi),	\
	.doc = (what) }
#define F_STRV(n, hi, len, what) {					\
	.name = (n), .type = PROTO_T_STRINGS, .max = (hi),		\
	.max_len = (len), .doc = (what) }
/* A list's engine filters, with the keys the node lets through. */
#define F_LIST_FILTERS(keys)						\
	F_STRV("filters", 32, 512, "engine filters, KEY=VALUE each; "	\
	    "the keys: " keys)
#define F_TIMEOUT							\
	F_INT("timeout", 0, 3600, "seconds to wait before SIGKILL "	\
	    "(default: the container's own stop timeout)")
#define F_CPUS {							\
	.name = "cpus", .type = PROTO_T_NUMBER, .min = 0, .max = 1024,	\
	.doc = "CPU limit in CPUs, fractions allowed (0: none)" }
#define F_MEMORY							\
	F_INT("memory", 0, 1LL << 50, "memory limit in bytes (0: none)")
#define F_RESTART {							\
	.name = "restart", .type = PROTO_T_STRING, .max = 16,		\
	.choices = CHOICES("no", "always", "unless-stopped",		\
	    "on-failure"), .doc = "restart policy" }
#define F_RETRIES							\
	F_INT("restart_retries", 0, 1000,				\
	    "most restarts with \"on-failure\" (0: no limit)")
#define F_ENV		F_STRV("env", 1024, 8192, "environment, K=V each")
#define F_NETWORK	F_STR("network", 1, 256, "bridge, host, none, "	\
	"container:NAME or a network's name")
#define F_HOSTNAME	F_STR("hostname", 1, 253, "the container's hostname")
#define F_USER		F_STR("user", 1, 256, "user[:group] to run as")
#define F_WORKDIR	F_STR("workdir", 1, 4096, "working directory")
#define F_ROWS		F_INT("rows", 1, 512, "terminal height")
#define F_COLS		F_INT("cols", 1, 1024, "terminal width")

static const struct proto_field no_params[] = {
	F_END
};

static const struct proto_field audit_read_params[] = {
	F_INT("tail", 1, 10000, "the last N entries (default 100)"),
	F_INT("since", 0, T_MAX, "only entries at or after this unix time"),
	F_END
};

static const struct proto_field port_fields[] = {
	{ .name = "container_port", .type = PROTO_T_INT,
	  .flags = PROTO_REQUIRED, .min = 1, .max = 65535,
	  .doc = "port inside the container" },
	F_INT("host_port", 0, 65535, "port on the host (0 or absent: any)"),
	F_STR("host_ip", 1, 45, "host address to bind (default: all)"),
	{ .name = "protocol", .type = PROTO_T_STRING, .max = 4,
	  .choices = CHOICES("tcp", "udp", "sctp"),
	  .doc = "default tcp" },
	F_END
};

static const struct proto_field mount_fields[] = {
	F_STR("source", 1, 4096, "absolute host path (bind) or volume "
	    "name; absent: a new anonymous volume"),
	{ .name = "target", .type = PROTO_T_STRING, .flags = PROTO_REQUIRED,
	  .min = 1, .max = 4096, .doc = "absolute path in the container" },
	F_BOOL("read_only", "mount read-only"),
	F_END
};

static const struct proto_field container_create_params[] = {
	{ .name = "image", .type = PROTO_T_STRING, .flags = PROTO_REQUIRED,
	  .min = 1, .max = 512, .doc = "image reference; must exist on "
	  "the node (not_found otherwise: pull it first with image.pull)" },
	F_STR("name", 1, 255, "container name (default: Docker's)"),
	F_STRV("cmd", 1024, 65536, "command and arguments"),
	F_STRV("entrypoint", 64, 4096, "entrypoint override"),
	F_ENV,
	{ .name = "ports", .type = PROTO_T_OBJECTS, .max = 256,
	  .fields = port_fields, .doc = "published ports" },
	{ .name = "mounts", .type = PROTO_T_OBJECTS, .max = 256,
	  .fields = mount_fields, .doc = "bind mounts and volumes" },
	{ .name = "labels", .type = PROTO_T_MAP, .max = 256,
	  .max_len = 4096, .doc = "labels" },
	F_RESTART,
	F_RETRIES,
	F_CPUS,
	F_MEMORY,
	F_HOSTNAME,
	F_NETWORK,
	F_USER,
	F_WORKDIR,
	F_BOOL("tty", "allocate a TTY for the main process"),
	F_BOOL("stdin", "keep stdin open (docker run -i)"),
	F_BOOL("stdin_once", "close stdin when the first client attached "
	    "to it detaches (docker run -i, attached: its input's end is the "
	    "container's)"),
	F_BOOL("privileged", "give the container every capability and "
	    "device"),
	F_BOOL("start", "start it once created (default true)"),
	F_BOOL("remove", "the engine removes it once it exits (docker run "
	    "--rm), with or without a client"),
	F_BOOL("publish_all", "publish every exposed port on a host port "
	    "the engine picks (-P)"),
	F_STRV("cap_add", 64, 32, "capabilities to add: CAP_NAME or NAME "
	    "as in capabilities(7), or ALL"),
	F_STRV("cap_drop", 64, 32, "capabilities to drop, as cap_add"),
	F_STRV("devices", 64, 4096, "host devices: HOST[:CONTAINER[:rwm]]"),
	F_STRV("mount_specs", 64, 4096, "mounts as docker run --mount: "
	    "type=bind|volume|tmpfs,source=...,target=...[,readonly]"
	    "[,volume-nocopy][,tmpfs-size=BYTES][,tmpfs-mode=OCTAL]"),
	F_STR("gpus", 1, 16, "GPUs: all, or a count"),
	F_STRV("dns", 16, 64, "DNS servers (IP addresses)"),
	F_STRV("add_hosts", 256, 512, "extra /etc/hosts lines: HOST:IP"),
	{ .name = "log_driver", .type = PROTO_T_STRING, .max = 16,
	  .choices = CHOICES("json-file", "local", "journald", "syslog",
	    "none", "fluentd", "gelf", "awslogs", "splunk", "etwlogs",
	    "gcplogs"), .doc = "logging driver" },
	{ .name = "log_opts", .type = PROTO_T_MAP, .max = 64,
	  .max_len = 4096, .doc = "logging driver options" },
	F_BOOL("init", "run an init as PID 1 that reaps and forwards "
	    "signals"),
	F_BOOL("read_only", "mount the root filesystem read-only"),
	F_INT("pids_limit", -1, 1LL << 22, "most processes (-1: no limit)"),
	F_INT("shm_size", 0, 1LL << 40, "size of /dev/shm in bytes"),
	F_STR("stop_signal", 1, 32, "signal that stops it (SIGTERM, 15)"),
	F_INT("stop_timeout", -1, 3600, "seconds before SIGKILL on stop"),
	F_STRV("security_opts", 32, 4096, "security options: "
	    "no-new-privileges[:true], seccomp=..., apparmor=..., label=..."),
	F_STRV("tmpfs", 64, 4096, "tmpfs mounts: PATH[:OPTIONS]"),
	F_STRV("ulimits", 32, 64, "limits: NAME=SOFT[:HARD], NAME as in "
	    "setrlimit(2) without RLIMIT_, lowercase"),
	F_STR("health_cmd", 1, 65536, "health check command, run by a "
	    "shell in the container"),
	F_INT("health_interval", 0, 86400000, "milliseconds between "
	    "checks"),
	F_INT("health_timeout", 0, 86400000, "milliseconds a check may "
	    "take"),
	F_INT("health_retries", 0, 1000, "failures in a row that make it "
	    "unhealthy"),
	F_BOOL("no_healthcheck", "disable the image's health check"),
	F_STR("platform", 1, 64, "os[/arch[/variant]] of the image to run "
	    "(the image must be there for it)"),
	F_END
};

static const struct proto_field container_duplicate_params[] = {
	F_CONTAINER,
	F_STR("name", 1, 255, "name of the copy (default: NAME-copy, "
	    "else the first free NAME-copy-N)"),
	F_CPUS,
	F_MEMORY,
	F_NETWORK,
	F_HOSTNAME,
	F_STRV("env", 1024, 8192, "environment added or overridden, K=V"),
	{ .name = "ports", .type = PROTO_T_OBJECTS, .max = 256,
	  .fields = port_fields, .doc = "published ports, replacing the "
	  "source's (an empty array: none)" },
	{ .name = "mounts", .type = PROTO_T_OBJECTS, .max = 256,
	  .fields = mount_fields, .doc = "mounts, each replacing the "
	  "source's at the same target" },
	{ .name = "labels", .type = PROTO_T_MAP, .max = 256,
	  .max_len = 4096, .doc = "labels added or replaced" },
	F_BOOL("start", "start the copy (default true)"),
	F_BOOL("export", "create nothing: answer the copy as "
	    "container.create's params, for a create on another node"),
	F_END
};

static const struct proto_field container_id_params[] = {
	F_CONTAINER,
	F_END
};

static const struct proto_field container_kill_params[] = {
	F_CONTAINER,
	F_STR("signal", 1, 32, "signal name or number (default SIGKILL)"),
	F_END
};

static const struct proto_field container_list_params[] = {
	F_BOOL("all", "include stopped containers"),
	F_STRV("labels", 32, 512, "only those with these labels, "
	    "KEY or KEY=VALUE each"),
	F_BOOL("size", "include each one's size (slower: the engine "
	    "measures)"),
	F_LIST_FILTERS("ancestor, before, expose, exited, health, id, "
	    "isolation, is-task, label, name, network, publish, since, "
	    "status, volume"),
	F_END
};

#define F_CPATH {							\
	.name = "path", .type = PROTO_T_STRING, .flags = PROTO_REQUIRED, \
	.min = 1, .max = 4096, .doc = "absolute path in the container" }

static const struct proto_field container_download_params[] = {
	F_CONTAINER,
	F_CHANNEL,
	F_CPATH,
	F_END
};

static const struct proto_field container_upload_params[] = {
	F_CONTAINER,
	F_CHANNEL,
	{ .name = "path", .type = PROTO_T_STRING, .flags = PROTO_REQUIRED,
	  .min = 1, .max = 4096,
	  .doc = "absolute path of an existing directory in the container, "
	  "where the tar is unpacked" },
	F_BOOL("overwrite_dir_non_dir", "let a directory replace a "
	    "non-directory and the other way round (default: refused)"),
	F_BOOL("copy_uid_gid", "keep the tar's owners (docker cp -a; "
	    "default: root)"),
	F_END
};

static const struct proto_field container_statpath_params[] = {
	F_CONTAINER,
	F_CPATH,
	F_END
};

static const struct proto_field container_wait_params[] = {
	F_CONTAINER,
	{ .name = "condition", .type = PROTO_T_STRING, .max = 16,
	  .choices = CHOICES("not-running", "next-exit", "removed"),
	  .doc = "what to wait for (default not-running)" },
	F_END
};

static const struct proto_field container_commit_params[] = {
	F_CONTAINER,
	F_STR("reference", 1, 512, "the image's name[:tag] (default: none)"),
	F_STR("message", 1, 4096, "commit message"),
	F_STR("author", 1, 256, "author"),
	F_BOOL("pause", "pause the container while committing (default "
	    "true)"),
	F_END
};

static const struct proto_field container_prune_params[] = {
	F_STRV("labels", 32, 512, "only containers with these labels: K or "
	    "K=V"),
	F_END
};

static const struct proto_field image_tag_params[] = {
	F_ID("image reference, id or unique id prefix"),
	{ .name = "reference", .type = PROTO_T_STRING,
	  .flags = PROTO_REQUIRED, .min = 1, .max = 512,
	  .doc = "the new name: repository[:tag] (tag default latest)" },
	F_END
};

static const struct proto_field container_logs_params[] = {
	F_CONTAINER,
	F_CHANNEL,
	F_BOOL("follow", "keep streaming until the container stops"),
	F_INT("tail", 0, 100000000, "the last N lines (default: all)"),
	F_INT("since", 0, T_MAX, "only lines at or after this unix time"),
	F_INT("until", 0, T_MAX, "only lines before this unix time"),
	F_BOOL("timestamps", "prefix each line with its RFC 3339 time"),
	F_BOOL("stdout", "include stdout (default true)"),
	F_BOOL("stderr", "include stderr (default true)"),
	F_END
};

static const struct proto_field logs_select_params[] = {
	F_CHANNEL,
	F_STRV("ids", 1000, 256, "the containers: name, full id or unique "
	    "id prefix each"),
	F_BOOL("all", "every container (running ones with follow)"),
	F_STRV("filters", 32, 512, "engine filters selecting the "
	    "containers, KEY=VALUE each (label=, name=, ...)"),
	F_BOOL("follow", "keep streaming; containers that start and match "
	    "join"),
	F_INT("tail", 0, 100000000, "the last N lines of each container "
	    "(default: all)"),
	F_INT("since", 0, T_MAX, "only lines at or after this unix time"),
	F_INT("since_ns", 0, 4102444800LL * 1000000000LL, "only lines at or "
	    "after this time in ns since the epoch (overrides since and "
	    "tail; for resuming)"),
	F_INT("until", 0, T_MAX, "only lines before this unix time"),
	F_BOOL("stdout", "include stdout (default true)"),
	F_BOOL("stderr", "include stderr (default true)"),
	F_STR("grep", 1, 4096, "only lines matching this regular expression "
	    "(PCRE2, which reads POSIX extended ones)"),
	F_BOOL("icase", "grep ignores case"),
	F_BOOL("invert", "only lines not matching grep"),
	F_INT("context", 0, 100, "also this many lines before and after "
	    "each match"),
	F_END
};

static const struct proto_field container_remove_params[] = {
	F_CONTAINER,
	F_BOOL("force", "kill it first if it runs"),
	F_BOOL("volumes", "remove its anonymous volumes"),
	F_END
};

static const struct proto_field container_rename_params[] = {
	F_CONTAINER,
	{ .name = "name", .type = PROTO_T_STRING, .flags = PROTO_REQUIRED,
	  .min = 1, .max = 255, .doc = "the new name" },
	F_END
};

static const struct proto_field container_stop_params[] = {
	F_CONTAINER,
	F_TIMEOUT,
	F_END
};

static const struct proto_field container_top_params[] = {
	F_CONTAINER,
	F_STR("ps_args", 1, 256, "ps options (default -ef)"),
	F_END
};

static const struct proto_field container_update_params[] = {
	F_CONTAINER,
	/* The engine reads 0 as "unchanged": a limit cannot be lifted. */
	{ .name = "cpus", .type = PROTO_T_NUMBER, .min = 0, .max = 1024,
	  .doc = "new CPU limit in CPUs, fractions allowed, more than 0 (the "
	  "engine cannot lift a limit in place)" },
	F_INT("memory", 1, 1LL << 50, "new memory limit in bytes (the engine "
	    "cannot lift a limit in place)"),
	F_INT("memory_swap", -1, 1LL << 50, "memory plus swap in bytes (-1: "
	    "unlimited swap; default with memory: -1)"),
	F_INT("pids_limit", -1, 1LL << 22, "most processes (-1: no limit)"),
	F_INT("cpu_shares", 2, 262144, "relative CPU weight (docker's "
	    "default 1024)"),
	F_STR("cpuset_cpus", 1, 256, "CPUs it may run on: 0-3, 0,1"),
	F_RESTART,
	F_RETRIES,
	F_END
};

static const struct proto_field events_subscribe_params[] = {
	F_CHANNEL,
	F_INT("since", 0, T_MAX, "replay events from this unix time"),
	F_STRV("types", 16, 32, "only these object types "
	    "(container, image, volume, network, ...)"),
	F_STRV("filters", 32, 512, "engine filters, KEY=VALUE each "
	    "(container=, image=, event=, label=, type=, ...)"),
	F_END
};

static const struct proto_field exec_run_params[] = {
	F_CONTAINER,
	F_CHANNEL,
	{ .name = "cmd", .type = PROTO_T_STRINGS, .flags = PROTO_REQUIRED,
	  .min = 1, .max = 1024, .max_len = 65536,
	  .doc = "command and arguments (an argv, no shell)" },
	F_USER,
	F_WORKDIR,
	F_ENV,
	F_BOOL("stdin", "attach the command's stdin: the client's STDIN "
	    "frames, then its FIN closes it (docker exec -i)"),
	F_END
};

static const struct proto_field docker_run_params[] = {
	F_CHANNEL,
	{ .name = "cmd", .type = PROTO_T_STRINGS, .flags = PROTO_REQUIRED,
	  .min = 1, .max = 1024, .max_len = 65536,
	  .doc = "the docker CLI's arguments (an argv, no shell)" },
	F_BOOL("stdin", "pass input: the client's STDIN frames, then its "
	    "FIN closes the CLI's stdin (else /dev/null)"),
	F_END
};

static const struct proto_field image_id_params[] = {
	F_ID("image reference, id or unique id prefix"),
	F_END
};

static const struct proto_field image_list_params[] = {
	F_BOOL("all", "include intermediate images"),
	F_LIST_FILTERS("before, dangling, label, reference, since, until"),
	F_END
};

static const struct proto_field volume_list_params[] = {
	F_LIST_FILTERS("dangling, driver, label, name"),
	F_END
};

static const struct proto_field network_create_params[] = {
	{ .name = "name", .type = PROTO_T_STRING, .flags = PROTO_REQUIRED,
	  .min = 1, .max = 255, .doc = "the network's name" },
	F_STR("driver", 1, 64, "network driver (default bridge)"),
	F_STR("subnet", 1, 64, "subnet in CIDR form: 10.10.0.0/24"),
	F_STR("gateway", 1, 45, "gateway address (needs subnet)"),
	F_BOOL("internal", "no access to outside networks"),
	F_BOOL("attachable", "containers may be attached by hand "
	    "(overlay)"),
	F_BOOL("ipv6", "enable IPv6"),
	{ .name = "labels", .type = PROTO_T_MAP, .max = 256,
	  .max_len = 4096, .doc = "labels" },
	F_END
};

static const struct proto_field network_connect_params[] = {
	F_ID("network name, id or unique id prefix"),
	{ .name = "container", .type = PROTO_T_STRING,
	  .flags = PROTO_REQUIRED, .min = 1, .max = 256,
	  .doc = "container name or id" },
	F_STRV("aliases", 32, 255, "names the container has on the network"),
	F_END
};

static const struct proto_field network_disconnect_params[] = {
	F_ID("network name, id or unique id prefix"),
	{ .name = "container", .type = PROTO_T_STRING,
	  .flags = PROTO_REQUIRED, .min = 1, .max = 256,
	  .doc = "container name or id" },
	F_BOOL("force", "disconnect even if the container is not running"),
	F_END
};

static const struct proto_field network_prune_params[] = {
	F_STRV("labels", 32, 512, "only networks with these labels: K or "
	    "K=V"),
	F_END
};

static const struct proto_field network_list_params[] = {
	F_LIST_FILTERS("dangling, driver, id, label, name, scope, type"),
	F_END
};

static const struct proto_field image_prune_params[] = {
	F_BOOL("all", "remove every unused image, not only dangling ones"),
	F_STRV("labels", 32, 512, "only images with these labels: K or K=V"),
	F_END
};

static const struct proto_field image_pull_params[] = {
	{ .name = "image", .type = PROTO_T_STRING, .flags = PROTO_REQUIRED,
	  .min = 1, .max = 512,
	  .doc = "reference: name[:tag] or name@digest" },
	F_CHANNEL,
	F_STR("platform", 1, 64, "os[/arch[/variant]] (default: the host's)"),
	F_END
};

static const struct proto_field image_remove_params[] = {
	F_ID("image reference, id or unique id prefix"),
	F_BOOL("force", "remove even if tagged more than once or in use"),
	F_BOOL("no_prune", "keep untagged parents"),
	F_END
};

static const struct proto_field key_create_params[] = {
	{ .name = "name", .type = PROTO_T_STRING, .flags = PROTO_REQUIRED,
	  .min = 1, .max = 64, .doc = "a name for people and the audit log" },
	{ .name = "role", .type = PROTO_T_STRING, .flags = PROTO_REQUIRED,
	  .max = 16, .choices = CHOICES("viewer", "operator", "admin"),
	  .doc = "what the key may do" },
	F_STR("expires", 1, 40, "when the key stops letting clients in: a "
	    "duration from now (90m, 12h, 7d, 2w) or an RFC 3339 time "
	    "(default never)"),
	{ .name = "uses", .type = PROTO_T_INT, .min = 0, .max = 8,
	  .doc = "how many client keys it binds (the first to join with "
	  "it; 1 makes a one-time key); 0 any number (default)" },
	{ .name = "labels", .type = PROTO_T_MAP, .max = 8, .max_len = 64,
	  .doc = "labels K=V shown in key.list (K 1 to 32 of A-Z a-z 0-9 . "
	  "_ / -, V printable without spaces)" },
	F_END
};

static const struct proto_field key_revoke_params[] = {
	F_ID("access key id or name; with kind client, a client key's "
	    "fingerprint or its public key in hex"),
	{ .name = "kind", .type = PROTO_T_STRING, .max = 16,
	  .choices = CHOICES("access", "client"),
	  .doc = "what id names (default access)" },
	F_END
};

static const struct proto_field relay_announce_params[] = {
	{ .name = "hashes", .type = PROTO_T_STRINGS, .flags = PROTO_REQUIRED,
	  .min = 1, .max = 8, .max_len = 40,
	  .doc = "the linked node's relay hashes (20 bytes in hex each) "
	  "to announce on the DHT" },
	F_END
};

static const struct proto_field relay_dialback_params[] = {
	{ .name = "address", .type = PROTO_T_STRING, .flags = PROTO_REQUIRED,
	  .min = 3, .max = 64,
	  .doc = "numeric ip:port or [ipv6]:port to connect to" },
	{ .name = "token", .type = PROTO_T_STRING, .flags = PROTO_REQUIRED,
	  .min = 64, .max = 64,
	  .doc = "the probe token, 32 bytes in hex" },
	F_END
};

static const struct proto_field path_punch_params[] = {
	{ .name = "port", .type = PROTO_T_INT, .min = 1, .max = 65535,
	  .doc = "the local TCP port of the client's relayed connection, "
	  "which its connects leave from" },
	F_STRV("addresses", 4, 64, "the client's own host's addresses, "
	    "numeric IPv4 ip:port, for a LAN both ends share"),
	F_END
};

static const struct proto_field key_id_params[] = {
	F_ID("access key id or name"),
	F_END
};

static const struct proto_field key_unrevoke_params[] = {
	F_ID("a revoked client key's fingerprint or its public key in hex"),
	F_END
};

static const struct proto_field network_id_params[] = {
	F_ID("network name, id or unique id prefix"),
	F_END
};

static const struct proto_field session_attach_params[] = {
	F_ID("session id"),
	F_CHANNEL,
	F_BOOL("read_only", "watch without sending input"),
	F_BOOL("repaint", "start with a repaint of the screen (default "
	    "true; false: the live output only, for a client whose output "
	    "is no terminal)"),
	F_ROWS,
	F_COLS,
	F_END
};

static const struct proto_field session_id_params[] = {
	F_ID("session id"),
	F_END
};

static const struct proto_field session_open_params[] = {
	{ .name = "kind", .type = PROTO_T_STRING, .flags = PROTO_REQUIRED,
	  .max = 16, .choices = CHOICES("shell", "exec", "docker"),
	  .choice_roles = (const int[]){ PROTO_ROLE_OPERATOR,
	  PROTO_ROLE_OPERATOR, PROTO_ROLE_ADMIN },
	  .doc = "shell: bash or sh in a container; exec: cmd in a "
	  "container; docker: the host's docker CLI with cmd as its "
	  "arguments (admin)" },
	F_STR("container", 1, 256, "container name, id or unique id "
	    "prefix (shell, exec)"),
	F_STRV("cmd", 1024, 65536, "exec: the argv; docker: the CLI's "
	    "arguments"),
	F_CHANNEL,
	F_USER,
	F_WORKDIR,
	F_ENV,
	F_ROWS,
	F_COLS,
	F_END
};

static const struct proto_field session_resize_params[] = {
	F_ID("session id"),
	{ .name = "rows", .type = PROTO_T_INT, .flags = PROTO_REQUIRED,
	  .min = 1, .max = 512, .doc = "terminal height" },
	{ .name = "cols", .type = PROTO_T_INT, .flags = PROTO_REQUIRED,
	  .min = 1, .max = 1024, .doc = "terminal width" },
	F_END
};

static const struct proto_field stats_subscribe_params[] = {
	F_CHANNEL,
	F_STRV("ids", 1024, 256, "containers to watch (default: every "
	    "running one, joining as they start)"),
	F_INT("interval", 1, 60, "seconds between samples (default 1)"),
	F_END
};

#define F_STACK {							\
	.name = "name", .type = PROTO_T_STRING, .flags = PROTO_REQUIRED,\
	.min = 1, .max = 63, .doc = "the stack: a compose project name, "\
	"1 to 63 of a-z 0-9 - _ starting with a letter or digit" }

static const struct proto_field stack_up_params[] = {
	F_CHANNEL,
	F_STACK,
	{ .name = "files", .type = PROTO_T_MAP, .max = 256,
	  .max_len = 700000, .doc = "the stack's files, replacing the "
	  "stored ones: {relative path: base64 content}, 512 KiB each at "
	  "most; paths stay in the folder (no . or .. parts, none "
	  "absolute, nothing starting with .pier)" },
	F_STRV("compose_files", 16, 255, "with files: the compose files "
	    "among them, in -f order"),
	F_STR("env_file", 1, 255, "with files: compose's --env-file, "
	    "among them"),
	F_ENV,
	F_BOOL("swarm", "with files: deploy with docker stack deploy "
	    "(a swarm manager) rather than compose"),
	F_END
};

static const struct proto_field stack_down_params[] = {
	F_CHANNEL,
	F_STACK,
	F_BOOL("volumes", "remove the stack's named volumes too "
	    "(compose down -v)"),
	F_BOOL("purge", "remove the stored files once down succeeded"),
	F_END
};

static const struct proto_field stack_name_params[] = {
	F_CHANNEL,
	F_STACK,
	F_END
};

static const struct proto_field stack_ps_params[] = {
	F_STACK,
	F_END
};

#define F_HELPER_IMAGE							\
	F_STR("image", 1, 512, "image of the helper container, never "	\
	    "started (default: the node's smallest)")

static const struct proto_field volume_backup_params[] = {
	F_ID("volume name"),
	F_CHANNEL,
	F_HELPER_IMAGE,
	F_END
};

static const struct proto_field volume_restore_params[] = {
	F_ID("volume name (created if missing)"),
	F_CHANNEL,
	F_BOOL("force", "restore into a volume that is not empty (files "
	    "of the tar replace those of the same name; others stay)"),
	F_HELPER_IMAGE,
	F_END
};

static const struct proto_field volume_create_params[] = {
	F_STR("name", 1, 255, "volume name (default: generated)"),
	F_STR("driver", 1, 128, "volume driver (default local)"),
	{ .name = "labels", .type = PROTO_T_MAP, .max = 256,
	  .max_len = 4096, .doc = "labels" },
	{ .name = "options", .type = PROTO_T_MAP, .max = 64,
	  .max_len = 4096, .doc = "driver options" },
	F_END
};

static const struct proto_field volume_prune_params[] = {
	F_STRV("labels", 32, 512, "only volumes with these labels: K or K=V"),
	F_END
};

static const struct proto_field volume_remove_params[] = {
	F_ID("volume name"),
	F_BOOL("force", "remove even if in use"),
	F_END
};

#define RO		PROTO_READONLY
#define RW		PROTO_MUTATING
#define DK		PROTO_NEEDS_DOCKER
#define ST		PROTO_STREAM
#define VIEWER		PROTO_ROLE_VIEWER
#define OPERATOR	PROTO_ROLE_OPERATOR
#define ADMIN		PROTO_ROLE_ADMIN
#define RELAY		PROTO_ROLE_RELAY

/* Every method, sorted by name (a unit test keeps it so). */
const struct proto_method proto_methods[] = {
	{ .name = "audit.read", .role = ADMIN, .flags = RO,
	  .params = audit_read_params,
	  .summary = "read the node's audit log, newest last",
	  .result = "{entries: [{time, client, client_name, key, role, method, "
	  "target, outcome, error}], truncated: the newest that fit one "
	  "message were kept}" },
	{ .name = "container.commit", .role = ADMIN, .flags = RW | DK,
	  .params = container_commit_params,
	  .summary = "make an image of a container's changes",
	  .result = "{id}" },
	{ .name = "container.create", .role = ADMIN, .flags = RW | DK,
	  .params = container_create_params,
	  .summary = "create a container, and start it unless start is false",
	  .result = "{id, name, warnings: [string]}" },
	{ .name = "container.diff", .role = VIEWER, .flags = RO | DK,
	  .params = container_id_params,
	  .summary = "files changed in a container's filesystem",
	  .result = "{changes: [{kind: C|A|D, path}]}" },
	{ .name = "container.download", .role = OPERATOR,
	  .flags = RO | DK | ST,
	  .params = container_download_params, .stream = PROTO_STREAM_OUTPUT,
	  .summary = "a tar of a path in a container (docker cp out)",
	  .result = "{stat} once the tar starts (as container.statpath); "
	  "the channel carries the tar in STDOUT frames, then END" },
	{ .name = "container.duplicate", .role = ADMIN, .flags = RW | DK,
	  .params = container_duplicate_params,
	  .summary = "create a copy of a container's configuration with "
	  "overrides",
	  .result = "{id, name, warnings: [string]}; with export: {params: "
	  "container.create's params, dropped: [string]}" },
	{ .name = "container.inspect", .role = VIEWER, .flags = RO | DK,
	  .params = container_id_params,
	  .summary = "show a container's full configuration and state",
	  .result = "the engine's inspect object" },
	{ .name = "container.kill", .role = OPERATOR, .flags = RW | DK,
	  .params = container_kill_params,
	  .summary = "send a signal to a container's main process",
	  .result = "{id, name}" },
	{ .name = "container.list", .role = VIEWER, .flags = RO | DK,
	  .params = container_list_params,
	  .summary = "list containers (running ones unless all)",
	  .result = "{containers: [{id, name, names, image, image_id, "
	  "command, created, state, status, health, ports, labels, "
	  "mounts: [{name, source, driver}], networks: [string], "
	  "size_rw and size_root_fs if size}]}" },
	{ .name = "container.logs", .role = VIEWER, .flags = RO | DK | ST,
	  .params = container_logs_params, .stream = PROTO_STREAM_OUTPUT,
	  .summary = "stream a container's logs, stdout and stderr apart",
	  .result = "{} once streaming starts; the channel carries STDOUT "
	  "and STDERR frames, then END" },
	{ .name = "container.pause", .role = OPERATOR, .flags = RW | DK,
	  .params = container_id_params,
	  .summary = "freeze a container's processes",
	  .result = "{id, name}" },
	{ .name = "container.prune", .role = ADMIN, .flags = RW | DK,
	  .params = container_prune_params,
	  .summary = "remove stopped containers",
	  .result = "{deleted: [id], reclaimed: bytes}" },
	{ .name = "container.remove", .role = ADMIN, .flags = RW | DK,
	  .params = container_remove_params,
	  .summary = "remove a container",
	  .result = "{id, name}" },
	{ .name = "container.rename", .role = ADMIN, .flags = RW | DK,
	  .params = container_rename_params,
	  .summary = "give a container a new name",
	  .result = "{id, name}" },
	{ .name = "container.restart", .role = OPERATOR, .flags = RW | DK,
	  .params = container_stop_params,
	  .summary = "stop a container, then start it",
	  .result = "{id, name}" },
	{ .name = "container.start", .role = OPERATOR, .flags = RW | DK,
	  .params = container_id_params,
	  .summary = "start a stopped container",
	  .result = "{id, name}" },
	{ .name = "container.statpath", .role = OPERATOR, .flags = RO | DK,
	  .params = container_statpath_params,
	  .summary = "what a path in a container is: type, mode, size",
	  .result = "{name, size, mode, type, mtime, link_target}; type is "
	  "file, dir, symlink or other, mode the permission bits" },
	{ .name = "container.stats", .role = VIEWER, .flags = RO | DK,
	  .params = container_id_params,
	  .summary = "one resource usage sample of a container",
	  .result = "{id, name, cpu_pct, mem_used, mem_limit, mem_pct, "
	  "net_rx, net_tx, blk_read, blk_write, pids, time}" },
	{ .name = "container.stop", .role = OPERATOR, .flags = RW | DK,
	  .params = container_stop_params,
	  .summary = "stop a container: SIGTERM, then SIGKILL after timeout",
	  .result = "{id, name}" },
	{ .name = "container.top", .role = VIEWER, .flags = RO | DK,
	  .params = container_top_params,
	  .summary = "list the processes running in a container",
	  .result = "{titles: [string], processes: [[string]]}" },
	{ .name = "container.unpause", .role = OPERATOR, .flags = RW | DK,
	  .params = container_id_params,
	  .summary = "thaw a paused container",
	  .result = "{id, name}" },
	{ .name = "container.update", .role = ADMIN, .flags = RW | DK,
	  .params = container_update_params,
	  .summary = "change a container's limits and restart policy in place",
	  .result = "{id, name, warnings: [string]}" },
	{ .name = "container.upload", .role = OPERATOR,
	  .flags = RW | DK | ST,
	  .params = container_upload_params, .stream = PROTO_STREAM_OUTPUT,
	  .summary = "unpack a tar into a directory of a container "
	  "(docker cp in)",
	  .result = "{} once the upload starts; the client sends the tar in "
	  "STDIN frames and FIN, the node answers EXIT 0 or ERROR" },
	{ .name = "container.wait", .role = VIEWER, .flags = RO | DK,
	  .params = container_wait_params,
	  .summary = "wait until a container stops; its exit code",
	  .result = "{status_code, error}" },
	{ .name = "docker.run", .role = ADMIN, .flags = RW | ST,
	  .params = docker_run_params, .stream = PROTO_STREAM_OUTPUT,
	  .summary = "run the host's docker CLI with pipes, no terminal",
	  .result = "{pid} once started; the channel carries STDOUT and "
	  "STDERR frames, then EXIT with the CLI's exit code" },
	{ .name = "events.subscribe", .role = VIEWER, .flags = RO | DK | ST,
	  .params = events_subscribe_params, .stream = PROTO_STREAM_EVENTS,
	  .summary = "stream the engine's events",
	  .result = "{} once streaming starts; the channel carries the "
	  "engine's event objects, one per line" },
	{ .name = "exec.run", .role = OPERATOR, .flags = RW | DK | ST,
	  .params = exec_run_params, .stream = PROTO_STREAM_OUTPUT,
	  .summary = "run a command in a container without a terminal",
	  .result = "{exec} once started; the channel carries STDOUT and "
	  "STDERR frames, then EXIT with the exit code" },
	{ .name = "image.history", .role = VIEWER, .flags = RO | DK,
	  .params = image_id_params,
	  .summary = "an image's layers and the steps that made them",
	  .result = "{layers: the engine's history entries, newest first}" },
	{ .name = "image.inspect", .role = VIEWER, .flags = RO | DK,
	  .params = image_id_params,
	  .summary = "show an image's configuration and layers",
	  .result = "the engine's inspect object" },
	{ .name = "image.list", .role = VIEWER, .flags = RO | DK,
	  .params = image_list_params,
	  .summary = "list images",
	  .result = "{images: [{id, tags, digests, size, created, "
	  "containers, parent, labels}]}" },
	{ .name = "image.prune", .role = ADMIN, .flags = RW | DK,
	  .params = image_prune_params,
	  .summary = "remove unused images",
	  .result = "{deleted: [string], untagged: [string], "
	  "reclaimed: bytes}" },
	{ .name = "image.pull", .role = ADMIN, .flags = RW | DK | ST,
	  .params = image_pull_params, .stream = PROTO_STREAM_PULL,
	  .summary = "pull an image, reporting progress per layer",
	  .result = "{} once the pull starts; the channel carries progress "
	  "lines, the last one {\"end\": {id}} or {\"error\": {...}}" },
	{ .name = "image.remove", .role = ADMIN, .flags = RW | DK,
	  .params = image_remove_params,
	  .summary = "remove an image or one of its tags",
	  .result = "{deleted: [string], untagged: [string]}" },
	{ .name = "image.tag", .role = ADMIN, .flags = RW | DK,
	  .params = image_tag_params,
	  .summary = "give an image another name",
	  .result = "{}" },
	{ .name = "key.create", .role = ADMIN, .flags = RW,
	  .params = key_create_params,
	  .summary = "create an access key and the join key that carries it",
	  .result = "{id, name, role, created, last_used, expires, uses, "
	  "used_by, state, labels, join_key} (the join key is shown this "
	  "once)" },
	{ .name = "key.disable", .role = ADMIN, .flags = RW,
	  .params = key_id_params,
	  .summary = "disable an access key: it lets nobody in and its "
	  "connections end (go-away \"key disabled\")",
	  .result = "{id, name, disabled: true}" },
	{ .name = "key.enable", .role = ADMIN, .flags = RW,
	  .params = key_id_params,
	  .summary = "enable a disabled access key again",
	  .result = "{id, name, disabled: false}" },
	{ .name = "key.list", .role = ADMIN, .flags = RO,
	  .params = no_params,
	  .summary = "list the access keys (never their secrets) and the "
	  "revoked client keys",
	  .result = "{keys: [{id, name, role, created, last_used, expires "
	  "(unix seconds, 0 never), uses (0 any), used_by: [client key "
	  "fingerprints bound to it], state (enabled, disabled or "
	  "expired), labels: {K: V}}], revoked_clients: [{id, revoked}]}" },
	{ .name = "key.revoke", .role = ADMIN, .flags = RW,
	  .params = key_revoke_params,
	  .summary = "revoke an access key or a client key; its "
	  "connections end",
	  .result = "{id, name}; for kind client {id, kind, revoked}" },
	{ .name = "key.unrevoke", .role = ADMIN, .flags = RW,
	  .params = key_unrevoke_params,
	  .summary = "take back the revocation of a client key",
	  .result = "{id, kind}" },
	{ .name = "logs.select", .role = VIEWER, .flags = RO | DK | ST,
	  .params = logs_select_params, .stream = PROTO_STREAM_LOGS,
	  .summary = "stream the logs of many containers as one, merged by "
	  "time and filtered on the node",
	  .result = "{containers: [{id, name}]} once streaming starts; the "
	  "channel carries {t, c, s, l} lines, join, leave and engine "
	  "lines, then an end line" },
	{ .name = "network.connect", .role = ADMIN, .flags = RW | DK,
	  .params = network_connect_params,
	  .summary = "attach a container to a network",
	  .result = "{id}" },
	{ .name = "network.create", .role = ADMIN, .flags = RW | DK,
	  .params = network_create_params,
	  .summary = "create a network",
	  .result = "{id, warning}" },
	{ .name = "network.disconnect", .role = ADMIN, .flags = RW | DK,
	  .params = network_disconnect_params,
	  .summary = "detach a container from a network",
	  .result = "{id}" },
	{ .name = "network.inspect", .role = VIEWER, .flags = RO | DK,
	  .params = network_id_params,
	  .summary = "show a network's configuration and containers",
	  .result = "the engine's inspect object" },
	{ .name = "network.list", .role = VIEWER, .flags = RO | DK,
	  .params = network_list_params,
	  .summary = "list networks",
	  .result = "{networks: [{id, name, driver, scope, internal, ipv6, "
	  "created, labels}]}" },
	{ .name = "network.prune", .role = ADMIN, .flags = RW | DK,
	  .params = network_prune_params,
	  .summary = "remove networks no container uses",
	  .result = "{deleted: [name]}" },
	{ .name = "network.remove", .role = ADMIN, .flags = RW | DK,
	  .params = network_id_params,
	  .summary = "remove a network",
	  .result = "{id}" },
	{ .name = "node.info", .role = VIEWER, .flags = RO,
	  .params = no_params,
	  .summary = "the node, its host and its Docker engine",
	  .result = "{version, proto, key, started, uptime, requests, access: "
	  "{key, role} (the caller's access key and its role), host: "
	  "{name, cpus, memory, load: {memory_free, load1}}, docker: "
	  "{version, api, os, kernel, name, "
	  "cpus, memory} or null, containers: {total, running, paused, "
	  "stopped} or null, images, docker_error (when docker is null), "
	  "model: {state (off, building, ready), containers, events, "
	  "refreshes, lists, rebuilds, checks, mismatches, answered, waited, "
	  "forwarded}: the node's model of the engine's containers, or null "
	  "before the first Docker request}" },
	{ .name = "node.reach", .role = VIEWER, .flags = RO,
	  .params = no_params,
	  .summary = "how the node can be reached: listeners, port mapping, "
	  "relay links, relaying for others",
	  .result = "{listen: [addr], public: the address a relay sees or "
	  "null, mapping: {state, protocol, gateway, internal_port, "
	  "public_ip, public_port, lease_s, expires_s, verified (null: not "
	  "tried), error} or null, mapped: the verified public ip:port or "
	  "null, relays: [{name, address, state (connecting, up, down), "
	  "observed, since, error}], relaying: {links, splices, spliced, "
	  "unknown, refused}, relayed: {live, total, moved (relayed "
	  "connections that moved to a punched path)}, dht: {port, state "
	  "(resolving, read-only, full), nodes, good, external, symmetric, "
	  "reachable, announced, packets_in, packets_out, bytes_in, "
	  "bytes_out} or null (no DHT node)}" },
	{ .name = "path.punch", .role = VIEWER, .flags = RO,
	  .params = path_punch_params,
	  .summary = "a client on a relay asks for a direct path: a move "
	  "token, the node's addresses to connect to, and the node connects "
	  "to the client's from its listen port",
	  .result = "{token: 32 bytes in hex, good once for 30 s, "
	  "addresses: [KIND+ip:port] of the node, best first (punch+ where "
	  "its NAT is in the way, map+ its mapped port, lan+ a private "
	  "address of its host, none a public one), punching: [ip:port] "
	  "the node connects to for the next 10 s, timeout_ms: how long the "
	  "client should keep connecting}; error wrong_state when the "
	  "connection did not come through a relay or moved already, "
	  "unreachable when the node has no IPv4 listen address" },
	{ .name = "relay.announce", .role = RELAY, .flags = RO,
	  .params = relay_announce_params,
	  .summary = "relay links only: announce the linked node's relay "
	  "hashes on the DHT from this node's address, for 20 minutes; "
	  "they replace what the link gave before",
	  .result = "{announced: how many}; error wrong_state when this "
	  "node runs without the DHT, busy when its table (256) is full" },
	{ .name = "relay.dialback", .role = RELAY, .flags = RO,
	  .params = relay_dialback_params,
	  .summary = "relay links only: connect to address and check that "
	  "the caller answers the probe token there",
	  .result = "{address, rtt_ms}; error unreachable when nothing "
	  "or the wrong node answers" },
	{ .name = "relay.hello", .role = RELAY, .flags = RO,
	  .params = no_params,
	  .summary = "relay links only: the link's address as the relay "
	  "sees it, and the relay's limits",
	  .result = "{observed, limits: {splices, per_target, per_source, "
	  "max_bytes, max_secs, idle_secs}}" },
	{ .name = "service.list", .role = VIEWER, .flags = RO | DK,
	  .params = no_params,
	  .summary = "list the swarm's services with their replicas (a "
	  "manager node)",
	  .result = "{services: [{id, name, mode, running, desired, image, "
	  "stack, ports}]}; wrong_state when the engine is no manager" },
	{ .name = "session.attach", .role = OPERATOR, .flags = RW | ST,
	  .params = session_attach_params, .stream = PROTO_STREAM_TERMINAL,
	  .summary = "join a terminal session: a repaint, then the live "
	  "stream",
	  .result = "{session, target, cmd}; the channel carries the "
	  "terminal" },
	{ .name = "session.kill", .role = OPERATOR, .flags = RW,
	  .params = session_id_params,
	  .summary = "end a terminal session and its process",
	  .result = "{session}" },
	{ .name = "session.list", .role = OPERATOR, .flags = RO,
	  .params = no_params,
	  .summary = "list the node's terminal sessions",
	  .result = "{sessions: [{id, kind, target, cmd, started, viewers, "
	  "idle, running, rows, cols}]}" },
	{ .name = "session.open", .role = OPERATOR, .flags = RW | DK | ST,
	  .params = session_open_params, .stream = PROTO_STREAM_TERMINAL,
	  .summary = "start a terminal session (kind docker needs admin) "
	  "and attach to it",
	  .result = "{session, cmd}; the channel carries the terminal" },
	{ .name = "session.resize", .role = OPERATOR, .flags = 0,
	  .params = session_resize_params,
	  .summary = "set a session's terminal size (as a RESIZE frame does)",
	  .result = "{session}" },
	{ .name = "stack.down", .role = ADMIN, .flags = RW | ST,
	  .params = stack_down_params, .stream = PROTO_STREAM_OUTPUT,
	  .summary = "stop and remove a stack (compose down, or docker "
	  "stack rm for a swarm stack)",
	  .result = "{name, command, pid} once compose runs; the channel "
	  "carries its STDOUT and STDERR, then EXIT" },
	{ .name = "stack.list", .role = VIEWER, .flags = RO | DK,
	  .params = no_params,
	  .summary = "list the stacks on the node: compose projects, swarm "
	  "stacks and stored ones",
	  .result = "{stacks: [{name, type, services, running, total, "
	  "status, stored, working_dir}]}" },
	{ .name = "stack.ps", .role = VIEWER, .flags = RO | DK,
	  .params = stack_ps_params,
	  .summary = "list a stack's containers",
	  .result = "{containers: [{id, name, type (compose or swarm), "
	  "service, image, state, status, ports}]}" },
	{ .name = "stack.pull", .role = ADMIN, .flags = RW | ST,
	  .params = stack_up_params, .stream = PROTO_STREAM_OUTPUT,
	  .summary = "pull a stack's images (compose pull), storing files "
	  "first if given",
	  .result = "as stack.up" },
	{ .name = "stack.restart", .role = ADMIN, .flags = RW | ST,
	  .params = stack_name_params, .stream = PROTO_STREAM_OUTPUT,
	  .summary = "restart a stack's containers (compose restart)",
	  .result = "as stack.up" },
	{ .name = "stack.up", .role = ADMIN, .flags = RW | ST,
	  .params = stack_up_params, .stream = PROTO_STREAM_OUTPUT,
	  .summary = "store a stack's files and run compose up (or docker "
	  "stack deploy) on them",
	  .result = "{name, command, pid} once compose runs; the channel "
	  "carries its STDOUT and STDERR, then EXIT with its code; a reset "
	  "stops it, a FIN or a lost connection leaves it running" },
	{ .name = "stats.subscribe", .role = VIEWER, .flags = RO | DK | ST,
	  .params = stats_subscribe_params, .stream = PROTO_STREAM_STATS,
	  .summary = "stream resource usage of many containers at once",
	  .result = "{} once streaming starts; the channel carries one line "
	  "per container per interval: container.stats' object" },
	{ .name = "system.df", .role = VIEWER, .flags = RO | DK,
	  .params = no_params,
	  .summary = "disk usage of images, containers, volumes and the "
	  "build cache",
	  .result = "the engine's /system/df object" },
	{ .name = "volume.backup", .role = ADMIN, .flags = RW | DK | ST,
	  .params = volume_backup_params, .stream = PROTO_STREAM_OUTPUT,
	  .summary = "a tar of a volume's contents (nothing is run)",
	  .result = "{volume} once the tar starts; the channel carries it in "
	  "STDOUT frames, then END" },
	{ .name = "volume.create", .role = ADMIN, .flags = RW | DK,
	  .params = volume_create_params,
	  .summary = "create a volume",
	  .result = "{name, driver, mountpoint}" },
	{ .name = "volume.list", .role = VIEWER, .flags = RO | DK,
	  .params = volume_list_params,
	  .summary = "list volumes",
	  .result = "{volumes: [{name, driver, mountpoint, created, scope, "
	  "labels}]}" },
	{ .name = "volume.prune", .role = ADMIN, .flags = RW | DK,
	  .params = volume_prune_params,
	  .summary = "remove volumes no container uses",
	  .result = "{deleted: [string], reclaimed: bytes}" },
	{ .name = "volume.remove", .role = ADMIN, .flags = RW | DK,
	  .params = volume_remove_params,
	  .summary = "remove a volume",
	  .result = "{name}" },
	{ .name = "volume.restore", .role = ADMIN, .flags = RW | DK | ST,
	  .params = volume_restore_params, .stream = PROTO_STREAM_OUTPUT,
	  .summary = "unpack a tar into a new or empty volume (nothing is run)",
	  .result = "{} once the upload starts; the client sends the tar in "
	  "STDIN frames and FIN, the node answers EXIT 0 or ERROR" },
};

/* The number of entries in proto_methods. */
const size_t proto_nmethods = sizeof proto_methods / sizeof proto_methods[0];

/* Compares a name with a method, for bsearch. */
static int
proto_method_cmp(const void *key, const void *elem)
{
	const struct proto_method *m = elem;

	return (strcmp(key, m->name));
}

/* The method called name, or NULL. */
const struct proto_method *
proto_method_find(const char *name)
{
	if (name == NULL)
		return (NULL);
	return (bsearch(name, proto_methods, proto_nmethods,
	    sizeof proto_methods[0], proto_method_cmp));
}

/*
 * The first field whose chosen value needs more than role: sets *f and
 * *value, or returns 0 if role is enough for every choice made.
 */
static int
proto_choice_denied(const struct proto_method *meth, const json_t *params,
    enum proto_role role, const struct proto_field **f, const char **value)
{
	const struct proto_field *p;
	const char *v;
	size_t i;

	for (p = meth->params; p->name != NULL; p++) {
		if (p->choice_roles == NULL)
			continue;
		v = proto_param_str(params, p->name, NULL);
		for (i = 0; v != NULL && p->choices[i] != NULL; i++) {
			if (strcmp(v, p->choices[i]) != 0)
				continue;
			if (proto_role_allows((int)role, p->choice_roles[i]))
				break;
			*f = p;
			*value = p->choices[i];
			return (p->choice_roles[i]);
		}
	}
	return (0);
}

/* Everything checked before a handler runs: method, role, params. */
int
proto_request_check(const struct proto_msg *m, enum proto_role role,
    const struct proto_method **mp, json_t **reply)
{
	const struct proto_method *meth;
	const struct proto_field *f = NULL;
	const char *value = NULL;
	json_t *data = NULL;
	char *cause = NULL;
	int code, need;

	*mp = NULL;
	*reply = NULL;
	meth = proto_method_find(m->method);
	if (meth == NULL) {
		code = PROTO_E_NOMETHOD;
		cause = proto_xasprintf("no such method: %.128s", m->method);
		goto fail;
	}
	need = (int)meth->role;
	if (proto_role_allows((int)role, need)) {
		code = proto_params_check(meth->params, m->params, &cause);
		if (code != 0)
			goto fail;
		need = proto_choice_denied(meth, m->params, role, &f, &value);
		if (need == 0) {
			*mp = meth;
			return (0);
		}
	}
	code = PROTO_E_FORBIDDEN;
	if (f == NULL)
		cause = proto_xasprintf("%s needs the %s role; this key is %s",
		    meth->name, proto_role_name(need), proto_role_name(role));
	else
		cause = proto_xasprintf("%s with %s \"%s\" needs the %s role; "
		    "this key is %s", meth->name, f->name, value,
		    proto_role_name(need), proto_role_name(role));
	data = json_pack("{s:s, s:s}", "role", proto_role_name(need), "have",
	    proto_role_name(role));
fail:
	if (m->kind == PROTO_REQUEST)
		*reply = proto_error_new(m->id, code, cause, data);
	else
		json_decref(data);
	free(cause);
	return (code);
}
