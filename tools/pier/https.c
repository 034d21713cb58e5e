/*
 * One https GET into memory (see https.h): libcurl's easy interface
 * through the table of docker/libcurl/, a body that refuses to grow past
 * its bound, and errno-style results with curl's own words in the
 * message.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dk-curl.h"	/* libcurl, loaded on the first fetch */

#include "pier-config.h"
#include "https.h"

/* A response body growing in memory, bounded. */
struct body {
	char		*buf;
	size_t		 len;
	size_t		 max;
	int		 too_big;
};

/* Sets *cause to a new message and returns code. */
static int __attribute__((format(printf, 3, 4)))
https_error(char **cause, int code, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) < 0)
		*cause = NULL;
	va_end(ap);
	return (code);
}

/* Appends received bytes, refusing to grow past the bound. */
static size_t
on_data(char *data, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t add = size * n;
	char *nb;

	if (add > b->max - b->len) {
		b->too_big = 1;
		return (0);
	}
	nb = realloc(b->buf, b->len + add + 1);
	if (nb == NULL)
		return (0);
	b->buf = nb;
	memcpy(b->buf + b->len, data, add);
	b->len += add;
	b->buf[b->len] = '\0';
	return (add);
}

/* Sets the options of one bounded https GET; 0 or -EINVAL. */
static int
setup(CURL *c, const char *url, const struct cli_https_opts *o,
    struct body *b, char *errbuf)
{
	if (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https") !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o->timeout_ms > 0 ?
	    o->timeout_ms : 30000L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)b->max) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_USERAGENT, "pier/" PIER_VERSION) !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, b) != CURLE_OK ||
	    (o->ca_file != NULL && curl_easy_setopt(c, CURLOPT_CAINFO,
	    o->ca_file) != CURLE_OK))
		return (-EINVAL);
	return (0);
}

/* GETs an https URL into memory; see https.h. */
int
cli_https_get(const char *url, const struct cli_https_opts *o, char **body,
    size_t *len, char **cause)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct body b = { .max = o->max_size };
	CURL *c;
	CURLcode cc;
	long status = 0;
	char *lc = NULL;
	int rc = 0;

	*body = NULL;
	*len = 0;
	*cause = NULL;
	if (dk_curl_load(&lc) != 0) {
		rc = https_error(cause, -ENOSYS, "%s: %s", url, lc != NULL ?
		    lc : "cannot load libcurl");
		free(lc);
		return (rc);
	}
	c = curl_easy_init();
	if (c == NULL)
		return (https_error(cause, -ENOMEM, "curl: cannot start"));
	if (setup(c, url, o, &b, errbuf) != 0) {
		rc = https_error(cause, -EINVAL, "curl: an option was "
		    "refused (libcurl too old?)");
		goto out;
	}
	cc = curl_easy_perform(c);
	if (b.too_big || cc == CURLE_FILESIZE_EXCEEDED) {
		rc = -EFBIG;
		goto out;
	}
	if (cc != CURLE_OK) {
		rc = https_error(cause, cc == CURLE_OPERATION_TIMEDOUT ?
		    -ETIMEDOUT : -EIO, "%s: %s", url, *errbuf != '\0' ? errbuf :
		    curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200)
		rc = https_error(cause, status == 404 ? -ENOENT : -EIO,
		    "%s: the server answered HTTP %ld", url, status);
out:
	curl_easy_cleanup(c);
	*body = b.buf;
	*len = b.len;
	return (rc);
}
