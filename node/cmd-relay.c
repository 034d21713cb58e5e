/*
 * The relay methods, which only a relay link may call (proto/role.h):
 * relay.hello tells the link's node where the relay sees it from, and
 * relay.dialback connects to an address the node believes reaches it (a
 * port mapping) and checks that the node answers its probe token there.
 * relay.announce gives it the linked node's relay hashes to announce on
 * the DHT. And node.reach, which any client may call: how this node is
 * reached.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "node.h"
#include "reach.h"

#define DIALBACK_MS	5000
#define RELAY_HASHES_MAX	8	/* relay.announce's hashes */

/* relay.hello. */
enum cmd_retval
cmd_relay_hello(struct cmd_req *r)
{
	struct ovl_conn *c = r->conn != NULL ? cmd_conn_ovl(r->conn) : NULL;
	struct ovl_relay_limits l;

	ovl_relay_limits(node_reach_relay(r->node->reach), &l);
	return (cmd_reply(r, json_pack("{s:s, s:{s:I, s:I, s:I, s:I, s:I, "
	    "s:I}}", "observed", c != NULL ? ovl_conn_peer(c) : "?",
	    "limits", "splices", (json_int_t)l.max_splices, "per_target",
	    (json_int_t)l.per_target, "per_source", (json_int_t)l.per_source,
	    "max_bytes", (json_int_t)l.max_bytes, "max_secs",
	    (json_int_t)l.max_secs, "idle_secs", (json_int_t)l.idle_secs)));
}

/* relay.announce: hashes of the linked node to announce on the DHT. */
enum cmd_retval
cmd_relay_announce(struct cmd_req *r)
{
	json_t *a = json_object_get(r->params, "hashes");
	uint8_t ih[RELAY_HASHES_MAX][OVL_DHT_ID_LEN];
	const char *hex;
	size_t i, n = 0;
	int err;

	for (i = 0; i < json_array_size(a) && i < RELAY_HASHES_MAX; i++) {
		hex = json_string_value(json_array_get(a, i));
		if (hex == NULL || sodium_hex2bin(ih[i], OVL_DHT_ID_LEN, hex,
		    strlen(hex), NULL, &n, NULL) != 0 || n != OVL_DHT_ID_LEN)
			return (cmd_fail(r, PROTO_E_PARAMS, "params.hashes[%zu]: "
			    "expected 40 hex digits", i));
	}
	err = node_dht_foreign(r->node, r->conn, (const uint8_t (*)[
	    OVL_DHT_ID_LEN])ih, i);
	if (err == -ENOTCONN)
		return (cmd_fail(r, PROTO_E_STATE, "this relay runs without "
		    "the DHT (--no-dht)"));
	if (err != 0)
		return (cmd_fail(r, PROTO_E_BUSY, "this relay announces as "
		    "many hashes as it can"));
	node_log(&r->node->log, NODE_LOG_INFO, "relay: announcing %zu relay "
	    "hashes of a linked node", i);
	return (cmd_reply(r, json_pack("{s:I}", "announced", (json_int_t)i)));
}

/* The probe of a relay.dialback ended. */
static void
on_probe(int status, uint64_t rtt_ms, const char *why, void *arg)
{
	struct cmd_req *r = arg;

	if (status == 0)
		(void)cmd_reply(r, json_pack("{s:s, s:I}", "address",
		    r->target, "rtt_ms", (json_int_t)rtt_ms));
	else
		(void)cmd_fail(r, PROTO_E_UNREACHABLE, "dial-back to %s: %s",
		    r->target, why);
	cmd_req_unref(r);
}

/* relay.dialback. */
enum cmd_retval
cmd_relay_dialback(struct cmd_req *r)
{
	const char *addr = proto_param_str(r->params, "address", "");
	const char *hex = proto_param_str(r->params, "token", "");
	uint8_t tok[OVL_PROBE_LEN];
	size_t n = 0;
	int err;

	if (sodium_hex2bin(tok, sizeof tok, hex, strlen(hex), NULL, &n,
	    NULL) != 0 || n != sizeof tok)
		return (cmd_fail(r, PROTO_E_PARAMS, "params.token: expected "
		    "64 hex digits"));
	snprintf(r->target, sizeof r->target, "%s", addr);
	cmd_req_ref(r);
	err = ovl_probe(r->node->loop, addr, tok, DIALBACK_MS, on_probe, r);
	if (err != 0) {
		cmd_req_unref(r);
		return (cmd_fail(r, PROTO_E_PARAMS, "params.address: expected "
		    "a numeric ip:port or [ipv6]:port"));
	}
	return (CMD_WAIT);
}

/* node.reach. */
enum cmd_retval
cmd_node_reach(struct cmd_req *r)
{
	json_t *o = node_reach_json(r->node->reach);

	if (o == NULL)
		return (cmd_fail(r, PROTO_E_INTERNAL, "out of memory"));
	return (cmd_reply(r, o));
}
