/*
 * Libraries opened on first use: the loader (cli-dl.h) and the tables
 * of libarchive (cli-arc.h) and libwebsockets (cli-lws.h). The sonames
 * are the ones this build compiled against, read by meson from the
 * libraries themselves (tools/pier/meson.build).
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLI_DL_NO_MACROS
#include "cli-arc.h"
#include "cli-dl.h"
#include "cli-lws.h"

/* The oldest libarchive pier runs with: the one meson asks for. */
#define CLI_ARC_MIN_VERSION	3006000

/* Sets *cause to a new message; NULL when out of memory. */
static void __attribute__((format(printf, 2, 3)))
dl_cause(char **cause, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) < 0)
		*cause = NULL;
	va_end(ap);
}

/* Opens d's library and fills a copy of its table, then d's; -ELIBACC. */
static int
dl_open(struct cli_dl *d, char **cause)
{
	unsigned char	 t[512];
	void		*lib, *p;
	size_t		 i;

	if (d->size > sizeof(t)) {
		dl_cause(cause, "%s: too many functions", d->soname);
		return (-ELIBACC);
	}
	lib = dlopen(d->soname, RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		dl_cause(cause, "cannot load %s: %s; install %s", d->soname,
		    dlerror(), d->package);
		return (-ELIBACC);
	}
	memset(t, 0, sizeof(t));
	for (i = 0; i < d->nsyms; i++) {
		p = dlsym(lib, d->syms[i].name);
		if (p == NULL) {
			dl_cause(cause, "%s lacks %s; install a newer %s",
			    d->soname, d->syms[i].name, d->package);
			(void)dlclose(lib);
			return (-ELIBACC);
		}
		/* POSIX: a data pointer from dlsym holds a function's. */
		memcpy(t + d->syms[i].off, &p, sizeof(p));
	}
	if (d->check != NULL && d->check(t, cause) != 0) {
		(void)dlclose(lib);
		return (-ELIBACC);
	}
	/* Kept open for good: the process keeps the library. */
	memcpy(d->table, t, d->size);
	return (0);
}

/* Loads d once per process; see cli-dl.h. */
int
cli_dl_load(struct cli_dl *d, char **cause)
{
	int	rc = 0;

	*cause = NULL;
	(void)pthread_mutex_lock(&d->lock);
	if (!d->loaded) {
		rc = dl_open(d, cause);
		d->loaded = rc == 0;
	}
	(void)pthread_mutex_unlock(&d->lock);
	return (rc);
}

/* libarchive */

#define DL_SYM(tab, fn)	{ #fn, offsetof(struct tab, fn) },
#define ARC_SYM(fn)	DL_SYM(cli_arc_fns, fn)
static const struct cli_dl_sym arc_syms[] = { CLI_ARC_FNS(ARC_SYM) };
#undef ARC_SYM
static struct cli_arc_fns arc_fns;
const struct cli_arc_fns *const cli_arc = &arc_fns;

/* Refuses a libarchive older than the one pier is built for. */
static int
arc_check(const void *table, char **cause)
{
	const struct cli_arc_fns *f = table;
	int	v;

	v = f->archive_version_number();
	if (v >= CLI_ARC_MIN_VERSION)
		return (0);
	dl_cause(cause, "%s is libarchive %d.%d.%d; install libarchive "
	    "3.6 or later", CLI_ARC_SONAME, v / 1000000, v / 1000 % 1000,
	    v % 1000);
	return (-ELIBACC);
}

static struct cli_dl arc_dl = {
	.soname = CLI_ARC_SONAME,
	.package = "libarchive",
	.syms = arc_syms,
	.nsyms = sizeof(arc_syms) / sizeof(arc_syms[0]),
	.table = &arc_fns,
	.size = sizeof(arc_fns),
	.check = arc_check,
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

/* Loads libarchive once per process; see cli-arc.h. */
int
cli_arc_load(char **cause)
{
	return (cli_dl_load(&arc_dl, cause));
}

/* libwebsockets */

#define LWS_SYM(fn)	DL_SYM(cli_lws_fns, fn)
static const struct cli_dl_sym lws_syms[] = { CLI_LWS_FNS(LWS_SYM) };
#undef LWS_SYM
static struct cli_lws_fns lws_fns;
const struct cli_lws_fns *const cli_lws = &lws_fns;

/* The soname is the build's, so the ABI is the headers'. */
static struct cli_dl lws_dl = {
	.soname = CLI_LWS_SONAME,
	.package = "libwebsockets",
	.syms = lws_syms,
	.nsyms = sizeof(lws_syms) / sizeof(lws_syms[0]),
	.table = &lws_fns,
	.size = sizeof(lws_fns),
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

/* Loads libwebsockets once per process; see cli-lws.h. */
int
cli_lws_load(char **cause)
{
	return (cli_dl_load(&lws_dl, cause));
}
