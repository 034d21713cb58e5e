/*
 * Pier's IKpsk1 handshake (overlay/handshake.c): a full round trip, the
 * psk search, and everything that must fail without the node answering:
 * wrong or missing secrets, flipped bits, truncation, a wrong node key,
 * a prologue or version mismatch, bad hellos and replays. (The speed of
 * handshakes is measured by tools/bench/bench-overlay -H, not here.)
 */
#include <errno.h>

#include <sodium.h>

#include "overlay.h"
#include "test.h"

/* The two parties and three access secrets. */
struct fixture {
	struct ovl_identity	client, node;
	uint8_t			psks[3][OVL_KEY_LEN];
};

/* Fresh keys for a test. */
static void
fixture_init(struct fixture *f)
{
	size_t i;

	ASSERT(sodium_init() >= 0);
	ovl_identity_generate(&f->client);
	ovl_identity_generate(&f->node);
	for (i = 0; i < 3; i++)
		randombytes_buf(f->psks[i], OVL_KEY_LEN);
}

/* Writes message 1 with psk i; the client state comes back in *c. */
static size_t
begin(struct fixture *f, size_t i, uint64_t now, struct ovl_hs_client **c,
    uint8_t msg1[static OVL_HS_MSG_MAX])
{
	size_t len = 0;

	ASSERT_OK(ovl_hs_client_begin(c, &f->client, f->node.pub, f->psks[i],
	    "laptop", now, msg1, &len));
	ASSERT_NOT_NULL(*c);
	ASSERT_GT(len, 0);
	ASSERT_LE(len, OVL_HS_MSG_MAX);
	return (len);
}

/* Writes a message 1 by hand with any prologue and payload. */
static size_t
craft(struct fixture *f, const char *prologue, const uint8_t *payload,
    size_t plen, const uint8_t psk[static OVL_KEY_LEN], uint8_t *msg1)
{
	struct ovl_noise hs;
	size_t len = 0;

	ASSERT_OK(ovl_noise_init(&hs, OVL_HS_PROTOCOL, 1,
	    (const uint8_t *)prologue, strlen(prologue), f->client.priv,
	    f->node.pub, (const uint8_t (*)[OVL_KEY_LEN])psk, 1));
	ASSERT_OK(ovl_noise_write(&hs, payload, plen, msg1, OVL_HS_MSG_MAX,
	    &len));
	ovl_noise_clear(&hs);
	return (len);
}

/* Sends one message each way over a pair of handshake results. */
static void
check_keys(struct ovl_hs_keys *a, struct ovl_hs_keys *b)
{
	uint8_t ct[5 + OVL_TAG_LEN], pt[5];

	ASSERT_OK(ovl_cipher_encrypt(&a->tx, NULL, 0, (const uint8_t *)"hello",
	    5, ct));
	ASSERT_OK(ovl_cipher_decrypt(&b->rx, NULL, 0, ct, sizeof ct, pt));
	ASSERT_MEMEQ(pt, "hello", 5);
	ASSERT_OK(ovl_cipher_encrypt(&b->tx, NULL, 0, (const uint8_t *)"world",
	    5, ct));
	ASSERT_OK(ovl_cipher_decrypt(&a->rx, NULL, 0, ct, sizeof ct, pt));
	ASSERT_MEMEQ(pt, "world", 5);
	/* Each direction has its own key. */
	ASSERT(sodium_memcmp(a->tx.k, a->rx.k, OVL_KEY_LEN) != 0);
}

/* The client holds the second of three secrets; both ends agree. */
static void
test_roundtrip(void)
{
	struct fixture f;
	struct ovl_hs_client *c;
	struct ovl_hello hello;
	struct ovl_hs_keys cs, ns;
	uint8_t m1[OVL_HS_MSG_MAX], m2[OVL_HS_MSG_MAX];
	size_t l1, l2 = 0, which = 99;

	fixture_init(&f);
	l1 = begin(&f, 1, 1700000000123ULL, &c, m1);
	ASSERT_OK(ovl_hs_node_respond(&f.node,
	    (const uint8_t (*)[OVL_KEY_LEN])f.psks, 3, m1, l1, &hello,
	    &which, m2, &l2, &ns));
	ASSERT_EQ(which, 1);
	ASSERT_EQ(hello.timestamp_ms, 1700000000123ULL);
	ASSERT_EQ(hello.version, OVL_PROTO_VERSION);
	ASSERT_STREQ(hello.name, "laptop");
	ASSERT_GT(l2, 0);
	ASSERT_LE(l2, OVL_HS_MSG_MAX);
	ASSERT_MEMEQ(ns.remote_static, f.client.pub, OVL_KEY_LEN);
	ASSERT_OK(ovl_hs_client_finish(c, m2, l2, &cs));
	ASSERT_MEMEQ(cs.remote_static, f.node.pub, OVL_KEY_LEN);
	ASSERT_EQ(cs.remote_version, OVL_PROTO_VERSION);
	ASSERT_MEMEQ(cs.hash, ns.hash, OVL_HASH_LEN);
	check_keys(&cs, &ns);
	/* A finished handshake cannot be finished again. */
	ASSERT_EQ(ovl_hs_client_finish(c, m2, l2, &cs), -EINVAL);
	ovl_hs_client_free(c);
	ovl_hs_keys_clear(&cs);
	ovl_hs_keys_clear(&ns);
}

/* Responds to m1 with the fixture's secrets (n of them). */
static int
respond(struct fixture *f, size_t n, const uint8_t *m1, size_t l1,
    size_t *l2)
{
	struct ovl_hello hello;
	struct ovl_hs_keys ns;
	uint8_t m2[OVL_HS_MSG_MAX];
	size_t which;
	int error;

	*l2 = 12345;
	error = ovl_hs_node_respond(&f->node,
	    (const uint8_t (*)[OVL_KEY_LEN])f->psks, n, m1, l1, &hello,
	    &which, m2, l2, &ns);
	ovl_hs_keys_clear(&ns);
	return (error);
}

/* A secret the node does not hold gets -EACCES and no message 2. */
static void
test_wrong_psk(void)
{
	struct fixture f;
	struct ovl_hs_client *c;
	uint8_t m1[OVL_HS_MSG_MAX];
	size_t l1, l2;

	fixture_init(&f);
	l1 = begin(&f, 2, 1, &c, m1);
	ASSERT_EQ(respond(&f, 2, m1, l1, &l2), -EACCES);
	ASSERT_EQ(l2, 0);
	ASSERT_EQ(respond(&f, 0, m1, l1, &l2), -EACCES);
	ASSERT_EQ(l2, 0);
	ASSERT_OK(respond(&f, 3, m1, l1, &l2));
	ASSERT_GT(l2, 0);
	ovl_hs_client_free(c);
}

/* Every flipped byte of message 1 is refused without an answer. */
static void
test_flip_msg1(void)
{
	struct fixture f;
	struct ovl_hs_client *c;
	uint8_t m1[OVL_HS_MSG_MAX];
	size_t l1, l2, i;
	int error;

	fixture_init(&f);
	l1 = begin(&f, 0, 1, &c, m1);
	for (i = 0; i < l1; i++) {
		m1[i] ^= 0x01 << (i % 8);
		error = respond(&f, 3, m1, l1, &l2);
		if (error != -EBADMSG && error != -EACCES)
			FAIL("byte %zu flipped: %d", i, error);
		ASSERT_EQ(l2, 0);
		m1[i] ^= 0x01 << (i % 8);
	}
	ASSERT_OK(respond(&f, 3, m1, l1, &l2));
	ovl_hs_client_free(c);
}

/* Every flipped byte of message 2 makes the client refuse it. */
static void
test_flip_msg2(void)
{
	struct fixture f;
	struct ovl_hs_client *c;
	struct ovl_hello hello;
	struct ovl_hs_keys cs, ns;
	uint8_t m1[OVL_HS_MSG_MAX], m2[OVL_HS_MSG_MAX];
	size_t l1, l2, which, i, n;

	fixture_init(&f);
	for (i = 0, n = 1; i < n; i++) {
		l1 = begin(&f, 0, 1, &c, m1);
		ASSERT_OK(ovl_hs_node_respond(&f.node,
		    (const uint8_t (*)[OVL_KEY_LEN])f.psks, 1, m1, l1, &hello,
		    &which, m2, &l2, &ns));
		n = l2;
		m2[i] ^= 0x80 >> (i % 8);
		ASSERT_EQ(ovl_hs_client_finish(c, m2, l2, &cs), -EBADMSG);
		ovl_hs_client_free(c);
	}
	ASSERT_EQ(n, 32 + 2 + OVL_TAG_LEN);
}

/* Short messages fail at every length, on both sides. */
static void
test_truncated(void)
{
	struct fixture f;
	struct ovl_hs_client *c;
	struct ovl_hello hello;
	struct ovl_hs_keys cs, ns;
	uint8_t m1[OVL_HS_MSG_MAX], m2[OVL_HS_MSG_MAX];
	size_t l1, l2, which, i;

	fixture_init(&f);
	l1 = begin(&f, 0, 1, &c, m1);
	for (i = 0; i < l1; i++)
		ASSERT_LT(respond(&f, 3, m1, i, &l2), 0);
	ASSERT_OK(ovl_hs_node_respond(&f.node,
	    (const uint8_t (*)[OVL_KEY_LEN])f.psks, 1, m1, l1, &hello,
	    &which, m2, &l2, &ns));
	ovl_hs_client_free(c);
	for (i = 0; i < l2; i++) {
		l1 = begin(&f, 0, 1, &c, m1);
		ASSERT_EQ(ovl_hs_client_finish(c, m2, i, &cs), -EBADMSG);
		ovl_hs_client_free(c);
	}
	/* Too long is refused before any work. */
	ASSERT_EQ(respond(&f, 3, m1, OVL_HS_MSG_MAX + 1, &l2), -EBADMSG);
}

/* A client that has the wrong node key cannot reach the node. */
static void
test_wrong_node_key(void)
{
	struct fixture f;
	struct ovl_identity other;
	struct ovl_hs_client *c;
	uint8_t m1[OVL_HS_MSG_MAX];
	size_t l1, l2;

	fixture_init(&f);
	ovl_identity_generate(&other);
	ASSERT_OK(ovl_hs_client_begin(&c, &f.client, other.pub, f.psks[0],
	    "x", 1, m1, &l1));
	ASSERT_EQ(respond(&f, 3, m1, l1, &l2), -EBADMSG);
	ASSERT_EQ(l2, 0);
	ovl_hs_client_free(c);
	/* An all-zero (low-order) node key is refused by the client. */
	memset(other.pub, 0, OVL_KEY_LEN);
	ASSERT_EQ(ovl_hs_client_begin(&c, &f.client, other.pub, f.psks[0],
	    "x", 1, m1, &l1), -EINVAL);
	ASSERT_NULL(c);
}

/* The hello a v1 client sends, by hand. */
static size_t
hello_bytes(uint8_t *p, uint16_t version, uint64_t ts, const char *name)
{
	size_t n = strlen(name), i;

	p[0] = (uint8_t)(version >> 8);
	p[1] = (uint8_t)version;
	for (i = 0; i < 8; i++)
		p[2 + i] = (uint8_t)(ts >> (56 - 8 * i));
	p[10] = (uint8_t)n;
	memcpy(p + 11, name, n);
	return (11 + n);
}

/* Another prologue (a downgrade or another protocol) breaks it. */
static void
test_prologue_version(void)
{
	struct fixture f;
	struct ovl_hello hello;
	struct ovl_hs_keys ns;
	uint8_t m1[OVL_HS_MSG_MAX], m2[OVL_HS_MSG_MAX], p[128];
	size_t l1, l2, pl, which;

	fixture_init(&f);
	pl = hello_bytes(p, OVL_PROTO_VERSION, 5, "cli");
	/* The layout written by hand is what the node reads. */
	l1 = craft(&f, "pier/1", p, pl, f.psks[0], m1);
	ASSERT_OK(ovl_hs_node_respond(&f.node,
	    (const uint8_t (*)[OVL_KEY_LEN])f.psks, 3, m1, l1, &hello,
	    &which, m2, &l2, &ns));
	ASSERT_STREQ(hello.name, "cli");
	ASSERT_EQ(hello.timestamp_ms, 5);
	ovl_hs_keys_clear(&ns);
	l1 = craft(&f, "pier/0", p, pl, f.psks[0], m1);
	ASSERT_EQ(respond(&f, 3, m1, l1, &l2), -EBADMSG);
	ASSERT_EQ(l2, 0);
	l1 = craft(&f, "", p, pl, f.psks[0], m1);
	ASSERT_EQ(respond(&f, 3, m1, l1, &l2), -EBADMSG);
	/* The right prologue but another version in the payload. */
	pl = hello_bytes(p, OVL_PROTO_VERSION + 1, 5, "cli");
	l1 = craft(&f, "pier/1", p, pl, f.psks[0], m1);
	ASSERT_EQ(respond(&f, 3, m1, l1, &l2), -EPROTONOSUPPORT);
	ASSERT_EQ(l2, 0);
}

/* Hellos that authenticate but are malformed get no answer. */
static void
test_bad_hello(void)
{
	struct fixture f;
	uint8_t m1[OVL_HS_MSG_MAX], p[128];
	size_t l1, l2, pl;

	fixture_init(&f);
	pl = hello_bytes(p, OVL_PROTO_VERSION, 5, "cli");
	l1 = craft(&f, "pier/1", p, 10, f.psks[1], m1);
	ASSERT_EQ(respond(&f, 3, m1, l1, &l2), -EBADMSG);
	l1 = craft(&f, "pier/1", p, pl - 1, f.psks[1], m1);
	ASSERT_EQ(respond(&f, 3, m1, l1, &l2), -EBADMSG);
	pl = hello_bytes(p, OVL_PROTO_VERSION, 5, "bad\xff");
	l1 = craft(&f, "pier/1", p, pl, f.psks[1], m1);
	ASSERT_EQ(respond(&f, 3, m1, l1, &l2), -EBADMSG);
	pl = hello_bytes(p, OVL_PROTO_VERSION, 5, "");
	l1 = craft(&f, "pier/1", p, pl, f.psks[1], m1);
	ASSERT_EQ(respond(&f, 3, m1, l1, &l2), -EBADMSG);
	ASSERT_EQ(l2, 0);
	/* Later fields after the name are allowed (room to grow). */
	pl = hello_bytes(p, OVL_PROTO_VERSION, 5, "cli");
	memcpy(p + pl, "ext", 3);
	l1 = craft(&f, "pier/1", p, pl + 3, f.psks[1], m1);
	ASSERT_OK(respond(&f, 3, m1, l1, &l2));
}

/* Client names: UTF-8 of 1..64 bytes with no control characters. */
static void
test_names(void)
{
	struct fixture f;
	struct ovl_hs_client *c;
	struct ovl_hello hello;
	struct ovl_hs_keys ns;
	uint8_t m1[OVL_HS_MSG_MAX], m2[OVL_HS_MSG_MAX];
	char name[80];
	size_t l1, l2, which, i;
	static const char *const bad[] = { "", "tab\there", "\xc3",
	    "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "del\x7f" };

	fixture_init(&f);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (ovl_hs_client_begin(&c, &f.client, f.node.pub, f.psks[0],
		    bad[i], 1, m1, &l1) != -EINVAL)
			FAIL("name %zu accepted", i);
		ASSERT_NULL(c);
	}
	memset(name, 'n', 65);
	name[65] = '\0';
	ASSERT_EQ(ovl_hs_client_begin(&c, &f.client, f.node.pub, f.psks[0],
	    name, 1, m1, &l1), -EINVAL);
	/* 64 bytes with multibyte characters pass through intact. */
	memset(name, 'n', 60);
	memcpy(name + 60, "\xc3\xa9\xc3\xa9", 5);
	ASSERT_OK(ovl_hs_client_begin(&c, &f.client, f.node.pub, f.psks[0],
	    name, 1, m1, &l1));
	ASSERT_LE(l1, OVL_HS_MSG_MAX);
	ASSERT_OK(ovl_hs_node_respond(&f.node,
	    (const uint8_t (*)[OVL_KEY_LEN])f.psks, 1, m1, l1, &hello,
	    &which, m2, &l2, &ns));
	ASSERT_STREQ(hello.name, name);
	ovl_hs_client_free(c);
	ovl_hs_keys_clear(&ns);
}

/* A replayed message 1 authenticates but fails the timestamp rule. */
static void
test_replay(void)
{
	struct fixture f;
	struct ovl_keystore *ks;
	struct ovl_hs_client *c;
	struct ovl_hello hello;
	struct ovl_hs_keys ns;
	uint8_t m1[OVL_HS_MSG_MAX], m2[OVL_HS_MSG_MAX];
	size_t l1, l2, which;
	char *dir, *cause = NULL;
	int64_t skew;

	fixture_init(&f);
	dir = test_tmpdir();
	ASSERT_OK(ovl_keystore_open(&ks, dir, &cause));
	l1 = begin(&f, 0, 1000, &c, m1);
	ASSERT_OK(ovl_hs_node_respond(&f.node,
	    (const uint8_t (*)[OVL_KEY_LEN])f.psks, 1, m1, l1, &hello,
	    &which, m2, &l2, &ns));
	ASSERT_OK(ovl_keystore_accept_time(ks, ns.remote_static,
	    hello.timestamp_ms, m1, 1000, &skew, &cause));
	ovl_hs_keys_clear(&ns);
	/* The same bytes again: the handshake works, the rule refuses. */
	ASSERT_OK(ovl_hs_node_respond(&f.node,
	    (const uint8_t (*)[OVL_KEY_LEN])f.psks, 1, m1, l1, &hello,
	    &which, m2, &l2, &ns));
	ASSERT_EQ(ovl_keystore_accept_time(ks, ns.remote_static,
	    hello.timestamp_ms, m1, 1001, &skew, &cause), -EALREADY);
	ASSERT_CONTAINS(cause, "replayed");
	free(cause);
	ovl_hs_keys_clear(&ns);
	ovl_hs_client_free(c);
	ovl_keystore_free(ks);
	test_rmtree(dir);
}

/*
 * The example of docs/PROTOCOL.md: fixed keys and ephemerals give fixed
 * bytes, and the node's code reads the hand-built message 1.
 */
static void
test_known_answer(void)
{
	static const char m1_hex[] = "ff2ee45601ec1b67310c7790404585ae697331ee"
	    "e1c1f8cf2419731c1fff3e6be29e34ff0da35939faab2ae9511df81c49988e23"
	    "0e99deeaac8acc3343ecc4f22c19d4ee37e752805740217e761a71783c494bec"
	    "ea5f6328cd661d4498e26c94fdcc2f019805c796482c712f8f3e602b24";
	static const char m2_hex[] = "38ab664bd86f77d7e66bdd9ae0792913a94fd8b3"
	    "3a1260027e4b46c1f4884c677c496ab4cfa9233bf0f8cf778f7302bae925";
	static const char h_hex[] = "1db75fe9558c95154491e16b72a696f6bc8b36c4"
	    "104f6bfa160f18bcb288abc83e1674e5d25df89b29c02ebd015ba25a95325a7a"
	    "49acfbdf42d180d9468926fd";
	struct fixture f;
	struct ovl_noise c, n;
	struct ovl_hello hello;
	struct ovl_hs_keys ns;
	uint8_t e[OVL_KEY_LEN], m1[OVL_HS_MSG_MAX], m2[OVL_HS_MSG_MAX];
	uint8_t want[OVL_HS_MSG_MAX], h[OVL_HASH_LEN], p[64];
	uint8_t reply[2] = { 0, 1 };
	size_t l1, l2, wl, pl, which;

	memset(e, 0x11, sizeof e);
	ASSERT_OK(ovl_identity_from_private(&f.node, e));
	memset(e, 0x22, sizeof e);
	ASSERT_OK(ovl_identity_from_private(&f.client, e));
	memset(f.psks, 0x33, sizeof f.psks);
	pl = hello_bytes(p, 1, 1700000000000ULL, "laptop");
	ASSERT_OK(ovl_noise_init(&c, OVL_HS_PROTOCOL, 1,
	    (const uint8_t *)"pier/1", 6, f.client.priv, f.node.pub,
	    (const uint8_t (*)[OVL_KEY_LEN])f.psks[0], 1));
	memset(e, 0x44, sizeof e);
	ovl_noise_set_ephemeral(&c, e);
	ASSERT_OK(ovl_noise_write(&c, p, pl, m1, sizeof m1, &l1));
	ASSERT_OK(sodium_hex2bin(want, sizeof want, m1_hex, strlen(m1_hex),
	    NULL, &wl, NULL));
	ASSERT_EQ(l1, wl);
	ASSERT_MEMEQ(m1, want, wl);

	/* handshake.c reads it (its own message 2 has a random e). */
	ASSERT_OK(ovl_hs_node_respond(&f.node,
	    (const uint8_t (*)[OVL_KEY_LEN])f.psks, 1, m1, l1, &hello, &which,
	    m2, &l2, &ns));
	ASSERT_STREQ(hello.name, "laptop");
	ASSERT_EQ(hello.timestamp_ms, 1700000000000ULL);
	ASSERT_MEMEQ(ns.remote_static, f.client.pub, OVL_KEY_LEN);
	ovl_hs_keys_clear(&ns);

	ASSERT_OK(ovl_noise_init(&n, OVL_HS_PROTOCOL, 0,
	    (const uint8_t *)"pier/1", 6, f.node.priv, NULL,
	    (const uint8_t (*)[OVL_KEY_LEN])f.psks[0], 1));
	memset(e, 0x55, sizeof e);
	ovl_noise_set_ephemeral(&n, e);
	ASSERT_OK(ovl_noise_read(&n, m1, l1, p, sizeof p, &pl));
	ASSERT_OK(ovl_noise_write(&n, reply, sizeof reply, m2, sizeof m2,
	    &l2));
	ASSERT_OK(sodium_hex2bin(want, sizeof want, m2_hex, strlen(m2_hex),
	    NULL, &wl, NULL));
	ASSERT_EQ(l2, wl);
	ASSERT_MEMEQ(m2, want, wl);
	ASSERT_OK(ovl_noise_read(&c, m2, l2, p, sizeof p, &pl));
	ASSERT_EQ(pl, 2);
	ovl_noise_hash(&c, h);
	ASSERT_OK(sodium_hex2bin(want, sizeof want, h_hex, strlen(h_hex),
	    NULL, &wl, NULL));
	ASSERT_MEMEQ(h, want, OVL_HASH_LEN);
	ovl_noise_clear(&c);
	ovl_noise_clear(&n);
}

TEST_MAIN(
	T(test_roundtrip),
	T(test_wrong_psk),
	T(test_flip_msg1),
	T(test_flip_msg2),
	T(test_truncated),
	T(test_wrong_node_key),
	T(test_prologue_version),
	T(test_bad_hello),
	T(test_names),
	T(test_replay),
	T(test_known_answer))
