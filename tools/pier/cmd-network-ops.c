/*
 * `pier network create|rm|connect|disconnect|prune`, as docker network's:
 * create prints the new network's id, rm the names it removed, connect
 * and disconnect nothing, prune "Deleted Networks:" and the names after
 * asking (unless -f). NODE may be left out when one node is joined.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "cli.h"

static int	create_main(const struct cli_cmd *, int, char **);
static int	rm_main(const struct cli_cmd *, int, char **);
static int	connect_main(const struct cli_cmd *, int, char **);
static int	prune_main(const struct cli_cmd *, int, char **);

static const struct cli_opt create_opts[] = {
	{ .name = "driver", .letter = 'd', .arg = "D", .kind = CLI_K_TEXT,
	  .param = "driver", .help = "network driver (default bridge)" },
	{ .name = "subnet", .arg = "CIDR", .kind = CLI_K_TEXT,
	  .param = "subnet", .help = "subnet: 10.10.0.0/24" },
	{ .name = "gateway", .arg = "IP", .kind = CLI_K_TEXT,
	  .param = "gateway", .help = "gateway of the subnet" },
	{ .name = "internal", .param = "internal",
	  .help = "no access to outside networks" },
	{ .name = "attachable", .param = "attachable",
	  .help = "containers may be attached by hand" },
	{ .name = "ipv6", .param = "ipv6", .help = "enable IPv6" },
	{ .name = "label", .arg = "K=V", .kind = CLI_K_MAP, .param = "labels",
	  .help = "a label (repeatable)" },
	{ .name = NULL }
};
const struct cli_cmd cli_cmd_network_create = {
	.name = "network create", .main = create_main,
	.method = "network.create", .role = PROTO_ROLE_ADMIN,
	.opts = create_opts, .args_min = 1, .args_max = 2,
	.usage = "[NODE] NAME [-d DRIVER] [--subnet CIDR] [--gateway IP] "
	    "[--internal] [--label K=V]",
	.summary = "create a network; prints its id",
	.help = "",
};

const struct cli_cmd cli_cmd_network_rm = {
	.name = "network rm", .main = rm_main,
	.method = "network.remove", .role = PROTO_ROLE_ADMIN,
	.args_min = 1, .args_max = -1,
	.usage = "[NODE] NETWORK...",
	.summary = "remove networks",
	.help = "",
};

static const struct cli_opt connect_opts[] = {
	{ .name = "alias", .arg = "NAME", .kind = CLI_K_LIST,
	  .param = "aliases", .help = "a name on the network (repeatable)" },
	{ .name = NULL }
};
const struct cli_cmd cli_cmd_network_connect = {
	.name = "network connect", .main = connect_main,
	.method = "network.connect", .role = PROTO_ROLE_ADMIN,
	.opts = connect_opts, .args_min = 2, .args_max = 3,
	.usage = "[NODE] NETWORK CONTAINER [--alias NAME]",
	.summary = "attach a container to a network",
	.help = "",
};

static const struct cli_opt disconnect_opts[] = {
	{ .name = "force", .letter = 'f', .param = "force",
	  .help = "even if the container is not running" },
	{ .name = NULL }
};
const struct cli_cmd cli_cmd_network_disconnect = {
	.name = "network disconnect", .main = connect_main,
	.method = "network.disconnect", .role = PROTO_ROLE_ADMIN,
	.opts = disconnect_opts, .args_min = 2, .args_max = 3,
	.usage = "[NODE] NETWORK CONTAINER [-f]",
	.summary = "detach a container from a network",
	.help = "",
};

static const struct cli_opt prune_opts[] = {
	{ .name = "force", .letter = 'f', .help = "do not ask" },
	{ .name = "filter", .arg = "label=K[=V]", .kind = CLI_K_ARG,
	  .help = "only networks with this label" },
	{ .name = NULL }
};
const struct cli_cmd cli_cmd_network_prune = {
	.name = "network prune", .main = prune_main,
	.method = "network.prune", .role = PROTO_ROLE_ADMIN,
	.opts = prune_opts, .args_max = 1,
	.usage = "[NODE] [-f] [--filter label=K=V]",
	.summary = "remove networks no container uses",
	.help = "",
};

/*
 * Reads a command line whose NODE is optional before want arguments:
 * -1 to go on with *params (owned) and *node, else an exit code.
 */
static int
net_args(const struct cli_cmd *self, int argc, char **argv, int want,
    struct cli_args *a, json_t **params, const char **node, int *first)
{
	int	rc;

	rc = cli_args_parse(self, argc, argv, a);
	*params = a->params;
	a->params = NULL;
	*node = NULL;
	*first = 0;
	if (rc < 0 && a->argc > want) {
		if (!cli_is_node(a->argv[0]))
			rc = cli_usage_error(self, "%s: no joined node of that "
			    "name (see 'pier nodes')", a->argv[0]);
		*node = a->argv[0];
		*first = 1;
	}
	if (rc >= 0) {
		json_decref(*params);
		*params = NULL;
	}
	return (rc);
}

/* Calls the method once on node; an exit code, *res (owned) on success. */
static int
net_call(const struct cli_cmd *self, const char *node, json_t *params,
    json_t **res)
{
	struct cli_link	 l;
	int		 rc;

	*res = NULL;
	rc = cli_link_open(self, &l, node);
	if (rc != CLI_EXIT_OK) {
		json_decref(params);
		return (rc);
	}
	rc = cli_link_call(self, &l, self->method, params, res);
	cli_link_close(&l);
	return (rc);
}

/* `pier network create`. */
static int
create_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_args	 a;
	json_t		*params, *res;	/* owned */
	const char	*node;
	int		 rc, i;

	rc = net_args(self, argc, argv, 1, &a, &params, &node, &i);
	cli_args_free(&a);
	if (rc >= 0)
		return (rc);
	(void)json_object_set_new(params, "name", json_string(a.argv[i]));
	rc = net_call(self, node, params, &res);
	if (rc == CLI_EXIT_OK)
		printf("%s\n", json_string_value(json_object_get(res, "id")));
	json_decref(res);
	return (rc);
}

/* `pier network rm`: each name removed is printed. */
static int
rm_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_link	 l;
	struct cli_args	 a;
	json_t		*params, *res;	/* owned */
	const char	*node = NULL;
	int		 rc, i = 0;

	rc = cli_args_parse(self, argc, argv, &a);
	params = a.params;
	a.params = NULL;
	cli_args_free(&a);
	json_decref(params);
	if (rc >= 0)
		return (rc);
	if (a.argc >= 2 && cli_is_node(a.argv[0]))
		node = a.argv[i++];
	rc = cli_link_open(self, &l, node);
	if (rc != CLI_EXIT_OK)
		return (rc);
	for (; i < a.argc; i++) {
		if (cli_link_call(self, &l, self->method, json_pack("{s:s}",
		    "id", a.argv[i]), &res) != CLI_EXIT_OK) {
			rc = CLI_EXIT_FAIL;
			continue;
		}
		printf("%s\n", a.argv[i]);
		json_decref(res);
	}
	cli_link_close(&l);
	return (rc);
}

/* `pier network connect` and `disconnect`: silent on success. */
static int
connect_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_args	 a;
	json_t		*params, *res;	/* owned */
	const char	*node;
	int		 rc, i;

	rc = net_args(self, argc, argv, 2, &a, &params, &node, &i);
	cli_args_free(&a);
	if (rc >= 0)
		return (rc);
	(void)json_object_set_new(params, "id", json_string(a.argv[i]));
	(void)json_object_set_new(params, "container",
	    json_string(a.argv[i + 1]));
	rc = net_call(self, node, params, &res);
	json_decref(res);
	return (rc);
}

/* `pier network prune`: asks, then "Deleted Networks:" and the names. */
static int
prune_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_args	 a;
	json_t		*params, *res, *d;	/* owned, owned, borrowed */
	const char	*node, *f;
	size_t		 k, pos = 0;
	int		 rc, i;

	rc = net_args(self, argc, argv, 0, &a, &params, &node, &i);
	while (rc < 0 && (f = cli_args_next(self, &a, "filter", &pos)) !=
	    NULL) {
		if (strncmp(f, "label=", 6) != 0 || f[6] == '\0')
			rc = cli_usage_error(self, "--filter %s: only "
			    "label=K[=V] is known here", f);
		else
			cli_params_push(params, "labels", f + 6);
	}
	if (rc < 0 && cli_args_get(self, &a, "force") == NULL &&
	    !cli_confirm("This will remove all custom networks not used by "
	    "at least one container."))
		rc = CLI_EXIT_OK;
	cli_args_free(&a);
	if (rc >= 0) {
		json_decref(params);
		return (rc);
	}
	rc = net_call(self, node, params, &res);
	d = json_object_get(res, "deleted");
	if (rc == CLI_EXIT_OK && json_array_size(d) > 0) {
		printf("Deleted Networks:\n");
		for (k = 0; k < json_array_size(d); k++)
			printf("%s\n", json_string_value(json_array_get(d, k)));
	}
	json_decref(res);
	return (rc);
}
