/*
 * Between the two halves of logs.select: logsel.c runs the containers'
 * log streams, filters and merges their lines and writes the channel;
 * cmd-logsel.c takes the request, resolves the selection, follows the
 * engine's start events and reconnects after the engine went away.
 */
#ifndef PIER_NODE_LOGSEL_INT_H
#define PIER_NODE_LOGSEL_INT_H

#include "node.h"

#define LSEL_CTR_MAX		1000	/* containers one selection may read */
#define LSEL_WINDOW_MS		100	/* follow: a line waits at most this */
#define LSEL_QUEUE_MAX		(64u * 1024)	/* a container's queued bytes */
#define LSEL_RETRY_MS		1000	/* engine gone: asking again */
#define LSEL_RING_MAX		(64u * 1024)	/* context kept before a match */

/* One container's log stream within a selection. */
struct lsel_ctr {
	struct lsel_ctr		*next;
	struct lsel_run		*run;
	struct dk_stream	*s;	/* NULL once it ended */
	char			 id[72];
	char			 name[128];
	size_t			 namelen;
	struct node_lsel_split	 sp[2];	/* stdout (and a TTY's), stderr */
	struct node_lsel_rec	*head, *tail;	/* lines to merge */
	size_t			 qbytes;
	struct node_lsel_rec	**ring;	/* --context lines before a match */
	size_t			 nring, ring0;
	size_t			 ring_bytes;
	unsigned		 after;	/* context lines still to pass */
	int64_t			 last_t;	/* newest line from the engine */
	uint32_t		 n_at_last;	/* lines at exactly last_t */
	int64_t			 skip_t;	/* resuming: drop up to here */
	uint32_t		 skip_n;	/* and this many at skip_t */
	int			 paused;
	int			 lost;	/* the engine went away under it */
	int			 gone;	/* its end is queued or sent */
};

/* One logs.select call. */
struct lsel_run {
	struct node		*n;
	struct dk_client	*dk;
	struct ovl_chan		*ch;	/* NULL once closed */
	/* The request's choices. */
	int			 follow;
	long long		 tail;	/* < 0: all */
	int64_t			 since_ns;	/* 0: from the start */
	long long		 until;	/* unix seconds, 0: none */
	int			 stdout_on, stderr_on;
	unsigned		 context;
	int			 all;
	json_t			*filters;	/* owned: the engine's, or NULL */
	json_t			*ids;	/* owned: names asked for, or NULL */
	json_t			*want;	/* owned: their full ids */
	struct node_lsel_grep	*grep;
	/* Streams. */
	struct lsel_ctr		*ctrs;
	size_t			 nctrs;
	size_t			 nlive;	/* Docker streams running */
	size_t			 nwaiting;	/* live, with nothing queued */
	struct dk_stream	*ev;	/* start events (follow) */
	struct dk_req		*req;	/* the selection's list in flight */
	struct cmd_req		*pending;	/* the first list's request */
	long long		 list_since;	/* it started, unix s */
	unsigned		 njoin;	/* late joiners' lists in flight */
	int64_t			 lost_at;	/* ns; 0 while the engine is up */
	int64_t			 lost_at_done;	/* the loss being resumed */
	int			 started;
	/* Output. */
	uv_timer_t		 window;	/* the merge window's end */
	uv_timer_t		 retry;		/* engine gone: asking again */
	uv_check_t		 check;		/* pumps after the loop's reads */
	char			*out;
	size_t			 out_len;
	int			 blocked;	/* the channel refused out */
	int			 ended;		/* the end line is written */
	int			 closing;
	unsigned		 handles;	/* open uv handles */
	uint64_t		 lines, sent, ctx_sent;
	char			 label[320];
};

/* logsel.c */

/* A new run on ch for n (its handles open); NULL if out of memory. */
struct lsel_run *lsel_run_new(struct node *n, struct dk_client *dk);
/* The run owns ch from now on (callbacks set, resumed). */
void	 lsel_run_attach(struct lsel_run *run, struct ovl_chan *ch);
/* Frees a run that never got its channel. */
void	 lsel_run_abort(struct lsel_run *run);
/* The container if it streams now, else NULL. */
struct lsel_ctr *lsel_live(struct lsel_run *run, const char *id);
/* The container kept after the engine went away, else NULL. */
struct lsel_ctr *lsel_lost(struct lsel_run *run, const char *id);
/*
 * Starts (or, when c is a lost one, restarts) the log stream of a
 * container: since_ns 0 takes the request's since and tail. join says
 * to announce it with a join line.
 */
int	 lsel_ctr_start(struct lsel_run *run, struct lsel_ctr *c,
	    const char *id, const char *name, int64_t since_ns, int join)
	    WARN_UNUSED_RESULT;
/* Ends containers still lost once the engine is back (a leave line). */
void	 lsel_drop_lost(struct lsel_run *run);
/* Writes an engine line: {"t", "ev": "engine", "why"}. */
void	 lsel_engine_line(struct lsel_run *run, const char *why);
/* Ends the run with an error line (code, message) and FIN. */
void	 lsel_fail(struct lsel_run *run, int code, const char *msg);
/* Pumps the merge and checks whether the run is over. */
void	 lsel_pump(struct lsel_run *run);
/* Frees the run once nothing holds it. */
void	 lsel_maybe_free(struct lsel_run *run);
/* The realtime clock in ns. */
int64_t	 lsel_now_ns(void);

/* cmd-logsel.c */

/* The engine went away under a stream (follow): reconnect later. */
void	 lsel_engine_lost(struct lsel_run *run, const char *why);

#endif
