/*
 * Fuzzes the filter in front of libvterm (node/term-filter.c) alone: its
 * output must not depend on how the input is split into calls (the first
 * byte picks the lengths of the calls), since a program's output comes
 * in reads of any size, and it must never be longer than the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "term-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Filters in in calls of step bytes (0: one call), giving a REP's final
 * byte as the guard does for a glyph with a width; returns the output
 * length. */
static size_t
run(const uint8_t *in, size_t len, size_t step, uint8_t *out)
{
	struct term__filter f;
	size_t at = 0, o = 0, n;

	memset(&f, 0, sizeof(f));
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
	}
	return (o);
}

/* One input: whole, then in calls of 1 to 16 bytes. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *a, *b;
	size_t la, lb, step;

	if (size < 1)
		return (0);
	step = 1 + data[0] % 16;
	a = malloc(size + TERM__FILTER_SLACK);
	b = malloc(size + TERM__FILTER_SLACK);
	if (a == NULL || b == NULL)
		abort();
	la = run(data + 1, size - 1, 0, a);
	lb = run(data + 1, size - 1, step, b);
	if (la != lb || memcmp(a, b, la) != 0)
		abort();
	free(a);
	free(b);
	return (0);
}
