/*
 * The info-hashes that stand for an access key on the DHT. A node
 * announces, for each of its active access keys, a hash only holders of
 * that key can compute (the secret and the node's static key go in),
 * and it changes every UTC day, so an old observer cannot follow a node
 * across days by its hash. Near midnight both days are current, which
 * covers clocks a little apart. A client's knock hash changes every
 * minute. Nothing else derived from a secret goes out in clear.
 */
#include <string.h>

#include <sodium.h>

#include "overlay.h"

/* BLAKE2b-160 over a label, the secret, the node's key and a counter. */
static void
key_hash(const char *label, const uint8_t secret[static 32],
    const uint8_t node_pub[static 32], int64_t n,
    uint8_t ih[static OVL_DHT_ID_LEN])
{
	crypto_generichash_state st;
	uint8_t be[8];
	int i;

	for (i = 0; i < 8; i++)
		be[i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
	(void)crypto_generichash_init(&st, NULL, 0, OVL_DHT_ID_LEN);
	(void)crypto_generichash_update(&st, (const uint8_t *)label,
	    strlen(label));
	(void)crypto_generichash_update(&st, secret, 32);
	(void)crypto_generichash_update(&st, node_pub, 32);
	(void)crypto_generichash_update(&st, be, sizeof be);
	(void)crypto_generichash_final(&st, ih, OVL_DHT_ID_LEN);
	sodium_memzero(&st, sizeof st);
}

/* The hash a node announces for a key on a day. */
void
ovl_dht_key_hash(const uint8_t secret[static 32],
    const uint8_t node_pub[static 32], int64_t day,
    uint8_t ih[static OVL_DHT_ID_LEN])
{
	key_hash(OVL_DHT_LABEL, secret, node_pub, day, ih);
}

/* The days current at now. */
size_t
ovl_dht_key_days(int64_t now, int64_t days[static 2])
{
	int64_t day = now / OVL_DHT_DAY_S, into = now % OVL_DHT_DAY_S;

	days[0] = day;
	if (into < OVL_DHT_EDGE_S) {
		days[1] = day - 1;
		return (2);
	}
	if (into >= OVL_DHT_DAY_S - OVL_DHT_EDGE_S) {
		days[1] = day + 1;
		return (2);
	}
	return (1);
}

/* The hash a client knocks with in a minute. */
void
ovl_dht_knock_hash(const uint8_t secret[static 32],
    const uint8_t node_pub[static 32], int64_t minute,
    uint8_t ih[static OVL_DHT_ID_LEN])
{
	key_hash(OVL_DHT_KNOCK_LABEL, secret, node_pub, minute, ih);
}

/* The hash a node's relays announce for it on a day. */
void
ovl_dht_relay_hash(const uint8_t secret[static 32],
    const uint8_t node_pub[static 32], int64_t day,
    uint8_t ih[static OVL_DHT_ID_LEN])
{
	key_hash(OVL_DHT_RELAY_LABEL, secret, node_pub, day, ih);
}
