/*
 * Fuzzes the filter in front of libvterm (node/term-filter.c) alone: its
 * output must not depend on how the input is split into calls (the first
 * byte picks the lengths of the calls), since a program's output comes
 * in reads of any size, and it must never be longer than the input. The
 * same holds for the modes it follows for the fast path for text, and
 * with stops for that path (whose runs the caller passes on itself).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "term-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Filters in in calls of step bytes (0: one call), giving a REP's final
 * byte as the guard does for a glyph with a width, and with fast, the
 * rest of a run of text but its last byte as the guard does; returns the
 * output length, and the modes followed in *vt. */
static size_t
run(const uint8_t *in, size_t len, size_t step, int fast, uint8_t *out,
    struct term__vtmodes *vt)
{
	struct term__filter f;
	size_t at = 0, o = 0, n, k;

	memset(&f, 0, sizeof(f));
	f.fast_on = fast;
	while (at < len) {
		n = step == 0 || len - at < step ? len - at : step;
		o += term__filter(&f, in + at, &n, out + o);
		if (f.rep) {
			f.rep = 0;
			out[o++] = 'b';
		}
		if (o > at + n)
			abort();	/* longer than what went in */
		at += n;
		if (f.fast > 0) {
			k = f.fast - 1;
			f.fast = 0;
			if (k > len - at)
				abort();
			for (; k > 0; k--, at++) {
				if (in[at] < 0x20 || in[at] > 0x7e)
					abort();	/* not text */
				out[o++] = in[at];
			}
		}
	}
	*vt = f.vt;
	return (o);
}

/* One input: whole, then in calls of 1 to 16 bytes. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct term__vtmodes va, vb, vc;
	uint8_t *a, *b, *c;
	size_t la, lb, lc, step;

	if (size < 1)
		return (0);
	step = 1 + data[0] % 16;
	a = malloc(size + TERM__FILTER_SLACK);
	b = malloc(size + TERM__FILTER_SLACK);
	c = malloc(size + TERM__FILTER_SLACK);
	if (a == NULL || b == NULL || c == NULL)
		abort();
	la = run(data + 1, size - 1, 0, 0, a, &va);
	lb = run(data + 1, size - 1, step, 0, b, &vb);
	lc = run(data + 1, size - 1, step, 1, c, &vc);
	if (la != lb || memcmp(a, b, la) != 0 || la != lc ||
	    memcmp(a, c, la) != 0)
		abort();
	if (memcmp(&va, &vb, sizeof(va)) != 0 ||
	    memcmp(&va, &vc, sizeof(va)) != 0)
		abort();
	free(a);
	free(b);
	free(c);
	return (0);
}
