/*
 * The PCP (RFC 6887) codec, MAP opcode only, for one TCP port: pure,
 * bytes in and out, so the fuzzer drives it directly (portmap-pcp.c
 * does the exchange).
 *
 * A MAP request is a 24-byte header (version 2, opcode 1, the lifetime
 * asked for, the client's address as the server will see it) and 36
 * bytes of opcode data (a 12-byte nonce, the protocol, the internal
 * port, a suggested external port and address). The answer repeats the
 * nonce, protocol and internal port, which is how the decoder tells it
 * from stray datagrams; options after the MAP data are skipped. The
 * same nonce renews and (with lifetime 0) deletes the mapping.
 */
#include <errno.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "portmap-int.h"

#define PCP_HDR_LEN	24
#define PCP_RESPONSE	0x80
#define PCP_PROTO_TCP	6

static const uint8_t v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/* Big-endian helpers. */
static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* Writes v big-endian at p. */
static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* Reads a big-endian 16-bit value. */
static uint16_t
get16(const uint8_t *p)
{
	return ((uint16_t)(p[0] << 8 | p[1]));
}

/* Reads a big-endian 32-bit value. */
static uint32_t
get32(const uint8_t *p)
{
	return ((uint32_t)get16(p) << 16 | get16(p + 2));
}

/* Writes a MAP request for TCP; returns its length. */
size_t
ovl__pcp_encode(const struct ovl__pcp_req *req,
    uint8_t out[static OVL__PCP_MAP_LEN])
{
	uint8_t	*m = out + PCP_HDR_LEN;

	memset(out, 0, OVL__PCP_MAP_LEN);
	out[0] = OVL__PCP_VERSION;
	out[1] = OVL__PCP_OP_MAP;
	put32(out + 4, req->lifetime);
	memcpy(out + 8, req->client_ip, 16);
	memcpy(m, req->nonce, OVL__PCP_NONCE_LEN);
	m[12] = PCP_PROTO_TCP;
	put16(m + 16, req->internal_port);
	put16(m + 18, req->suggested_port);
	/* Suggested external address ::ffff:0.0.0.0: any IPv4. */
	memcpy(m + 20, v4mapped, sizeof(v4mapped));
	return (OVL__PCP_MAP_LEN);
}

/* Decodes a datagram answering req (see portmap-int.h). */
int
ovl__pcp_decode(const uint8_t *buf, size_t len,
    const struct ovl__pcp_req *req, struct ovl__pcp_resp *r)
{
	const uint8_t	*m = buf + PCP_HDR_LEN;

	memset(r, 0, sizeof(*r));
	/* A NAT-PMP server: version 0, "unsupported version" (RFC 6887 9). */
	if (len >= 4 && buf[0] == 0)
		return (get16(buf + 2) == 1 ? -EPROTONOSUPPORT : -EPROTO);
	if (len < PCP_HDR_LEN || len > OVL__PCP_MAX || len % 4 != 0)
		return (-EPROTO);
	if (buf[1] != (PCP_RESPONSE | OVL__PCP_OP_MAP))
		return (-EPROTO);
	r->result = buf[3];
	r->lifetime = get32(buf + 4);
	r->epoch = get32(buf + 8);
	if (buf[0] != OVL__PCP_VERSION)
		return (r->result == 1 ? -EPROTONOSUPPORT : -EPROTO);
	if (len < OVL__PCP_MAP_LEN)
		/* Only an error may come without the MAP data. */
		return (r->result != 0 ? 0 : -EPROTO);
	if (memcmp(m, req->nonce, OVL__PCP_NONCE_LEN) != 0 ||
	    m[12] != PCP_PROTO_TCP || get16(m + 16) != req->internal_port)
		return (-EPROTO);
	r->external_port = get16(m + 18);
	memcpy(r->external_ip, m + 20, 16);
	if (r->result == 0 && req->lifetime != 0 && (r->lifetime == 0 ||
	    r->external_port == 0))
		return (-EPROTO);
	return (0);
}

/* The name of a PCP result code. */
const char *
ovl__pcp_result_name(uint8_t result)
{
	static const char *const names[] = {
		"SUCCESS", "UNSUPP_VERSION", "NOT_AUTHORIZED",
		"MALFORMED_REQUEST", "UNSUPP_OPCODE", "UNSUPP_OPTION",
		"MALFORMED_OPTION", "NETWORK_FAILURE", "NO_RESOURCES",
		"UNSUPP_PROTOCOL", "USER_EX_QUOTA", "CANNOT_PROVIDE_EXTERNAL",
		"ADDRESS_MISMATCH", "EXCESSIVE_REMOTE_PEERS",
	};

	if (result < sizeof(names) / sizeof(names[0]))
		return (names[result]);
	return ("unknown result");
}

/* An IPv6 or IPv4-mapped address as text. */
void
ovl__pm_addr_text(const uint8_t ip[static 16], char *buf, size_t size)
{
	if (memcmp(ip, v4mapped, sizeof(v4mapped)) == 0) {
		if (inet_ntop(AF_INET, ip + 12, buf, size) != NULL)
			return;
	} else if (inet_ntop(AF_INET6, ip, buf, size) != NULL)
		return;
	if (size > 0)
		buf[0] = '\0';
}
