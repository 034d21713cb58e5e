/*
 * The client's stream runner (stream.c): one node's stream method (exec.run,
 * container.logs, events.subscribe, image.pull, stats.subscribe, docker.run)
 * from the request to the reset of its channel. A command embeds a struct
 * cli_stream per node, fills a struct cli_stream_ops with what differs (the
 * decoder, what a frame or a line means, its end rules, its messages) and
 * runs the loop; the runner does the rest.
 */
#ifndef PIER_CLI_STREAM_H
#define PIER_CLI_STREAM_H

#include "proto.h"
#include "cli.h"

struct cli_stream;

#define CLI_STREAM_LINES	0x1	/* JSON lines, else frames */
#define CLI_STREAM_CLOSE_WAITS	0x2	/* the channel's end ends nothing */

/* What one kind of stream does; all fields but flags may be 0. */
struct cli_stream_ops {
	int	 flags;		/* CLI_STREAM_* */
	/* An ERROR frame or an error line without a message. */
	const char *failed;
	/* The channel ended cleanly before the stream did; NULL: well. */
	const char *fin;
	/* It was reset first; NULL: "the connection to the node dropped". */
	const char *reset;
	/* Added after why the connection was lost. */
	const char *lost_suffix;
	/*
	 * A frame other than STDOUT (to fd 1), STDERR (to fd 2) and ERROR:
	 * 0 to go on, 1 for the stream's good end, negative for a broken
	 * stream. NULL: ignored.
	 */
	int	(*frame)(struct cli_stream *, enum proto_frame,
		    const uint8_t *data, size_t len);
	/* STDOUT bytes, in place of fd 1: as frame. NULL: to fd 1. */
	int	(*out)(struct cli_stream *, const uint8_t *data, size_t len);
	/* A JSON object line without "error" (borrowed): as frame. */
	int	(*line)(struct cli_stream *, json_t *o);
	/* The stream ended: why, or NULL for a good end. NULL: stop loop. */
	void	(*end)(struct cli_stream *, const char *why);
	/* The request's result (borrowed), when it is not an error. */
	void	(*reply)(struct cli_stream *, const json_t *result);
	/* The channel has room again after a refused write. */
	void	(*drain)(struct cli_stream *);
};

#define CLI_STREAM_IOV	16	/* output pieces written at once */

/* One node's stream; embed it, see the ops for the rest. */
struct cli_stream {
	const struct cli_stream_ops *ops;
	struct cli_ctx		*x;
	struct cli_rpc		*r;	/* owned */
	struct ovl_chan		*ch;	/* NULL once the channel ended */
	struct proto_fdec	 fdec;
	struct proto_ldec	 ldec;
	struct iovec		 out[CLI_STREAM_IOV];	/* output pieces */
	int			 nout;
	int			 out_fd;	/* their fd (1 or 2) */
	int			 live;	/* connected and not ended */
	int			 lost;	/* it ended with its connection */
	char			*err;	/* why it ended, or NULL */
};

/* Sets up a stream that is not yet connected (cli_stream_close is safe). */
void	 cli_stream_init(struct cli_stream *s, struct cli_ctx *x,
	    const struct cli_stream_ops *ops);
/* Connects to node (NULL: the only one); the stream is live. *cause. */
int	 cli_stream_open(struct cli_stream *s, const char *node,
	    char **cause) WARN_UNUSED_RESULT;
/* Makes r (connected, now the stream's) its connection; it is live. */
void	 cli_stream_adopt(struct cli_stream *s, struct cli_rpc *r);
/*
 * Opens the channel and sends method with params (stolen); when that
 * fails the stream ends with why.
 */
void	 cli_stream_call(struct cli_stream *s, const char *method,
	    json_t *params);
/*
 * Decodes one delivery of the channel's bytes (the channel's on_data):
 * the STDOUT and STDERR pieces in it are written when it is decoded, one
 * writev per run of pieces for the same fd.
 */
void	 cli_stream_feed(struct cli_stream *s, const uint8_t *buf,
	    size_t len);
/* Ends the stream (the first end wins): why, or NULL for a good end. */
void	 cli_stream_end(struct cli_stream *s, const char *why);
/*
 * Runs x's loop for its streams until one stops it (an end, stdout's
 * reader leaving) or, with sigint, Ctrl-C: 1 after Ctrl-C, else 0;
 * -errno without running when Ctrl-C cannot be watched.
 */
int	 cli_stream_loop(struct cli_ctx *x, int sigint);
/* Ends the stream quietly, resets its channel, closes its connection. */
void	 cli_stream_close(struct cli_stream *s);

#endif
