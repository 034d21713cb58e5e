/*
 * `pier run NODE [OPTIONS] IMAGE [CMD...]`: create a container on a node
 * and start it, with docker run's options; it runs detached and prints
 * the new container's id (follow it with `pier logs -f`), unless -i or
 * -t without -d attach to it as docker run -it does (run-attach.c). When
 * the image is not on the node (container.create does not pull), it is
 * pulled with `pier pull`'s progress on stderr, as docker run does, and
 * the create is tried once more; --pull never leaves that out.
 *
 * `pier dup NODE/CONTAINER [OPTIONS]`: a copy of a container's
 * configuration with overrides, started if the source runs;
 * prints the copy's name. With --to NODE2 the copy is made on NODE2.
 *
 * Options are read as docker reads them, with the parsers the client
 * shares: sizes and CPUs from cli-out.h, ports and volumes from
 * templates.h. Options go before or after NODE and stop at IMAGE, so
 * the command keeps its own, as docker run's do.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "cli.h"
#include "cli-out.h"
#include "templates.h"

#define RUN_ENV_LINE_MAX	8192	/* longest --env-file line */

static int	run_main(const struct cli_cmd *, int, char **);
static int	dup_main(const struct cli_cmd *, int, char **);

extern const struct cli_cmd cli_cmd_pull;

/* run_opts in order: run_apply picks what each does by its index. */
enum run_opt {
	RUN_DETACH, RUN_NAME, RUN_PUBLISH, RUN_VOLUME, RUN_ENV, RUN_ENV_FILE,
	RUN_LABEL, RUN_RESTART, RUN_CPUS, RUN_MEMORY, RUN_HOSTNAME,
	RUN_NETWORK, RUN_ENTRYPOINT, RUN_WORKDIR, RUN_USER, RUN_INTERACTIVE,
	RUN_TTY, RUN_PRIVILEGED, RUN_PULL, RUN_ON,
};

/* The run flags that only set a param of container.create. */
#define RUN_FLAG(n, l, p, h)						\
	{ .name = (n), .letter = (l), .param = (p), .help = (h) }
#define RUN_LIST(n, a, p, h)						\
	{ .name = (n), .arg = (a), .kind = CLI_K_LIST, .param = (p),	\
	  .help = h " (repeatable)" }
#define RUN_TEXT(n, a, p, h)						\
	{ .name = (n), .arg = (a), .kind = CLI_K_TEXT, .param = (p),	\
	  .help = (h) }

static const struct cli_opt run_opts[] = {
	[RUN_DETACH] = { .name = "detach", .letter = 'd',
	  .help = "print the id and leave it running (the\n"
	  "default; with -i or -t: do not attach)" },
	[RUN_NAME] = { .name = "name", .arg = "NAME", .kind = CLI_K_TEXT,
	  .param = "name", .help = "the container's name" },
	[RUN_PUBLISH] = { .name = "publish", .letter = 'p',
	  .arg = "[[IP:]HOST:]CTR[/PROTO]", .kind = CLI_K_ARG,
	  .help = "publish a port" },
	[RUN_VOLUME] = { .name = "volume", .letter = 'v',
	  .arg = "SRC:DST[:ro] | DST", .kind = CLI_K_ARG,
	  .help = "bind, named or anonymous volume" },
	[RUN_ENV] = { .name = "env", .letter = 'e', .arg = "K=V",
	  .kind = CLI_K_ARG, .help = "set a variable (K alone: from here)" },
	[RUN_ENV_FILE] = { .name = "env-file", .arg = "FILE",
	  .kind = CLI_K_ARG,
	  .help = "variables from a file, K=V per line (docker's rules)" },
	[RUN_LABEL] = { .name = "label", .letter = 'l', .arg = "K=V",
	  .kind = CLI_K_ARG, .help = "set a label" },
	[RUN_RESTART] = { .name = "restart", .arg = "POLICY",
	  .kind = CLI_K_RESTART, .param = "restart",
	  .help = "no, always, unless-stopped, on-failure[:N]" },
	[RUN_CPUS] = { .name = "cpus", .arg = "N", .kind = CLI_K_CPUS,
	  .param = "cpus", .help = "CPU limit, fractions allowed" },
	[RUN_MEMORY] = { .name = "memory", .letter = 'm', .arg = "SIZE",
	  .kind = CLI_K_SIZE, .param = "memory",
	  .help = "memory limit: 512m, 1g, ..." },
	[RUN_HOSTNAME] = { .name = "hostname", .letter = 'h', .arg = "H",
	  .kind = CLI_K_TEXT, .param = "hostname",
	  .help = "the container's hostname" },
	[RUN_NETWORK] = { .name = "network", .arg = "MODE", .kind = CLI_K_TEXT,
	  .param = "network",
	  .help = "bridge, host, none, container:NAME or a network" },
	[RUN_ENTRYPOINT] = { .name = "entrypoint", .arg = "CMD",
	  .kind = CLI_K_ARG, .help = "override the image's entrypoint" },
	[RUN_WORKDIR] = { .name = "workdir", .letter = 'w', .arg = "DIR",
	  .kind = CLI_K_TEXT, .param = "workdir",
	  .help = "working directory" },
	[RUN_USER] = { .name = "user", .letter = 'u', .arg = "USER",
	  .kind = CLI_K_TEXT, .param = "user",
	  .help = "user[:group] to run as" },
	[RUN_INTERACTIVE] = { .name = "interactive", .letter = 'i',
	  .param = "stdin", .help = "keep stdin open; without -d, attach "
	  "pier's\n(its end closes the container's stdin)" },
	[RUN_TTY] = { .name = "tty", .letter = 't', .param = "tty",
	  .help = "allocate a TTY; without -d, attach this\nterminal "
	  "(-it: stdin too; ~. detaches)" },
	[RUN_PRIVILEGED] = { .name = "privileged", .param = "privileged",
	  .help = "every capability and device" },
	[RUN_PULL] = { .name = "pull", .arg = "missing|never",
	  .kind = CLI_K_ARG, .help = "pull the image when the node lacks it "
	  "(default),\nor fail" },
	[RUN_ON] = { .name = "on", .arg = "NODE|any", .kind = CLI_K_ARG,
	  .help = "the node, instead of NODE before the options;\n"
	  "any: the joined node with the most free memory" },
	RUN_FLAG("rm", 0, "remove", "the node's engine removes it once it "
	    "exits"),
	RUN_FLAG("publish-all", 'P', "publish_all", "publish every exposed "
	    "port on a free host port"),
	RUN_LIST("cap-add", "CAP", "cap_add", "add a capability"),
	RUN_LIST("cap-drop", "CAP", "cap_drop", "drop a capability"),
	RUN_LIST("device", "HOST[:CTR[:rwm]]", "devices", "add a host "
	    "device"),
	RUN_LIST("mount", "type=T,source=S,target=D", "mount_specs",
	    "a bind, volume or tmpfs mount"),
	RUN_TEXT("gpus", "all|N", "gpus", "GPUs to add"),
	RUN_LIST("dns", "IP", "dns", "a DNS server"),
	RUN_LIST("add-host", "HOST:IP", "add_hosts", "an /etc/hosts line"),
	RUN_TEXT("log-driver", "DRIVER", "log_driver", "logging driver"),
	{ .name = "log-opt", .arg = "K=V", .kind = CLI_K_MAP_EQ,
	  .param = "log_opts", .help = "a logging driver option" },
	RUN_FLAG("init", 0, "init", "an init as PID 1"),
	RUN_FLAG("read-only", 0, "read_only", "a read-only root "
	    "filesystem"),
	{ .name = "pids-limit", .arg = "N", .kind = CLI_K_INT,
	  .param = "pids_limit", .unit = "a count",
	  .help = "most processes (-1: no limit)" },
	{ .name = "shm-size", .arg = "SIZE", .kind = CLI_K_SIZE,
	  .param = "shm_size", .help = "size of /dev/shm" },
	RUN_TEXT("stop-signal", "SIG", "stop_signal", "signal that stops "
	    "it"),
	{ .name = "stop-timeout", .arg = "SECS", .kind = CLI_K_INT,
	  .param = "stop_timeout", .unit = "seconds",
	  .help = "seconds before SIGKILL on stop" },
	RUN_LIST("security-opt", "OPT", "security_opts", "a security "
	    "option"),
	RUN_LIST("tmpfs", "PATH[:OPTS]", "tmpfs", "a tmpfs mount"),
	RUN_LIST("ulimit", "NAME=SOFT[:HARD]", "ulimits", "a ulimit"),
	RUN_TEXT("health-cmd", "CMD", "health_cmd", "health check "
	    "command"),
	{ .name = "health-interval", .arg = "DUR", .kind = CLI_K_DURATION,
	  .param = "health_interval", .help = "time between checks" },
	{ .name = "health-timeout", .arg = "DUR", .kind = CLI_K_DURATION,
	  .param = "health_timeout", .help = "time a check may take" },
	{ .name = "health-retries", .arg = "N", .kind = CLI_K_INT,
	  .param = "health_retries", .unit = "a count",
	  .help = "failures that make it unhealthy" },
	RUN_FLAG("no-healthcheck", 0, "no_healthcheck", "disable the "
	    "image's health check"),
	RUN_TEXT("platform", "OS/ARCH", "platform", "the platform of the "
	    "image to run"),
	{ .name = NULL }
};

const struct cli_cmd cli_cmd_run = {
	.name = "run",
	.main = run_main,
	.method = "container.create",
	.role = PROTO_ROLE_ADMIN,
	.opts = run_opts,
	.flags = CLI_F_ORDER,
	.args_before = 1,
	.args_min = 2,
	.args_max = -1,
	.usage = "NODE|any [OPTIONS] IMAGE [CMD...]\n"
	    "       pier run --on NODE|any [OPTIONS] IMAGE [CMD...]",
	.summary = "create and start a container on a node; prints its id",
	.help = "",
};

static const struct cli_opt dup_opts[] = {
	{ .name = "name", .arg = "NAME", .kind = CLI_K_TEXT, .param = "name",
	  .help = "the copy's name (default NAME-copy, else NAME-copy-N)" },
	{ .name = "cpus", .arg = "N", .kind = CLI_K_CPUS, .param = "cpus",
	  .help = "CPU limit of the copy" },
	{ .name = "memory", .letter = 'm', .arg = "SIZE", .kind = CLI_K_SIZE,
	  .param = "memory", .help = "memory limit of the copy" },
	{ .name = "network", .arg = "MODE", .kind = CLI_K_TEXT,
	  .param = "network", .help = "the copy's network" },
	{ .name = "hostname", .arg = "H", .kind = CLI_K_TEXT,
	  .param = "hostname", .help = "the copy's hostname" },
	{ .name = "env", .letter = 'e', .arg = "K=V", .kind = CLI_K_ARG,
	  .help = "add or replace a variable" },
	{ .name = "publish", .letter = 'p', .arg = "[[IP:]HOST:]CTR[/PROTO]",
	  .kind = CLI_K_ARG,
	  .help = "publish a port; any -p replaces the source's" },
	{ .name = "volume", .letter = 'v', .arg = "SRC:DST[:ro] | DST",
	  .kind = CLI_K_ARG, .help = "a mount, replacing the source's at DST" },
	{ .name = "label", .letter = 'l', .arg = "K=V", .kind = CLI_K_ARG,
	  .help = "add or replace a label" },
	{ .name = "no-start",
	  .help = "leave the copy created, even if the source runs" },
	{ .name = "to", .arg = "NODE", .kind = CLI_K_ARG,
	  .help = "make the copy on another node (its image pulled\n"
	  "there first when missing; default name: the source's)" },
	{ .name = NULL }
};

const struct cli_cmd cli_cmd_dup = {
	.name = "dup",
	.main = dup_main,
	.method = "container.duplicate",
	.role = PROTO_ROLE_ADMIN,
	.opts = dup_opts,
	.args_min = 1,
	.args_max = 1,
	.usage = "NODE/CONTAINER [--name NAME] [--cpus N] [--memory SIZE] "
	    "[--network MODE] [--hostname H] [-e K=V]... [-p PORT]... "
	    "[-v VOL]... [-l K=V]... [--no-start] [--to NODE]",
	.summary = "duplicate a container's configuration with overrides",
	.help = "",
};

/* Appends a string to the array params[key], made on first use. */
static int
push(json_t *params, const char *key, json_t *v)
{
	json_t	*a = json_object_get(params, key);	/* borrowed */

	if (v == NULL)
		return (-ENOMEM);
	if (a == NULL) {
		a = json_array();
		if (json_object_set_new(params, key, a) != 0) {
			json_decref(v);
			return (-ENOMEM);
		}
	}
	return (json_array_append_new(a, v) == 0 ? 0 : -ENOMEM);
}

/* Adds K=V (or K from the environment, if set) to env. */
static int
push_env(json_t *params, const char *kv)
{
	const char	*v;
	char		*s;
	int		 err;

	if (strchr(kv, '=') != NULL)
		return (push(params, "env", json_string(kv)));
	v = getenv(kv);
	if (v == NULL)
		return (0);
	if (asprintf(&s, "%s=%s", kv, v) < 0)
		return (-ENOMEM);
	err = push(params, "env", json_string(s));
	free(s);
	return (err);
}

/*
 * Reads an env file by docker's rules (docker run --env-file): leading
 * blanks dropped, blank lines and '#' lines skipped, a UTF-8 BOM dropped
 * from the first line; KEY=VALUE passes the value through as it is (no
 * quotes removed, no blanks trimmed), KEY alone takes the value from the
 * environment or is left out; a key with a blank in it is refused, as
 * docker refuses it ("export C=3" is not a variable "export C").
 */
static int
env_file(json_t *params, const char *path, char **cause)
{
	FILE		*fp;
	char		 buf[RUN_ENV_LINE_MAX], *line;
	const char	*eq;
	size_t		 len, no = 0;
	int		 err = 0;

	fp = fopen(path, "r");
	if (fp == NULL)
		return (cli__error(cause, -errno, "--env-file %s: %s", path,
		    strerror(errno)));
	while (err == 0 && fgets(buf, sizeof(buf), fp) != NULL) {
		no++;
		len = strlen(buf);
		if (len > 0 && buf[len - 1] != '\n' && !feof(fp)) {
			err = cli__error(cause, -EINVAL, "--env-file %s:%zu: "
			    "line too long", path, no);
			break;
		}
		if (len > 0 && buf[len - 1] == '\n')
			buf[--len] = '\0';
		if (len > 0 && buf[len - 1] == '\r')
			buf[--len] = '\0';
		line = buf;
		if (no == 1 && strncmp(line, "\xef\xbb\xbf", 3) == 0)
			line += 3;
		line += strspn(line, " \t\n\v\f\r");
		if (line[0] == '\0' || line[0] == '#')
			continue;
		eq = strchr(line, '=');
		len = eq != NULL ? (size_t)(eq - line) : strlen(line);
		if (len == 0)
			err = cli__error(cause, -EINVAL, "--env-file %s:%zu: "
			    "no variable name on line '%s'", path, no, line);
		else if (strcspn(line, " \t") < len)
			err = cli__error(cause, -EINVAL, "--env-file %s:%zu: "
			    "variable '%.*s' contains whitespaces", path, no,
			    (int)len, line);
		else if (push_env(params, line) != 0)
			err = cli__error(cause, -EINVAL, "--env-file %s:%zu: "
			    "not valid UTF-8", path, no);
	}
	fclose(fp);
	return (err);
}

/* -p: one element of ports. */
static int
set_port(json_t *params, const char *s, char **cause)
{
	struct cli_tpl_port	 p;
	json_t			*o;	/* owned */
	int			 err;

	err = cli_tpl_parse_port(s, &p, cause);
	if (err != 0)
		return (err);
	o = json_pack("{s:i, s:s}", "container_port", (int)p.container,
	    "protocol", p.proto);
	if (o != NULL && p.host > 0)
		(void)json_object_set_new(o, "host_port", json_integer(p.host));
	if (o != NULL && p.host_ip[0] != '\0')
		(void)json_object_set_new(o, "host_ip",
		    json_string(p.host_ip));
	return (push(params, "ports", o));
}

/* -v: one element of mounts. */
static int
set_volume(json_t *params, const char *s, char **cause)
{
	json_t	*o;	/* owned */
	char	*src, *dst;
	int	 ro, err;

	err = cli_tpl_parse_volume(s, &src, &dst, &ro, cause);
	if (err != 0)
		return (err);
	o = json_pack("{s:s, s:b}", "target", dst, "read_only", ro);
	if (o != NULL && src != NULL)
		(void)json_object_set_new(o, "source", json_string(src));
	free(src);
	free(dst);
	return (push(params, "mounts", o));
}

/* -l: one label. */
static int
set_label(json_t *params, const char *s)
{
	json_t		*l = json_object_get(params, "labels");
	const char	*eq = strchr(s, '=');
	char		*k;
	int		 err;

	if (l == NULL) {
		l = json_object();
		if (json_object_set_new(params, "labels", l) != 0)
			return (-ENOMEM);
	}
	k = strndup(s, eq != NULL ? (size_t)(eq - s) : strlen(s));
	if (k == NULL)
		return (-ENOMEM);
	err = json_object_set_new(l, k, json_string(eq != NULL ? eq + 1 :
	    ""));
	free(k);
	return (err == 0 ? 0 : -ENOMEM);
}

/*
 * Calls a create-like method on node and prints field of the result, or
 * keeps it in out (of len bytes) when out is not NULL. With missing not
 * NULL, an image the node lacks sets *missing and prints nothing;
 * params are not stolen then.
 */
static int
call_print(const struct cli_cmd *self, const char *node, const char *method,
    json_t *params, const char *field, int *missing, char *out, size_t len)
{
	struct cli_link		 l;
	struct cli_rpc_error	 e;
	const json_t		*w;
	json_t			*res = NULL;	/* owned */
	size_t			 i;
	int			 rc = CLI_EXIT_FAIL;

	memset(&e, 0, sizeof(e));
	if (missing != NULL)
		json_incref(params);	/* the caller keeps its own */
	if (cli_link_open(self, &l, node) != CLI_EXIT_OK) {
		json_decref(params);
		return (CLI_EXIT_FAIL);
	}
	/* The error is looked at before it is printed: no cli_link_call. */
	if (cli_rpc_call(l.r, method, params, 0, &res, &e) != 0) {
		if (missing != NULL && e.code == PROTO_E_NOTFOUND &&
		    e.message != NULL && strncmp(e.message, "image ", 6) == 0 &&
		    strstr(e.message, "pull it first") != NULL)
			*missing = 1;
		else
			rc = cli_rpc_fail(self, cli_rpc_node(l.r), &e);
		goto out;
	}
	w = json_object_get(res, "warnings");
	for (i = 0; i < json_array_size(w); i++)
		fprintf(stderr, "WARNING: %s\n",
		    json_string_value(json_array_get(w, i)));
	if (out != NULL)
		snprintf(out, len, "%s", json_string_value(json_object_get(res,
		    field)));
	else
		printf("%s\n", json_string_value(json_object_get(res, field)));
	rc = CLI_EXIT_OK;
out:
	json_decref(res);
	cli_rpc_error_clear(&e);
	cli_link_close(&l);
	return (rc);
}

/*
 * container.create on node with params p (stolen), printing field (or
 * keeping it in out); with pull, an image the node lacks is pulled with
 * progress on stderr and the create tried once more.
 */
static int
create_pulling(const struct cli_cmd *self, const char *node, json_t *p,
    int pull, const char *field, char *out, size_t len)
{
	const char	*image = json_string_value(json_object_get(p, "image"));
	int		 missing = 0, rc;

	rc = call_print(self, node, "container.create", p, field, pull ?
	    &missing : NULL, out, len);
	if (missing) {
		rc = cli_pull_missing(self, node, image);
		if (rc == CLI_EXIT_OK)
			rc = call_print(self, node, "container.create",
			    json_incref(p), field, NULL, out, len);
	}
	if (pull)
		json_decref(p);
	return (rc);
}

/* Applies one option run reads itself (ports, volumes, env...). */
static int
run_apply(json_t *p, enum run_opt o, const char *arg, int *pull,
    char **cause)
{
	switch (o) {
	case RUN_PUBLISH:
		return (set_port(p, arg, cause));
	case RUN_VOLUME:
		return (set_volume(p, arg, cause));
	case RUN_ENV:
		return (push_env(p, arg));
	case RUN_ENV_FILE:
		return (env_file(p, arg, cause));
	case RUN_LABEL:
		return (set_label(p, arg));
	case RUN_ENTRYPOINT:
		return (push(p, "entrypoint", json_string(arg)));
	case RUN_PULL:
		*pull = strcmp(arg, "never") != 0;
		if (strcmp(arg, "missing") != 0 && *pull)
			return (cli__error(cause, -EINVAL, "--pull: expected "
			    "missing or never, not %s", arg));
		return (0);
	default:
		return (0);	/* the parser set its param */
	}
}

/*
 * `pier run any ...`: the joined node with the most free memory takes
 * the container, CPUs left idle (CPUs less the 1-minute load) breaking
 * a tie within 5%; the choice and why go to stderr. Nodes that do not
 * answer are left out. *node is the chosen node's name (into buf).
 */
static int
run_pick(const struct cli_cmd *self, char *buf, size_t len)
{
	struct cli_ctx		 x;
	struct cli_multi	*m = NULL;
	const json_t		*h;
	char			*cause = NULL, mem[CLI_HUMAN_LEN];
	double			 free_b, idle, best_free = -1, best_idle = 0;
	size_t			 n = 0, i, best = 0;
	int			 rc = CLI_EXIT_FAIL;

	if (cli_ctx_open(&x, &cause) != 0 || cli_rpc_multi(&x, NULL, 0,
	    "node.info", NULL, 0, &m, &n, &cause) != 0) {
		cli_fail(self, NULL, cause, "failed");
		free(cause);
		cli_ctx_close(&x);
		return (CLI_EXIT_FAIL);
	}
	for (i = 0; i < n; i++) {
		h = json_object_get(m[i].result, "host");
		if (m[i].status != 0 || json_object_get(m[i].result,
		    "docker") == NULL || json_is_null(json_object_get(
		    m[i].result, "docker"))) {
			fprintf(stderr, "pier run: %s: left out (%s)\n",
			    m[i].node, m[i].status != 0 ? "no answer" :
			    "no Docker");
			continue;
		}
		free_b = (double)json_integer_value(json_object_get(
		    json_object_get(h, "load"), "memory_free"));
		idle = (double)json_integer_value(json_object_get(h, "cpus")) -
		    json_number_value(json_object_get(json_object_get(h,
		    "load"), "load1"));
		if (best_free < 0 || free_b > best_free * 1.05 ||
		    (free_b >= best_free * 0.95 && idle > best_idle)) {
			best = i;
			best_free = free_b;
			best_idle = idle;
		}
	}
	if (best_free >= 0) {
		snprintf(buf, len, "%s", m[best].node);
		fprintf(stderr, "pier run: on %s: the most free memory (%s) "
		    "and %.1f CPUs idle, of %zu node%s\n", buf,
		    cli_human_size(mem, best_free, 3), best_idle > 0 ?
		    best_idle : 0.0, n, n == 1 ? "" : "s");
		rc = CLI_EXIT_OK;
	} else
		cli_error(self, "any: no joined node answered with Docker");
	cli_multi_free(m, n);
	cli_ctx_close(&x);
	return (rc);
}

/*
 * Reads run's command line: NODE first, or --on NODE among the options
 * before IMAGE (docker users reach for a flag). The options up to the
 * first argument are read first; without --on there, the line is read
 * again with NODE in front. *on is 1 when a.argv starts at IMAGE.
 */
static int
run_parse(const struct cli_cmd *self, int argc, char **argv,
    struct cli_args *a, int *on)
{
	struct cli_cmd	 head = *self;
	int		 rc;

	*on = 0;
	head.args_before = 0;
	head.args_min = 1;
	rc = cli_args_parse(&head, argc, argv, a);
	if (rc >= 0 || cli_args_get(self, a, "on") != NULL) {
		*on = 1;
		return (rc);
	}
	cli_args_free(a);
	rc = cli_args_parse(self, argc, argv, a);
	if (rc < 0 && cli_args_get(self, a, "on") != NULL)
		return (cli_usage_error(self, "--on %s and NODE %s: give the "
		    "node once", cli_args_get(self, a, "on"), a->argv[0]));
	return (rc);
}

/* `pier run NODE [OPTIONS] IMAGE [CMD...]`. */
static int
run_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_args	 a;
	json_t		*p;	/* owned */
	const char	*node, *image;
	char		*cause = NULL, pick[CLI_NAME_MAX + 1], id[128];
	size_t		 k;
	int		 err = 0, i, pull = 1, rc, on;
	int		 detach = 0, tty, interactive, attach, remove;

	rc = run_parse(self, argc, argv, &a, &on);
	p = a.params;
	a.params = NULL;
	cli_args_free(&a);
	if (rc >= 0) {
		json_decref(p);
		return (rc);
	}
	for (k = 0; err == 0 && k < a.nseq; k++) {
		detach |= a.seq[k].opt == RUN_DETACH;
		err = run_apply(p, (enum run_opt)a.seq[k].opt, a.seq[k].arg,
		    &pull, &cause);
	}
	if (err != 0) {
		(void)cli_fail(self, NULL, cause, "out of memory");
		free(cause);
		json_decref(p);
		return (CLI_EXIT_USAGE);
	}
	tty = json_is_true(json_object_get(p, "tty"));
	interactive = json_is_true(json_object_get(p, "stdin"));
	remove = json_is_true(json_object_get(p, "remove"));
	attach = (tty || interactive) && !detach;
	if (attach && tty && interactive && !isatty(0)) {
		json_decref(p);	/* as docker, before anything is made */
		return (cli_error(self, "the input device is not a TTY"));
	}
	node = on ? cli_args_get(self, &a, "on") : a.argv[0];
	image = a.argv[on ? 0 : 1];
	if (strcmp(node, "any") == 0 && !cli_is_node("any")) {
		rc = run_pick(self, pick, sizeof(pick));
		if (rc != CLI_EXIT_OK) {
			json_decref(p);
			return (rc);
		}
		node = pick;
	}
	(void)json_object_set_new(p, "image", json_string(image));
	for (i = on ? 1 : 2; i < a.argc; i++)
		(void)push(p, "cmd", json_string(a.argv[i]));
	if (attach) {
		/* Created stopped: started once attached (run-attach.c). */
		(void)json_object_set_new(p, "start", json_false());
		if (interactive)
			(void)json_object_set_new(p, "stdin_once",
			    json_true());
	}
	rc = create_pulling(self, node, p, pull, "id", attach ? id : NULL,
	    sizeof(id));
	if (rc == CLI_EXIT_OK && attach)
		rc = cli_run_attach(self, node, id, tty, interactive,
		    remove);
	return (rc);
}

/*
 * `pier dup --to NODE2`: the source's node answers the copy as
 * container.create's params (container.duplicate with export), what
 * they cannot say is printed as warnings, and NODE2 creates it as
 * `pier run` does, pulling a missing image first. Prints the name.
 */
static int
dup_to(const struct cli_cmd *self, const char *node, const char *to,
    json_t *p)
{
	struct cli_link	 l;
	json_t		*res = NULL, *cp, *v;	/* owned, borrowed */
	size_t		 i;
	int		 rc;

	(void)json_object_set_new(p, "export", json_true());
	if (cli_link_open(self, &l, node) != CLI_EXIT_OK) {
		json_decref(p);
		return (CLI_EXIT_FAIL);
	}
	rc = cli_link_call(self, &l, self->method, p, &res);
	cli_link_close(&l);
	if (rc != CLI_EXIT_OK)
		return (rc);
	json_array_foreach(json_object_get(res, "dropped"), i, v)
		fprintf(stderr, "pier dup: WARNING: %s on %s is not copied to "
		    "%s\n", json_string_value(v), node, to);
	cp = json_object_get(res, "params");
	if (!json_is_object(cp)) {
		json_decref(res);
		return (cli_error(self, "%s answered no params", node));
	}
	rc = create_pulling(self, to, json_incref(cp), 1, "name", NULL, 0);
	json_decref(res);
	return (rc);
}

/* `pier dup NODE/CONTAINER [OPTIONS]`. */
static int
dup_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_args		 a;
	struct cli_book		 b;
	struct cli_target	 t;
	json_t			*p;	/* owned */
	const char		*arg, *to;
	char			*cause = NULL, *dir;
	size_t			 pos = 0;
	int			 err = 0, rc;

	rc = cli_args_parse(self, argc, argv, &a);
	p = a.params;
	a.params = NULL;
	cli_args_free(&a);
	while (rc < 0 && err == 0 && (arg = cli_args_next(self, &a, "env",
	    &pos)) != NULL)
		err = push_env(p, arg);
	for (pos = 0; rc < 0 && err == 0 && (arg = cli_args_next(self, &a,
	    "publish", &pos)) != NULL;)
		err = set_port(p, arg, &cause);
	for (pos = 0; rc < 0 && err == 0 && (arg = cli_args_next(self, &a,
	    "volume", &pos)) != NULL;)
		err = set_volume(p, arg, &cause);
	for (pos = 0; rc < 0 && err == 0 && (arg = cli_args_next(self, &a,
	    "label", &pos)) != NULL;)
		err = set_label(p, arg);
	if (rc < 0 && err != 0 && cause != NULL) {
		rc = cli_usage_error(self, "%s", cause);
		free(cause);
		cause = NULL;
	}
	if (rc < 0 && err == 0 && cli_args_get(self, &a, "no-start") != NULL)
		err = json_object_set_new(p, "start", json_false());
	if (rc < 0 && err != 0)
		rc = cli_usage_error(self, "out of memory");
	if (rc >= 0) {
		json_decref(p);
		return (rc);
	}
	memset(&t, 0, sizeof(t));
	dir = cli_config_dir();
	err = dir == NULL ? -ENOENT : cli_book_load(&b, dir, &cause);
	free(dir);
	if (err == 0) {
		err = cli_target_parse(&b, a.argv[0], &t, &cause);
		cli_book_free(&b);
	}
	if (err != 0) {
		cli_fail(self, NULL, cause, "no config directory: set "
		    "PIER_CONFIG_DIR or HOME");
		free(cause);
		json_decref(p);
		return (err == -EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAIL);
	}
	(void)json_object_set_new(p, "id", json_string(t.container));
	to = cli_args_get(self, &a, "to");
	/* --to the source's own node: a plain copy, named NAME-copy. */
	if (to != NULL && strcmp(to, t.node) != 0)
		rc = dup_to(self, t.node, to, p);
	else
		rc = call_print(self, t.node, self->method, p, "name", NULL,
		    NULL, 0);
	cli_target_free(&t);
	return (rc);
}
