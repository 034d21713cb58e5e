/*
 * Unit tests of the container model's rows (node/model-row.c): the
 * engine's time stamps, its HumanDuration at each boundary, the status
 * text of every state as the engine's list words it, the label filter,
 * and the memory one container takes in the model, measured over 1,000
 * of them shaped like the engine's summaries.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "node.h"

#if defined(__SANITIZE_ADDRESS__)
/* From ASan's allocator: bytes allocated and not freed (no quarantine). */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

#define NS		1000000000LL
#define NCTRS		1000
#define MEM_PER_CTR	4096	/* bound on heap bytes per container */

/* Bytes the allocator has handed out and not had back. */
static long
heap_bytes(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return ((long)__sanitizer_get_current_allocated_bytes());
#else
	return ((long)mallinfo2().uordblks);
#endif
}

/* The engine's times, its zero time and what does not parse. */
static void
test_parse_time(void)
{
	ASSERT_EQ(node_model_parse_time("1970-01-01T00:00:01Z"), NS);
	ASSERT_EQ(node_model_parse_time("2026-12-06T13:01:02.5Z"),
	    1796562062LL * NS + NS / 2);
	ASSERT_EQ(node_model_parse_time("2026-12-06T13:01:02.123456789Z"),
	    1796562062LL * NS + 123456789);
	ASSERT_EQ(node_model_parse_time("2026-12-06T14:01:02+01:00"),
	    1796562062LL * NS);
	ASSERT_EQ(node_model_parse_time("0001-01-01T00:00:00Z"), 0);
	ASSERT_EQ(node_model_parse_time("yesterday"), 0);
	ASSERT_EQ(node_model_parse_time(NULL), 0);
}

/* go-units' HumanDuration at each of its boundaries. */
static void
test_human_duration(void)
{
	static const struct {
		long long	 s;
		const char	*want;
	} cases[] = {
		{ 0, "Less than a second" }, { 1, "1 second" },
		{ 59, "59 seconds" }, { 60, "About a minute" },
		{ 119, "About a minute" }, { 120, "2 minutes" },
		{ 3599, "59 minutes" }, { 3600, "About an hour" },
		{ 5399, "About an hour" }, { 5400, "2 hours" },
		{ 47 * 3600, "47 hours" }, { 48 * 3600, "2 days" },
		{ 14 * 86400 - 3600, "13 days" }, { 14 * 86400, "2 weeks" },
		{ 60 * 86400, "2 months" }, { 730 * 86400, "2 years" },
	};
	char	 buf[64];
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		node_model_human_duration(cases[i].s * NS, buf, sizeof(buf));
		ASSERT_STREQ(buf, cases[i].want);
	}
	node_model_human_duration(NS / 2, buf, sizeof(buf));
	ASSERT_STREQ(buf, "Less than a second");
	node_model_human_duration(-5 * NS, buf, sizeof(buf));
	ASSERT_STREQ(buf, "Less than a second");
}

/* A summary with the model's keys set from an inspect's State. */
static json_t *
row(const char *status, const char *started, const char *finished,
    int code, const char *health)
{
	json_t	*c, *sum, *st, *cr;	/* owned */

	c = json_pack("{s:s, s:[s], s:s, s:I, s:{s:s}, s:s, s:s}",
	    "Id", "0123456789abcdef", "Names", "/web", "Image", "busybox",
	    "Created", (json_int_t)1796562000, "Labels", "tier", "front",
	    "State", "x", "Status", "x");
	sum = node_model_summary(c);
	st = json_pack("{s:s, s:s, s:s, s:i}", "Status", status, "StartedAt",
	    started, "FinishedAt", finished, "ExitCode", code);
	if (health != NULL)
		(void)json_object_set_new(st, "Health", json_pack("{s:s}",
		    "Status", health));
	cr = json_string("2026-12-06T13:00:00Z");
	node_model_set_state(sum, st, cr);
	json_decref(cr);
	json_decref(st);
	json_decref(c);
	return (sum);
}

/* The status text of each state, as the engine's list words it. */
static void
test_status(void)
{
	static const char *const zero = "0001-01-01T00:00:00Z";
	const char	*t0 = "2026-12-06T13:00:00Z";
	int64_t		 now = 1796562000LL * NS + 300 * NS;
	char		 buf[128];
	json_t		*s;	/* owned */

	s = row("running", t0, zero, 0, NULL);
	node_model_status(s, now, buf, sizeof(buf));
	ASSERT_STREQ(buf, "Up 5 minutes");
	ASSERT(node_model_is_running(s));
	node_model_stamp_status(s, now);
	ASSERT_STREQ(json_string_value(json_object_get(s, "State")),
	    "running");
	ASSERT_STREQ(json_string_value(json_object_get(s, "Status")),
	    "Up 5 minutes");
	json_decref(s);
	s = row("running", t0, zero, 0, "starting");
	node_model_status(s, now, buf, sizeof(buf));
	ASSERT_STREQ(buf, "Up 5 minutes (health: starting)");
	json_decref(s);
	s = row("running", t0, zero, 0, "unhealthy");
	node_model_status(s, now, buf, sizeof(buf));
	ASSERT_STREQ(buf, "Up 5 minutes (unhealthy)");
	json_decref(s);
	s = row("paused", t0, zero, 0, "healthy");
	node_model_status(s, now, buf, sizeof(buf));
	ASSERT_STREQ(buf, "Up 5 minutes (Paused)");
	ASSERT(node_model_is_running(s));
	json_decref(s);
	s = row("exited", t0, "2026-12-06T13:04:00Z", 137, NULL);
	node_model_status(s, now, buf, sizeof(buf));
	ASSERT_STREQ(buf, "Exited (137) About a minute ago");
	ASSERT(!node_model_is_running(s));
	json_decref(s);
	s = row("restarting", t0, "2026-12-06T13:04:58Z", 1, NULL);
	node_model_status(s, now, buf, sizeof(buf));
	ASSERT_STREQ(buf, "Restarting (1) 2 seconds ago");
	json_decref(s);
	s = row("created", zero, zero, 0, NULL);
	node_model_status(s, now, buf, sizeof(buf));
	ASSERT_STREQ(buf, "Created");
	json_decref(s);
	s = row("dead", t0, t0, 0, NULL);
	node_model_status(s, now, buf, sizeof(buf));
	ASSERT_STREQ(buf, "Dead");
	json_decref(s);
	s = row("removing", t0, t0, 0, NULL);
	node_model_status(s, now, buf, sizeof(buf));
	ASSERT_STREQ(buf, "Removal In Progress");
	ASSERT_EQ(node_model_created_ns(s), 1796562000LL * NS);
	json_decref(s);
}

/* Label filters: a key, a key and its value, every one of them. */
static void
test_labels(void)
{
	json_t	*s, *l;	/* owned */

	s = row("running", "2026-12-06T13:00:00Z", "", 0, NULL);
	l = json_pack("[s]", "tier");
	ASSERT(node_model_has_labels(s, l));
	json_decref(l);
	l = json_pack("[s, s]", "tier=front", "tier");
	ASSERT(node_model_has_labels(s, l));
	json_decref(l);
	l = json_pack("[s]", "tier=back");
	ASSERT(!node_model_has_labels(s, l));
	json_decref(l);
	l = json_pack("[s, s]", "tier", "app");
	ASSERT(!node_model_has_labels(s, l));
	json_decref(l);
	ASSERT(node_model_has_labels(s, NULL));
	json_decref(s);
}

/*
 * One engine summary as GET /containers/json gives it, with what the
 * model drops (HostConfig, NetworkSettings, Mounts) (new reference).
 */
static json_t *
engine_summary(int i)
{
	char	 id[65], name[32];

	snprintf(id, sizeof(id), "%064x", i);
	snprintf(name, sizeof(name), "/bench-%d", i);
	return (json_pack("{s:s, s:[s], s:s, s:s, s:s, s:I, s:[], "
	    "s:{s:s, s:s}, s:s, s:s, s:{s:s}, s:{s:{s:{s:s, s:s, s:s}}}, "
	    "s:[]}",
	    "Id", id, "Names", name, "Image", "pier-test/busybox:latest",
	    "ImageID", "sha256:bb594be87f585509680681c2a9b554f708485692319484"
	    "c61e28e6de152c1a61", "Command", "sleep 3600",
	    "Created", (json_int_t)1796562000 + i, "Ports",
	    "Labels", "pier.bench", "1", "pier.bench.run", "12345",
	    "State", "running", "Status", "Up 5 minutes",
	    "HostConfig", "NetworkMode", "default",
	    "NetworkSettings", "Networks", "bridge", "NetworkID",
	    "0123456789abcdef0123456789abcdef", "IPAddress", "172.17.0.2",
	    "MacAddress", "02:42:ac:11:00:02", "Mounts"));
}

/* The heap one container takes in the model, over NCTRS of them. */
static void
test_memory(void)
{
	json_t	*ctrs, *c, *sum, *st, *created;	/* owned */
	long	 before, per;
	char	 id[65];
	int	 i;

	st = json_pack("{s:s, s:s, s:s, s:i}", "Status", "running",
	    "StartedAt", "2026-12-06T13:00:00.123456789Z", "FinishedAt",
	    "0001-01-01T00:00:00Z", "ExitCode", 0);
	created = json_string("2026-12-06T12:59:59.987654321Z");
	before = heap_bytes();
	ctrs = json_object();
	for (i = 0; i < NCTRS; i++) {
		c = engine_summary(i);
		sum = node_model_summary(c);
		json_decref(c);
		ASSERT(sum != NULL);
		node_model_set_state(sum, st, created);
		(void)json_object_set_new(sum, "_op", json_integer(i + 1));
		node_model_stamp_status(sum, node_model_now_ns());
		snprintf(id, sizeof(id), "%064x", i);
		ASSERT_EQ(json_object_set_new(ctrs, id, sum), 0);
	}
	per = (heap_bytes() - before) / NCTRS;
	printf("# %d containers: %ld bytes of heap each\n", NCTRS, per);
	ASSERT(per > 0 && per < MEM_PER_CTR);
	json_decref(ctrs);
	json_decref(st);
	json_decref(created);
}

TEST_MAIN(
	T(test_parse_time),
	T(test_human_duration),
	T(test_status),
	T(test_labels),
	T(test_memory)
)
