/*
 * The record layer: framing of handshake messages, records fed in every
 * chunking down to one byte, tampering and bad lengths are fatal and
 * sticky, rekey at the same point on both sides by budget and by time,
 * a nonce that is never wrapped, a decoder that holds memory only while
 * a record is under way, and sealing in place.
 */
#include <errno.h>

#include <sodium.h>

#include "overlay.h"
#include "test.h"

static const uint8_t k1[OVL_KEY_LEN] = { 1, 2, 3 };
static const uint8_t k2[OVL_KEY_LEN] = { 4, 5, 6 };

/* Makes a connected pair: a's tx is b's rx and the other way round. */
static void
pair(struct ovl_rec *a, struct ovl_rec *b, const struct ovl_rec_budget *bud)
{
	struct ovl_cipher c1, c2;

	ASSERT(sodium_init() >= 0);
	ASSERT_OK(ovl_rec_init(a, bud));
	ASSERT_OK(ovl_rec_init(b, bud));
	ovl_cipher_init(&c1, k1);
	ovl_cipher_init(&c2, k2);
	ovl_rec_start(a, &c1, &c2, 0);
	ovl_rec_start(b, &c2, &c1, 0);
}

/* Feeds a whole buffer in chunks of step bytes; counts messages. */
static int
feed_all(struct ovl_rec *r, const uint8_t *p, size_t len, size_t step,
    uint8_t *out, size_t *outlen)
{
	const uint8_t *msg;
	size_t used, msglen, n, off = 0;
	int rc, count = 0;

	*outlen = 0;
	while (off < len) {
		n = len - off < step ? len - off : step;
		rc = ovl_rec_feed(r, p + off, n, &used, &msg, &msglen);
		if (rc != 0)
			return (rc);
		off += used;
		if (msg != NULL) {
			memcpy(out + *outlen, msg, msglen);
			*outlen += msglen;
			count++;
		}
	}
	return (count);
}

/* A handshake message round-trips in cleartext with its length. */
static void
test_hs_framing(void)
{
	struct ovl_rec r;
	uint8_t wire[OVL_HS_MAX + 2], big[OVL_HS_MAX + 1] = { 0 }, out[64];
	const uint8_t *msg;
	size_t n, used, msglen;

	ASSERT_OK(ovl_rec_init(&r, NULL));
	ASSERT_OK(ovl_rec_put_hs((const uint8_t *)"hello", 5, wire, &n));
	ASSERT_EQ(n, 7);
	ASSERT_EQ(wire[0], 0);
	ASSERT_EQ(wire[1], 5);
	ASSERT_EQ(feed_all(&r, wire, n, 1, out, &msglen), 1);
	ASSERT_EQ(msglen, 5);
	ASSERT_MEMEQ(out, "hello", 5);
	ASSERT_EQ(ovl_rec_put_hs(big, sizeof big, wire, &n), -EMSGSIZE);
	ASSERT_EQ(ovl_rec_put_hs(big, 0, wire, &n), -EMSGSIZE);
	/* a peer announcing more than OVL_HS_MAX is refused at once */
	wire[0] = 0x04;
	wire[1] = 0x01;
	ASSERT_EQ(ovl_rec_feed(&r, wire, 2, &used, &msg, &msglen), -EMSGSIZE);
	ASSERT_EQ(ovl_rec_feed(&r, wire, 2, &used, &msg, &msglen), -EMSGSIZE);
	ovl_rec_clear(&r);
}

/* Leftover bytes after a handshake message feed on as records. */
static void
test_hs_then_records(void)
{
	struct ovl_rec a, b;
	struct ovl_cipher c1, c2;
	uint8_t wire[256], out[64];
	const uint8_t *msg;
	size_t n, m, used, msglen;

	ASSERT_OK(ovl_rec_init(&a, NULL));
	ASSERT_OK(ovl_rec_init(&b, NULL));
	ovl_cipher_init(&c1, k1);
	ovl_cipher_init(&c2, k2);
	ovl_rec_start(&a, &c1, &c2, 0);
	ASSERT_OK(ovl_rec_put_hs((const uint8_t *)"msg2", 4, wire, &n));
	ASSERT_OK(ovl_rec_seal(&a, 0, (const uint8_t *)"data", 4, wire + n,
	    &m));
	ASSERT_OK(ovl_rec_feed(&b, wire, n + m, &used, &msg, &msglen));
	ASSERT_EQ(used, n);
	ASSERT_EQ(msglen, 4);
	ASSERT_MEMEQ(msg, "msg2", 4);
	ovl_rec_start(&b, &c2, &c1, 0);
	ASSERT_EQ(feed_all(&b, wire + used, m, 3, out, &msglen), 1);
	ASSERT_MEMEQ(out, "data", 4);
	ovl_rec_clear(&a);
	ovl_rec_clear(&b);
}

/* Many records of many sizes survive every chunking. */
static void
test_chunks(void)
{
	static const size_t steps[] = { 1, 2, 3, 17, 1000, 70000, 1 << 20 };
	static const size_t sizes[] = { 0, 1, 15, 16, 100, 4096,
	    OVL_REC_PT_MAX };
	struct ovl_rec a, b;
	uint8_t *wire, *pt, *out;
	size_t i, j, n, off, total, outlen;

	wire = malloc(8 * OVL_REC_SEAL_MAX(OVL_REC_PT_MAX));
	pt = malloc(OVL_REC_PT_MAX);
	out = malloc(8 * OVL_REC_PT_MAX);
	ASSERT(wire != NULL && pt != NULL && out != NULL);
	randombytes_buf(pt, OVL_REC_PT_MAX);
	for (j = 0; j < sizeof steps / sizeof steps[0]; j++) {
		pair(&a, &b, NULL);
		off = 0;
		total = 0;
		for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
			ASSERT_OK(ovl_rec_seal(&a, 0, pt, sizes[i], wire + off,
			    &n));
			ASSERT_EQ(n, sizes[i] + OVL_REC_HDR + OVL_TAG_LEN);
			off += n;
			total += sizes[i];
		}
		ASSERT_EQ(feed_all(&b, wire, off, steps[j], out, &outlen),
		    (int)(sizeof sizes / sizeof sizes[0]));
		ASSERT_EQ(outlen, total);
		for (i = 0, off = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
			ASSERT_MEMEQ(out + off, pt, sizes[i]);
			off += sizes[i];
		}
		ovl_rec_clear(&a);
		ovl_rec_clear(&b);
	}
	ASSERT_EQ(ovl_rec_seal(&a, 0, pt, 1, wire, &n), -EINVAL);
	free(wire);
	free(pt);
	free(out);
}

/* A flipped bit anywhere is fatal, and stays fatal. */
static void
test_tamper(void)
{
	struct ovl_rec a, b;
	uint8_t wire[128], out[128];
	size_t n, outlen, i;

	for (i = 2; i < 2 + 10 + OVL_TAG_LEN; i += 5) {
		pair(&a, &b, NULL);
		ASSERT_OK(ovl_rec_seal(&a, 0, (const uint8_t *)"0123456789",
		    10, wire, &n));
		wire[i] ^= 0x40;
		ASSERT_EQ(feed_all(&b, wire, n, 7, out, &outlen), -EBADMSG);
		wire[i] ^= 0x40;
		ASSERT_EQ(feed_all(&b, wire, n, 7, out, &outlen), -EBADMSG);
		ovl_rec_clear(&a);
		ovl_rec_clear(&b);
	}
}

/* Lengths below a tag are refused; the maximum is 65535 by format. */
static void
test_bad_lengths(void)
{
	struct ovl_rec a, b;
	uint8_t wire[4] = { 0, 15, 0, 0 }, out[16];
	size_t outlen;

	pair(&a, &b, NULL);
	ASSERT_EQ(feed_all(&b, wire, 2, 1, out, &outlen), -EMSGSIZE);
	ovl_rec_clear(&a);
	ovl_rec_clear(&b);
	pair(&a, &b, NULL);
	wire[1] = 0;
	ASSERT_EQ(feed_all(&b, wire, 2, 2, out, &outlen), -EMSGSIZE);
	ovl_rec_clear(&a);
	ovl_rec_clear(&b);
	pair(&a, &b, NULL);
	ASSERT_EQ(ovl_rec_seal(&a, 0, out, OVL_REC_PT_MAX + 1, NULL,
	    &outlen), -EMSGSIZE);
	ovl_rec_clear(&a);
	ovl_rec_clear(&b);
}

/* Sends count records and checks they all arrive in order. */
static void
run_stream(struct ovl_rec *a, struct ovl_rec *b, int count, uint64_t now,
    size_t step)
{
	uint8_t buf[OVL_REC_SEAL_MAX(8)], pt[8], out[64];
	size_t n, outlen;
	int i;

	for (i = 0; i < count; i++) {
		memcpy(pt, &i, sizeof i);
		ASSERT_OK(ovl_rec_seal(a, now, pt, sizeof i, buf, &n));
		ASSERT_GE(feed_all(b, buf, n, step, out, &outlen), 1);
		ASSERT_EQ(outlen, sizeof i);
		ASSERT_MEMEQ(out, &i, sizeof i);
	}
}

/* The record budget rekeys both sides at the same record. */
static void
test_rekey_records(void)
{
	struct ovl_rec_budget bud = { .records = 3 };
	struct ovl_rec a, b;

	pair(&a, &b, &bud);
	run_stream(&a, &b, 10, 0, 1);
	ASSERT_EQ(a.rekeys_tx, 3);
	ASSERT_EQ(b.rekeys_rx, 3);
	ASSERT_MEMEQ(a.tx.k, b.rx.k, OVL_KEY_LEN);
	ASSERT(memcmp(a.tx.k, k1, OVL_KEY_LEN) != 0);
	/* the nonce goes on counting across rekeys: 10 data + 3 rekey */
	ASSERT_EQ(a.tx.n, 13);
	ASSERT_EQ(b.rx.n, 13);
	ovl_rec_clear(&a);
	ovl_rec_clear(&b);
}

/* The byte budget and the time budget rekey too; deadlines are given. */
static void
test_rekey_bytes_time(void)
{
	struct ovl_rec_budget bud = { .bytes = 10, .ms = 1000 };
	struct ovl_rec a, b;
	uint8_t buf[OVL_REC_SEAL_MAX(8)], out[64];
	size_t n, outlen;

	pair(&a, &b, &bud);
	run_stream(&a, &b, 4, 0, 5);	/* 4 bytes each: 12 >= 10 before #4 */
	ASSERT_EQ(a.rekeys_tx, 1);
	ASSERT_EQ(b.rekeys_rx, 1);
	ASSERT_EQ(ovl_rec_deadline(&a), 1000);
	run_stream(&a, &b, 1, 999, 5);
	ASSERT_EQ(a.rekeys_tx, 1);
	run_stream(&a, &b, 1, 1500, 5);
	ASSERT_EQ(a.rekeys_tx, 2);
	ASSERT_EQ(ovl_rec_deadline(&a), 2500);
	/* an explicit rekey record, as an idle connection's timer sends */
	ASSERT_OK(ovl_rec_seal_rekey(&a, 3000, buf, &n));
	ASSERT_EQ(n, OVL_REC_HDR + OVL_MUX_HDR + OVL_TAG_LEN);
	ASSERT_EQ(feed_all(&b, buf, n, 1, out, &outlen), 0);
	run_stream(&a, &b, 2, 3000, 64);
	ASSERT_EQ(b.rekeys_rx, 3);
	ASSERT_EQ(a.rekeys_tx, 3);
	ovl_rec_clear(&a);
	ovl_rec_clear(&b);
}

/* The rekey record is not recognised unless it is exactly that frame. */
static void
test_rekey_lookalike(void)
{
	struct ovl_rec a, b;
	uint8_t frame[OVL_MUX_HDR] = { 0, OVL_FT_REKEY, 0, 1 };
	uint8_t buf[OVL_REC_SEAL_MAX(OVL_MUX_HDR)], out[64];
	size_t n, outlen;

	pair(&a, &b, NULL);
	/* the exact rekey frame can only go out through seal_rekey */
	frame[3] = 0;
	ASSERT_EQ(ovl_rec_seal(&a, 0, frame, sizeof frame, buf, &n), -EINVAL);
	frame[3] = 1;
	ASSERT_OK(ovl_rec_seal(&a, 0, frame, sizeof frame, buf, &n));
	ASSERT_EQ(feed_all(&b, buf, n, 64, out, &outlen), 1);
	ASSERT_EQ(outlen, OVL_MUX_HDR);
	ASSERT_EQ(b.rekeys_rx, 0);
	ovl_rec_clear(&a);
	ovl_rec_clear(&b);
}

/* Near the end of the nonce space the sender stops; it never wraps. */
static void
test_nonce_never_wraps(void)
{
	struct ovl_rec a, b;
	uint8_t buf[OVL_REC_SEAL_MAX(8)], out[64];
	size_t n, outlen;

	pair(&a, &b, NULL);
	a.tx.n = UINT64_MAX - 2;
	b.rx.n = UINT64_MAX - 2;
	ASSERT_OK(ovl_rec_seal(&a, 0, (const uint8_t *)"x", 1, buf, &n));
	ASSERT_EQ(feed_all(&b, buf, n, 64, out, &outlen), 1);
	ASSERT_OK(ovl_rec_seal(&a, 0, (const uint8_t *)"y", 1, buf, &n));
	ASSERT_EQ(feed_all(&b, buf, n, 64, out, &outlen), 1);
	ASSERT_EQ(a.tx.n, UINT64_MAX);
	ASSERT_EQ(ovl_rec_seal(&a, 0, (const uint8_t *)"z", 1, buf, &n),
	    -EOVERFLOW);
	ASSERT_EQ(ovl_rec_seal_rekey(&a, 0, buf, &n), -EOVERFLOW);
	ASSERT_EQ(a.tx.n, UINT64_MAX);
	ovl_rec_clear(&a);
	ovl_rec_clear(&b);
}

/* A record replayed or reordered fails: nonces are implicit. */
static void
test_replay(void)
{
	struct ovl_rec a, b;
	uint8_t r1[64], r2[64], out[64];
	size_t n1, n2, outlen;

	pair(&a, &b, NULL);
	ASSERT_OK(ovl_rec_seal(&a, 0, (const uint8_t *)"one", 3, r1, &n1));
	ASSERT_OK(ovl_rec_seal(&a, 0, (const uint8_t *)"two", 3, r2, &n2));
	ASSERT_EQ(feed_all(&b, r1, n1, 64, out, &outlen), 1);
	ASSERT_EQ(feed_all(&b, r1, n1, 64, out, &outlen), -EBADMSG);
	ovl_rec_clear(&a);
	ovl_rec_clear(&b);
	pair(&a, &b, NULL);
	ASSERT_OK(ovl_rec_seal(&a, 0, (const uint8_t *)"one", 3, r1, &n1));
	ASSERT_OK(ovl_rec_seal(&a, 0, (const uint8_t *)"two", 3, r2, &n2));
	ASSERT_EQ(feed_all(&b, r2, n2, 64, out, &outlen), -EBADMSG);
	ovl_rec_clear(&a);
	ovl_rec_clear(&b);
}

/*
 * The decoder holds a buffer only while it has something: none after
 * init, one sized to the record (not to the largest) while a record is
 * split, kept by trim until that record is whole, none after trim.
 */
static void
test_buffer_held(void)
{
	static uint8_t big[OVL_REC_PT_MAX], wire[OVL_REC_SEAL_MAX(
	    OVL_REC_PT_MAX)];
	struct ovl_rec a, b;
	const uint8_t *msg;
	uint8_t small[OVL_REC_SEAL_MAX(100)];
	size_t n, sn, used, msglen, i;

	pair(&a, &b, NULL);
	ASSERT_EQ(ovl_rec_held(&a), 0);
	ASSERT_EQ(ovl_rec_held(&b), 0);
	for (i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)(i * 7);
	memset(small, 0, sizeof small);
	ASSERT_OK(ovl_rec_seal(&a, 0, big, 100, small, &sn));
	/* split after 50 bytes: a buffer for this record, not 64 KiB */
	ASSERT_OK(ovl_rec_feed(&b, small, 50, &used, &msg, &msglen));
	ASSERT_EQ(used, 50);
	ASSERT_NULL(msg);
	ASSERT_GT(ovl_rec_held(&b), 100);
	ASSERT(ovl_rec_held(&b) <= 256);
	ovl_rec_trim(&b);		/* half a record: kept */
	ASSERT_GT(ovl_rec_held(&b), 0);
	ASSERT_OK(ovl_rec_feed(&b, small + 50, sn - 50, &used, &msg,
	    &msglen));
	ASSERT_EQ(msglen, 100);
	ASSERT_MEMEQ(msg, big, 100);
	ovl_rec_trim(&b);
	ASSERT_EQ(ovl_rec_held(&b), 0);
	/* a header alone needs no buffer */
	ASSERT_OK(ovl_rec_seal(&a, 0, big, sizeof big, wire, &n));
	ASSERT_OK(ovl_rec_feed(&b, wire, 1, &used, &msg, &msglen));
	ovl_rec_trim(&b);
	ASSERT_EQ(ovl_rec_held(&b), 0);
	/* a whole largest record in one input opens straight from it */
	ASSERT_OK(ovl_rec_feed(&b, wire + 1, n - 1, &used, &msg, &msglen));
	ASSERT_EQ(used, n - 1);
	ASSERT_EQ(msglen, sizeof big);
	ASSERT_MEMEQ(msg, big, sizeof big);
	ASSERT(ovl_rec_held(&b) <= 65536);
	ovl_rec_trim(&b);
	ASSERT_EQ(ovl_rec_held(&b), 0);
	ovl_rec_clear(&a);
	ovl_rec_clear(&b);
}

/*
 * Sealing in place gives the bytes ovl_rec_seal gives, and when the
 * budget is spent it puts the rekey record first, as ovl_rec_seal does.
 */
static void
test_seal_inplace(void)
{
	static const size_t sizes[] = { 0, 1, 100, 4096, OVL_REC_PT_MAX };
	static uint8_t pt[OVL_REC_PT_MAX];
	static uint8_t w1[OVL_REC_SEAL_MAX(OVL_REC_PT_MAX)];
	static uint8_t w2[OVL_REC_SEAL_MAX(OVL_REC_PT_MAX)];
	static uint8_t out[2 * OVL_REC_PT_MAX];
	struct ovl_rec_budget bud = { 0, 3, 0 };	/* rekey every 3 */
	struct ovl_rec a, a2, b, unused;
	uint8_t frame[OVL_MUX_HDR] = { OVL_MUX_VERSION, OVL_FT_REKEY };
	size_t n1, n2, outlen, i, k;

	for (i = 0; i < sizeof pt; i++)
		pt[i] = (uint8_t)(i % 253);
	pair(&a, &b, &bud);		/* b reads what a (and a2) seal */
	pair(&a2, &unused, &bud);	/* a2 seals as a does */
	ovl_rec_clear(&unused);
	for (k = 0; k < 4; k++) {
		for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
			ASSERT_OK(ovl_rec_seal(&a, 0, pt, sizes[i], w1, &n1));
			memcpy(w2 + OVL_REC_HDR, pt, sizes[i]);
			ASSERT_OK(ovl_rec_seal_inplace(&a2, 0, w2, sizes[i],
			    &n2));
			ASSERT_EQ(n2, n1);
			ASSERT_MEMEQ(w2, w1, n1);
			ASSERT_EQ(feed_all(&b, w2, n2, 1000, out, &outlen), 1);
			ASSERT_EQ(outlen, sizes[i]);
			ASSERT_MEMEQ(out, pt, sizes[i]);
		}
	}
	ASSERT_GT(a2.rekeys_tx, 4);
	ASSERT_EQ(b.rekeys_rx, a2.rekeys_tx);
	memcpy(w2 + OVL_REC_HDR, frame, sizeof frame);
	ASSERT_EQ(ovl_rec_seal_inplace(&a2, 0, w2, sizeof frame, &n2),
	    -EINVAL);
	memcpy(w2 + OVL_REC_HDR, pt, 10);
	ASSERT_EQ(ovl_rec_seal_inplace(&a2, 0, w2, OVL_REC_PT_MAX + 1, &n2),
	    -EMSGSIZE);
	ovl_rec_clear(&a);
	ovl_rec_clear(&a2);
	ovl_rec_clear(&b);
}

TEST_MAIN(T(test_hs_framing), T(test_hs_then_records), T(test_chunks),
    T(test_tamper), T(test_bad_lengths), T(test_rekey_records),
    T(test_rekey_bytes_time), T(test_rekey_lookalike),
    T(test_nonce_never_wraps), T(test_replay), T(test_buffer_held),
    T(test_seal_inplace))
