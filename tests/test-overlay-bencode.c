/*
 * The bencode codec (overlay/bencode.c): what BEP 3 allows decodes to
 * the values it holds and encodes back to the same bytes; everything
 * else, including inputs built to exhaust the decoder, is refused.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "overlay.h"
#include "test.h"

/* Decodes a C string into v (64 values). */
static int
dec(const char *s, struct ovl_ben *v)
{
	return (ovl_ben_decode((const uint8_t *)s, strlen(s), v, 64));
}

/* Integers, strings, lists and dicts read back as written. */
static void
test_bencode_values(void)
{
	struct ovl_ben v[64];
	int d, i;

	ASSERT_EQ(dec("i0e", v), 1);
	ASSERT_EQ(v[0].i, 0);
	ASSERT_EQ(dec("i-42e", v), 1);
	ASSERT_EQ(v[0].i, -42);
	ASSERT_EQ(dec("i9223372036854775807e", v), 1);
	ASSERT(v[0].i == INT64_MAX);
	ASSERT_EQ(dec("i-9223372036854775808e", v), 1);
	ASSERT(v[0].i == INT64_MIN);
	ASSERT_EQ(dec("0:", v), 1);
	ASSERT_EQ(v[0].len, 0);
	ASSERT_EQ(dec("4:spam", v), 1);
	ASSERT_EQ(v[0].type, OVL_BEN_STR);
	ASSERT(memcmp(v[0].s, "spam", 4) == 0);
	ASSERT_EQ(dec("l4:spami3ee", v), 3);
	ASSERT_EQ(v[0].n, 2);
	ASSERT_EQ(v[0].next, 3);
	ASSERT_EQ(dec("d1:ad2:id1:xe1:q4:ping1:t2:aa1:y1:qe", v), 11);
	ASSERT_EQ(v[0].type, OVL_BEN_DICT);
	ASSERT_EQ(v[0].n, 8);
	d = ovl_ben_get_type(v, 0, "a", OVL_BEN_DICT);
	ASSERT_EQ(d, 2);
	ASSERT_EQ(v[d].next, 5);
	i = ovl_ben_get_type(v, d, "id", OVL_BEN_STR);
	ASSERT(i > 0 && v[i].len == 1 && v[i].s[0] == 'x');
	i = ovl_ben_get_type(v, 0, "q", OVL_BEN_STR);
	ASSERT(i > 0 && v[i].len == 4);
	ASSERT_EQ(ovl_ben_get(v, 0, "z"), -1);
	ASSERT_EQ(ovl_ben_get_type(v, 0, "q", OVL_BEN_INT), -1);
	ASSERT_EQ(ovl_ben_get(v, 1, "a"), -1);
	ASSERT_EQ(dec("de", v), 1);
	ASSERT_EQ(dec("lllleeee", v), 4);
	ASSERT_EQ(v[0].next, 4);
	ASSERT_EQ(v[1].next, 4);
}

/* Everything BEP 3 forbids is refused with -EBADMSG. */
static void
test_bencode_refused(void)
{
	static const char *bad[] = {
		"", "i", "ie", "i-e", "i-0e", "i01e", "i00e", "i1", "i1x",
		"i9223372036854775808e", "i-9223372036854775809e",
		"i99999999999999999999999e", "01:a", "5:abc", "1a", ":",
		"-1:a", "l", "li1e", "d", "d1:a", "d1:ai1e", "di1ei2ee",
		"d1:bi1e1:ai2ee", "d1:ai1e1:ai2ee", "dle", "ddee",
		"i1ei2e", "4:spamx", "e", "x", "d0:i1e0:i2ee",
		"d1:ai1e1:ae", "99999999999999999999999:a",
	};
	struct ovl_ben v[64];
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (dec(bad[i], v) != -EBADMSG)
			FAIL("\"%s\" gave %d", bad[i], dec(bad[i], v));
	/* A key that is a prefix of the next sorts first. */
	ASSERT_EQ(dec("d1:ai1e2:aai2ee", v), 5);
	ASSERT_EQ(dec("d2:aai1e1:ai2ee", v), -EBADMSG);
	/* A NUL byte in a string is data, not an end. */
	ASSERT_EQ(ovl_ben_decode((const uint8_t *)"3:a\0b", 5, v, 4), 1);
}

/* Nesting and value counts are bounded, whatever the input's length. */
static void
test_bencode_bounds(void)
{
	struct ovl_ben v[64];
	char deep[2 * OVL_BEN_DEPTH_MAX + 3];
	int i;

	for (i = 0; i < OVL_BEN_DEPTH_MAX; i++) {
		deep[i] = 'l';
		deep[OVL_BEN_DEPTH_MAX + i] = 'e';
	}
	deep[2 * OVL_BEN_DEPTH_MAX] = '\0';
	ASSERT_EQ(dec(deep, v), OVL_BEN_DEPTH_MAX);
	memmove(deep + 1, deep, 2 * OVL_BEN_DEPTH_MAX + 1);
	deep[0] = 'l';
	deep[2 * OVL_BEN_DEPTH_MAX + 1] = 'e';
	deep[2 * OVL_BEN_DEPTH_MAX + 2] = '\0';
	ASSERT_EQ(dec(deep, v), -E2BIG);
	ASSERT_EQ(ovl_ben_decode((const uint8_t *)"li1ei2ei3ee", 11, v, 3),
	    -E2BIG);
	ASSERT_EQ(ovl_ben_decode((const uint8_t *)"li1ei2ei3ee", 11, v, 4),
	    4);
	ASSERT_EQ(ovl_ben_decode((const uint8_t *)"i1e", 3, v, 0), -E2BIG);
}

/* The encoder writes canonical bytes and stops cleanly when full. */
static void
test_bencode_encode(void)
{
	static const char want[] = "d1:ad2:id3:abce1:q4:ping1:t2:aa"
	    "1:y1:q1:zli-7ei0eee";
	struct ovl_ben v[64];
	struct ovl_benw w;
	uint8_t buf[128];
	size_t cap;

	for (cap = 0; cap <= sizeof want - 1; cap++) {
		ovl_benw_init(&w, buf, cap);
		ovl_benw_open(&w, 'd');
		ovl_benw_cstr(&w, "a");
		ovl_benw_open(&w, 'd');
		ovl_benw_cstr(&w, "id");
		ovl_benw_str(&w, "abc", 3);
		ovl_benw_close(&w);
		ovl_benw_cstr(&w, "q");
		ovl_benw_cstr(&w, "ping");
		ovl_benw_cstr(&w, "t");
		ovl_benw_cstr(&w, "aa");
		ovl_benw_cstr(&w, "y");
		ovl_benw_cstr(&w, "q");
		ovl_benw_cstr(&w, "z");
		ovl_benw_open(&w, 'l');
		ovl_benw_int(&w, -7);
		ovl_benw_int(&w, 0);
		ovl_benw_close(&w);
		ovl_benw_close(&w);
		if (cap < sizeof want - 1) {
			ASSERT_EQ(ovl_benw_end(&w), -ENOBUFS);
			ASSERT(w.len <= cap);
		} else
			ASSERT_EQ(ovl_benw_end(&w), (int)sizeof want - 1);
	}
	ASSERT(memcmp(buf, want, sizeof want - 1) == 0);
	ASSERT_EQ(ovl_ben_decode(buf, sizeof want - 1, v, 64), 15);
}

TEST_MAIN(T(test_bencode_values), T(test_bencode_refused),
    T(test_bencode_bounds), T(test_bencode_encode))
