/*
 * `pierd key ...`: access keys and the node identity, from the shell on
 * the node's host. Each subcommand is one table entry whose template
 * (the options it takes, how many arguments) is checked before it runs,
 * so usage errors are answered in one place. Join keys go alone on
 * stdout, for scripts; everything else goes to stderr. A running pierd
 * notices a revoke through the keys file (see node.c), a revoked client
 * key too (the list lives in the same file; the server closes that
 * client's connections when a re-read finds it). Changes made here are
 * written to the audit log, with "pierd key" as the client. A key may
 * be limited when it is made (--expires, --uses, --label) and disabled
 * or enabled later; a running pierd closes the connections of a key
 * disabled here when its file watch sees the change.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "node.h"

/* Options a subcommand may take (struct key_cmd's .opts). */
#define KO_LISTEN	0x01
#define KO_ROLE		0x02
#define KO_NAME		0x04
#define KO_JSON		0x08
#define KO_YES		0x10
#define KO_CLIENT	0x20
#define KO_CLIENTS	0x40
#define KO_NOADDR	0x80
#define KO_LIMITS	0x100	/* --expires, --uses, --label */

#define SHELL_CLIENT	"pierd key"	/* the audit's client for changes here */

/* What the options and arguments of `pierd key X` said. */
struct key_args {
	char		*state_dir;
	char		**listen;
	const char	*role;
	const char	*name;
	int		 json;
	int		 yes;
	int		 client;	/* --client */
	int		 clients;	/* --clients */
	int		 no_addr;	/* --no-addr: a key without hints */
	const char	*expires;	/* --expires */
	const char	*uses;		/* --uses */
	struct ovl_key_limits lim;	/* --label, then the rest */
	int		 argc;
	char		**argv;
};

/* One `pierd key` subcommand and the shape of its arguments. */
struct key_cmd {
	const char	*name;
	int		(*exec)(struct key_args *);
	const char	*usage;
	const char	*summary;
	int		 opts;
	int		 lower, upper;	/* positional arguments */
};

static int	key_show(struct key_args *);
static int	key_create(struct key_args *);
static int	key_list(struct key_args *);
static int	key_revoke(struct key_args *);
static int	key_rotate(struct key_args *);
static int	key_unrevoke(struct key_args *);
static int	key_disable(struct key_args *);
static int	key_enable(struct key_args *);

static const struct key_cmd key_cmds[] = {
	{ "create", key_create, "--role ROLE --name NAME [--expires WHEN] "
	    "[--uses N] [--label K=V]... [--listen HOST:PORT | --no-addr]",
	    "create an access key and print its join key; WHEN is a duration "
	    "(90m, 12h, 7d, 2w) or an RFC 3339 time; --uses 1 makes a "
	    "one-time key (the first client key to join is bound to it)",
	    KO_ROLE | KO_NAME | KO_LISTEN | KO_NOADDR | KO_LIMITS, 0, 0 },
	{ "disable", key_disable, "NAME",
	    "disable an access key: it lets nobody in, and a running node "
	    "closes its connections", 0, 1, 1 },
	{ "enable", key_enable, "NAME", "enable a disabled access key again",
	    0, 1, 1 },
	{ "list", key_list, "[--clients] [--json]",
	    "list access keys (name, role, id, created, last used, expiry, "
	    "uses, state, labels), or the revoked client keys",
	    KO_JSON | KO_CLIENTS, 0, 0 },
	{ "revoke", key_revoke, "NAME | --client CLIENT-KEY",
	    "revoke an access key, or one client's key (its fingerprint); a "
	    "running node closes its connections", KO_CLIENT, 1, 1 },
	{ "rotate", key_rotate, "--yes",
	    "make a new node identity (every join key becomes invalid)",
	    KO_YES, 0, 0 },
	{ "show", key_show, "[NAME] [--listen HOST:PORT | --no-addr]",
	    "print the join key of NAME (default: the admin key); with "
	    "--no-addr, without addresses (clients find the node on the LAN)",
	    KO_LISTEN | KO_NOADDR, 0, 1 },
	{ "unrevoke", key_unrevoke, "CLIENT-KEY",
	    "let a revoked client key in again", 0, 1, 1 },
};
#define NKEYCMDS	(sizeof(key_cmds) / sizeof(key_cmds[0]))

/* Prints the `pierd key` usage generated from the table. */
static void
key_usage(FILE *fp)
{
	size_t	i;

	fprintf(fp, "usage: pierd key COMMAND [--state-dir DIR] ...\n\n");
	for (i = 0; i < NKEYCMDS; i++)
		fprintf(fp, "  %-8s %s\n           %s\n", key_cmds[i].name,
		    key_cmds[i].usage, key_cmds[i].summary);
}

/* Prints one subcommand's usage line; returns NODE_EXIT_USAGE. */
static int
cmd_usage(const struct key_cmd *c, FILE *fp, int rc)
{
	fprintf(fp, "usage: pierd key %s %s [--state-dir DIR]\n%s.\n",
	    c->name, c->usage, c->summary);
	return (rc);
}

/* Opens the identity and key store; creates them on first use. */
static int
key_open(struct key_args *a, struct ovl_identity *id,
    struct ovl_keystore **ks)
{
	char	*cause = NULL;
	int	 err;

	err = node_state_open(a->state_dir, id, ks, NULL, &cause);
	if (err != 0) {
		fprintf(stderr, "pierd: %s\n", cause != NULL ? cause :
		    strerror(-err));
		free(cause);
	}
	return (err);
}

/* Writes a change made here to the node's audit log; failures warn. */
static void
key_audit(struct key_args *a, const char *method, const char *target,
    int err, const char *cause)
{
	struct node_audit	 log;
	struct node_audit_entry	 e;
	char			 msg[256];

	memset(&e, 0, sizeof(e));
	e.client = SHELL_CLIENT;
	e.method = method;
	e.target = target;
	e.outcome = err == 0 ? "ok" : "failed";
	if (err != 0) {
		snprintf(msg, sizeof(msg), "%s", cause != NULL ? cause :
		    strerror(-err));
		e.error = msg;
	}
	if (node_audit_open(&log, a->state_dir, 0, 0, NULL) != 0 ||
	    node_audit_write(&log, &e) != 0)
		fprintf(stderr, "pierd: warning: cannot write the audit log "
		    "in %s\n", a->state_dir);
	node_audit_close(&log);
}

/* Prints the join key of k with hints for the node's addresses. */
static int
print_joinkey(struct key_args *a, const struct ovl_identity *id,
    const struct ovl_access_key *k)
{
	char	**listen = NULL, *text = NULL;
	int	  err = 0;

	if (a->no_addr)
		text = node_joinkey_text(NULL, id->pub, k->secret, NULL);
	else if (a->listen == NULL && node_listen_load(a->state_dir, &listen)
	    != 0)
		err = node_listen_default(&listen);
	if (err == 0 && !a->no_addr)
		text = node_joinkey_text(a->state_dir, id->pub, k->secret,
		    a->listen != NULL ? a->listen : listen);
	node_strv_free(listen);
	if (text == NULL) {
		fprintf(stderr, "pierd: out of memory\n");
		return (NODE_EXIT_FAIL);
	}
	printf("%s\n", text);
	sodium_memzero(text, strlen(text));
	free(text);
	return (fflush(stdout) == 0 ? NODE_EXIT_OK : NODE_EXIT_FAIL);
}

/* `pierd key show [NAME]`: the admin key, or the named one. */
static int
key_show(struct key_args *a)
{
	struct ovl_identity		 id;
	struct ovl_keystore		*ks;
	const struct ovl_access_key	*k = NULL;
	size_t				 i;
	int				 rc;

	if (key_open(a, &id, &ks) != 0)
		return (NODE_EXIT_FAIL);
	if (a->argc == 1)
		k = ovl_keystore_find(ks, a->argv[0]);
	else {
		k = ovl_keystore_find(ks, "admin");
		for (i = 0; k == NULL && i < ovl_keystore_count(ks); i++) {
			if (ovl_keystore_get(ks, i)->role == PROTO_ROLE_ADMIN)
				k = ovl_keystore_get(ks, i);
		}
	}
	if (k == NULL) {
		fprintf(stderr, "pierd: no access key named %s; see "
		    "'pierd key list', or make one with 'pierd key create "
		    "--role admin --name NAME'\n", a->argc == 1 ?
		    a->argv[0] : "admin");
		rc = NODE_EXIT_FAIL;
	} else {
		if (strcmp(node_key_state(k, (int64_t)time(NULL)), "enabled")
		    != 0)
			fprintf(stderr, "pierd key show: note: access key %s is "
			    "%s; it lets nobody in\n", k->name,
			    node_key_state(k, (int64_t)time(NULL)));
		rc = print_joinkey(a, &id, k);
	}
	ovl_keystore_free(ks);
	ovl_identity_clear(&id);
	return (rc);
}

/* Reads --expires and --uses into a->lim; -EINVAL after saying why. */
static int
key_limits(struct key_args *a, int64_t now)
{
	char	*cause = NULL, *end;
	long	 v;

	if (a->expires != NULL && ovl_key_expiry_parse(a->expires, now,
	    &a->lim.expires, &cause) != 0) {
		fprintf(stderr, "pierd key create: %s\n", cause);
		free(cause);
		return (-EINVAL);
	}
	if (a->uses != NULL) {
		v = strtol(a->uses, &end, 10);
		if (*a->uses == '\0' || *end != '\0' || v < 0 ||
		    v > OVL_KEY_USES_MAX) {
			fprintf(stderr, "pierd key create: --uses takes 0 (any "
			    "number of client keys) to %d\n",
			    OVL_KEY_USES_MAX);
			return (-EINVAL);
		}
		a->lim.uses = (unsigned)v;
	}
	return (0);
}

/* `pierd key create --role ROLE --name NAME`. */
static int
key_create(struct key_args *a)
{
	struct ovl_identity		 id;
	struct ovl_keystore		*ks;
	const struct ovl_access_key	*k;
	enum proto_role			 role;
	char				*cause = NULL, t[32];
	int64_t				 now = (int64_t)time(NULL);
	int				 rc = NODE_EXIT_FAIL, err;

	if (a->role == NULL || a->name == NULL) {
		fprintf(stderr, "pierd key create: --role and --name are "
		    "required\n");
		return (NODE_EXIT_USAGE);
	}
	if (proto_role_parse(a->role, &role) != 0) {
		fprintf(stderr, "pierd key create: unknown role \"%s\": "
		    "expected viewer, operator, admin or relay (a relay link\n"
		    "for another node: pierd relay --help)\n", a->role);
		return (NODE_EXIT_USAGE);
	}
	if (!ovl_key_name_valid(a->name)) {
		fprintf(stderr, "pierd key create: bad name \"%s\": use 1 to "
		    "%d of a-z 0-9 . _ -\n", a->name, OVL_KEY_NAME_MAX);
		return (NODE_EXIT_USAGE);
	}
	if (key_limits(a, now) != 0)
		return (NODE_EXIT_USAGE);
	if (key_open(a, &id, &ks) != 0)
		return (NODE_EXIT_FAIL);
	err = ovl_keystore_create_with(ks, a->name, role, &a->lim, now, &k,
	    &cause);
	key_audit(a, "key.create", a->name, err, cause);
	if (err == -EEXIST)
		fprintf(stderr, "pierd key create: a key named %s exists; "
		    "revoke it first or pick another name\n", a->name);
	else if (err != 0)
		fprintf(stderr, "pierd key create: %s\n", cause != NULL ?
		    cause : strerror(-err));
	else {
		ovl_key_time(k->expires, t, sizeof(t));
		fprintf(stderr, "created %s key %s%s%s%s\n",
		    proto_role_name(role), a->name, k->expires != 0 ?
		    ", expires " : "", k->expires != 0 ? t : "", k->uses == 1 ?
		    ", one-time (binds the first client key to join)" : "");
		rc = print_joinkey(a, &id, k);
	}
	free(cause);
	ovl_keystore_free(ks);
	ovl_identity_clear(&id);
	return (rc);
}

/* Formats unix seconds for the table, "never" for 0. */
static void
fmt_time(int64_t t, char *buf, size_t len)
{
	ovl_key_time(t, buf, len);
}

/* The USES and LABELS cells of k: "any" or "BOUND/USES", "k=v,...". */
static void
fmt_limits(const struct ovl_access_key *k, char *uses, size_t ulen,
    char *labels, size_t llen)
{
	size_t	i, off = 0;
	int	n;

	if (k->uses == 0)
		snprintf(uses, ulen, "any");
	else
		snprintf(uses, ulen, "%zu/%u", k->nbound, k->uses);
	snprintf(labels, llen, "-");
	for (i = 0; i < k->nlabels && off < llen; i++) {
		n = snprintf(labels + off, llen - off, "%s%s=%s", i > 0 ?
		    "," : "", k->labels[i].k, k->labels[i].v);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

/* `pierd key list --clients [--json]`: the revoked client keys. */
static int
list_clients(struct key_args *a, struct ovl_keystore *ks)
{
	const struct ovl_denied_client	*d;
	json_t				*arr, *o; /* owned, borrowed */
	char				 t[32];
	size_t				 i;
	int				 rc = NODE_EXIT_OK;

	arr = json_array();
	if (!a->json)
		printf("%-20s %s\n", "CLIENT KEY", "REVOKED");
	for (i = 0; i < ovl_keystore_denied_count(ks); i++) {
		d = ovl_keystore_denied_get(ks, i);
		fmt_time(d->since, t, sizeof(t));
		if (!a->json) {
			printf("%-20s %s\n", d->fp, t);
			continue;
		}
		o = json_pack("{s:s, s:I}", "id", d->fp, "revoked",
		    (json_int_t)d->since);
		if (arr == NULL || o == NULL || json_array_append_new(arr, o))
			rc = NODE_EXIT_FAIL;
	}
	if (a->json && rc == NODE_EXIT_OK &&
	    json_dumpf(arr, stdout, JSON_INDENT(2)) == 0)
		putchar('\n');
	json_decref(arr);
	return (rc);
}

/* `pierd key list [--json]`: no secrets, ever. */
static int
key_list(struct key_args *a)
{
	struct ovl_identity		 id;
	struct ovl_keystore		*ks;
	const struct ovl_access_key	*k;
	json_t				*arr, *o; /* owned, borrowed */
	char				 c[32], u[32], e[32], n[16];
	char				 l[OVL_KEY_LABELS_MAX * 100];
	int64_t				 now = (int64_t)time(NULL);
	size_t				 i;
	int				 rc = NODE_EXIT_OK;

	if (key_open(a, &id, &ks) != 0)
		return (NODE_EXIT_FAIL);
	if (a->clients) {
		rc = list_clients(a, ks);
		goto out;
	}
	arr = json_array();
	if (!a->json)
		printf("%-20s %-9s %-17s %-21s %-21s %-21s %-5s %-8s %s\n",
		    "NAME", "ROLE", "ID", "CREATED", "LAST USED", "EXPIRES",
		    "USES", "STATE", "LABELS");
	for (i = 0; i < ovl_keystore_count(ks); i++) {
		k = ovl_keystore_get(ks, i);
		fmt_time(k->created, c, sizeof(c));
		fmt_time(k->last_used, u, sizeof(u));
		fmt_time(k->expires, e, sizeof(e));
		fmt_limits(k, n, sizeof(n), l, sizeof(l));
		if (!a->json) {
			printf("%-20s %-9s %-17s %-21s %-21s %-21s %-5s %-8s "
			    "%s\n", k->name, proto_role_name(k->role), k->id,
			    c, u, e, n, node_key_state(k, now), l);
			continue;
		}
		o = node_key_json(k, now);
		if (arr == NULL || o == NULL || json_array_append_new(arr, o))
			rc = NODE_EXIT_FAIL;
	}
	if (a->json && rc == NODE_EXIT_OK &&
	    json_dumpf(arr, stdout, JSON_INDENT(2)) == 0)
		putchar('\n');
	json_decref(arr);
out:
	ovl_keystore_free(ks);
	ovl_identity_clear(&id);
	return (rc);
}

/*
 * `pierd key revoke --client KEY` (undo 0) and `pierd key unrevoke KEY`
 * (undo 1): a client key on or off the revoked list.
 */
static int
revoke_client(struct key_args *a, int undo)
{
	struct ovl_identity	 id;
	struct ovl_keystore	*ks;
	const char		*sub = undo ? "unrevoke" : "revoke";
	char			 fp[OVL_FINGERPRINT_SIZE], target[64];
	char			*cause = NULL;
	int			 err;

	if (ovl_client_id_parse(a->argv[0], fp) != 0) {
		fprintf(stderr, "pierd key %s: \"%s\" is not a client key: "
		    "give its fingerprint (abcd-efgh-ijkl-mnop, as the log "
		    "and the audit log show it) or its public key in 64 hex "
		    "digits\n", sub, a->argv[0]);
		return (NODE_EXIT_USAGE);
	}
	if (key_open(a, &id, &ks) != 0)
		return (NODE_EXIT_FAIL);
	if (undo)
		err = ovl_keystore_undeny(ks, fp, &cause);
	else
		err = ovl_keystore_deny(ks, fp, (int64_t)time(NULL), &cause);
	snprintf(target, sizeof(target), "client %s", fp);
	key_audit(a, undo ? "key.unrevoke" : "key.revoke", target, err,
	    cause);
	if (err != 0)
		fprintf(stderr, "pierd key %s: %s\n", sub, cause != NULL ?
		    cause : strerror(-err));
	else if (undo)
		fprintf(stderr, "client key %s may connect again\n", fp);
	else
		fprintf(stderr, "revoked client key %s; a running pierd closes "
		    "its connections\n", fp);
	free(cause);
	ovl_keystore_free(ks);
	ovl_identity_clear(&id);
	return (err == 0 ? NODE_EXIT_OK : NODE_EXIT_FAIL);
}

/* `pierd key disable NAME` (disable 1) and `pierd key enable NAME`. */
static int
set_disabled(struct key_args *a, int disable)
{
	struct ovl_identity	 id;
	struct ovl_keystore	*ks;
	const char		*sub = disable ? "disable" : "enable";
	char			*cause = NULL;
	int			 err;

	if (key_open(a, &id, &ks) != 0)
		return (NODE_EXIT_FAIL);
	err = ovl_keystore_set_disabled(ks, a->argv[0], disable,
	    (int64_t)time(NULL), &cause);
	key_audit(a, disable ? "key.disable" : "key.enable", a->argv[0], err,
	    cause);
	if (err == -ENOENT)
		fprintf(stderr, "pierd key %s: no access key named %s\n", sub,
		    a->argv[0]);
	else if (err != 0)
		fprintf(stderr, "pierd key %s: %s\n", sub, cause != NULL ?
		    cause : strerror(-err));
	else if (disable)
		fprintf(stderr, "disabled %s; a running pierd closes the "
		    "connections made with it\n", a->argv[0]);
	else
		fprintf(stderr, "enabled %s\n", a->argv[0]);
	free(cause);
	ovl_keystore_free(ks);
	ovl_identity_clear(&id);
	return (err == 0 ? NODE_EXIT_OK : NODE_EXIT_FAIL);
}

/* `pierd key disable NAME`. */
static int
key_disable(struct key_args *a)
{
	return (set_disabled(a, 1));
}

/* `pierd key enable NAME`. */
static int
key_enable(struct key_args *a)
{
	return (set_disabled(a, 0));
}

/* `pierd key unrevoke KEY`. */
static int
key_unrevoke(struct key_args *a)
{
	return (revoke_client(a, 1));
}

/* `pierd key revoke NAME`. */
static int
key_revoke(struct key_args *a)
{
	struct ovl_identity	 id;
	struct ovl_keystore	*ks;
	char			*cause = NULL;
	int			 err;

	if (a->client)
		return (revoke_client(a, 0));
	if (key_open(a, &id, &ks) != 0)
		return (NODE_EXIT_FAIL);
	err = ovl_keystore_revoke(ks, a->argv[0], &cause);
	key_audit(a, "key.revoke", a->argv[0], err, cause);
	if (err == -ENOENT)
		fprintf(stderr, "pierd key revoke: no access key named %s\n",
		    a->argv[0]);
	else if (err != 0)
		fprintf(stderr, "pierd key revoke: %s\n", cause != NULL ?
		    cause : strerror(-err));
	else
		fprintf(stderr, "revoked %s; a running pierd closes the "
		    "connections made with it\n", a->argv[0]);
	free(cause);
	ovl_keystore_free(ks);
	ovl_identity_clear(&id);
	return (err == 0 ? NODE_EXIT_OK : NODE_EXIT_FAIL);
}

/* `pierd key rotate --yes`: a new identity; old join keys stop working. */
static int
key_rotate(struct key_args *a)
{
	struct ovl_identity	 id;
	char			*cause = NULL, fp[OVL_FINGERPRINT_SIZE];
	int			 err;

	if (!a->yes) {
		fprintf(stderr, "pierd key rotate: this makes a new node "
		    "identity, and every join key handed out so far becomes "
		    "invalid (clients must join again with a new key).\n"
		    "Run 'pierd key rotate --yes' to do it.\n");
		return (NODE_EXIT_FAIL);
	}
	err = node_state_dir_make(a->state_dir, &cause);
	if (err == 0)
		err = ovl_identity_rotate(a->state_dir, NODE_IDENTITY_FILE,
		    &id, &cause);
	if (err != 0) {
		fprintf(stderr, "pierd key rotate: %s\n", cause != NULL ?
		    cause : strerror(-err));
		free(cause);
		return (NODE_EXIT_FAIL);
	}
	ovl_fingerprint(id.pub, fp);
	ovl_identity_clear(&id);
	fprintf(stderr, "new node identity %s; every earlier join key is "
	    "now invalid. Restart pierd, then hand out new keys "
	    "('pierd key show').\n", fp);
	return (NODE_EXIT_OK);
}

/*
 * Reads the options of `pierd key CMD` into a (argv[0] is CMD); -1 when
 * they fit c's declaration, else the exit code (after the usage text).
 */
static int
key_read_args(const struct key_cmd *c, int argc, char **argv,
    struct key_args *a)
{
	static const struct option longopts[] = {
		{ "state-dir", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "role", required_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "yes", no_argument, NULL, 'y' },
		{ "client", no_argument, NULL, 'c' },
		{ "clients", no_argument, NULL, 'C' },
		{ "no-addr", no_argument, NULL, 'A' },
		{ "expires", required_argument, NULL, 'e' },
		{ "uses", required_argument, NULL, 'u' },
		{ "label", required_argument, NULL, 'b' },
		{ "log-level", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sockaddr_storage	 ss;
	struct ovl_key_label	 lab;
	char			*cause = NULL;
	int			 ch, seen = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			free(a->state_dir);
			a->state_dir = strdup(optarg);
			continue;
		case 'h':
			return (cmd_usage(c, stdout, NODE_EXIT_OK));
		case 'L':
			/* So tools/run-node can pass pierd's options. */
			continue;
		case 'l':
			if (node_addr_parse(optarg, &ss, &cause) != 0) {
				fprintf(stderr, "pierd key %s: %s\n", c->name,
				    cause);
				free(cause);
				return (NODE_EXIT_USAGE);
			}
			if (node_strv_push(&a->listen, optarg) != 0)
				return (NODE_EXIT_USAGE);
			seen |= KO_LISTEN;
			continue;
		case 'r':
			a->role = optarg;
			seen |= KO_ROLE;
			continue;
		case 'n':
			a->name = optarg;
			seen |= KO_NAME;
			continue;
		case 'j':
			a->json = 1;
			seen |= KO_JSON;
			continue;
		case 'y':
			a->yes = 1;
			seen |= KO_YES;
			continue;
		case 'c':
			a->client = 1;
			seen |= KO_CLIENT;
			continue;
		case 'C':
			a->clients = 1;
			seen |= KO_CLIENTS;
			continue;
		case 'A':
			a->no_addr = 1;
			seen |= KO_NOADDR;
			continue;
		case 'e':
			a->expires = optarg;
			seen |= KO_LIMITS;
			continue;
		case 'u':
			a->uses = optarg;
			seen |= KO_LIMITS;
			continue;
		case 'b':
			seen |= KO_LIMITS;
			if (ovl_key_label_parse(optarg, &lab, &cause) != 0 ||
			    ovl_key_limits_label(&a->lim, &lab) != 0) {
				fprintf(stderr, "pierd key %s: %s\n", c->name,
				    cause != NULL ? cause : "too many labels");
				free(cause);
				return (NODE_EXIT_USAGE);
			}
			continue;
		default:
			return (cmd_usage(c, stderr, NODE_EXIT_USAGE));
		}
	}
	a->argc = argc - optind;
	a->argv = argv + optind;
	if ((seen & ~c->opts) != 0 || a->argc < c->lower ||
	    a->argc > c->upper || (a->no_addr && a->listen != NULL))
		return (cmd_usage(c, stderr, NODE_EXIT_USAGE));
	return (-1);
}

/* `pierd key COMMAND ...`: checks the template, then runs the command. */
int
node_key_main(int argc, char **argv)
{
	const struct key_cmd	*c = NULL;
	struct key_args		 a;
	size_t			 i;
	int			 rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		key_usage(argc < 2 ? stderr : stdout);
		return (argc < 2 ? NODE_EXIT_USAGE : NODE_EXIT_OK);
	}
	for (i = 0; i < NKEYCMDS; i++) {
		if (strcmp(argv[1], key_cmds[i].name) == 0)
			c = &key_cmds[i];
	}
	if (c == NULL) {
		fprintf(stderr, "pierd key: unknown command: %s\n", argv[1]);
		key_usage(stderr);
		return (NODE_EXIT_USAGE);
	}
	memset(&a, 0, sizeof(a));
	rc = key_read_args(c, argc - 1, argv + 1, &a);
	if (rc >= 0)
		goto out;
	if (a.state_dir == NULL)
		a.state_dir = node_state_dir_default();
	if (a.state_dir == NULL) {
		fprintf(stderr, "pierd: no state directory: set HOME or "
		    "XDG_STATE_HOME, or pass --state-dir DIR\n");
		rc = NODE_EXIT_FAIL;
		goto out;
	}
	rc = c->exec(&a);
out:
	free(a.state_dir);
	node_strv_free(a.listen);
	return (rc);
}
