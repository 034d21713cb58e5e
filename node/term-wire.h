/*
 * The frames between the node and its screen worker (term-worker.c,
 * term-wmain.c): a header of payload length, screen id and kind, in the
 * host's byte order, as both ends are one binary.
 */
#ifndef PIER_TERM_WIRE_H
#define PIER_TERM_WIRE_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TW_HDR		9		/* length 4, id 4, kind 1 */
#define TW_DATA_MAX	(64 * 1024)	/* output bytes in one frame */
#define TW_REQ_MAX	(TW_DATA_MAX + 64) /* a frame to the worker */
#define TW_REPLY_MAX	(64 * 1024 * 1024) /* a frame from it */

/* Frame kinds. */
enum {
	TW_CREATE = 1,
	TW_DATA,
	TW_RESIZE,
	TW_SNAP,
	TW_FREE,
	TW_FAIL,
};

/* A growing byte buffer. */
struct tw_buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

/* Makes room for n more bytes; -ENOMEM. */
static inline int
tw_buf_room(struct tw_buf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *p;

	if (b->cap - b->len >= n)
		return (0);
	while (cap - b->len < n)
		cap *= 2;
	p = realloc(b->p, cap);
	if (p == NULL)
		return (-ENOMEM);
	b->p = p;
	b->cap = cap;
	return (0);
}

/* Appends n bytes. */
static inline int
tw_buf_add(struct tw_buf *b, const void *d, size_t n)
{
	if (n == 0)
		return (0);
	if (tw_buf_room(b, n) != 0)
		return (-ENOMEM);
	memcpy(b->p + b->len, d, n);
	b->len += n;
	return (0);
}

/* Frees a buffer's bytes. */
static inline void
tw_buf_free(struct tw_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* Stores a 16-bit value. */
static inline void
tw_put16(unsigned char *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

/* Stores a 32-bit value. */
static inline void
tw_put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* Loads a 16-bit value. */
static inline uint16_t
tw_get16(const unsigned char *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return (v);
}

/* Loads a 32-bit value. */
static inline uint32_t
tw_get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return (v);
}

/* Stores a frame header. */
static inline void
tw_put_hdr(unsigned char *h, uint32_t len, uint32_t id, int kind)
{
	tw_put32(h, len);
	tw_put32(h + 4, id);
	h[8] = (unsigned char)kind;
}

/* Loads a frame header. */
static inline void
tw_get_hdr(const unsigned char *h, uint32_t *len, uint32_t *id, int *kind)
{
	*len = tw_get32(h);
	*id = tw_get32(h + 4);
	*kind = h[8];
}

#endif
