/*
 * tools/pier/: libraries opened on first use. libarchive (pier cp) and
 * libwebsockets (pier ui) bring some twenty more libraries between them
 * (ICU, libxml2, libstdc++, OpenSSL, libcap, compressors), whose loading,
 * relocation and constructors cost every run of pier about 5 ms on a
 * 2-core machine, four times what `pier ps` needs for its own work. So
 * pier links neither: the commands that use them dlopen them
 * (cli-arc.h, cli-lws.h), as the node does libcurl (docker/libcurl/).
 *
 * This header is the loader both share: a table of function pointers,
 * the names that fill it and the soname they come from. The table is
 * filled whole or not at all, under a lock, and never changes after; a
 * failed load leaves nothing behind and the next call tries again.
 */
#ifndef PIER_CLI_DL_H
#define PIER_CLI_DL_H

#include <pthread.h>
#include <stddef.h>

/* One function to resolve: its name and its place in the table. */
struct cli_dl_sym {
	const char	*name;
	size_t		 off;
};

/* A library loaded on first use. */
struct cli_dl {
	const char		*soname;	/* "libarchive.so.13" */
	const char		*package;	/* Debian's, for the message */
	const struct cli_dl_sym	*syms;
	size_t			 nsyms;
	void			*table;		/* nsyms function pointers */
	size_t			 size;		/* of the table */
	/* Optional: checks the filled table (a version); 0 or -ELIBACC. */
	int			(*check)(const void *table, char **cause);
	pthread_mutex_t		 lock;
	int			 loaded;
};

/*
 * Loads d once per process: 0 at once when it is loaded, else dlopens
 * d->soname and fills d->table. -ELIBACC with the reason in *cause
 * (caller frees; NULL if out of memory) when the library is missing,
 * lacks a function or fails d->check. Any thread may call it.
 */
int	cli_dl_load(struct cli_dl *d, char **cause)
	    __attribute__((warn_unused_result));

#endif
