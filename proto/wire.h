/*
 * The numbers of the application protocol that travel on the wire: its
 * version, the framing of channel 0, the kinds of stream channels and the
 * frame types inside framed streams. docs/PROTOCOL.md ("JSON-RPC")
 * describes the same things in prose for other implementations.
 *
 * Don't forget to bump PROTO_VERSION when any number here changes meaning.
 * Numbers live in ranges; a retired number stays, marked unused, and is
 * never handed out again.
 */
#ifndef PIER_PROTO_WIRE_H
#define PIER_PROTO_WIRE_H

/* The version of everything above the overlay; node.info reports it. */
#define PROTO_VERSION		1

/* Channel 0 carries JSON-RPC; stream channels are numbered from 1. */
#define PROTO_CONTROL_CHANNEL	0

/* Channel 0 message: a 4-byte big-endian length, then that much JSON. */
#define PROTO_MSG_HDR		4
/* Default largest message body in bytes (1 MiB); the decoder's limit. */
#define PROTO_MSG_MAX		(1024 * 1024)
/* Largest nesting of arrays and objects accepted in a message. */
#define PROTO_DEPTH_MAX		32

/*
 * What a stream channel carries. A method flagged PROTO_STREAM names its
 * kind in the catalogue; the caller opens the channel, passes its id as
 * the "channel" parameter, and then reads (and for terminals writes) it.
 */
enum proto_stream {
	PROTO_STREAM_NONE = 0,
	/* 1-99: framed byte streams (a proto frame header per frame) */
	PROTO_STREAM_OUTPUT = 1,	/* logs, exec.run: stdout/stderr */
	PROTO_STREAM_TERMINAL = 2,	/* sessions: a PTY, both ways */
	/* 100-199: JSON lines (one compact JSON object per '\n' line) */
	PROTO_STREAM_STATS = 100,	/* stats.subscribe samples */
	PROTO_STREAM_EVENTS = 101,	/* events.subscribe: engine events */
	PROTO_STREAM_PULL = 102,	/* image.pull progress */
	PROTO_STREAM_LOGS = 103,	/* logs.select: merged log lines */
};

/* A framed stream's frame header: 1 byte type, 4 bytes BE length. */
#define PROTO_FRAME_HDR		5
/* Largest payload of one frame in bytes; more is a broken stream. */
#define PROTO_FRAME_MAX		65536
/* Largest payload of a control frame (16-31), buffered whole. */
#define PROTO_FRAME_CTL_MAX	1024
/* Largest line of a JSON-lines stream, newline included. */
#define PROTO_LINE_MAX		65536

/* The type byte of a frame in a framed stream. */
enum proto_frame {
	/* 1-15: payload bytes, passed through as they come */
	PROTO_FRAME_STDOUT = 1,		/* output; a terminal's screen */
	PROTO_FRAME_STDERR = 2,		/* error output (never on a PTY) */
	PROTO_FRAME_STDIN = 3,		/* terminal input, client to node */
	/* 16-31: control, payload buffered whole */
	PROTO_FRAME_RESIZE = 16,	/* client to node: rows, cols BE16 */
	PROTO_FRAME_EXIT = 17,		/* last: the exit code, BE32 signed */
	PROTO_FRAME_END = 18,		/* last: ended without an exit code */
	PROTO_FRAME_ERROR = 19,		/* last: JSON {code, name, message} */
};

#endif
