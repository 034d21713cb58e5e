/*
 * Internals of a terminal session over a Docker exec, shared by
 * term-exec.c (the source: create, start, input, resize, close),
 * term-exec-end.c (how the session ended) and term-exec-probe.c (finding
 * a shell). Nothing else includes this.
 */
#ifndef PIER_TERM_EXEC_INT_H
#define PIER_TERM_EXEC_INT_H

#include "node.h"

/* What the source is doing. */
enum xstate {
	X_PROBE,	/* a shell probe exec is created or running */
	X_CREATE,	/* the exec is being created */
	X_RUN,		/* the hijack carries the terminal */
	X_END,		/* the process ended; inspecting for its code */
	X_DONE,		/* exited reported */
};

/* The source: what the exec runs, its requests in flight, its end. */
struct term_exec {
	struct dk_client	*dk;
	struct term_session	*s;
	enum xstate		 state;
	char			*container;
	char			*name;		/* for messages */
	char			**cmd;		/* owned argv */
	char			**env;
	char			*user;
	char			*workdir;
	char			*exec_id;
	size_t			 probe;		/* index into shells */
	struct dk_req		*req;		/* create, inspect, probe */
	struct dk_hijack	*h;		/* the terminal or a probe */
	struct dk_req		*rsz;		/* resize in flight */
	int			 rows, cols;	/* wanted size */
	int			 rsz_rows, rsz_cols; /* last sent */
	int			 paused;
	int			 closing;
	int			 pid;		/* from the closing inspect */
	uv_timer_t		 kill_timer;
	int			 timer_on;
	term_exec_ready_cb	 ready_cb;
	void			*ready_arg;
	char			*error;		/* why it ended, or NULL */
	char			*lost;		/* the hijack's failure, or NULL */
	int64_t			 exit_st;	/* the exec's, while checking */
	int			 rechecked;	/* the container, once more */
};

/* term-exec.c */
/* Records why the session failed or ended (first reason wins). */
void	 term__exec_set_error(struct term_exec *x, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Tells the opener how the start went, once. */
void	 term__exec_ready(struct term_exec *x, int status, int code);
/*
 * An exec (the terminal's or a shell probe's) was created: keeps its id
 * and starts it over a hijacked connection with cbs (arg: x). 0 when it
 * runs; else the session is told (ready) and nonzero is returned. A
 * session closing meanwhile is freed here.
 */
int	 term__exec_created_start(struct term_exec *x, struct dk_req *req,
	    int status, json_t *result, int tty, struct dk_hijack_cbs *cbs,
	    const char *what);
/* Creates the terminal's exec with x->cmd. */
void	 term__exec_create(struct term_exec *x);
/* Frees the source once nothing of it is in flight. */
void	 term__exec_maybe_free(struct term_exec *x);
/* A request of x's answered; 1 when x is closing: return (term-exec.c). */
int	 term__exec_settled(struct term_exec *x);

/* term-exec-end.c */
/* The terminal's connection ended: the process exited (or worse). */
void	 term__exec_on_end(struct dk_hijack *h, int status,
	    const char *message, void *arg);

/* term-exec-probe.c */
/* Starts the probe of the next shell (x->probe). */
void	 term__exec_probe_next(struct term_exec *x);

#endif
