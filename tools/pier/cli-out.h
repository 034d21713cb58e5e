/*
 * The client's output kit: what `pier` commands print and how the local
 * terminal behaves. Pure modules with no sockets, so every byte they write
 * is tested:
 *
 *	table.c		column tables in the docker CLI's look (and the same
 *			rows as a JSON array for --json), display widths
 *	humanize.c	sizes, durations, statuses, ports, percents as docker
 *			prints them; parsers for --memory, --cpus, --since
 *	progress.c	pull progress per layer (redrawn in place on a
 *			terminal, plain lines otherwise) and the live table
 *			of `pier stats`
 *	tty.c		raw mode that is always restored (explicitly, at
 *			exit, on a fatal signal), the window size, and the
 *			ssh-like `~.` escape filter on typed input
 *
 * Text that comes from a node (names, images, commands, statuses) may hold
 * anything; what reaches the terminal through this kit has its control
 * characters replaced, so a container name cannot drive the terminal.
 */
#ifndef PIER_CLI_OUT_H
#define PIER_CLI_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#ifndef WARN_UNUSED_RESULT
/* Makes ignoring a returned error code a warning. */
#define WARN_UNUSED_RESULT __attribute__((warn_unused_result))
#endif

/* table.c */

/* Narrowest cell, padding included, as docker's tabwriter(10, 1, 3). */
#define CLI_TABLE_MINWIDTH	10
/* Spaces after the widest cell of a column. */
#define CLI_TABLE_PADDING	3
/* Most columns in a table. */
#define CLI_TABLE_MAX_COLS	32
/* Longest cell kept, in bytes; a longer one is cut (then an ellipsis). */
#define CLI_TABLE_MAX_CELL	65536

/* cli_table_print flags. */
#define CLI_TABLE_NO_TRUNC	0x1	/* ignore column width limits */
#define CLI_TABLE_NO_HEADER	0x2	/* rows only */
#define CLI_TABLE_JSON		0x4	/* print the JSON rows instead */

/* A table being filled: headers, rows of cells, optional JSON rows. */
struct cli_table;

/*
 * Makes a table with ncols columns named by headers (printed in capitals).
 * Returns NULL when out of memory or ncols is 0 or over the maximum.
 */
struct cli_table *cli_table_new(const char *const *headers, size_t ncols);
/* Frees a table and everything in it. */
void	cli_table_free(struct cli_table *t);
/* Limits a column to width display columns, cut with an ellipsis. */
void	cli_table_max_width(struct cli_table *t, size_t col, size_t width);
/* Appends a row of ncols cells (copied; NULL prints empty). */
int	cli_table_add(struct cli_table *t, const char *const *cells)
	    WARN_UNUSED_RESULT;
/* Appends the same row as a JSON object for --json (takes the reference). */
int	cli_table_add_json(struct cli_table *t, json_t *row)
	    WARN_UNUSED_RESULT;
/* Number of rows added with cli_table_add. */
size_t	cli_table_rows(const struct cli_table *t);
/*
 * Renders the table as text (or its JSON rows with CLI_TABLE_JSON) into a
 * string the caller frees; *len gets its length. NULL when out of memory.
 */
char	*cli_table_render(const struct cli_table *t, unsigned flags,
	    size_t *len);
/* Writes cli_table_render's text to fp; 0 or a negative errno. */
int	cli_table_print(const struct cli_table *t, FILE *fp, unsigned flags)
	    WARN_UNUSED_RESULT;
/*
 * Prints an array of row objects as --json does: "[", one compact object
 * per line in the objects' own key order, "]". 0 or a negative errno.
 */
int	cli_json_print(FILE *fp, const json_t *rows) WARN_UNUSED_RESULT;
/* Display width of UTF-8 text (wide characters 2, combining marks 0). */
size_t	cli_str_width(const char *s);
/* Display width of one code point: 0, 1 or 2 (controls count 0). */
int	cli_char_width(uint32_t cp);
/*
 * Copies s cut to at most width display columns, ending in "…" when cut,
 * as docker's Ellipsis does (caller frees; NULL when out of memory).
 */
char	*cli_ellipsis(const char *s, size_t width);
/*
 * Copies s for a terminal (caller frees): control characters become '?',
 * tabs and newlines a space, bytes that are not UTF-8 '?'; at most max
 * bytes of s are read. NULL when out of memory.
 */
char	*cli_sanitize(const char *s, size_t max);

/* humanize.c */

/* Room for any humanized value below, with its terminating NUL. */
#define CLI_HUMAN_LEN		64
/* Length of a short container or image id. */
#define CLI_SHORT_ID		12

/*
 * A size in decimal units with prec significant digits, as docker's
 * HumanSizeWithPrecision: "1.98MB", "512kB", "0B" (docker ps and images
 * use 3, pull progress 4). Returns buf.
 */
char	*cli_human_size(char buf[static CLI_HUMAN_LEN], double bytes,
	    int prec);
/* A size in binary units, 4 digits, as docker stats' memory: "1.5MiB". */
char	*cli_human_bytes(char buf[static CLI_HUMAN_LEN], double bytes);
/*
 * A duration as go-units HumanDuration: "Less than a second",
 * "About a minute", "3 hours", "2 days", "3 weeks", "5 months", ...
 */
char	*cli_human_duration(char buf[static CLI_HUMAN_LEN], int64_t seconds);
/* "5 minutes ago": the duration from then to now (unix seconds). */
char	*cli_human_ago(char buf[static CLI_HUMAN_LEN], int64_t then,
	    int64_t now);
/* A percent with two decimals, "12.34%", or "--" if not a number. */
char	*cli_human_percent(char buf[static CLI_HUMAN_LEN], double pct);
/* The first 12 characters of an id, after any "sha256:" style prefix. */
char	*cli_short_id(char buf[static CLI_SHORT_ID + 1], const char *id);

/* A container's state, as the engine's inspect reports it. */
struct cli_cstate {
	const char	*state;		/* running, paused, restarting,
					   exited, created, dead, removing */
	int		 exit_code;
	int64_t		 started;	/* unix seconds; 0: never */
	int64_t		 finished;	/* unix seconds; 0: never */
	const char	*health;	/* starting, healthy, unhealthy, NULL */
};

/*
 * The STATUS column of docker ps: "Up 3 hours (healthy)", "Exited (0) 2
 * minutes ago", "Created", ... as the engine words it. Returns buf.
 */
char	*cli_human_status(char buf[static CLI_HUMAN_LEN],
	    const struct cli_cstate *st, int64_t now);

/* One port of a container, as the engine's list reports it. */
struct cli_port {
	const char	*ip;		/* host address, "" or NULL: none */
	unsigned	 private_port;
	unsigned	 public_port;
	const char	*type;		/* tcp, udp, sctp */
};

/* Most ports summarised; more are left out. */
#define CLI_PORTS_MAX		4096

/*
 * The PORTS column of docker ps: sorted, consecutive ports collapsed into
 * ranges, host mappings last ("443/tcp, 0.0.0.0:8080->80/tcp,
 * :::8080->80/tcp"). Caller frees; NULL when out of memory.
 */
char	*cli_human_ports(const struct cli_port *ports, size_t n);
/*
 * The same from a JSON array of port objects, with the engine's keys (IP,
 * PrivatePort, PublicPort, Type) or ours (ip, private_port, public_port,
 * type); entries that are not port objects are skipped.
 */
char	*cli_human_ports_json(const json_t *ports);

/*
 * Parses a memory size as docker's --memory does (RAMInBytes): a number
 * with an optional b, k, m, g, t or p suffix (binary, case-insensitive,
 * then optional "b" or "ib"): "512m", "1g", "1.5GiB". 0 or -EINVAL.
 */
int	cli_parse_size(const char *s, int64_t *bytes, char **cause)
	    WARN_UNUSED_RESULT;
/*
 * Parses --cpus ("1.5") into NanoCpus exactly, as docker does; a value
 * finer than 1e-9 is refused as too precise. 0 or -EINVAL.
 */
int	cli_parse_cpus(const char *s, int64_t *nano_cpus, char **cause)
	    WARN_UNUSED_RESULT;
/*
 * Parses a Go duration ("10m", "1h30m", "1.5s", "300ms", "0"): 0 or
 * -EINVAL; *ns gets nanoseconds.
 */
int	cli_parse_duration(const char *s, int64_t *ns, char **cause)
	    WARN_UNUSED_RESULT;
/*
 * Parses a --since/--until value as docker logs does: a duration before
 * now ("10m"), an RFC 3339 time ("2026-11-22T08:00:00Z", offsets, a
 * fraction, a date alone, local time when no zone is given) or unix
 * seconds ("1700000000", "1700000000.5"). now and *ns_out are nanoseconds
 * since the epoch. 0 or -EINVAL.
 */
int	cli_parse_time(const char *s, int64_t now_ns, int64_t *ns_out,
	    char **cause) WARN_UNUSED_RESULT;

/* progress.c */

/* Most layers tracked at once by one pull display. */
#define CLI_PROGRESS_MAX_LAYERS	256
/* Longest layer id and status kept (longer ones are cut). */
#define CLI_PROGRESS_ID_MAX	64
#define CLI_PROGRESS_STATUS_MAX	128
/* The terminal must be wider than this for a [===>  ] bar, as docker. */
#define CLI_PROGRESS_BAR_MIN	110

/* One layer line of a pull display. */
struct cli_progress_layer {
	char		 id[CLI_PROGRESS_ID_MAX + 1];
	char		 status[CLI_PROGRESS_STATUS_MAX + 1];
	char		*shown;		/* text on screen (terminal mode) */
};

/* A pull display: per-layer lines on a terminal, plain lines otherwise. */
struct cli_progress {
	FILE				*fp;
	int				 is_terminal;
	unsigned			 width;	/* columns; 0: unknown */
	struct cli_progress_layer	*layers;
	size_t				 n;
	size_t				 cap;
};

/* Sets up a display writing to fp (terminal or not; width in columns). */
void	cli_progress_init(struct cli_progress *p, FILE *fp, int is_terminal,
	    unsigned width);
/* Frees what the display holds (not fp). */
void	cli_progress_free(struct cli_progress *p);
/*
 * Shows one progress update: id "" for a message that is not a layer's;
 * current and total in bytes, negative when unknown. 0 or -ENOMEM.
 */
int	cli_progress_update(struct cli_progress *p, const char *id,
	    const char *status, int64_t current, int64_t total)
	    WARN_UNUSED_RESULT;
/*
 * Shows one line of a pull progress stream: {id, status, current, total}
 * as the node sends it, or the engine's own {id, status, progressDetail}.
 * Returns 0 when shown, 1 for the stream's {"end": ...} line, -EIO for an
 * {"error": ...} line (its message in *cause), -EPROTO for anything else.
 */
int	cli_progress_event(struct cli_progress *p, const json_t *ev,
	    char **cause) WARN_UNUSED_RESULT;

/* Columns of docker stats, and how many there are. */
#define CLI_STATS_COLS		8
/* Room for one stats cell (a full id, a long name). */
#define CLI_STATS_CELL		256
extern const char *const cli_stats_headers[CLI_STATS_COLS];

/*
 * Fills the docker stats cells (CONTAINER ID, NAME, CPU %, MEM USAGE /
 * LIMIT, MEM %, NET I/O, BLOCK I/O, PIDS) from a stats object as the node
 * sends it ({id, name, cpu_pct, mem_used, mem_limit, mem_pct, net_rx,
 * net_tx, blk_read, blk_write, pids}), worded as docker stats words them;
 * a missing value shows as "--". The id is cut to 12 unless no_trunc.
 * 0, or -EPROTO if st is not an object.
 */
int	cli_stats_cells(const json_t *st, int no_trunc,
	    char cells[CLI_STATS_COLS][CLI_STATS_CELL]) WARN_UNUSED_RESULT;

/* A table redrawn in place (pier stats), or printed frame after frame. */
struct cli_live {
	FILE		*fp;
	int		 is_terminal;
	unsigned	 rows;		/* terminal lines; 0: unknown */
	unsigned	 cols;		/* terminal columns; 0: unknown */
	unsigned long	 frames;	/* frames drawn so far */
};

/* Sets up a live table on fp; rows and cols are the terminal's size. */
void	cli_live_init(struct cli_live *lv, FILE *fp, int is_terminal,
	    unsigned rows, unsigned cols);
/* Changes the terminal size (after SIGWINCH). */
void	cli_live_resize(struct cli_live *lv, unsigned rows, unsigned cols);
/*
 * Draws one frame of t (cli_table_print flags): on a terminal, cursor home
 * then each line followed by erase-to-end-of-line, then erase below, in
 * one write, lines cut to the terminal's size; otherwise the plain table.
 */
int	cli_live_frame(struct cli_live *lv, const struct cli_table *t,
	    unsigned flags) WARN_UNUSED_RESULT;

/* tty.c */

/*
 * Puts the terminal on fd in raw mode, as ssh does, after saving its
 * settings, which are then restored by cli_tty_restore(), at exit, and
 * on SIGINT, SIGTERM, SIGHUP or SIGQUIT (for each of those still at its
 * default action: the handler restores, then re-raises the signal); on
 * SIGTSTP it is restored while stopped and raw again after SIGCONT. One
 * terminal at a time: -EBUSY if another is raw; -ENOTTY if fd is not one.
 */
int	cli_tty_raw(int fd) WARN_UNUSED_RESULT;
/* Restores the saved settings (does nothing if none); 0 or -errno. */
int	cli_tty_restore(void);
/* Tells whether the terminal is in raw mode by cli_tty_raw. */
int	cli_tty_is_raw(void);
/* The window size of a terminal: 0 or -errno (-ENOTTY). */
int	cli_tty_winsize(int fd, unsigned *rows, unsigned *cols)
	    WARN_UNUSED_RESULT;

/* No escape character: every byte is forwarded. */
#define CLI_ESC_NONE		(-1)
/* ssh's escape character, pier's default. */
#define CLI_ESC_DEFAULT		'~'

/* What the escape filter found in the input. */
enum cli_esc_action {
	CLI_ESC_FORWARD = 0,	/* nothing: forward the output bytes */
	CLI_ESC_DETACH,		/* "~." after a newline: detach */
	CLI_ESC_HELP,		/* "~?" after a newline: print cli_esc_help */
};

/* The escape filter's state between chunks of typed input. */
struct cli_esc {
	int		ch;		/* escape character or CLI_ESC_NONE */
	int		at_line_start;	/* last byte was \r or \n, or none */
	int		pending;	/* the escape character was just read */
	int		csi;		/* 1: after ESC, 2: inside ESC [ */
	int		csi_line_start;	/* at_line_start before that ESC */
};

/* Starts a filter with escape character ch (or CLI_ESC_NONE). */
void	cli_esc_init(struct cli_esc *e, int ch);
/*
 * Parses -e/--escape as ssh does: one character, "^X" for a control
 * character, or "none". 0 or -EINVAL.
 */
int	cli_esc_parse(const char *arg, int *ch, char **cause)
	    WARN_UNUSED_RESULT;
/*
 * cli_esc_parse for a command's --escape option: on a bad value, says
 * so on stderr ("pier CMD: --escape: why") and returns -EINVAL.
 */
int	cli_esc_option(const char *cmd, const char *arg, int *ch)
	    WARN_UNUSED_RESULT;
/*
 * Filters typed input: reads in[0..len) up to and including the first
 * escape that asks for an action, writes the bytes to forward to out
 * (room for len + 1 bytes: a held escape character may be released) and
 * their count to *outlen, the bytes read to *used, and returns the action.
 * Feed the rest (in + *used) again after acting on CLI_ESC_HELP.
 */
enum cli_esc_action cli_esc_feed(struct cli_esc *e, const uint8_t *in,
	    size_t len, size_t *used, uint8_t *out, size_t *outlen);
/*
 * Writes the escapes' help for escape character ch, with \r\n line ends
 * for a raw terminal, into buf (NUL-terminated, cut to len); returns buf.
 */
char	*cli_esc_help(int ch, char *buf, size_t len);

/* Internals shared by the files of the kit (not for commands). */

/* A growing output buffer; err is set (and sticks) when out of memory. */
struct cli__buf {
	char		*p;
	size_t		 len;
	size_t		 cap;
	int		 err;
};

/* Appends n bytes. */
void	cli__buf_add(struct cli__buf *b, const char *s, size_t n);
/* Appends a string. */
void	cli__buf_str(struct cli__buf *b, const char *s);
/* Appends n copies of byte c. */
void	cli__buf_rep(struct cli__buf *b, int c, size_t n);
/* Appends formatted text. */
void	cli__buf_printf(struct cli__buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Decodes one UTF-8 character of s[0..n): its length, or 0 if invalid. */
size_t	cli__utf8(const char *s, size_t n, uint32_t *cp);
/* Formats a message into *cause (when cause is not NULL); returns code. */
int	cli__error(char **cause, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#endif
