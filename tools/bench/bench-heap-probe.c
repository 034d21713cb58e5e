/*
 * A heap probe loaded into a process with LD_PRELOAD, so a benchmark can
 * read how much heap a running pierd has in use without touching its
 * code: a thread started before main writes mallinfo2's in-use bytes
 * (every arena, mmapped blocks included) as one decimal line to the file
 * named by PIER_HEAP_PROBE, over and over, every 100 ms. RSS alone mixes
 * the heap with pages the allocator keeps and library pages; this counts
 * only what is allocated now. Used by tools/bench/bench-term.sh; not
 * part of pierd.
 */
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROBE_PERIOD_NS	(100 * 1000 * 1000)	/* between two writes */

/* Writes the heap in use to the file at arg, every PROBE_PERIOD_NS. */
static void *
probe_loop(void *arg)
{
	const char *path = arg;
	struct timespec ts = { 0, PROBE_PERIOD_NS };
	struct mallinfo2 mi;
	char line[64];
	int fd, len;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1)
		return (NULL);
	for (;;) {
		mi = mallinfo2();
		len = snprintf(line, sizeof(line), "%-20zu\n",
		    mi.uordblks + mi.hblkhd);
		if (pwrite(fd, line, (size_t)len, 0) != len)
			break;
		nanosleep(&ts, NULL);
	}
	close(fd);
	return (NULL);
}

/* Starts the probe thread if PIER_HEAP_PROBE names a file. */
__attribute__((constructor)) static void
probe_start(void)
{
	const char *path;
	pthread_attr_t a;
	pthread_t t;

	path = getenv("PIER_HEAP_PROBE");
	if (path == NULL || *path == '\0')
		return;
	if (pthread_attr_init(&a) != 0)
		return;
	(void)pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	(void)pthread_attr_setstacksize(&a, 64 * 1024);
	(void)pthread_create(&t, &a, probe_loop, (void *)path);
	(void)pthread_attr_destroy(&a);
}
