/*
 * docker/'s internal glue of libcurl's multi interface and the libuv
 * loop: one struct dk_curl_uv owns a CURLM, a uv_poll_t per socket curl
 * names (attached with curl_multi_assign) and one uv_timer_t for curl's
 * timeouts, and reports each finished transfer to its owner. The Docker
 * client (http.c) embeds one for its requests, and every hijacked
 * connection (hijack-connect.c) one of its own for its connect phase.
 * Nothing outside docker/ includes this.
 */
#ifndef PIER_DK_CURL_UV_H
#define PIER_DK_CURL_UV_H

#include <sys/queue.h>

#include <uv.h>

#include "docker.h"
#include "dk-curl.h"

struct dk_curl_uv;

/*
 * A transfer finished with result. Runs after curl_multi_socket_action
 * has returned, never inside curl; it may close the object.
 */
typedef void dk_curl_uv_done_cb(struct dk_curl_uv *cu, CURL *easy,
    CURLcode result, void *arg);
/* Every handle of the object has closed; its memory may go now. */
typedef void dk_curl_uv_close_cb(struct dk_curl_uv *cu, void *arg);

/* One socket curl watches, polled by the loop. */
struct dk_curl_sock {
	uv_poll_t		 poll;
	curl_socket_t		 fd;
	struct dk_curl_uv	*cu;
	LIST_ENTRY(dk_curl_sock) entry;
};

/* A curl multi handle driven by a libuv loop. */
struct dk_curl_uv {
	uv_loop_t		*loop;
	CURLM			*multi;		/* NULL once closing */
	uv_timer_t		 timer;		/* curl's timeouts */
	LIST_HEAD(, dk_curl_sock) socks;	/* watched, not closing */
	dk_curl_uv_done_cb	*done_cb;
	void			*arg;

	int			 released;	/* sockets are the owner's */
	int			 shut;		/* closing: no more curl */
	int			 nclosing;	/* close callbacks to come */
	dk_curl_uv_close_cb	*close_cb;
	void			*close_arg;
};

/*
 * Makes the multi handle and the timer of cu (caller's memory); done is
 * called for each finished transfer. On failure nothing is left to
 * close. Once this succeeds, cu is closed with dk__curl_uv_close.
 */
int dk__curl_uv_init(struct dk_curl_uv *cu, uv_loop_t *loop,
    dk_curl_uv_done_cb *done, void *arg) WARN_UNUSED_RESULT;
/*
 * Cleans the multi handle up (its transfers must have been removed) and
 * closes every uv handle; cb runs once the last has closed, from the
 * loop. Not to be called from inside a curl callback.
 */
void dk__curl_uv_close(struct dk_curl_uv *cu, dk_curl_uv_close_cb *cb,
    void *arg);
/* Drives curl now (as if its timer fired), then reports what finished. */
void dk__curl_uv_drive(struct dk_curl_uv *cu);
/*
 * Stops watching curl's sockets (and stops the timer, which curl may set
 * again): a connect-only transfer is done and the owner polls the
 * connection itself from now on.
 */
void dk__curl_uv_release(struct dk_curl_uv *cu);

#endif
