/*
 * Fuzzes the decoders of stream channels: the first byte picks the chunk
 * size and the decoder (framed or JSON lines), the rest is fed to it. The
 * callbacks trap on anything the decoders promise never to deliver: an
 * empty or oversized payload piece, a control frame over its limit, a
 * line holding a newline or over the maximum.
 */
#include <stdint.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The line limit the fuzzer sets, small so it is reached. */
#define FUZZ_LINE_MAX	512

/* Checks one frame or piece of one. */
static int
fuzz_frame(void *arg, enum proto_frame type, const uint8_t *data,
    size_t len)
{
	unsigned rows, cols;
	int32_t code;

	if (type < 16 && (len == 0 || len > PROTO_FRAME_MAX))
		__builtin_trap();
	if (type >= 16 && len > PROTO_FRAME_CTL_MAX)
		__builtin_trap();
	if (type == PROTO_FRAME_RESIZE &&
	    proto_frame_resize_parse(data, len, &rows, &cols) == 0 &&
	    (rows == 0 || cols == 0))
		__builtin_trap();
	if (type == PROTO_FRAME_EXIT)
		(void)!proto_frame_exit_parse(data, len, &code);
	return (0);
}

/* Checks one line. */
static int
fuzz_line(void *arg, const char *line, size_t len)
{
	if (len >= FUZZ_LINE_MAX || memchr(line, '\n', len) != NULL)
		__builtin_trap();
	return (0);
}

/* One input: a control byte, then stream bytes. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_fdec fd;
	struct proto_ldec ld;
	size_t chunk, n;
	int lines, rc = 0;

	if (size < 1)
		return (0);
	chunk = 1 + (data[0] & 0x7f);
	lines = data[0] >> 7;
	data++;
	size--;
	proto_fdec_init(&fd);
	proto_ldec_init(&ld, FUZZ_LINE_MAX);
	while (size > 0 && rc == 0) {
		n = size < chunk ? size : chunk;
		if (lines)
			rc = proto_ldec_feed(&ld, data, n, fuzz_line, NULL);
		else
			rc = proto_fdec_feed(&fd, data, n, fuzz_frame, NULL);
		data += n;
		size -= n;
	}
	proto_ldec_free(&ld);
	return (0);
}
