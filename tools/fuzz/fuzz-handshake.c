/*
 * Fuzzes the node's side of the handshake, and the client's reading of
 * message 2. The first byte picks what the rest is:
 *   0: a raw message 1 for ovl_hs_node_respond (as from the network);
 *   1: a hello payload, sealed by a real client with a real access
 *      secret, so the payload decoder behind the crypto is reached;
 *   2: a raw message 2 for a client that sent a real message 1.
 * Keys are fixed so runs repeat. A message 2 is only ever produced for
 * a message that authenticated, and it must complete the handshake.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "overlay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The fixed cast: a node, a client and the node's three secrets. */
struct cast {
	struct ovl_identity	node, client;
	uint8_t			psks[3][OVL_KEY_LEN];
};

/* Derives the cast from constants. */
static void
cast_init(struct cast *c)
{
	uint8_t seed[OVL_KEY_LEN];
	size_t i;

	if (sodium_init() < 0)
		abort();
	memset(seed, 0x11, sizeof seed);
	if (ovl_identity_from_private(&c->node, seed) != 0)
		abort();
	memset(seed, 0x22, sizeof seed);
	if (ovl_identity_from_private(&c->client, seed) != 0)
		abort();
	for (i = 0; i < 3; i++)
		memset(c->psks[i], 0x33 + (int)i, OVL_KEY_LEN);
}

/* Runs the node on msg1; checks what comes out. */
static void
node_side(struct cast *c, const uint8_t *m1, size_t len)
{
	struct ovl_hello hello;
	struct ovl_hs_keys s;
	uint8_t m2[OVL_HS_MSG_MAX];
	size_t m2len = 1, which = 99;
	int error;

	error = ovl_hs_node_respond(&c->node,
	    (const uint8_t (*)[OVL_KEY_LEN])c->psks, 3, m1, len, &hello,
	    &which, m2, &m2len, &s);
	if (error != 0) {
		if (m2len != 0)		/* silence means no bytes at all */
			__builtin_trap();
		if (error != -EBADMSG && error != -EACCES &&
		    error != -EPROTONOSUPPORT)
			__builtin_trap();
		return;
	}
	if (which >= 3 || m2len == 0 || m2len > OVL_HS_MSG_MAX ||
	    hello.name[0] == '\0' || strlen(hello.name) > OVL_HS_NAME_MAX)
		__builtin_trap();
	ovl_hs_keys_clear(&s);
}

/* Seals payload as a real client would, then runs the node on it. */
static void
sealed(struct cast *c, const uint8_t *payload, size_t len)
{
	struct ovl_noise hs;
	uint8_t m1[OVL_NOISE_MSG_MAX];
	size_t m1len;

	if (ovl_noise_init(&hs, OVL_HS_PROTOCOL, 1, (const uint8_t *)"pier/1",
	    6, c->client.priv, c->node.pub,
	    (const uint8_t (*)[OVL_KEY_LEN])c->psks[len % 3], 1) != 0)
		abort();
	if (ovl_noise_write(&hs, payload, len, m1, sizeof m1, &m1len) == 0)
		node_side(c, m1, m1len);
	ovl_noise_clear(&hs);
}

/* A real client reads msg2 from the input. */
static void
client_side(struct cast *c, const uint8_t *m2, size_t len)
{
	struct ovl_hs_client *hs;
	struct ovl_hs_keys s;
	uint8_t m1[OVL_HS_MSG_MAX];
	size_t m1len;

	if (ovl_hs_client_begin(&hs, &c->client, c->node.pub, c->psks[0],
	    "fuzz", 1, m1, &m1len) != 0)
		abort();
	if (ovl_hs_client_finish(hs, m2, len, &s) == 0)
		__builtin_trap();	/* a forged reply must never pass */
	ovl_hs_client_free(hs);
}

/* One input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cast c;

	if (size == 0)
		return (0);
	cast_init(&c);
	switch (data[0] % 3) {
	case 0:
		node_side(&c, data + 1, size - 1);
		break;
	case 1:
		sealed(&c, data + 1, size - 1);
		break;
	default:
		client_side(&c, data + 1, size - 1);
		break;
	}
	ovl_identity_clear(&c.node);
	ovl_identity_clear(&c.client);
	return (0);
}
