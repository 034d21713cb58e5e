/*
 * `pier key ...`: access keys and revoked client keys of a node, managed
 * through an admin connection instead of a shell on the node's host.
 *
 *	pier key create [NODE] --name NAME --role ROLE [--expires WHEN]
 *	    [--uses N] [--label K=V]... [--json]
 *	pier key disable|enable [NODE] KEY [--json]
 *	pier key list [NODE] [--clients] [--json]
 *	pier key revoke [NODE] KEY [--client] [--json]
 *	pier key unrevoke [NODE] CLIENT-KEY [--json]
 *	pier key self [--json]
 *
 * create prints the new join key alone on stdout (for scripts and for
 * pasting into `pier join` elsewhere) and a note on stderr; the node
 * shows it only this once. revoke takes a key name or id; with --client
 * it takes a client key instead (its fingerprint, as the audit log
 * shows it), which shuts out that one client while the access key it
 * used stays in use by others; unrevoke takes that back. Either way the
 * node closes the revoked connections at once. self shows this client's
 * own key, to hand to an admin. A key may be limited when it is made
 * (an expiry, a number of client keys it binds, labels) and disabled or
 * enabled later; the node checks the limits (key.create's params).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "cli.h"
#include "cli-out.h"

static int	key_main(const struct cli_cmd *, int, char **);

static const struct cli_opt key_opts[] = {
	{ .name = "name", .arg = "NAME", .kind = CLI_K_ARG,
	  .help = "create: the access key's name" },
	{ .name = "role", .arg = "ROLE", .kind = CLI_K_ARG,
	  .help = "create: viewer, operator or admin" },
	{ .name = "expires", .arg = "WHEN", .kind = CLI_K_ARG,
	  .help = "create: stop at WHEN (90m, 12h, 7d, 2w; RFC 3339)" },
	{ .name = "uses", .arg = "N", .kind = CLI_K_ARG,
	  .help = "create: bind the first N client keys (1: one-time)" },
	{ .name = "label", .arg = "K=V", .kind = CLI_K_ARG,
	  .help = "create: a label shown in list (repeatable)" },
	{ .name = "client", .help = "revoke: a client key, not an access key" },
	{ .name = "clients", .help = "list: the revoked client keys" },
	{ .name = "json", .help = "print the node's answer as JSON" },
	{ .name = NULL }
};

const struct cli_cmd cli_cmd_key = {
	.name = "key",
	.main = key_main,
	.usage = "create [NODE] --name NAME --role ROLE [--expires WHEN] "
	    "[--uses N] [--label K=V]... | list [NODE] [--clients] | revoke "
	    "[NODE] KEY [--client] | disable|enable [NODE] KEY | unrevoke "
	    "[NODE] CLIENT-KEY | self",
	.summary = "create, list, revoke, disable or enable a node's access "
	    "keys and client keys (admin keys only)",
	.help =
	    "  create [NODE] --name NAME --role ROLE\n"
	    "              make an access key (ROLE: viewer, operator or "
	    "admin) and\n"
	    "              print its join key, shown only this once; "
	    "--expires, --uses\n"
	    "              and --label limit and label it\n"
	    "  list [NODE]  list the access keys (never their secrets)\n"
	    "  list [NODE] --clients\n"
	    "              list the revoked client keys\n"
	    "  revoke [NODE] KEY\n"
	    "              revoke the access key with this name or id; its "
	    "connections end\n"
	    "  revoke [NODE] --client CLIENT-KEY\n"
	    "              shut out one client (its key's fingerprint, as "
	    "'pier audit'\n"
	    "              and 'pier key self' show it) while its access key "
	    "stays in use\n"
	    "  disable [NODE] KEY\n"
	    "              the key lets nobody in (its connections end) "
	    "until enabled\n"
	    "  enable [NODE] KEY\n"
	    "              enable a disabled key again\n"
	    "  unrevoke [NODE] CLIENT-KEY\n"
	    "              let a revoked client key in again\n"
	    "  self        show this client's own key\n",
	.opts = key_opts,
	.args_max = -1,
	.notes = "NODE may be left out when only one node is joined.\n",
};

/* What the options said. */
struct key_opts {
	const char	*name;
	const char	*role;
	const char	*expires;
	const char	*uses;
	json_t		*labels;	/* owned, or NULL */
	int		 json;
	int		 client;	/* --client */
	int		 clients;	/* --clients */
};

/* Prints a JSON value indented. */
static void
print_json(const json_t *v)
{
	if (json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0)
		putchar('\n');
}

/*
 * The EXPIRES, USES and LABELS cells of a key: "never" or the time
 * (UTC), "any" or "BOUND/USES", "K=V,..." or "-".
 */
static void
key_limits_cells(const json_t *k, char e[static CLI_HUMAN_LEN], char *n,
    size_t nlen, char *l, size_t llen)
{
	const char	*lk;
	json_t		*lv;	/* borrowed */
	json_int_t	 exp, uses;
	struct tm	 tm;
	time_t		 t;
	size_t		 off = 0;
	int		 w;

	exp = json_integer_value(json_object_get(k, "expires"));
	t = (time_t)exp;
	if (exp <= 0 || gmtime_r(&t, &tm) == NULL)
		snprintf(e, CLI_HUMAN_LEN, "never");
	else
		strftime(e, CLI_HUMAN_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
	uses = json_integer_value(json_object_get(k, "uses"));
	if (uses <= 0)
		snprintf(n, nlen, "any");
	else
		snprintf(n, nlen, "%zu/%lld", json_array_size(json_object_get(k,
		    "used_by")), (long long)uses);
	snprintf(l, llen, "-");
	json_object_foreach(json_object_get(k, "labels"), lk, lv) {
		w = snprintf(l + off, llen - off, "%s%s=%s", off > 0 ? "," : "",
		    lk, json_string_value(lv) != NULL ? json_string_value(lv) :
		    "");
		if (w < 0 || (size_t)w >= llen - off)
			break;
		off += (size_t)w;
	}
}

/* Prints key.list's keys as a table. */
static int
key_table(const json_t *keys)
{
	static const char *const hdr[] = { "NAME", "ROLE", "ID", "CREATED",
	    "LAST USED", "EXPIRES", "USES", "STATE", "LABELS" };
	struct cli_table	*t;
	const json_t		*k;
	const char		*cells[9];
	char			 c[CLI_HUMAN_LEN], u[CLI_HUMAN_LEN];
	char			 e[CLI_HUMAN_LEN], n[32], l[1024];
	json_int_t		 created, used;
	size_t			 i;
	int			 err = 0;

	t = cli_table_new(hdr, 9);
	if (t == NULL)
		return (-ENOMEM);
	json_array_foreach(keys, i, k) {
		created = json_integer_value(json_object_get(k, "created"));
		used = json_integer_value(json_object_get(k, "last_used"));
		cells[0] = json_string_value(json_object_get(k, "name"));
		cells[1] = json_string_value(json_object_get(k, "role"));
		cells[2] = json_string_value(json_object_get(k, "id"));
		cells[3] = cli_human_ago(c, created, (int64_t)time(NULL));
		cells[4] = used > 0 ? cli_human_ago(u, used,
		    (int64_t)time(NULL)) : "never";
		key_limits_cells(k, e, n, sizeof(n), l, sizeof(l));
		cells[5] = e;
		cells[6] = n;
		cells[7] = json_string_value(json_object_get(k, "state"));
		cells[8] = l;
		if (cells[7] == NULL)
			cells[7] = "enabled";
		if (cells[0] == NULL || cells[1] == NULL || cells[2] == NULL)
			continue;
		err = cli_table_add(t, cells);
		if (err != 0)
			break;
	}
	if (err == 0)
		err = cli_table_print(t, stdout, 0);
	cli_table_free(t);
	return (err);
}

/* Prints key.list's revoked client keys as a table. */
static int
client_table(const json_t *clients)
{
	static const char *const hdr[] = { "CLIENT KEY", "REVOKED" };
	struct cli_table	*t;
	const json_t		*k;
	const char		*cells[2];
	char			 c[CLI_HUMAN_LEN];
	size_t			 i;
	int			 err = 0;

	t = cli_table_new(hdr, 2);
	if (t == NULL)
		return (-ENOMEM);
	json_array_foreach(clients, i, k) {
		cells[0] = json_string_value(json_object_get(k, "id"));
		cells[1] = cli_human_ago(c, json_integer_value(
		    json_object_get(k, "revoked")), (int64_t)time(NULL));
		if (cells[0] == NULL)
			continue;
		err = cli_table_add(t, cells);
		if (err != 0)
			break;
	}
	if (err == 0)
		err = cli_table_print(t, stdout, 0);
	cli_table_free(t);
	return (err);
}

/* Prints the answer of a call that worked; an exit code. */
static int
key_print(const struct cli_cmd *self, const char *sub, const char *node,
    const json_t *res, const struct key_opts *o)
{
	const char	*id = json_string_value(json_object_get(res, "id"));
	const char	*rows = o->clients ? "revoked_clients" : "keys";

	if (strcmp(sub, "list") == 0) {
		if (o->json && cli_json_print(stdout,
		    json_object_get(res, rows)) != 0)
			return (cli_error(self, "cannot print the keys"));
		if (!o->json && (o->clients ? client_table(json_object_get(res,
		    rows)) : key_table(json_object_get(res, rows))) != 0)
			return (cli_error(self, "cannot print the keys"));
	} else if (o->json)
		print_json(res);
	else if (strcmp(sub, "create") == 0) {
		printf("%s\n", json_string_value(json_object_get(res,
		    "join_key")));
		fprintf(stderr, "Created access key %s (%s, id %s) on %s. "
		    "This join key is shown only once:\ngive it to whoever "
		    "should join with 'pier join KEY'.\n",
		    json_string_value(json_object_get(res, "name")),
		    json_string_value(json_object_get(res, "role")), id, node);
	} else if (strcmp(sub, "disable") == 0)
		printf("Disabled access key %s on %s; its connections were "
		    "closed.\n", json_string_value(json_object_get(res,
		    "name")), node);
	else if (strcmp(sub, "enable") == 0)
		printf("Enabled access key %s on %s.\n", json_string_value(
		    json_object_get(res, "name")), node);
	else if (strcmp(sub, "unrevoke") == 0)
		printf("Client key %s may connect to %s again.\n", id, node);
	else if (o->client)
		printf("Revoked client key %s on %s; its connections were "
		    "closed.\n", id, node);
	else
		printf("Revoked access key %s (id %s) on %s; its connections "
		    "were closed.\n", json_string_value(json_object_get(res,
		    "name")), id, node);
	return (CLI_EXIT_OK);
}

/* Runs one call on the node and prints its answer; an exit code. */
static int
key_call(const struct cli_cmd *self, const char *sub, const char *node,
    json_t *params, const struct key_opts *o)
{
	struct cli_link		 l;
	json_t			*res = NULL;	/* owned */
	char			 method[32];
	int			 rc;

	snprintf(method, sizeof(method), "key.%s", sub);
	if (cli_link_open(self, &l, node) != CLI_EXIT_OK) {
		json_decref(params);
		return (CLI_EXIT_FAIL);
	}
	rc = cli_link_call(self, &l, method, params, &res);
	if (rc == CLI_EXIT_OK)
		rc = key_print(self, sub, cli_rpc_node(l.r), res, o);
	json_decref(res);
	cli_link_close(&l);
	return (rc);
}

/* `pier key self`: this client's key, as nodes and their audit see it. */
static int
key_self(const struct cli_cmd *self, const struct key_opts *o)
{
	struct cli_ctx	 x;
	char		 fp[OVL_FINGERPRINT_SIZE], hex[2 * OVL_KEY_LEN + 1];
	char		*cause = NULL;
	json_t		*v;	/* owned */

	if (cli_ctx_open(&x, &cause) != 0) {
		cli_fail(self, NULL, cause, "failed");
		free(cause);
		cli_ctx_close(&x);
		return (CLI_EXIT_FAIL);
	}
	ovl_fingerprint(x.id.pub, fp);
	sodium_bin2hex(hex, sizeof(hex), x.id.pub, OVL_KEY_LEN);
	cli_ctx_close(&x);
	if (!o->json) {
		printf("%s\n", fp);
		fprintf(stderr, "This client's key (public key %s).\nAn admin "
		    "revokes it with 'pier key revoke --client %s'.\n", hex,
		    fp);
		return (CLI_EXIT_OK);
	}
	v = json_pack("{s:s, s:s}", "id", fp, "public_key", hex);
	if (v == NULL)
		return (cli_error(self, "out of memory"));
	print_json(v);
	json_decref(v);
	return (CLI_EXIT_OK);
}

/* Checks the positionals of sub and makes its call; an exit code. */
static int
key_run(const struct cli_cmd *self, const char *sub, int npos,
    char **pos, const struct key_opts *o)
{
	const char	*node = NULL;
	int		 create = strcmp(sub, "create") == 0;
	int		 revoke = strcmp(sub, "revoke") == 0;
	int		 one = revoke || strcmp(sub, "unrevoke") == 0 ||
			    strcmp(sub, "disable") == 0 ||
			    strcmp(sub, "enable") == 0;
	json_t		*p;	/* owned */
	char		*end;
	long		 uses;

	if ((!create && (o->name != NULL || o->role != NULL ||
	    o->expires != NULL || o->uses != NULL || o->labels != NULL)) ||
	    (o->client && !revoke) ||
	    (o->clients && strcmp(sub, "list") != 0))
		return (cli_usage(self));
	if (strcmp(sub, "self") == 0)
		return (npos == 0 ? key_self(self, o) : cli_usage(self));
	if (one) {
		if (npos < 1 || npos > 2)
			return (cli_usage(self));
		node = npos == 2 ? pos[0] : NULL;
		return (key_call(self, sub, node, revoke && o->client ?
		    json_pack("{s:s, s:s}", "id", pos[npos - 1], "kind",
		    "client") : json_pack("{s:s}", "id", pos[npos - 1]), o));
	}
	if (npos > 1)
		return (cli_usage(self));
	node = npos == 1 ? pos[0] : NULL;
	if (!create)
		return (key_call(self, sub, node, NULL, o));
	if (o->name == NULL || o->role == NULL)
		return (cli_usage_error(self, "create needs --name NAME and "
		    "--role ROLE"));
	if (strcmp(o->role, "viewer") != 0 && strcmp(o->role, "operator") !=
	    0 && strcmp(o->role, "admin") != 0)
		return (cli_usage_error(self, "--role %s: expected viewer, "
		    "operator or admin", o->role));
	p = json_pack("{s:s, s:s}", "name", o->name, "role", o->role);
	if (p == NULL)
		return (cli_error(self, "out of memory"));
	if (o->expires != NULL)
		(void)json_object_set_new(p, "expires",
		    json_string(o->expires));
	if (o->uses != NULL) {
		uses = strtol(o->uses, &end, 10);
		if (*o->uses == '\0' || *end != '\0' || uses < 0 || uses > 8) {
			json_decref(p);
			return (cli_usage_error(self, "--uses %s: expected 0 "
			    "(any number of client keys) to 8", o->uses));
		}
		(void)json_object_set_new(p, "uses", json_integer(uses));
	}
	if (o->labels != NULL)
		(void)json_object_set(p, "labels", o->labels);
	return (key_call(self, sub, node, p, o));
}

/* Collects the --label K=V options into o->labels; an exit code or -1. */
static int
key_labels(const struct cli_cmd *self, const struct cli_args *a,
    struct key_opts *o)
{
	const char	*arg, *eq;
	char		 k[64];
	size_t		 pos = 0;

	while ((arg = cli_args_next(self, a, "label", &pos)) != NULL) {
		eq = strchr(arg, '=');
		if (eq == NULL || eq == arg || (size_t)(eq - arg) >= sizeof(k))
			return (cli_usage_error(self, "--label %s: expected "
			    "K=V", arg));
		if (o->labels == NULL && (o->labels = json_object()) == NULL)
			return (cli_error(self, "out of memory"));
		snprintf(k, sizeof(k), "%.*s", (int)(eq - arg), arg);
		(void)json_object_set_new(o->labels, k, json_string(eq + 1));
	}
	return (-1);
}

/* `pier key SUB ...`. */
static int
key_main(const struct cli_cmd *self, int argc, char **argv)
{
	static const char *const subs[] = { "create", "list", "revoke",
	    "unrevoke", "disable", "enable", "self" };
	struct key_opts	 o;
	struct cli_args	 a;
	const char	*sub;
	size_t		 i;
	int		 rc;

	if (argc < 2)
		return (cli_usage(self));
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return (cli_help(self));
	sub = argv[1];
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(sub, subs[i]) == 0)
			break;
	if (i == sizeof(subs) / sizeof(subs[0])) {
		cli_error(self, "unknown subcommand %s: expected create, list, "
		    "revoke, disable, enable, unrevoke or self", sub);
		return (CLI_EXIT_USAGE);
	}
	memset(&o, 0, sizeof(o));
	argv[1] = argv[0];	/* getopt's complaints name the command */
	rc = cli_args_parse(self, argc - 1, argv + 1, &a);
	cli_args_free(&a);
	if (rc >= 0)
		return (rc);
	o.name = cli_args_get(self, &a, "name");
	o.role = cli_args_get(self, &a, "role");
	o.json = cli_args_get(self, &a, "json") != NULL;
	o.client = cli_args_get(self, &a, "client") != NULL;
	o.clients = cli_args_get(self, &a, "clients") != NULL;
	o.expires = cli_args_get(self, &a, "expires");
	o.uses = cli_args_get(self, &a, "uses");
	rc = key_labels(self, &a, &o);
	if (rc < 0)
		rc = key_run(self, sub, a.argc, a.argv, &o);
	json_decref(o.labels);
	return (rc);
}
