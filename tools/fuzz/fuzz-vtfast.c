/*
 * Fuzzes the fast path for text of the screen model (node/term-guard.c)
 * against the screen without it: arbitrary program output, cut where the
 * input's first bytes say, goes into both; after each piece they must
 * hold the same cells and cursor, and at the end the same snapshot, else
 * the target aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "term-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts unless the two screens hold the same state; with snap, the
 * same snapshots too. */
static void
same(struct term_screen *a, struct term_screen *b, int snap)
{
	const struct term__cell *x, *y;
	char *sa, *sb;
	size_t la, lb;
	int g, r, c, ar, ac, av, br, bc, bv;

	for (g = 0; g < 2; g++) {
		if ((a->grid[g].cells == NULL) != (b->grid[g].cells == NULL))
			abort();
		for (r = 0; a->grid[g].cells != NULL &&
		    r < a->grid[g].rows; r++) {
			x = term__grid_row(&a->grid[g], r);
			y = term__grid_row(&b->grid[g], r);
			for (c = 0; c < a->grid[g].cols; c++)
				if (memcmp(x[c].chars, y[c].chars,
				    sizeof(x[c].chars)) != 0 ||
				    x[c].prot != y[c].prot ||
				    memcmp(&x[c].pen, &y[c].pen,
				    sizeof(x[c].pen)) != 0)
					abort();
		}
	}
	term_screen_cursor(a, &ar, &ac, &av);
	term_screen_cursor(b, &br, &bc, &bv);
	if (ar != br || ac != bc || av != bv)
		abort();
	if (!snap)
		return;
	if (term_screen_snapshot(a, TERM_SNAP_SCROLLBACK, &sa, &la) != 0 ||
	    term_screen_snapshot(b, TERM_SNAP_SCROLLBACK, &sb, &lb) != 0)
		abort();
	if (la != lb || memcmp(sa, sb, la) != 0)
		abort();
	free(sa);
	free(sb);
}

/* One input: its first byte picks the size, its second how long the
 * pieces are; the rest is output. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct term_screen *a, *b;
	size_t off, n, step;
	int rows, cols;

	if (size < 2)
		return (0);
	rows = 1 + data[0] % 30;
	cols = TERM_MIN_COLS + (data[0] / 30) % 5 * 17;
	step = 1 + data[1] % 64;
	if (term_screen_new(&a, rows, cols, 20, 4096) != 0)
		return (0);
	if (term_screen_new(&b, rows, cols, 20, 4096) != 0)
		abort();
	b->fast = 0;
	data += 2;
	size -= 2;
	for (off = 0; off < size; off += n) {
		n = size - off < step ? size - off : step;
		term_screen_feed(a, data + off, n);
		term_screen_feed(b, data + off, n);
		same(a, b, 0);
	}
	term_screen_feed(a, "Zq\xcc\x81yz", 6);
	term_screen_feed(b, "Zq\xcc\x81yz", 6);
	same(a, b, 1);
	term_screen_free(b);
	term_screen_free(a);
	return (0);
}
