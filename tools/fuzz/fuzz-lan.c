/*
 * Fuzzes the LAN discovery codec (overlay/lan.c) with arbitrary
 * datagrams, as a responder and a prober receive them. The first byte
 * chooses how the rest is used:
 *   even  the rest is a packet: checked as a probe against two secrets
 *         and as an answer to a fixed nonce. Whatever passes must be
 *         exactly what the encoder writes for what it carries (it cannot
 *         pass without the secret, so any pass here is a bug unless the
 *         input is a seed built from the fixed secret).
 *   odd   the rest builds an answer (a port count and ports), which is
 *         encoded, then one byte at a chosen place is changed by a
 *         chosen value: it must check back only when nothing changed.
 * Every result is 0, -EBADMSG or -EACCES.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "overlay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The fixed inputs: secret 00..1f, node key 20..3f, nonce 64..7b. */
static void
fixed(uint8_t secrets[2][32], uint8_t pub[32],
    uint8_t nonce[OVL_LAN_NONCE_LEN])
{
	size_t i;

	for (i = 0; i < 32; i++) {
		secrets[0][i] = (uint8_t)(0xa0 ^ i);
		secrets[1][i] = (uint8_t)i;
		pub[i] = (uint8_t)(32 + i);
	}
	for (i = 0; i < OVL_LAN_NONCE_LEN; i++)
		nonce[i] = (uint8_t)(100 + i);
}

/* Checks data as a probe and as an answer. */
static void
as_packet(const uint8_t *data, size_t size)
{
	uint8_t secrets[2][32], pub[32], nonce[OVL_LAN_NONCE_LEN];
	uint8_t got[OVL_LAN_NONCE_LEN], again[OVL_LAN_PACKET_MAX];
	uint16_t ports[OVL_LAN_PORTS_MAX];
	size_t which = 0, n = 0;
	int rc;

	fixed(secrets, pub, nonce);
	rc = ovl_lan_probe_check(data, size, pub,
	    (const uint8_t (*)[32])secrets, 2, &which, got);
	if (rc != 0 && rc != -EBADMSG && rc != -EACCES)
		__builtin_trap();
	if (rc == 0) {
		if (which > 1 || size != OVL_LAN_PROBE_LEN)
			__builtin_trap();
		ovl_lan_probe_encode(again, got, pub, secrets[which]);
		if (memcmp(again, data, size) != 0)
			__builtin_trap();
	}
	rc = ovl_lan_answer_check(data, size, nonce, pub, secrets[1], ports,
	    &n);
	if (rc != 0 && rc != -EBADMSG && rc != -EACCES)
		__builtin_trap();
	if (rc == 0) {
		if (n == 0 || n > OVL_LAN_PORTS_MAX ||
		    ovl_lan_answer_encode(again, sizeof again, nonce, pub,
		    secrets[1], ports, n) != size ||
		    memcmp(again, data, size) != 0)
			__builtin_trap();
	}
}

/* Builds an answer from data, changes one byte, checks it. */
static void
as_answer(const uint8_t *data, size_t size)
{
	uint8_t secrets[2][32], pub[32], nonce[OVL_LAN_NONCE_LEN];
	uint8_t pkt[OVL_LAN_PACKET_MAX];
	uint16_t ports[OVL_LAN_PORTS_MAX], out[OVL_LAN_PORTS_MAX];
	size_t n, i, len, at;
	int rc;

	if (size < 3)
		return;
	fixed(secrets, pub, nonce);
	n = data[0] % (OVL_LAN_PORTS_MAX + 2);
	for (i = 0; i < OVL_LAN_PORTS_MAX; i++)
		ports[i] = 3 + 2 * i + 1 < size ?
		    (uint16_t)(data[3 + 2 * i] << 8 | data[3 + 2 * i + 1]) :
		    (uint16_t)(i + 1);
	len = ovl_lan_answer_encode(pkt, sizeof pkt, nonce, pub, secrets[1],
	    ports, n);
	if (len == 0)
		return;
	at = data[1] % len;
	pkt[at] ^= data[2];
	rc = ovl_lan_answer_check(pkt, len, nonce, pub, secrets[1], out, &i);
	if ((rc == 0) != (data[2] == 0))
		__builtin_trap();
	if (rc == 0 && (i != n || memcmp(out, ports, n * sizeof ports[0])))
		__builtin_trap();
}

/* One input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return (0);
	if ((data[0] & 1) == 0)
		as_packet(data + 1, size - 1);
	else
		as_answer(data + 1, size - 1);
	return (0);
}
