/*
 * Join keys: the text a user copies from a node and pastes into a client.
 *
 *	pier1<base32 of node key, access secret, checksum>[@hint,...]
 *
 * A hint is host:port (the node listens there), map+host:port (a port
 * its router forwards to it) or relay+host:port (a relay it keeps a link
 * to); a reader that knows no kinds (before relays) refuses the last two
 * as bad hints, so keys without them read everywhere.
 *
 * Lowercase base32 (RFC 4648 alphabet, no padding) survives mail, chat and
 * terminals; the checksum turns a typo into a clear message instead of a
 * failed handshake; the version digit lets a later format be told apart.
 * Also the base32 codec, which identity.c uses for fingerprints.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "overlay.h"

#define PREFIX_LEN	5	/* "pier" and the version digit */
#define RAW_LEN		(2 * OVL_KEY_LEN + OVL_JOINKEY_CHECK_LEN)
#define TEXT_MAX	4096	/* longer input is not a join key */
#define HOST_MAX	253

static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

/* Chars of base32 for len bytes. */
size_t
ovl_base32_len(size_t len)
{
	return ((len * 8 + 4) / 5);
}

/* Encodes as lowercase base32 without padding. */
void
ovl_base32_encode(const uint8_t *in, size_t len, char *out)
{
	uint32_t acc = 0;
	size_t i;
	int bits = 0;

	for (i = 0; i < len; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			*out++ = alphabet[(acc >> bits) & 31];
		}
	}
	if (bits > 0)
		*out++ = alphabet[(acc << (5 - bits)) & 31];
	*out = '\0';
}

/* The value of a base32 char (either case), or -1. */
static int
b32_value(char c)
{
	if (c >= 'a' && c <= 'z')
		return (c - 'a');
	if (c >= 'A' && c <= 'Z')
		return (c - 'A');
	if (c >= '2' && c <= '7')
		return (c - '2' + 26);
	return (-1);
}

/* Decodes exactly outlen bytes; the spare bits must be zero. */
int
ovl_base32_decode(const char *in, size_t n, uint8_t *out, size_t outlen)
{
	uint32_t acc = 0;
	size_t i, o = 0;
	int bits = 0, v;

	if (n != ovl_base32_len(outlen))
		return (-EINVAL);
	for (i = 0; i < n; i++) {
		v = b32_value(in[i]);
		if (v < 0)
			return (-EINVAL);
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	if ((acc & ((1u << bits) - 1)) != 0)
		return (-EINVAL);
	return (0);
}

/* The checksum: BLAKE2b-512 of prefix, node key and secret, cut short. */
static void
checksum(const uint8_t node_pub[static OVL_KEY_LEN],
    const uint8_t secret[static OVL_KEY_LEN],
    uint8_t out[static OVL_JOINKEY_CHECK_LEN])
{
	crypto_generichash_state st;
	uint8_t h[OVL_HASH_LEN];

	crypto_generichash_init(&st, NULL, 0, sizeof h);
	crypto_generichash_update(&st, (const uint8_t *)OVL_JOINKEY_PREFIX,
	    PREFIX_LEN);
	crypto_generichash_update(&st, node_pub, OVL_KEY_LEN);
	crypto_generichash_update(&st, secret, OVL_KEY_LEN);
	crypto_generichash_final(&st, h, sizeof h);
	memcpy(out, h, OVL_JOINKEY_CHECK_LEN);
	sodium_memzero(&st, sizeof st);
}

/* Checks a decimal port 1..65535. */
static int
port_valid(const char *p)
{
	size_t n = strlen(p), i;
	long v;

	if (n == 0 || n > 5)
		return (0);
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)p[i]))
			return (0);
	v = strtol(p, NULL, 10);
	return (v >= 1 && v <= 65535);
}

/* Checks host:port or [v6]:port. */
int
ovl_joinkey_check_addr(const char *addr, char **cause)
{
	char host[OVL_ADDR_MAX];
	struct in6_addr a6;
	const char *colon, *end;
	enum ovl_path kind;
	size_t n, i;

	end = ovl_path_split(addr, &kind);
	if (end == NULL || kind == OVL_PATH_LAN || kind == OVL_PATH_DHT ||
	    kind == OVL_PATH_PUNCHED) {
		ovl__set_cause(cause, "bad address hint: %s: unknown kind "
		    "(relay+HOST:PORT and map+HOST:PORT are known)", addr);
		return (OVL_JK_EADDR);
	}
	addr = end;
	n = strlen(addr);
	if (n == 0 || n >= OVL_ADDR_MAX) {
		ovl__set_cause(cause, "bad address hint: %s", n == 0 ? "empty" :
		    "too long");
		return (OVL_JK_EADDR);
	}
	if (addr[0] == '[') {
		end = strchr(addr, ']');
		if (end == NULL || end[1] != ':') {
			ovl__set_cause(cause, "bad address hint: %s: expected "
			    "[ipv6]:port", addr);
			return (OVL_JK_EADDR);
		}
		n = (size_t)(end - addr - 1);
		memcpy(host, addr + 1, n);
		host[n] = '\0';
		if (inet_pton(AF_INET6, host, &a6) != 1) {
			ovl__set_cause(cause, "bad address hint: %s: not an "
			    "IPv6 address", addr);
			return (OVL_JK_EADDR);
		}
		colon = end + 1;
	} else {
		colon = strchr(addr, ':');
		if (colon == NULL) {
			ovl__set_cause(cause, "bad address hint: %s: no port "
			    "(host:port)", addr);
			return (OVL_JK_EADDR);
		}
		if (strchr(colon + 1, ':') != NULL) {
			ovl__set_cause(cause, "bad address hint: %s: put IPv6 "
			    "addresses in brackets, [addr]:port", addr);
			return (OVL_JK_EADDR);
		}
		n = (size_t)(colon - addr);
		if (n == 0 || n > HOST_MAX || addr[0] == '-' ||
		    addr[0] == '.') {
			ovl__set_cause(cause, "bad address hint: %s: bad host",
			    addr);
			return (OVL_JK_EADDR);
		}
		for (i = 0; i < n; i++) {
			if (!isalnum((unsigned char)addr[i]) &&
			    addr[i] != '.' && addr[i] != '-') {
				ovl__set_cause(cause, "bad address hint: %s: "
				    "bad character in host", addr);
				return (OVL_JK_EADDR);
			}
		}
	}
	if (!port_valid(colon + 1)) {
		ovl__set_cause(cause, "bad address hint: %s: port must be "
		    "1-65535", addr);
		return (OVL_JK_EADDR);
	}
	return (0);
}

/* Splits the hints after '@' into jk->addrs. */
static int
parse_hints(char *s, struct ovl_joinkey *jk, char **cause)
{
	char *p, *comma;
	int error;

	for (p = s; p != NULL; p = comma) {
		comma = strchr(p, ',');
		if (comma != NULL)
			*comma++ = '\0';
		if (jk->naddrs == OVL_JOINKEY_MAX_ADDRS) {
			ovl__set_cause(cause, "bad address hint: more than %d",
			    OVL_JOINKEY_MAX_ADDRS);
			return (OVL_JK_EADDR);
		}
		error = ovl_joinkey_check_addr(p, cause);
		if (error != 0)
			return (error);
		strcpy(jk->addrs[jk->naddrs++], p);
	}
	return (0);
}

/* Parses the body after the prefix: base32 of key, secret, checksum. */
static int
parse_body(const char *b, size_t n, struct ovl_joinkey *jk, char **cause)
{
	uint8_t raw[RAW_LEN], sum[OVL_JOINKEY_CHECK_LEN];
	size_t i, want = ovl_base32_len(RAW_LEN);
	int error = 0;

	for (i = 0; i < n; i++) {
		if (b32_value(b[i]) < 0) {
			ovl__set_cause(cause, "not a Pier join key: '%c' at "
			    "position %zu cannot be in one", b[i],
			    i + PREFIX_LEN + 1);
			return (OVL_JK_ENOTKEY);
		}
	}
	if (n != want) {
		ovl__set_cause(cause, "checksum mismatch: the key has %zu "
		    "characters where %zu belong; it was cut short or "
		    "joined with other text", n + PREFIX_LEN,
		    want + PREFIX_LEN);
		return (OVL_JK_ECHECKSUM);
	}
	if (ovl_base32_decode(b, n, raw, sizeof raw) != 0) {
		error = OVL_JK_ECHECKSUM;
		goto out;
	}
	memcpy(jk->node_pub, raw, OVL_KEY_LEN);
	memcpy(jk->secret, raw + OVL_KEY_LEN, OVL_KEY_LEN);
	checksum(jk->node_pub, jk->secret, sum);
	if (sodium_memcmp(sum, raw + 2 * OVL_KEY_LEN, sizeof sum) != 0)
		error = OVL_JK_ECHECKSUM;
out:
	if (error != 0)
		ovl__set_cause(cause, "checksum mismatch: probably a typo in "
		    "the join key; copy it again");
	sodium_memzero(raw, sizeof raw);
	return (error);
}

/* Parses a pasted join key. */
int
ovl_joinkey_parse(const char *text, struct ovl_joinkey *jk, char **cause)
{
	char *s, *at;
	size_t n = 0, len, i;
	int error;

	if (cause != NULL)
		*cause = NULL;
	memset(jk, 0, sizeof *jk);
	len = strnlen(text, TEXT_MAX + 1);
	if (len > TEXT_MAX) {
		ovl__set_cause(cause, "not a Pier join key: far too long");
		return (OVL_JK_ENOTKEY);
	}
	s = malloc(len + 1);
	if (s == NULL)
		return (-ENOMEM);
	for (i = 0; i < len; i++)
		if (!isspace((unsigned char)text[i]))
			s[n++] = text[i];
	s[n] = '\0';
	at = strchr(s, '@');
	if (at != NULL)
		*at++ = '\0';
	for (i = 0; i < 4 && s[i] != '\0'; i++)
		s[i] = (char)tolower((unsigned char)s[i]);
	if (strncmp(s, "pier", 4) != 0 || !isdigit((unsigned char)s[4])) {
		ovl__set_cause(cause, "not a Pier join key (one starts with "
		    "%s)", OVL_JOINKEY_PREFIX);
		error = OVL_JK_ENOTKEY;
		goto out;
	}
	if (s[4] != OVL_JOINKEY_PREFIX[4]) {
		ovl__set_cause(cause, "unsupported join key version %c (this "
		    "program reads version %c); a newer pier may read it",
		    s[4], OVL_JOINKEY_PREFIX[4]);
		error = OVL_JK_EVERSION;
		goto out;
	}
	error = parse_body(s + PREFIX_LEN, strlen(s + PREFIX_LEN), jk, cause);
	if (error == 0 && at != NULL)
		error = parse_hints(at, jk, cause);
out:
	if (error != 0)
		sodium_memzero(jk, sizeof *jk);
	sodium_memzero(s, len + 1);
	free(s);
	return (error);
}

/* Formats a join key. */
char *
ovl_joinkey_format(const struct ovl_joinkey *jk)
{
	uint8_t raw[RAW_LEN];
	char *s;
	size_t len, i, off, n;

	if (jk->naddrs > OVL_JOINKEY_MAX_ADDRS)
		return (NULL);
	len = PREFIX_LEN + ovl_base32_len(RAW_LEN) + 1;
	for (i = 0; i < jk->naddrs; i++)
		len += strnlen(jk->addrs[i], OVL_ADDR_MAX - 1) + 1;
	s = malloc(len);
	if (s == NULL)
		return (NULL);
	memcpy(raw, jk->node_pub, OVL_KEY_LEN);
	memcpy(raw + OVL_KEY_LEN, jk->secret, OVL_KEY_LEN);
	checksum(jk->node_pub, jk->secret, raw + 2 * OVL_KEY_LEN);
	memcpy(s, OVL_JOINKEY_PREFIX, PREFIX_LEN);
	ovl_base32_encode(raw, sizeof raw, s + PREFIX_LEN);
	sodium_memzero(raw, sizeof raw);
	off = strlen(s);
	for (i = 0; i < jk->naddrs; i++) {
		s[off++] = i == 0 ? '@' : ',';
		n = strnlen(jk->addrs[i], OVL_ADDR_MAX - 1);
		memcpy(s + off, jk->addrs[i], n);
		off += n;
	}
	s[off] = '\0';
	return (s);
}
