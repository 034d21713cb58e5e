/*
 * docker/'s internals of hijacked connections, shared by hijack.c (the
 * request, the response head, the stream both ways, the public calls)
 * and hijack-connect.c (the connect-only handle in a multi of its own,
 * driven by the loop). Nothing outside docker/ includes this.
 */
#ifndef PIER_DK_HIJACK_H
#define PIER_DK_HIJACK_H

#include "dk-http.h"

#define HJ_MAX_HEAD	(16 * 1024)	/* bytes of response head */
#define HJ_READ_SIZE	(16 * 1024)	/* one read */
#define HJ_MAX_QUEUE	(1024 * 1024)	/* default bound on queued writes */

/* Where a hijack is. */
enum hj_state {
	HJ_VERSION,		/* waiting for the API version */
	HJ_CONNECTING,		/* curl is connecting */
	HJ_HEAD,		/* request sent or sending; reading the head */
	HJ_ERRBODY,		/* not upgraded: reading the error body */
	HJ_STREAM,		/* raw bytes both ways */
	HJ_ENDED,		/* handles closing */
};

/* One hijacked connection. */
struct dk_hijack {
	struct dk_client	*c;	/* only until the version is known */
	struct dk_endpoint	 ep;		/* a copy: the client may go */
	char			*version;	/* API version, "1.41" */
	uv_loop_t		*loop;
	enum hj_state		 state;
	struct dk_hijack_cbs	 cbs;
	int			 tty;
	char			*what;		/* "POST /exec/ID/start" */
	char			*method;
	char			*path;
	char			*body;		/* JSON text, or NULL */

	struct dk_req		*ping;		/* version ping, or NULL */
	struct dk_curl_uv	 cu;		/* its own multi, on the loop */
	int			 cu_on;		/* cu made and not closed */
	CURL			*easy;
	char			 errbuf[CURL_ERROR_SIZE];
	uv_timer_t		 kick;		/* deferred reads, the end */
	uv_poll_t		 poll;		/* the connection, once made */
	int			 poll_on;
	int			 events;	/* what poll waits for */
	curl_socket_t		 fd;

	char			*rbuf;		/* the HTTP request */
	size_t			 rlen;
	size_t			 roff;
	char			*wbuf;		/* queued writes */
	size_t			 wlen;
	size_t			 woff;
	size_t			 wmax;
	int			 shut_wanted;	/* close stdin when drained */
	int			 shut_done;

	char			*head;		/* head, then an error body */
	size_t			 hlen;
	size_t			 body_want;	/* Content-Length or max */
	long			 http;
	struct dk_demux		 demux;
	char			*held;		/* read, not yet delivered */
	size_t			 held_len;
	size_t			 held_off;

	int			 paused;
	int			 cancelled;
	int			 status;
	char			*msg;
	int			 nclosing;
	uint64_t		 bytes_in;
	uint64_t		 bytes_out;
	uint64_t		 reads;		/* receive calls made */
};

/* hijack.c */

/* Ends the hijack with status: closes every handle; on_end follows. */
void dk__hj_end(struct dk_hijack *h, int status, const char *msg);
/* Ends the hijack with a formatted message. */
void dk__hj_endf(struct dk_hijack *h, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* One close callback (or the ping) came back; the last one ends it. */
void dk__hj_closed_one(struct dk_hijack *h);
/* The connection is made: take the socket over, send the request. */
void dk__hj_connected(struct dk_hijack *h);

/* hijack-connect.c */

/* Starts connecting through the hijack's own multi handle. */
void dk__hj_connect(struct dk_hijack *h);
/*
 * After every other handle of an ended hijack has closed: drops the
 * connection and starts closing the multi; 1 if a close is under way.
 */
int dk__hj_disconnect(struct dk_hijack *h);

#endif
