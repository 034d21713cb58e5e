/*
 * Internals of the multiplexer shared by mux.c (state and input),
 * mux-out.c (filling records to send) and chan.c (the channel API and
 * its byte queues). Nothing outside those three files includes it.
 */
#ifndef PIER_OVL_MUX_INT_H
#define PIER_OVL_MUX_INT_H

#include "overlay.h"

#define CHUNK_MAX	(16 * 1024)	/* data bytes a channel sends per turn */
#define NBUCKETS	64		/* channel hash buckets */

/* Channel state bits. */
#define CH_LOCAL	0x0001	/* opened by this side */
#define CH_SYN_OUT	0x0002	/* our SYN is still to send */
#define CH_ACK_OUT	0x0004	/* our ACK is still to send */
#define CH_GRANT	0x0008	/* a window update is due */
#define CH_FIN_WANT	0x0010	/* the user closed: FIN after the queue */
#define CH_FIN_SENT	0x0020	/* our FIN went out */
#define CH_FIN_RECV	0x0040	/* the peer's FIN came */
#define CH_RST_OUT	0x0080	/* reset locally: RST is still to send */
#define CH_PAUSED	0x0100	/* the user paused: hold, grant nothing */
#define CH_EOF_HELD	0x0200	/* FIN came while data was held */
#define CH_DRAIN	0x0400	/* the user waits for on_drain */
#define CH_DRAIN_NOW	0x0800	/* on_drain is due */
#define CH_DELIVERING	0x1000	/* resume is delivering held data */
#define CH_CLOSED	0x2000	/* on_close was called */
#define CH_REMOVED	0x4000	/* out of the table and the list */

/* A piece of queued bytes. */
struct qchunk {
	struct qchunk	*next;
	size_t		 len;
	size_t		 off;
	uint8_t		 data[];
};

/* A FIFO of byte chunks. */
struct bufq {
	struct qchunk	*head;
	struct qchunk	*tail;
	size_t		 bytes;
};

/* One channel: its state bits, credit both ways, queues, callbacks. */
struct ovl_chan {
	struct ovl_mux		*mux;
	struct ovl_chan		*hnext;		/* hash chain */
	struct ovl_chan		*prev;		/* list of all, in turn order */
	struct ovl_chan		*next;
	uint32_t		 id;
	unsigned		 st;
	int			 refs;
	uint32_t		 credit;	/* bytes we may still send */
	uint32_t		 rwin;		/* bytes the peer may still send */
	uint32_t		 unacked;	/* consumed, not yet granted */
	struct bufq		 sendq;
	struct bufq		 held;		/* arrived while paused */
	struct ovl_chan_cbs	 cbs;
	void			*arg;
	void			*data;
};

/* The multiplexer: channel table, turn list, pings, go-away state. */
struct ovl_mux {
	struct ovl_mux_cfg	 cfg;
	struct ovl_mux_cbs	 cbs;
	void			*arg;
	int			 dialer;
	struct ovl_chan		*buckets[NBUCKETS];
	struct ovl_chan		*head;		/* all channels, turn order */
	struct ovl_chan		*tail;
	struct ovl_chan		*control;
	uint32_t		 next_local;	/* next id we open */
	uint32_t		 peer_last;	/* highest id the peer opened */
	uint32_t		 nlocal;	/* open channels we opened */
	uint32_t		 npeer;		/* ... the peer opened */
	size_t			 nchans;
	size_t			 buffered;
	uint32_t		 pings[OVL_MAX_PINGS];
	size_t			 npings;
	uint32_t		 pongs[OVL_MAX_PINGS];
	size_t			 npongs;
	int			 goaway_out;	/* queued, not sent */
	int			 goaway_sent;
	int			 goaway_recv;
	uint32_t		 goaway_code;
	char			 goaway_reason[OVL_REASON_MAX + 1];
	int			 err;		/* sticky input error */
	int			 dead;		/* shut down */
};

/* mux.c */

/* Asks the owner to pull (unless the mux is shut down). */
void ovl__mux_want_write(struct ovl_mux *m);
/* Moves a channel to the end of the turn list. */
void ovl__mux_to_tail(struct ovl_mux *m, struct ovl_chan *c);
/* Drops a reference; the last one frees the channel. */
void ovl__chan_unref(struct ovl_chan *c);
/* Tells the user the channel ended, once; the caller holds a ref. */
void ovl__chan_notify_close(struct ovl_chan *c, int status);
/* Takes a channel out of the table, tells the user, drops the ref. */
void ovl__chan_remove(struct ovl_chan *c, int status);
/* Counts consumed bytes; grants credit after half a window. */
void ovl__chan_consumed(struct ovl_chan *c, size_t n);
/* Hands bytes (or EOF when len is 0) to the user; caller holds a ref. */
void ovl__chan_deliver(struct ovl_chan *c, const uint8_t *p, size_t len);
/* Ends a channel once both sides have finished. */
void ovl__chan_maybe_finish(struct ovl_chan *c);

/* chan.c */

/* Appends a copy of len bytes; -ENOMEM. */
int ovl__bufq_push(struct bufq *q, const uint8_t *p, size_t len)
    WARN_UNUSED_RESULT;
/* Copies n bytes (no more than queued) off the front into out. */
void ovl__bufq_take(struct bufq *q, uint8_t *out, size_t n);
/* Frees every chunk. */
void ovl__bufq_free(struct bufq *q);

#endif
