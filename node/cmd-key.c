/*
 * key.create, key.list, key.revoke and key.unrevoke (key.disable,
 * key.enable and the keys' limits: cmd-key-limits.c): access-key and
 * client-key management through the protocol, so an admin can hand out
 * and take back access without a shell on the node's host. The catalogue
 * makes them all admin-only. Changes go through the keystore (locked,
 * re-read, saved atomically), the same path `pierd key` takes, so the
 * two never clobber each other.
 *
 * A client key (one laptop's identity, named by its fingerprint as the
 * audit log shows it) is revoked on its own while the access key it used
 * stays in use by others; the server closes its connections as the
 * keystore's list gains it, and key.unrevoke takes a mistake back. An
 * admin cannot revoke the client key it is calling with.
 *
 * Revoking a key closes its connections a moment later (node.c's reload
 * timer), so the reply to the revoking call gets out first even when an
 * admin revokes the key it is using. The
 * last admin key cannot be revoked this way: that would leave the node
 * manageable only from its host; `pierd key revoke` can still do it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "node.h"

/* The join key of k with the node's address hints (caller frees). */
static char *
key_joinkey(struct node *n, const struct ovl_access_key *k)
{
	return (node_joinkey_text(n->state_dir, n->id.pub, k->secret, n->bound));
}

/* key.create. */
enum cmd_retval
cmd_key_create(struct cmd_req *r)
{
	const struct ovl_access_key	*k = NULL;
	struct ovl_key_limits		 lim;
	const char			*name, *rolename;
	enum proto_role			 role;
	json_t				*o;	/* owned */
	char				*cause = NULL, *jk;
	int64_t				 now = (int64_t)time(NULL);
	int				 err;

	name = proto_param_str(r->params, "name", "");
	rolename = proto_param_str(r->params, "role", "");
	cmd_set_target(r, "%s (%s)", name, rolename);
	if (proto_role_parse(rolename, &role) != 0)
		return (cmd_fail(r, PROTO_E_PARAMS, "params.role: expected "
		    "viewer, operator or admin"));
	if (!ovl_key_name_valid(name))
		return (cmd_fail(r, PROTO_E_PARAMS, "params.name: a key name "
		    "is 1 to %d of a-z 0-9 . _ -", OVL_KEY_NAME_MAX));
	if (cmd_key_limits(r, now, &lim) != 0)
		return (CMD_ERROR);
	err = ovl_keystore_create_with(r->node->ks, name, role, &lim, now, &k,
	    &cause);
	if (err != 0) {
		if (err == -EEXIST)
			(void)cmd_fail(r, PROTO_E_CONFLICT, "an access key "
			    "named %s already exists", name);
		else if (err == -ENOSPC)
			(void)cmd_fail(r, PROTO_E_KEYMGMT, "the node holds %d "
			    "access keys already; revoke one first",
			    OVL_KEYS_MAX);
		else
			(void)cmd_fail(r, PROTO_E_HOST, "cannot create the key:"
			    " %s", cause != NULL ? cause : strerror(-err));
		free(cause);
		return (CMD_ERROR);
	}
	node_log(&r->node->log, NODE_LOG_INFO, "access key %s (%s) created by "
	    "client %s with key %s", k->name, proto_role_name(k->role),
	    r->caller.client, r->caller.key);
	jk = key_joinkey(r->node, k);
	o = node_key_json(k, now);
	if (o == NULL || jk == NULL) {
		free(jk);
		json_decref(o);
		return (cmd_fail(r, PROTO_E_INTERNAL, "out of memory"));
	}
	(void)json_object_set_new(o, "join_key", json_string(jk));
	sodium_memzero(jk, strlen(jk));
	free(jk);
	return (cmd_reply(r, o));
}

/* key.list. */
enum cmd_retval
cmd_key_list(struct cmd_req *r)
{
	struct ovl_keystore		*ks = r->node->ks;
	const struct ovl_denied_client	*d;
	json_t				*arr, *cl;	/* owned */
	int64_t				 now = (int64_t)time(NULL);
	size_t				 i;

	arr = json_array();
	cl = json_array();
	for (i = 0; arr != NULL && i < ovl_keystore_count(ks); i++)
		(void)json_array_append_new(arr,
		    node_key_json(ovl_keystore_get(ks, i), now));
	for (i = 0; cl != NULL && i < ovl_keystore_denied_count(ks); i++) {
		d = ovl_keystore_denied_get(ks, i);
		(void)json_array_append_new(cl, json_pack("{s:s, s:I}", "id",
		    d->fp, "revoked", (json_int_t)d->since));
	}
	if (arr == NULL || cl == NULL) {
		json_decref(arr);
		json_decref(cl);
		return (cmd_fail(r, PROTO_E_INTERNAL, "out of memory"));
	}
	return (cmd_reply(r, json_pack("{s:o, s:o}", "keys", arr,
	    "revoked_clients", cl)));
}

/* The fingerprint of the client key in params.id; -EINVAL answered. */
static int
client_id(struct cmd_req *r, char fp[static OVL_FINGERPRINT_SIZE])
{
	const char	*id;

	id = proto_param_str(r->params, "id", "");
	if (ovl_client_id_parse(id, fp) == 0)
		return (0);
	(void)cmd_fail(r, PROTO_E_PARAMS, "params.id: a client key is its "
	    "fingerprint (abcd-efgh-ijkl-mnop, as the audit log shows it) or "
	    "its public key in 64 hex digits");
	return (-EINVAL);
}

/* key.revoke with kind client: the node refuses that client key. */
static enum cmd_retval
revoke_client(struct cmd_req *r)
{
	struct node	*n = r->node;
	char		 fp[OVL_FINGERPRINT_SIZE], own[OVL_FINGERPRINT_SIZE];
	char		*cause = NULL;
	int64_t		 now = (int64_t)time(NULL);
	int		 err;

	if (client_id(r, fp) != 0)
		return (CMD_ERROR);
	cmd_set_target(r, "client %s", fp);
	ovl_fingerprint(r->caller.client_key, own);
	if (strcmp(own, fp) == 0)
		return (cmd_fail(r, PROTO_E_KEYMGMT, "%s is the client key "
		    "of this connection; revoke it from another client (or "
		    "with 'pierd key revoke --client' on the node's host)",
		    fp));
	err = ovl_keystore_deny(n->ks, fp, now, &cause);
	if (err != 0) {
		if (err == -EEXIST)
			(void)cmd_fail(r, PROTO_E_CONFLICT, "client key %s is "
			    "revoked already", fp);
		else if (err == -ENOSPC)
			(void)cmd_fail(r, PROTO_E_KEYMGMT, "the node holds %d "
			    "revoked client keys already; take one back "
			    "first", OVL_DENIED_MAX);
		else
			(void)cmd_fail(r, PROTO_E_HOST, "cannot revoke client "
			    "key %s: %s", fp, cause != NULL ? cause :
			    strerror(-err));
		free(cause);
		return (CMD_ERROR);
	}
	node_log(&n->log, NODE_LOG_INFO, "client key %s revoked by client %s "
	    "with key %s", fp, r->caller.client, r->caller.key);
	return (cmd_reply(r, json_pack("{s:s, s:s, s:I}", "id", fp, "kind",
	    "client", "revoked", (json_int_t)now)));
}

/* key.unrevoke: takes a revoked client key back. */
enum cmd_retval
cmd_key_unrevoke(struct cmd_req *r)
{
	struct node	*n = r->node;
	char		 fp[OVL_FINGERPRINT_SIZE];
	char		*cause = NULL;
	int		 err;

	if (client_id(r, fp) != 0)
		return (CMD_ERROR);
	cmd_set_target(r, "client %s", fp);
	err = ovl_keystore_undeny(n->ks, fp, &cause);
	if (err != 0) {
		if (err == -ENOENT)
			(void)cmd_fail(r, PROTO_E_NOTFOUND, "client key %s is "
			    "not revoked (see 'pier key list --clients')", fp);
		else
			(void)cmd_fail(r, PROTO_E_HOST, "cannot take back "
			    "client key %s: %s", fp, cause != NULL ? cause :
			    strerror(-err));
		free(cause);
		return (CMD_ERROR);
	}
	node_log(&n->log, NODE_LOG_INFO, "client key %s taken back by client "
	    "%s with key %s", fp, r->caller.client, r->caller.key);
	return (cmd_reply(r, json_pack("{s:s, s:s}", "id", fp, "kind",
	    "client")));
}

/* The key named, or with this id; NULL if none. */
const struct ovl_access_key *
cmd_key_lookup(struct ovl_keystore *ks, const char *s)
{
	const struct ovl_access_key	*k;
	size_t				 i;

	k = ovl_keystore_find(ks, s);
	for (i = 0; k == NULL && i < ovl_keystore_count(ks); i++) {
		if (strcmp(ovl_keystore_get(ks, i)->id, s) == 0)
			k = ovl_keystore_get(ks, i);
	}
	return (k);
}

/* Number of admin keys other than k. */
size_t
cmd_key_other_admins(struct ovl_keystore *ks, const struct ovl_access_key *k)
{
	const struct ovl_access_key	*o;
	size_t				 i, cnt = 0;

	for (i = 0; i < ovl_keystore_count(ks); i++) {
		o = ovl_keystore_get(ks, i);
		if (o != k && o->role == PROTO_ROLE_ADMIN)
			cnt++;
	}
	return (cnt);
}

/* key.revoke. */
enum cmd_retval
cmd_key_revoke(struct cmd_req *r)
{
	const struct ovl_access_key	*k;
	struct node			*n = r->node;
	const char			*id, *kind;
	char				 name[OVL_KEY_NAME_MAX + 1];
	char				 kid[OVL_KEY_ID_SIZE];
	char				*cause = NULL;
	int				 err;

	id = proto_param_str(r->params, "id", "");
	kind = proto_param_str(r->params, "kind", "access");
	if (strcmp(kind, "client") == 0)
		return (revoke_client(r));
	k = cmd_key_lookup(n->ks, id);
	if (k == NULL)
		return (cmd_fail(r, PROTO_E_NOTFOUND, "no access key named %s "
		    "or with that id (see 'pier key list')", id));
	cmd_set_target(r, "%s", k->name);
	if (k->role == PROTO_ROLE_ADMIN && cmd_key_other_admins(n->ks, k) == 0)
		return (cmd_fail(r, PROTO_E_KEYMGMT, "%s is the last admin "
		    "key; create another admin key first (or use 'pierd key "
		    "revoke' on the node's host)", k->name));
	snprintf(name, sizeof(name), "%s", k->name);
	snprintf(kid, sizeof(kid), "%s", k->id);
	err = ovl_keystore_revoke(n->ks, name, &cause);
	if (err != 0) {
		(void)cmd_fail(r, err == -ENOENT ? PROTO_E_NOTFOUND :
		    PROTO_E_HOST, "cannot revoke %s: %s", name, cause != NULL ?
		    cause : strerror(-err));
		free(cause);
		return (CMD_ERROR);
	}
	node_log(&n->log, NODE_LOG_INFO, "access key %s revoked by client %s "
	    "with key %s", name, r->caller.client, r->caller.key);
	(void)cmd_reply(r, json_pack("{s:s, s:s}", "id", kid, "name", name));
	node_key_revoked(n, name);
	return (CMD_DONE);
}
