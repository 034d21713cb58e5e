/*
 * Stats against the real engine: the one-shot form gives one sane sample
 * and ends; the streamed form gives a sample about every second for a
 * container that burns CPU (memory above zero, CPU percent not negative
 * and, across samples, above zero), pauses without reading and is
 * cancelled; a missing container ends with the engine's message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"
#include "dkt.h"
#include "loop.h"
#include "test.h"

/* What a stats consumer saw. */
struct seen {
	int		 samples;
	int		 ended;
	int		 status;
	char		 msg[512];
	double		 max_cpu;
	double		 min_cpu;
	uint64_t	 mem;
	uint64_t	 limit;
	uint64_t	 pids;
	char		 name[128];
	int		 pause_at;
	int		 cancel_at;
	struct dk_stream *s;
};

/* on_stats: checks each sample is sane and keeps the extremes. */
static void
on_stats(struct dk_stream *s, const struct dk_stats *st, json_t *raw,
    void *arg)
{
	struct seen *k = arg;

	(void)raw;
	if (k->samples == 0 || st->cpu_percent < k->min_cpu)
		k->min_cpu = st->cpu_percent;
	if (st->cpu_percent > k->max_cpu)
		k->max_cpu = st->cpu_percent;
	k->samples++;
	k->mem = st->mem_usage;
	k->limit = st->mem_limit;
	k->pids = st->pids;
	snprintf(k->name, sizeof k->name, "%s", st->name);
	if (k->pause_at != 0 && k->samples == k->pause_at)
		dk_stream_pause(s);
	if (k->cancel_at != 0 && k->samples == k->cancel_at)
		dk_stream_cancel(s);
}

/* on_end: records the outcome. */
static void
on_end(struct dk_stream *s, int status, const char *msg, void *arg)
{
	struct seen *k = arg;

	(void)s;
	k->ended++;
	k->status = status;
	k->s = NULL;
	snprintf(k->msg, sizeof k->msg, "%s", msg);
}

/* Fires to end a wait. */
static void
timer_cb(uv_timer_t *t)
{
	(*(int *)t->data)++;
}

/* One-shot and streamed samples of a busy container. */
static void
test_stats(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	static const char *const cmd[] = { "sh", "-c",
	    "yes > /dev/null & sleep 600", NULL };
	struct seen k = { 0 };
	struct dk_stream_cbs cbs = { .on_stats = on_stats, .on_end = on_end,
	    .arg = &k };
	const char *tag = dkt_tag("stats-live");
	uv_timer_t timer;
	uint64_t bytes;
	char *id;
	int fired = 0;

	c = dkt_client(&loop);
	id = dkt_container(&loop, c, tag, NULL, (const char *const *)cmd, 1);

	/* One shot: one sample, then a clean end. */
	ASSERT_OK(dk_stats_stream(c, id, 1, &cbs, &k.s));
	RUN_UNTIL(&loop, k.ended);
	if (k.status != 0)
		FAIL("one-shot: %s", k.msg);
	ASSERT_EQ(k.samples, 1);
	ASSERT_GT(k.mem, 0);
	ASSERT_GT(k.limit, k.mem);
	ASSERT_GE(k.min_cpu, 0.0);
	ASSERT_GE(k.pids, 2);
	ASSERT(k.name[0] != '\0');

	/* Streamed: three samples, CPU busy, then pause. */
	memset(&k, 0, sizeof k);
	k.pause_at = 3;
	ASSERT_OK(dk_stats_stream(c, id, 0, &cbs, &k.s));
	RUN_UNTIL(&loop, k.ended || k.samples >= 3);
	ASSERT_EQ(k.ended, 0);
	ASSERT_GE(k.min_cpu, 0.0);
	ASSERT_GT(k.max_cpu, 10.0);	/* `yes` keeps a CPU busy */
	ASSERT_GT(k.mem, 0);
	/* Paused for 2.5 s: no sample, no byte read. */
	bytes = dk_stream_bytes(k.s);
	ASSERT_OK(uv_timer_init(&loop, &timer));
	timer.data = &fired;
	ASSERT_OK(uv_timer_start(&timer, timer_cb, 2500, 0));
	RUN_UNTIL(&loop, fired);
	ASSERT_EQ(k.samples, 3);
	ASSERT_EQ(dk_stream_bytes(k.s), bytes);
	/* Resumed: samples again; cancelled from inside a callback. */
	k.cancel_at = 4;
	dk_stream_resume(k.s);
	RUN_UNTIL(&loop, k.ended);
	ASSERT_EQ(k.status, DK_E_CANCELLED);
	ASSERT_GE(k.samples, 4);
	uv_close((uv_handle_t *)&timer, NULL);

	dkt_cleanup(&loop, c, tag);
	free(id);
	dkt_close(&loop, c);
}

/* A missing container: the engine's message, no sample. */
static void
test_missing(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	struct seen k = { 0 };
	struct dk_stream_cbs cbs = { .on_stats = on_stats, .on_end = on_end,
	    .arg = &k };

	c = dkt_client(&loop);
	ASSERT_OK(dk_stats_stream(c, "pier-no-such-container", 0, &cbs,
	    &k.s));
	RUN_UNTIL(&loop, k.ended);
	ASSERT_EQ(k.status, DK_E_NOT_FOUND);
	ASSERT_CONTAINS(k.msg, "No such container");
	ASSERT_EQ(k.samples, 0);
	/* Refused before anything is sent. */
	cbs.on_stats = NULL;
	ASSERT_EQ(dk_stats_stream(c, "x", 0, &cbs, NULL), -EINVAL);
	dkt_close(&loop, c);
}

/*
 * Last: removes what a failed case of this run left behind (the cases
 * clean up after themselves when they pass).
 */
static void
test_cleanup(void)
{
	static const char *const names[] = { "stats-live" };
	uv_loop_t loop;
	struct dk_client *c;
	char tag[160];
	size_t i;

	c = dkt_client(&loop);
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(tag, sizeof tag, "%s", dkt_tag(names[i]));
		dkt_cleanup(&loop, c, tag);
	}
	dkt_close(&loop, c);
}

TEST_MAIN(T(test_stats), T(test_missing), T(test_cleanup))
