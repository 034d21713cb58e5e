/*
 * The CipherState: round trips, tampering, nonce order, nonce exhaustion
 * and Rekey.
 */
#include <errno.h>

#include <sodium.h>

#include "overlay.h"
#include "test.h"

static const uint8_t key[OVL_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };

/* A message decrypts to itself and the nonces advance in step. */
static void
test_roundtrip(void)
{
	struct ovl_cipher tx, rx;
	uint8_t ct[64 + OVL_TAG_LEN], pt[64], msg[64];
	int i;

	ASSERT(sodium_init() >= 0);
	ovl_cipher_init(&tx, key);
	ovl_cipher_init(&rx, key);
	for (i = 0; i < 3; i++) {
		memset(msg, 'a' + i, sizeof msg);
		ASSERT_OK(ovl_cipher_encrypt(&tx, NULL, 0, msg, sizeof msg,
		    ct));
		ASSERT_OK(ovl_cipher_decrypt(&rx, NULL, 0, ct, sizeof ct, pt));
		ASSERT_MEMEQ(pt, msg, sizeof msg);
	}
	ASSERT_EQ(tx.n, 3);
	ASSERT_EQ(rx.n, 3);
}

/* A flipped bit is refused and the receiver's nonce does not move. */
static void
test_tamper(void)
{
	struct ovl_cipher tx, rx;
	uint8_t ct[16 + OVL_TAG_LEN], pt[16], msg[16] = "sixteen bytes..";

	ovl_cipher_init(&tx, key);
	ovl_cipher_init(&rx, key);
	ASSERT_OK(ovl_cipher_encrypt(&tx, NULL, 0, msg, sizeof msg, ct));
	ct[3] ^= 1;
	ASSERT_EQ(ovl_cipher_decrypt(&rx, NULL, 0, ct, sizeof ct, pt),
	    -EBADMSG);
	ASSERT_EQ(rx.n, 0);
	ct[3] ^= 1;
	ASSERT_OK(ovl_cipher_decrypt(&rx, NULL, 0, ct, sizeof ct, pt));
	ASSERT_EQ(ovl_cipher_decrypt(&rx, NULL, 0, ct, 8, pt), -EBADMSG);
}

/* A replayed or reordered message does not decrypt. */
static void
test_order(void)
{
	struct ovl_cipher tx, rx;
	uint8_t a[4 + OVL_TAG_LEN], b[4 + OVL_TAG_LEN], pt[4];

	ovl_cipher_init(&tx, key);
	ovl_cipher_init(&rx, key);
	ASSERT_OK(ovl_cipher_encrypt(&tx, NULL, 0, (const uint8_t *)"one",
	    4, a));
	ASSERT_OK(ovl_cipher_encrypt(&tx, NULL, 0, (const uint8_t *)"two",
	    4, b));
	ASSERT_EQ(ovl_cipher_decrypt(&rx, NULL, 0, b, sizeof b, pt),
	    -EBADMSG);
	ASSERT_OK(ovl_cipher_decrypt(&rx, NULL, 0, a, sizeof a, pt));
	ASSERT_EQ(ovl_cipher_decrypt(&rx, NULL, 0, a, sizeof a, pt),
	    -EBADMSG);
}

/* The last nonce is never used: the sender must stop, not wrap. */
static void
test_nonce_exhausted(void)
{
	struct ovl_cipher c;
	uint8_t ct[1 + OVL_TAG_LEN];

	ovl_cipher_init(&c, key);
	c.n = UINT64_MAX - 1;
	ASSERT_OK(ovl_cipher_encrypt(&c, NULL, 0, (const uint8_t *)"x", 1,
	    ct));
	ASSERT_EQ(ovl_cipher_encrypt(&c, NULL, 0, (const uint8_t *)"x", 1,
	    ct), -EOVERFLOW);
}

/* Both sides rekey to the same new key, different from the old. */
static void
test_rekey(void)
{
	struct ovl_cipher a, b;
	uint8_t ct[2 + OVL_TAG_LEN], pt[2];

	ovl_cipher_init(&a, key);
	ovl_cipher_init(&b, key);
	ovl_cipher_rekey(&a);
	ASSERT(memcmp(a.k, key, OVL_KEY_LEN) != 0);
	ASSERT_OK(ovl_cipher_encrypt(&a, NULL, 0, (const uint8_t *)"k", 2,
	    ct));
	ASSERT_EQ(ovl_cipher_decrypt(&b, NULL, 0, ct, sizeof ct, pt),
	    -EBADMSG);
	ovl_cipher_rekey(&b);
	ASSERT_OK(ovl_cipher_decrypt(&b, NULL, 0, ct, sizeof ct, pt));
	ovl_cipher_clear(&a);
	ASSERT_EQ(a.has_key, 0);
}

TEST_MAIN(T(test_roundtrip), T(test_tamper), T(test_order),
    T(test_nonce_exhausted), T(test_rekey))
