/*
 * tools/pier/https.c: one https GET into memory, for the client's
 * template sources. libcurl's easy interface, loaded on the first fetch
 * (docker/libcurl/dk-curl.h) and not linked: its 30 libraries would cost
 * every pier command a few milliseconds of dynamic linking at start. The
 * client is a command, not the node's event loop, so a blocking transfer
 * with a timeout is the simple and right thing here.
 *
 * Only https is fetched, redirects too; the body is bounded while it
 * arrives, not after.
 */
#ifndef PIER_CLI_HTTPS_H
#define PIER_CLI_HTTPS_H

#include <stddef.h>

#ifndef WARN_UNUSED_RESULT
#define WARN_UNUSED_RESULT __attribute__((warn_unused_result))
#endif

/* How cli_https_get fetches. */
struct cli_https_opts {
	long		 timeout_ms;	/* whole transfer; 0: 30 s */
	size_t		 max_size;	/* largest body taken, > 0 */
	const char	*ca_file;	/* CA bundle; NULL: the system's */
};

/*
 * GETs an https URL into *body (NUL-terminated; caller frees, also on
 * failure) of *len bytes. 0 on HTTP 200, else -EFBIG for a body over
 * max_size (no *cause: the caller names its limit), -ENOENT for HTTP
 * 404, -ETIMEDOUT, -ENOSYS when libcurl cannot be loaded, -EINVAL when
 * it refuses an option, -ENOMEM, or -EIO, with a message naming url in
 * *cause (caller frees).
 */
int cli_https_get(const char *url, const struct cli_https_opts *o,
    char **body, size_t *len, char **cause) WARN_UNUSED_RESULT;

#endif
