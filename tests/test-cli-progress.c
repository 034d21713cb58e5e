/*
 * Tests of tools/pier/progress.c, byte for byte: a pull shown on a wide
 * terminal (bars), a narrow one (numbers only, lines cut to the width)
 * and a file (plain lines, no escape codes); layers appearing in any
 * order; repeated updates writing nothing; the stream's end and error
 * lines; and the live table of `pier stats` on a terminal and not.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "cli-out.h"

/* Output captured from a memory stream, read piece by piece. */
struct capture {
	FILE	*fp;
	char	*buf;
	size_t	 len;
	size_t	 off;		/* bytes already taken */
	char	*piece;		/* the last piece taken */
};

/* Opens a capture. */
static void
cap_open(struct capture *c)
{
	memset(c, 0, sizeof(*c));
	c->fp = open_memstream(&c->buf, &c->len);
	if (c->fp == NULL)
		FAIL("open_memstream");
}

/* Returns what was written since the last call (valid until the next). */
static const char *
cap_take(struct capture *c)
{
	ASSERT_OK(fflush(c->fp));
	free(c->piece);
	c->piece = strndup(c->buf + c->off, c->len - c->off);
	c->off = c->len;
	return (c->piece);
}

/* Closes a capture. */
static void
cap_close(struct capture *c)
{
	(void)fclose(c->fp);
	free(c->buf);
	free(c->piece);
}

/* Feeds one JSON line to p; returns cli_progress_event's result. */
static int
feed(struct cli_progress *p, const char *line, char **cause)
{
	json_t *ev;
	int rc;

	ev = json_loads(line, 0, NULL);
	if (ev == NULL)
		FAIL("bad JSON in the test: %s", line);
	rc = cli_progress_event(p, ev, cause);
	json_decref(ev);
	return (rc);
}

/* Feeds a line that must be shown (0). */
static void
show(struct cli_progress *p, const char *line)
{
	int rc;

	rc = feed(p, line, NULL);
	if (rc != 0)
		FAIL("event %s: %d", line, rc);
}

/* A pull as the engine reports one (node form and engine form mixed). */
static const char *const pull[] = {
	"{\"status\":\"Pulling from library/busybox\",\"id\":\"latest\"}",
	"{\"status\":\"Pulling fs layer\",\"progressDetail\":{},"
	    "\"id\":\"a1b2c3d4e5f6\"}",
	"{\"status\":\"Waiting\",\"id\":\"b2c3d4e5f6a1\",\"current\":-1,"
	    "\"total\":-1}",
	"{\"status\":\"Downloading\",\"id\":\"a1b2c3d4e5f6\","
	    "\"current\":12300000,\"total\":45600000}",
	"{\"status\":\"Downloading\",\"id\":\"a1b2c3d4e5f6\","
	    "\"current\":12300000,\"total\":45600000}",
	"{\"status\":\"Downloading\",\"id\":\"a1b2c3d4e5f6\","
	    "\"progressDetail\":{\"current\":12300001,\"total\":45600000}}",
	"{\"status\":\"Download complete\",\"id\":\"b2c3d4e5f6a1\"}",
	"{\"status\":\"Extracting\",\"id\":\"a1b2c3d4e5f6\","
	    "\"current\":45600000,\"total\":45600000}",
	"{\"status\":\"Pull complete\",\"id\":\"a1b2c3d4e5f6\"}",
	"{\"status\":\"Digest: sha256:abc\"}",
	"{\"status\":\"Status: Downloaded newer image for busybox:latest\"}",
};

/* What a 120-column terminal gets for each line of pull[]. */
static const char *const pull_wide[] = {
	"latest: Pulling from library/busybox\n",
	"\n\x1b[1A\x1b[2K\ra1b2c3d4e5f6: Pulling fs layer\r\x1b[1B",
	"\n\x1b[1A\x1b[2K\rb2c3d4e5f6a1: Waiting\r\x1b[1B",
	"\x1b[2A\x1b[2K\ra1b2c3d4e5f6: Downloading "
	    "[=============>                                     ]   "
	    "12.3MB/45.6MB\r\x1b[2B",
	"",		/* the same text: nothing written */
	"",		/* 12300001 bytes still read 12.3MB */
	"\x1b[1A\x1b[2K\rb2c3d4e5f6a1: Download complete\r\x1b[1B",
	"\x1b[2A\x1b[2K\ra1b2c3d4e5f6: Extracting "
	    "[==================================================>]   "
	    "45.6MB/45.6MB\r\x1b[2B",
	"\x1b[2A\x1b[2K\ra1b2c3d4e5f6: Pull complete\r\x1b[2B",
	"Digest: sha256:abc\n",
	"Status: Downloaded newer image for busybox:latest\n",
};

/* What an 80-column terminal gets where it differs: no bar. */
static const char *const pull_narrow_3 =
	"\x1b[2A\x1b[2K\ra1b2c3d4e5f6: Downloading   12.3MB/45.6MB\r\x1b[2B";

/* What a file gets: a line per status change. */
static const char *const pull_plain =
	"latest: Pulling from library/busybox\n"
	"a1b2c3d4e5f6: Pulling fs layer\n"
	"b2c3d4e5f6a1: Waiting\n"
	"a1b2c3d4e5f6: Downloading\n"
	"b2c3d4e5f6a1: Download complete\n"
	"a1b2c3d4e5f6: Extracting\n"
	"a1b2c3d4e5f6: Pull complete\n"
	"Digest: sha256:abc\n"
	"Status: Downloaded newer image for busybox:latest\n";

/* A wide terminal: bars, in-place updates, nothing for no change. */
static void
test_pull_terminal_wide(void)
{
	struct cli_progress p;
	struct capture c;
	size_t i;

	cap_open(&c);
	cli_progress_init(&p, c.fp, 1, 120);
	for (i = 0; i < sizeof(pull) / sizeof(pull[0]); i++) {
		show(&p, pull[i]);
		if (strcmp(cap_take(&c), pull_wide[i]) != 0)
			FAIL("step %zu: got \"%s\"", i, c.piece);
	}
	/* The Digest line ended the set: a new layer starts a new one. */
	show(&p, "{\"status\":\"Waiting\",\"id\":\"a1b2c3d4e5f6\"}");
	ASSERT_STREQ(cap_take(&c),
	    "\n\x1b[1A\x1b[2K\ra1b2c3d4e5f6: Waiting\r\x1b[1B");
	cli_progress_free(&p);
	cap_close(&c);
}

/* A narrow terminal: numbers without a bar, lines cut to the width. */
static void
test_pull_terminal_narrow(void)
{
	struct cli_progress p;
	struct capture c;
	size_t i;

	cap_open(&c);
	cli_progress_init(&p, c.fp, 1, 80);
	for (i = 0; i < 4; i++)
		show(&p, pull[i]);
	(void)cap_take(&c);
	cli_progress_free(&p);
	cap_close(&c);

	cap_open(&c);
	cli_progress_init(&p, c.fp, 1, 80);
	for (i = 0; i < 3; i++)
		show(&p, pull[i]);
	(void)cap_take(&c);
	show(&p, pull[3]);
	ASSERT_STREQ(cap_take(&c), pull_narrow_3);
	cli_progress_free(&p);

	/* 30 columns: cut to 29 with an ellipsis, so nothing wraps. */
	cli_progress_init(&p, c.fp, 1, 30);
	show(&p, pull[1]);
	ASSERT_STREQ(cap_take(&c),
	    "\n\x1b[1A\x1b[2K\ra1b2c3d4e5f6: Pulling fs lay\xe2\x80\xa6\r"
	    "\x1b[1B");
	show(&p, pull[3]);
	ASSERT_STREQ(cap_take(&c),
	    "\x1b[1A\x1b[2K\ra1b2c3d4e5f6: Downloading   \xe2\x80\xa6\r"
	    "\x1b[1B");
	cli_progress_free(&p);
	cap_close(&c);
}

/* Not a terminal: one plain line per status change, no escapes. */
static void
test_pull_plain(void)
{
	struct cli_progress p;
	struct capture c;
	size_t i;

	cap_open(&c);
	cli_progress_init(&p, c.fp, 0, 0);
	for (i = 0; i < sizeof(pull) / sizeof(pull[0]); i++)
		show(&p, pull[i]);
	ASSERT_STREQ(cap_take(&c), pull_plain);
	ASSERT(strchr(c.buf, 0x1b) == NULL);
	cli_progress_free(&p);
	cap_close(&c);
}

/* Layers in any order: each update moves to its own line. */
static void
test_pull_any_order(void)
{
	struct cli_progress p;
	struct capture c;

	cap_open(&c);
	cli_progress_init(&p, c.fp, 1, 100);
	ASSERT_OK(cli_progress_update(&p, "l1", "Waiting", -1, -1));
	ASSERT_OK(cli_progress_update(&p, "l2", "Waiting", -1, -1));
	ASSERT_OK(cli_progress_update(&p, "l3", "Waiting", -1, -1));
	(void)cap_take(&c);
	ASSERT_OK(cli_progress_update(&p, "l2", "Downloading", 500, 1000));
	ASSERT_STREQ(cap_take(&c),
	    "\x1b[2A\x1b[2K\rl2: Downloading     500B/1kB\r\x1b[2B");
	ASSERT_OK(cli_progress_update(&p, "l1", "Downloading", 2000, -1));
	ASSERT_STREQ(cap_take(&c),
	    "\x1b[3A\x1b[2K\rl1: Downloading      2kB\r\x1b[3B");
	ASSERT_OK(cli_progress_update(&p, "l3", "Extracting", 3000, 1000));
	ASSERT_STREQ(cap_take(&c),
	    "\x1b[1A\x1b[2K\rl3: Extracting      3kB\r\x1b[1B");
	ASSERT_OK(cli_progress_update(&p, "l4", "Already exists", 0, 0));
	ASSERT_STREQ(cap_take(&c),
	    "\n\x1b[1A\x1b[2K\rl4: Already exists\r\x1b[1B");
	ASSERT_OK(cli_progress_update(&p, "l1", "Verifying Checksum", -1,
	    -1));
	ASSERT_STREQ(cap_take(&c),
	    "\x1b[4A\x1b[2K\rl1: Verifying Checksum\r\x1b[4B");
	cli_progress_free(&p);
	cap_close(&c);
}

/* More layers than the bound start a new set; control bytes are cut. */
static void
test_pull_bounds(void)
{
	struct cli_progress p;
	struct capture c;
	char id[16], longid[200];
	size_t i;

	cap_open(&c);
	cli_progress_init(&p, c.fp, 1, 100);
	for (i = 0; i < CLI_PROGRESS_MAX_LAYERS; i++) {
		(void)snprintf(id, sizeof id, "layer%zu", i);
		ASSERT_OK(cli_progress_update(&p, id, "Waiting", -1, -1));
	}
	ASSERT_EQ(p.n, CLI_PROGRESS_MAX_LAYERS);
	(void)cap_take(&c);
	ASSERT_OK(cli_progress_update(&p, "layer0", "Waiting", 1, -1));
	ASSERT_STREQ(cap_take(&c),
	    "\x1b[256A\x1b[2K\rlayer0: Waiting       1B\r\x1b[256B");
	ASSERT_OK(cli_progress_update(&p, "extra", "Waiting", -1, -1));
	ASSERT_STREQ(cap_take(&c),
	    "\n\x1b[1A\x1b[2K\rextra: Waiting\r\x1b[1B");
	ASSERT_EQ(p.n, 1);

	ASSERT_OK(cli_progress_update(&p, "ev\x1b[2Jil", "Wait\ning\x07",
	    -1, -1));
	ASSERT_STREQ(cap_take(&c),
	    "\n\x1b[1A\x1b[2K\rev?[2Jil: Wait ing?\r\x1b[1B");
	memset(longid, 'x', sizeof longid - 1);
	longid[sizeof longid - 1] = '\0';
	ASSERT_OK(cli_progress_update(&p, longid, "Waiting", -1, -1));
	ASSERT_EQ(strlen(p.layers[p.n - 1].id), CLI_PROGRESS_ID_MAX);
	cli_progress_free(&p);
	cap_close(&c);
}

/* The stream's end and error lines, and lines that are not progress. */
static void
test_pull_end_error(void)
{
	struct cli_progress p;
	struct capture c;
	char *cause;

	cap_open(&c);
	cli_progress_init(&p, c.fp, 1, 100);
	ASSERT_EQ(feed(&p, "{\"end\":{\"id\":\"sha256:abc\"}}", NULL), 1);
	cause = NULL;
	ASSERT_EQ(feed(&p, "{\"error\":{\"code\":3001,\"name\":\"docker\","
	    "\"message\":\"manifest unknown\"}}", &cause), -EIO);
	ASSERT_STREQ(cause, "manifest unknown");
	free(cause);
	ASSERT_EQ(feed(&p, "{\"error\":\"pull access denied\","
	    "\"errorDetail\":{\"message\":\"pull access denied\"}}", &cause),
	    -EIO);
	ASSERT_STREQ(cause, "pull access denied");
	free(cause);
	ASSERT_EQ(feed(&p, "{\"status\":5}", &cause), -EPROTO);
	free(cause);
	ASSERT_EQ(feed(&p, "{\"status\":\"x\",\"id\":7}", &cause), -EPROTO);
	free(cause);
	ASSERT_EQ(feed(&p, "[1]", &cause), -EPROTO);
	free(cause);
	ASSERT_STREQ(cap_take(&c), "");
	cli_progress_free(&p);
	cap_close(&c);
}

/* A small stats table with n rows. */
static struct cli_table *
stats_table(size_t n)
{
	static const char *const h[] = { "name", "cpu %", "mem usage" };
	static const char *const rows[][3] = {
		{ "web", "0.50%", "1.5MiB" },
		{ "db", "12.25%", "100MiB" },
		{ "cache", "0.00%", "512KiB" },
	};
	struct cli_table *t;
	size_t i;

	t = cli_table_new(h, 3);
	ASSERT_NOT_NULL(t);
	for (i = 0; i < n; i++)
		ASSERT_OK(cli_table_add(t, rows[i]));
	return (t);
}

/* On a terminal: home, erase each line's end, erase below; one write. */
static void
test_live_terminal(void)
{
	struct cli_table *t2, *t1, *t3;
	struct cli_live lv;
	struct capture c;

	t2 = stats_table(2);
	t1 = stats_table(1);
	t3 = stats_table(3);
	cap_open(&c);
	cli_live_init(&lv, c.fp, 1, 0, 0);
	ASSERT_OK(cli_live_frame(&lv, t2, 0));
	ASSERT_STREQ(cap_take(&c),
	    "\x1b[2J\x1b[H"
	    "NAME      CPU %     MEM USAGE\x1b[K\n"
	    "web       0.50%     1.5MiB\x1b[K\n"
	    "db        12.25%    100MiB\x1b[K\n"
	    "\x1b[J");
	ASSERT_OK(cli_live_frame(&lv, t1, 0));
	ASSERT_STREQ(cap_take(&c),
	    "\x1b[H"
	    "NAME      CPU %     MEM USAGE\x1b[K\n"
	    "web       0.50%     1.5MiB\x1b[K\n"
	    "\x1b[J");
	ASSERT_EQ(lv.frames, 2);

	/* Four lines on a 3-line terminal: two drawn, the last row free. */
	cli_live_resize(&lv, 3, 0);
	ASSERT_OK(cli_live_frame(&lv, t3, 0));
	ASSERT_STREQ(cap_take(&c),
	    "\x1b[H"
	    "NAME      CPU %     MEM USAGE\x1b[K\n"
	    "web       0.50%     1.5MiB\x1b[K\n"
	    "\x1b[J");

	/* 16 columns: lines cut to 15 so none wraps. */
	cli_live_resize(&lv, 24, 16);
	ASSERT_OK(cli_live_frame(&lv, t1, 0));
	ASSERT_STREQ(cap_take(&c),
	    "\x1b[H"
	    "NAME      CPU \xe2\x80\xa6\x1b[K\n"
	    "web       0.50\xe2\x80\xa6\x1b[K\n"
	    "\x1b[J");
	ASSERT_OK(cli_live_frame(&lv, t1, CLI_TABLE_NO_HEADER));
	ASSERT_STREQ(cap_take(&c),
	    "\x1b[Hweb       0.50\xe2\x80\xa6\x1b[K\n\x1b[J");
	cap_close(&c);
	cli_table_free(t1);
	cli_table_free(t2);
	cli_table_free(t3);
}

/* Not a terminal (or --no-stream): each frame is the plain table. */
static void
test_live_plain(void)
{
	struct cli_table *t;
	struct cli_live lv;
	struct capture c;

	t = stats_table(2);
	cap_open(&c);
	cli_live_init(&lv, c.fp, 0, 24, 80);
	ASSERT_OK(cli_live_frame(&lv, t, 0));
	ASSERT_OK(cli_live_frame(&lv, t, CLI_TABLE_NO_HEADER));
	ASSERT_STREQ(cap_take(&c),
	    "NAME      CPU %     MEM USAGE\n"
	    "web       0.50%     1.5MiB\n"
	    "db        12.25%    100MiB\n"
	    "web       0.50%     1.5MiB\n"
	    "db        12.25%    100MiB\n");
	ASSERT_OK(cli_table_add_json(t, json_pack("{s:s}", "name", "web")));
	cli_live_init(&lv, c.fp, 1, 24, 80);
	ASSERT_OK(cli_live_frame(&lv, t, CLI_TABLE_JSON));
	ASSERT_STREQ(cap_take(&c), "[\n  {\"name\":\"web\"}\n]\n");
	cap_close(&c);
	cli_table_free(t);
}

/* docker stats' cells and table for the example in docker's docs. */
static void
test_stats_cells(void)
{
	char cells[CLI_STATS_COLS][CLI_STATS_CELL];
	const char *row[CLI_STATS_COLS];
	struct cli_table *t;
	json_t *st, *empty;
	size_t i;
	char *s;

	st = json_loads("{\"id\":\"b95a83497c9161c9b444e3d70e1a9dfe8226e6a6"
	    "e9a3b8f5e2f2c09a9a7e3c8d\",\"name\":\"/awesome_brattain\","
	    "\"cpu_pct\":0.28,\"mem_used\":5902434,\"mem_limit\":2095944041,"
	    "\"mem_pct\":0.28,\"net_rx\":916,\"net_tx\":0,"
	    "\"blk_read\":147000,\"blk_write\":0,\"pids\":9,"
	    "\"time\":1700000000}", 0, NULL);
	ASSERT_NOT_NULL(st);
	t = cli_table_new(cli_stats_headers, CLI_STATS_COLS);
	ASSERT_OK(cli_stats_cells(st, 0, cells));
	for (i = 0; i < CLI_STATS_COLS; i++)
		row[i] = cells[i];
	ASSERT_OK(cli_table_add(t, row));
	empty = json_object();
	ASSERT_OK(cli_stats_cells(empty, 0, cells));	/* all unknown */
	json_decref(empty);
	ASSERT_OK(cli_table_add(t, row));
	s = cli_table_render(t, 0, NULL);
	ASSERT_STREQ(s,
	    "CONTAINER ID   NAME               CPU %     MEM USAGE / LIMIT     "
	    "MEM %     NET I/O     BLOCK I/O    PIDS\n"
	    "b95a83497c91   awesome_brattain   0.28%     5.629MiB / 1.952GiB   "
	    "0.28%     916B / 0B   147kB / 0B   9\n"
	    "--             --                 --        -- / --               "
	    "--        -- / --     -- / --      --\n");
	free(s);
	ASSERT_OK(cli_stats_cells(st, 1, cells));
	ASSERT_STREQ(cells[0], "b95a83497c9161c9b444e3d70e1a9dfe"
	    "8226e6a6e9a3b8f5e2f2c09a9a7e3c8d");
	ASSERT_EQ(cli_stats_cells(json_object_get(st, "pids"), 0, cells),
	    -EPROTO);
	json_decref(st);
	cli_table_free(t);
}

TEST_MAIN(
	T(test_pull_terminal_wide),
	T(test_pull_terminal_narrow),
	T(test_pull_plain),
	T(test_pull_any_order),
	T(test_pull_bounds),
	T(test_pull_end_error),
	T(test_live_terminal),
	T(test_live_plain),
	T(test_stats_cells))
