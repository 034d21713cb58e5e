/*
 * Loading libcurl on first use (see dk-curl.h for why). One mutex keeps
 * two loops of one process from loading at once; the table is filled
 * whole or not at all, so a caller that saw dk_curl_load succeed sees
 * every entry, and it never changes again. A failed load leaves nothing
 * behind and the next request tries again, so installing libcurl4 is
 * enough for a running node to reach Docker.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dk-curl.h"

/* The oldest libcurl Pier runs with: the one it is built against. */
#define DK_CURL_MIN_VERSION	0x075800	/* 7.88.0 */

/* One function to resolve: its name and its place in the table. */
struct curl_sym {
	const char	*name;
	size_t		 off;
};

#define SYM(fn)	{ #fn, offsetof(struct dk_curl_fns, fn) }
static const struct curl_sym curl_syms[] = {
	SYM(curl_version_info),
	SYM(curl_global_init),
	SYM(curl_easy_init),
	SYM(curl_easy_cleanup),
	SYM(curl_easy_setopt),
	SYM(curl_easy_getinfo),
	SYM(curl_easy_pause),
	SYM(curl_easy_send),
	SYM(curl_easy_recv),
	SYM(curl_easy_strerror),
	SYM(curl_easy_perform),
	SYM(curl_multi_init),
	SYM(curl_multi_cleanup),
	SYM(curl_multi_setopt),
	SYM(curl_multi_assign),
	SYM(curl_multi_add_handle),
	SYM(curl_multi_remove_handle),
	SYM(curl_multi_socket_action),
	SYM(curl_multi_info_read),
	SYM(curl_slist_append),
	SYM(curl_slist_free_all),
};
#undef SYM

/* Written once, under curl_lock, by the first load that succeeds. */
static struct dk_curl_fns curl_fns;
static pthread_mutex_t curl_lock = PTHREAD_MUTEX_INITIALIZER;

const struct dk_curl_fns *const dk_curl = &curl_fns;

/* Sets *cause to a new message; NULL when out of memory. */
static void __attribute__((format(printf, 2, 3)))
curl_cause(char **cause, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) < 0)
		*cause = NULL;
	va_end(ap);
}

/* Resolves every function into f; 0, or -ELIBACC with *cause. */
static int
curl_resolve(void *lib, struct dk_curl_fns *f, char **cause)
{
	const curl_version_info_data *v;
	size_t i;
	void *p;

	for (i = 0; i < sizeof curl_syms / sizeof curl_syms[0]; i++) {
		p = dlsym(lib, curl_syms[i].name);
		if (p == NULL) {
			curl_cause(cause, "%s lacks %s; install libcurl4 "
			    "7.88 or later", DK_CURL_SONAME,
			    curl_syms[i].name);
			return (-ELIBACC);
		}
		/* POSIX: a data pointer from dlsym holds a function's. */
		memcpy((char *)f + curl_syms[i].off, &p, sizeof p);
	}
	v = f->curl_version_info(CURLVERSION_NOW);
	if (v == NULL || v->version_num < DK_CURL_MIN_VERSION) {
		curl_cause(cause, "%s is libcurl %s; install libcurl4 "
		    "7.88 or later", DK_CURL_SONAME, v != NULL && v->version !=
		    NULL ? v->version : "of unknown version");
		return (-ELIBACC);
	}
	return (0);
}

/* Opens libcurl and fills the table; see dk_curl_load. */
static int
curl_open(char **cause)
{
	struct dk_curl_fns f;
	void *lib;
	int rc;

	lib = dlopen(DK_CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		curl_cause(cause, "cannot load %s: %s; install libcurl4",
		    DK_CURL_SONAME, dlerror());
		return (-ELIBACC);
	}
	memset(&f, 0, sizeof f);
	rc = curl_resolve(lib, &f, cause);
	if (rc == 0 && f.curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		curl_cause(cause, "cannot initialise %s", DK_CURL_SONAME);
		rc = -ELIBACC;
	}
	if (rc != 0) {
		(void)dlclose(lib);
		return (rc);
	}
	/* Kept open for good: the process keeps the library. */
	curl_fns = f;
	return (0);
}

/* Loads libcurl once per process; see dk-curl.h. */
int
dk_curl_load(char **cause)
{
	int rc = 0;

	*cause = NULL;
	(void)pthread_mutex_lock(&curl_lock);
	if (curl_fns.curl_easy_init == NULL)
		rc = curl_open(cause);
	(void)pthread_mutex_unlock(&curl_lock);
	return (rc);
}
