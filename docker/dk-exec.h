/*
 * docker/: streams. The decoders (multiplexed stdout/stderr frames,
 * line-delimited JSON, stats arithmetic, pull progress and events) are
 * pure and bounded; the streams built on them (logs, stats, events, pull,
 * exec and attach) run on the loop through the HTTP layer in http.c.
 * docker.h includes this header; include docker.h, not this.
 */
#ifndef PIER_DK_EXEC_H
#define PIER_DK_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#ifndef WARN_UNUSED_RESULT
#define WARN_UNUSED_RESULT __attribute__((warn_unused_result))
#endif

/* demux.c */

/* Stream kinds of a multiplexed frame (the header's first byte). */
enum dk_stream_kind {
	DK_STREAM_STDIN = 0,
	DK_STREAM_STDOUT = 1,
	DK_STREAM_STDERR = 2,
	DK_STREAM_SYSTEM = 3,	/* engine's own error text (API >= 1.41) */
	DK_STREAM_RAW = 4,	/* TTY: undivided bytes, never in a header */
};

/* Largest frame accepted by default; the engine writes at most 32 KiB. */
#define DK_DEMUX_MAX_FRAME	(1u << 20)

/* A streaming decoder of Docker's 8-byte frame headers. */
struct dk_demux {
	uint8_t		hdr[8];		/* header bytes seen so far */
	size_t		hlen;
	size_t		left;		/* payload bytes of this frame to go */
	int		kind;		/* enum dk_stream_kind of this frame */
	int		error;		/* sticky: once bad, always bad */
	size_t		max_frame;
	uint64_t	frames;		/* headers decoded */
};

/* Called with payload bytes of one frame; nonzero stops the feed. */
typedef int (*dk_demux_cb)(void *arg, int kind, const char *buf,
    size_t len);

/* Sets up a decoder; max_frame 0 means DK_DEMUX_MAX_FRAME. */
void dk_demux_init(struct dk_demux *d, size_t max_frame);
/*
 * Decodes len bytes, calling cb with each run of payload as it arrives
 * (a frame may come in several calls, never merged with the next one).
 * Returns 0, the callback's nonzero value (the bytes passed so far are
 * consumed), -EPROTO for a bad header or -EMSGSIZE for a frame over the
 * bound; errors are sticky.
 */
int dk_demux_feed(struct dk_demux *d, const char *buf, size_t len,
    dk_demux_cb cb, void *arg) WARN_UNUSED_RESULT;
/* At end of input: 0, or -EPROTO if it stopped inside a frame. */
int dk_demux_finish(const struct dk_demux *d) WARN_UNUSED_RESULT;
/* Names a stream kind: "stdout", "stderr", ... */
const char *dk_stream_name(int kind);

/* stats.c */

/* Largest stats object accepted by dk_stats_parse. */
#define DK_STATS_MAX	(256u * 1024)

/* One stats sample, as `docker stats` shows it. */
struct dk_stats {
	char		read[40];	/* engine's sample time, RFC 3339 */
	char		id[72];
	char		name[128];	/* without the leading '/' */
	double		cpu_percent;	/* of one CPU; up to online_cpus*100 */
	uint64_t	cpu_total;	/* container CPU time, ns */
	uint64_t	cpu_system;	/* host CPU time, ns */
	uint64_t	online_cpus;
	uint64_t	mem_usage;	/* bytes, page cache excluded */
	uint64_t	mem_limit;
	double		mem_percent;
	uint64_t	net_rx;		/* bytes, all interfaces */
	uint64_t	net_tx;
	uint64_t	blk_read;	/* bytes */
	uint64_t	blk_write;
	uint64_t	pids;
};

/*
 * Fills st from one stats object (cgroup v1 or v2). Absent fields count
 * as zero; -EPROTO (with *cause) for a field of the wrong type.
 */
int dk_stats_from_json(const json_t *root, struct dk_stats *st,
    char **cause) WARN_UNUSED_RESULT;
/* Parses one stats JSON text (at most DK_STATS_MAX bytes) into st. */
int dk_stats_parse(const char *buf, size_t len, struct dk_stats *st,
    char **cause) WARN_UNUSED_RESULT;

/* jsonl.c */

/* Longest line accepted by default (an event or progress message). */
#define DK_JSONL_MAX_LINE	(1u << 20)

/* A splitter of line-delimited JSON objects. */
struct dk_jsonl {
	char		*buf;		/* the partial line */
	size_t		len;
	size_t		cap;
	size_t		max_line;
	int		error;		/* sticky */
	uint64_t	lines;		/* objects delivered */
};

/* Called with each object (borrowed); nonzero stops the feed. */
typedef int (*dk_jsonl_cb)(void *arg, json_t *obj);

/* Sets up a splitter; max_line 0 means DK_JSONL_MAX_LINE. */
void dk_jsonl_init(struct dk_jsonl *j, size_t max_line);
/* Frees the partial line. */
void dk_jsonl_free(struct dk_jsonl *j);
/*
 * Splits len bytes into lines and calls cb with each parsed object.
 * Returns 0, the callback's nonzero value, -EPROTO for a line that is not
 * a JSON object, -EMSGSIZE for one over the bound; errors are sticky.
 */
int dk_jsonl_feed(struct dk_jsonl *j, const char *buf, size_t len,
    dk_jsonl_cb cb, void *arg) WARN_UNUSED_RESULT;
/* At end of input: delivers a last unterminated line, if any. */
int dk_jsonl_finish(struct dk_jsonl *j, dk_jsonl_cb cb, void *arg)
    WARN_UNUSED_RESULT;

/* One image pull progress message. */
struct dk_pull_event {
	char		id[80];		/* layer id, or the tag; may be "" */
	char		status[128];	/* "Downloading", "Pull complete" */
	long long	current;	/* bytes, -1 when not given */
	long long	total;		/* bytes, -1 when not given */
};

/*
 * Reads a pull progress object. A message carrying error/errorDetail is
 * the failure of the pull: -EIO with the engine's text in *cause.
 */
int dk_pull_from_json(const json_t *obj, struct dk_pull_event *ev,
    char **cause) WARN_UNUSED_RESULT;

/* One engine event (GET /events). */
struct dk_event {
	char		type[24];	/* "container", "image", ... */
	char		action[64];	/* "start", "die", ... */
	char		id[72];
	char		name[128];	/* Actor.Attributes.name, or "" */
	long long	time_ns;	/* since the epoch */
};

/* Reads an event object; -EPROTO if it is not an object. */
int dk_event_from_json(const json_t *obj, struct dk_event *ev)
    WARN_UNUSED_RESULT;

#endif
