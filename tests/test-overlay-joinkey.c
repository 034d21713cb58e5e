/*
 * Join keys (overlay/joinkey.c): round trips with and without address
 * hints, copy-paste damage that must be tolerated (whitespace, case) and
 * damage that must be named (typos, truncation, other text, another
 * version, bad hints), and the base32 codec against RFC 4648.
 */
#include <ctype.h>
#include <errno.h>

#include <sodium.h>

#include "overlay.h"
#include "test.h"

#define KEY_CHARS	116	/* "pier1" + 111 */

/* A join key with random keys and the given hints. */
static void
make(struct ovl_joinkey *jk, const char *const *addrs, size_t n)
{
	size_t i;

	ASSERT(sodium_init() >= 0);
	memset(jk, 0, sizeof *jk);
	randombytes_buf(jk->node_pub, OVL_KEY_LEN);
	randombytes_buf(jk->secret, OVL_KEY_LEN);
	for (i = 0; i < n; i++)
		snprintf(jk->addrs[i], OVL_ADDR_MAX, "%s", addrs[i]);
	jk->naddrs = n;
}

/* Parses text expecting error want with cause containing msg. */
static void
expect(const char *text, int want, const char *msg)
{
	struct ovl_joinkey jk;
	char *cause = NULL;
	int error;

	error = ovl_joinkey_parse(text, &jk, &cause);
	if (error != want)
		FAIL("\"%s\": got %d (%s), want %d", text, error,
		    cause ? cause : "", want);
	if (want != 0)
		ASSERT_CONTAINS(cause, msg);
	free(cause);
}

/* Format then parse gives back the same key. */
static void
test_roundtrip(void)
{
	static const char *const addrs[] = { "node.example.com:7437",
	    "[::1]:7437", "10.0.0.1:1", "[fe80::1]:65535" };
	struct ovl_joinkey jk, back;
	char *text, *cause = NULL;
	size_t i;

	make(&jk, NULL, 0);
	text = ovl_joinkey_format(&jk);
	ASSERT_NOT_NULL(text);
	ASSERT_EQ(strlen(text), KEY_CHARS);
	ASSERT(strncmp(text, "pier1", 5) == 0);
	for (i = 5; i < KEY_CHARS; i++)
		ASSERT(strchr("abcdefghijklmnopqrstuvwxyz234567", text[i]));
	ASSERT_OK(ovl_joinkey_parse(text, &back, &cause));
	ASSERT_NULL(cause);
	ASSERT_MEMEQ(back.node_pub, jk.node_pub, OVL_KEY_LEN);
	ASSERT_MEMEQ(back.secret, jk.secret, OVL_KEY_LEN);
	ASSERT_EQ(back.naddrs, 0);
	free(text);

	make(&jk, addrs, 4);
	text = ovl_joinkey_format(&jk);
	ASSERT_NOT_NULL(text);
	ASSERT_CONTAINS(text, "@node.example.com:7437,[::1]:7437,");
	ASSERT_OK(ovl_joinkey_parse(text, &back, &cause));
	ASSERT_EQ(back.naddrs, 4);
	for (i = 0; i < 4; i++)
		ASSERT_STREQ(back.addrs[i], addrs[i]);
	ASSERT_MEMEQ(back.secret, jk.secret, OVL_KEY_LEN);
	free(text);

	jk.naddrs = OVL_JOINKEY_MAX_ADDRS + 1;
	ASSERT_NULL(ovl_joinkey_format(&jk));
}

/* Whitespace and line breaks from copy-paste, and upper case, pass. */
static void
test_whitespace_case(void)
{
	static const char *const addrs[] = { "h:1" };
	struct ovl_joinkey jk, back;
	char *text, messy[512], *cause = NULL;
	size_t i, o = 0;

	make(&jk, addrs, 1);
	text = ovl_joinkey_format(&jk);
	o += (size_t)snprintf(messy, sizeof messy, "  \r\n\t");
	for (i = 0; text[i] != '\0'; i++) {
		messy[o++] = (char)toupper((unsigned char)text[i]);
		if (i % 40 == 39)
			messy[o++] = '\n';
		if (i % 13 == 5)
			messy[o++] = ' ';
	}
	memcpy(messy + o, "\r\n \n", 5);
	ASSERT_OK(ovl_joinkey_parse(messy, &back, &cause));
	ASSERT_MEMEQ(back.node_pub, jk.node_pub, OVL_KEY_LEN);
	ASSERT_MEMEQ(back.secret, jk.secret, OVL_KEY_LEN);
	ASSERT_STREQ(back.addrs[0], "H:1");
	free(text);
}

/* Any one changed character is caught by the checksum. */
static void
test_typo(void)
{
	struct ovl_joinkey jk;
	char *text, *p;
	size_t i;

	make(&jk, NULL, 0);
	text = ovl_joinkey_format(&jk);
	for (i = 5; i < KEY_CHARS; i++) {
		p = strchr("abcdefghijklmnopqrstuvwxyz234567", text[i]);
		ASSERT_NOT_NULL(p);
		text[i] = p[1] != '\0' ? p[1] : 'a';
		expect(text, OVL_JK_ECHECKSUM, "checksum mismatch: probably "
		    "a typo");
		text[i] = *p;
	}
	/* Two swapped neighbours too. */
	for (i = 5; i + 1 < KEY_CHARS; i++) {
		if (text[i] == text[i + 1])
			continue;
		p = text + i;
		p[0] ^= p[1], p[1] ^= p[0], p[0] ^= p[1];
		expect(text, OVL_JK_ECHECKSUM, "checksum mismatch");
		p[0] ^= p[1], p[1] ^= p[0], p[0] ^= p[1];
	}
	expect(text, 0, "");
	free(text);
}

/* Cut short or run into other text. */
static void
test_length(void)
{
	struct ovl_joinkey jk;
	char *text, buf[256];

	make(&jk, NULL, 0);
	text = ovl_joinkey_format(&jk);
	snprintf(buf, sizeof buf, "%.*s", KEY_CHARS - 1, text);
	expect(buf, OVL_JK_ECHECKSUM, "cut short");
	snprintf(buf, sizeof buf, "%.*s", 40, text);
	expect(buf, OVL_JK_ECHECKSUM, "cut short");
	expect("pier1", OVL_JK_ECHECKSUM, "cut short");
	snprintf(buf, sizeof buf, "%sa", text);
	expect(buf, OVL_JK_ECHECKSUM, "checksum mismatch");
	free(text);
}

/* Other text is "not a Pier join key". */
static void
test_not_a_key(void)
{
	struct ovl_joinkey jk;
	char *text, buf[256];

	expect("", OVL_JK_ENOTKEY, "not a Pier join key");
	expect("   \n", OVL_JK_ENOTKEY, "not a Pier join key");
	expect("hello", OVL_JK_ENOTKEY, "not a Pier join key");
	expect("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5", OVL_JK_ENOTKEY,
	    "not a Pier join key");
	expect("pier", OVL_JK_ENOTKEY, "not a Pier join key");
	expect("pierx", OVL_JK_ENOTKEY, "not a Pier join key");
	expect("user@host:22", OVL_JK_ENOTKEY, "not a Pier join key");
	make(&jk, NULL, 0);
	text = ovl_joinkey_format(&jk);
	snprintf(buf, sizeof buf, "%s", text);
	buf[30] = '1';		/* not in the alphabet */
	expect(buf, OVL_JK_ENOTKEY,
	    "not a Pier join key: '1' at position 31");
	buf[30] = '!';
	expect(buf, OVL_JK_ENOTKEY, "not a Pier join key");
	free(text);
}

/* A later version is named as such. */
static void
test_version(void)
{
	struct ovl_joinkey jk;
	char *text;

	make(&jk, NULL, 0);
	text = ovl_joinkey_format(&jk);
	text[4] = '2';
	expect(text, OVL_JK_EVERSION, "unsupported join key version 2");
	text[4] = '9';
	expect(text, OVL_JK_EVERSION, "unsupported join key version 9");
	free(text);
}

/* Address hints that are not host:port or [v6]:port. */
static void
test_bad_hints(void)
{
	static const char *const bad[] = { "", "host", "host:", "host:0",
	    "host:65536", "host:123456", "host:+80", "::1:80", "[zz]:80",
	    "[::1]80", "[::1", "h_st:80", "-host:80", "h:80,", ",h:80",
	    "1.2.3.4:80,h:x", "h:80,h:80,h:80,h:80,h:80,h:80,h:80,h:80,h:80" };
	struct ovl_joinkey jk;
	char *text, buf[512], *cause;
	size_t i;

	make(&jk, NULL, 0);
	text = ovl_joinkey_format(&jk);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(buf, sizeof buf, "%s@%s", text, bad[i]);
		expect(buf, OVL_JK_EADDR, "bad address hint");
	}
	snprintf(buf, sizeof buf, "%s@h:80,h:80,h:80,h:80,h:80,h:80,h:80,"
	    "[::ffff:1.2.3.4]:80", text);
	expect(buf, 0, "");
	ASSERT_EQ(ovl_joinkey_check_addr("[::1]:7437", NULL), 0);
	ASSERT_EQ(ovl_joinkey_check_addr("host", &cause), OVL_JK_EADDR);
	ASSERT_CONTAINS(cause, "no port");
	free(cause);
	ASSERT_EQ(ovl_joinkey_check_addr("::1", &cause), OVL_JK_EADDR);
	ASSERT_CONTAINS(cause, "in brackets");
	free(cause);
	memset(buf, 'a', 300);
	strcpy(buf + 300, ":80");
	ASSERT_EQ(ovl_joinkey_check_addr(buf, NULL), OVL_JK_EADDR);
	free(text);
}

/* RFC 4648 section 10, in lower case, both ways. */
static void
test_base32(void)
{
	static const char *const in[] = { "", "f", "fo", "foo", "foob",
	    "fooba", "foobar" };
	static const char *const out[] = { "", "my", "mzxq", "mzxw6",
	    "mzxw6yq", "mzxw6ytb", "mzxw6ytboi" };
	char enc[32];
	uint8_t dec[8];
	size_t i, n;

	for (i = 0; i < 7; i++) {
		n = strlen(in[i]);
		ASSERT_EQ(ovl_base32_len(n), strlen(out[i]));
		ovl_base32_encode((const uint8_t *)in[i], n, enc);
		ASSERT_STREQ(enc, out[i]);
		ASSERT_OK(ovl_base32_decode(out[i], strlen(out[i]), dec, n));
		ASSERT_MEMEQ(dec, in[i], n);
	}
	ASSERT_OK(ovl_base32_decode("MZXW6YTBOI", 10, dec, 6));
	ASSERT_EQ(ovl_base32_decode("mz", 2, dec, 1), -EINVAL);	/* spare */
	ASSERT_EQ(ovl_base32_decode("m1", 2, dec, 1), -EINVAL);
	ASSERT_EQ(ovl_base32_decode("my", 2, dec, 2), -EINVAL);
}

/* The example of docs/PROTOCOL.md, checked by an independent BLAKE2b. */
static void
test_known_key(void)
{
	static const char text[] = "pier1pnhjbg56p77ejrdfuiqag7lar3rvrf6td34"
	    "xf4d7oseszmhxh4jseirceirceirceirceirceirceirceirceirceirceirceir"
	    "ceit3edp3i7q@node.example.com:7437,[::1]:7437";
	struct ovl_identity node;
	struct ovl_joinkey jk;
	uint8_t priv[OVL_KEY_LEN], secret[OVL_KEY_LEN];
	char id[OVL_KEY_ID_SIZE], *again;

	memset(priv, 0x11, sizeof priv);
	memset(secret, 0x22, sizeof secret);
	ASSERT_OK(ovl_identity_from_private(&node, priv));
	memset(&jk, 0, sizeof jk);
	memcpy(jk.node_pub, node.pub, OVL_KEY_LEN);
	memcpy(jk.secret, secret, OVL_KEY_LEN);
	strcpy(jk.addrs[0], "node.example.com:7437");
	strcpy(jk.addrs[1], "[::1]:7437");
	jk.naddrs = 2;
	again = ovl_joinkey_format(&jk);
	ASSERT_STREQ(again, text);
	free(again);
	ovl_key_id(secret, id);
	ASSERT_STREQ(id, "e2a94e18647fe0c6");
}

TEST_MAIN(
	T(test_roundtrip),
	T(test_whitespace_case),
	T(test_typo),
	T(test_length),
	T(test_not_a_key),
	T(test_version),
	T(test_bad_hints),
	T(test_base32),
	T(test_known_key))
