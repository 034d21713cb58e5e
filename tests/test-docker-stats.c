/*
 * Stats arithmetic against fixtures: a cgroup v1 sample taken from the
 * test engine (with block I/O and a second interface added), a cgroup v2
 * sample, and an older engine's (no online_cpus, memory "cache" only);
 * then the edge cases: zeros, counters going backwards, wrong types,
 * bad JSON and oversized input.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>

#include "docker.h"
#include "test.h"

/* Loads tests/data/docker/NAME and parses it into st. */
static void
load(const char *name, struct dk_stats *st)
{
	char path[1024], *buf, *cause = NULL;
	size_t len;
	int rc;

	snprintf(path, sizeof path, "%s/tests/data/docker/%s",
	    test_env("PIER_SOURCE_ROOT", "."), name);
	buf = test_read_file(path, &len);
	if (buf == NULL)
		FAIL("cannot read %s", path);
	rc = dk_stats_parse(buf, len, st, &cause);
	free(buf);
	if (rc != 0) {
		printf("# %s: %s\n", name, cause ? cause : "?");
		free(cause);
	}
	ASSERT_OK(rc);
	ASSERT_NULL(cause);
}

/* Asserts two doubles agree to 1e-6. */
#define ASSERT_NEAR(a, b) do {						\
	double x_ = (a), y_ = (b);					\
	if (fabs(x_ - y_) > 1e-6)					\
		FAIL("%s == %s: %.9f != %.9f", #a, #b, x_, y_);		\
} while (0)

/* cgroup v1: total_inactive_file is the page cache left out. */
static void
test_v1(void)
{
	struct dk_stats st;

	load("stats-v1.json", &st);
	ASSERT_STREQ(st.name, "keen_moser");
	ASSERT_EQ(st.online_cpus, 2);
	/* (3911199079 - 3054163559) / (1190350e6 - 1188340e6) * 2 * 100 */
	ASSERT_NEAR(st.cpu_percent, 857035520.0 / 2010000000.0 * 200.0);
	ASSERT_EQ(st.mem_usage, 24162304 - 21893120);
	ASSERT_EQ(st.mem_limit, 25276026880LL);
	ASSERT_NEAR(st.mem_percent, 2269184.0 / 25276026880.0 * 100.0);
	ASSERT_EQ(st.net_rx, 736 + 1000);
	ASSERT_EQ(st.net_tx, 0 + 250);
	ASSERT_EQ(st.blk_read, 4096 + 8192);
	ASSERT_EQ(st.blk_write, 20971520);
	ASSERT_EQ(st.pids, 2);
	ASSERT_STREQ(st.read, "2026-11-22T08:10:30.668140226Z");
}

/* cgroup v2: inactive_file, lowercase block I/O ops. */
static void
test_v2(void)
{
	struct dk_stats st;

	load("stats-v2.json", &st);
	ASSERT_STREQ(st.name, "web");
	ASSERT_EQ(st.online_cpus, 4);
	ASSERT_NEAR(st.cpu_percent, 20.0);
	ASSERT_EQ(st.mem_usage, 52428800 - 33554432);
	ASSERT_NEAR(st.mem_percent, 18.0);
	ASSERT_EQ(st.net_rx, 5123);
	ASSERT_EQ(st.net_tx, 7456);
	ASSERT_EQ(st.blk_read, 1048576 + 4096);
	ASSERT_EQ(st.blk_write, 65536);
	ASSERT_EQ(st.pids, 5);
}

/* Older engines: CPUs from len(percpu_usage), memory minus cache. */
static void
test_old(void)
{
	struct dk_stats st;

	load("stats-old.json", &st);
	ASSERT_EQ(st.online_cpus, 4);
	ASSERT_NEAR(st.cpu_percent, 40.0);
	ASSERT_EQ(st.mem_usage, 6000000);
	ASSERT_NEAR(st.mem_percent, 30.0);
	ASSERT_EQ(st.net_rx, 0);
	ASSERT_EQ(st.pids, 0);
}

/* Parses a literal that must succeed. */
static void
parse_ok(const char *js, struct dk_stats *st)
{
	char *cause = NULL;

	ASSERT_OK(dk_stats_parse(js, strlen(js), st, &cause));
	ASSERT_NULL(cause);
}

/* Zeros, a first sample and counters that went backwards give 0 %. */
static void
test_edges(void)
{
	struct dk_stats st;

	/* A stopped container: almost everything zero or absent. */
	parse_ok("{\"read\":\"0001-01-01T00:00:00Z\",\"pids_stats\":{},"
	    "\"blkio_stats\":{\"io_service_bytes_recursive\":null},"
	    "\"cpu_stats\":{\"cpu_usage\":{\"total_usage\":0},"
	    "\"throttling_data\":{}},\"precpu_stats\":{\"cpu_usage\":"
	    "{\"total_usage\":0}},\"memory_stats\":{},\"name\":\"/x\"}", &st);
	ASSERT_NEAR(st.cpu_percent, 0.0);
	ASSERT_EQ(st.mem_usage, 0);
	ASSERT_NEAR(st.mem_percent, 0.0);
	ASSERT_EQ(st.blk_read, 0);

	/* The first streamed sample has no precpu system usage: 0 %. */
	parse_ok("{\"cpu_stats\":{\"cpu_usage\":{\"total_usage\":100},"
	    "\"system_cpu_usage\":1000,\"online_cpus\":2},"
	    "\"precpu_stats\":{\"cpu_usage\":{\"total_usage\":50}}}", &st);
	ASSERT_NEAR(st.cpu_percent, 50.0 / 1000.0 * 2 * 100);

	/* Counters reset (engine restarted): no negative percent. */
	parse_ok("{\"cpu_stats\":{\"cpu_usage\":{\"total_usage\":10},"
	    "\"system_cpu_usage\":1000,\"online_cpus\":2},"
	    "\"precpu_stats\":{\"cpu_usage\":{\"total_usage\":50},"
	    "\"system_cpu_usage\":900}}", &st);
	ASSERT_NEAR(st.cpu_percent, 0.0);

	/* Cache larger than usage is not subtracted. */
	parse_ok("{\"memory_stats\":{\"usage\":100,\"limit\":1000,"
	    "\"stats\":{\"total_inactive_file\":150}}}", &st);
	ASSERT_EQ(st.mem_usage, 100);
	ASSERT_NEAR(st.mem_percent, 10.0);
	/* Then the next field is tried, as the docker CLI does. */
	parse_ok("{\"memory_stats\":{\"usage\":100,\"limit\":1000,"
	    "\"stats\":{\"total_inactive_file\":150,"
	    "\"inactive_file\":40}}}", &st);
	ASSERT_EQ(st.mem_usage, 60);

	/* Unknown ops and non-object entries in block I/O are ignored. */
	parse_ok("{\"blkio_stats\":{\"io_service_bytes_recursive\":["
	    "{\"op\":\"READ\",\"value\":7},{\"op\":\"Total\",\"value\":9},"
	    "3,{\"value\":1},{\"op\":\"wRiTe\",\"value\":2}]}}", &st);
	ASSERT_EQ(st.blk_read, 7);
	ASSERT_EQ(st.blk_write, 2);
}

/* Wrong types, bad JSON and oversized input are errors with a cause. */
static void
test_errors(void)
{
	static const char *const bad[] = {
		"[1,2,3]",
		"{\"memory_stats\":{\"usage\":\"lots\"}}",
		"{\"memory_stats\":{\"usage\":-5}}",
		"{\"cpu_stats\":{\"online_cpus\":true}}",
		"{\"networks\":{\"eth0\":7}}",
		"{\"networks\":{\"eth0\":{\"rx_bytes\":[1]}}}",
		"{\"blkio_stats\":{\"io_service_bytes_recursive\":{}}}",
		("{\"memory_stats\":{\"usage\":10,\"stats\":"
		    "{\"cache\":\"x\"}}}"),
		"{\"pids_stats\":{\"current\":\"2\"}}",
		"{\"read\":",
		"",
	};
	struct dk_stats st;
	char *cause, *big;
	size_t i;
	int rc;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		rc = dk_stats_parse(bad[i], strlen(bad[i]), &st, &cause);
		if (rc != -EPROTO)
			FAIL("case %zu (%s): rc %d", i, bad[i], rc);
		ASSERT_NOT_NULL(cause);
		ASSERT_CONTAINS(cause, "stats");
		free(cause);
	}
	big = malloc(DK_STATS_MAX + 2);
	ASSERT_NOT_NULL(big);
	memset(big, ' ', DK_STATS_MAX + 2);
	big[0] = '{';
	big[DK_STATS_MAX + 1] = '}';
	cause = NULL;
	rc = dk_stats_parse(big, DK_STATS_MAX + 2, &st, &cause);
	free(big);
	ASSERT_EQ(rc, -EMSGSIZE);
	ASSERT_NOT_NULL(cause);
	free(cause);
	/* A NULL cause is allowed. */
	ASSERT_EQ(dk_stats_parse("[]", 2, &st, NULL), -EPROTO);
}

TEST_MAIN(T(test_v1), T(test_v2), T(test_old), T(test_edges),
    T(test_errors))
