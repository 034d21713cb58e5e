/*
 * Tests of tools/pier/humanize.c against docker's own known outputs: the
 * cases of go-units' tests (HumanSize, BytesSize, HumanDuration and its
 * thresholds, RAMInBytes), docker's formatter tests of the PORTS column,
 * the engine's status words, and docker logs' --since forms.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test.h"
#include "cli-out.h"

#define KB	1000.0
#define MB	(1000.0 * KB)
#define GB	(1000.0 * MB)
#define TB	(1000.0 * GB)
#define PB	(1000.0 * TB)
#define KIB	1024.0
#define MIB	(1024.0 * KIB)
#define GIB	(1024.0 * MIB)
#define TIB	(1024.0 * GIB)
#define PIB	(1024.0 * TIB)

#define MINUTE	60
#define HOUR	(60 * MINUTE)
#define DAY	(24 * HOUR)

/* Decimal sizes: HumanSize (4 digits) and docker ps/images (3 digits). */
static void
test_size(void)
{
	static const struct {
		double		 v;
		int		 prec;
		const char	*want;
	} cases[] = {
		{ 0, 4, "0B" }, { 999, 4, "999B" }, { 1000, 4, "1kB" },
		{ 1024, 4, "1.024kB" }, { 1000000, 4, "1MB" },
		{ 1048576, 4, "1.049MB" }, { 2 * MB, 4, "2MB" },
		{ 3.42 * GB, 4, "3.42GB" }, { 5.372 * TB, 4, "5.372TB" },
		{ 2.22 * PB, 4, "2.22PB" }, { 1e28, 4, "1e+04YB" },
		{ 1980000, 3, "1.98MB" }, { 512000, 3, "512kB" },
		{ 1983251, 3, "1.98MB" }, { 4.864e6, 3, "4.86MB" },
		{ 72.8e6, 3, "72.8MB" }, { 0, 3, "0B" },
		{ 12345678, 4, "12.35MB" },
	};
	char buf[CLI_HUMAN_LEN];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		(void)cli_human_size(buf, cases[i].v, cases[i].prec);
		if (strcmp(buf, cases[i].want) != 0)
			FAIL("size(%g, %d) = %s, want %s", cases[i].v,
			    cases[i].prec, buf, cases[i].want);
	}
}

/* Binary sizes: BytesSize, as docker stats prints memory. */
static void
test_bytes(void)
{
	static const struct {
		double		 v;
		const char	*want;
	} cases[] = {
		{ 0, "0B" }, { 1023, "1023B" }, { 1024, "1KiB" },
		{ 1024 * 1024, "1MiB" }, { 1048576, "1MiB" },
		{ 2 * MIB, "2MiB" }, { 3.42 * GIB, "3.42GiB" },
		{ 5.372 * TIB, "5.372TiB" }, { 2.22 * PIB, "2.22PiB" },
		{ 1.5 * MIB, "1.5MiB" }, { 7.773 * GIB, "7.773GiB" },
		{ 524288, "512KiB" },
	};
	char buf[CLI_HUMAN_LEN];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		(void)cli_human_bytes(buf, cases[i].v);
		if (strcmp(buf, cases[i].want) != 0)
			FAIL("bytes(%g) = %s, want %s", cases[i].v, buf,
			    cases[i].want);
	}
}

/* HumanDuration, at and around each threshold. */
static void
test_duration(void)
{
	static const struct {
		int64_t		 s;
		const char	*want;
	} cases[] = {
		{ -5, "Less than a second" }, { 0, "Less than a second" },
		{ 1, "1 second" }, { 2, "2 seconds" }, { 59, "59 seconds" },
		{ 60, "About a minute" }, { 119, "About a minute" },
		{ 120, "2 minutes" }, { 3 * MINUTE, "3 minutes" },
		{ 59 * MINUTE + 59, "59 minutes" },
		{ HOUR, "About an hour" },
		{ HOUR + 29 * MINUTE + 59, "About an hour" },
		{ HOUR + 30 * MINUTE, "2 hours" }, { 3 * HOUR, "3 hours" },
		{ 47 * HOUR, "47 hours" },
		{ 47 * HOUR + 29 * MINUTE + 59, "47 hours" },
		{ 47 * HOUR + 30 * MINUTE, "2 days" }, { 48 * HOUR, "2 days" },
		{ 13 * DAY, "13 days" }, { 14 * DAY - 31 * MINUTE, "13 days" },
		{ 14 * DAY, "2 weeks" }, { 21 * DAY, "3 weeks" },
		{ 30 * DAY, "4 weeks" }, { 59 * DAY, "8 weeks" },
		{ 60 * DAY, "2 months" }, { 5 * 30 * DAY, "5 months" },
		{ 365 * DAY, "12 months" }, { 729 * DAY, "24 months" },
		{ 730 * DAY, "2 years" }, { 3 * 365 * DAY, "3 years" },
		{ 10 * 365 * DAY + 5 * DAY, "10 years" },
	};
	char buf[CLI_HUMAN_LEN];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		(void)cli_human_duration(buf, cases[i].s);
		if (strcmp(buf, cases[i].want) != 0)
			FAIL("duration(%lld) = %s, want %s",
			    (long long)cases[i].s, buf, cases[i].want);
	}
	ASSERT_STREQ(cli_human_ago(buf, 1000, 1000 + 5 * MINUTE),
	    "5 minutes ago");
	ASSERT_STREQ(cli_human_ago(buf, 1000, 1000), "Less than a second ago");
	ASSERT_STREQ(cli_human_ago(buf, 0, 35 * MINUTE), "35 minutes ago");
}

/* The STATUS column as the engine words it. */
static void
test_status(void)
{
	const int64_t now = 1700000000;
	char buf[CLI_HUMAN_LEN];
	struct cli_cstate st;

	memset(&st, 0, sizeof st);
	st.state = "running";
	st.started = now - 3 * HOUR;
	ASSERT_STREQ(cli_human_status(buf, &st, now), "Up 3 hours");
	st.health = "healthy";
	ASSERT_STREQ(cli_human_status(buf, &st, now), "Up 3 hours (healthy)");
	st.health = "unhealthy";
	ASSERT_STREQ(cli_human_status(buf, &st, now),
	    "Up 3 hours (unhealthy)");
	st.health = "starting";
	st.started = now - 10;
	ASSERT_STREQ(cli_human_status(buf, &st, now),
	    "Up 10 seconds (health: starting)");
	st.health = "none";
	st.started = now;
	ASSERT_STREQ(cli_human_status(buf, &st, now),
	    "Up Less than a second");
	st.health = NULL;
	st.state = "paused";
	st.started = now - 2 * DAY;
	ASSERT_STREQ(cli_human_status(buf, &st, now), "Up 2 days (Paused)");
	st.state = "restarting";
	st.exit_code = 1;
	st.finished = now - 5;
	ASSERT_STREQ(cli_human_status(buf, &st, now),
	    "Restarting (1) 5 seconds ago");
	st.state = "exited";
	st.exit_code = 0;
	st.finished = now - 2 * MINUTE;
	ASSERT_STREQ(cli_human_status(buf, &st, now),
	    "Exited (0) 2 minutes ago");
	st.exit_code = 137;
	st.finished = now - 3 * 7 * DAY;
	ASSERT_STREQ(cli_human_status(buf, &st, now),
	    "Exited (137) 3 weeks ago");
	st.finished = 0;
	ASSERT_STREQ(cli_human_status(buf, &st, now), "");
	st.started = 0;
	ASSERT_STREQ(cli_human_status(buf, &st, now), "Created");
	st.state = "created";
	ASSERT_STREQ(cli_human_status(buf, &st, now), "Created");
	st.state = "dead";
	ASSERT_STREQ(cli_human_status(buf, &st, now), "Dead");
	st.state = "removing";
	ASSERT_STREQ(cli_human_status(buf, &st, now), "Removal In Progress");
}

/* Compares the PORTS column of ports with want. */
static void
check_ports(const struct cli_port *p, size_t n, const char *want)
{
	char *s;

	s = cli_human_ports(p, n);
	ASSERT_NOT_NULL(s);
	if (strcmp(s, want) != 0) {
		FAIL("ports = \"%s\", want \"%s\"", s, want);
	}
	free(s);
}

/* The PORTS column: docker's formatter test cases. */
static void
test_ports(void)
{
	static const struct cli_port p1[] = { { NULL, 9988, 0, "tcp" } };
	static const struct cli_port p2[] = { { "0.0.0.0", 9988, 0, "tcp" } };
	static const struct cli_port p3[] = { { NULL, 9988, 8899, "tcp" } };
	static const struct cli_port p4[] = {
	    { "4.3.2.1", 9988, 8899, "tcp" } };
	static const struct cli_port p5[] = {
	    { "4.3.2.1", 9988, 9988, "tcp" } };
	static const struct cli_port p6[] = { { "", 9988, 0, "udp" },
	    { "", 9988, 0, "udp" } };
	static const struct cli_port p7[] = {
	    { "1.2.3.4", 9998, 9998, "udp" },
	    { "1.2.3.4", 9999, 9999, "udp" } };
	static const struct cli_port p8[] = {
	    { "1.2.3.4", 9998, 8887, "udp" },
	    { "1.2.3.4", 9999, 8888, "udp" } };
	static const struct cli_port p9[] = { { "", 9999, 0, "udp" },
	    { "", 9998, 0, "udp" } };
	static const struct cli_port p10[] = {
	    { "1.2.3.4", 6677, 7766, "tcp" }, { "", 9988, 8899, "udp" } };
	static const struct cli_port p11[] = {
	    { "1.2.3.4", 9988, 8899, "udp" }, { "1.2.3.4", 9988, 8899, "tcp" },
	    { "4.3.2.1", 2233, 3322, "tcp" } };
	static const struct cli_port p12[] = {
	    { "", 80, 0, "tcp" }, { "", 1024, 0, "tcp" },
	    { "", 80, 0, "udp" }, { "", 1024, 0, "udp" },
	    { "1.1.1.1", 1024, 80, "tcp" }, { "1.1.1.1", 1024, 80, "udp" },
	    { "1.1.1.1", 80, 1024, "tcp" }, { "1.1.1.1", 80, 1024, "udp" },
	    { "2.1.1.1", 1024, 80, "tcp" }, { "2.1.1.1", 1024, 80, "udp" },
	    { "2.1.1.1", 80, 1024, "tcp" }, { "2.1.1.1", 80, 1024, "udp" },
	    { "", 12345, 0, "sctp" } };
	/* -p 8080:80 on a dual-stack engine, plus an exposed 443. */
	static const struct cli_port p13[] = {
	    { "0.0.0.0", 80, 8080, "tcp" }, { "::", 80, 8080, "tcp" },
	    { "", 443, 0, "tcp" } };
	/* A range published as such, and a gap splitting a range. */
	static const struct cli_port p14[] = {
	    { "0.0.0.0", 8000, 8000, "tcp" }, { "0.0.0.0", 8001, 8001, "tcp" },
	    { "0.0.0.0", 8002, 8002, "tcp" }, { "", 5000, 0, "tcp" },
	    { "", 5001, 0, "tcp" }, { "", 5003, 0, "tcp" } };

	check_ports(p1, 0, "");
	check_ports(p1, 1, "9988/tcp");
	check_ports(p2, 1, "0.0.0.0:0->9988/tcp");
	check_ports(p3, 1, "9988/tcp");
	check_ports(p4, 1, "4.3.2.1:8899->9988/tcp");
	check_ports(p5, 1, "4.3.2.1:9988->9988/tcp");
	check_ports(p6, 2, "9988/udp, 9988/udp");
	check_ports(p7, 2, "1.2.3.4:9998-9999->9998-9999/udp");
	check_ports(p8, 2, "1.2.3.4:8887->9998/udp, 1.2.3.4:8888->9999/udp");
	check_ports(p9, 2, "9998-9999/udp");
	check_ports(p10, 2, "9988/udp, 1.2.3.4:7766->6677/tcp");
	check_ports(p11, 3, "4.3.2.1:3322->2233/tcp, 1.2.3.4:8899->9988/tcp, "
	    "1.2.3.4:8899->9988/udp");
	check_ports(p12, 13, "80/tcp, 80/udp, 1024/tcp, 1024/udp, 12345/sctp, "
	    "1.1.1.1:1024->80/tcp, 1.1.1.1:1024->80/udp, "
	    "2.1.1.1:1024->80/tcp, 2.1.1.1:1024->80/udp, "
	    "1.1.1.1:80->1024/tcp, 1.1.1.1:80->1024/udp, "
	    "2.1.1.1:80->1024/tcp, 2.1.1.1:80->1024/udp");
	check_ports(p13, 3,
	    "443/tcp, 0.0.0.0:8080->80/tcp, :::8080->80/tcp");
	check_ports(p14, 6, "5000-5001/tcp, 5003/tcp, "
	    "0.0.0.0:8000-8002->8000-8002/tcp");
}

/* The PORTS column from the engine's JSON and from ours. */
static void
test_ports_json(void)
{
	json_t *a;
	char *s;

	a = json_loads("[{\"IP\":\"0.0.0.0\",\"PrivatePort\":80,"
	    "\"PublicPort\":8080,\"Type\":\"tcp\"},"
	    "{\"IP\":\"::\",\"PrivatePort\":80,\"PublicPort\":8080,"
	    "\"Type\":\"tcp\"},{\"PrivatePort\":443,\"Type\":\"tcp\"},"
	    "{\"private_port\":53,\"type\":\"udp\"},"
	    "{\"container_port\":9000,\"host_port\":9001,"
	    "\"host_ip\":\"127.0.0.1\",\"protocol\":\"tcp\"},"
	    "\"junk\",{\"PrivatePort\":\"80\"},{\"PrivatePort\":70000}]",
	    0, NULL);
	ASSERT_NOT_NULL(a);
	s = cli_human_ports_json(a);
	ASSERT_STREQ(s, "53/udp, 443/tcp, 0.0.0.0:8080->80/tcp, "
	    ":::8080->80/tcp, 127.0.0.1:9001->9000/tcp");
	free(s);
	json_decref(a);
	s = cli_human_ports_json(NULL);
	ASSERT_STREQ(s, "");
	free(s);

	/*
	 * The engine's own list for -p 18080:80 -p 18000-18002:8000-8002
	 * --expose 443, in its order. docker 28 printed the same, writing
	 * the IPv6 address as [::] where docker 20.10 writes ::.
	 */
	a = json_loads("[{\"IP\": \"0.0.0.0\", \"PrivatePort\": 8001, "
	    "\"PublicPort\": 18001, \"Type\": \"tcp\"}, {\"IP\": \"::\", "
	    "\"PrivatePort\": 8001, \"PublicPort\": 18001, \"Type\": \"tcp\"}, "
	    "{\"IP\": \"0.0.0.0\", \"PrivatePort\": 8002, \"PublicPort\": "
	    "18002, \"Type\": \"tcp\"}, {\"IP\": \"::\", \"PrivatePort\": "
	    "8002, \"PublicPort\": 18002, \"Type\": \"tcp\"}, {\"PrivatePort\":"
	    " 443, \"Type\": \"tcp\"}, {\"IP\": \"0.0.0.0\", \"PrivatePort\": "
	    "80, \"PublicPort\": 18080, \"Type\": \"tcp\"}, {\"IP\": \"::\", "
	    "\"PrivatePort\": 80, \"PublicPort\": 18080, \"Type\": \"tcp\"}, "
	    "{\"IP\": \"0.0.0.0\", \"PrivatePort\": 8000, \"PublicPort\": "
	    "18000, \"Type\": \"tcp\"}, {\"IP\": \"::\", \"PrivatePort\": "
	    "8000, \"PublicPort\": 18000, \"Type\": \"tcp\"}]", 0, NULL);
	ASSERT_NOT_NULL(a);
	s = cli_human_ports_json(a);
	ASSERT_STREQ(s, "443/tcp, 0.0.0.0:18080->80/tcp, :::18080->80/tcp, "
	    "0.0.0.0:18000->8000/tcp, :::18000->8000/tcp, "
	    "0.0.0.0:18001->8001/tcp, :::18001->8001/tcp, "
	    "0.0.0.0:18002->8002/tcp, :::18002->8002/tcp");
	free(s);
	json_decref(a);
}

/* Percents and short ids. */
static void
test_percent_id(void)
{
	char buf[CLI_HUMAN_LEN], id[CLI_SHORT_ID + 1];

	ASSERT_STREQ(cli_human_percent(buf, 0), "0.00%");
	ASSERT_STREQ(cli_human_percent(buf, 12.3456), "12.35%");
	ASSERT_STREQ(cli_human_percent(buf, 199.999), "200.00%");
	ASSERT_STREQ(cli_human_percent(buf, 0.004), "0.00%");
	ASSERT_STREQ(cli_human_percent(buf, -1), "--");
	ASSERT_STREQ(cli_human_percent(buf, 0.0 / 0.0), "--");
	ASSERT_STREQ(cli_short_id(id, "sha256:545484dd17f0ab12cd34"),
	    "545484dd17f0");
	ASSERT_STREQ(cli_short_id(id, "4c01db0b339c1b1f6c7b"),
	    "4c01db0b339c");
	ASSERT_STREQ(cli_short_id(id, "abc"), "abc");
	ASSERT_STREQ(cli_short_id(id, ""), "");
}

/* --memory: RAMInBytes' cases. */
static void
test_parse_size(void)
{
	static const struct {
		const char	*in;
		int64_t		 want;
	} ok[] = {
		{ "32", 32 }, { "32b", 32 }, { "32B", 32 }, { "32k", 32768 },
		{ "32K", 32768 }, { "32kb", 32768 }, { "32Kb", 32768 },
		{ "32Mb", 32LL << 20 }, { "32Gb", 32LL << 30 },
		{ "32Tb", 32LL << 40 }, { "32Pb", 32LL << 50 },
		{ "32PB", 32LL << 50 }, { "32P", 32LL << 50 },
		{ "512m", 512LL << 20 }, { "1g", 1LL << 30 },
		{ "1.5GiB", 3LL << 29 }, { "1 KiB", 1024 }, { "0.5k", 512 },
		{ "1e3", 1000 }, { "6m", 6LL << 20 }, { "0", 0 },
	};
	static const char *const bad[] = {
		"", "hello", "-32", " 32 ", "32m b", "32bm", "1kk", "1x",
		"32.3.1m", "1kibb", "m", ".", "9999999999999p",
	};
	int64_t v;
	char *cause;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = -1;
		if (cli_parse_size(ok[i].in, &v, NULL) != 0 || v != ok[i].want)
			FAIL("parse_size(\"%s\") = %lld, want %lld", ok[i].in,
			    (long long)v, (long long)ok[i].want);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cause = NULL;
		if (cli_parse_size(bad[i], &v, &cause) != -EINVAL)
			FAIL("parse_size(\"%s\") accepted", bad[i]);
		ASSERT_NOT_NULL(cause);
		free(cause);
	}
	ASSERT_EQ(cli_parse_size("1kk", &v, &cause), -EINVAL);
	ASSERT_STREQ(cause, "invalid suffix: 'kk'");
	free(cause);
	ASSERT_EQ(cli_parse_size("hello", &v, &cause), -EINVAL);
	ASSERT_STREQ(cause, "invalid size: 'hello'");
	free(cause);
}

/* --cpus: exact NanoCpus. */
static void
test_parse_cpus(void)
{
	static const struct {
		const char	*in;
		int64_t		 want;
	} ok[] = {
		{ "1.5", 1500000000 }, { "0.5", 500000000 },
		{ "2", 2000000000 }, { ".5", 500000000 }, { "1.", 1000000000 },
		{ "0.000000001", 1 }, { "1.0000000000", 1000000000 },
		{ "0.01", 10000000 }, { "0.1", 100000000 },
		{ "1024", 1024000000000LL }, { "0", 0 },
	};
	static const char *const bad[] = {
		"", ".", "abc", "-1", "1e3", "1.5x", "1,5", "0.0000000001",
		"99999999999",
	};
	int64_t v;
	char *cause;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = -1;
		if (cli_parse_cpus(ok[i].in, &v, NULL) != 0 || v != ok[i].want)
			FAIL("parse_cpus(\"%s\") = %lld, want %lld", ok[i].in,
			    (long long)v, (long long)ok[i].want);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cause = NULL;
		if (cli_parse_cpus(bad[i], &v, &cause) != -EINVAL)
			FAIL("parse_cpus(\"%s\") accepted", bad[i]);
		ASSERT_NOT_NULL(cause);
		free(cause);
	}
	ASSERT_EQ(cli_parse_cpus("0.0000000001", &v, &cause), -EINVAL);
	ASSERT_CONTAINS(cause, "too precise");
	free(cause);
}

/* Go durations. */
static void
test_parse_duration(void)
{
	static const struct {
		const char	*in;
		int64_t		 want;
	} ok[] = {
		{ "0", 0 }, { "10m", 600000000000LL },
		{ "2h", 7200000000000LL },
		{ "1h30m", 5400000000000LL }, { "1.5s", 1500000000 },
		{ "300ms", 300000000 }, { "1us", 1000 },
		{ "1\xc2\xb5s", 1000 }, { "1\xce\xbcs", 1000 }, { "5ns", 5 },
		{ "-5s", -5000000000LL }, { "+5s", 5000000000LL },
		{ ".5m", 30000000000LL }, { "1.m", 60000000000LL },
		{ "2h45m30.5s", 9930500000000LL },
		{ "2562047h", 2562047LL * 3600 * 1000000000 },
	};
	static const char *const bad[] = {
		"", "10", "1x", "m", ".s", "1h 2m", "-", "1m2", "3000000h",
		"9223372036854775808ns",
	};
	int64_t v;
	char *cause;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = -1;
		if (cli_parse_duration(ok[i].in, &v, NULL) != 0 ||
		    v != ok[i].want)
			FAIL("parse_duration(\"%s\") = %lld, want %lld",
			    ok[i].in, (long long)v, (long long)ok[i].want);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cause = NULL;
		if (cli_parse_duration(bad[i], &v, &cause) != -EINVAL)
			FAIL("parse_duration(\"%s\") accepted", bad[i]);
		ASSERT_NOT_NULL(cause);
		free(cause);
	}
}

/* --since/--until: durations, RFC 3339, unix seconds. */
static void
test_parse_time(void)
{
	const int64_t s = 1000000000, now = 1700000000 * s;
	const int64_t t0 = 1795334400 * s;	/* 2026-11-22T08:00:00Z */
	static const char *const bad[] = {
		"", "yesterday", "2026-13-01", "2026-02-29", "2026-11-31",
		"2026-11-22T25:00:00Z", "2026-11-22T08:60Z",
		"2026-11-22T08:00:61Z",
		"2026-11-22 08:00:00", "2026-11-22T08:00:00+0200",
		"2026-11-22T08:00:00.Z", "2026-11-22T08:00:00.1234567890Z",
		"1700000000.", "1700000000.1234567891", "-1", "17e8",
		"2026-11-22T08:00:00Zjunk", "1m2", "2026-11-22T08.5Z",
		"2026-11-22T08:00.5Z", "2026-11-22T8:00Z", "2026-11-22T",
		"2026-11-22T08:00:00+2:00", "2026-11-22T08:00:00+24:00",
	};
	char *old_tz, *cause;
	int64_t v;
	size_t i;

	ASSERT_OK(cli_parse_time("10m", now, &v, NULL));
	ASSERT_EQ(v, now - 600 * s);
	ASSERT_OK(cli_parse_time("2h", now, &v, NULL));
	ASSERT_EQ(v, now - 7200 * s);
	ASSERT_OK(cli_parse_time("-1h", now, &v, NULL));
	ASSERT_EQ(v, now + 3600 * s);
	ASSERT_OK(cli_parse_time("0", now, &v, NULL));
	ASSERT_EQ(v, 0);
	ASSERT_OK(cli_parse_time("10", now, &v, NULL));	/* no unit: unix */
	ASSERT_EQ(v, 10 * s);
	ASSERT_OK(cli_parse_time("1700000000", now, &v, NULL));
	ASSERT_EQ(v, now);
	ASSERT_OK(cli_parse_time("1700000000.5", now, &v, NULL));
	ASSERT_EQ(v, now + s / 2);
	ASSERT_OK(cli_parse_time("1700000000.123456789", now, &v, NULL));
	ASSERT_EQ(v, now + 123456789);
	ASSERT_OK(cli_parse_time("2026-11-22T08:00:00Z", now, &v, NULL));
	ASSERT_EQ(v, t0);
	ASSERT_OK(cli_parse_time("2026-11-22T08:00:00z", now, &v, NULL));
	ASSERT_EQ(v, t0);
	ASSERT_OK(cli_parse_time("2026-11-22T10:00:00+02:00", now, &v, NULL));
	ASSERT_EQ(v, t0);
	ASSERT_OK(cli_parse_time("2026-11-22T03:30:00-04:30", now, &v, NULL));
	ASSERT_EQ(v, t0);
	ASSERT_OK(cli_parse_time("2026-11-22T08:00:00.25Z", now, &v, NULL));
	ASSERT_EQ(v, t0 + s / 4);
	ASSERT_OK(cli_parse_time("2026-11-22T08:00:00.000000001Z", now, &v,
	    NULL));
	ASSERT_EQ(v, t0 + 1);
	ASSERT_OK(cli_parse_time("2026-11-22T08:00Z", now, &v, NULL));
	ASSERT_EQ(v, t0);
	ASSERT_OK(cli_parse_time("2026-11-22T08Z", now, &v, NULL));
	ASSERT_EQ(v, t0);
	ASSERT_OK(cli_parse_time("2024-02-29T23:59:59Z", now, &v, NULL));
	ASSERT_EQ(v, 1709251199 * s);
	ASSERT_OK(cli_parse_time("2000-03-01Z", now, &v, NULL));
	ASSERT_EQ(v, 951868800 * s);

	/* Without a zone, local time, as docker takes it. */
	old_tz = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
	ASSERT_OK(setenv("TZ", "UTC0", 1));
	tzset();
	ASSERT_OK(cli_parse_time("2026-11-22T08:00:00", now, &v, NULL));
	ASSERT_EQ(v, t0);
	ASSERT_OK(cli_parse_time("2026-11-22", now, &v, NULL));
	ASSERT_EQ(v, t0 - 8 * 3600 * s);
	ASSERT_OK(setenv("TZ", "EST5", 1));
	tzset();
	ASSERT_OK(cli_parse_time("2026-11-22T03:00:00", now, &v, NULL));
	ASSERT_EQ(v, t0);
	ASSERT_OK(cli_parse_time("2026-11-22T03:00", now, &v, NULL));
	ASSERT_EQ(v, t0);
	ASSERT_OK(cli_parse_time("2026-11-22T03", now, &v, NULL));
	ASSERT_EQ(v, t0);
	ASSERT_OK(cli_parse_time("2026-11-22T03:00:00.5", now, &v, NULL));
	ASSERT_EQ(v, t0 + s / 2);
	if (old_tz != NULL) {
		ASSERT_OK(setenv("TZ", old_tz, 1));
		free(old_tz);
	} else
		ASSERT_OK(unsetenv("TZ"));
	tzset();

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cause = NULL;
		if (cli_parse_time(bad[i], now, &v, &cause) != -EINVAL)
			FAIL("parse_time(\"%s\") accepted: %lld", bad[i],
			    (long long)v);
		ASSERT_NOT_NULL(cause);
		free(cause);
	}
	ASSERT_EQ(cli_parse_time("yesterday", now, &v, &cause), -EINVAL);
	ASSERT_STREQ(cause,
	    "failed to parse value as time or duration: \"yesterday\"");
	free(cause);
}

TEST_MAIN(
	T(test_size),
	T(test_bytes),
	T(test_duration),
	T(test_status),
	T(test_ports),
	T(test_ports_json),
	T(test_percent_id),
	T(test_parse_size),
	T(test_parse_cpus),
	T(test_parse_duration),
	T(test_parse_time))
