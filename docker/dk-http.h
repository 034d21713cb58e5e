/*
 * docker/'s own internals: the structs behind the HTTP layer (shared by
 * http.c, which drives curl from the loop, and request.c, which builds
 * and reads requests) and the dk__ helpers other files of the folder
 * lend them. Nothing outside docker/ includes this.
 */
#ifndef PIER_DK_HTTP_H
#define PIER_DK_HTTP_H

#include <sys/queue.h>

#include "docker.h"
#include "dk-curl.h"
#include "dk-curl-uv.h"

#define container_of(p, type, member)					\
	((type *)((char *)(p) - offsetof(type, member)))

#define DK_MAX_HEADERS		(16 * 1024)	/* bytes of headers kept */
#define DK_MAX_ERROR_BODY	(64 * 1024)	/* error body of a stream */
#define DK_CONNECT_TIMEOUT_MS	10000

/* Where a request is in its life. */
enum dk_req_state {
	DK_RS_WAITING,		/* not yet handed to curl */
	DK_RS_ACTIVE,		/* in the multi handle */
	DK_RS_DONE,		/* callback running or ran */
};

/* One request, from dk_request until its callback returns. */
struct dk_req {
	struct dk_client	*c;
	CURL			*easy;
	struct curl_slist	*out_hdrs;
	char			*method;
	char			*path;
	char			*out_body;	/* serialised JSON, or NULL */
	int			 flags;
	dk_req_cb		*cb;
	dk_data_cb		*on_data;
	void			*arg;

	enum dk_req_state	 state;
	int			 cancelled;
	int			 paused;
	int			 resume_pending;
	int			 local_err;	/* set by a curl callback */
	char			*local_msg;

	long			 http_status;
	char			*body;
	size_t			 len;
	size_t			 cap;
	char			*hdrs;		/* "name\0value\0" pairs */
	size_t			 hlen;
	size_t			 hcap;
	char			*message;
	char			 errbuf[CURL_ERROR_SIZE];

	/* DK_REQ_UPLOAD: the body given by dk_req_send, a ring of bytes. */
	dk_sent_cb		*on_sent;
	char			*up;		/* DK_UPLOAD_MAX bytes */
	size_t			 up_off;	/* first byte not yet read */
	size_t			 up_len;	/* bytes held */
	unsigned		 up_end:1;	/* dk_req_send_end came */
	unsigned		 up_waiting:1;	/* curl's read paused */
	unsigned		 up_full:1;	/* a send was refused */
	unsigned		 up_sent:1;	/* on_sent due on the kick */

	TAILQ_ENTRY(dk_req)	 entry;
};

/* A client of one engine. */
struct dk_client {
	uv_loop_t		*loop;
	struct dk_curl_uv	 cu;		/* curl on the loop */
	int			 cu_on;		/* cu made (first request) */
	uv_timer_t		 kick;		/* our deferred work */
	struct dk_endpoint	 ep;
	struct dk_client_opts	 opts;

	char			*version;	/* negotiated, or NULL */
	int			 negotiating;
	int			 neg_err;	/* last negotiation's failure */
	char			*neg_msg;

	TAILQ_HEAD(, dk_req)	 reqs;		/* every request not ended */
	size_t			 nreqs;

	int			 closing;
	int			 shut;		/* curl gone, handles closing */
	int			 nclosing;	/* close callbacks to come */
	dk_close_cb		*close_cb;
	void			*close_arg;
};

/* http.c */

/* Schedules the client's deferred work for the next loop turn. */
void dk__kick(struct dk_client *c);
/*
 * Loads libcurl and makes the client's multi, on its first request; 0,
 * or a dk_err with *cause (caller frees; may be NULL).
 */
int dk__client_curl(struct dk_client *c, char **cause) WARN_UNUSED_RESULT;

/* request.c */

/* Sets the curl options that do not depend on the API version. */
int dk__req_setup(struct dk_req *req, const struct dk_req_opts *o)
    WARN_UNUSED_RESULT;
/* Frees a request and its easy handle (already out of the multi). */
void dk__req_free(struct dk_req *req);

/* errors.c */

/* Formats into a new string; NULL when out of memory. */
char *dk__asprintf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
/*
 * Maps a failed transfer (a CURLcode and the socket's errno) onto a
 * dk_err, with a message naming the engine in *msg (caller frees).
 */
int dk__curl_error(int code, long oserr, const char *host,
    const char *method, const char *path, const char *detail, char **msg);
/* The engine's error text from an error body (caller frees). */
char *dk__engine_message(const char *body, size_t len, long http,
    const char *method, const char *path);

/* system.c */

/* Parses "1.41" into 141; -1 if it is not a version. */
int dk__version_num(const char *v);
/*
 * Settles the API version from the engine's (theirs): the lower of it
 * and DK_API_VERSION into *version, or a dk_err with *msg.
 */
int dk__negotiate(const char *host, const char *theirs, char **version,
    char **msg);

#endif
