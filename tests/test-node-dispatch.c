/*
 * Loop tests of the node's dispatcher (node/cmd.c, cmd-conn.c), its
 * audit log (audit.c) and container name matching (resolve.c): a node
 * and clients on one private loop over real TCP on 127.0.0.1. The
 * clients write channel 0 by hand, so malformed and oversized messages
 * can be sent. Docker is either an address where nothing listens (down)
 * or a unix socket this test accepts on and never answers (hangs), so
 * requests stay in flight as long as a case needs them to.
 */
#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "node-fx.h"

/* Every catalogue method has one handler entry and the other way round. */
static void
test_table_matches_catalogue(void)
{
	size_t	i;

	ASSERT_EQ(cmd_ntable, proto_nmethods);
	for (i = 0; i < cmd_ntable; i++) {
		ASSERT_NOT_NULL(cmd_table[i].name);
		ASSERT_NOT_NULL(cmd_table[i].exec);
		if (i > 0)
			ASSERT_LT(strcmp(cmd_table[i - 1].name,
			    cmd_table[i].name), 0);
		ASSERT_STREQ(cmd_table[i].name, proto_methods[i].name);
		ASSERT(cmd_find(cmd_table[i].name) == &cmd_table[i]);
		ASSERT_NOT_NULL(proto_method_find(cmd_table[i].name));
	}
	for (i = 0; i < proto_nmethods; i++)
		ASSERT_NOT_NULL(cmd_find(proto_methods[i].name));
	ASSERT_NULL(cmd_find("container.nope"));
	ASSERT_NULL(cmd_find(""));
}

/* node.info over the wire, with Docker down: answered, docker null. */
static void
test_node_info_docker_down(void)
{
	struct fx	 fx;
	struct cl	 c;
	uint8_t		 s[OVL_KEY_LEN];
	json_t		*r, *res;	/* owned, borrowed */

	fx_start(&fx, "down", 0);
	fx_key(&fx, "viewer1", PROTO_ROLE_VIEWER, s);
	cl_dial(&fx, &c, s);
	r = cl_call(&c, "node.info", NULL);
	res = json_object_get(r, "result");
	ASSERT_NOT_NULL(res);
	ASSERT_EQ(json_integer_value(json_object_get(res, "proto")),
	    PROTO_VERSION);
	ASSERT_STREQ(json_string_value(json_object_get(res, "key")),
	    fx.node->fingerprint);
	ASSERT(json_is_null(json_object_get(res, "docker")));
	ASSERT_CONTAINS(json_string_value(json_object_get(res,
	    "docker_error")), "cannot reach Docker at unix://");
	ASSERT_GT(json_integer_value(json_object_get(json_object_get(res,
	    "host"), "cpus")), 0);
	ASSERT_GT(json_integer_value(json_object_get(json_object_get(res,
	    "host"), "memory")), 0);
	/* The caller's own access key and role, for pier nodes. */
	ASSERT_STREQ(json_string_value(json_object_get(json_object_get(res,
	    "access"), "key")), "viewer1");
	ASSERT_STREQ(json_string_value(json_object_get(json_object_get(res,
	    "access"), "role")), "viewer");
	json_decref(r);
	/* A Docker method says what is wrong, and the node goes on. */
	r = cl_call(&c, "container.list", NULL);
	ASSERT_EQ(err_code(r), PROTO_E_DOCKER_DOWN);
	ASSERT_CONTAINS(err_msg(r), "docker unavailable: cannot reach Docker "
	    "at unix://");
	json_decref(r);
	r = cl_call(&c, "container.inspect", json_pack("{s:s}", "id", "web"));
	ASSERT_EQ(err_code(r), PROTO_E_DOCKER_DOWN);
	ASSERT_CONTAINS(err_msg(r), "docker unavailable: cannot reach Docker "
	    "at unix://");
	json_decref(r);
	cl_close(&c);
	fx_stop(&fx);
}

/*
 * Idle after a request, and again after a client left: the node trims
 * its heap NODE_TRIM_MS later, once each time, and not while busy.
 */
static void
test_trim_when_idle(void)
{
	struct fx	 fx;
	struct cl	 c;
	uint8_t		 s[OVL_KEY_LEN];
	json_t		*r;	/* owned */
	uint64_t	 t0;

	fx_start(&fx, "down", 0);
	fx_key(&fx, "viewer1", PROTO_ROLE_VIEWER, s);
	cl_dial(&fx, &c, s);
	r = cl_call(&c, "node.info", NULL);
	json_decref(r);
	ASSERT_EQ(fx.node->trims, 0);
	t0 = uv_now(&fx.loop);
	fx.timed_out = 0;
	ASSERT_OK(uv_timer_start(&fx.guard, fx_on_guard, WAIT_MS, 0));
	while (fx.node->trims == 0 && !fx.timed_out)
		uv_run(&fx.loop, UV_RUN_ONCE);
	ASSERT_EQ(fx.node->trims, 1);
	ASSERT_GE(uv_now(&fx.loop) - t0, NODE_TRIM_MS - 100);
	cl_close(&c);
	while (fx.node->trims == 1 && !fx.timed_out)
		uv_run(&fx.loop, UV_RUN_ONCE);
	uv_timer_stop(&fx.guard);
	ASSERT_EQ(fx.node->trims, 2);
	fx_stop(&fx);
}

/* Unknown method, bad params, forbidden, malformed JSON: conn goes on. */
static void
test_errors_keep_connection(void)
{
	static const char bad[] = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":";
	struct fx	 fx;
	struct cl	 c;
	uint8_t		 s[OVL_KEY_LEN], hdr[4];
	json_t		*r;	/* owned */

	fx_start(&fx, "down", 0);
	fx_key(&fx, "viewer1", PROTO_ROLE_VIEWER, s);
	cl_dial(&fx, &c, s);
	r = cl_call(&c, "container.explode", NULL);
	ASSERT_EQ(err_code(r), -32601);
	json_decref(r);
	r = cl_call(&c, "audit.read", json_pack("{s:s}", "tail", "x"));
	/* The role is checked first: a viewer may not read the audit. */
	ASSERT_EQ(err_code(r), PROTO_E_FORBIDDEN);
	ASSERT_CONTAINS(err_msg(r), "needs the admin role");
	ASSERT_STREQ(json_string_value(json_object_get(json_object_get(
	    json_object_get(r, "error"), "data"), "role")), "admin");
	json_decref(r);
	r = cl_call(&c, "container.inspect", json_pack("{s:i}", "id", 3));
	ASSERT_EQ(err_code(r), -32602);
	ASSERT_CONTAINS(err_msg(r), "params.id");
	json_decref(r);
	r = cl_call(&c, "node.info", json_pack("{s:b}", "extra", 1));
	ASSERT_EQ(err_code(r), -32602);
	ASSERT_CONTAINS(err_msg(r), "extra");
	json_decref(r);
	cl_close(&c);
	/* The engine reads a 0 limit as "unchanged": refused, not faked. */
	fx_key(&fx, "admin1", PROTO_ROLE_ADMIN, s);
	cl_dial(&fx, &c, s);
	r = cl_call(&c, "container.update", json_pack("{s:s, s:f}", "id",
	    "web", "cpus", 0.0));
	ASSERT_EQ(err_code(r), -32602);
	ASSERT_CONTAINS(err_msg(r), "params.cpus: expected more than 0");
	json_decref(r);
	r = cl_call(&c, "container.update", json_pack("{s:s, s:i}", "id",
	    "web", "memory", 0));
	ASSERT_EQ(err_code(r), -32602);
	ASSERT_CONTAINS(err_msg(r), "params.memory");
	json_decref(r);
	hdr[0] = 0;
	hdr[1] = 0;
	hdr[2] = 0;
	hdr[3] = sizeof(bad) - 1;
	cl_raw(&c, hdr, 4);
	cl_raw(&c, bad, sizeof(bad) - 1);
	r = cl_wait(&c, 0);
	ASSERT_EQ(err_code(r), -32700);
	ASSERT(json_is_null(json_object_get(r, "id")));
	json_decref(r);
	r = cl_call(&c, "node.info", NULL);
	ASSERT_NOT_NULL(json_object_get(r, "result"));
	json_decref(r);
	ASSERT(!c.closed);
	cl_close(&c);
	fx_stop(&fx);
}

/* A frame over the limit ends that connection and no other. */
static void
test_oversized_closes_only_that_conn(void)
{
	struct fx	 fx;
	struct cl	 a, b;
	uint8_t		 s[OVL_KEY_LEN], hdr[4] = { 0x00, 0x20, 0x00, 0x00 };
	json_t		*r;	/* owned */

	fx_start(&fx, "down", 0);
	fx_key(&fx, "viewer1", PROTO_ROLE_VIEWER, s);
	cl_dial(&fx, &a, s);
	cl_dial(&fx, &b, s);
	cl_raw(&a, hdr, sizeof(hdr));	/* 2 MiB announced */
	fx_wait(&fx, &a.closed);
	ASSERT_NE(a.close_status, 0);
	r = cl_call(&b, "node.info", NULL);
	ASSERT_NOT_NULL(json_object_get(r, "result"));
	json_decref(r);
	ASSERT(!b.closed);
	cl_close(&a);
	cl_close(&b);
	fx_stop(&fx);
}

/*
 * With a Docker that never answers: a bound on requests in flight, and
 * the requests of a client that goes away are cancelled and freed.
 */
static void
test_inflight_bound_and_cleanup(void)
{
	struct fx	 fx;
	struct cl	 c;
	uint8_t		 s[OVL_KEY_LEN];
	json_t		*r;	/* owned */
	json_int_t	 first = 0, last = 0;
	int		 i, busy = 0;

	fx_start(&fx, "hang", 0);
	fx_key(&fx, "viewer1", PROTO_ROLE_VIEWER, s);
	cl_dial(&fx, &c, s);
	for (i = 0; i < CMD_INFLIGHT_MAX + 6; i++) {
		last = cl_send(&c, "node.info", NULL);
		if (i == 0)
			first = last;
	}
	/* The six over the bound are refused at once. */
	for (i = 0; i < 6; i++) {
		r = cl_wait(&c, last - i);
		ASSERT_EQ(err_code(r), PROTO_E_BUSY);
		busy++;
		json_decref(r);
	}
	ASSERT_EQ(busy, 6);
	ASSERT_EQ(fx.node->nreqs, CMD_INFLIGHT_MAX);
	ASSERT_NULL(cl_take(&c, first));
	ovl_conn_close(c.conn, OVL_GA_NORMAL, "gone");
	ASSERT_EQ(c.closed, 1);
	/* The node notices, cancels its Docker calls and frees them. */
	fx.timed_out = 0;
	ASSERT_OK(uv_timer_start(&fx.guard, fx_on_guard, WAIT_MS, 0));
	while (fx.node->nreqs > 0 && !fx.timed_out)
		uv_run(&fx.loop, UV_RUN_ONCE);
	uv_timer_stop(&fx.guard);
	ASSERT_EQ(fx.node->nreqs, 0);
	cl_close(&c);
	fx_stop(&fx);
}

/* Finds an audit entry by method and outcome in an array, or NULL. */
static json_t *
find_entry(json_t *entries, const char *method, const char *outcome)
{
	json_t	*e;	/* borrowed */
	size_t	 i;

	json_array_foreach(entries, i, e) {
		if (strcmp(json_string_value(json_object_get(e, "method")),
		    method) == 0 && strcmp(json_string_value(json_object_get(e,
		    "outcome")), outcome) == 0)
			return (e);
	}
	return (NULL);
}

/* Refusals and mutations are audited; key.revoke drops its conns. */
static void
test_keys_and_audit(void)
{
	struct ovl_joinkey	 jk;
	struct fx		 fx;
	struct cl		 adm, v, nk;
	uint8_t			 s[OVL_KEY_LEN], as[OVL_KEY_LEN];
	json_t			*r, *res, *e, *ents;	/* see uses */
	char			 fp[OVL_FINGERPRINT_SIZE];
	size_t			 i;
	int			 found;

	fx_start(&fx, "down", 0);
	fx_key(&fx, "viewer1", PROTO_ROLE_VIEWER, s);
	admin_secret(&fx, as);
	cl_dial(&fx, &v, s);
	cl_dial(&fx, &adm, as);
	r = cl_call(&v, "key.create", json_pack("{s:s, s:s}", "name", "x1",
	    "role", "admin"));
	ASSERT_EQ(err_code(r), PROTO_E_FORBIDDEN);
	json_decref(r);
	r = cl_call(&adm, "key.create", json_pack("{s:s, s:s}", "name",
	    "ops1", "role", "operator"));
	res = json_object_get(r, "result");
	ASSERT_NOT_NULL(res);
	ASSERT_STREQ(json_string_value(json_object_get(res, "role")),
	    "operator");
	ASSERT_OK(ovl_joinkey_parse(json_string_value(json_object_get(res,
	    "join_key")), &jk, NULL));
	ASSERT_MEMEQ(jk.node_pub, fx.node->id.pub, OVL_KEY_LEN);
	json_decref(r);
	r = cl_call(&adm, "key.create", json_pack("{s:s, s:s}", "name",
	    "ops1", "role", "viewer"));
	ASSERT_EQ(err_code(r), PROTO_E_CONFLICT);
	json_decref(r);
	/* A notification is never run: version 1 defines none. */
	r = proto_notify_new("key.create", json_pack("{s:s, s:s}", "name",
	    "ghost", "role", "admin"));
	{
		char	*buf;
		size_t	 len;

		ASSERT_OK(proto_encode(r, 0, &buf, &len));
		cl_raw(&adm, buf, len);
		free(buf);
	}
	json_decref(r);
	r = cl_call(&adm, "key.list", NULL);
	ents = json_object_get(json_object_get(r, "result"), "keys");
	ASSERT_EQ(json_array_size(ents), 3);
	found = 0;
	json_array_foreach(ents, i, e) {
		ASSERT_NULL(json_object_get(e, "secret"));
		if (strcmp(json_string_value(json_object_get(e, "name")),
		    "ops1") == 0)
			found = 1;
	}
	ASSERT(found);
	json_decref(r);
	/* The new key works, and revoking it drops its connection. */
	cl_dial(&fx, &nk, jk.secret);
	r = cl_call(&nk, "node.info", NULL);
	ASSERT_NOT_NULL(json_object_get(r, "result"));
	json_decref(r);
	r = cl_call(&adm, "key.revoke", json_pack("{s:s}", "id", "ops1"));
	ASSERT_STREQ(json_string_value(json_object_get(json_object_get(r,
	    "result"), "name")), "ops1");
	json_decref(r);
	fx_wait(&fx, &nk.closed);
	r = cl_call(&adm, "key.revoke", json_pack("{s:s}", "id", "admin"));
	ASSERT_EQ(err_code(r), PROTO_E_KEYMGMT);
	ASSERT_CONTAINS(err_msg(r), "last admin key");
	json_decref(r);
	r = cl_call(&adm, "key.revoke", json_pack("{s:s}", "id", "nope"));
	ASSERT_EQ(err_code(r), PROTO_E_NOTFOUND);
	json_decref(r);
	/* The audit, read through the protocol. */
	r = cl_call(&adm, "audit.read", json_pack("{s:i}", "tail", 50));
	ents = json_object_get(json_object_get(r, "result"), "entries");
	ASSERT_NOT_NULL(ents);
	e = find_entry(ents, "key.create", "refused");
	ASSERT_NOT_NULL(e);
	ASSERT_STREQ(json_string_value(json_object_get(e, "key")), "viewer1");
	ASSERT_STREQ(json_string_value(json_object_get(e, "role")), "viewer");
	ASSERT_STREQ(json_string_value(json_object_get(e, "target")), "x1");
	ASSERT_STREQ(json_string_value(json_object_get(e, "client_name")),
	    "tester");
	ASSERT_CONTAINS(json_string_value(json_object_get(e, "error")),
	    "forbidden: ");
	ASSERT_EQ(strlen(json_string_value(json_object_get(e, "client"))),
	    OVL_FINGERPRINT_SIZE - 1);
	e = find_entry(ents, "key.create", "ok");
	ASSERT_NOT_NULL(e);
	ASSERT_STREQ(json_string_value(json_object_get(e, "key")), "admin");
	ASSERT(json_is_null(json_object_get(e, "error")));
	ASSERT_NOT_NULL(find_entry(ents, "key.create", "failed"));
	ASSERT_NOT_NULL(find_entry(ents, "key.revoke", "ok"));
	ASSERT_NOT_NULL(find_entry(ents, "key.revoke", "refused"));
	/* Reads are not audited. */
	ASSERT_NULL(find_entry(ents, "node.info", "ok"));
	ASSERT_NULL(find_entry(ents, "key.list", "ok"));
	json_decref(r);
	(void)fp;
	cl_close(&nk);
	cl_close(&v);
	cl_close(&adm);
	fx_stop(&fx);
}

/* An audit entry with this method, outcome and target, or NULL. */
static json_t *
find_target(json_t *entries, const char *method, const char *outcome,
    const char *target)
{
	json_t	*e;	/* borrowed */
	size_t	 i;

	json_array_foreach(entries, i, e) {
		if (strcmp(json_string_value(json_object_get(e, "method")),
		    method) == 0 && strcmp(json_string_value(json_object_get(e,
		    "outcome")), outcome) == 0 && json_is_string(
		    json_object_get(e, "target")) && strcmp(json_string_value(
		    json_object_get(e, "target")), target) == 0)
			return (e);
	}
	return (NULL);
}

/*
 * key.revoke of a client key: that client's connection closes and its
 * new ones are turned away, another client with the same access key
 * carries on; key.unrevoke lets it in again; all audited.
 */
static void
test_client_revoke(void)
{
	struct ovl_identity	 x, y;
	struct fx		 fx;
	struct cl		 adm, v1, v2, again;
	uint8_t			 s[OVL_KEY_LEN], as[OVL_KEY_LEN];
	json_t			*r, *res, *ents;	/* see uses */
	char			 fpx[OVL_FINGERPRINT_SIZE], target[64];
	char			 hex[2 * OVL_KEY_LEN + 1];
	char			 own[OVL_FINGERPRINT_SIZE];

	fx_start(&fx, "down", 0);
	fx_key(&fx, "viewer1", PROTO_ROLE_VIEWER, s);
	admin_secret(&fx, as);
	ovl_identity_generate(&x);
	ovl_identity_generate(&y);
	ovl_fingerprint(x.pub, fpx);
	sodium_bin2hex(hex, sizeof(hex), x.pub, OVL_KEY_LEN);
	cl_dial(&fx, &adm, as);
	cl_dial_as(&fx, &v1, s, &x);
	cl_dial_as(&fx, &v2, s, &y);
	/* A viewer may not; a bad id is a params error. */
	r = cl_call(&v2, "key.revoke", json_pack("{s:s, s:s}", "id", fpx,
	    "kind", "client"));
	ASSERT_EQ(err_code(r), PROTO_E_FORBIDDEN);
	json_decref(r);
	r = cl_call(&adm, "key.revoke", json_pack("{s:s, s:s}", "id",
	    "viewer1", "kind", "client"));
	ASSERT_EQ(err_code(r), PROTO_E_PARAMS);
	ASSERT_CONTAINS(err_msg(r), "fingerprint");
	json_decref(r);
	/* By its public key in hex; the answer names the fingerprint. */
	r = cl_call(&adm, "key.revoke", json_pack("{s:s, s:s}", "id", hex,
	    "kind", "client"));
	res = json_object_get(r, "result");
	ASSERT_NOT_NULL(res);
	ASSERT_STREQ(json_string_value(json_object_get(res, "id")), fpx);
	ASSERT_STREQ(json_string_value(json_object_get(res, "kind")),
	    "client");
	json_decref(r);
	fx_wait(&fx, &v1.closed);
	ASSERT_EQ(v1.closed, 1);
	r = cl_call(&v2, "node.info", NULL);
	ASSERT_NOT_NULL(json_object_get(r, "result"));
	json_decref(r);
	ASSERT_EQ(v2.closed, 0);
	r = cl_call(&adm, "key.revoke", json_pack("{s:s, s:s}", "id", fpx,
	    "kind", "client"));
	ASSERT_EQ(err_code(r), PROTO_E_CONFLICT);
	json_decref(r);
	/* Not the client key the admin calls with. */
	ASSERT_NOT_NULL(adm.conn);
	r = cl_call(&adm, "audit.read", json_pack("{s:i}", "tail", 1));
	ents = json_object_get(json_object_get(r, "result"), "entries");
	snprintf(own, sizeof(own), "%s", json_string_value(json_object_get(
	    json_array_get(ents, 0), "client")));
	json_decref(r);
	r = cl_call(&adm, "key.revoke", json_pack("{s:s, s:s}", "id", own,
	    "kind", "client"));
	ASSERT_EQ(err_code(r), PROTO_E_KEYMGMT);
	ASSERT_CONTAINS(err_msg(r), "of this connection");
	json_decref(r);
	r = cl_call(&adm, "key.list", NULL);
	ents = json_object_get(json_object_get(r, "result"),
	    "revoked_clients");
	ASSERT_EQ(json_array_size(ents), 1);
	ASSERT_STREQ(json_string_value(json_object_get(json_array_get(ents,
	    0), "id")), fpx);
	ASSERT_GT(json_integer_value(json_object_get(json_array_get(ents, 0),
	    "revoked")), 0);
	json_decref(r);
	/* x comes back with the same access key: let in, then closed. */
	cl_dial_as(&fx, &again, s, &x);
	fx_wait(&fx, &again.closed);
	ASSERT_EQ(again.closed, 1);
	cl_close(&again);
	/* Taken back: x gets in again. */
	r = cl_call(&v2, "key.unrevoke", json_pack("{s:s}", "id", fpx));
	ASSERT_EQ(err_code(r), PROTO_E_FORBIDDEN);
	json_decref(r);
	r = cl_call(&adm, "key.unrevoke", json_pack("{s:s}", "id", fpx));
	ASSERT_STREQ(json_string_value(json_object_get(json_object_get(r,
	    "result"), "id")), fpx);
	json_decref(r);
	r = cl_call(&adm, "key.unrevoke", json_pack("{s:s}", "id", fpx));
	ASSERT_EQ(err_code(r), PROTO_E_NOTFOUND);
	json_decref(r);
	cl_dial_as(&fx, &again, s, &x);
	r = cl_call(&again, "node.info", NULL);
	ASSERT_NOT_NULL(json_object_get(r, "result"));
	json_decref(r);
	/* The audit has each change and each refusal. */
	snprintf(target, sizeof(target), "client %s", fpx);
	r = cl_call(&adm, "audit.read", json_pack("{s:i}", "tail", 50));
	ents = json_object_get(json_object_get(r, "result"), "entries");
	ASSERT_NOT_NULL(find_target(ents, "key.revoke", "ok", target));
	ASSERT_NOT_NULL(find_target(ents, "key.revoke", "failed", target));
	ASSERT_NOT_NULL(find_target(ents, "key.unrevoke", "ok", target));
	ASSERT_NOT_NULL(find_entry(ents, "key.unrevoke", "refused"));
	json_decref(r);
	cl_close(&again);
	cl_close(&v1);
	cl_close(&v2);
	cl_close(&adm);
	ovl_identity_clear(&x);
	ovl_identity_clear(&y);
	fx_stop(&fx);
}

/* An audit read larger than a message keeps the newest that fit. */
static void
test_audit_read_fits_a_message(void)
{
	struct node_audit_entry	 ae;
	struct fx		 fx;
	struct cl		 c;
	uint8_t			 s[OVL_KEY_LEN];
	char			 big[NODE_AUDIT_FIELD_MAX + 1];
	json_t			*r, *ents;	/* owned, borrowed */
	size_t			 n;
	int			 i;

	fx_start(&fx, "down", 0);
	admin_secret(&fx, s);
	memset(&ae, 0, sizeof(ae));
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ae.method = "container.start";
	ae.outcome = "ok";
	ae.error = big;
	for (i = 0; i < 2500; i++) {
		ae.target = i == 2499 ? "last" : "c";
		ASSERT_OK(node_audit_write(&fx.node->audit, &ae));
	}
	cl_dial(&fx, &c, s);
	r = cl_call(&c, "audit.read", json_pack("{s:i}", "tail", 10000));
	ASSERT_NOT_NULL(json_object_get(r, "result"));
	ASSERT(json_is_true(json_object_get(json_object_get(r, "result"),
	    "truncated")));
	ents = json_object_get(json_object_get(r, "result"), "entries");
	n = json_array_size(ents);
	ASSERT_GT(n, 1000);
	ASSERT_LT(n, 2500);
	ASSERT_STREQ(json_string_value(json_object_get(json_array_get(ents,
	    n - 1), "target")), "last");
	json_decref(r);
	r = cl_call(&c, "audit.read", json_pack("{s:i}", "tail", 5));
	ASSERT(json_is_false(json_object_get(json_object_get(r, "result"),
	    "truncated")));
	ASSERT_EQ(json_array_size(json_object_get(json_object_get(r,
	    "result"), "entries")), 5);
	json_decref(r);
	cl_close(&c);
	fx_stop(&fx);
}

/* Stream channels: one must be open before the request that names it. */
static void
test_stream_channel(void)
{
	struct fx	 fx;
	struct cl	 c;
	struct ovl_chan	*ch;
	uint8_t		 s[OVL_KEY_LEN];
	json_t		*r;	/* owned */
	int		 id;

	fx_start(&fx, "down", 0);
	admin_secret(&fx, s);
	cl_dial(&fx, &c, s);
	r = cl_call(&c, "session.attach", json_pack("{s:s, s:i}", "id", "s1",
	    "channel", 99));
	ASSERT_EQ(err_code(r), PROTO_E_CHANNEL);
	ASSERT_CONTAINS(err_msg(r), "channel 99");
	json_decref(r);
	ASSERT_OK(ovl_conn_chan_open(c.conn, &ch));
	id = (int)ovl_chan_id(ch);
	r = cl_call(&c, "session.attach", json_pack("{s:s, s:i}", "id", "s1",
	    "channel", id));
	/* Found and handed on: the handler is what answers now. */
	ASSERT_NE(err_code(r), PROTO_E_CHANNEL);
	json_decref(r);
	/*
	 * The handler did not take it, so the node reset it; either way a
	 * channel serves one request only.
	 */
	r = cl_call(&c, "session.attach", json_pack("{s:s, s:i}", "id", "s1",
	    "channel", id));
	ASSERT_EQ(err_code(r), PROTO_E_CHANNEL);
	json_decref(r);
	cl_close(&c);
	fx_stop(&fx);
}

/* A stream channel of the client: whether the node reset it. */
struct rchan {
	struct cl	*c;
	int		 closed;
	int		 status;
	size_t		 replies;	/* replies in by then */
};

/* The node ended one of our stream channels. */
static void
rchan_on_close(struct ovl_chan *ch, int status, void *arg)
{
	struct rchan	*rc = arg;

	rc->closed = 1;
	rc->status = status;
	rc->replies = json_array_size(rc->c->msgs);
}

/* Opens a channel, names it in a call refused with code; waits for RST. */
static void
refused_stream(struct cl *c, const char *method, json_t *params, int code)
{
	static const struct ovl_chan_cbs cbs = { .on_close = rchan_on_close };
	struct ovl_chan	*ch;
	struct rchan	 rc = { c, 0, 0, 0 };
	json_t		*r;	/* owned */
	json_int_t	 id;

	ASSERT_OK(ovl_conn_chan_open(c->conn, &ch));
	ovl_chan_set_cbs(ch, &cbs, &rc);
	(void)json_object_set_new(params, "channel",
	    json_integer(ovl_chan_id(ch)));
	id = cl_send(c, method, params);
	fx_wait(c->fx, &rc.closed);
	ASSERT_EQ(rc.status, -ECONNRESET);
	/* The reply saying why came first, then the RST. */
	ASSERT_EQ(rc.replies, 1);
	r = cl_wait(c, id);
	ASSERT_EQ(err_code(r), code);
	json_decref(r);
}

/*
 * Every refusal before a handler resets the channel the call named: 200
 * refused exec.run of a viewer (the peer's limit is 128 channels), bad
 * params, an unknown method, Docker unreachable; the connection lives.
 */
static void
test_refused_streams_reset(void)
{
	struct fx	 fx;
	struct cl	 c, a;
	uint8_t		 s[OVL_KEY_LEN];
	json_t		*r;	/* owned */
	int		 i;

	fx_start(&fx, "down", 0);
	fx_key(&fx, "v", PROTO_ROLE_VIEWER, s);
	cl_dial(&fx, &c, s);
	for (i = 0; i < 200; i++)
		refused_stream(&c, "exec.run", json_pack("{s:s, s:[s]}", "id",
		    "web", "cmd", "true"), PROTO_E_FORBIDDEN);
	refused_stream(&c, "container.logs", json_pack("{s:s, s:b}", "id",
	    "web", "nope", 1), PROTO_E_PARAMS);
	refused_stream(&c, "no.such", json_object(), PROTO_E_NOMETHOD);
	/* Docker unreachable: refused after the channel was claimed. */
	refused_stream(&c, "container.logs", json_pack("{s:s}", "id", "web"),
	    PROTO_E_DOCKER_DOWN);
	ASSERT(!c.closed);
	r = cl_call(&c, "node.info", NULL);
	ASSERT_EQ(err_code(r), 0);
	json_decref(r);
	/* Operators too, for the Docker path, many times. */
	admin_secret(&fx, s);
	cl_dial(&fx, &a, s);
	for (i = 0; i < 150; i++)
		refused_stream(&a, "exec.run", json_pack("{s:s, s:[s]}", "id",
		    "web", "cmd", "true"), PROTO_E_DOCKER_DOWN);
	ASSERT(!a.closed);
	cl_close(&a);
	cl_close(&c);
	fx_stop(&fx);
}

/* Audit lines rotate by size, keep N files, and read back in order. */
static void
test_audit_rotation(void)
{
	struct node_audit	 a;
	struct node_audit_entry	 e;
	struct stat		 st;
	json_t			*out;	/* owned */
	char			*dir = test_tmpdir(), path[512], tgt[32];
	int			 i;

	ASSERT_OK(node_audit_open(&a, dir, 1000, 2, NULL));
	memset(&e, 0, sizeof(e));
	e.client = "abcd-efgh-ijkl-mnop";
	e.key = "admin";
	e.role = "admin";
	e.method = "container.start";
	e.outcome = "ok";
	for (i = 0; i < 40; i++) {
		snprintf(tgt, sizeof(tgt), "c%02d", i);
		e.target = tgt;
		e.time_ms = 1700000000000LL + i * 1000;
		ASSERT_OK(node_audit_write(&a, &e));
	}
	ASSERT_GT(a.rotations, 2);
	snprintf(path, sizeof(path), "%s/audit.log", dir);
	ASSERT_OK(stat(path, &st));
	ASSERT_LE(st.st_size, 1000);
	snprintf(path, sizeof(path), "%s/audit.log.2", dir);
	ASSERT_OK(stat(path, &st));
	snprintf(path, sizeof(path), "%s/audit.log.3", dir);
	ASSERT_NE(stat(path, &st), 0);
	ASSERT_OK(node_audit_read(&a, 5, 0, &out, NULL));
	ASSERT_EQ(json_array_size(out), 5);
	ASSERT_STREQ(json_string_value(json_object_get(json_array_get(out, 4),
	    "target")), "c39");
	ASSERT_STREQ(json_string_value(json_object_get(json_array_get(out, 0),
	    "target")), "c35");
	ASSERT_STREQ(json_string_value(json_object_get(json_array_get(out, 0),
	    "time")), "2023-11-14T22:13:55.000Z");
	json_decref(out);
	/* since: only entries at or after that second. */
	ASSERT_OK(node_audit_read(&a, 100, 1700000038, &out, NULL));
	ASSERT_EQ(json_array_size(out), 2);
	json_decref(out);
	/* A field longer than the bound is cut, the line stays JSON. */
	{
		char	big[2000];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		e.target = big;
		e.time_ms = 0;
		ASSERT_OK(node_audit_write(&a, &e));
		ASSERT_OK(node_audit_read(&a, 1, 0, &out, NULL));
		ASSERT_EQ(strlen(json_string_value(json_object_get(
		    json_array_get(out, 0), "target"))), NODE_AUDIT_FIELD_MAX);
		json_decref(out);
	}
	node_audit_close(&a);
	test_rmtree(dir);
}

/* Container names: full id, exact name, unique prefix, ambiguity. */
static void
test_resolve_match(void)
{
	json_t	*list, *m;	/* owned */
	size_t	 idx;

	list = json_loads("[{\"Id\":\"abc111\",\"Names\":[\"/web\"]},"
	    "{\"Id\":\"abc222\",\"Names\":[\"/db\"]},"
	    "{\"Id\":\"def333\",\"Names\":[\"/abc\"]}]", 0, NULL);
	ASSERT_NOT_NULL(list);
	ASSERT_OK(node_resolve_match(list, "db", &idx, &m));
	ASSERT_EQ(idx, 1);
	ASSERT_OK(node_resolve_match(list, "abc222", &idx, &m));
	ASSERT_EQ(idx, 1);
	ASSERT_OK(node_resolve_match(list, "de", &idx, &m));
	ASSERT_EQ(idx, 2);
	ASSERT_NULL(m);
	/* A name wins over an id prefix. */
	ASSERT_OK(node_resolve_match(list, "abc", &idx, &m));
	ASSERT_EQ(idx, 2);
	ASSERT_EQ(node_resolve_match(list, "ab", &idx, &m), -EEXIST);
	ASSERT_EQ(json_array_size(m), 2);
	ASSERT_STREQ(json_string_value(json_object_get(json_array_get(m, 1),
	    "name")), "db");
	json_decref(m);
	ASSERT_EQ(node_resolve_match(list, "zzz", &idx, &m), -ENOENT);
	ASSERT_EQ(node_resolve_match(list, "", &idx, &m), -ENOENT);
	json_decref(list);
}

/* Docker's codes reach a peer as protocol codes, by one map each. */
static void
test_err_from_dk(void)
{
	json_t	*line;	/* owned */

	ASSERT_EQ(cmd_err_from_dk(DK_E_NOT_FOUND), PROTO_E_NOTFOUND);
	ASSERT_EQ(cmd_err_from_dk(DK_E_CONFLICT), PROTO_E_CONFLICT);
	ASSERT_EQ(cmd_err_from_dk(DK_E_NOT_MODIFIED), PROTO_E_STATE);
	ASSERT_EQ(cmd_err_from_dk(DK_E_UNAVAILABLE), PROTO_E_DOCKER_DOWN);
	ASSERT_EQ(cmd_err_from_dk(DK_E_PERMISSION), PROTO_E_DOCKER_DOWN);
	ASSERT_EQ(cmd_err_from_dk(DK_E_TIMEOUT), PROTO_E_TIMEOUT);
	ASSERT_EQ(cmd_err_from_dk(DK_E_CANCELLED), PROTO_E_CANCELLED);
	ASSERT_EQ(cmd_err_from_dk(DK_E_BAD_PARAMETER), PROTO_E_DOCKER);
	ASSERT_EQ(cmd_err_from_dk(DK_E_INTERNAL), PROTO_E_DOCKER);
	/* A stream's end: the engine gone, the object gone, or Docker's. */
	ASSERT_EQ(cmd_stream_err_from_dk(DK_E_UNAVAILABLE),
	    PROTO_E_DOCKER_DOWN);
	ASSERT_EQ(cmd_stream_err_from_dk(DK_E_NOT_FOUND), PROTO_E_NOTFOUND);
	ASSERT_EQ(cmd_stream_err_from_dk(DK_E_TIMEOUT), PROTO_E_DOCKER);
	ASSERT_EQ(cmd_stream_err_from_dk(DK_E_PERMISSION), PROTO_E_DOCKER);
	line = node_lstream_error(DK_E_NOT_FOUND, NULL);
	ASSERT_EQ(json_integer_value(json_object_get(json_object_get(line,
	    "error"), "code")), PROTO_E_NOTFOUND);
	ASSERT_STREQ(json_string_value(json_object_get(json_object_get(line,
	    "error"), "message")), "not found");
	json_decref(line);
}

TEST_MAIN(
	T(test_table_matches_catalogue),
	T(test_node_info_docker_down),
	T(test_trim_when_idle),
	T(test_errors_keep_connection),
	T(test_oversized_closes_only_that_conn),
	T(test_inflight_bound_and_cleanup),
	T(test_keys_and_audit),
	T(test_client_revoke),
	T(test_audit_read_fits_a_message),
	T(test_stream_channel),
	T(test_refused_streams_reset),
	T(test_audit_rotation),
	T(test_resolve_match),
	T(test_err_from_dk)
)
