/*
 * Fuzzes the terminal screen: arbitrary program output goes into a
 * libvterm screen with a small scrollback, the first byte picks a resize
 * partway through, and snapshots are taken and fed to a second screen,
 * so the encoder meets every state the parser can reach.
 */
#include <stdint.h>
#include <stdlib.h>

#include "term.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One input: feed, resize, snapshot, replay. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct term_screen *a, *b;
	char *snap;
	size_t len, half;
	int rows, cols;

	if (term_screen_new(&a, 24, 80, 50, 64 * 1024) != 0)
		return (0);
	half = size / 2;
	term_screen_feed(a, data, half);
	rows = size > 0 ? 1 + data[0] % 60 : 24;
	cols = size > 1 ? TERM_MIN_COLS + data[1] % 199 : 80;
	if (term_screen_resize(a, rows, cols) != 0)
		abort();
	term_screen_feed(a, data + half, size - half);
	if (term_screen_snapshot(a, TERM_SNAP_SCROLLBACK, &snap, &len) != 0)
		abort();
	term_screen_size(a, &rows, &cols);
	if (term_screen_new(&b, rows, cols, 50, 64 * 1024) != 0)
		abort();
	term_screen_feed(b, snap, len);
	free(snap);
	term_screen_free(b);
	term_screen_free(a);
	return (0);
}
