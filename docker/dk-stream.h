/*
 * docker/'s internals of streamed responses, shared by streams.c (the
 * stream, its decoders, pause and the held rest of a read) and logs.c
 * (the TTY inspect before a logs stream, the check after a follow one).
 * Nothing outside docker/ includes this.
 */
#ifndef PIER_DK_STREAM_H
#define PIER_DK_STREAM_H

#include <uv.h>

#include "docker.h"

/* streams.c */

/* How a stream's body is decoded. */
enum dk_stream_mode {
	DK_SM_RAW,		/* TTY logs: bytes as they come */
	DK_SM_DEMUX,		/* logs: 8-byte frame headers */
	DK_SM_STATS,		/* line-delimited JSON of each kind */
	DK_SM_EVENTS,
	DK_SM_PULL,
};

/* A stream: one streamed request and its decoder. */
struct dk_stream {
	struct dk_client	*c;
	struct dk_req		*req;		/* running request, or NULL */
	enum dk_stream_mode	 mode;
	struct dk_demux		 demux;
	struct dk_jsonl		 jsonl;
	struct dk_stream_cbs	 cbs;
	char			*what;		/* "logs", "stats", ... */
	char			*id;		/* container, for logs */
	struct dk_logs_opts	*logs;		/* for logs, until started */
	int			 err;		/* our own failure, or 0 */
	char			*msg;
	int			 streaming;	/* req is the stream itself */
	int			 paused;
	int			 cancelled;
	int			 ended;
	int			 end_pending;	/* body over, bytes held */
	uint64_t		 bytes;
	char			*held;		/* taken, not yet delivered */
	size_t			 held_len;
	size_t			 held_off;
	uv_timer_t		 kick;		/* held bytes after resume */
};

/* Makes a stream (not started); NULL when out of memory. */
struct dk_stream *dk__stream_new(struct dk_client *c,
    const struct dk_stream_cbs *cbs, enum dk_stream_mode mode,
    const char *what);
/* Frees a stream that will get no callback. */
void dk__stream_free(struct dk_stream *s);
/* Ends a stream: calls on_end once and frees it. */
void dk__stream_end(struct dk_stream *s, int status, const char *msg);
/* Starts s's streamed request on path; as dk_request. */
int dk__stream_start(struct dk_stream *s, const char *method,
    const char *path) WARN_UNUSED_RESULT;

/* logs.c */

/*
 * A follow stream ended cleanly: inspects the container on a new
 * connection so an engine that shut down ends it with DK_E_UNAVAILABLE.
 */
void dk__logs_confirm(struct dk_stream *s);

#endif
