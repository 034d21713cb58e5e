/*
 * The connect phase of a hijacked connection. libcurl makes the
 * connection (unix socket, TCP or TLS, with the endpoint's certificates)
 * with CURLOPT_CONNECT_ONLY in a multi handle of the hijack's own, driven
 * by the loop through a struct dk_curl_uv (curl-uv.c) as the client's
 * multi is, so nothing blocks. Once connected, curl's socket watchers
 * are released and hijack.c polls the connection itself. The easy
 * handle stays in that multi until the hijack ends, because removing a
 * connect-only handle from its multi closes the connection (libcurl
 * 7.88). A private multi also keeps hijacked connections out of the
 * client's connection reuse, which they must never enter.
 */
#include <stdlib.h>
#include <string.h>

#include "dk-hijack.h"

/* curl finished connecting, well or not. */
static void
hj_connect_done(struct dk_curl_uv *cu, CURL *easy, CURLcode result,
    void *arg)
{
	struct dk_hijack *h = arg;
	char *msg = NULL;
	long oserr = 0;
	int status;

	(void)cu;
	if (h->state != HJ_CONNECTING || easy != h->easy)
		return;
	if (result == CURLE_OK) {
		dk__curl_uv_release(&h->cu);
		dk__hj_connected(h);
		return;
	}
	(void)curl_easy_getinfo(h->easy, CURLINFO_OS_ERRNO, &oserr);
	status = dk__curl_error(result, oserr, h->ep.host, h->method, h->path,
	    h->errbuf[0] ? h->errbuf : curl_easy_strerror(result), &msg);
	dk__hj_end(h, status, msg);
	free(msg);
}

/* Sets the curl options of the connect-only handle. */
static int
hj_setup_easy(struct dk_hijack *h)
{
	const struct dk_endpoint *ep = &h->ep;
	CURL *e = h->easy;
	int bad = 0;

#define SET(opt, v)	(bad |= curl_easy_setopt(e, opt, v) != CURLE_OK)
	SET(CURLOPT_URL, ep->base_url);
	SET(CURLOPT_CONNECT_ONLY, 1L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, h->errbuf);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)DK_CONNECT_TIMEOUT_MS);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	if (ep->unix_path != NULL)
		SET(CURLOPT_UNIX_SOCKET_PATH, ep->unix_path);
	if (ep->tls) {
		SET(CURLOPT_SSL_VERIFYPEER, ep->tls_verify ? 1L : 0L);
		SET(CURLOPT_SSL_VERIFYHOST, ep->tls_verify ? 2L : 0L);
		if (ep->ca != NULL)
			SET(CURLOPT_CAINFO, ep->ca);
		if (ep->cert != NULL)
			SET(CURLOPT_SSLCERT, ep->cert);
		if (ep->key != NULL)
			SET(CURLOPT_SSLKEY, ep->key);
	}
#undef SET
	return (bad ? -EINVAL : 0);
}

/* Starts connecting (the API version is known). */
void
dk__hj_connect(struct dk_hijack *h)
{
	char *cause;

	h->state = HJ_CONNECTING;
	/* A pinned API version means no request has loaded libcurl yet. */
	if (dk_curl_load(&cause) != 0) {
		dk__hj_end(h, DK_E_UNAVAILABLE, cause);
		free(cause);
		return;
	}
	if (dk__curl_uv_init(&h->cu, h->loop, hj_connect_done, h) != 0)
		goto fail;
	h->cu_on = 1;
	h->easy = curl_easy_init();
	if (h->easy == NULL || hj_setup_easy(h) != 0)
		goto fail;
	if (curl_multi_add_handle(h->cu.multi, h->easy) != CURLM_OK)
		goto fail;
	return;
fail:
	dk__hj_endf(h, DK_E_INTERNAL, "cannot set up a connection for %s",
	    h->what);
}

/* The hijack's multi has closed its handles. */
static void
hj_cu_closed(struct dk_curl_uv *cu, void *arg)
{
	struct dk_hijack *h = arg;

	(void)cu;
	h->cu_on = 0;
	dk__hj_closed_one(h);
}

/* Drops the connection and closes the multi; see dk-hijack.h. */
int
dk__hj_disconnect(struct dk_hijack *h)
{
	if (h->easy != NULL) {
		if (h->cu_on)
			(void)curl_multi_remove_handle(h->cu.multi, h->easy);
		curl_easy_cleanup(h->easy);
		h->easy = NULL;
	}
	if (!h->cu_on)
		return (0);
	if (!h->cu.shut) {
		h->nclosing++;
		dk__curl_uv_close(&h->cu, hj_cu_closed, h);
	}
	return (1);
}
