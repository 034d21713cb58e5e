/*
 * Events against the real engine: a stream filtered to this test's
 * container label and to start and die sees exactly those two, in order,
 * for the container it runs, and nothing of others; a stream with until
 * in the past replays them and ends by itself; cancel ends a live one;
 * a request the engine refuses ends with the engine's message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "docker.h"
#include "dkt.h"
#include "loop.h"
#include "test.h"

/* What an events consumer saw. */
struct seen {
	int		 n;
	char		 actions[8][64];
	char		 ids[8][72];
	int		 exit_code;	/* from the die event's attributes */
	int		 ended;
	int		 status;
	char		 msg[512];
	struct dk_stream *s;
};

/* on_event: records action and id. */
static void
on_event(struct dk_stream *s, const struct dk_event *ev, json_t *raw,
    void *arg)
{
	struct seen *k = arg;
	const char *code;

	(void)s;
	if (k->n < 8) {
		snprintf(k->actions[k->n], sizeof k->actions[0], "%s",
		    ev->action);
		snprintf(k->ids[k->n], sizeof k->ids[0], "%s", ev->id);
	}
	k->n++;
	code = json_string_value(json_object_get(json_object_get(
	    json_object_get(raw, "Actor"), "Attributes"), "exitCode"));
	if (code != NULL)
		k->exit_code = atoi(code);
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

/* Filters to this test's label and to start and die of containers. */
static json_t *
filters(const char *tag)
{
	char label[192];
	const char *kv[] = { label, "type=container", "event=start",
	    "event=die", NULL };

	snprintf(label, sizeof label, "label=pier.test.case=%s", tag);
	return (dk_filters(kv));
}

/* Live: start and die of our container, nothing else, then cancel. */
static void
test_live(void)
{
	uv_loop_t loop;
	struct dk_client *c;
	static const char *const cmd[] = { "sh", "-c", "exit 4", NULL };
	struct seen k = { 0 };
	struct dk_stream_cbs cbs = { .on_event = on_event, .on_end = on_end,
	    .arg = &k };
	char tag[160], other_tag[160], *id, *other;
	json_t *f;	/* owned */
	long long t0;

	snprintf(tag, sizeof tag, "%s", dkt_tag("events"));
	snprintf(other_tag, sizeof other_tag, "%s", dkt_tag("events-other"));
	c = dkt_client(&loop);
	t0 = (long long)time(NULL);
	f = filters(tag);
	ASSERT_NOT_NULL(f);
	/* since t0: nothing is missed before the engine subscribes us. */
	ASSERT_OK(dk_events_stream(c, f, t0, 0, &cbs, &k.s));
	/* Another test's container must not show. */
	other = dkt_container(&loop, c, other_tag, NULL,
	    (const char *const *)cmd, 1);
	id = dkt_container(&loop, c, tag, NULL, (const char *const *)cmd, 1);
	RUN_UNTIL(&loop, k.ended || k.n >= 2);
	ASSERT_EQ(k.ended, 0);
	ASSERT_STREQ(k.actions[0], "start");
	ASSERT_STREQ(k.actions[1], "die");
	ASSERT_STREQ(k.ids[0], id);
	ASSERT_STREQ(k.ids[1], id);
	ASSERT_EQ(k.exit_code, 4);
	dk_stream_cancel(k.s);
	RUN_UNTIL(&loop, k.ended);
	ASSERT_EQ(k.status, DK_E_CANCELLED);
	ASSERT_EQ(k.n, 2);

	/* Replayed: since before, until now; the stream ends by itself. */
	memset(&k, 0, sizeof k);
	ASSERT_OK(dk_events_stream(c, f, t0, (long long)time(NULL) + 1,
	    &cbs, &k.s));
	RUN_UNTIL(&loop, k.ended);
	if (k.status != 0)
		FAIL("replay: %s", k.msg);
	ASSERT_EQ(k.n, 2);
	ASSERT_STREQ(k.actions[0], "start");
	ASSERT_STREQ(k.actions[1], "die");
	json_decref(f);

	/* A request the engine refuses ends with its message. */
	memset(&k, 0, sizeof k);
	ASSERT_OK(dk_events_stream(c, NULL, 2000000000, 1000000000, &cbs,
	    &k.s));
	RUN_UNTIL(&loop, k.ended);
	ASSERT_NE(k.status, 0);
	ASSERT_CONTAINS(k.msg, "cannot be after `until` time");
	ASSERT_EQ(k.n, 0);

	dkt_cleanup(&loop, c, tag);
	dkt_cleanup(&loop, c, other_tag);
	free(id);
	free(other);
	dkt_close(&loop, c);
}

/*
 * Last: removes what a failed case of this run left behind (the cases
 * clean up after themselves when they pass).
 */
static void
test_cleanup(void)
{
	static const char *const names[] = { "events", "events-other" };
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

TEST_MAIN(T(test_live), T(test_cleanup))
