/*
 * Pier's handshake: Noise_IKpsk1_25519_ChaChaPoly_BLAKE2b on the engine in
 * noise.c. The client knows the node's static key from the join key and
 * uses the access secret as the psk; the node finds which of its access
 * secrets the client holds by trying each on message 1, after doing the
 * DH work once, and answers nothing at all when none fits. The prologue
 * binds the protocol label and version, so a downgrade breaks the
 * handshake. docs/PROTOCOL.md ("handshake") has the byte layout.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "overlay.h"

#define HELLO_MIN	(2 + 8 + 1 + 1)		/* version, time, len, name */
#define REPLY_MIN	2			/* version */
#define PAYLOAD_MAX	OVL_HS_MSG_MAX

/* A client's handshake state between its two messages. */
struct ovl_hs_client {
	struct ovl_noise hs;
	uint8_t		node_pub[OVL_KEY_LEN];
};

/* The prologue: "pier/1", label and version. */
static size_t
prologue(char buf[static 32])
{
	return ((size_t)snprintf(buf, 32, "%s/%d", OVL_PROTO_LABEL,
	    OVL_PROTO_VERSION));
}

/* Stores v big-endian in n bytes. */
static void
put_be(uint8_t *p, uint64_t v, size_t n)
{
	while (n-- > 0) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

/* Reads n bytes big-endian. */
static uint64_t
get_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = (v << 8) | *p++;
	return (v);
}

/* Non-zero if s (len bytes) is UTF-8 with no control characters. */
static int
name_valid(const uint8_t *s, size_t len)
{
	size_t i = 0, n, k;
	uint32_t c;

	if (len == 0 || len > OVL_HS_NAME_MAX)
		return (0);
	while (i < len) {
		c = s[i];
		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return (0);
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0)
			n = 1, c &= 0x1f;
		else if ((c & 0xf0) == 0xe0)
			n = 2, c &= 0x0f;
		else if ((c & 0xf8) == 0xf0)
			n = 3, c &= 0x07;
		else
			return (0);
		if (len - i <= n)
			return (0);
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return (0);
			c = (c << 6) | (s[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates and beyond U+10FFFF. */
		if ((n == 1 && c < 0x80) || (n == 2 && c < 0x800) ||
		    (n == 3 && c < 0x10000) || c > 0x10ffff ||
		    (c >= 0xd800 && c <= 0xdfff))
			return (0);
		i += n + 1;
	}
	return (1);
}

/* Starts the client's side and writes message 1. */
int
ovl_hs_client_begin(struct ovl_hs_client **out,
    const struct ovl_identity *self,
    const uint8_t node_pub[static OVL_KEY_LEN],
    const uint8_t psk[static OVL_KEY_LEN], const char *client_name,
    uint64_t now_ms, uint8_t *msg1, size_t *msg1_len)
{
	struct ovl_hs_client *c;
	uint8_t payload[HELLO_MIN - 1 + OVL_HS_NAME_MAX];
	char pro[32];
	size_t nlen, plen;
	int error;

	*out = NULL;
	nlen = strnlen(client_name, OVL_HS_NAME_MAX + 1);
	if (!name_valid((const uint8_t *)client_name, nlen))
		return (-EINVAL);
	c = calloc(1, sizeof *c);
	if (c == NULL)
		return (-ENOMEM);
	plen = prologue(pro);
	error = ovl_noise_init_id(&c->hs, OVL_HS_PROTOCOL, 1, (uint8_t *)pro,
	    plen, self, node_pub, (const uint8_t (*)[OVL_KEY_LEN])psk,
	    1);
	if (error != 0)
		goto fail;
	memcpy(c->node_pub, node_pub, OVL_KEY_LEN);
	put_be(payload, OVL_PROTO_VERSION, 2);
	put_be(payload + 2, now_ms, 8);
	payload[10] = (uint8_t)nlen;
	memcpy(payload + 11, client_name, nlen);
	error = ovl_noise_write(&c->hs, payload, 11 + nlen, msg1,
	    OVL_HS_MSG_MAX, msg1_len);
	if (error != 0) {
		error = -EINVAL;
		goto fail;
	}
	*out = c;
	return (0);
fail:
	ovl_hs_client_free(c);
	return (error);
}

/* Reads message 2 and finishes the client's side. */
int
ovl_hs_client_finish(struct ovl_hs_client *c, const uint8_t *msg2,
    size_t len, struct ovl_hs_keys *out)
{
	uint8_t payload[PAYLOAD_MAX];
	size_t plen;
	int error;

	memset(out, 0, sizeof *out);
	if (len > OVL_HS_MSG_MAX)
		return (-EBADMSG);
	error = ovl_noise_read(&c->hs, msg2, len, payload, sizeof payload,
	    &plen);
	if (error == -EAGAIN)
		return (-EINVAL);
	if (error != 0 || plen < REPLY_MIN)
		return (-EBADMSG);
	out->remote_version = (uint16_t)get_be(payload, 2);
	if (out->remote_version != OVL_PROTO_VERSION)
		return (-EPROTONOSUPPORT);
	if (ovl_noise_split(&c->hs, &out->tx, &out->rx) != 0)
		return (-EBADMSG);
	ovl_noise_hash(&c->hs, out->hash);
	memcpy(out->remote_static, c->node_pub, OVL_KEY_LEN);
	return (0);
}

/* Frees and wipes. */
void
ovl_hs_client_free(struct ovl_hs_client *c)
{
	if (c == NULL)
		return;
	sodium_memzero(c, sizeof *c);
	free(c);
}

/* Decodes message 1's payload; -EBADMSG if it is not one. */
static int
parse_hello(const uint8_t *p, size_t len, struct ovl_hello *hello)
{
	size_t nlen;

	memset(hello, 0, sizeof *hello);
	if (len < HELLO_MIN)
		return (-EBADMSG);
	hello->version = (uint16_t)get_be(p, 2);
	hello->timestamp_ms = get_be(p + 2, 8);
	nlen = p[10];
	if (len - 11 < nlen || !name_valid(p + 11, nlen))
		return (-EBADMSG);
	memcpy(hello->name, p + 11, nlen);
	hello->name[nlen] = '\0';
	if (hello->version != OVL_PROTO_VERSION)
		return (-EPROTONOSUPPORT);
	return (0);
}

/* The node's side: finds the psk, reads the hello, writes message 2. */
int
ovl_hs_node_respond(const struct ovl_identity *self,
    const uint8_t (*psks)[OVL_KEY_LEN], size_t npsks,
    const uint8_t *msg1, size_t len, struct ovl_hello *hello,
    size_t *which, uint8_t *msg2, size_t *msg2_len,
    struct ovl_hs_keys *out)
{
	struct ovl_noise base, t;
	uint8_t payload[PAYLOAD_MAX], reply[REPLY_MIN];
	char pro[32];
	size_t plen, i;
	int error;

	memset(out, 0, sizeof *out);
	memset(hello, 0, sizeof *hello);
	*msg2_len = 0;
	if (len > OVL_HS_MSG_MAX)
		return (-EBADMSG);
	plen = prologue(pro);
	error = ovl_noise_init_id(&base, OVL_HS_PROTOCOL, 0, (uint8_t *)pro,
	    plen, self, NULL, NULL, 0);
	if (error != 0)
		return (error);
	/* e, es, s, ss once; it stops at the psk token. */
	error = ovl_noise_read(&base, msg1, len, payload, sizeof payload,
	    &plen);
	if (error != OVL_NOISE_NEED_PSK) {
		ovl_noise_clear(&base);
		return (-EBADMSG);
	}
	error = -EACCES;
	for (i = 0; i < npsks; i++) {
		t = base;
		if (ovl_noise_set_psk(&t, psks[i]) == 0 &&
		    ovl_noise_read(&t, msg1, len, payload, sizeof payload,
		    &plen) == 0) {
			error = 0;
			break;
		}
		ovl_noise_clear(&t);
	}
	ovl_noise_clear(&base);
	if (error != 0)
		return (error);
	error = parse_hello(payload, plen, hello);
	if (error != 0)
		goto out;
	put_be(reply, OVL_PROTO_VERSION, 2);
	if (ovl_noise_write(&t, reply, sizeof reply, msg2, OVL_HS_MSG_MAX,
	    msg2_len) != 0 || ovl_noise_split(&t, &out->tx, &out->rx) != 0) {
		error = -EBADMSG;
		goto out;
	}
	ovl_noise_hash(&t, out->hash);
	memcpy(out->remote_static, ovl_noise_remote_static(&t), OVL_KEY_LEN);
	out->remote_version = hello->version;
	*which = i;
out:
	if (error != 0) {
		*msg2_len = 0;
		ovl_hs_keys_clear(out);
	}
	ovl_noise_clear(&t);
	sodium_memzero(payload, sizeof payload);
	return (error);
}

/* Wipes a handshake's keys. */
void
ovl_hs_keys_clear(struct ovl_hs_keys *s)
{
	sodium_memzero(s, sizeof *s);
}
