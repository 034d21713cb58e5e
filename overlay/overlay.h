/*
 * overlay/: identities, join keys, the Noise handshake, encrypted records,
 * channel multiplexing and the connections that carry them. It knows
 * nothing of Docker, JSON or commands; an access key's role is stored
 * here but defined, with its meaning, by proto/role.h. Other folders
 * include this header and nothing else of overlay/.
 *
 * Errors are negative errno values (or UV_E* from libuv, which are the
 * same on unix); 0 is success. Human detail, where a caller needs it,
 * comes back through a `char **cause` that the caller frees.
 */
#ifndef PIER_OVERLAY_H
#define PIER_OVERLAY_H

#include <stddef.h>
#include <stdint.h>

#define OVL_KEY_LEN	32	/* X25519 keys, psks, cipher keys */
#define OVL_TAG_LEN	16	/* ChaCha20-Poly1305 tag */
#define OVL_HASH_LEN	64	/* BLAKE2b */

#ifndef WARN_UNUSED_RESULT
#define WARN_UNUSED_RESULT __attribute__((warn_unused_result))
#endif

/* cipher.c */

/* A Noise CipherState: ChaCha20-Poly1305 with an implicit 64-bit nonce. */
struct ovl_cipher {
	uint8_t		k[OVL_KEY_LEN];
	uint64_t	n;
	int		has_key;
};

/* Sets the key and resets the nonce to zero. */
void ovl_cipher_init(struct ovl_cipher *c, const uint8_t k[static OVL_KEY_LEN]);
/* Wipes the key; the state has no key afterwards. */
void ovl_cipher_clear(struct ovl_cipher *c);
/*
 * Encrypts len bytes of pt with associated data into out (len + 16 bytes
 * with a key, len without) and advances the nonce. -EOVERFLOW when the
 * nonce is spent: the connection must end or rekey, never wrap.
 */
int ovl_cipher_encrypt(struct ovl_cipher *c, const uint8_t *ad, size_t adlen,
    const uint8_t *pt, size_t len, uint8_t *out) WARN_UNUSED_RESULT;
/*
 * Decrypts len bytes of ct (tag included) into out (len - 16 bytes).
 * -EBADMSG on a forged or damaged message; the nonce then stays put.
 */
int ovl_cipher_decrypt(struct ovl_cipher *c, const uint8_t *ad, size_t adlen,
    const uint8_t *ct, size_t len, uint8_t *out) WARN_UNUSED_RESULT;
/* Noise Rekey(): the key becomes the first 32 bytes of E(k, 2^64-1, 0s). */
void ovl_cipher_rekey(struct ovl_cipher *c);

#include "ovl-id.h"
#include "ovl-net.h"
#include "ovl-relay.h"
#include "ovl-map.h"
#include "ovl-lan.h"
#include "ovl-dht.h"
#include "ovl-dhts.h"

#endif
