/*
 * The node's stats hub against the real engine: two subscribers of one
 * container share one Docker stats stream, which stops after the last
 * one leaves (and the hub frees itself); a subscriber that refuses every
 * sample (its channel is full) makes the hub hold nothing more, sample
 * after sample; an "all running" subscriber sees a container that starts
 * after it subscribed and stops seeing it once it stops.
 */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "dkt.h"
#include "node.h"

/* What one subscriber saw. */
struct sink {
	int		 lines;		/* taken */
	int		 refused;	/* offered while refusing */
	int		 refuse;	/* refuse everything */
	int		 ended;
	char		 last_id[80];
	char		 want[80];	/* the id to count, "" any */
	int		 want_lines;
	uv_loop_t	*loop;
	int		 stop_at;	/* uv_stop after this many lines */
};

/* A subscriber's sink: counts, takes or refuses. */
static int
sink_cb(struct node_stats_sub *sub, const char *line, size_t len,
    const json_t *sample, void *arg)
{
	struct sink	*k = arg;
	const char	*id;

	id = json_string_value(json_object_get(sample, "id"));
	if (len == 0 || line[len - 1] != '\n')
		return (-1);
	if (k->refuse) {
		k->refused++;
		if (k->stop_at > 0 && k->refused >= k->stop_at)
			uv_stop(k->loop);
		return (-1);
	}
	k->lines++;
	snprintf(k->last_id, sizeof(k->last_id), "%s", id != NULL ? id : "");
	if (k->want[0] != '\0' && id != NULL && strcmp(id, k->want) == 0)
		k->want_lines++;
	if (k->stop_at > 0 && (k->want[0] != '\0' ? k->want_lines :
	    k->lines) >= k->stop_at)
		uv_stop(k->loop);
	return (0);
}

/* The hub ended a subscription. */
static void
end_cb(struct node_stats_sub *sub, int code, const char *msg, void *arg)
{
	struct sink	*k = arg;

	k->ended++;
	node_stats_unsubscribe(sub);
}

/* A timer that stops the loop: a bound on each wait. */
static void
on_guard(uv_timer_t *t)
{
	int	*fired = t->data;

	(*fired)++;
	uv_stop(t->loop);
}

/* Runs the loop until a sink stops it or ms pass; 0 if it timed out. */
static int
run_for(uv_loop_t *loop, uv_timer_t *guard, int *fired, uint64_t ms)
{
	int	before = *fired;

	uv_timer_start(guard, on_guard, ms, 0);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_timer_stop(guard);
	return (*fired == before);
}

/* Runs the loop until cond holds or ms pass (the caller asserts cond). */
#define RUN_UNTIL(loop, guard, fired, cond, ms) do {			\
	uint64_t end_ = uv_now(loop) + (ms);				\
	while (!(cond) && uv_now(loop) < end_)				\
		(void)run_for((loop), (guard), (fired), 100);		\
} while (0)

/* Two subscribers share one stream; the last to leave stops it. */
static void
test_shared_stream(void)
{
	struct node_stats_counts cnt;
	struct node_stats_hub	*slot = NULL, *h;
	struct node_stats_sub	*a, *b;
	struct node_log		 lg;
	struct dk_client	*c;
	struct sink		 ka, kb;
	uv_loop_t		 loop;
	uv_timer_t		 guard;
	const char		*tag = dkt_tag("hub-shared");
	const char		*ids[1];
	char			*id;
	int			 fired = 0;

	c = dkt_client(&loop);
	node_log_init(&lg, NULL, NODE_LOG_WARN);
	uv_timer_init(&loop, &guard);
	guard.data = &fired;
	id = dkt_container(&loop, c, tag, NULL, NULL, 1);
	ids[0] = id;
	memset(&ka, 0, sizeof(ka));
	memset(&kb, 0, sizeof(kb));
	ka.loop = kb.loop = &loop;
	ka.stop_at = 2;
	h = node_stats_hub(&slot, c, &lg);
	ASSERT(h != NULL && slot == h);
	ASSERT_OK(node_stats_subscribe(h, ids, 1, 1, sink_cb, end_cb, &ka,
	    &a));
	ASSERT_OK(node_stats_subscribe(h, ids, 1, 1, sink_cb, end_cb, &kb,
	    &b));
	node_stats_counts(h, &cnt);
	ASSERT_EQ(cnt.streams, 1);
	ASSERT_EQ(cnt.subs, 2);
	ASSERT(run_for(&loop, &guard, &fired, 15000));
	ASSERT_GE(ka.lines, 2);
	ASSERT_GE(kb.lines, 1);
	ASSERT_STREQ(ka.last_id, id);
	node_stats_counts(h, &cnt);
	ASSERT_EQ(cnt.started, 1);	/* one Docker stream for both */
	ASSERT(node_stats_latest(h, id) != NULL);

	/* One leaves: the stream goes on for the other. */
	node_stats_unsubscribe(a);
	node_stats_counts(h, &cnt);
	ASSERT_EQ(cnt.streams, 1);
	ASSERT_EQ(cnt.subs, 1);
	kb.stop_at = kb.lines + 1;
	ASSERT(run_for(&loop, &guard, &fired, 15000));
	ASSERT_EQ(ka.lines, 2);		/* nothing more after leaving */

	/* The last leaves: the stream stops and the hub frees itself. */
	node_stats_unsubscribe(b);
	ASSERT(slot != NULL);		/* until the stream has ended */
	RUN_UNTIL(&loop, &guard, &fired, slot == NULL, 15000);
	ASSERT(slot == NULL);
	ASSERT_EQ(ka.ended + kb.ended, 0);
	dkt_cleanup(&loop, c, tag);
	free(id);
	uv_close((uv_handle_t *)&guard, NULL);
	dkt_close(&loop, c);
}

/* A subscriber that refuses every sample costs nothing that grows. */
static void
test_slow_subscriber(void)
{
	struct node_stats_counts cnt, cnt2;
	struct node_stats_hub	*slot = NULL, *h;
	struct node_stats_sub	*a;
	struct node_log		 lg;
	struct dk_client	*c;
	struct sink		 ka;
	uv_loop_t		 loop;
	uv_timer_t		 guard;
	const char		*tag = dkt_tag("hub-slow");
	const char		*ids[1];
	char			*id;
	int			 fired = 0;

	c = dkt_client(&loop);
	node_log_init(&lg, NULL, NODE_LOG_WARN);
	uv_timer_init(&loop, &guard);
	guard.data = &fired;
	id = dkt_container(&loop, c, tag, NULL, NULL, 1);
	ids[0] = id;
	memset(&ka, 0, sizeof(ka));
	ka.loop = &loop;
	ka.refuse = 1;
	ka.stop_at = 2;
	h = node_stats_hub(&slot, c, &lg);
	ASSERT(h != NULL);
	ASSERT_OK(node_stats_subscribe(h, ids, 1, 1, sink_cb, end_cb, &ka,
	    &a));
	ASSERT(run_for(&loop, &guard, &fired, 15000));
	node_stats_counts(h, &cnt);
	ka.stop_at = 5;
	ASSERT(run_for(&loop, &guard, &fired, 15000));
	node_stats_counts(h, &cnt2);
	/* Every sample was refused and dropped: nothing was kept for it. */
	ASSERT_EQ(ka.lines, 0);
	ASSERT_GE(cnt2.dropped, 5);
	ASSERT_EQ(cnt2.dropped - cnt.dropped, 3);
	ASSERT_EQ(cnt2.lines, 0);
	ASSERT_EQ(cnt2.containers, 1);	/* one sample held, as before */
	/* Reading again gets the latest sample at once, not a backlog. */
	ka.refuse = 0;
	ka.stop_at = 1;
	ASSERT(run_for(&loop, &guard, &fired, 15000));
	ASSERT_EQ(ka.lines, 1);
	node_stats_unsubscribe(a);
	RUN_UNTIL(&loop, &guard, &fired, slot == NULL, 15000);
	ASSERT(slot == NULL);
	dkt_cleanup(&loop, c, tag);
	free(id);
	uv_close((uv_handle_t *)&guard, NULL);
	dkt_close(&loop, c);
}

/* "All running" follows a container that starts, then stops. */
static void
test_all_follows(void)
{
	struct node_stats_counts cnt;
	struct node_stats_hub	*slot = NULL, *h;
	struct node_stats_sub	*a;
	struct node_log		 lg;
	struct dk_client	*c;
	struct dkt_res		 res;
	struct sink		 ka;
	uv_loop_t		 loop;
	uv_timer_t		 guard;
	const char		*tag = dkt_tag("hub-all");
	char			*id;
	int			 fired = 0, before;

	c = dkt_client(&loop);
	memset(&res, 0, sizeof(res));
	node_log_init(&lg, NULL, NODE_LOG_WARN);
	uv_timer_init(&loop, &guard);
	guard.data = &fired;
	memset(&ka, 0, sizeof(ka));
	ka.loop = &loop;
	h = node_stats_hub(&slot, c, &lg);
	ASSERT(h != NULL);
	ASSERT_OK(node_stats_subscribe(h, NULL, 0, 1, sink_cb, end_cb, &ka,
	    &a));
	(void)run_for(&loop, &guard, &fired, 500);	/* events are up */
	id = dkt_container(&loop, c, tag, NULL, NULL, 1);
	snprintf(ka.want, sizeof(ka.want), "%s", id);
	ka.stop_at = 1;
	/* Long: with many containers running, the engine is slow. */
	ASSERT(run_for(&loop, &guard, &fired, 45000));
	ASSERT_GE(ka.want_lines, 1);
	node_stats_counts(h, &cnt);
	ASSERT_GE(cnt.streams, 1);

	/* It stops: its stream closes, no more lines for it. */
	DKT(&loop, res, dk_container_kill(c, id, NULL, dkt_cb, &res, NULL));
	ASSERT_OK(res.status);
	RUN_UNTIL(&loop, &guard, &fired, node_stats_latest(h, id) == NULL,
	    15000);
	ASSERT(node_stats_latest(h, id) == NULL);
	before = ka.want_lines;
	(void)run_for(&loop, &guard, &fired, 2500);
	ASSERT_EQ(ka.want_lines, before);
	node_stats_unsubscribe(a);
	RUN_UNTIL(&loop, &guard, &fired, slot == NULL, 15000);
	ASSERT(slot == NULL);
	dkt_reset(&res);
	dkt_cleanup(&loop, c, tag);
	free(id);
	uv_close((uv_handle_t *)&guard, NULL);
	dkt_close(&loop, c);
}

TEST_MAIN(T(test_shared_stream), T(test_slow_subscriber),
    T(test_all_follows))
