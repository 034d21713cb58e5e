/*
 * Measures what one session's screen costs in heap: N screens of ROWSxCOLS
 * with the node's scrollback bounds (node/sessions.c: 1000 lines, 1 MiB),
 * each fed a shell prompt as an idle shell leaves it, then the heap in
 * use (mallinfo2) before and after, divided by N, beside the screen's own
 * count (term_screen_memory). tools/bench/bench-term.sh subtracts this
 * from a session's memory in pierd to get the memory a session costs
 * besides its screen.
 *
 *	bench-term-mem [N] [rows] [cols]
 *
 * Prints one JSON line.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "term.h"

#define SB_LINES	1000	/* NODE_SESSION_SB_LINES */

/* Returns the heap bytes in use (every arena). */
static size_t
heap_in_use(void)
{
	struct mallinfo2 mi;

	mi = mallinfo2();
	return (mi.uordblks + mi.hblkhd);
}

/* Makes n screens, prints their cost; 0 on success. */
int
main(int argc, char **argv)
{
	static const char prompt[] = "\r\n/ # ";
	struct term_screen **s;
	size_t before, after, counted = 0;
	int n, rows, cols, i;

	n = argc > 1 ? atoi(argv[1]) : 50;
	rows = argc > 2 ? atoi(argv[2]) : 24;
	cols = argc > 3 ? atoi(argv[3]) : 80;
	if (n < 1 || n > 10000) {
		fprintf(stderr, "usage: bench-term-mem [N] [rows] [cols]\n");
		return (2);
	}
	s = calloc((size_t)n, sizeof(*s));
	if (s == NULL)
		return (1);
	before = heap_in_use();
	for (i = 0; i < n; i++) {
		if (term_screen_new(&s[i], rows, cols, SB_LINES,
		    TERM_SB_BYTES) != 0) {
			fprintf(stderr, "bench-term-mem: term_screen_new "
			    "%dx%d failed\n", rows, cols);
			return (1);
		}
		term_screen_feed(s[i], prompt, sizeof(prompt) - 1);
	}
	after = heap_in_use();
	for (i = 0; i < n; i++)
		counted += term_screen_memory(s[i]);
	printf("{\"screens\": %d, \"rows\": %d, \"cols\": %d, "
	    "\"heap_per_screen\": %zu, \"counted_per_screen\": %zu}\n",
	    n, rows, cols, (after - before) / (size_t)n,
	    counted / (size_t)n);
	for (i = 0; i < n; i++)
		term_screen_free(s[i]);
	free(s);
	return (0);
}
