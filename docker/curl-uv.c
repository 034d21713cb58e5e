/*
 * libcurl's multi interface driven by the libuv loop, as curl's multi-uv
 * example intends but with every handle owned and closed: a uv_poll_t
 * per socket curl names, one uv_timer_t for its timeouts, and the check
 * of finished transfers after each curl_multi_socket_action. The Docker
 * client and each hijacked connection own one; keeping a single copy
 * means a fix here (how a poll error reaches curl, say) reaches both.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dk-curl-uv.h"

#define container_of(p, type, member)					\
	((type *)((char *)(p) - offsetof(type, member)))

/* One handle of cu has closed; the last one after close calls back. */
static void
cu_closed_one(struct dk_curl_uv *cu)
{
	if (--cu->nclosing > 0 || !cu->shut)
		return;
	if (cu->close_cb != NULL)
		cu->close_cb(cu, cu->close_arg);
}

/* Close callback of a socket's poll handle. */
static void
sock_close_cb(uv_handle_t *h)
{
	struct dk_curl_sock *s = container_of((uv_poll_t *)h,
	    struct dk_curl_sock, poll);
	struct dk_curl_uv *cu = s->cu;

	free(s);
	cu_closed_one(cu);
}

/* Close callback of curl's timer. */
static void
timer_close_cb(uv_handle_t *h)
{
	cu_closed_one(container_of((uv_timer_t *)h, struct dk_curl_uv,
	    timer));
}

/* Forgets a socket: curl no longer names it, its poll handle closes. */
static void
sock_close(struct dk_curl_uv *cu, struct dk_curl_sock *s)
{
	/* While curl_multi_cleanup runs, the multi is half gone. */
	if (cu->multi != NULL && !cu->shut)
		(void)curl_multi_assign(cu->multi, s->fd, NULL);
	LIST_REMOVE(s, entry);
	cu->nclosing++;
	uv_close((uv_handle_t *)&s->poll, sock_close_cb);
}

/* Collects every finished transfer and reports it to the owner. */
static void
drain(struct dk_curl_uv *cu)
{
	CURLMsg *m;
	CURL *easy;
	CURLcode result;
	int left;

	/* The owner may close cu from its callback: look before each. */
	while (!cu->shut) {
		m = curl_multi_info_read(cu->multi, &left);
		if (m == NULL)
			break;
		if (m->msg != CURLMSG_DONE)
			continue;
		easy = m->easy_handle;
		result = m->data.result;
		cu->done_cb(cu, easy, result, cu->arg);
	}
}

/* A socket is ready: tell curl, then collect finished transfers. */
static void
poll_cb(uv_poll_t *h, int status, int events)
{
	struct dk_curl_sock *s = container_of(h, struct dk_curl_sock, poll);
	struct dk_curl_uv *cu = s->cu;
	int flags = 0, running;

	/*
	 * An error (a reset, say) is CURL_CSELECT_ERR, with IN and OUT so
	 * that curl reads or writes and reports the socket's own error
	 * rather than a bare "select/poll returned error".
	 */
	if (status < 0)
		flags = CURL_CSELECT_ERR | CURL_CSELECT_IN | CURL_CSELECT_OUT;
	else {
		if (events & UV_READABLE)
			flags |= CURL_CSELECT_IN;
		if (events & UV_WRITABLE)
			flags |= CURL_CSELECT_OUT;
	}
	/* s may be closed by curl inside this call; cu stays. */
	(void)curl_multi_socket_action(cu->multi, s->fd, flags, &running);
	drain(cu);
}

/* curl's timeout expired. */
static void
timer_cb(uv_timer_t *t)
{
	dk__curl_uv_drive(container_of(t, struct dk_curl_uv, timer));
}

/* CURLMOPT_SOCKETFUNCTION: watch, change or forget one socket. */
static int
socket_fn(CURL *easy, curl_socket_t fd, int what, void *userp,
    void *socketp)
{
	struct dk_curl_uv *cu = userp;
	struct dk_curl_sock *s = socketp;
	int events = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL)
			sock_close(cu, s);
		return (0);
	}
	if (cu->shut)
		return (-1);
	if (cu->released)
		return (0);	/* the connection is the owner's */
	if (what & CURL_POLL_IN)
		events |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		events |= UV_WRITABLE;
	if (s == NULL) {
		s = calloc(1, sizeof *s);
		if (s == NULL)
			return (-1);
		if (uv_poll_init_socket(cu->loop, &s->poll, fd) != 0) {
			free(s);
			return (-1);
		}
		s->fd = fd;
		s->cu = cu;
		LIST_INSERT_HEAD(&cu->socks, s, entry);
		if (curl_multi_assign(cu->multi, fd, s) != CURLM_OK) {
			sock_close(cu, s);
			return (-1);
		}
	}
	if (uv_poll_start(&s->poll, events, poll_cb) != 0)
		return (-1);
	return (0);
}

/* CURLMOPT_TIMERFUNCTION: curl wants to be called after ms. */
static int
timer_fn(CURLM *multi, long ms, void *userp)
{
	struct dk_curl_uv *cu = userp;

	(void)multi;
	if (cu->shut)
		return (0);
	if (ms < 0)
		(void)uv_timer_stop(&cu->timer);
	else if (uv_timer_start(&cu->timer, timer_cb,
	    ms == 0 ? 1 : (uint64_t)ms, 0) != 0)
		return (-1);
	return (0);
}

/* Makes the multi handle and the timer; see dk-curl-uv.h. */
int
dk__curl_uv_init(struct dk_curl_uv *cu, uv_loop_t *loop,
    dk_curl_uv_done_cb *done, void *arg)
{
	int rc;

	memset(cu, 0, sizeof *cu);
	cu->loop = loop;
	cu->done_cb = done;
	cu->arg = arg;
	LIST_INIT(&cu->socks);
	cu->multi = curl_multi_init();
	if (cu->multi == NULL)
		return (-ENOMEM);
	if (curl_multi_setopt(cu->multi, CURLMOPT_SOCKETFUNCTION,
	    socket_fn) != CURLM_OK ||
	    curl_multi_setopt(cu->multi, CURLMOPT_SOCKETDATA, cu) != CURLM_OK ||
	    curl_multi_setopt(cu->multi, CURLMOPT_TIMERFUNCTION,
	    timer_fn) != CURLM_OK ||
	    curl_multi_setopt(cu->multi, CURLMOPT_TIMERDATA, cu) != CURLM_OK) {
		rc = -EIO;
		goto fail;
	}
	/* The timer is initialised last: nothing can fail after it. */
	rc = uv_timer_init(loop, &cu->timer);
	if (rc != 0)
		goto fail;
	return (0);
fail:
	(void)curl_multi_cleanup(cu->multi);
	cu->multi = NULL;
	return (rc);
}

/* Cleans curl up and closes every handle; see dk-curl-uv.h. */
void
dk__curl_uv_close(struct dk_curl_uv *cu, dk_curl_uv_close_cb *cb,
    void *arg)
{
	struct dk_curl_sock *s;

	if (cu->shut)
		return;
	cu->shut = 1;
	cu->close_cb = cb;
	cu->close_arg = arg;
	/* No poll callback may reach curl while it cleans up. */
	LIST_FOREACH(s, &cu->socks, entry)
		(void)uv_poll_stop(&s->poll);
	(void)curl_multi_cleanup(cu->multi);
	cu->multi = NULL;
	while (!LIST_EMPTY(&cu->socks))
		sock_close(cu, LIST_FIRST(&cu->socks));
	cu->nclosing++;
	uv_close((uv_handle_t *)&cu->timer, timer_close_cb);
}

/* Drives curl now, then reports what finished. */
void
dk__curl_uv_drive(struct dk_curl_uv *cu)
{
	int running;

	if (cu->shut)
		return;
	(void)curl_multi_socket_action(cu->multi, CURL_SOCKET_TIMEOUT, 0,
	    &running);
	drain(cu);
}

/* Leaves curl's sockets to the owner; see dk-curl-uv.h. */
void
dk__curl_uv_release(struct dk_curl_uv *cu)
{
	cu->released = 1;
	(void)uv_timer_stop(&cu->timer);	/* curl may set it again */
	while (!LIST_EMPTY(&cu->socks))
		sock_close(cu, LIST_FIRST(&cu->socks));
}
