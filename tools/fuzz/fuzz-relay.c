/*
 * Fuzzes what a relay and a target parse from each other and from
 * clients: the splice header a target reads off a relay's channel (fed
 * in pieces whose sizes the input picks), the client address in it, and
 * candidate kinds ("relay+host:port" and the others up to "punch+"). A header the parser calls whole
 * must have its announced length; taking never passes the input's end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One input: a chunk size, then the bytes of a channel. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t hdr[1 + OVL_SPLICE_HDR_MAX];
	struct sockaddr_storage ss;
	char text[OVL_SPLICE_HDR_MAX + 1], *cand;
	enum ovl_path kind;
	size_t have = 0, used, step, off = 1, n;
	int rc = 0;

	if (size < 1)
		return (0);
	step = (size_t)data[0] % 16 + 1;
	while (off < size && rc == 0) {
		n = size - off < step ? size - off : step;
		rc = ovl__splice_hdr_take(hdr, &have, data + off, n, &used);
		if (used > n || have > sizeof hdr)
			__builtin_trap();
		off += used;
	}
	if (rc == 1) {
		if (hdr[0] == 0 || hdr[0] > OVL_SPLICE_HDR_MAX ||
		    have != 1 + (size_t)hdr[0])
			__builtin_trap();
		memcpy(text, hdr + 1, hdr[0]);
		text[hdr[0]] = '\0';
		(void)ovl__addr_sockaddr(text, &ss);
	}
	cand = malloc(size);
	if (cand == NULL)
		return (0);
	memcpy(cand, data + 1, size - 1);
	cand[size - 1] = '\0';
	if (ovl_path_split(cand, &kind) != NULL &&
	    (kind < OVL_PATH_DIRECT || kind > OVL_PATH_PUNCHED))
		__builtin_trap();
	free(cand);
	return (0);
}
