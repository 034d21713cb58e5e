/*
 * Fuzzes channel 0 as the node receives it: the first byte picks the
 * chunk size and the caller's role, the rest is fed to the decoder in
 * chunks; every message goes through the parser and the dispatcher's
 * checks, and every error reply is encoded and parsed back, which must
 * always work (a reply the node cannot send would be a bug).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The role the messages are checked with. */
struct fuzz_ctx {
	enum proto_role	 role;
};

/* Encodes a reply and parses it back; traps if that fails. */
static void
fuzz_reply(json_t *reply)
{
	struct proto_msg m;
	char *out, *cause;
	size_t len;

	if (reply == NULL)
		return;
	if (proto_encode(reply, 0, &out, &len) != 0)
		__builtin_trap();
	if (proto_msg_parse(&m, out + PROTO_MSG_HDR, len - PROTO_MSG_HDR, 0,
	    &cause) != 0 || m.kind != PROTO_ERROR)
		__builtin_trap();
	if (strcmp(json_string_value(json_object_get(m.data, "name")),
	    proto_err_name(m.code)) != 0)
		__builtin_trap();
	proto_msg_clear(&m);
	free(out);
	json_decref(reply);
}

/* Handles one message as the node would, short of running it. */
static int
fuzz_msg(void *arg, const char *body, size_t len)
{
	struct fuzz_ctx *ctx = arg;
	const struct proto_method *mp;
	struct proto_msg m;
	json_t *reply = NULL;
	char *cause = NULL;
	int rc;

	rc = proto_msg_parse(&m, body, len, PROTO_DEPTH_MAX, &cause);
	if (rc != 0) {
		if (cause == NULL)
			__builtin_trap();
		fuzz_reply(proto_error_new(m.id, rc, cause, NULL));
	} else if (m.kind == PROTO_REQUEST || m.kind == PROTO_NOTIFY) {
		rc = proto_request_check(&m, ctx->role, &mp, &reply);
		if (rc == 0 && (mp == NULL || reply != NULL))
			__builtin_trap();
		if (rc != 0 && (m.kind == PROTO_REQUEST) != (reply != NULL))
			__builtin_trap();
		fuzz_reply(reply);
	}
	free(cause);
	proto_msg_clear(&m);
	return (0);
}

/* One input: a control byte, then channel 0 bytes. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_ctx ctx;
	struct proto_dec d;
	size_t chunk, n;

	if (size < 1)
		return (0);
	chunk = 1 + (data[0] & 0x3f);
	ctx.role = (enum proto_role)(1 + (data[0] >> 6) % 3);
	data++;
	size--;
	proto_dec_init(&d, 65536);
	while (size > 0) {
		n = size < chunk ? size : chunk;
		if (proto_dec_feed(&d, data, n, fuzz_msg, &ctx) != 0)
			break;
		data += n;
		size -= n;
	}
	proto_dec_free(&d);
	return (0);
}
