/*
 * path.punch: a client on a relay asks for a direct path. The node gives
 * the connection a move token (overlay/server-move.c), answers with its
 * own addresses, and connects from its listen port to the client's: the
 * address the relay saw the client at, the same IP with the client's
 * local port, and the addresses the client names (its own host's, for
 * a shared LAN). The client connects to the node's at the same time from
 * the local port of its relayed connection; where the two meet, or where
 * one simply gets through, the connection moves (overlay/move.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "node.h"

#define PATH_ADDRS_MAX	8	/* the node's addresses in a reply */
#define PATH_TO_MAX	6	/* the client's addresses punched */
#define PATH_PUNCH_MS	10000	/* what a client should allow for it */

/* Punches towards "ip:port" (IPv4) once; appends it to done if it went. */
static void
punch_text(struct node *n, const char *addr, json_t *done)
{
	struct sockaddr_storage ss;
	size_t i;

	if (addr == NULL)
		return;
	for (i = 0; i < json_array_size(done); i++)
		if (strcmp(json_string_value(json_array_get(done, i)), addr) ==
		    0)
			return;
	if (json_array_size(done) >= PATH_TO_MAX ||
	    node_addr_parse(addr, &ss, NULL) != 0 || ss.ss_family != AF_INET)
		return;
	if (node_punch_to(n, (struct sockaddr_in *)&ss, "a path move to") ==
	    0)
		(void)json_array_append_new(done, json_string(addr));
}

/* path.punch. */
enum cmd_retval
cmd_path_punch(struct cmd_req *r)
{
	struct ovl_conn *c = r->conn != NULL ? cmd_conn_ovl(r->conn) : NULL;
	char mine[PATH_ADDRS_MAX][OVL_ADDR_MAX], seen[OVL_ADDR_MAX];
	char addr[OVL_ADDR_MAX + 8], hex[2 * OVL_MOVE_TOKEN_LEN + 1];
	uint8_t tok[OVL_MOVE_TOKEN_LEN];
	json_t *given, *addrs, *done;
	const char *sp;
	long long port;
	size_t i, k;

	if (c == NULL)
		return (cmd_fail(r, PROTO_E_INTERNAL, "no connection"));
	k = node_punch_addrs(r->node, mine, PATH_ADDRS_MAX);
	if (k == 0)
		return (cmd_fail(r, PROTO_E_UNREACHABLE, "the node has no "
		    "IPv4 listen address to punch from"));
	if (ovl_server_move_token(r->node->srv, c, tok) != 0)
		return (cmd_fail(r, PROTO_E_STATE, "this connection does not "
		    "come through a relay, or has moved already"));
	done = json_array();
	addrs = json_array();
	if (done == NULL || addrs == NULL) {
		json_decref(done);
		json_decref(addrs);
		return (cmd_fail(r, PROTO_E_INTERNAL, "out of memory"));
	}
	/* the relay's view of the client: "ip:port via NAME" */
	snprintf(seen, sizeof seen, "%s", ovl_conn_peer(c));
	if ((sp = strchr(seen, ' ')) != NULL)
		seen[sp - seen] = '\0';
	punch_text(r->node, seen, done);
	port = proto_param_int(r->params, "port", 0);
	if (port > 0 && (sp = strrchr(seen, ':')) != NULL) {
		snprintf(addr, sizeof addr, "%.*s:%lld", (int)(sp - seen),
		    seen, port);
		punch_text(r->node, addr, done);
	}
	given = json_object_get(r->params, "addresses");
	for (i = 0; i < json_array_size(given); i++)
		punch_text(r->node, json_string_value(json_array_get(given,
		    i)), done);
	for (i = 0; i < k; i++)
		(void)json_array_append_new(addrs, json_string(mine[i]));
	sodium_bin2hex(hex, sizeof hex, tok, sizeof tok);
	sodium_memzero(tok, sizeof tok);
	return (cmd_reply(r, json_pack("{s:s, s:o, s:o, s:I}", "token", hex,
	    "addresses", addrs, "punching", done, "timeout_ms",
	    (json_int_t)PATH_PUNCH_MS)));
}
