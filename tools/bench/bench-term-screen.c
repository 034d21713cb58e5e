/*
 * Measures how fast the terminal screen model (node/term-screen.c) takes
 * program output, against libvterm's own screen layer fed the same bytes,
 * in CPU time so a busy machine does not skew it. Four kinds of output:
 * `yes` (2-byte lines), `seq` (short lines), base64 (76-column lines),
 * each as a terminal sees it (\r\n line ends), and one endless line of
 * `x` that wraps (what tools/bench/bench-term.sh's bulk output writes).
 *
 *	bench-term-screen [MiB per workload] [rows] [cols]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "term.h"

#define CHUNK	16384	/* bytes per feed, as a PTY read gives them */

/* Returns the process's CPU time in seconds. */
static double
cpu_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return ((double)t.tv_sec + (double)t.tv_nsec / 1e9);
}

/* Fills buf with n bytes of one workload. */
static void
make_output(char *buf, size_t n, int kind)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t off = 0;
	unsigned long i = 1, x = 12345;
	char line[128];
	int len, k;

	while (off < n) {
		if (kind == 0)
			len = snprintf(line, sizeof line, "y\r\n");
		else if (kind == 1)
			len = snprintf(line, sizeof line, "%lu\r\n", i++);
		else if (kind == 3) {
			memset(line, 'x', sizeof line);
			len = (int)sizeof line;
		} else {
			for (k = 0; k < 76; k++) {
				x = x * 1103515245 + 12345;
				line[k] = b64[(x >> 16) % 64];
			}
			line[76] = '\r';
			line[77] = '\n';
			len = 78;
		}
		if ((size_t)len > n - off)
			len = (int)(n - off);
		memcpy(buf + off, line, (size_t)len);
		off += (size_t)len;
	}
}

/* Feeds buf to our screen; returns MiB/s of CPU time. */
static double
run_ours(const char *buf, size_t n, int rows, int cols)
{
	struct term_screen *s;
	double t;
	size_t off;

	if (term_screen_new(&s, rows, cols, TERM_SB_LINES, TERM_SB_BYTES))
		exit(1);
	t = cpu_now();
	for (off = 0; off < n; off += CHUNK)
		term_screen_feed(s, buf + off, n - off < CHUNK ? n - off :
		    CHUNK);
	t = cpu_now() - t;
	term_screen_free(s);
	return ((double)n / t / 1048576.0);
}

/* libvterm's screen with a scrollback callback that keeps nothing. */
static int
ref_pushline(int cols, const VTermScreenCell *cells, void *user)
{
	return (1);
}

/* Feeds buf to libvterm's own screen; returns MiB/s of CPU time. */
static double
run_libvterm(const char *buf, size_t n, int rows, int cols)
{
	static const VTermScreenCallbacks cbs = {
		.sb_pushline = ref_pushline,
	};
	VTermScreen *vs;
	VTerm *vt;
	double t;
	size_t off;

	vt = vterm_new(rows, cols);
	vterm_set_utf8(vt, 1);
	vs = vterm_obtain_screen(vt);
	vterm_screen_set_callbacks(vs, &cbs, NULL);
	vterm_screen_reset(vs, 1);
	t = cpu_now();
	for (off = 0; off < n; off += CHUNK)
		vterm_input_write(vt, buf + off, n - off < CHUNK ? n - off :
		    CHUNK);
	t = cpu_now() - t;
	vterm_free(vt);
	return ((double)n / t / 1048576.0);
}

/* Runs every workload through both. */
int
main(int argc, char **argv)
{
	static const char *const names[] = { "yes", "seq", "base64", "x" };
	size_t n;
	char *buf;
	int kind, rows, cols;

	n = (size_t)(argc > 1 ? atoi(argv[1]) : 16) * 1048576;
	rows = argc > 2 ? atoi(argv[2]) : 24;
	cols = argc > 3 ? atoi(argv[3]) : 80;
	buf = malloc(n);
	if (buf == NULL || n == 0)
		return (1);
	printf("screen %dx%d, %zu MiB each, MiB/s of CPU time\n", rows, cols,
	    n / 1048576);
	printf("%-8s %10s %10s\n", "output", "pier", "libvterm");
	for (kind = 0; kind < 4; kind++) {
		make_output(buf, n, kind);
		printf("%-8s %10.1f %10.1f\n", names[kind],
		    run_ours(buf, n, rows, cols),
		    run_libvterm(buf, n, rows, cols));
	}
	free(buf);
	return (0);
}
