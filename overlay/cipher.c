/*
 * The Noise CipherState for ChaChaPoly: the AEAD of RFC 8439 with a nonce
 * of four zero bytes and the 64-bit counter in little-endian order. The
 * counter value 2^64-1 is reserved for Rekey and never used to send.
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "overlay.h"

#define NONCE_MAX	UINT64_MAX

/* Builds the 96-bit AEAD nonce for counter n. */
static void
make_nonce(uint8_t nonce[static 12], uint64_t n)
{
	int i;

	memset(nonce, 0, 4);
	for (i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(n >> (8 * i));
}

/* Sets the key and resets the nonce. */
void
ovl_cipher_init(struct ovl_cipher *c, const uint8_t k[static OVL_KEY_LEN])
{
	memcpy(c->k, k, OVL_KEY_LEN);
	c->n = 0;
	c->has_key = 1;
}

/* Wipes the key. */
void
ovl_cipher_clear(struct ovl_cipher *c)
{
	sodium_memzero(c, sizeof *c);
}

/* EncryptWithAd(): advances the nonce on success. */
int
ovl_cipher_encrypt(struct ovl_cipher *c, const uint8_t *ad, size_t adlen,
    const uint8_t *pt, size_t len, uint8_t *out)
{
	uint8_t nonce[12];
	unsigned long long clen;

	if (!c->has_key) {
		if (out != pt && len > 0)
			memmove(out, pt, len);
		return (0);
	}
	if (c->n == NONCE_MAX)
		return (-EOVERFLOW);
	make_nonce(nonce, c->n);
	if (crypto_aead_chacha20poly1305_ietf_encrypt(out, &clen, pt, len,
	    ad, adlen, NULL, nonce, c->k) != 0)
		return (-EINVAL);
	c->n++;
	return (0);
}

/* DecryptWithAd(): the nonce advances only when the tag checks. */
int
ovl_cipher_decrypt(struct ovl_cipher *c, const uint8_t *ad, size_t adlen,
    const uint8_t *ct, size_t len, uint8_t *out)
{
	uint8_t nonce[12];
	unsigned long long plen;

	if (!c->has_key) {
		if (out != ct && len > 0)
			memmove(out, ct, len);
		return (0);
	}
	if (len < OVL_TAG_LEN)
		return (-EBADMSG);
	if (c->n == NONCE_MAX)
		return (-EOVERFLOW);
	make_nonce(nonce, c->n);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(out, &plen, NULL, ct,
	    len, ad, adlen, nonce, c->k) != 0)
		return (-EBADMSG);
	c->n++;
	return (0);
}

/* Rekey(): derives the next key from the current one. */
void
ovl_cipher_rekey(struct ovl_cipher *c)
{
	uint8_t nonce[12], zeros[OVL_KEY_LEN] = { 0 };
	uint8_t out[OVL_KEY_LEN + OVL_TAG_LEN];
	unsigned long long clen;

	make_nonce(nonce, NONCE_MAX);
	(void)crypto_aead_chacha20poly1305_ietf_encrypt(out, &clen, zeros,
	    sizeof zeros, NULL, 0, NULL, nonce, c->k);
	memcpy(c->k, out, OVL_KEY_LEN);
	sodium_memzero(out, sizeof out);
}
