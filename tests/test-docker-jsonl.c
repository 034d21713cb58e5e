/*
 * Line-delimited JSON as the engine streams it: pull progress and events
 * from fixtures, split at every byte boundary; the failed pull's final
 * error object; bad lines, the line bound, a last line without a newline,
 * and a callback that stops the feed.
 */
#include <errno.h>
#include <stdio.h>

#include "docker.h"
#include "test.h"

/* Reads tests/data/docker/NAME (caller frees). */
static char *
fixture(const char *name, size_t *len)
{
	char path[1024], *buf;

	snprintf(path, sizeof path, "%s/tests/data/docker/%s",
	    test_env("PIER_SOURCE_ROOT", "."), name);
	buf = test_read_file(path, len);
	if (buf == NULL)
		FAIL("cannot read %s", path);
	return (buf);
}

/* What a pull consumer saw. */
struct pull_seen {
	int		events;
	int		complete;	/* "Pull complete" messages */
	long long	last_current;	/* of layer 4abcf2066143 */
	long long	last_total;
	int		failed;
	char		*cause;
	char		last_status[128];
};

/* A pull consumer: counts progress, stops at the error. */
static int
on_pull(void *arg, json_t *obj)
{
	struct pull_seen *s = arg;
	struct dk_pull_event ev;
	int rc;

	rc = dk_pull_from_json(obj, &ev, &s->cause);
	if (rc != 0) {
		s->failed++;
		return (rc);
	}
	s->events++;
	if (strcmp(ev.status, "Pull complete") == 0)
		s->complete++;
	if (strcmp(ev.id, "4abcf2066143") == 0 && ev.current >= 0) {
		s->last_current = ev.current;
		s->last_total = ev.total;
	}
	snprintf(s->last_status, sizeof s->last_status, "%s", ev.status);
	return (0);
}

/* Runs a whole fixture cut in two at `cut` through the splitter. */
static int
run_pull(const char *buf, size_t len, size_t cut, struct pull_seen *s)
{
	struct dk_jsonl j;
	int rc;

	memset(s, 0, sizeof *s);
	dk_jsonl_init(&j, 0);
	rc = dk_jsonl_feed(&j, buf, cut, on_pull, s);
	if (rc == 0)
		rc = dk_jsonl_feed(&j, buf + cut, len - cut, on_pull, s);
	if (rc == 0)
		rc = dk_jsonl_finish(&j, on_pull, s);
	dk_jsonl_free(&j);
	return (rc);
}

/* A successful pull: every message, layer progress, at every cut. */
static void
test_pull_ok(void)
{
	struct pull_seen s;
	size_t len, cut;
	char *buf;

	buf = fixture("pull-ok.jsonl", &len);
	for (cut = 0; cut <= len; cut++) {
		if (run_pull(buf, len, cut, &s) != 0) {
			free(buf);
			FAIL("cut %zu failed", cut);
		}
		ASSERT_EQ(s.events, 18);
		ASSERT_EQ(s.complete, 2);
		ASSERT_EQ(s.last_current, 3408729);
		ASSERT_EQ(s.last_total, 3408729);
		ASSERT_EQ(s.failed, 0);
	}
	ASSERT_STREQ(s.last_status,
	    "Status: Downloaded newer image for alpine:3.19");
	free(buf);
}

/* A failed pull ends with the engine's error text, at every cut. */
static void
test_pull_fail(void)
{
	struct pull_seen s;
	size_t len, cut;
	char *buf;
	int rc;

	buf = fixture("pull-fail.jsonl", &len);
	for (cut = 0; cut <= len; cut++) {
		rc = run_pull(buf, len, cut, &s);
		if (rc != -EIO) {
			free(s.cause);
			free(buf);
			FAIL("cut %zu: rc %d", cut, rc);
		}
		ASSERT_EQ(s.events, 3);
		ASSERT_EQ(s.failed, 1);
		ASSERT_CONTAINS(s.cause, "connection reset by peer");
		ASSERT_CONTAINS(s.cause, "->104.18.121.25:443");
		free(s.cause);
	}
	free(buf);
	/* "error" alone, without errorDetail, is a failure too. */
	memset(&s, 0, sizeof s);
	{
		json_t *o = json_pack("{s:s}", "error", "manifest unknown");
		ASSERT_EQ(on_pull(&s, o), -EIO);
		json_decref(o);
	}
	ASSERT_STREQ(s.cause, "manifest unknown");
	free(s.cause);
}

/* What an events consumer saw. */
struct ev_seen {
	int	n;
	char	actions[8][64];
	char	name[128];
	long long time_ns;
};

/* An events consumer. */
static int
on_event(void *arg, json_t *obj)
{
	struct ev_seen *s = arg;
	struct dk_event ev;

	if (dk_event_from_json(obj, &ev) != 0)
		return (-EPROTO);
	if (s->n < 8)
		snprintf(s->actions[s->n], sizeof s->actions[0], "%s",
		    ev.action);
	s->n++;
	snprintf(s->name, sizeof s->name, "%s", ev.name);
	s->time_ns = ev.time_ns;
	if (strcmp(ev.type, "container") != 0 || strlen(ev.id) != 64)
		return (-EPROTO);
	return (0);
}

/* Engine events: four objects, byte by byte. */
static void
test_events(void)
{
	struct dk_jsonl j;
	struct ev_seen s = { 0 };
	size_t len, i;
	char *buf;
	int rc = 0;

	buf = fixture("events.jsonl", &len);
	dk_jsonl_init(&j, 0);
	for (i = 0; i < len && rc == 0; i++)
		rc = dk_jsonl_feed(&j, buf + i, 1, on_event, &s);
	free(buf);
	dk_jsonl_free(&j);
	ASSERT_OK(rc);
	ASSERT_EQ(s.n, 4);
	ASSERT_STREQ(s.actions[0], "create");
	ASSERT_STREQ(s.actions[2], "start");
	ASSERT_STREQ(s.actions[3], "die");
	ASSERT_STREQ(s.name, "great_proskuriakova");
	ASSERT_EQ(s.time_ns, 1795335096740424775LL);
	ASSERT_EQ(j.lines, 4);
	/* Seconds only; and seconds too large for nanoseconds (fuzzing). */
	{
		struct dk_event ev;
		json_t *o = json_pack("{s:I}", "time", (json_int_t)1700000000);

		ASSERT_OK(dk_event_from_json(o, &ev));
		ASSERT_EQ(ev.time_ns, 1700000000LL * 1000000000LL);
		json_decref(o);
		o = json_pack("{s:I}", "time", (json_int_t)179533913416LL);
		ASSERT_OK(dk_event_from_json(o, &ev));
		ASSERT_EQ(ev.time_ns, 0);
		json_decref(o);
	}
}

/* Counts objects. */
static int
count(void *arg, json_t *obj)
{
	(void)obj;
	(*(int *)arg)++;
	return (*(int *)arg == 100 ? 7 : 0);
}

/* Bad lines, the bound, blank lines, CRLF, a last unterminated line. */
static void
test_edges(void)
{
	struct dk_jsonl j;
	char big[200];
	int n = 0;

	dk_jsonl_init(&j, 0);
	ASSERT_OK(dk_jsonl_feed(&j, "\n\r\n{\"a\":1}\r\n  \n{\"b\"", 19,
	    count, &n));
	ASSERT_EQ(n, 1);
	ASSERT_OK(dk_jsonl_feed(&j, ":2}", 3, count, &n));
	ASSERT_EQ(n, 1);
	ASSERT_OK(dk_jsonl_finish(&j, count, &n));
	ASSERT_EQ(n, 2);
	ASSERT_EQ(dk_jsonl_feed(&j, "[1]\n", 4, count, &n), -EPROTO);
	ASSERT_EQ(dk_jsonl_feed(&j, "{}\n", 3, count, &n), -EPROTO);
	dk_jsonl_free(&j);

	dk_jsonl_init(&j, 0);
	ASSERT_EQ(dk_jsonl_feed(&j, "{\"a\":\n", 6, count, &n), -EPROTO);
	dk_jsonl_free(&j);

	/* The bound holds whether the line comes whole or in pieces. */
	memset(big, ' ', sizeof big);
	big[0] = '{';
	big[99] = '}';
	big[100] = '\n';
	dk_jsonl_init(&j, 99);
	ASSERT_EQ(dk_jsonl_feed(&j, big, 101, count, &n), -EMSGSIZE);
	dk_jsonl_free(&j);
	dk_jsonl_init(&j, 99);
	ASSERT_OK(dk_jsonl_feed(&j, big, 50, count, &n));
	ASSERT_EQ(dk_jsonl_feed(&j, big + 50, 51, count, &n), -EMSGSIZE);
	ASSERT_LE(j.cap, 99);
	dk_jsonl_free(&j);
	dk_jsonl_init(&j, 100);
	ASSERT_OK(dk_jsonl_feed(&j, big, 50, count, &n));
	ASSERT_OK(dk_jsonl_feed(&j, big + 50, 51, count, &n));
	dk_jsonl_free(&j);

	/* A callback's nonzero value stops the feed and comes back. */
	n = 98;
	dk_jsonl_init(&j, 0);
	ASSERT_EQ(dk_jsonl_feed(&j, "{}\n{}\n{}\n", 9, count, &n), 7);
	ASSERT_EQ(n, 100);
	ASSERT_EQ(j.consumed, 6);	/* up to the end of that line */
	n = 0;
	ASSERT_OK(dk_jsonl_feed(&j, "{}\n{", 4, count, &n));
	ASSERT_EQ(j.consumed, 4);	/* a partial line is taken, kept */
	dk_jsonl_free(&j);
}

TEST_MAIN(T(test_pull_ok), T(test_pull_fail), T(test_events),
    T(test_edges))
