/*
 * node/term*.c: terminal sessions. A session is a process with a PTY (a
 * local one here, or a Docker exec with Tty through the same seams) whose
 * output also feeds a libvterm screen, so a viewer that joins late or
 * comes back after a disconnect first gets a repaint of the screen as it
 * is now and then the live stream.
 *
 * The layers know nothing of each other: the screen takes bytes from any
 * source (term_screen_feed), the PTY process hands its bytes to any sink
 * (a read callback), and the session joins a source, a screen and its
 * viewers through small tables of functions.
 *
 * Errors are negative errno values (the same as UV_E* on unix); 0 is
 * success. Human detail comes back through `char **cause` (caller frees).
 */
#ifndef PIER_TERM_H
#define PIER_TERM_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>
#include <vterm.h>

#ifndef container_of
/* The struct that embeds member at ptr. */
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#endif
#ifndef WARN_UNUSED_RESULT
#define WARN_UNUSED_RESULT __attribute__((warn_unused_result))
#endif

/* term-screen.c */

/* libvterm 0.1.4 crashes putting a wide character in one column. */
#define TERM_MIN_COLS	2
#define TERM_MAX_ROWS	1000		/* rows, at most */
#define TERM_MAX_COLS	1024		/* columns, at most */
#define TERM_MAX_CELLS	250000		/* rows * cols, at most */
#define TERM_SB_LINES	1000		/* default scrollback, lines */
#define TERM_SB_BYTES	(1024 * 1024)	/* and in bytes */

/* Snapshot flags. */
#define TERM_SNAP_SCROLLBACK	0x1	/* replay the scrollback first */

/* A libvterm screen with a bounded scrollback ring. */
struct term_screen;

/* Makes a screen; sb_lines/sb_bytes bound the scrollback (0 turns it off). */
int term_screen_new(struct term_screen **out, int rows, int cols,
    size_t sb_lines, size_t sb_bytes) WARN_UNUSED_RESULT;
/* Frees a screen and everything libvterm allocated for it. */
void term_screen_free(struct term_screen *s);
/* Feeds program output (any bytes, any split); advances the sequence. */
void term_screen_feed(struct term_screen *s, const void *buf, size_t len);
/* Resizes; -EINVAL outside the TERM_MIN/MAX bounds or TERM_MAX_CELLS. */
int term_screen_resize(struct term_screen *s, int rows, int cols)
    WARN_UNUSED_RESULT;
/* Returns the current size. */
void term_screen_size(const struct term_screen *s, int *rows, int *cols);
/* Returns 0 for a size within the bounds, else -EINVAL. */
int term_size_check(int rows, int cols);
/* Brings a size within the bounds (fewer rows if over TERM_MAX_CELLS). */
void term_size_clamp(int *rows, int *cols);
/* Returns how many bytes were ever fed: a viewer's distance behind. */
uint64_t term_screen_seq(const struct term_screen *s);
/* Builds escape sequences that repaint the screen on a fresh terminal of
 * the same size (caller frees *out); -ENOMEM. */
int term_screen_snapshot(struct term_screen *s, int flags, char **out,
    size_t *len) WARN_UNUSED_RESULT;
/* Reads one cell of the visible screen; -EINVAL outside it. */
int term_screen_cell(const struct term_screen *s, int row, int col,
    VTermScreenCell *cell) WARN_UNUSED_RESULT;
/* Returns the cursor position and whether it is visible. */
void term_screen_cursor(const struct term_screen *s, int *row, int *col,
    int *visible);
/* Returns 1 if the program is on the alternate screen. */
int term_screen_altscreen(const struct term_screen *s);
/* Returns the window title, "" if never set (borrowed). */
const char *term_screen_title(const struct term_screen *s);
/* Returns the number of lines held in the scrollback. */
size_t term_screen_sb_count(const struct term_screen *s);
/* Returns scrollback line i (0 = oldest) as encoded bytes (borrowed). */
const char *term_screen_sb_line(const struct term_screen *s, size_t i,
    size_t *len);
/* Returns the bytes held: libvterm's allocations plus the scrollback. */
size_t term_screen_memory(const struct term_screen *s);

/* term-worker.c, term-wmain.c */

#define TERM_WORKER_HIGH	(1024 * 1024)	/* a screen's bytes not yet
						 * sent: pause its source */
#define TERM_WORKER_LOW		(512 * 1024)	/* resume it */
#define TERM_WORKER_QUEUE_MAX	(4 * 1024 * 1024) /* give the screen up */
#define TERM_WORKER_STALL_MS	5000	/* no progress: kill the worker */
#define TERM_WORKER_RESTARTS	3	/* starts in a window, at most */
#define TERM_WORKER_WINDOW_MS	(60 * 1000)	/* that window */
#define TERM_WORKER_ARG		"--screen-worker" /* argv[1] of one */

/* The node's link to a screen worker: a process of its own (the node's
 * binary again, argv[1] TERM_WORKER_ARG) that keeps the screen models,
 * unprivileged and under seccomp, fed over a socketpair. */
struct term_worker;
/* One session's screen in the worker. */
struct term_wscreen;

/* A snapshot asked for with tag is ready (buf borrowed). */
typedef void (*term_wscreen_snap_cb)(struct term_wscreen *ws, uint32_t tag,
    const char *buf, size_t len, void *arg);
/* The screen is gone (the worker died or failed it); no callback runs
 * after this, and the owner still frees ws. */
typedef void (*term_wscreen_lost_cb)(struct term_wscreen *ws, void *arg);
/* The screen's queue fell below TERM_WORKER_LOW after being full. */
typedef void (*term_wscreen_ready_cb)(struct term_wscreen *ws, void *arg);
/* A line for the node's log (warn 1: a warning). */
typedef void (*term_worker_log_cb)(int warn, const char *msg, void *arg);

/* Makes a link; exe NULL: /proc/self/exe. The process starts with the
 * first screen, and again after it dies (TERM_WORKER_RESTARTS a window). */
int term_worker_new(uv_loop_t *loop, const char *exe, term_worker_log_cb
    log_cb, void *log_arg, struct term_worker **out) WARN_UNUSED_RESULT;
/* Stops the process; frees the link once its handles are closed and the
 * last screen is freed. */
void term_worker_close(struct term_worker *w);
/* Returns the process id, 0 if none runs. */
int term_worker_pid(const struct term_worker *w);
/* Returns how many times a process has died. */
unsigned term_worker_deaths(const struct term_worker *w);
/* What a screen's owner hears. */
struct term_wscreen_cbs {
	term_wscreen_snap_cb	 snap;
	term_wscreen_lost_cb	 lost;
	term_wscreen_ready_cb	 ready;
	void			*arg;
};

/* Makes a screen in the worker (starting one if needed); -EAGAIN when
 * restarts are spent. */
int term_wscreen_new(struct term_worker *w, int rows, int cols,
    size_t sb_lines, size_t sb_bytes, const struct term_wscreen_cbs *cbs,
    struct term_wscreen **out) WARN_UNUSED_RESULT;
/* Returns 1 while the screen's queue is full (past TERM_WORKER_HIGH,
 * until below TERM_WORKER_LOW): its source should pause. */
int term_wscreen_full(const struct term_wscreen *ws);
/* Queues program output; -ENOBUFS past TERM_WORKER_QUEUE_MAX, -EPIPE
 * once lost: the screen is then of no more use (lost_cb is not called). */
int term_wscreen_feed(struct term_wscreen *ws, const void *buf, size_t len)
    WARN_UNUSED_RESULT;
/* Queues a resize (sizes checked by the caller); errors as feed. */
int term_wscreen_resize(struct term_wscreen *ws, int rows, int cols)
    WARN_UNUSED_RESULT;
/* Asks for a snapshot of the screen after all output queued so far;
 * snap_cb gets it with tag. Errors as feed. */
int term_wscreen_snapshot(struct term_wscreen *ws, int flags, uint32_t tag)
    WARN_UNUSED_RESULT;
/* Frees a screen here and in the worker. */
void term_wscreen_free(struct term_wscreen *ws);
/* The worker's side: serves the node on fd 0 until it closes; returns
 * the exit status. Called by main for argv[1] TERM_WORKER_ARG. */
int term_worker_main(void);

/* term-pty.c */

#define TERM_PTY_WRITE_MAX	(256 * 1024)	/* input queue bound */
#define TERM_PTY_READ_SIZE	(16 * 1024)	/* bytes per read(2) */
#define TERM_PTY_DRAIN_MS	200	/* after exit, wait for EOF */
#define TERM_PTY_KILL_MS	1000	/* after SIGHUP, SIGKILL */

/* A local process under a PTY, read and written on a libuv loop. */
struct term_pty;

/* Output: n > 0 bytes in buf (borrowed), or n == UV_EOF / an error once. */
typedef void (*term_pty_read_cb)(struct term_pty *p, const char *buf,
    ssize_t n, void *arg);
/* The process ended and its output is drained: status or signal. */
typedef void (*term_pty_exit_cb)(struct term_pty *p, int64_t status,
    int term_signal, void *arg);
/* Everything is closed; the pointer is no longer valid after this. */
typedef void (*term_pty_close_cb)(struct term_pty *p, void *arg);

/* What to run and how. */
struct term_pty_opts {
	const char *const	*argv;	/* no shell: an argv */
	const char *const	*env;	/* NULL: the node's own */
	const char		*cwd;	/* NULL: the node's own */
	int			 rows;	/* window size */
	int			 cols;
	size_t			 write_max; /* input bound; 0: default */
	term_pty_read_cb	 read_cb;
	term_pty_exit_cb	 exit_cb;
	void			*arg;	/* passed to the callbacks */
};

/* Starts argv under a new PTY; exec failures come back here, not later. */
int term_pty_spawn(uv_loop_t *loop, const struct term_pty_opts *o,
    struct term_pty **out, char **cause) WARN_UNUSED_RESULT;
/* Queues input; -ENOBUFS (nothing queued) if it would pass the bound,
 * -EPIPE once the terminal is gone. */
int term_pty_write(struct term_pty *p, const void *buf, size_t len)
    WARN_UNUSED_RESULT;
/* Returns the input bytes waiting to be written. */
size_t term_pty_write_queued(const struct term_pty *p);
/* Sets the window size (the process gets SIGWINCH). */
int term_pty_resize(struct term_pty *p, int rows, int cols)
    WARN_UNUSED_RESULT;
/* Stops reading output (the process blocks once the PTY buffer fills). */
void term_pty_pause(struct term_pty *p);
/* Reads output again. */
void term_pty_resume(struct term_pty *p);
/* Sends a signal to the process (and its process group). */
int term_pty_kill(struct term_pty *p, int signum) WARN_UNUSED_RESULT;
/* Returns the process id. */
int term_pty_pid(const struct term_pty *p);
/* Hangs up, kills the process if it outlives TERM_PTY_KILL_MS, reaps it
 * and frees everything; close_cb (may be NULL) runs last. No other
 * callback runs after this call. */
void term_pty_close(struct term_pty *p, term_pty_close_cb close_cb,
    void *arg);

/* term-session.c */

#define TERM_IDLE_MS		(60 * 60 * 1000) /* no viewers: end after */
#define TERM_VIEWER_BACKLOG	(256 * 1024)	/* then a repaint */

/* Viewer flags. */
#define TERM_VIEWER_READONLY	0x1	/* input is refused */
#define TERM_VIEWER_SCROLLBACK	0x2	/* repaint the scrollback */
#define TERM_VIEWER_NO_REPAINT	0x4	/* live output only, no repaint */

/* What viewers get, once, when a session's screen model is lost. */
#define TERM_LOST_LINE	"\r\n[pier: the screen state of this session was " \
	"lost; the session goes on]\r\n"

struct term_session;
struct term_viewer;

/* Where a session's bytes come from: a local PTY, a Docker exec stream.
 * The source hands output to term_session_output, its end to
 * term_session_exited, and calls term_session_source_closed once close
 * has finished. */
struct term_source_ops {
	/* Queues input for the process; -ENOBUFS when full. */
	int	(*write)(void *src, const void *buf, size_t len);
	/* Sets the window size. */
	int	(*resize)(void *src, int rows, int cols);
	/* Stops delivering output. */
	void	(*pause)(void *src);
	/* Delivers output again. */
	void	(*resume)(void *src);
	/* Signals the process. */
	int	(*kill)(void *src, int signum);
	/* Ends the process and frees the source, then (perhaps later)
	 * calls term_session_source_closed(s). */
	void	(*close)(void *src, struct term_session *s);
};

/* The session is over: err 0 and the exit status or signal, or
 * -ETIMEDOUT (idle with no viewer). Called once; the owner then closes. */
typedef void (*term_session_end_cb)(struct term_session *s, int err,
    int64_t status, int term_signal, void *arg);
/* The session is freed. */
typedef void (*term_session_close_cb)(struct term_session *s, void *arg);

/* How a session behaves. */
struct term_session_opts {
	int			 rows;	/* initial window size */
	int			 cols;
	size_t			 sb_lines; /* scrollback, 0: none */
	size_t			 sb_bytes;
	uint64_t		 idle_ms;	/* 0: TERM_IDLE_MS */
	struct term_worker	*worker; /* NULL: the screen in-process */
	size_t			 backlog_max; /* 0: the default */
	term_session_end_cb	 end_cb;
	void			*arg;
};

/* A viewer's sink, e.g. an overlay channel. */
struct term_viewer_ops {
	/* Offers bytes; returns how many were taken (0..len). The rest
	 * waits until the sink calls term_viewer_writable. */
	size_t	(*send)(struct term_viewer *v, const char *buf,
		    size_t len, void *arg);
	/* The session ended (see term_session_end_cb; -ECANCELED when it
	 * was closed). The viewer is freed after this returns. */
	void	(*ended)(struct term_viewer *v, int err, int64_t status,
		    int term_signal, void *arg);
};

/* Makes a session around a source (ops, src). */
int term_session_new(uv_loop_t *loop, const struct term_session_opts *o,
    const struct term_source_ops *ops, void *src, struct term_session **out)
    WARN_UNUSED_RESULT;
/* Makes a session running argv under a local PTY (po's callbacks and
 * size are the session's own). */
int term_session_spawn(uv_loop_t *loop, const struct term_session_opts *o,
    const struct term_pty_opts *po, struct term_session **out,
    char **cause) WARN_UNUSED_RESULT;
/* Source side: output of the process. */
void term_session_output(struct term_session *s, const char *buf,
    size_t len);
/* Source side: the process ended with a status or a signal. */
void term_session_exited(struct term_session *s, int64_t status,
    int term_signal);
/* Source side: close has finished. */
void term_session_source_closed(struct term_session *s);
/* Ends the process, tells the viewers, frees it all; close_cb last. */
void term_session_close(struct term_session *s,
    term_session_close_cb close_cb, void *arg);
/* Returns the in-process screen (borrowed); NULL with a worker. */
struct term_screen *term_session_screen(const struct term_session *s);
/* Returns the screen's size (kept even when the screen is lost). */
void term_session_size(const struct term_session *s, int *rows, int *cols);
/* Resizes the screen only (the caller resizes the source); -EINVAL
 * outside the bounds. */
int term_session_resize(struct term_session *s, int rows, int cols)
    WARN_UNUSED_RESULT;
/* Returns 1 once the screen model is lost: a plain stream from then. */
int term_session_lost(const struct term_session *s);
/* Returns the number of viewers attached. */
size_t term_session_viewers(const struct term_session *s);
/* Returns the loop time (ms) of the last input, output or attach. */
uint64_t term_session_last_active(const struct term_session *s);
/* Returns 1 while the source is paused for slow viewers. */
int term_session_paused(const struct term_session *s);

/* Attaches a viewer at rows x cols (clamped to the bounds): a repaint
 * comes first, then the live stream. A read-write viewer becomes the most
 * recently active. */
int term_viewer_attach(struct term_session *s, const struct term_viewer_ops
    *ops, void *arg, int flags, int rows, int cols,
    struct term_viewer **out) WARN_UNUSED_RESULT;
/* Sends input from a viewer to the process; -EPERM if read-only. */
int term_viewer_input(struct term_viewer *v, const void *buf, size_t len)
    WARN_UNUSED_RESULT;
/* The viewer's window changed (clamped to the bounds); the session
 * follows the most recently active viewer. */
int term_viewer_resize(struct term_viewer *v, int rows, int cols)
    WARN_UNUSED_RESULT;
/* The sink has room again: send the backlog (or a fresh repaint). */
void term_viewer_writable(struct term_viewer *v);
/* Returns the bytes waiting for this viewer. */
size_t term_viewer_backlog(const struct term_viewer *v);
/* Detaches and frees a viewer (no ended call). */
void term_viewer_detach(struct term_viewer *v);

#endif
