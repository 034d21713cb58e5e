/*
 * The limits of access keys through the protocol: key.create's expires,
 * uses and labels, key.disable and key.enable, and how a key shows them
 * (key.list, key.create's reply, `pierd key list --json`).
 *
 * Disabling a key ends its connections a moment later (node.c's reload
 * timer sweeps them), so the reply gets out first even when an admin
 * disables the key it calls with; the last admin key cannot be disabled
 * this way, as it cannot be revoked ('pierd key disable' on the node's
 * host still can).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "node.h"

/* "enabled", "disabled" or "expired". */
const char *
node_key_state(const struct ovl_access_key *k, int64_t now)
{
	if (k->disabled != 0)
		return ("disabled");
	if (k->expires != 0 && now >= k->expires)
		return ("expired");
	return ("enabled");
}

/* One key as the protocol shows it (never its secret). */
json_t *
node_key_json(const struct ovl_access_key *k, int64_t now)
{
	json_t	*o, *by, *labels;	/* owned */
	size_t	 i;

	by = json_array();
	labels = json_object();
	for (i = 0; by != NULL && i < k->nbound; i++)
		(void)json_array_append_new(by, json_string(k->bound[i]));
	for (i = 0; labels != NULL && i < k->nlabels; i++)
		(void)json_object_set_new(labels, k->labels[i].k,
		    json_string(k->labels[i].v));
	if (by == NULL || labels == NULL) {
		json_decref(by);
		json_decref(labels);
		return (NULL);
	}
	o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:o, s:s, s:o}",
	    "id", k->id, "name", k->name, "role", proto_role_name(k->role),
	    "created", (json_int_t)k->created,
	    "last_used", (json_int_t)k->last_used,
	    "expires", (json_int_t)k->expires, "uses", (json_int_t)k->uses,
	    "used_by", by, "state", node_key_state(k, now), "labels", labels);
	return (o);
}

/* key.create's expires, uses and labels. */
int
cmd_key_limits(struct cmd_req *r, int64_t now, struct ovl_key_limits *lim)
{
	struct ovl_key_label	 l;
	const char		*exp, *k;
	json_t			*labels, *v;	/* borrowed */
	char			*cause = NULL, *kv;
	int			 err;

	memset(lim, 0, sizeof(*lim));
	exp = proto_param_str(r->params, "expires", NULL);
	if (exp != NULL && ovl_key_expiry_parse(exp, now, &lim->expires,
	    &cause) != 0) {
		(void)cmd_fail(r, PROTO_E_PARAMS, "params.expires: %s", cause);
		free(cause);
		return (-EINVAL);
	}
	lim->uses = (unsigned)proto_param_int(r->params, "uses", 0);
	labels = json_object_get(r->params, "labels");
	json_object_foreach(labels, k, v) {
		kv = proto_xasprintf("%s=%s", k, json_string_value(v));
		err = ovl_key_label_parse(kv, &l, &cause);
		free(kv);
		if (err == 0)
			err = ovl_key_limits_label(lim, &l);
		if (err != 0) {
			(void)cmd_fail(r, PROTO_E_PARAMS, "params.labels: %s",
			    cause != NULL ? cause : "too many labels");
			free(cause);
			return (-EINVAL);
		}
	}
	return (0);
}

/* key.disable (disable 1) and key.enable (0). */
static enum cmd_retval
set_disabled(struct cmd_req *r, int disable)
{
	const struct ovl_access_key	*k;
	struct node			*n = r->node;
	char				 name[OVL_KEY_NAME_MAX + 1];
	char				 kid[OVL_KEY_ID_SIZE];
	char				*cause = NULL;
	int				 err;

	k = cmd_key_lookup(n->ks, proto_param_str(r->params, "id", ""));
	if (k == NULL)
		return (cmd_fail(r, PROTO_E_NOTFOUND, "no access key named %s "
		    "or with that id (see 'pier key list')",
		    proto_param_str(r->params, "id", "")));
	cmd_set_target(r, "%s", k->name);
	if (disable && k->role == PROTO_ROLE_ADMIN && k->disabled == 0 &&
	    cmd_key_other_admins(n->ks, k) == 0)
		return (cmd_fail(r, PROTO_E_KEYMGMT, "%s is the last admin "
		    "key; create another admin key first (or use 'pierd key "
		    "disable' on the node's host)", k->name));
	snprintf(name, sizeof(name), "%s", k->name);
	snprintf(kid, sizeof(kid), "%s", k->id);
	err = ovl_keystore_set_disabled(n->ks, name, disable,
	    (int64_t)time(NULL), &cause);
	if (err != 0) {
		(void)cmd_fail(r, err == -ENOENT ? PROTO_E_NOTFOUND :
		    err == -EALREADY ? PROTO_E_STATE : PROTO_E_HOST, "cannot "
		    "%s %s: %s", disable ? "disable" : "enable", name,
		    cause != NULL ? cause : strerror(-err));
		free(cause);
		return (CMD_ERROR);
	}
	node_log(&n->log, NODE_LOG_INFO, "access key %s %s by client %s with "
	    "key %s", name, disable ? "disabled" : "enabled", r->caller.client,
	    r->caller.key);
	(void)cmd_reply(r, json_pack("{s:s, s:s, s:b}", "id", kid, "name",
	    name, "disabled", disable));
	if (disable)
		node_keys_sweep_soon(n);
	return (CMD_DONE);
}

/* key.disable. */
enum cmd_retval
cmd_key_disable(struct cmd_req *r)
{
	return (set_disabled(r, 1));
}

/* key.enable. */
enum cmd_retval
cmd_key_enable(struct cmd_req *r)
{
	return (set_disabled(r, 0));
}
