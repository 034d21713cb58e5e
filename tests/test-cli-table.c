/*
 * Tests of tools/pier/table.c: tables byte for byte as the docker CLI
 * prints them (the expected strings are docker 28's own output for the
 * same rows), display widths of wide and combining characters, column
 * limits with an ellipsis and --no-trunc, cells with control characters,
 * and the --json array.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "cli-out.h"

/* Headers of docker ps. */
static const char *const ps_headers[] = {
	"CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS",
	"NAMES"
};

/* Renders t with flags into a string (caller frees). */
static char *
render(const struct cli_table *t, unsigned flags)
{
	size_t len;
	char *s;

	s = cli_table_render(t, flags, &len);
	if (s == NULL)
		FAIL("cli_table_render returned NULL");
	ASSERT_EQ(len, strlen(s));
	return (s);
}

/* An empty docker ps: the header alone, padded to 10 or width + 3. */
static void
test_table_empty_ps(void)
{
	struct cli_table *t;
	char *s;

	t = cli_table_new(ps_headers, 7);
	ASSERT_NOT_NULL(t);
	ASSERT_EQ(cli_table_rows(t), 0);
	s = render(t, 0);
	ASSERT_STREQ(s, "CONTAINER ID   IMAGE     COMMAND   CREATED   "
	    "STATUS    PORTS     NAMES\n");
	free(s);
	s = render(t, CLI_TABLE_NO_HEADER);
	ASSERT_STREQ(s, "");
	free(s);
	cli_table_free(t);
}

/* docker images with one image, as docker printed it on this machine. */
static void
test_table_images(void)
{
	static const char *const h[] = { "repository", "tag", "image id",
	    "created", "size" };
	static const char *const r[] = { "pier-test/busybox", "latest",
	    "545484dd17f0", "35 minutes ago", "1.98MB" };
	struct cli_table *t;
	char *s;

	t = cli_table_new(h, 5);
	ASSERT_NOT_NULL(t);
	ASSERT_OK(cli_table_add(t, r));
	s = render(t, 0);
	ASSERT_STREQ(s,
	    "REPOSITORY          TAG       IMAGE ID       CREATED          "
	    "SIZE\n"
	    "pier-test/busybox   latest    545484dd17f0   35 minutes ago   "
	    "1.98MB\n");
	free(s);
	cli_table_free(t);
}

/* A full ps row; the last column is never padded, even when empty. */
static void
test_table_ps_rows(void)
{
	static const char *const r1[] = { "4c01db0b339c", "ubuntu:12.04",
	    "\"bash\"", "17 seconds ago", "Up 16 seconds",
	    "3300-3310/tcp", "webapp" };
	static const char *const r2[] = { "d7886598dbe2",
	    "crosbymichael/redis:latest", "\"/redis-server --dir\"",
	    "33 minutes ago", "Up 33 minutes", "6379/tcp", "redis,webapp/db" };
	static const char *const r3[] = { "ab", NULL, "", "", "", "", "" };
	struct cli_table *t;
	char *s;

	t = cli_table_new(ps_headers, 7);
	ASSERT_OK(cli_table_add(t, r1));
	ASSERT_OK(cli_table_add(t, r2));
	ASSERT_OK(cli_table_add(t, r3));
	ASSERT_EQ(cli_table_rows(t), 3);
	s = render(t, 0);
	ASSERT_STREQ(s,
	    "CONTAINER ID   IMAGE                        "
	    "COMMAND                 "
	    "CREATED          STATUS          PORTS           NAMES\n"
	    "4c01db0b339c   ubuntu:12.04                 "
	    "\"bash\"                  "
	    "17 seconds ago   Up 16 seconds   3300-3310/tcp   webapp\n"
	    "d7886598dbe2   crosbymichael/redis:latest   "
	    "\"/redis-server --dir\"   "
	    "33 minutes ago   Up 33 minutes   6379/tcp        redis,webapp/db\n"
	    "ab                                                 "
	    "                                                                  "
	    "\n");
	free(s);
	cli_table_free(t);
}

/* Widths are display columns: CJK and emoji 2, combining marks 0. */
static void
test_table_wide_chars(void)
{
	static const char *const h[] = { "name", "x" };
	static const char *const r1[] = { "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa"
	    "\x9e\xe5\x90\x8d\xe5\x89\x8d", "a" };	/* 5 CJK = 10 cols */
	static const char *const r2[] = { "cafe\xcc\x81", "b" };	/* 4 */
	static const char *const r3[] = { "\xf0\x9f\x90\xb3whale", "c" };
	struct cli_table *t;
	char *s;

	t = cli_table_new(h, 2);
	ASSERT_OK(cli_table_add(t, r1));
	ASSERT_OK(cli_table_add(t, r2));
	ASSERT_OK(cli_table_add(t, r3));
	s = render(t, 0);
	ASSERT_STREQ(s,
	    "NAME         X\n"
	    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe5\x90\x8d\xe5\x89\x8d"
	    "   a\n"
	    "cafe\xcc\x81         b\n"
	    "\xf0\x9f\x90\xb3whale      c\n");
	free(s);
	cli_table_free(t);
}

/* Display widths of single characters and strings. */
static void
test_width(void)
{
	ASSERT_EQ(cli_char_width('a'), 1);
	ASSERT_EQ(cli_char_width(0x1b), 0);
	ASSERT_EQ(cli_char_width(0xe9), 1);
	ASSERT_EQ(cli_char_width(0x301), 0);	/* combining acute */
	ASSERT_EQ(cli_char_width(0x200b), 0);	/* zero width space */
	ASSERT_EQ(cli_char_width(0x4e2d), 2);	/* CJK */
	ASSERT_EQ(cli_char_width(0xac00), 2);	/* Hangul */
	ASSERT_EQ(cli_char_width(0xff21), 2);	/* fullwidth A */
	ASSERT_EQ(cli_char_width(0x1f433), 2);	/* whale */
	ASSERT_EQ(cli_char_width(0x303f), 1);	/* the narrow one */
	ASSERT_EQ(cli_char_width(0x20000), 2);
	ASSERT_EQ(cli_str_width(""), 0);
	ASSERT_EQ(cli_str_width("docker"), 6);
	ASSERT_EQ(cli_str_width("\xe4\xb8\xad\xe6\x96\x87"), 4);
	ASSERT_EQ(cli_str_width("\xff\xfe"), 2);	/* broken: 1 each */
	ASSERT_EQ(cli_str_width("\xc3\xa9t\xc3\xa9"), 3);
	ASSERT_EQ(cli_str_width("\xe2\x80\xa6"), 1);	/* the ellipsis */
}

/* Cutting with an ellipsis, as docker's Ellipsis. */
static void
test_ellipsis(void)
{
	static const struct {
		const char	*in;
		size_t		 w;
		const char	*out;
	} cases[] = {
		{ "docker-entrypoint.sh mysqld", 20,
		  "docker-entrypoint.s\xe2\x80\xa6" },
		{ "short", 20, "short" },
		{ "exactly20characters!", 20, "exactly20characters!" },
		{ "exactly21characters!!", 20,
		  "exactly21characters\xe2\x80\xa6" },
		{ "abc", 1, "\xe2\x80\xa6" },
		{ "abc", 0, "" },
		{ "", 0, "" },
		/* a wide character that would straddle the cut goes */
		{ "ab\xe4\xb8\xad\xe6\x96\x87", 4, "ab\xe2\x80\xa6" },
		{ "ab\xe4\xb8\xad\xe6\x96\x87", 5,
		  "ab\xe4\xb8\xad\xe2\x80\xa6" },
		{ "ab\xe4\xb8\xad\xe6\x96\x87", 6,
		  "ab\xe4\xb8\xad\xe6\x96\x87" },
	};
	size_t i;
	char *s;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = cli_ellipsis(cases[i].in, cases[i].w);
		ASSERT_NOT_NULL(s);
		if (strcmp(s, cases[i].out) != 0)
			FAIL("ellipsis(\"%s\", %zu) = \"%s\", want \"%s\"",
			    cases[i].in, cases[i].w, s, cases[i].out);
		ASSERT_LE(cli_str_width(s), cases[i].w);
		free(s);
	}
}

/* A limited column is cut; --no-trunc shows it whole. */
static void
test_table_max_width(void)
{
	static const char *const h[] = { "id", "command", "names" };
	static const char *const r[] = {
	    "4c01db0b339c1b1f6c7b4c7d2d6b5c8a", "sleep 3600 && echo done",
	    "web" };
	struct cli_table *t;
	char *s;

	t = cli_table_new(h, 3);
	cli_table_max_width(t, 0, 12);
	cli_table_max_width(t, 1, 10);
	cli_table_max_width(t, 7, 10);		/* no such column: ignored */
	ASSERT_OK(cli_table_add(t, r));
	s = render(t, 0);
	ASSERT_STREQ(s,
	    "ID             COMMAND      NAMES\n"
	    "4c01db0b339\xe2\x80\xa6   sleep 360\xe2\x80\xa6   web\n");
	free(s);
	s = render(t, CLI_TABLE_NO_TRUNC);
	ASSERT_STREQ(s,
	    "ID                                 COMMAND                   "
	    "NAMES\n"
	    "4c01db0b339c1b1f6c7b4c7d2d6b5c8a   sleep 3600 && echo done   "
	    "web\n");
	free(s);
	cli_table_free(t);
}

/* Control characters from a node never reach the terminal. */
static void
test_table_sanitize(void)
{
	static const char *const h[] = { "name", "image" };
	static const char *const r[] = { "evil\x1b[2Jname\ttab",
	    "line\nbreak\xff\xc2\x9b" };
	struct cli_table *t;
	char *s;

	t = cli_table_new(h, 2);
	ASSERT_OK(cli_table_add(t, r));
	s = render(t, 0);
	ASSERT_STREQ(s,
	    "NAME               IMAGE\n"
	    "evil?[2Jname tab   line break??\n");
	ASSERT(strchr(s, 0x1b) == NULL);
	free(s);
	cli_table_free(t);

	s = cli_sanitize("a\xe2\x80\xae" "b\xe2\x80\x8b" "c", 64);
	ASSERT_STREQ(s, "a?b\xe2\x80\x8b" "c");	/* bidi override out */
	free(s);
	s = cli_sanitize("abcdef", 3);
	ASSERT_STREQ(s, "abc");
	free(s);
	s = cli_sanitize("\xe4\xb8\xad", 2);	/* cut inside a character */
	ASSERT_STREQ(s, "??");
	free(s);
}

/* The same rows as a JSON array, keys in the order they were set. */
static void
test_table_json(void)
{
	static const char *const h[] = { "name", "state" };
	static const char *const r[] = { "web", "running" };
	struct cli_table *t;
	json_t *row;
	char *s;

	t = cli_table_new(h, 2);
	s = render(t, CLI_TABLE_JSON);
	ASSERT_STREQ(s, "[]\n");
	free(s);
	ASSERT_OK(cli_table_add(t, r));
	row = json_object();
	ASSERT_OK(json_object_set_new(row, "node", json_string("prod")));
	ASSERT_OK(json_object_set_new(row, "name", json_string("web")));
	ASSERT_OK(json_object_set_new(row, "state", json_string("running")));
	ASSERT_OK(json_object_set_new(row, "cpu", json_real(1.5)));
	ASSERT_OK(cli_table_add_json(t, row));
	row = json_object();
	ASSERT_OK(json_object_set_new(row, "zeta", json_integer(1)));
	ASSERT_OK(json_object_set_new(row, "alpha",
	    json_string("tab\there \xe2\x9c\x93")));
	ASSERT_OK(cli_table_add_json(t, row));
	ASSERT_EQ(cli_table_add_json(t, NULL), -EINVAL);
	s = render(t, CLI_TABLE_JSON);
	ASSERT_STREQ(s,
	    "[\n"
	    "  {\"node\":\"prod\",\"name\":\"web\",\"state\":\"running\","
	    "\"cpu\":1.5},\n"
	    "  {\"zeta\":1,\"alpha\":\"tab\\there \xe2\x9c\x93\"}\n"
	    "]\n");
	free(s);
	cli_table_free(t);
}

/* Printing to a FILE: cli_table_print and cli_json_print. */
static void
test_table_print(void)
{
	static const char *const h[] = { "a", "b" };
	static const char *const r[] = { "1", "2" };
	struct cli_table *t;
	json_t *rows;
	size_t len;
	char *buf;
	FILE *fp;

	fp = open_memstream(&buf, &len);
	ASSERT_NOT_NULL(fp);
	t = cli_table_new(h, 2);
	ASSERT_OK(cli_table_add(t, r));
	ASSERT_OK(cli_table_print(t, fp, 0));
	rows = json_pack("[{s:i},{s:i}]", "a", 1, "a", 2);
	ASSERT_OK(cli_json_print(fp, rows));
	ASSERT_EQ(cli_json_print(fp, json_object_get(rows, "x")), -EINVAL);
	ASSERT_OK(fclose(fp));
	ASSERT_STREQ(buf, "A         B\n1         2\n"
	    "[\n  {\"a\":1},\n  {\"a\":2}\n]\n");
	free(buf);
	json_decref(rows);
	cli_table_free(t);
}

/* Bad shapes are refused; many rows grow the table. */
static void
test_table_limits(void)
{
	static const char *const h[CLI_TABLE_MAX_COLS + 1] = { "x" };
	static const char *const r[] = { "row" };
	struct cli_table *t;
	char *s, *big;
	size_t i;

	ASSERT_NULL(cli_table_new(h, 0));
	ASSERT_NULL(cli_table_new(h, CLI_TABLE_MAX_COLS + 1));
	t = cli_table_new(h, CLI_TABLE_MAX_COLS);
	ASSERT_NOT_NULL(t);
	cli_table_free(t);
	cli_table_free(NULL);

	t = cli_table_new(h, 1);
	for (i = 0; i < 1000; i++)
		ASSERT_OK(cli_table_add(t, r));
	ASSERT_EQ(cli_table_rows(t), 1000);
	s = render(t, CLI_TABLE_NO_HEADER);
	ASSERT_EQ(strlen(s), 4 * 1000);
	free(s);
	cli_table_free(t);

	/* A cell over the bound is kept to the bound. */
	big = malloc(CLI_TABLE_MAX_CELL * 2 + 1);
	memset(big, 'x', CLI_TABLE_MAX_CELL * 2);
	big[CLI_TABLE_MAX_CELL * 2] = '\0';
	t = cli_table_new(h, 1);
	ASSERT_OK(cli_table_add(t, (const char *const *)&big));
	s = render(t, CLI_TABLE_NO_HEADER);
	ASSERT_EQ(strlen(s), CLI_TABLE_MAX_CELL + 1);
	free(s);
	free(big);
	cli_table_free(t);
}

TEST_MAIN(
	T(test_table_empty_ps),
	T(test_table_images),
	T(test_table_ps_rows),
	T(test_table_wide_chars),
	T(test_width),
	T(test_ellipsis),
	T(test_table_max_width),
	T(test_table_sanitize),
	T(test_table_json),
	T(test_table_print),
	T(test_table_limits))
