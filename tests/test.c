/*
 * The test harness behind test.h: TAP output, per-case recovery from
 * failed assertions with longjmp, and small helpers tests share.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

jmp_buf test__jmp;

static const char *skip_reason;
static char skip_buf[256];

/* Prints one diagnostic line and jumps out of the running case. */
void
test__fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("# %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	longjmp(test__jmp, 1);
}

/* Records a skip reason and jumps out of the running case. */
void
test__skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(skip_buf, sizeof skip_buf, fmt, ap);
	va_end(ap);
	skip_reason = skip_buf;
	longjmp(test__jmp, 2);
}

/* Tells whether a case was named on the command line (or none were). */
static int
selected(int argc, char **argv, const char *name)
{
	int i;

	if (argc < 2)
		return (1);
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return (1);
	return (0);
}

/* Runs one case: 0 passed, 1 failed, 2 skipped. */
static int
run_case(const struct test_case *tc)
{
	int rc;

	skip_reason = NULL;
	rc = setjmp(test__jmp);
	if (rc == 0)
		tc->fn();
	return (rc);
}

/* Runs the selected cases, printing a TAP plan and one line each. */
int
test_run(int argc, char **argv, const struct test_case *cases, size_t n)
{
	size_t i, planned = 0, k = 0;
	int failed = 0, rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < n; i++)
		if (selected(argc, argv, cases[i].name))
			planned++;
	printf("1..%zu\n", planned);
	for (i = 0; i < n; i++) {
		if (!selected(argc, argv, cases[i].name))
			continue;
		k++;
		rc = run_case(&cases[i]);
		if (rc == 0)
			printf("ok %zu - %s\n", k, cases[i].name);
		else if (rc == 2)
			printf("ok %zu - %s # SKIP %s\n", k, cases[i].name,
			    skip_reason);
		else {
			printf("not ok %zu - %s\n", k, cases[i].name);
			failed++;
		}
		fflush(stdout);
	}
	return (failed ? 1 : 0);
}

/* Closes one handle unless it is already closing. */
static void
close_walk_cb(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

/* Closes every handle on the loop and asserts the loop closes cleanly. */
void
test_loop_close(uv_loop_t *loop)
{
	uv_walk(loop, close_walk_cb, NULL);
	uv_run(loop, UV_RUN_DEFAULT);
	ASSERT_OK(uv_loop_close(loop));
}

/* Makes a private temporary directory. */
char *
test_tmpdir(void)
{
	char tmpl[] = "/tmp/pier-test-XXXXXX";
	char *d;

	if (mkdtemp(tmpl) == NULL)
		FAIL("mkdtemp: %s", strerror(errno));
	d = strdup(tmpl);
	ASSERT_NOT_NULL(d);
	return (d);
}

/* Removes a tree, depth first. */
static void
rmtree(const char *path)
{
	DIR *dir;
	struct dirent *de;
	char sub[4096];
	struct stat st;

	if (lstat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	dir = opendir(path);
	if (dir != NULL) {
		while ((de = readdir(dir)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
			rmtree(sub);
		}
		closedir(dir);
	}
	rmdir(path);
}

/* Removes a directory made by test_tmpdir and frees its name. */
void
test_rmtree(char *dir)
{
	if (dir == NULL)
		return;
	rmtree(dir);
	free(dir);
}

/* Reads a whole file into a NUL-terminated buffer. */
char *
test_read_file(const char *path, size_t *len)
{
	FILE *f;
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	f = fopen(path, "rb");
	if (f == NULL)
		return (NULL);
	for (;;) {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap + 1);
			ASSERT_NOT_NULL(buf);
		}
		r = fread(buf + n, 1, cap - n, f);
		if (r == 0)
			break;
		n += r;
	}
	fclose(f);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return (buf);
}

/* Returns an environment variable or a fallback. */
const char *
test_env(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return (v != NULL && *v != '\0' ? v : fallback);
}
