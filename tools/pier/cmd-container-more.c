/*
 * `pier diff`, `pier wait`, `pier commit` and `pier port`: one container
 * each, printed as docker prints it. diff lists "C /path" lines; wait
 * prints the exit code once the container stops (no time limit); commit
 * prints the new image's id; port lists the published ports from the
 * container's inspect ("80/tcp -> 0.0.0.0:8080"), or the host addresses
 * of one port.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "cli.h"

#define MORE_WAIT_MS	(7LL * 24 * 3600 * 1000)	/* wait's reply */

static int	more_main(const struct cli_cmd *, int, char **);

const struct cli_cmd cli_cmd_diff = {
	.name = "diff", .main = more_main, .method = "container.diff",
	.role = PROTO_ROLE_VIEWER, .usage = "NODE/CONTAINER",
	.summary = "list the files changed in a container",
	.args_min = 1, .args_max = 1, .help = CLI_HELP_TARGET,
};

const struct cli_cmd cli_cmd_wait = {
	.name = "wait", .main = more_main, .method = "container.wait",
	.role = PROTO_ROLE_VIEWER, .usage = "NODE/CONTAINER",
	.summary = "wait until a container stops; print its exit code",
	.args_min = 1, .args_max = 1, .help = CLI_HELP_TARGET,
};

static const struct cli_opt commit_opts[] = {
	{ .name = "message", .letter = 'm', .arg = "TEXT", .kind = CLI_K_TEXT,
	  .param = "message", .help = "commit message" },
	{ .name = "author", .letter = 'a', .arg = "NAME", .kind = CLI_K_TEXT,
	  .param = "author", .help = "author" },
	{ .name = "pause", .letter = 'p', .arg = "true|false",
	  .kind = CLI_K_ARG,
	  .help = "pause the container while committing (default true)" },
	{ .name = NULL }
};

const struct cli_cmd cli_cmd_commit = {
	.name = "commit", .main = more_main, .method = "container.commit",
	.role = PROTO_ROLE_ADMIN, .opts = commit_opts,
	.usage = "[-m TEXT] [-a NAME] NODE/CONTAINER [REPOSITORY[:TAG]]",
	.summary = "make an image of a container's changes; prints its id",
	.args_min = 1, .args_max = 2, .help = CLI_HELP_TARGET,
};

const struct cli_cmd cli_cmd_port = {
	.name = "port", .main = more_main, .method = "container.inspect",
	.role = PROTO_ROLE_VIEWER, .usage = "NODE/CONTAINER [PORT[/PROTO]]",
	.summary = "list a container's published ports",
	.args_min = 1, .args_max = 2, .help = CLI_HELP_TARGET,
};

/* Prints the bindings of one port key ("80/tcp"). */
static void
port_print(const char *key, const json_t *binds, int with_key)
{
	const json_t	*b;
	const char	*ip;
	size_t		 i;

	json_array_foreach(binds, i, b) {
		ip = json_string_value(json_object_get(b, "HostIp"));
		if (with_key)
			printf("%s -> ", key);
		printf("%s%s%s:%s\n", ip != NULL && strchr(ip, ':') ? "[" : "",
		    ip != NULL && *ip != '\0' ? ip : "0.0.0.0",
		    ip != NULL && strchr(ip, ':') ? "]" : "",
		    json_string_value(json_object_get(b, "HostPort")));
	}
}

/* Prints an answer as docker does; 0, or an exit code. */
static int
more_print(const struct cli_cmd *self, const json_t *res, int argc,
    char **argv)
{
	const json_t	*c, *ports, *v;
	const char	*k;
	char		 want[64];
	size_t		 i;

	if (self == &cli_cmd_diff) {
		json_array_foreach(json_object_get(res, "changes"), i, c)
			printf("%s %s\n", json_string_value(json_object_get(c,
			    "kind")), json_string_value(json_object_get(c,
			    "path")));
	} else if (self == &cli_cmd_wait)
		printf("%lld\n", (long long)json_integer_value(
		    json_object_get(res, "status_code")));
	else if (self == &cli_cmd_commit)
		printf("%s\n", json_string_value(json_object_get(res, "id")));
	else {
		ports = json_object_get(json_object_get(res,
		    "NetworkSettings"), "Ports");
		if (argc > 1) {
			snprintf(want, sizeof(want), "%s%s", argv[1],
			    strchr(argv[1], '/') != NULL ? "" : "/tcp");
			v = json_object_get(ports, want);
			if (json_array_size(v) == 0)
				return (cli_error(self, "no public port '%s' "
				    "published for %s", want, argv[0]));
			port_print(want, v, 0);
			return (0);
		}
		json_object_foreach((json_t *)ports, k, v)
			port_print(k, v, 1);
	}
	return (0);
}

/* `pier diff|wait|commit|port NODE/CONTAINER ...`. */
static int
more_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_link		 l;
	struct cli_target	 t;
	struct cli_rpc_error	 e;
	struct cli_args		 a;
	json_t			*params, *res = NULL;	/* owned */
	const char		*pause;
	char			*cause = NULL;
	int			 rc, err;

	rc = cli_args_parse(self, argc, argv, &a);
	params = a.params;
	a.params = NULL;
	pause = cli_args_get(self, &a, "pause");
	if (rc < 0 && pause != NULL && strcmp(pause, "true") != 0 &&
	    strcmp(pause, "false") != 0)
		rc = cli_usage_error(self, "--pause: true or false, not %s",
		    pause);
	cli_args_free(&a);
	if (rc >= 0) {
		json_decref(params);
		return (rc);
	}
	rc = CLI_EXIT_FAIL;
	memset(&t, 0, sizeof(t));
	memset(&e, 0, sizeof(e));
	if (cli_link_ctx(self, &l) != CLI_EXIT_OK)
		goto out;
	err = cli_target_parse(&l.x.book, a.argv[0], &t, &cause);
	if (err != 0) {
		cli_fail(self, NULL, cause, "failed");
		rc = err == -EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
		goto out;
	}
	if (cli_link_connect(self, &l, t.node) != CLI_EXIT_OK)
		goto out;
	(void)json_object_set_new(params, "id", json_string(t.container));
	if (self == &cli_cmd_commit && a.argc > 1)
		(void)json_object_set_new(params, "reference",
		    json_string(a.argv[1]));
	if (pause != NULL)
		(void)json_object_set_new(params, "pause",
		    json_boolean(strcmp(pause, "true") == 0));
	err = cli_rpc_call(l.r, self->method, params, self == &cli_cmd_wait ?
	    MORE_WAIT_MS : 0, &res, &e);
	params = NULL;
	if (err != 0) {
		rc = cli_error(self, "%s: %s", a.argv[0], e.message != NULL ?
		    e.message : "failed");
		goto out;
	}
	rc = more_print(self, res, a.argc, a.argv);
out:
	json_decref(params);
	json_decref(res);
	cli_rpc_error_clear(&e);
	cli_target_free(&t);
	cli_link_close(&l);
	free(cause);
	return (rc);
}
