/*
 * `pier info [NODE] [--json]`: the node, its host and its Docker engine,
 * as node.info reports them: versions, the node key's fingerprint (to
 * compare with `pierd key show` on the host), uptime, CPUs and memory,
 * and the container and image counts. A node whose engine is down still
 * answers, and says what is wrong with Docker. It also shows this
 * client's access key and role, and keeps the role in the address book
 * for `pier nodes`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "cli.h"
#include "cli-out.h"

static int	info_main(const struct cli_cmd *, int, char **);

static const struct cli_opt info_opts[] = {
	{ .name = "json", .help = "print the node's answer as JSON" },
	{ .name = NULL }
};

const struct cli_cmd cli_cmd_info = {
	.name = "info",
	.main = info_main,
	.method = "node.info",
	.role = PROTO_ROLE_VIEWER,
	.opts = info_opts,
	.args_max = 1,
	.usage = "[NODE] [--json]",
	.summary = "show a node's version, key, uptime, host and Docker engine",
	.help =
	    "  NODE            a joined node (optional when only one is "
	    "joined)\n",
};

/* An integer member, or -1. */
static json_int_t
num(const json_t *o, const char *k)
{
	const json_t	*v = json_object_get(o, k);

	return (json_is_integer(v) ? json_integer_value(v) : -1);
}

/* A string member, or "?". */
static const char *
str(const json_t *o, const char *k)
{
	const char	*s = json_string_value(json_object_get(o, k));

	return (s != NULL && s[0] != '\0' ? s : "?");
}

/* Prints node.info's result for people. */
static void
info_print(const char *node, const json_t *res)
{
	const json_t	*host, *dk, *ct;
	char		 b1[CLI_HUMAN_LEN], b2[CLI_HUMAN_LEN];

	host = json_object_get(res, "host");
	dk = json_object_get(res, "docker");
	ct = json_object_get(res, "containers");
	printf("Node:           %s\n", node);
	printf(" Pier version:  %s (protocol %lld)\n", str(res, "version"),
	    (long long)num(res, "proto"));
	printf(" Node key:      %s\n", str(res, "key"));
	if (json_is_object(json_object_get(res, "access")))
		printf(" Access key:    %s (%s)\n", str(json_object_get(res,
		    "access"), "key"), str(json_object_get(res, "access"),
		    "role"));
	printf(" Uptime:        %s\n", cli_human_duration(b1,
	    num(res, "uptime")));
	printf(" Host:          %s\n", str(host, "name"));
	printf(" CPUs:          %lld\n", (long long)num(host, "cpus"));
	printf(" Memory:        %s\n", cli_human_size(b2,
	    (double)num(host, "memory"), 2));
	if (!json_is_object(dk)) {
		printf("Docker:         unavailable: %s\n",
		    str(res, "docker_error"));
		return;
	}
	printf("Docker:\n");
	printf(" Version:       %s (API %s)\n", str(dk, "version"),
	    str(dk, "api"));
	printf(" OS:            %s\n", str(dk, "os"));
	printf(" Kernel:        %s\n", str(dk, "kernel"));
	printf(" Containers:    %lld\n", (long long)num(ct, "total"));
	printf("  Running:      %lld\n", (long long)num(ct, "running"));
	printf("  Paused:       %lld\n", (long long)num(ct, "paused"));
	printf("  Stopped:      %lld\n", (long long)num(ct, "stopped"));
	printf(" Images:        %lld\n", (long long)num(res, "images"));
}

/*
 * Keeps the role the node just gave in the address book, for pier nodes
 * (a node joined before nodes said it has none there yet); quiet, as
 * info's answer does not depend on it.
 */
static void
info_keep_role(struct cli_ctx *x, const char *node, const json_t *res)
{
	struct cli_node	*n = cli_book_find(&x->book, node);
	const char	*role;
	char		*cause = NULL, *old;

	role = json_string_value(json_object_get(json_object_get(res,
	    "access"), "role"));
	if (n == NULL || role == NULL || (n->role != NULL &&
	    strcmp(n->role, role) == 0))
		return;
	old = n->role;
	n->role = strdup(role);
	if (n->role != NULL && cli_book_save(&x->book, &cause) != 0)
		free(cause);
	free(old);
}

/* `pier info [NODE] [--json]`. */
static int
info_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_args		 a;
	struct cli_link		 l;
	json_t			*res = NULL;	/* owned */
	const char		*node;
	int			 json, rc = CLI_EXIT_FAIL;

	rc = cli_args_parse(self, argc, argv, &a);
	cli_args_free(&a);
	if (rc >= 0)
		return (rc);
	rc = CLI_EXIT_FAIL;
	json = cli_args_get(self, &a, "json") != NULL;
	if (cli_link_open(self, &l, a.argc > 0 ? a.argv[0] : NULL) !=
	    CLI_EXIT_OK)
		return (CLI_EXIT_FAIL);
	if (cli_link_call(self, &l, self->method, NULL, &res) != CLI_EXIT_OK)
		goto out;
	node = cli_rpc_node(l.r);
	info_keep_role(&l.x, node, res);
	if (json) {
		(void)json_object_set_new(res, "node", json_string(node));
		if (json_dumpf(res, stdout, JSON_INDENT(2) |
		    JSON_PRESERVE_ORDER) == 0)
			putchar('\n');
	} else
		info_print(node, res);
	rc = CLI_EXIT_OK;
out:
	json_decref(res);
	cli_link_close(&l);
	return (rc);
}
