/*
 * `pier join KEY`: parse a join key (its typo messages shown as they
 * are), prove it with a full handshake and the node's answer to one
 * ping, and only then remember the node in the address book under a
 * name. The handshake alone is not enough: a node that knows the access
 * key but has revoked this client's key completes it and then closes with
 * a go-away saying why, and join fails with that reason. Nothing is
 * stored for a key that does not work, so a failed join leaves the book
 * as it was. Once stored, the node is asked (node.info) which role the
 * access key has, and the book keeps it for `pier nodes`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "cli.h"

static int	join_main(const struct cli_cmd *, int, char **);

static const struct cli_opt join_opts[] = {
	{ .name = "name", .arg = "NAME", .kind = CLI_K_ARG,
	  .help = "local name for the node (default: from its address)" },
	{ .name = "addr", .arg = "HOST:PORT", .kind = CLI_K_ARG,
	  .help = "try this address first (repeatable)" },
	{ .name = "json", .help = "print what was joined as JSON" },
	{ .name = NULL }
};

const struct cli_cmd cli_cmd_join = {
	.name = "join",
	.main = join_main,
	.opts = join_opts,
	.args_min = 1,
	.args_max = -1,
	.usage = "KEY [--name NAME] [--addr HOST:PORT] [--json]",
	.summary = "join a node with its join key and remember it",
	.help =
	    "  KEY             the join key printed by 'pierd key show'\n",
};

/* A default name: the first hint's host (and port if not 7437). */
static void
derive_name(const struct ovl_joinkey *jk, const char *addr, char *out,
    size_t len)
{
	char	fp[OVL_FINGERPRINT_SIZE], host[OVL_ADDR_MAX], *colon, *p;
	int	n;

	if (addr == NULL) {
		ovl_fingerprint(jk->node_pub, fp);
		snprintf(out, len, "node-%.9s", fp);
		return;
	}
	snprintf(host, sizeof(host), "%s", addr[0] == '[' ? addr + 1 : addr);
	colon = strrchr(host, ':');
	if (colon != NULL) {
		*colon = '\0';
		if (colon > host && colon[-1] == ']')
			colon[-1] = '\0';
	}
	if (colon != NULL && atoi(colon + 1) != CLI_PORT)
		n = snprintf(out, len, "%s-%s", host, colon + 1);
	else
		n = snprintf(out, len, "%s", host);
	for (p = out; *p != '\0'; p++) {
		if (strchr(":/[]% ", *p) != NULL)
			*p = '-';
	}
	if (n < 0 || (size_t)n >= len || cli_name_check(out) != 0) {
		ovl_fingerprint(jk->node_pub, fp);
		snprintf(out, len, "node-%.9s", fp);
	}
}

/* Tells whether the join key already carries addr as a hint. */
static int
has_addr(const struct ovl_joinkey *jk, const char *addr)
{
	size_t	i;

	for (i = 0; i < jk->naddrs; i++) {
		if (strcmp(jk->addrs[i], addr) == 0)
			return (1);
	}
	return (0);
}

/* Picks the book name: --name, the node's current name, or derived. */
static int
pick_name(const struct cli_cmd *self, struct cli_book *b,
    const struct ovl_joinkey *jk, const char *want, const char *addr,
    char *name, size_t len)
{
	struct ovl_joinkey	 other;
	struct cli_node		*n;
	size_t			 i;
	int			 k;

	for (i = 0; want == NULL && i < b->n; i++) {
		if (ovl_joinkey_parse(b->nodes[i].key, &other, NULL) == 0 &&
		    sodium_memcmp(other.node_pub, jk->node_pub,
		    OVL_KEY_LEN) == 0) {
			snprintf(name, len, "%s", b->nodes[i].name);
			sodium_memzero(&other, sizeof(other));
			return (0);
		}
	}
	sodium_memzero(&other, sizeof(other));
	if (want != NULL) {
		snprintf(name, len, "%s", want);
		n = cli_book_find(b, name);
		if (n != NULL && (ovl_joinkey_parse(n->key, &other,
		    NULL) != 0 || sodium_memcmp(other.node_pub,
		    jk->node_pub, OVL_KEY_LEN) != 0)) {
			sodium_memzero(&other, sizeof(other));
			return (cli_error(self, "the name %s is taken by "
			    "another node; pick another --name, or forget it "
			    "first with 'pier nodes rm %s'", name, name));
		}
		sodium_memzero(&other, sizeof(other));
		return (0);
	}
	derive_name(jk, addr, name, len);
	for (k = 2; cli_book_find(b, name) != NULL && k < 1000; k++) {
		char	base[CLI_NAME_MAX + 1];

		derive_name(jk, addr, base, sizeof(base));
		snprintf(name, len, "%.*s-%d", CLI_NAME_MAX - 4, base, k);
	}
	return (0);
}

/*
 * Asks the node just joined (by its book name) for the role of this
 * access key, from node.info; NULL if it does not say (an older node) or
 * cannot be asked, which costs the book its role only.
 */
static char *
ask_role(const char *name)
{
	struct cli_rpc_error	 e;
	struct cli_ctx		 x;
	struct cli_rpc		*r = NULL;
	json_t			*res = NULL;	/* owned */
	char			*cause = NULL, *role = NULL;
	const char		*s;

	memset(&e, 0, sizeof(e));
	if (cli_ctx_open(&x, &cause) != 0) {
		free(cause);
		return (NULL);
	}
	if (cli_rpc_open(&x, name, &r, &cause) == 0 &&
	    cli_rpc_call(r, "node.info", NULL, 0, &res, &e) == 0) {
		s = json_string_value(json_object_get(json_object_get(res,
		    "access"), "role"));
		if (s != NULL)
			role = strdup(s);
	}
	json_decref(res);
	cli_rpc_error_clear(&e);
	cli_rpc_close(r);
	cli_ctx_close(&x);
	free(cause);
	return (role);
}

/* Writes what was joined, as text or JSON. */
static void
report(const struct cli_node *n, int json)
{
	json_t	*o;	/* owned */

	if (!json) {
		printf("joined %s: node %s at %s\n", n->name, n->fingerprint,
		    n->addr);
		return;
	}
	o = json_pack("{s:s, s:s, s:s, s:s?}", "name", n->name,
	    "fingerprint", n->fingerprint, "address", n->addr, "role",
	    n->role);
	if (o != NULL && json_dumpf(o, stdout, JSON_INDENT(2)) == 0)
		putchar('\n');
	json_decref(o);
}

/* The key pasted, maybe in pieces (no quotes): joined, or NULL. */
static char *
join_keytext(int argc, char **argv)
{
	char	*text = NULL, *t;
	int	 i;

	for (i = 0; i < argc; i++) {
		if (asprintf(&t, "%s%s", text != NULL ? text : "",
		    argv[i]) < 0)
			t = NULL;
		if (text != NULL) {
			sodium_memzero(text, strlen(text));
			free(text);
		}
		text = t;
		if (text == NULL)
			break;
	}
	return (text);
}

/* Reads --name and --addr; the usage exit, or -1 when all is well. */
static int
join_read_opts(const struct cli_cmd *self, const struct cli_args *a,
    const char **want, const char **addrs, size_t *nextra)
{
	const char	*arg;
	char		*cause = NULL;
	size_t		 pos = 0;

	*want = cli_args_get(self, a, "name");
	if (*want != NULL && cli_name_check(*want) != 0) {
		cli_error(self, "bad name \"%s\": use 1 to %d of A-Z a-z 0-9 . "
		    "_ - (not first)", *want, CLI_NAME_MAX);
		return (CLI_EXIT_USAGE);
	}
	*nextra = 0;
	while ((arg = cli_args_next(self, a, "addr", &pos)) != NULL) {
		if (*nextra == 8 ||
		    ovl_joinkey_check_addr(arg, &cause) != 0) {
			cli_fail(self, "--addr", cause, "at most 8");
			free(cause);
			return (CLI_EXIT_USAGE);
		}
		addrs[(*nextra)++] = arg;
	}
	return (-1);
}

/* Does the handshake (and nothing more); the address that answered. */
static char *
join_reach(const struct cli_cmd *self, const struct ovl_identity *id,
    const struct ovl_joinkey *jk, const char **addrs, size_t naddrs)
{
	struct ovl_conn	*conn = NULL;
	uv_loop_t	 loop;
	char		*cause = NULL, *addr = NULL;
	int		 err;

	if (uv_loop_init(&loop) != 0)
		return (NULL);
	err = cli_connect(&loop, id, jk, addrs, naddrs, 1, &conn, &cause);
	if (err != 0)
		cli_error(self, "%s", cause);
	else {
		addr = strdup(ovl_conn_peer(conn));
		cli_disconnect(&loop, conn);
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&loop) != 0)
		cli_error(self, "handles left open");
	free(cause);
	return (addr);
}

/* Stores the node (with the extra addresses as hints) and its role. */
static int
join_store(const struct cli_cmd *self, struct cli_book *book,
    struct ovl_joinkey *jk, const char *want, const char **extra,
    size_t nextra, struct cli_node *node, int json)
{
	char		*cause = NULL, *text;
	char		 fp[OVL_FINGERPRINT_SIZE], name[CLI_NAME_MAX + 1];
	size_t		 i;
	int		 rc = CLI_EXIT_FAIL;

	/* Keep the extra addresses as hints for the next time. */
	for (i = 0; i < nextra && jk->naddrs < OVL_JOINKEY_MAX_ADDRS; i++) {
		if (!has_addr(jk, extra[i]))
			snprintf(jk->addrs[jk->naddrs++], OVL_ADDR_MAX, "%s",
			    extra[i]);
	}
	text = ovl_joinkey_format(jk);
	ovl_fingerprint(jk->node_pub, fp);
	if (text == NULL || pick_name(self, book, jk, want, node->addr, name,
	    sizeof(name)) != 0)
		goto out;
	node->name = name;
	node->key = text;
	node->fingerprint = fp;
	node->joined = (int64_t)time(NULL);
	if (cli_book_put(book, node) != 0 ||
	    cli_book_save(book, &cause) != 0)
		cli_fail(self, NULL, cause, "cannot store the node");
	else {
		/* The role is the node's to say: ask, then keep it. */
		node->role = ask_role(name);
		if (node->role != NULL && (cli_book_put(book, node) != 0 ||
		    cli_book_save(book, &cause) != 0))
			cli_fail(self, NULL, cause, "cannot store the role");
		report(node, json);
		rc = CLI_EXIT_OK;
	}
	free(node->role);
	node->role = NULL;
out:
	if (text != NULL) {
		sodium_memzero(text, strlen(text));
		free(text);
	}
	free(cause);
	return (rc);
}

/* `pier join KEY [--name NAME] [--addr HOST:PORT] [--json]`. */
static int
join_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_args		 a;
	struct ovl_joinkey	 jk;
	struct ovl_identity	 id;
	struct cli_book		 book;
	struct cli_node		 node;
	const char		*addrs[CLI_ADDRS_MAX + 8], *want;
	char			*dir = NULL, *cause = NULL, *keytext = NULL;
	size_t			 naddrs, nextra = 0, i;
	int			 json, rc;

	memset(&book, 0, sizeof(book));
	memset(&node, 0, sizeof(node));
	memset(&jk, 0, sizeof(jk));
	memset(&id, 0, sizeof(id));
	rc = cli_args_parse(self, argc, argv, &a);
	cli_args_free(&a);
	if (rc >= 0)
		return (rc);
	rc = join_read_opts(self, &a, &want, addrs, &nextra);
	if (rc >= 0)
		return (rc);
	rc = CLI_EXIT_FAIL;
	json = cli_args_get(self, &a, "json") != NULL;
	keytext = join_keytext(a.argc, a.argv);
	if (keytext == NULL)
		goto out;
	if (ovl_joinkey_parse(keytext, &jk, &cause) != 0) {
		cli_fail(self, NULL, cause, "this is not a Pier join key");
		goto out;
	}
	naddrs = nextra;
	for (i = 0; i < jk.naddrs && naddrs < CLI_ADDRS_MAX + 8; i++)
		addrs[naddrs++] = jk.addrs[i];

	dir = cli_config_dir();
	if (dir == NULL) {
		cli_error(self, "no config directory: set PIER_CONFIG_DIR or "
		    "HOME");
		goto out;
	}
	if (cli_config_dir_make(dir, &cause) != 0 ||
	    cli_identity_load(dir, &id, &cause) != 0 ||
	    cli_book_load(&book, dir, &cause) != 0) {
		cli_error(self, "%s", cause);
		goto out;
	}
	node.addr = join_reach(self, &id, &jk, addrs, naddrs);
	if (node.addr != NULL)
		rc = join_store(self, &book, &jk, want, addrs, nextra, &node,
		    json);
	free(node.addr);
out:
	if (keytext != NULL) {
		sodium_memzero(keytext, strlen(keytext));
		free(keytext);
	}
	sodium_memzero(&jk, sizeof(jk));
	ovl_identity_clear(&id);
	cli_book_free(&book);
	free(cause);
	free(dir);
	return (rc);
}
