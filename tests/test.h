/*
 * A small test harness: each test program lists its cases with TEST_MAIN,
 * runs them in order and reports in TAP, which meson reads. A failed
 * assertion ends its case (not the program) and the program exits 1.
 *
 *	static void
 *	test_parse_ok(void)
 *	{
 *		ASSERT_EQ(parse("x"), 0);
 *	}
 *	TEST_MAIN(T(test_parse_ok))
 *
 * Run one case by name: ./test-foo test_parse_ok
 */
#ifndef PIER_TEST_H
#define PIER_TEST_H

#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

/* One case of a test program. */
struct test_case {
	const char	*name;
	void		(*fn)(void);
};

extern jmp_buf test__jmp;

/* Reports a failure at file:line and leaves the running case. */
void test__fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));
/* Marks the running case skipped with a reason and leaves it. */
void test__skip(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
/* Runs the cases (or those named in argv) and prints TAP. */
int test_run(int argc, char **argv, const struct test_case *cases,
    size_t n);
/* Closes every handle of a loop, runs it dry and checks it closes. */
void test_loop_close(uv_loop_t *loop);
/* Returns a fresh temporary directory (caller frees, removes). */
char *test_tmpdir(void);
/* Removes a directory tree made by test_tmpdir and frees its name. */
void test_rmtree(char *dir);
/* Reads a whole file; returns NULL if absent. *len set (caller frees). */
char *test_read_file(const char *path, size_t *len);
/* Returns getenv(name) or the fallback. */
const char *test_env(const char *name, const char *fallback);

#define T(fn)	{ #fn, fn }
#define TEST_MAIN(...)						\
int								\
main(int argc, char **argv)					\
{								\
	static const struct test_case cases[] = { __VA_ARGS__ };	\
	return (test_run(argc, argv, cases,			\
	    sizeof(cases) / sizeof(cases[0])));			\
}

#define FAIL(...)	test__fail(__FILE__, __LINE__, __VA_ARGS__)
#define SKIP(...)	test__skip(__VA_ARGS__)

#define ASSERT(x) do {							\
	if (!(x))							\
		FAIL("assertion failed: %s", #x);			\
} while (0)
#define ASSERT_EQ(a, b) do {						\
	long long a_ = (long long)(a), b_ = (long long)(b);		\
	if (a_ != b_)							\
		FAIL("%s == %s: %lld != %lld", #a, #b, a_, b_);		\
} while (0)
#define ASSERT_NE(a, b) do {						\
	long long a_ = (long long)(a), b_ = (long long)(b);		\
	if (a_ == b_)							\
		FAIL("%s != %s: both %lld", #a, #b, a_);		\
} while (0)
#define ASSERT_LT(a, b) do {						\
	long long a_ = (long long)(a), b_ = (long long)(b);		\
	if (!(a_ < b_))							\
		FAIL("%s < %s: %lld >= %lld", #a, #b, a_, b_);		\
} while (0)
#define ASSERT_LE(a, b) do {						\
	long long a_ = (long long)(a), b_ = (long long)(b);		\
	if (!(a_ <= b_))						\
		FAIL("%s <= %s: %lld > %lld", #a, #b, a_, b_);		\
} while (0)
#define ASSERT_GT(a, b)	ASSERT_LT(b, a)
#define ASSERT_GE(a, b)	ASSERT_LE(b, a)
#define ASSERT_OK(x)	ASSERT_EQ(x, 0)
#define ASSERT_NULL(x)	ASSERT((x) == NULL)
#define ASSERT_NOT_NULL(x) ASSERT((x) != NULL)
#define ASSERT_STREQ(a, b) do {						\
	const char *a_ = (a), *b_ = (b);				\
	if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0)		\
		FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b,		\
		    a_ ? a_ : "(null)", b_ ? b_ : "(null)");		\
} while (0)
#define ASSERT_CONTAINS(hay, needle) do {				\
	const char *h_ = (hay), *n_ = (needle);				\
	if (h_ == NULL || strstr(h_, n_) == NULL)			\
		FAIL("%s contains \"%s\": got \"%s\"", #hay, n_,	\
		    h_ ? h_ : "(null)");				\
} while (0)
#define ASSERT_MEMEQ(a, b, n) do {					\
	if (memcmp((a), (b), (n)) != 0)					\
		FAIL("%s == %s over %zu bytes", #a, #b, (size_t)(n));	\
} while (0)

#endif
