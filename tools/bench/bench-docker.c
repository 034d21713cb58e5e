/*
 * bench-docker: how long a container list takes over Pier's Docker client
 * compared with curl on the same socket. It makes N containers from the
 * test image (created, not started: 500 running shims would not fit a
 * small machine), labelled pier.test=1 and pier.bench=PID, lists them R
 * times with GET /containers/json?all=1 both ways, prints the timings,
 * and removes what it made.
 *
 *	bench-docker [-n containers] [-r rounds] [-i image]
 *
 * The client's numbers are one request at a time on one client (the way
 * node/ uses it: a kept-alive connection); curl's are a fresh process per
 * request, given both as wall time and as curl's own time_total.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "docker.h"

#define BENCH_PARALLEL	8	/* creates and removes in flight */

/* The state of one run. */
struct bench {
	uv_loop_t	 loop;
	struct dk_client *c;
	const char	*image;
	char		 label[64];
	int		 want;		/* containers to make */
	int		 started;
	int		 done;
	int		 failed;
	char		 err[512];
	json_t		*ids;		/* owned: ids made */
	int		 list_done;
	size_t		 list_count;
	int		 list_status;
};

/* Compares doubles for qsort. */
static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return ((x > y) - (x < y));
}

/* Prints min, median, p90 and mean of n samples in ms. */
static void
report(const char *what, double *v, int n)
{
	double sum = 0;
	int i;

	qsort(v, (size_t)n, sizeof *v, cmp_double);
	for (i = 0; i < n; i++)
		sum += v[i];
	printf("%-28s min %7.2f  median %7.2f  p90 %7.2f  mean %7.2f ms\n",
	    what, v[0], v[n / 2], v[(n * 9) / 10], sum / n);
}

static void	create_next(struct bench *);

/* One create ended: keep its id, start the next. */
static void
create_cb(struct dk_req *req, int status, json_t *result, void *arg)
{
	struct bench *b = arg;
	json_t *id = json_object_get(result, "Id");	/* borrowed */

	b->done++;
	if (status != 0 || !json_is_string(id)) {
		b->failed++;
		(void)snprintf(b->err, sizeof b->err, "%s",
		    dk_req_message(req));
	} else
		(void)json_array_append(b->ids, id);
	json_decref(result);
	create_next(b);
}

/* Starts creates until BENCH_PARALLEL are in flight or all began. */
static void
create_next(struct bench *b)
{
	static const char *const cmd[] = { "sleep", "1", NULL };
	const char *labels[] = { "pier.test=1", b->label, NULL };
	struct dk_create_opts o = {
		.image = b->image,
		.cmd = cmd,
		.labels = labels,
	};

	while (b->started < b->want && !b->failed &&
	    b->started - b->done < BENCH_PARALLEL) {
		if (dk_container_create(b->c, &o, create_cb, b, NULL) != 0) {
			b->failed++;
			return;
		}
		b->started++;
	}
}

/* One remove ended. */
static void
remove_cb(struct dk_req *req, int status, json_t *result, void *arg)
{
	struct bench *b = arg;

	json_decref(result);
	b->done++;
	if (status != 0) {
		b->failed++;
		(void)snprintf(b->err, sizeof b->err, "%s",
		    dk_req_message(req));
	}
}

/* A list ended. */
static void
list_cb(struct dk_req *req, int status, json_t *result, void *arg)
{
	struct bench *b = arg;

	(void)req;
	b->list_done = 1;
	b->list_status = status;
	b->list_count = json_array_size(result);
	json_decref(result);
}

/* One list over the client, timed in ms; -1 on failure. */
static double
list_once(struct bench *b)
{
	uint64_t t0 = uv_hrtime();

	b->list_done = 0;
	if (dk_container_list(b->c, 1, NULL, list_cb, b, NULL) != 0)
		return (-1);
	while (!b->list_done)
		(void)uv_run(&b->loop, UV_RUN_ONCE);
	if (b->list_status != 0)
		return (-1);
	return ((double)(uv_hrtime() - t0) / 1e6);
}

/* A raw list ended: the body is kept as text, not parsed. */
static void
raw_cb(struct dk_req *req, int status, json_t *result, void *arg)
{
	struct bench *b = arg;

	(void)req;
	b->list_done = 1;
	b->list_status = status;
	b->list_count = json_string_length(result);
	json_decref(result);
}

/* One list over the client without JSON parsing, timed in ms. */
static double
raw_once(struct bench *b)
{
	struct dk_req_opts o = {
		.path = "/containers/json?all=1",
		.flags = DK_REQ_RAW,
	};
	uint64_t t0 = uv_hrtime();

	b->list_done = 0;
	if (dk_request(b->c, &o, raw_cb, b, NULL) != 0)
		return (-1);
	while (!b->list_done)
		(void)uv_run(&b->loop, UV_RUN_ONCE);
	if (b->list_status != 0)
		return (-1);
	return ((double)(uv_hrtime() - t0) / 1e6);
}

/* One list with the curl tool; wall ms, and curl's own in *own. */
static double
curl_once(const char *sock, const char *version, double *own)
{
	char cmd[512], out[64];
	uint64_t t0 = uv_hrtime();
	FILE *p;

	(void)snprintf(cmd, sizeof cmd, "curl -s -o /dev/null -w "
	    "'%%{time_total}' --unix-socket '%s' "
	    "'http://d/v%s/containers/json?all=1'", sock, version);
	p = popen(cmd, "r");
	if (p == NULL)
		return (-1);
	if (fgets(out, sizeof out, p) == NULL)
		out[0] = '\0';
	if (pclose(p) != 0)
		return (-1);
	*own = strtod(out, NULL) * 1e3;
	return ((double)(uv_hrtime() - t0) / 1e6);
}

/* Removes every container made, BENCH_PARALLEL at a time. */
static void
remove_all(struct bench *b)
{
	size_t i, n = json_array_size(b->ids);

	b->done = 0;
	for (i = 0; i < n; i++) {
		if (dk_container_remove(b->c, json_string_value(
		    json_array_get(b->ids, i)), 1, 1, remove_cb, b, NULL) != 0)
			b->done++;
		while (i + 1 - (size_t)b->done >= BENCH_PARALLEL)
			(void)uv_run(&b->loop, UV_RUN_ONCE);
	}
	while ((size_t)b->done < n)
		(void)uv_run(&b->loop, UV_RUN_ONCE);
}

/* Notes that the client closed. */
static void
closed_cb(void *arg)
{
	*(int *)arg = 1;
}

/* Makes the containers, times the lists both ways, removes them. */
int
main(int argc, char **argv)
{
	struct bench b;
	struct dk_endpoint ep;
	char *cause = NULL;
	double *ours, *raw, *wall, *own;
	int ch, rounds = 50, i, closed = 0, rc = 0;
	uint64_t t0;

	memset(&b, 0, sizeof b);
	b.want = 10;
	b.image = "pier-test/busybox:latest";
	while ((ch = getopt(argc, argv, "n:r:i:")) != -1) {
		switch (ch) {
		case 'n':
			b.want = atoi(optarg);
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'i':
			b.image = optarg;
			break;
		default:
			fprintf(stderr, "usage: bench-docker [-n containers] "
			    "[-r rounds] [-i image]\n");
			return (2);
		}
	}
	if (b.want < 0 || rounds < 1)
		return (2);
	(void)snprintf(b.label, sizeof b.label, "pier.bench=%ld",
	    (long)getpid());
	if (uv_loop_init(&b.loop) != 0 ||
	    dk_endpoint_from_env(&ep, &cause) != 0) {
		fprintf(stderr, "bench-docker: %s\n", cause ? cause : "setup");
		return (1);
	}
	if (ep.unix_path == NULL) {
		fprintf(stderr, "bench-docker: needs a unix:// engine\n");
		return (1);
	}
	if (dk_client_new(&b.loop, &ep, NULL, &b.c, &cause) != 0) {
		fprintf(stderr, "bench-docker: %s\n", cause ? cause : "client");
		return (1);
	}
	b.ids = json_array();
	ours = calloc((size_t)rounds, sizeof *ours);
	raw = calloc((size_t)rounds, sizeof *raw);
	wall = calloc((size_t)rounds, sizeof *wall);
	own = calloc((size_t)rounds, sizeof *own);
	if (b.ids == NULL || ours == NULL || raw == NULL || wall == NULL ||
	    own == NULL)
		return (1);

	t0 = uv_hrtime();
	create_next(&b);
	while (b.done < b.started)
		(void)uv_run(&b.loop, UV_RUN_ONCE);
	if (b.failed) {
		fprintf(stderr, "bench-docker: create failed: %s\n", b.err);
		rc = 1;
		goto out;
	}
	printf("made %d containers in %.1f s\n", b.want,
	    (double)(uv_hrtime() - t0) / 1e9);
	if (list_once(&b) < 0) {	/* warm: version, connection */
		rc = 1;
		goto out;
	}
	printf("the engine lists %zu containers (all=1), API %s\n",
	    b.list_count, dk_client_api_version(b.c));
	if (raw_once(&b) < 0) {
		rc = 1;
		goto out;
	}
	printf("a list is %zu bytes of JSON\n", b.list_count);
	for (i = 0; i < rounds; i++) {
		ours[i] = list_once(&b);
		raw[i] = raw_once(&b);
		wall[i] = curl_once(ep.unix_path, dk_client_api_version(b.c),
		    &own[i]);
		if (ours[i] < 0 || raw[i] < 0 || wall[i] < 0) {
			fprintf(stderr, "bench-docker: a list failed\n");
			rc = 1;
			goto out;
		}
	}
	report("pier client (parsed)", ours, rounds);
	report("pier client (raw body)", raw, rounds);
	report("curl process (wall)", wall, rounds);
	report("curl time_total", own, rounds);
out:
	remove_all(&b);
	if (b.failed)
		fprintf(stderr, "bench-docker: cleanup: %s\n", b.err);
	dk_client_close(b.c, closed_cb, &closed);
	(void)uv_run(&b.loop, UV_RUN_DEFAULT);
	(void)uv_loop_close(&b.loop);
	dk_endpoint_clear(&ep);
	json_decref(b.ids);
	free(ours);
	free(raw);
	free(wall);
	free(own);
	return (rc);
}
