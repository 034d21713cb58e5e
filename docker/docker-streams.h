/*
 * docker/: streams. The decoders (multiplexed stdout/stderr frames,
 * line-delimited JSON, stats arithmetic, pull progress and events) are
 * pure and bounded; the streams built on them (logs, stats, events, pull,
 * exec and attach) run on the loop through the HTTP layer in http.c.
 * docker.h includes this header; include docker.h, not this.
 */
#ifndef PIER_DOCKER_STREAMS_H
#define PIER_DOCKER_STREAMS_H

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
	size_t		consumed;	/* bytes the last feed took */
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
 * consumed: d->consumed says how many), -EPROTO for a bad header or
 * -EMSGSIZE for a frame over the bound; errors are sticky.
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
	size_t		consumed;	/* bytes the last feed took */
};

/* Called with each object (borrowed); nonzero stops the feed. */
typedef int (*dk_jsonl_cb)(void *arg, json_t *obj);

/* Sets up a splitter; max_line 0 means DK_JSONL_MAX_LINE. */
void dk_jsonl_init(struct dk_jsonl *j, size_t max_line);
/* Frees the partial line. */
void dk_jsonl_free(struct dk_jsonl *j);
/*
 * Splits len bytes into lines and calls cb with each parsed object.
 * Returns 0, the callback's nonzero value (j->consumed says how many
 * bytes were taken, up to that line's end), -EPROTO for a line that is
 * not a JSON object, -EMSGSIZE for one over the bound; errors are sticky.
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

/* streams.c */

/* The client and a request (http.c, in docker.h). */
struct dk_client;
struct dk_req;
/* A streamed response being decoded (logs, stats, events, pull). */
struct dk_stream;

/*
 * Called with each run of bytes of a logs stream as it arrives: kind is
 * DK_STREAM_STDOUT/STDERR (no TTY) or DK_STREAM_RAW (TTY). A frame may
 * come in several calls. The callback may pause, resume or cancel.
 */
typedef void dk_chunk_cb(struct dk_stream *s, int kind, const char *buf,
    size_t len, void *arg);
/* Called with each stats sample (borrowed, valid during the call). */
typedef void dk_stats_cb(struct dk_stream *s, const struct dk_stats *st,
    json_t *raw, void *arg);
/* Called with each engine event; raw is the whole object (borrowed). */
typedef void dk_event_cb(struct dk_stream *s, const struct dk_event *ev,
    json_t *raw, void *arg);
/* Called with each pull progress message (borrowed). */
typedef void dk_pull_cb(struct dk_stream *s, const struct dk_pull_event *ev,
    void *arg);
/*
 * Called once when a stream ends: status 0 (the engine ended it), or a
 * negative dk_err with a human message ("No such container: web",
 * "connection to Docker ... lost"). s is freed when this returns.
 */
typedef void dk_stream_end_cb(struct dk_stream *s, int status,
    const char *message, void *arg);

/* The callbacks of a stream; on_end is required, one data callback. */
struct dk_stream_cbs {
	dk_chunk_cb		*on_chunk;	/* logs */
	dk_stats_cb		*on_stats;	/* stats */
	dk_event_cb		*on_event;	/* events */
	dk_pull_cb		*on_pull;	/* image pull */
	dk_stream_end_cb	*on_end;
	void			*arg;
};

/*
 * Streams stats of a container (GET /containers/{id}/stats). one_shot
 * asks for a single sample (stream=false; the engine still waits one
 * interval so the CPU percent has a base) and then the stream ends.
 */
int dk_stats_stream(struct dk_client *c, const char *id, int one_shot,
    const struct dk_stream_cbs *cbs, struct dk_stream **sp)
    WARN_UNUSED_RESULT;
/*
 * Streams engine events (GET /events). filters is a Docker filter object
 * (see dk_filters) or NULL; since/until are unix seconds, 0 for none
 * (with until the stream ends there).
 */
int dk_events_stream(struct dk_client *c, const json_t *filters,
    long long since, long long until, const struct dk_stream_cbs *cbs,
    struct dk_stream **sp) WARN_UNUSED_RESULT;
/*
 * Pulls an image (POST /images/create?fromImage=&tag=), reporting
 * per-layer progress. A pull that fails midway ends with the engine's
 * final error message (status DK_E_INTERNAL); tag NULL means "latest"
 * unless image carries one.
 */
int dk_image_pull(struct dk_client *c, const char *image, const char *tag,
    const struct dk_stream_cbs *cbs, struct dk_stream **sp)
    WARN_UNUSED_RESULT;
/*
 * Stops delivery until dk_stream_resume, at once, even inside a callback
 * that delivers a chunk: the transfer is paused, so the engine's bytes
 * wait in the socket; the rest of a read already in hand (at most one
 * read) waits in the stream and comes first after the resume.
 */
void dk_stream_pause(struct dk_stream *s);
/* Resumes delivery from the next loop turn. */
void dk_stream_resume(struct dk_stream *s);
/*
 * Cancels a stream: on_end follows once with DK_E_CANCELLED on a later
 * loop turn (unless it is running already; then this does nothing).
 */
void dk_stream_cancel(struct dk_stream *s);
/* Bytes of body received so far (before decoding). */
uint64_t dk_stream_bytes(const struct dk_stream *s);

/* logs.c */

/* Whether a container has a TTY; AUTO asks the engine first. */
enum dk_tty {
	DK_TTY_AUTO = 0,
	DK_TTY_NO,
	DK_TTY_YES,
};

/* What GET /containers/{id}/logs should send. */
struct dk_logs_opts {
	int		stdout_on;	/* both 0: both streams */
	int		stderr_on;
	int		follow;		/* keep streaming until it stops */
	int		timestamps;	/* RFC 3339 time before each line */
	long long	tail;		/* last N lines; < 0: all */
	long long	since;		/* unix seconds, 0: from the start */
	long long	since_nsec;	/* with since: 0 to 999999999 ns */
	long long	until;		/* unix seconds, 0: no end */
	enum dk_tty	tty;
};

/*
 * Streams a container's logs to cbs->on_chunk: stdout and stderr apart
 * when the container has no TTY (demultiplexed), DK_STREAM_RAW when it
 * has one. With DK_TTY_AUTO the container is inspected first. A follow
 * stream ends with 0 when the container stopped, and with
 * DK_E_UNAVAILABLE when the engine went away (checked by an inspect).
 */
int dk_logs(struct dk_client *c, const char *id, const struct dk_logs_opts *o,
    const struct dk_stream_cbs *cbs, struct dk_stream **sp)
    WARN_UNUSED_RESULT;

/* hijack.c */

/* A hijacked connection (exec, attach). */
struct dk_hijack;

/*
 * Called with each run of bytes from a hijacked connection: kind is
 * DK_STREAM_RAW with a TTY, else DK_STREAM_STDOUT or DK_STREAM_STDERR.
 * The callback may write, pause, resume or cancel.
 */
typedef void dk_hijack_data_cb(struct dk_hijack *h, int kind,
    const char *buf, size_t len, void *arg);
/*
 * Called once when the connection is over and every handle closed:
 * status 0 when the engine closed it (the process ended, or the engine
 * shut down and took it along: dk_exec_inspect, which gives the exit
 * code, tells the two apart), else a negative dk_err with a message.
 * h is freed when this returns.
 */
typedef void dk_hijack_end_cb(struct dk_hijack *h, int status,
    const char *message, void *arg);

/* The callbacks and settings of a hijack. */
struct dk_hijack_cbs {
	dk_hijack_data_cb	*on_data;
	dk_hijack_end_cb	*on_end;
	void			*arg;
	size_t			 max_queued;	/* write bound; 0: 1 MiB */
};

/*
 * Sends method path (with a JSON body or NULL) on a connection of its
 * own, asking for the upgrade, and streams both ways once the engine
 * answers 101 (or 200 with a raw-stream type). Any other answer ends it
 * with the engine's error. tty picks raw bytes over demultiplexing. The
 * connection is the hijack's own: closing the client ends a hijack only
 * while it still waits for the API version.
 */
int dk_hijack_start(struct dk_client *c, const char *method,
    const char *path, const json_t *body, int tty,
    const struct dk_hijack_cbs *cbs, struct dk_hijack **hp)
    WARN_UNUSED_RESULT;
/*
 * Queues bytes for the process's stdin (sent once the stream is up).
 * -ENOBUFS when the queue would pass its bound (nothing is queued),
 * -EPIPE after the end or close_write.
 */
int dk_hijack_write(struct dk_hijack *h, const char *buf, size_t len)
    WARN_UNUSED_RESULT;
/* Closes the process's stdin once the queue has drained. */
void dk_hijack_close_write(struct dk_hijack *h);
/* Bytes queued and not yet written. */
size_t dk_hijack_queued(const struct dk_hijack *h);
/*
 * Stops delivery at once (even inside on_data) and the reading with it:
 * the engine's bytes wait in the socket, the rest of a read in hand
 * waits in the hijack and comes first after the resume.
 */
void dk_hijack_pause(struct dk_hijack *h);
/* Resumes reading from the next loop turn. */
void dk_hijack_resume(struct dk_hijack *h);
/* Ends the connection; on_end follows once with DK_E_CANCELLED. */
void dk_hijack_cancel(struct dk_hijack *h);
/* Stream bytes received and sent so far (either may be NULL). */
void dk_hijack_bytes(const struct dk_hijack *h, uint64_t *in,
    uint64_t *out);
/* Receive calls made on the connection so far (a test's measure of
 * system calls per delivery). */
uint64_t dk_hijack_reads(const struct dk_hijack *h);

/* exec.c */

/* What an exec runs. */
struct dk_exec_opts {
	const char *const *cmd;		/* argv, NULL-terminated; required */
	const char *const *env;		/* "K=v", NULL-terminated, or NULL */
	const char	*user;
	const char	*working_dir;
	int		 tty;
	int		 stdin_on;	/* attach stdin */
	int		 privileged;
};

/* POST /containers/{id}/exec. result: {"Id"}. */
int dk_exec_create(struct dk_client *c, const char *id,
    const struct dk_exec_opts *o, dk_req_cb *cb, void *arg,
    struct dk_req **reqp) WARN_UNUSED_RESULT;
/* POST /exec/{id}/start as a hijack; tty as the exec was created. */
int dk_exec_start(struct dk_client *c, const char *exec_id, int tty,
    const struct dk_hijack_cbs *cbs, struct dk_hijack **hp)
    WARN_UNUSED_RESULT;
/* POST /exec/{id}/resize?h=rows&w=cols. */
int dk_exec_resize(struct dk_client *c, const char *exec_id, unsigned rows,
    unsigned cols, dk_req_cb *cb, void *arg, struct dk_req **reqp)
    WARN_UNUSED_RESULT;
/* GET /exec/{id}/json: {"Running", "ExitCode", "Pid", ...}. */
int dk_exec_inspect(struct dk_client *c, const char *exec_id,
    dk_req_cb *cb, void *arg, struct dk_req **reqp) WARN_UNUSED_RESULT;
/*
 * POST /containers/{id}/attach?stream=1 as a hijack: the container's own
 * stdout/stderr (and stdin when stdin_on; the container needs OpenStdin),
 * with its earlier output first when logs is set.
 */
int dk_container_attach(struct dk_client *c, const char *id, int tty,
    int stdin_on, int logs, const struct dk_hijack_cbs *cbs,
    struct dk_hijack **hp) WARN_UNUSED_RESULT;
/* POST /containers/{id}/resize?h=rows&w=cols. */
int dk_container_resize(struct dk_client *c, const char *id, unsigned rows,
    unsigned cols, dk_req_cb *cb, void *arg, struct dk_req **reqp)
    WARN_UNUSED_RESULT;

#endif
