/*
 * The mainline DHT (BEP 5) node as a library that does no I/O, and the
 * bencode codec it speaks (bencode.c, dht*.c). Included through
 * overlay.h.
 *
 * The caller owns the UDP socket and the clock: it hands each datagram
 * to ovl_dht_input, calls ovl_dht_periodic when the returned wake-up
 * comes, and after either drains the out-queue with ovl_dht_pop, sending
 * each datagram to its address. Nothing here reads a socket, a clock or
 * a file; randomness comes from libsodium. docs/PROTOCOL.md, "The DHT
 * node", says what the node sends and answers.
 */
#ifndef PIER_OVL_DHT_H
#define PIER_OVL_DHT_H

#include <stddef.h>
#include <stdint.h>

/* bencode.c: a bounded decoder and an encoder (BEP 3) */

#define OVL_BEN_DEPTH_MAX	16	/* nested lists and dicts */

enum ovl_ben_type {
	OVL_BEN_INT = 1,
	OVL_BEN_STR,
	OVL_BEN_LIST,
	OVL_BEN_DICT,
};

/*
 * One decoded value. Values are laid out in document order; a list or
 * dict is followed by its items (a dict's as key, value, key, value ...)
 * and `next` is the index just past its last item, so a caller skips a
 * whole value with i = v[i].next. Strings point into the input.
 */
struct ovl_ben {
	enum ovl_ben_type	 type;
	uint32_t		 n;	/* items of a list; keys + values */
	uint32_t		 next;
	int64_t			 i;	/* OVL_BEN_INT */
	const uint8_t		*s;	/* OVL_BEN_STR */
	size_t			 len;
};

/*
 * Decodes exactly one value spanning all len bytes into at most max
 * values. Strict, as BEP 3 writes it: integers have no leading zeros and
 * no "-0" and fit in 64 bits; string lengths have no leading zeros; dict
 * keys are strings in strictly ascending byte order (so unique); nothing
 * may follow the value. Returns the number of values, -EBADMSG when the
 * input breaks a rule, -E2BIG when it needs more than max values or
 * nests deeper than OVL_BEN_DEPTH_MAX.
 */
int ovl_ben_decode(const uint8_t *buf, size_t len, struct ovl_ben *v,
    size_t max) WARN_UNUSED_RESULT;
/* The index of key's value in dict d, or -1 when absent or d no dict. */
int ovl_ben_get(const struct ovl_ben *v, int d, const char *key);
/* Like ovl_ben_get, but -1 unless the value is of type t. */
int ovl_ben_get_type(const struct ovl_ben *v, int d, const char *key,
    enum ovl_ben_type t);

/*
 * An encoder into a fixed buffer. A write that does not fit sets `err`
 * (-ENOBUFS) and every later write does nothing, so a caller checks once
 * at the end. The caller writes dict keys in ascending order.
 */
struct ovl_benw {
	uint8_t		*p;
	size_t		 cap;
	size_t		 len;
	int		 err;
};

/* Starts writing into cap bytes at p. */
void ovl_benw_init(struct ovl_benw *w, uint8_t *p, size_t cap);
/* Writes an integer. */
void ovl_benw_int(struct ovl_benw *w, int64_t i);
/* Writes a byte string. */
void ovl_benw_str(struct ovl_benw *w, const void *s, size_t len);
/* Writes a NUL-terminated string (a key, mostly). */
void ovl_benw_cstr(struct ovl_benw *w, const char *s);
/* Opens a dict ('d') or a list ('l'). */
void ovl_benw_open(struct ovl_benw *w, char kind);
/* Closes the innermost dict or list. */
void ovl_benw_close(struct ovl_benw *w);
/* Returns the length written, or err when something did not fit. */
int ovl_benw_end(const struct ovl_benw *w) WARN_UNUSED_RESULT;

#endif
