/*
 * bench-logs: how long reading a container's whole log takes through
 * Pier's Docker client (dk_logs: the stream demultiplexed into stdout
 * chunks, counted and dropped) compared with `docker logs` and with curl
 * on the same socket (raw multiplexed bytes, no decoding). It makes one
 * container from the test image that writes SIZE bytes of 100-byte lines
 * (`yes ... | head -c SIZE`), waits for it to stop, reads the log R times
 * each way, prints the timings, and removes the container.
 *
 *	bench-logs [-m megabytes] [-r rounds] [-i image]
 *
 * The container is labelled pier.test=1 and pier.bench=PID. The docker
 * and curl runs are whole processes writing to /dev/null, timed from the
 * outside; the client's runs are one stream each on one client. The
 * peak RSS printed is this process's own (the client's reads only): it
 * shows the stream holds no more than a read at a time.
 */
#include <sys/resource.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "docker.h"

/* The state of one run. */
struct bench {
	uv_loop_t	 loop;
	struct dk_client *c;
	int		 done;
	int		 status;
	char		 msg[512];
	json_t		*result;
	uint64_t	 bytes;		/* payload bytes delivered */
	uint64_t	 chunks;
	char		*id;		/* the container, once made */
};

/* A request ended. */
static void
req_cb(struct dk_req *req, int status, json_t *result, void *arg)
{
	struct bench *b = arg;

	b->done = 1;
	b->status = status;
	json_decref(b->result);
	b->result = result;
	snprintf(b->msg, sizeof b->msg, "%s", dk_req_message(req));
}

/* Removes the container (if made) on the way out of a failure. */
static void
give_up(struct bench *b)
{
	char *id = b->id;

	b->id = NULL;
	if (id != NULL && dk_container_remove(b->c, id, 1, 1, req_cb, b,
	    NULL) == 0) {
		b->done = 0;
		while (!b->done)
			uv_run(&b->loop, UV_RUN_ONCE);
	}
	exit(1);
}

/* Runs the loop until the request ended; gives up on failure. */
static void
wait_req(struct bench *b, int rc, const char *what)
{
	if (rc != 0) {
		fprintf(stderr, "bench-logs: %s: %s\n", what, strerror(-rc));
		give_up(b);
	}
	while (!b->done)
		uv_run(&b->loop, UV_RUN_ONCE);
	b->done = 0;
	if (b->status != 0) {
		fprintf(stderr, "bench-logs: %s: %s\n", what, b->msg);
		give_up(b);
	}
}

/* Log bytes: counted, dropped. */
static void
on_chunk(struct dk_stream *s, int kind, const char *buf, size_t len,
    void *arg)
{
	struct bench *b = arg;

	(void)s;
	(void)kind;
	(void)buf;
	b->bytes += len;
	b->chunks++;
}

/* The stream ended. */
static void
on_end(struct dk_stream *s, int status, const char *msg, void *arg)
{
	struct bench *b = arg;

	(void)s;
	b->done = 1;
	b->status = status;
	snprintf(b->msg, sizeof b->msg, "%s", msg);
}

/* Seconds since some fixed point. */
static double
now(void)
{
	return ((double)uv_hrtime() / 1e9);
}

/* Times a shell command (output to /dev/null); gives up if it fails. */
static double
time_cmd(struct bench *b, const char *cmd)
{
	double t0 = now();

	if (system(cmd) != 0) {
		fprintf(stderr, "bench-logs: failed: %s\n", cmd);
		give_up(b);
	}
	return (now() - t0);
}

/* Prints one line of results. */
static void
report(const char *what, const double *t, int n, double mb)
{
	double best = t[0], sum = 0;
	int i;

	for (i = 0; i < n; i++) {
		sum += t[i];
		if (t[i] < best)
			best = t[i];
	}
	printf("%-28s best %7.3f s (%6.1f MB/s)  mean %7.3f s\n", what,
	    best, mb / best, sum / n);
}

/* Makes the container, reads its log R times three ways, removes it. */
int
main(int argc, char **argv)
{
	struct bench b;
	struct dk_endpoint ep;
	struct dk_logs_opts lo = { .tail = -1, .tty = DK_TTY_NO };
	struct dk_stream_cbs cbs = { .on_chunk = on_chunk, .on_end = on_end };
	const char *image = "pier-test/busybox:latest", *sock;
	char label[64], script[256], cmd[1024], *cause = NULL, *id;
	const char *labels[] = { "pier.test=1", label, NULL };
	const char *argv_c[] = { "sh", "-c", script, NULL };
	struct dk_create_opts co = { .cmd = argv_c, .labels = labels };
	struct rusage ru;
	double *tc, *td, *tu;
	long mb = 100;
	int rounds = 3, opt, i;

	while ((opt = getopt(argc, argv, "m:r:i:")) != -1) {
		switch (opt) {
		case 'm':
			mb = strtol(optarg, NULL, 10);
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'i':
			image = optarg;
			break;
		default:
			fprintf(stderr, "usage: bench-logs [-m megabytes] "
			    "[-r rounds] [-i image]\n");
			return (2);
		}
	}
	if (mb < 1 || rounds < 1)
		return (2);
	memset(&b, 0, sizeof b);
	cbs.arg = &b;
	co.image = image;
	snprintf(label, sizeof label, "pier.bench=%ld", (long)getpid());
	/* 100-byte lines: 99 characters and a newline. */
	snprintf(script, sizeof script, "yes %s | head -c %ld",
	    "0123456789012345678901234567890123456789012345678901234567890"
	    "12345678901234567890123456789012345678", mb * 1024 * 1024);
	if (uv_loop_init(&b.loop) != 0 ||
	    dk_endpoint_from_env(&ep, &cause) != 0 ||
	    dk_client_new(&b.loop, &ep, NULL, &b.c, &cause) != 0) {
		fprintf(stderr, "bench-logs: %s\n", cause ? cause : "setup");
		return (1);
	}
	sock = ep.unix_path != NULL ? ep.unix_path : "/var/run/docker.sock";

	wait_req(&b, dk_container_create(b.c, &co, req_cb, &b, NULL),
	    "create");
	id = strdup(json_string_value(json_object_get(b.result, "Id")));
	b.id = id;
	printf("container %.12s writes %ld MiB of 100-byte lines\n", id, mb);
	wait_req(&b, dk_container_start(b.c, id, req_cb, &b, NULL), "start");
	wait_req(&b, dk_container_wait(b.c, id, NULL, req_cb, &b, NULL),
	    "wait");

	tc = calloc((size_t)rounds, sizeof *tc);
	td = calloc((size_t)rounds, sizeof *td);
	tu = calloc((size_t)rounds, sizeof *tu);
	if (tc == NULL || td == NULL || tu == NULL)
		return (1);
	for (i = 0; i < rounds; i++) {
		double t0 = now();

		b.bytes = b.chunks = 0;
		wait_req(&b, dk_logs(b.c, id, &lo, &cbs, NULL), "logs");
		tc[i] = now() - t0;
		if (b.bytes != (uint64_t)mb * 1024 * 1024) {
			fprintf(stderr, "bench-logs: got %llu bytes\n",
			    (unsigned long long)b.bytes);
			give_up(&b);
		}
		snprintf(cmd, sizeof cmd, "docker logs %s >/dev/null", id);
		td[i] = time_cmd(&b, cmd);
		snprintf(cmd, sizeof cmd, "curl -sf --unix-socket %s "
		    "'http://d/v1.41/containers/%s/logs?stdout=1&stderr=1' "
		    ">/dev/null", sock, id);
		tu[i] = time_cmd(&b, cmd);
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("%d rounds, %llu frames each; this process's peak RSS %ld "
	    "KiB\n", rounds, (unsigned long long)b.chunks, ru.ru_maxrss);
	report("pier client (dk_logs)", tc, rounds, (double)mb * 1.048576);
	report("docker logs (CLI)", td, rounds, (double)mb * 1.048576);
	report("curl (raw, no demux)", tu, rounds, (double)mb * 1.048576);

	b.id = NULL;
	wait_req(&b, dk_container_remove(b.c, id, 1, 1, req_cb, &b, NULL),
	    "remove");
	free(id);
	free(tc);
	free(td);
	free(tu);
	json_decref(b.result);
	dk_endpoint_clear(&ep);
	dk_client_close(b.c, NULL, NULL);
	uv_run(&b.loop, UV_RUN_DEFAULT);
	(void)uv_loop_close(&b.loop);
	return (0);
}
