/*
 * The connect phase of a hijacked connection. libcurl makes the
 * connection (unix socket, TCP or TLS, with the endpoint's certificates)
 * with CURLOPT_CONNECT_ONLY in a multi handle of the hijack's own, driven
 * by the loop as the client's multi is: a uv_poll_t per socket curl
 * names, a uv_timer_t for its timeouts, so nothing blocks. The easy
 * handle stays in that multi until the hijack ends, because removing a
 * connect-only handle from its multi closes the connection (libcurl
 * 7.88). A private multi also keeps hijacked connections out of the
 * client's connection reuse, which they must never enter.
 */
#include <stdlib.h>
#include <string.h>

#include "dk-hijack.h"

/* Close callback of a connect-phase socket. */
static void
hj_sock_closed(uv_handle_t *handle)
{
	struct hj_sock *s = container_of((uv_poll_t *)handle, struct hj_sock,
	    poll);
	struct dk_hijack *h = s->h;

	free(s);
	dk__hj_closed_one(h);
}

/* Closes a connect-phase socket watcher and tells curl it is gone. */
void
dk__hj_sock_close(struct dk_hijack *h, struct hj_sock *s)
{
	if (h->multi != NULL)
		(void)curl_multi_assign(h->multi, s->fd, NULL);
	LIST_REMOVE(s, entry);
	h->nclosing++;
	uv_close((uv_handle_t *)&s->poll, hj_sock_closed);
}

/* Sees whether curl finished connecting, and how (below). */
static void hj_check_connect(struct dk_hijack *);

/* Poll callback of a connect-phase socket. */
static void
hj_sock_cb(uv_poll_t *p, int status, int events)
{
	struct hj_sock *s = container_of(p, struct hj_sock, poll);
	struct dk_hijack *h = s->h;
	int flags = 0, running;

	if (status < 0)
		flags = CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	(void)curl_multi_socket_action(h->multi, s->fd, flags, &running);
	hj_check_connect(h);
}

/* curl's timer expired. */
static void
hj_ctimer_cb(uv_timer_t *t)
{
	struct dk_hijack *h = container_of(t, struct dk_hijack, ctimer);
	int running;

	(void)curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0,
	    &running);
	hj_check_connect(h);
}

/* CURLMOPT_SOCKETFUNCTION while connecting. */
static int
hj_socket_fn(CURL *easy, curl_socket_t fd, int what, void *userp,
    void *socketp)
{
	struct dk_hijack *h = userp;
	struct hj_sock *s = socketp;
	int events = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL)
			dk__hj_sock_close(h, s);
		return (0);
	}
	if (h->state != HJ_CONNECTING)
		return (0);	/* after the connect, the socket is ours */
	if (what & CURL_POLL_IN)
		events |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		events |= UV_WRITABLE;
	if (s == NULL) {
		s = calloc(1, sizeof *s);
		if (s == NULL)
			return (-1);
		if (uv_poll_init_socket(h->loop, &s->poll, fd) != 0) {
			free(s);
			return (-1);
		}
		s->fd = fd;
		s->h = h;
		LIST_INSERT_HEAD(&h->socks, s, entry);
		if (curl_multi_assign(h->multi, fd, s) != CURLM_OK) {
			dk__hj_sock_close(h, s);
			return (-1);
		}
	}
	return (uv_poll_start(&s->poll, events, hj_sock_cb) != 0 ? -1 : 0);
}

/* CURLMOPT_TIMERFUNCTION while connecting. */
static int
hj_timer_fn(CURLM *multi, long ms, void *userp)
{
	struct dk_hijack *h = userp;

	(void)multi;
	if (h->state == HJ_ENDED)
		return (0);
	if (ms < 0)
		(void)uv_timer_stop(&h->ctimer);
	else if (uv_timer_start(&h->ctimer, hj_ctimer_cb,
	    ms == 0 ? 1 : (uint64_t)ms, 0) != 0)
		return (-1);
	return (0);
}

/* Sees whether curl finished connecting, and how. */
static void
hj_check_connect(struct dk_hijack *h)
{
	CURLMsg *m;
	char *msg = NULL;
	long oserr = 0;
	int left, status;

	if (h->state != HJ_CONNECTING)
		return;
	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		if (m->data.result == CURLE_OK) {
			(void)uv_timer_stop(&h->ctimer);
			dk__hj_connected(h);
			return;
		}
		(void)curl_easy_getinfo(h->easy, CURLINFO_OS_ERRNO, &oserr);
		status = dk__curl_error(m->data.result, oserr,
		    h->ep.host, h->method, h->path,
		    h->errbuf[0] ? h->errbuf :
		    curl_easy_strerror(m->data.result), &msg);
		dk__hj_end(h, status, msg);
		free(msg);
		return;
	}
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
	h->state = HJ_CONNECTING;
	h->multi = curl_multi_init();
	h->easy = curl_easy_init();
	if (h->multi == NULL || h->easy == NULL)
		goto fail;
	if (curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION,
	    hj_socket_fn) != CURLM_OK ||
	    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h) != CURLM_OK ||
	    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION,
	    hj_timer_fn) != CURLM_OK ||
	    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h) != CURLM_OK ||
	    hj_setup_easy(h) != 0)
		goto fail;
	if (curl_multi_add_handle(h->multi, h->easy) != CURLM_OK)
		goto fail;
	return;
fail:
	dk__hj_endf(h, DK_E_INTERNAL, "cannot set up a connection for %s",
	    h->what);
}

