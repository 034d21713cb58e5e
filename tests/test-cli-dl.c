/*
 * Tests of tools/pier/dl.c, the libraries pier opens on first use: a
 * missing library, a missing function and a failed check are -ELIBACC
 * with the reason and leave the table empty; a load fills the table
 * with the library's own functions, once; libarchive and libwebsockets
 * load; and the pier binary ($PIER_BUILD_ROOT/tools/pier/pier) links neither of them, nor
 * libcurl, so that a command that needs none of them does not load
 * them (about 5 ms of every run, docs/PERFORMANCE.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "test.h"
/* The tables by their members, not the names the macros give. */
#define CLI_DL_NO_MACROS
#include "cli-arc.h"
#include "cli-dl.h"
#include "cli-lws.h"

/* A table of one jansson function, for the loader's own cases. */
struct one_fn {
	__typeof__(json_object)	*fn;
};

/* A check that refuses. */
static int
refuse(const void *table, char **cause)
{
	*cause = strdup("refused");
	return (-ELIBACC);
}

/* Loads d, expecting -ELIBACC with want in the reason, table empty. */
static void
expect_fail(struct cli_dl *d, const struct one_fn *t, const char *want)
{
	char	*cause = NULL;

	ASSERT_EQ(cli_dl_load(d, &cause), -ELIBACC);
	ASSERT_NOT_NULL(cause);
	ASSERT_CONTAINS(cause, want);
	ASSERT_NULL(t->fn);
	ASSERT_EQ(d->loaded, 0);
	free(cause);
}

/* No such library, no such function, a check that refuses. */
static void
test_failures(void)
{
	static const struct cli_dl_sym	ok[] = { { "json_object", 0 } };
	static const struct cli_dl_sym	bad[] = { { "json_no_such_fn", 0 } };
	struct one_fn	t = { NULL };
	struct cli_dl	d = {
		.soname = "libpier-no-such.so.0", .package = "nothing",
		.syms = ok, .nsyms = 1, .table = &t, .size = sizeof(t),
		.lock = PTHREAD_MUTEX_INITIALIZER,
	};

	expect_fail(&d, &t, "cannot load libpier-no-such.so.0");
	d.soname = "libjansson.so.4";
	d.syms = bad;
	expect_fail(&d, &t, "libjansson.so.4 lacks json_no_such_fn");
	d.syms = ok;
	d.check = refuse;
	expect_fail(&d, &t, "refused");
	/* The next call tries again. */
	d.check = NULL;
	ASSERT_OK(cli_dl_load(&d, &(char *){ NULL }));
	ASSERT(t.fn == json_object);
}

/* A load fills the table with the library's own function, once. */
static void
test_load_once(void)
{
	static const struct cli_dl_sym	syms[] = { { "json_object", 0 } };
	struct one_fn	t = { NULL };
	struct cli_dl	d = {
		.soname = "libjansson.so.4", .package = "libjansson4",
		.syms = syms, .nsyms = 1, .table = &t, .size = sizeof(t),
		.lock = PTHREAD_MUTEX_INITIALIZER,
	};
	char		*cause = NULL;
	json_t		*o;

	ASSERT_OK(cli_dl_load(&d, &cause));
	ASSERT_NULL(cause);
	ASSERT(t.fn == json_object);
	o = t.fn();
	ASSERT_NOT_NULL(o);
	json_decref(o);
	/* Loaded: the soname is not looked at again. */
	d.soname = "libpier-no-such.so.0";
	ASSERT_OK(cli_dl_load(&d, &cause));
	ASSERT_NULL(cause);
}

/* pier's two: libarchive and libwebsockets. */
static void
test_arc_lws(void)
{
	char	*cause = NULL;

	ASSERT_OK(cli_arc_load(&cause));
	ASSERT_NULL(cause);
	ASSERT_GE(cli_arc->archive_version_number(), 3006000);
	ASSERT_NOT_NULL(cli_arc->archive_write_disk_set_standard_lookup);
	ASSERT_OK(cli_lws_load(&cause));
	ASSERT_NULL(cause);
	ASSERT_NOT_NULL(cli_lws->lws_create_context);
	ASSERT_NOT_NULL(cli_lws->lws_is_final_fragment);
}

/* The pier binary needs none of the libraries it opens on first use. */
static void
test_pier_needed(void)
{
	char	 cmd[4200], line[512];
	FILE	*p;
	int	 needed = 0;

	snprintf(cmd, sizeof(cmd), "readelf -d '%s/tools/pier/pier'",
	    test_env("PIER_BUILD_ROOT", "."));
	p = popen(cmd, "r");
	ASSERT_NOT_NULL(p);
	while (fgets(line, sizeof(line), p) != NULL) {
		if (strstr(line, "(NEEDED)") == NULL)
			continue;
		needed++;
		line[strcspn(line, "\n")] = '\0';
		if (strstr(line, "libarchive") != NULL ||
		    strstr(line, "libwebsockets") != NULL ||
		    strstr(line, "libcurl") != NULL)
			FAIL("pier links %s", line);
	}
	ASSERT_EQ(pclose(p), 0);
	ASSERT_GT(needed, 0);
}

TEST_MAIN(
	T(test_failures),
	T(test_load_once),
	T(test_arc_lws),
	T(test_pier_needed)
)
