/*
 * The Noise engine (overlay/noise.c) beyond the known-answer vectors of
 * noise-vectors: every pattern with every psk placement completes and
 * agrees, names it cannot do are refused, turns and sizes are enforced,
 * a read stopped at a psk resumes on a copy, and a failure poisons the
 * state.
 */
#include <errno.h>

#include <sodium.h>

#include "overlay.h"
#include "test.h"

#define SUITE	"_25519_ChaChaPoly_BLAKE2b"

/* Key material for one run. */
struct keys {
	uint8_t	is[OVL_KEY_LEN], ip[OVL_KEY_LEN];	/* initiator s */
	uint8_t	rsk[OVL_KEY_LEN], rp[OVL_KEY_LEN];	/* responder s */
	uint8_t	psk[OVL_NOISE_MAX_PSKS][OVL_KEY_LEN];
};

/* Random keys. */
static void
keys_init(struct keys *k)
{
	ASSERT(sodium_init() >= 0);
	randombytes_buf(k->is, OVL_KEY_LEN);
	randombytes_buf(k->rsk, OVL_KEY_LEN);
	crypto_scalarmult_base(k->ip, k->is);
	crypto_scalarmult_base(k->rp, k->rsk);
	randombytes_buf(k->psk, sizeof k->psk);
}

/* Starts both sides of name; each gets every key it may need. */
static void
start(const char *name, struct keys *k, size_t npsks, struct ovl_noise *i,
    struct ovl_noise *r)
{
	int error;

	error = ovl_noise_init(i, name, 1, (const uint8_t *)"pro", 3, k->is,
	    k->rp, (const uint8_t (*)[OVL_KEY_LEN])k->psk, npsks);
	if (error != 0)
		FAIL("%s: initiator init %d", name, error);
	error = ovl_noise_init(r, name, 0, (const uint8_t *)"pro", 3, k->rsk,
	    k->ip, (const uint8_t (*)[OVL_KEY_LEN])k->psk, npsks);
	if (error != 0)
		FAIL("%s: responder init %d", name, error);
}

/* Plays a handshake to the end, then checks both sides agree. */
static void
play(const char *name, struct ovl_noise *i, struct ovl_noise *r)
{
	struct ovl_noise *snd, *rcv, *tmp;
	struct ovl_cipher itx, irx, rtx, rrx;
	uint8_t msg[512], pl[64], hi[OVL_HASH_LEN], hr[OVL_HASH_LEN];
	uint8_t ct[8 + OVL_TAG_LEN], pt[8];
	size_t len, plen;
	int n = 0, error;

	/* Whoever's turn it is starts (a test may have begun already). */
	snd = i->msg % 2 == 0 ? i : r;
	rcv = snd == i ? r : i;
	while (!ovl_noise_done(i) || !ovl_noise_done(r)) {
		ASSERT_LT(n++, OVL_NOISE_MAX_MSGS);
		error = ovl_noise_write(snd, (const uint8_t *)"payload", 7,
		    msg, sizeof msg, &len);
		if (error != 0)
			FAIL("%s: write %d: %d", name, n, error);
		error = ovl_noise_read(rcv, msg, len, pl, sizeof pl, &plen);
		if (error != 0)
			FAIL("%s: read %d: %d", name, n, error);
		ASSERT_EQ(plen, 7);
		ASSERT_MEMEQ(pl, "payload", 7);
		tmp = snd, snd = rcv, rcv = tmp;
	}
	ovl_noise_hash(i, hi);
	ovl_noise_hash(r, hr);
	ASSERT_MEMEQ(hi, hr, OVL_HASH_LEN);
	ASSERT_OK(ovl_noise_split(i, &itx, &irx));
	ASSERT_OK(ovl_noise_split(r, &rtx, &rrx));
	ASSERT_OK(ovl_cipher_encrypt(&itx, NULL, 0, (const uint8_t *)"transprt",
	    8, ct));
	ASSERT_OK(ovl_cipher_decrypt(&rrx, NULL, 0, ct, sizeof ct, pt));
	ASSERT_OK(ovl_cipher_encrypt(&rtx, NULL, 0, pt, 8, ct));
	ASSERT_OK(ovl_cipher_decrypt(&irx, NULL, 0, ct, sizeof ct, pt));
	ASSERT_MEMEQ(pt, "transprt", 8);
}

/* All twelve patterns, plain and with each psk placement. */
static void
test_all_patterns(void)
{
	static const char *const pats[] = { "NN", "NK", "NX", "XN", "XK",
	    "XX", "KN", "KK", "KX", "IN", "IK", "IX" };
	struct ovl_noise i, r;
	struct keys k;
	char name[96];
	size_t p, m, nmsgs;

	keys_init(&k);
	for (p = 0; p < sizeof pats / sizeof pats[0]; p++) {
		nmsgs = pats[p][0] == 'X' ? 3 : 2;
		snprintf(name, sizeof name, "Noise_%s" SUITE, pats[p]);
		start(name, &k, 0, &i, &r);
		play(name, &i, &r);
		for (m = 0; m <= nmsgs; m++) {
			snprintf(name, sizeof name, "Noise_%spsk%zu" SUITE,
			    pats[p], m);
			start(name, &k, 1, &i, &r);
			play(name, &i, &r);
		}
		snprintf(name, sizeof name, "Noise_%spsk0+psk2" SUITE,
		    pats[p]);
		start(name, &k, 2, &i, &r);
		play(name, &i, &r);
	}
	ovl_noise_clear(&i);
	ovl_noise_clear(&r);
}

/* Names outside what the engine does are -ENOTSUP. */
static void
test_names(void)
{
	static const char *const bad[] = { "", "Noise", "Noise_IK",
	    "Noise_IK_25519_AESGCM_BLAKE2b", "Noise_IK_448_ChaChaPoly_BLAKE2b",
	    "Noise_IK_25519_ChaChaPoly_SHA256", "Noise_ZZ" SUITE,
	    "Noise_IKpsk3" SUITE, "Noise_IKpsk1+psk1" SUITE,
	    "Noise_IKfallback" SUITE, "Noise_IKpsk" SUITE,
	    "Noise_IKpsk1+" SUITE, "Noise_ik" SUITE, "Noise_IK" SUITE "x", "Noise_N" SUITE };
	struct ovl_noise hs;
	struct keys k;
	size_t i;

	keys_init(&k);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (ovl_noise_init(&hs, bad[i], 1, NULL, 0, k.is, k.rp, NULL,
		    0) != -ENOTSUP)
			FAIL("\"%s\" accepted", bad[i]);
	}
	ASSERT_OK(ovl_noise_init(&hs, "Noise_XXpsk3" SUITE, 1, NULL, 0, k.is,
	    NULL, NULL, 0));
}

/* Keys a pattern needs up front must be given. */
static void
test_missing_keys(void)
{
	struct ovl_noise hs;
	struct keys k;
	uint8_t msg[256];
	size_t len;

	keys_init(&k);
	ASSERT_EQ(ovl_noise_init(&hs, "Noise_IK" SUITE, 1, NULL, 0, k.is,
	    NULL, NULL, 0), -EINVAL);
	ASSERT_EQ(ovl_noise_init(&hs, "Noise_IK" SUITE, 1, NULL, 0, NULL,
	    k.rp, NULL, 0), -EINVAL);
	ASSERT_EQ(ovl_noise_init(&hs, "Noise_IK" SUITE, 0, NULL, 0, NULL,
	    NULL, NULL, 0), -EINVAL);
	ASSERT_EQ(ovl_noise_init(&hs, "Noise_XX" SUITE, 0, NULL, 0, NULL,
	    NULL, NULL, 0), -EINVAL);
	ASSERT_EQ(ovl_noise_init(&hs, "Noise_KK" SUITE, 0, NULL, 0, k.rsk,
	    NULL, NULL, 0), -EINVAL);
	ASSERT_OK(ovl_noise_init(&hs, "Noise_NN" SUITE, 0, NULL, 0, NULL,
	    NULL, NULL, 0));
	/* More psks than the pattern has. */
	ASSERT_EQ(ovl_noise_init(&hs, "Noise_NNpsk0" SUITE, 1, NULL, 0, NULL,
	    NULL, (const uint8_t (*)[OVL_KEY_LEN])k.psk, 2), -EINVAL);
	/* A psk token with no psk given cannot be written. */
	ASSERT_OK(ovl_noise_init(&hs, "Noise_NNpsk0" SUITE, 1, NULL, 0, NULL,
	    NULL, NULL, 0));
	ASSERT_EQ(ovl_noise_write(&hs, NULL, 0, msg, sizeof msg, &len),
	    -EINVAL);
	ASSERT_OK(ovl_noise_init(&hs, "Noise_NNpsk0" SUITE, 1, NULL, 0, NULL,
	    NULL, NULL, 0));
	ASSERT_OK(ovl_noise_set_psk(&hs, k.psk[0]));
	ASSERT_EQ(ovl_noise_set_psk(&hs, k.psk[1]), -EINVAL);
	ASSERT_OK(ovl_noise_write(&hs, NULL, 0, msg, sizeof msg, &len));
}

/* Turns, buffer sizes, Split before the end. */
static void
test_turns_sizes(void)
{
	struct ovl_noise i, r;
	struct ovl_cipher tx, rx;
	struct keys k;
	static uint8_t big[OVL_NOISE_MSG_MAX + 64], big2[sizeof big];
	uint8_t msg[256], pl[256];
	size_t len, plen;

	keys_init(&k);
	start("Noise_NN" SUITE, &k, 0, &i, &r);
	ASSERT_EQ(ovl_noise_write(&r, NULL, 0, msg, sizeof msg, &len),
	    -EAGAIN);
	ASSERT_EQ(ovl_noise_read(&i, msg, 32, pl, sizeof pl, &plen), -EAGAIN);
	ASSERT_EQ(ovl_noise_split(&i, &tx, &rx), -EAGAIN);
	/* Too small a buffer changes nothing; a retry works. */
	ASSERT_EQ(ovl_noise_write(&i, (const uint8_t *)"abc", 3, msg, 34,
	    &len), -ENOSPC);
	ASSERT_EQ(ovl_noise_write(&i, big, OVL_NOISE_MSG_MAX - 31, big,
	    sizeof big, &len), -EMSGSIZE);
	ASSERT_OK(ovl_noise_write(&i, (const uint8_t *)"abc", 3, msg, 35,
	    &len));
	ASSERT_EQ(len, 35);
	/* A payload bigger than the reader's buffer is refused. */
	{
		struct ovl_noise copy = r;

		ASSERT_EQ(ovl_noise_read(&copy, msg, len, pl, 2, &plen),
		    -EBADMSG);
	}
	ASSERT_OK(ovl_noise_read(&r, msg, len, pl, sizeof pl, &plen));
	ASSERT_EQ(plen, 3);
	/* The largest message Noise allows still goes through. */
	ASSERT_OK(ovl_noise_write(&r, big, OVL_NOISE_MSG_MAX - 32 - 16, big,
	    sizeof big, &len));
	ASSERT_EQ(len, OVL_NOISE_MSG_MAX);
	ASSERT_OK(ovl_noise_read(&i, big, len, big2, sizeof big2, &plen));
	ASSERT(ovl_noise_done(&i) && ovl_noise_done(&r));
	ASSERT_EQ(ovl_noise_write(&i, NULL, 0, msg, sizeof msg, &len),
	    -EAGAIN);
}

/* A read stops at the psk; each copy can try its own psk. */
static void
test_psk_resume(void)
{
	struct ovl_noise i, r, try;
	struct keys k;
	uint8_t msg[256], pl[64], wrong[OVL_KEY_LEN];
	size_t len, plen;

	keys_init(&k);
	ASSERT_OK(ovl_noise_init(&i, "Noise_IKpsk1" SUITE, 1, NULL, 0, k.is,
	    k.rp, (const uint8_t (*)[OVL_KEY_LEN])k.psk, 1));
	ASSERT_OK(ovl_noise_init(&r, "Noise_IKpsk1" SUITE, 0, NULL, 0, k.rsk,
	    NULL, NULL, 0));
	ASSERT_OK(ovl_noise_write(&i, (const uint8_t *)"hi", 2, msg,
	    sizeof msg, &len));
	ASSERT_EQ(ovl_noise_read(&r, msg, len, pl, sizeof pl, &plen),
	    OVL_NOISE_NEED_PSK);
	/* The static key is known before any psk is tried. */
	ASSERT_NOT_NULL(ovl_noise_remote_static(&r));
	ASSERT_MEMEQ(ovl_noise_remote_static(&r), k.ip, OVL_KEY_LEN);
	memset(wrong, 7, sizeof wrong);
	try = r;
	ASSERT_OK(ovl_noise_set_psk(&try, wrong));
	ASSERT_EQ(ovl_noise_read(&try, msg, len, pl, sizeof pl, &plen),
	    -EBADMSG);
	/* Poisoned: it neither reads nor writes again. */
	ASSERT_EQ(ovl_noise_read(&try, msg, len, pl, sizeof pl, &plen),
	    -EBADMSG);
	ASSERT_EQ(ovl_noise_write(&try, NULL, 0, msg, sizeof msg, &plen),
	    -EINVAL);
	try = r;
	ASSERT_OK(ovl_noise_set_psk(&try, k.psk[0]));
	ASSERT_OK(ovl_noise_read(&try, msg, len, pl, sizeof pl, &plen));
	ASSERT_EQ(plen, 2);
	ASSERT_MEMEQ(pl, "hi", 2);
	play("resumed IKpsk1", &i, &try);
	ovl_noise_clear(&try);
	ASSERT(!ovl_noise_done(&try));
}

/* A low-order ephemeral from the peer is refused. */
static void
test_low_order(void)
{
	struct ovl_noise i, r;
	struct keys k;
	uint8_t msg[256], pl[64];
	size_t len, plen;

	keys_init(&k);
	start("Noise_NN" SUITE, &k, 0, &i, &r);
	ASSERT_OK(ovl_noise_write(&i, NULL, 0, msg, sizeof msg, &len));
	ASSERT_OK(ovl_noise_read(&r, msg, len, pl, sizeof pl, &plen));
	ASSERT_OK(ovl_noise_write(&r, NULL, 0, msg, sizeof msg, &len));
	memset(msg, 0, 32);
	ASSERT_EQ(ovl_noise_read(&i, msg, len, pl, sizeof pl, &plen),
	    -EBADMSG);
	ASSERT(!ovl_noise_done(&i));
}

/* Different prologues give different hashes and no handshake. */
static void
test_prologue(void)
{
	struct ovl_noise i, r;
	struct keys k;
	uint8_t msg[256], pl[64];
	size_t len, plen;

	keys_init(&k);
	ASSERT_OK(ovl_noise_init(&i, "Noise_NK" SUITE, 1,
	    (const uint8_t *)"a", 1, NULL, k.rp, NULL, 0));
	ASSERT_OK(ovl_noise_init(&r, "Noise_NK" SUITE, 0,
	    (const uint8_t *)"b", 1, k.rsk, NULL, NULL, 0));
	ASSERT_OK(ovl_noise_write(&i, NULL, 0, msg, sizeof msg, &len));
	ASSERT_EQ(ovl_noise_read(&r, msg, len, pl, sizeof pl, &plen),
	    -EBADMSG);
}

/*
 * ovl_noise_init_id takes the identity's public key as it is: the same
 * state as ovl_noise_init for a true pair, and no scalar multiplication
 * (a wrong public key given is the one used).
 */
static void
test_init_id(void)
{
	struct ovl_noise a, b;
	struct ovl_identity self;
	struct keys k;

	keys_init(&k);
	ovl_identity_generate(&self);
	ASSERT_OK(ovl_noise_init(&a, "Noise_IK" SUITE, 1, NULL, 0, self.priv,
	    k.rp, NULL, 0));
	ASSERT_OK(ovl_noise_init_id(&b, "Noise_IK" SUITE, 1, NULL, 0, &self,
	    k.rp, NULL, 0));
	ASSERT_MEMEQ(a.s_pub, b.s_pub, OVL_KEY_LEN);
	ASSERT_MEMEQ(a.s_pub, self.pub, OVL_KEY_LEN);
	ASSERT_MEMEQ(a.h, b.h, OVL_HASH_LEN);
	self.pub[0] ^= 1;
	ASSERT_OK(ovl_noise_init_id(&b, "Noise_IK" SUITE, 1, NULL, 0, &self,
	    k.rp, NULL, 0));
	ASSERT_MEMEQ(b.s_pub, self.pub, OVL_KEY_LEN);
	ovl_noise_clear(&a);
	ovl_noise_clear(&b);
	ovl_identity_clear(&self);
}

TEST_MAIN(
	T(test_all_patterns),
	T(test_names),
	T(test_missing_keys),
	T(test_turns_sizes),
	T(test_psk_resume),
	T(test_low_order),
	T(test_prologue),
	T(test_init_id))
