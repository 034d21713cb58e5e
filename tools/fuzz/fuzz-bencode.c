/*
 * Fuzzes the bencode decoder (overlay/bencode.c). Whatever decodes must
 * hold together (every index in bounds, strings inside the input, each
 * value's `next` past itself) and, re-encoded value by value, give back
 * exactly the input: the decoder accepts only canonical bencode. Every
 * other input is -EBADMSG or -E2BIG.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "overlay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_VALUES	128

/* Re-encodes value i into w; returns the index after it. */
static uint32_t
reencode(const struct ovl_ben *v, uint32_t i, int count, struct ovl_benw *w)
{
	uint32_t k, end;

	if ((int)i >= count || v[i].next <= i || (int)v[i].next > count)
		__builtin_trap();
	switch (v[i].type) {
	case OVL_BEN_INT:
		ovl_benw_int(w, v[i].i);
		return (i + 1);
	case OVL_BEN_STR:
		ovl_benw_str(w, v[i].s, v[i].len);
		return (i + 1);
	case OVL_BEN_LIST:
	case OVL_BEN_DICT:
		ovl_benw_open(w, v[i].type == OVL_BEN_LIST ? 'l' : 'd');
		end = v[i].next;
		k = i + 1;
		while (k < end)
			k = reencode(v, k, count, w);
		if (k != end)
			__builtin_trap();
		ovl_benw_close(w);
		return (end);
	}
	__builtin_trap();
}

/* One input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[65536];
	struct ovl_ben v[FUZZ_VALUES];
	struct ovl_benw w;
	int count, i;

	count = ovl_ben_decode(data, size, v, FUZZ_VALUES);
	if (count == -EBADMSG || count == -E2BIG)
		return (0);
	if (count <= 0 || size > sizeof out)
		__builtin_trap();
	for (i = 0; i < count; i++)
		if (v[i].type == OVL_BEN_STR && (v[i].s < data ||
		    v[i].len > size || v[i].s + v[i].len > data + size))
			__builtin_trap();
	ovl_benw_init(&w, out, sizeof out);
	if (reencode(v, 0, count, &w) != (uint32_t)count)
		__builtin_trap();
	if (ovl_benw_end(&w) != (int)size || memcmp(out, data, size) != 0)
		__builtin_trap();
	if (v[0].type == OVL_BEN_DICT)
		(void)ovl_ben_get(v, 0, "y");
	return (0);
}
