/*
 * A generic Noise handshake engine (revision 34) for the one suite Pier
 * uses: 25519, ChaChaPoly, BLAKE2b. Patterns are token lists in a const
 * table; psk modifiers are applied to a copy of the lists when a
 * handshake starts. It is a pure state machine over byte buffers: no I/O,
 * no clock, and the ephemeral key can be fixed for the test vectors.
 *
 * Reads can stop at a psk token when no psk is set (OVL_NOISE_NEED_PSK),
 * so a responder can do the DH work of a message once and then try each
 * of its psks on a copy of the state.
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "overlay.h"

#define SUITE		"_25519_ChaChaPoly_BLAKE2b"
#define BLOCK_LEN	128	/* BLAKE2b block, for HMAC */

enum token {
	TOK_END = 0,
	TOK_E,
	TOK_S,
	TOK_EE,
	TOK_ES,
	TOK_SE,
	TOK_SS,
	TOK_PSK,
};

/* One handshake pattern of the spec, section 7. */
struct pattern {
	const char	*name;
	int		pre_i_s;	/* -> s pre-message */
	int		pre_r_s;	/* <- s pre-message */
	size_t		nmsgs;
	uint8_t		msgs[3][6];
};

static const struct pattern patterns[] = {
	{ "NN", 0, 0, 2, { { TOK_E }, { TOK_E, TOK_EE } } },
	{ "NK", 0, 1, 2, { { TOK_E, TOK_ES }, { TOK_E, TOK_EE } } },
	{ "NX", 0, 0, 2, { { TOK_E }, { TOK_E, TOK_EE, TOK_S, TOK_ES } } },
	{ "XN", 0, 0, 3, { { TOK_E }, { TOK_E, TOK_EE },
	    { TOK_S, TOK_SE } } },
	{ "XK", 0, 1, 3, { { TOK_E, TOK_ES }, { TOK_E, TOK_EE },
	    { TOK_S, TOK_SE } } },
	{ "XX", 0, 0, 3, { { TOK_E }, { TOK_E, TOK_EE, TOK_S, TOK_ES },
	    { TOK_S, TOK_SE } } },
	{ "KN", 1, 0, 2, { { TOK_E }, { TOK_E, TOK_EE, TOK_SE } } },
	{ "KK", 1, 1, 2, { { TOK_E, TOK_ES, TOK_SS },
	    { TOK_E, TOK_EE, TOK_SE } } },
	{ "KX", 1, 0, 2, { { TOK_E },
	    { TOK_E, TOK_EE, TOK_SE, TOK_S, TOK_ES } } },
	{ "IN", 0, 0, 2, { { TOK_E, TOK_S }, { TOK_E, TOK_EE, TOK_SE } } },
	{ "IK", 0, 1, 2, { { TOK_E, TOK_ES, TOK_S, TOK_SS },
	    { TOK_E, TOK_EE, TOK_SE } } },
	{ "IX", 0, 0, 2, { { TOK_E, TOK_S },
	    { TOK_E, TOK_EE, TOK_SE, TOK_S, TOK_ES } } },
};

/* HMAC-BLAKE2b with a 64-byte key over the concatenation a || b. */
static void
hmac(uint8_t out[static OVL_HASH_LEN], const uint8_t key[static OVL_HASH_LEN],
    const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	crypto_generichash_state st;
	uint8_t pad[BLOCK_LEN], inner[OVL_HASH_LEN];
	size_t i;

	memset(pad, 0x36, sizeof pad);
	for (i = 0; i < OVL_HASH_LEN; i++)
		pad[i] ^= key[i];
	crypto_generichash_init(&st, NULL, 0, OVL_HASH_LEN);
	crypto_generichash_update(&st, pad, sizeof pad);
	crypto_generichash_update(&st, a, alen);
	crypto_generichash_update(&st, b, blen);
	crypto_generichash_final(&st, inner, sizeof inner);
	memset(pad, 0x5c, sizeof pad);
	for (i = 0; i < OVL_HASH_LEN; i++)
		pad[i] ^= key[i];
	crypto_generichash_init(&st, NULL, 0, OVL_HASH_LEN);
	crypto_generichash_update(&st, pad, sizeof pad);
	crypto_generichash_update(&st, inner, sizeof inner);
	crypto_generichash_final(&st, out, OVL_HASH_LEN);
	sodium_memzero(pad, sizeof pad);
	sodium_memzero(inner, sizeof inner);
	sodium_memzero(&st, sizeof st);
}

/* HKDF(ck, ikm) with two or three outputs (o3 may be NULL). */
static void
hkdf(const uint8_t ck[static OVL_HASH_LEN], const uint8_t *ikm, size_t len,
    uint8_t o1[static OVL_HASH_LEN], uint8_t o2[static OVL_HASH_LEN],
    uint8_t *o3)
{
	uint8_t tk[OVL_HASH_LEN], b;

	hmac(tk, ck, ikm, len, NULL, 0);
	b = 1;
	hmac(o1, tk, &b, 1, NULL, 0);
	b = 2;
	hmac(o2, tk, o1, OVL_HASH_LEN, &b, 1);
	if (o3 != NULL) {
		b = 3;
		hmac(o3, tk, o2, OVL_HASH_LEN, &b, 1);
	}
	sodium_memzero(tk, sizeof tk);
}

/* MixHash(): h = HASH(h || data). */
static void
mix_hash(struct ovl_noise *hs, const uint8_t *data, size_t len)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, OVL_HASH_LEN);
	crypto_generichash_update(&st, hs->h, OVL_HASH_LEN);
	crypto_generichash_update(&st, data, len);
	crypto_generichash_final(&st, hs->h, OVL_HASH_LEN);
}

/* MixKey(): a new chaining key and cipher key from ikm. */
static void
mix_key(struct ovl_noise *hs, const uint8_t *ikm, size_t len)
{
	uint8_t k[OVL_HASH_LEN];

	hkdf(hs->ck, ikm, len, hs->ck, k, NULL);
	ovl_cipher_init(&hs->cs, k);
	sodium_memzero(k, sizeof k);
}

/* MixKeyAndHash(): for psk tokens. */
static void
mix_key_and_hash(struct ovl_noise *hs, const uint8_t psk[static OVL_KEY_LEN])
{
	uint8_t th[OVL_HASH_LEN], k[OVL_HASH_LEN];

	hkdf(hs->ck, psk, OVL_KEY_LEN, hs->ck, th, k);
	mix_hash(hs, th, sizeof th);
	ovl_cipher_init(&hs->cs, k);
	sodium_memzero(th, sizeof th);
	sodium_memzero(k, sizeof k);
}

/* Finds a base pattern by name (the part before any modifier). */
static const struct pattern *
find_pattern(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
		if (strlen(patterns[i].name) == len &&
		    memcmp(patterns[i].name, name, len) == 0)
			return (&patterns[i]);
	}
	return (NULL);
}

/* Copies a pattern's tokens into hs and applies "+"-separated mods. */
static int
apply_pattern(struct ovl_noise *hs, const struct pattern *p, const char *mods,
    size_t len)
{
	size_t i, j, n, m;
	unsigned seen = 0;
	int k;

	memset(hs->tokens, 0, sizeof hs->tokens);
	for (i = 0; i < p->nmsgs; i++)
		memcpy(hs->tokens[i], p->msgs[i], sizeof p->msgs[i]);
	hs->nmsgs = p->nmsgs;
	i = 0;
	while (i < len) {
		if (len - i < 4 || memcmp(mods + i, "psk", 3) != 0 ||
		    mods[i + 3] < '0' || mods[i + 3] > '9')
			return (-ENOTSUP);
		k = mods[i + 3] - '0';
		i += 4;
		if (i < len && (mods[i] != '+' || i + 1 == len))
			return (-ENOTSUP);
		if (i < len)
			i++;
		if (seen & (1u << k) || hs->npsk_tokens == OVL_NOISE_MAX_PSKS)
			return (-ENOTSUP);
		seen |= 1u << k;
		m = k == 0 ? 0 : (size_t)k - 1;
		if (m >= hs->nmsgs)
			return (-ENOTSUP);
		for (n = 0; hs->tokens[m][n] != TOK_END; n++)
			;
		if (n + 1 >= OVL_NOISE_MAX_TOKENS)
			return (-ENOTSUP);
		if (k == 0) {
			for (j = n; j > 0; j--)
				hs->tokens[m][j] = hs->tokens[m][j - 1];
			hs->tokens[m][0] = TOK_PSK;
		} else
			hs->tokens[m][n] = TOK_PSK;
		hs->npsk_tokens++;
	}
	return (0);
}

/* Non-zero if the side (initiator or not) sends an s token. */
static int
sends_static(const struct ovl_noise *hs, int initiator)
{
	size_t i, j;

	for (i = initiator ? 0 : 1; i < hs->nmsgs; i += 2) {
		for (j = 0; hs->tokens[i][j] != TOK_END; j++)
			if (hs->tokens[i][j] == TOK_S)
				return (1);
	}
	return (0);
}

/*
 * Initialize(): parses the name, sets keys, hashes the pre-messages.
 * s_pub, when not NULL, is s's public key, which then is not computed
 * again (a scalar multiplication, about a sixth of an IK handshake).
 */
static int
noise_init(struct ovl_noise *hs, const char *protocol_name,
    int initiator, const uint8_t *prologue, size_t prologue_len,
    const uint8_t *s, const uint8_t *s_pub, const uint8_t *rs,
    const uint8_t (*psks)[OVL_KEY_LEN], size_t npsks)
{
	const struct pattern *p;
	const char *pat, *mods, *end;
	size_t nlen, i;
	int error;

	memset(hs, 0, sizeof *hs);
	if (sodium_init() < 0)
		return (-EIO);
	nlen = strlen(protocol_name);
	if (strncmp(protocol_name, "Noise_", 6) != 0)
		return (-ENOTSUP);
	pat = protocol_name + 6;
	end = strchr(pat, '_');
	if (end == NULL || strcmp(end, SUITE) != 0)
		return (-ENOTSUP);
	for (mods = pat; mods < end && *mods >= 'A' && *mods <= 'Z'; mods++)
		;
	p = find_pattern(pat, (size_t)(mods - pat));
	if (p == NULL)
		return (-ENOTSUP);
	error = apply_pattern(hs, p, mods, (size_t)(end - mods));
	if (error != 0)
		return (error);
	hs->initiator = initiator != 0;

	if (npsks > hs->npsk_tokens)
		return (-EINVAL);
	for (i = 0; i < npsks; i++)
		memcpy(hs->psks[i], psks[i], OVL_KEY_LEN);
	hs->npsks = npsks;
	if (s != NULL) {
		memcpy(hs->s_priv, s, OVL_KEY_LEN);
		if (s_pub != NULL)
			memcpy(hs->s_pub, s_pub, OVL_KEY_LEN);
		else
			crypto_scalarmult_base(hs->s_pub, hs->s_priv);
		hs->has_s = 1;
	}
	if (rs != NULL) {
		memcpy(hs->rs, rs, OVL_KEY_LEN);
		hs->has_rs = 1;
	}
	if (!hs->has_s && (sends_static(hs, hs->initiator) ||
	    (hs->initiator ? p->pre_i_s : p->pre_r_s)))
		return (-EINVAL);
	if (!hs->has_rs && (hs->initiator ? p->pre_r_s : p->pre_i_s))
		return (-EINVAL);

	memset(hs->h, 0, sizeof hs->h);
	if (nlen <= OVL_HASH_LEN)
		memcpy(hs->h, protocol_name, nlen);
	else
		crypto_generichash(hs->h, OVL_HASH_LEN,
		    (const uint8_t *)protocol_name, nlen, NULL, 0);
	memcpy(hs->ck, hs->h, OVL_HASH_LEN);
	mix_hash(hs, prologue, prologue_len);
	if (p->pre_i_s)
		mix_hash(hs, hs->initiator ? hs->s_pub : hs->rs, OVL_KEY_LEN);
	if (p->pre_r_s)
		mix_hash(hs, hs->initiator ? hs->rs : hs->s_pub, OVL_KEY_LEN);
	return (0);
}

/* Initialize() with our static private key s (or none). */
int
ovl_noise_init(struct ovl_noise *hs, const char *protocol_name,
    int initiator, const uint8_t *prologue, size_t prologue_len,
    const uint8_t *s, const uint8_t *rs,
    const uint8_t (*psks)[OVL_KEY_LEN], size_t npsks)
{
	return (noise_init(hs, protocol_name, initiator, prologue,
	    prologue_len, s, NULL, rs, psks, npsks));
}

/* Initialize() with our static key pair from an identity. */
int
ovl_noise_init_id(struct ovl_noise *hs, const char *protocol_name,
    int initiator, const uint8_t *prologue, size_t prologue_len,
    const struct ovl_identity *self, const uint8_t *rs,
    const uint8_t (*psks)[OVL_KEY_LEN], size_t npsks)
{
	return (noise_init(hs, protocol_name, initiator, prologue,
	    prologue_len, self->priv, self->pub, rs, psks, npsks));
}

/* Fixes the ephemeral key. */
void
ovl_noise_set_ephemeral(struct ovl_noise *hs,
    const uint8_t e[static OVL_KEY_LEN])
{
	memcpy(hs->e_priv, e, OVL_KEY_LEN);
	crypto_scalarmult_base(hs->e_pub, hs->e_priv);
	hs->has_e = 1;
}

/* Adds the next psk. */
int
ovl_noise_set_psk(struct ovl_noise *hs, const uint8_t psk[static OVL_KEY_LEN])
{
	if (hs->npsks >= hs->npsk_tokens)
		return (-EINVAL);
	memcpy(hs->psks[hs->npsks++], psk, OVL_KEY_LEN);
	return (0);
}

/* Does the DH of token t; -EBADMSG for a low-order peer key. */
static int
do_dh(struct ovl_noise *hs, int t)
{
	const uint8_t *priv, *pub;
	uint8_t out[OVL_KEY_LEN];
	int have;

	switch (t) {
	case TOK_EE:
		priv = hs->e_priv, pub = hs->re;
		have = hs->has_e && hs->has_re;
		break;
	case TOK_ES:
		if (hs->initiator)
			priv = hs->e_priv, pub = hs->rs;
		else
			priv = hs->s_priv, pub = hs->re;
		have = hs->initiator ? hs->has_e && hs->has_rs :
		    hs->has_s && hs->has_re;
		break;
	case TOK_SE:
		if (hs->initiator)
			priv = hs->s_priv, pub = hs->re;
		else
			priv = hs->e_priv, pub = hs->rs;
		have = hs->initiator ? hs->has_s && hs->has_re :
		    hs->has_e && hs->has_rs;
		break;
	default:
		priv = hs->s_priv, pub = hs->rs;
		have = hs->has_s && hs->has_rs;
		break;
	}
	if (!have)
		return (-EINVAL);
	if (crypto_scalarmult(out, priv, pub) != 0)
		return (-EBADMSG);
	mix_key(hs, out, sizeof out);
	sodium_memzero(out, sizeof out);
	return (0);
}

/* Non-zero if the pattern has psk tokens (then every e also mixes a key). */
static int
psk_mode(const struct ovl_noise *hs)
{
	return (hs->npsk_tokens > 0);
}

/* Bytes the next message takes with a payload of len bytes. */
static size_t
message_size(const struct ovl_noise *hs, size_t len)
{
	const uint8_t *t = hs->tokens[hs->msg];
	size_t n = 0;
	int keyed = hs->cs.has_key;

	for (; *t != TOK_END; t++) {
		if (*t == TOK_E) {
			n += OVL_KEY_LEN;
			keyed |= psk_mode(hs);
		} else if (*t == TOK_S)
			n += OVL_KEY_LEN + (keyed ? OVL_TAG_LEN : 0);
		else
			keyed = 1;
	}
	return (n + len + (keyed ? OVL_TAG_LEN : 0));
}

/* Non-zero if the next message is ours to write. */
static int
our_turn(const struct ovl_noise *hs)
{
	return (hs->msg < hs->nmsgs && (hs->msg % 2 == 0) == hs->initiator);
}

/* WriteMessage(). */
int
ovl_noise_write(struct ovl_noise *hs, const uint8_t *payload, size_t len,
    uint8_t *out, size_t cap, size_t *outlen)
{
	const uint8_t *t;
	size_t need, off = 0;
	int error;

	if (hs->failed)
		return (-EINVAL);
	if (!our_turn(hs) || hs->tok != 0)
		return (-EAGAIN);
	if (payload == NULL)
		payload = (const uint8_t *)"";	/* len is 0 */
	if (len > OVL_NOISE_MSG_MAX)
		return (-EMSGSIZE);
	need = message_size(hs, len);
	if (need > OVL_NOISE_MSG_MAX)
		return (-EMSGSIZE);
	if (need > cap)
		return (-ENOSPC);
	for (t = hs->tokens[hs->msg]; *t != TOK_END; t++) {
		switch (*t) {
		case TOK_E:
			if (!hs->has_e) {
				randombytes_buf(hs->e_priv, OVL_KEY_LEN);
				crypto_scalarmult_base(hs->e_pub, hs->e_priv);
				hs->has_e = 1;
			}
			memcpy(out + off, hs->e_pub, OVL_KEY_LEN);
			off += OVL_KEY_LEN;
			mix_hash(hs, hs->e_pub, OVL_KEY_LEN);
			if (psk_mode(hs))
				mix_key(hs, hs->e_pub, OVL_KEY_LEN);
			break;
		case TOK_S:
			if (ovl_cipher_encrypt(&hs->cs, hs->h, OVL_HASH_LEN,
			    hs->s_pub, OVL_KEY_LEN, out + off) != 0)
				goto fail;
			need = OVL_KEY_LEN + (hs->cs.has_key ? OVL_TAG_LEN : 0);
			mix_hash(hs, out + off, need);
			off += need;
			break;
		case TOK_PSK:
			if (hs->psk_next >= hs->npsks) {
				error = -EINVAL;
				goto fail_error;
			}
			mix_key_and_hash(hs, hs->psks[hs->psk_next++]);
			break;
		default:
			error = do_dh(hs, *t);
			if (error != 0)
				goto fail_error;
			break;
		}
	}
	if (ovl_cipher_encrypt(&hs->cs, hs->h, OVL_HASH_LEN, payload, len,
	    out + off) != 0)
		goto fail;
	need = len + (hs->cs.has_key ? OVL_TAG_LEN : 0);
	mix_hash(hs, out + off, need);
	*outlen = off + need;
	hs->msg++;
	return (0);

fail:
	error = -EINVAL;
fail_error:
	hs->failed = 1;
	return (error);
}

/* DecryptAndHash() of n bytes at msg into out. */
static int
decrypt_and_hash(struct ovl_noise *hs, const uint8_t *msg, size_t n,
    uint8_t *out)
{
	uint8_t h[OVL_HASH_LEN];

	memcpy(h, hs->h, OVL_HASH_LEN);
	mix_hash(hs, msg, n);
	if (ovl_cipher_decrypt(&hs->cs, h, OVL_HASH_LEN, msg, n, out) != 0)
		return (-EBADMSG);
	return (0);
}

/* ReadMessage(), resumable at a psk token. */
int
ovl_noise_read(struct ovl_noise *hs, const uint8_t *msg, size_t len,
    uint8_t *payload, size_t cap, size_t *plen)
{
	const uint8_t *t;
	uint8_t rs[OVL_KEY_LEN];
	size_t n;
	int error;

	if (hs->failed)
		return (-EBADMSG);
	if (hs->msg >= hs->nmsgs || our_turn(hs))
		return (-EAGAIN);
	if (len > OVL_NOISE_MSG_MAX || hs->off > len)
		goto bad;
	for (t = hs->tokens[hs->msg] + hs->tok; *t != TOK_END; t++) {
		switch (*t) {
		case TOK_E:
			if (len - hs->off < OVL_KEY_LEN)
				goto bad;
			memcpy(hs->re, msg + hs->off, OVL_KEY_LEN);
			hs->has_re = 1;
			hs->off += OVL_KEY_LEN;
			mix_hash(hs, hs->re, OVL_KEY_LEN);
			if (psk_mode(hs))
				mix_key(hs, hs->re, OVL_KEY_LEN);
			break;
		case TOK_S:
			n = OVL_KEY_LEN + (hs->cs.has_key ? OVL_TAG_LEN : 0);
			if (len - hs->off < n)
				goto bad;
			if (decrypt_and_hash(hs, msg + hs->off, n, rs) != 0)
				goto bad;
			memcpy(hs->rs, rs, OVL_KEY_LEN);
			hs->has_rs = 1;
			hs->off += n;
			break;
		case TOK_PSK:
			if (hs->psk_next >= hs->npsks) {
				hs->tok = (size_t)(t - hs->tokens[hs->msg]);
				return (OVL_NOISE_NEED_PSK);
			}
			mix_key_and_hash(hs, hs->psks[hs->psk_next++]);
			break;
		default:
			error = do_dh(hs, *t);
			if (error != 0)
				goto bad;
			break;
		}
	}
	n = len - hs->off;
	if (hs->cs.has_key && n < OVL_TAG_LEN)
		goto bad;
	if (n - (hs->cs.has_key ? OVL_TAG_LEN : 0) > cap)
		goto bad;
	if (decrypt_and_hash(hs, msg + hs->off, n, payload) != 0)
		goto bad;
	*plen = n - (hs->cs.has_key ? OVL_TAG_LEN : 0);
	hs->msg++;
	hs->tok = 0;
	hs->off = 0;
	return (0);

bad:
	hs->failed = 1;
	return (-EBADMSG);
}

/* Done when every message has passed. */
int
ovl_noise_done(const struct ovl_noise *hs)
{
	return (!hs->failed && hs->msg == hs->nmsgs);
}

/* Split(). */
int
ovl_noise_split(struct ovl_noise *hs, struct ovl_cipher *tx,
    struct ovl_cipher *rx)
{
	uint8_t k1[OVL_HASH_LEN], k2[OVL_HASH_LEN];

	if (!ovl_noise_done(hs))
		return (-EAGAIN);
	hkdf(hs->ck, NULL, 0, k1, k2, NULL);
	ovl_cipher_init(tx, hs->initiator ? k1 : k2);
	ovl_cipher_init(rx, hs->initiator ? k2 : k1);
	sodium_memzero(k1, sizeof k1);
	sodium_memzero(k2, sizeof k2);
	return (0);
}

/* The handshake hash. */
void
ovl_noise_hash(const struct ovl_noise *hs, uint8_t h[static OVL_HASH_LEN])
{
	memcpy(h, hs->h, OVL_HASH_LEN);
}

/* The peer's static key once known. */
const uint8_t *
ovl_noise_remote_static(const struct ovl_noise *hs)
{
	return (hs->has_rs ? hs->rs : NULL);
}

/* Wipes everything; the state is dead afterwards. */
void
ovl_noise_clear(struct ovl_noise *hs)
{
	sodium_memzero(hs, sizeof *hs);
	hs->failed = 1;
}
