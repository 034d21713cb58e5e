/*
 * The node against bad and greedy peers over real TCP: garbage, a
 * truncated handshake, a replayed message 1, tampered records and bad
 * frames, too many channels, a peer that stops reading, 10,000 junk
 * connections in a row, the per-source handshake rate and the connection
 * cap. Each time the node closes that connection (writing nothing before
 * the handshake), logs one line, and keeps serving everyone else.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>

#include <sodium.h>

#include "overlay-net-fx.h"

#if defined(__SANITIZE_ADDRESS__)
/* From ASan's allocator: bytes allocated and not freed (no quarantine). */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

#define container_of(ptr, type, member)					\
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* A hand-driven client speaking bytes of our choosing. */
struct raw {
	struct fx		*f;
	uv_tcp_t		 tcp;
	uv_connect_t		 creq;
	int			 connected;
	int			 eof;
	int			 closed;
	int			 heap;		/* free on close */
	int			 *done_count;
	size_t			 got;		/* bytes the node sent */
	uint8_t			 in[64 * 1024];
	struct ovl_hs_client	*hs;
	struct ovl_rec		 rec;
	int			 has_rec;
	int			 keyed;
};

/* Wall-clock milliseconds, as a client stamps message 1. */
static uint64_t
wall_ms(void)
{
	uv_timeval64_t tv;

	ASSERT_OK(uv_gettimeofday(&tv));
	return ((uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000);
}

/* A raw write finished. */
static void
raw_written(uv_write_t *req, int status)
{
	(void)status;
	free(req);
}

/* Writes bytes (copied). */
static void
raw_write(struct raw *r, const void *p, size_t len)
{
	uv_write_t *req;
	uv_buf_t b;
	char *copy;

	req = malloc(sizeof *req + len);
	ASSERT_NOT_NULL(req);
	copy = (char *)(req + 1);
	memcpy(copy, p, len);
	b = uv_buf_init(copy, (unsigned)len);
	if (uv_write(req, (uv_stream_t *)&r->tcp, &b, 1, raw_written) != 0)
		free(req);
}

/* Read buffer. */
static void
raw_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct raw *r = container_of((uv_tcp_t *)h, struct raw, tcp);

	(void)hint;
	*buf = uv_buf_init((char *)r->in, sizeof r->in);
}

/* Feeds what the node sent through our record state. */
static void
raw_feed(struct raw *r, const uint8_t *p, size_t len)
{
	struct ovl_hs_keys s;
	const uint8_t *msg;
	size_t used, mlen;

	while (len > 0) {
		if (ovl_rec_feed(&r->rec, p, len, &used, &msg, &mlen) != 0)
			return;
		p += used;
		len -= used;
		if (msg == NULL || r->keyed)
			continue;
		if (ovl_hs_client_finish(r->hs, msg, mlen, &s) != 0)
			return;
		ovl_rec_start(&r->rec, &s.tx, &s.rx, 0);
		ovl_hs_keys_clear(&s);
		r->keyed = 1;
	}
}

/* Reads: count, and run the handshake when one is under way. */
static void
raw_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct raw *r = container_of((uv_tcp_t *)s, struct raw, tcp);

	if (n < 0) {
		r->eof = 1;
		uv_read_stop(s);
		return;
	}
	r->got += (size_t)n;
	if (r->has_rec)
		raw_feed(r, (const uint8_t *)buf->base, (size_t)n);
}

/* Connected. */
static void
raw_connected(uv_connect_t *req, int status)
{
	struct raw *r = container_of(req, struct raw, creq);

	if (status < 0) {
		r->eof = 1;
		return;
	}
	r->connected = 1;
	ASSERT_OK(uv_read_start((uv_stream_t *)&r->tcp, raw_alloc, raw_read));
}

/* Connects to 127.0.0.1:port and waits. */
static void
raw_connect(struct fx *f, struct raw *r, int wait)
{
	struct sockaddr_in sa;

	r->f = f;
	ASSERT_OK(uv_tcp_init(&f->loop, &r->tcp));
	ASSERT_OK(uv_ip4_addr("127.0.0.1", f->port, &sa));
	ASSERT_OK(uv_tcp_connect(&r->creq, &r->tcp, (struct sockaddr *)&sa,
	    raw_connected));
	if (!wait)
		return;
	ASSERT(fx_run_until(f, &r->connected, 2000));
}

/* Closed: free heap raws and count. */
static void
raw_closed(uv_handle_t *h)
{
	struct raw *r = container_of((uv_tcp_t *)h, struct raw, tcp);

	r->closed = 1;
	if (r->done_count != NULL)
		(*r->done_count)++;
	if (r->has_rec)
		ovl_rec_clear(&r->rec);
	ovl_hs_client_free(r->hs);
	r->hs = NULL;
	r->has_rec = 0;
	if (r->heap)
		free(r);
}

/* Closes the raw client and waits until its handle is released. */
static void
raw_close(struct raw *r)
{
	if (!uv_is_closing((uv_handle_t *)&r->tcp))
		uv_close((uv_handle_t *)&r->tcp, raw_closed);
	if (!r->heap)
		ASSERT(fx_run_until(r->f, &r->closed, 2000));
}

/* Makes a framed message 1 for psk into out; returns its length. */
static size_t
make_msg1(struct fx *f, struct raw *r, const uint8_t *psk, uint8_t *out)
{
	uint8_t msg1[OVL_HS_MSG_MAX];
	size_t len, n;

	ASSERT_OK(ovl_hs_client_begin(&r->hs, &f->client_id, f->node_id.pub,
	    psk, "raw", wall_ms(), msg1, &len));
	ASSERT_OK(ovl_rec_put_hs(msg1, len, out, &n));
	return (n);
}

/* Completes a real handshake by hand; records can follow. */
static void
raw_handshake(struct fx *f, struct raw *r, const uint8_t *psk)
{
	uint8_t m1[OVL_HS_MAX + 2];
	size_t n;

	raw_connect(f, r, 1);
	ASSERT_OK(ovl_rec_init(&r->rec, NULL));
	r->has_rec = 1;
	n = make_msg1(f, r, psk, m1);
	raw_write(r, m1, n);
	ASSERT(fx_run_until(f, &r->keyed, 2000));
}

/* Seals a record (one bit flipped if tamper) and sends it. */
static void
raw_record(struct raw *r, const uint8_t *pt, size_t len, int tamper)
{
	uint8_t *out;
	size_t n;

	out = malloc(OVL_REC_SEAL_MAX(len));
	ASSERT_NOT_NULL(out);
	ASSERT_OK(ovl_rec_seal(&r->rec, 0, pt, len, out, &n));
	if (tamper)
		out[n - 1] ^= 1;
	raw_write(r, out, n);
	free(out);
}

/* Writes a frame header. */
static void
hdr(uint8_t *p, uint8_t type, uint16_t flags, uint32_t id, uint32_t len)
{
	p[0] = 0;
	p[1] = type;
	p[2] = (uint8_t)(flags >> 8);
	p[3] = (uint8_t)flags;
	p[4] = (uint8_t)(id >> 24);
	p[5] = (uint8_t)(id >> 16);
	p[6] = (uint8_t)(id >> 8);
	p[7] = (uint8_t)id;
	p[8] = (uint8_t)(len >> 24);
	p[9] = (uint8_t)(len >> 16);
	p[10] = (uint8_t)(len >> 8);
	p[11] = (uint8_t)len;
}

/* A real client still gets through and is echoed. */
static void
check_others_served(struct fx *f)
{
	const char *addrs[1] = { f->addr };
	struct fx_dial d;
	struct fx_sink s;

	memset(&s, 0, sizeof s);
	fx_dial(f, addrs, 1, f->psk, 3000, &d);
	if (d.status != 0)
		FAIL("a good client was refused: %s", d.cause);
	ovl_chan_set_cbs(ovl_conn_control(d.conn), &fx_sink_cbs, &s);
	ASSERT_OK(ovl_chan_write(ovl_conn_control(d.conn), "ok?", 3));
	fx_run_until(f, &s.any, 2000);
	ASSERT_EQ(s.len, 3);
	free(s.buf);
	ovl_conn_close(d.conn, OVL_GA_NORMAL, NULL);
	fx_run_for(f, 20);
}

/* Sends bytes, expects the node to hang up having written nothing. */
static void
expect_silent_close(struct fx *f, const uint8_t *p, size_t len)
{
	struct raw r;

	memset(&r, 0, sizeof r);
	raw_connect(f, &r, 1);
	raw_write(&r, p, len);
	ASSERT(fx_run_until(f, &r.eof, 3000));
	ASSERT_EQ(r.got, 0);
	raw_close(&r);
}

/* Garbage before the handshake: closed, silent, one line each. */
static void
test_garbage(void)
{
	struct fx f;
	uint8_t junk[200];

	fx_init(&f);
	fx_listen(&f);
	randombytes_buf(junk, sizeof junk);
	junk[0] = 0xff;			/* a length beyond any message 1 */
	expect_silent_close(&f, junk, sizeof junk);
	ASSERT_EQ(f.nlogs, 1);
	ASSERT_EQ(fx_log_count(&f, "malformed handshake message"), 1);
	junk[0] = 0;
	junk[1] = 120;			/* plausible length, random body */
	expect_silent_close(&f, junk, 122);
	ASSERT_EQ(f.nlogs, 2);
	junk[1] = 0;			/* zero length */
	expect_silent_close(&f, junk, 2);
	ASSERT_EQ(f.nlogs, 3);
	check_others_served(&f);
	fx_done(&f);
}

/* A message 1 with a wrong access secret: not a byte comes back. */
static void
test_wrong_secret_silent(void)
{
	struct fx f;
	struct raw r;
	uint8_t m1[OVL_HS_MAX + 2], wrong[OVL_KEY_LEN];
	size_t n;

	fx_init(&f);
	fx_listen(&f);
	randombytes_buf(wrong, sizeof wrong);
	memset(&r, 0, sizeof r);
	raw_connect(&f, &r, 1);
	n = make_msg1(&f, &r, wrong, m1);
	raw_write(&r, m1, n);
	ASSERT(fx_run_until(&f, &r.eof, 3000));
	ASSERT_EQ(r.got, 0);
	ASSERT_EQ(f.nlogs, 1);
	ASSERT_EQ(fx_log_count(&f, "no access key fits"), 1);
	raw_close(&r);
	check_others_served(&f);
	fx_done(&f);
}

/* Half a message 1, then nothing: the handshake timeout closes it. */
static void
test_truncated_handshake(void)
{
	struct fx f;
	struct raw r;
	uint8_t m1[OVL_HS_MAX + 2];
	size_t n;

	fx_init(&f);
	f.lim.hs_timeout_ms = 200;
	fx_listen(&f);
	memset(&r, 0, sizeof r);
	raw_connect(&f, &r, 1);
	n = make_msg1(&f, &r, f.psk, m1);
	raw_write(&r, m1, n / 2);
	ASSERT(fx_run_until(&f, &r.eof, 3000));
	ASSERT_EQ(r.got, 0);
	ASSERT_EQ(fx_log_count(&f, "handshake timeout"), 1);
	raw_close(&r);
	check_others_served(&f);
	fx_done(&f);
}

/*
 * The same message 1 twice: the second gets nothing; nor does a third
 * after the node restarts (its seen set is gone, the file's time stays).
 */
static void
test_replayed_msg1(void)
{
	struct fx f;
	struct raw r1, r2, r3;
	uint8_t m1[OVL_HS_MAX + 2];
	size_t n;
	char *cause = NULL;

	fx_init(&f);
	fx_listen(&f);
	memset(&r1, 0, sizeof r1);
	memset(&r2, 0, sizeof r2);
	memset(&r3, 0, sizeof r3);
	raw_connect(&f, &r1, 1);
	n = make_msg1(&f, &r1, f.psk, m1);
	raw_write(&r1, m1, n);
	fx_run_until(&f, &f.auths, 2000);
	ASSERT_EQ(f.auths, 1);
	raw_connect(&f, &r2, 1);
	raw_write(&r2, m1, n);
	ASSERT(fx_run_until(&f, &r2.eof, 3000));
	ASSERT_EQ(r2.got, 0);
	ASSERT_EQ(f.auths, 1);
	ASSERT_EQ(fx_log_count(&f, "replayed or stale handshake"), 1);
	ASSERT_GT(r1.got, 0);		/* the first got its message 2 */
	raw_close(&r1);
	raw_close(&r2);
	/* A restart: a new server and keystore on the same state dir. */
	fx_stop_server(&f);
	ovl_keystore_free(f.ks);
	ASSERT_OK(ovl_keystore_open(&f.ks, f.dir, &cause));
	fx_listen(&f);
	raw_connect(&f, &r3, 1);
	raw_write(&r3, m1, n);
	ASSERT(fx_run_until(&f, &r3.eof, 3000));
	ASSERT_EQ(r3.got, 0);
	ASSERT_EQ(f.auths, 1);
	ASSERT_EQ(fx_log_count(&f, "replayed or stale handshake"), 2);
	raw_close(&r3);
	check_others_served(&f);
	fx_done(&f);
}

/* A tampered record ends the connection. */
static void
test_tampered_record(void)
{
	struct fx f;
	struct raw r;
	uint8_t ping[OVL_MUX_HDR];

	fx_init(&f);
	fx_listen(&f);
	memset(&r, 0, sizeof r);
	raw_handshake(&f, &r, f.psk);
	hdr(ping, OVL_FT_PING, OVL_FL_SYN, 0, 7);
	raw_record(&r, ping, sizeof ping, 0);
	raw_record(&r, ping, sizeof ping, 1);
	ASSERT(fx_run_until(&f, &r.eof, 3000));
	ASSERT_EQ(fx_log_count(&f, "a record failed to decrypt"), 1);
	ASSERT_EQ(f.nlogs, 1);
	raw_close(&r);
	check_others_served(&f);
	fx_done(&f);
}

/* Frames that break the rules: each ends its connection, with a line. */
static void
test_bad_frames(void)
{
	static uint8_t rec[OVL_REC_PT_MAX];
	struct fx f;
	struct raw r;
	int i;

	fx_init(&f);
	fx_listen(&f);
	/* a frame claiming more than its record */
	memset(&r, 0, sizeof r);
	raw_handshake(&f, &r, f.psk);
	hdr(rec, OVL_FT_DATA, 0, 0, 5000);
	raw_record(&r, rec, OVL_MUX_HDR + 10, 0);
	ASSERT(fx_run_until(&f, &r.eof, 3000));
	ASSERT_EQ(fx_log_count(&f, "frame longer than its record"), 1);
	raw_close(&r);
	/* more data than the window on a channel whose reader paused */
	memset(&r, 0, sizeof r);
	raw_handshake(&f, &r, f.psk);
	ovl_chan_pause(ovl_conn_control(f.last_auth));
	for (i = 0; i < 5; i++) {
		hdr(rec, OVL_FT_DATA, 0, 0, OVL_FRAME_MAX);
		raw_record(&r, rec, OVL_REC_PT_MAX, 0);
	}
	ASSERT(fx_run_until(&f, &r.eof, 3000));
	ASSERT_EQ(fx_log_count(&f, "data beyond the window"), 1);
	raw_close(&r);
	/* an unknown channel */
	memset(&r, 0, sizeof r);
	raw_handshake(&f, &r, f.psk);
	hdr(rec, OVL_FT_WINDOW, 0, 77, 1);
	raw_record(&r, rec, OVL_MUX_HDR, 0);
	ASSERT(fx_run_until(&f, &r.eof, 3000));
	ASSERT_EQ(fx_log_count(&f, "unknown channel"), 1);
	raw_close(&r);
	/* a length below a tag */
	memset(&r, 0, sizeof r);
	raw_handshake(&f, &r, f.psk);
	rec[0] = 0;
	rec[1] = 3;
	raw_write(&r, rec, 5);
	ASSERT(fx_run_until(&f, &r.eof, 3000));
	ASSERT_EQ(fx_log_count(&f, "bad record length"), 1);
	raw_close(&r);
	ASSERT_EQ(f.nlogs, 4);
	check_others_served(&f);
	fx_done(&f);
}

/* A client opening channels without limit is cut off at the limit. */
static void
test_too_many_channels(void)
{
	struct fx f;
	struct fx_dial d;
	struct fx_closed cl;
	struct ovl_chan *ch;
	const char *addrs[1];
	int i;

	fx_init(&f);
	f.lim.mux.max_chans = 8;
	fx_listen(&f);
	f.lim.mux.max_chans = 1000;	/* the client's own limit */
	addrs[0] = f.addr;
	fx_dial(&f, addrs, 1, f.psk, 3000, &d);
	ASSERT_OK(d.status);
	fx_watch_close(d.conn, &cl);
	for (i = 0; i < 20; i++) {
		ASSERT_OK(ovl_conn_chan_open(d.conn, &ch));
		ASSERT_OK(ovl_chan_write(ch, "x", 1));
	}
	ASSERT(fx_run_until(&f, &cl.closed, 3000));
	ASSERT_CONTAINS(cl.reason, "limit exceeded");
	ASSERT_CONTAINS(cl.reason, "too many channels");
	ASSERT_EQ(fx_log_count(&f, "too many channels"), 1);
	f.lim.mux.max_chans = 8;
	check_others_served(&f);
	fx_done(&f);
}

#define FLOOD_CHANS	12	/* 12 MiB queued, under OVL_MAX_BUFFERED */

static uint8_t flood_chunk[OVL_CHAN_QUEUE];

/* A flood channel drained: write as much again, without end. */
static void
flood_drain(struct ovl_chan *ch, void *arg)
{
	(void)arg;
	if (ovl_chan_write(ch, flood_chunk, sizeof flood_chunk) != 0)
		ovl_chan_reset(ch);	/* only when the connection ends */
}

static const struct ovl_chan_cbs flood_cbs = { NULL, flood_drain, NULL };

/* The node floods a peer that never reads, on several channels. */
static void
flood(struct fx *f, struct ovl_conn *c)
{
	struct ovl_chan *ch;
	int i;

	(void)f;
	for (i = 0; i < FLOOD_CHANS; i++) {
		ASSERT_OK(ovl_conn_chan_open(c, &ch));
		ovl_chan_set_cbs(ch, &flood_cbs, NULL);
		ASSERT_OK(ovl_chan_write(ch, flood_chunk, sizeof flood_chunk));
	}
}

/* A peer that stops reading (but still pings) is closed as stalled. */
static void
test_stops_reading(void)
{
	struct fx f;
	struct raw r;
	uint8_t ping[OVL_MUX_HDR];
	struct ovl_server_stats st;
	int i, rcvbuf;

	fx_init(&f);
	f.lim.stall_ms = 600;
	f.lim.idle_ms = 10000;		/* the pings keep it from idling */
	f.lim.keepalive_ms = 100;
	f.on_auth_extra = flood;
	fx_listen(&f);
	memset(&r, 0, sizeof r);
	raw_handshake(&f, &r, f.psk);
	uv_read_stop((uv_stream_t *)&r.tcp);
	rcvbuf = 4096;
	(void)uv_recv_buffer_size((uv_handle_t *)&r.tcp, &rcvbuf);
	f.on_auth_extra = NULL;
	/* grant the node's channels (2, 4, ...) credit we never consume */
	for (i = 2; i <= 2 * FLOOD_CHANS; i += 2) {
		hdr(ping, OVL_FT_WINDOW, OVL_FL_ACK, (uint32_t)i, 1u << 24);
		raw_record(&r, ping, sizeof ping, 0);
	}
	for (i = 0; i < 40 && fx_log_count(&f, "stopped reading") == 0; i++) {
		hdr(ping, OVL_FT_PING, OVL_FL_SYN, 0, (uint32_t)i);
		raw_record(&r, ping, sizeof ping, 0);
		fx_run_for(&f, 100);
	}
	if (fx_log_count(&f, "the peer stopped reading") != 1)
		FAIL("no stall logged; %d lines, first: %s", f.nlogs,
		    f.nlogs > 0 ? f.logs[0] : "none");
	raw_close(&r);
	/* the linger ends */
	FX_RUN_UNTIL(&f, (ovl_server_stats(f.srv, &st), st.live == 0), 10000);
	ovl_server_stats(f.srv, &st);
	ASSERT_EQ(st.live, 0);
	check_others_served(&f);
	fx_done(&f);
}

/* Resident memory in KiB. */
static long
rss_kib(void)
{
	long pages = 0, rss = 0;
	FILE *fp;

	fp = fopen("/proc/self/statm", "r");
	if (fp == NULL)
		return (0);
	if (fscanf(fp, "%ld %ld", &pages, &rss) != 2)
		rss = 0;
	fclose(fp);
	return (rss * 4);
}

/* Bytes the allocator has handed out and not had back. */
static long
heap_bytes(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return ((long)__sanitizer_get_current_allocated_bytes());
#else
	return ((long)mallinfo2().uordblks);
#endif
}

/* State of the junk run. */
struct junk_run {
	struct fx	*f;
	int		 started;
	int		 finished;
	int		 total;
	int		 all_done;
	size_t		 bytes_back;
};

static void junk_next(struct junk_run *);

/* One junk connection ended. */
static void
junk_closed(uv_handle_t *h)
{
	struct raw *r = container_of((uv_tcp_t *)h, struct raw, tcp);
	struct junk_run *j = (struct junk_run *)r->done_count;

	j->finished++;
	j->bytes_back += r->got;
	free(r);
	if (j->finished == j->total)
		j->all_done = 1;
	else
		junk_next(j);
}

/* The node hung up on a junk connection (or it failed): close ours. */
static void
junk_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct raw *r = container_of((uv_tcp_t *)s, struct raw, tcp);

	(void)buf;
	if (n > 0) {
		r->got += (size_t)n;
		return;
	}
	if (n < 0 && !uv_is_closing((uv_handle_t *)s))
		uv_close((uv_handle_t *)s, junk_closed);
}

/* Connected: send junk and wait for the hang-up. */
static void
junk_connected(uv_connect_t *req, int status)
{
	struct raw *r = container_of(req, struct raw, creq);
	uint8_t junk[48];

	if (status < 0) {
		uv_close((uv_handle_t *)&r->tcp, junk_closed);
		return;
	}
	randombytes_buf(junk, sizeof junk);
	junk[0] = 0;
	junk[1] = (uint8_t)(1 + junk[1] % 46);	/* whole, but nonsense */
	raw_write(r, junk, sizeof junk);
	(void)uv_read_start((uv_stream_t *)&r->tcp, raw_alloc, junk_read);
}

/* Starts the next junk connection if any remain. */
static void
junk_next(struct junk_run *j)
{
	struct sockaddr_in sa;
	struct raw *r;

	if (j->started >= j->total)
		return;
	j->started++;
	r = calloc(1, sizeof *r);
	ASSERT_NOT_NULL(r);
	r->done_count = (int *)(void *)j;
	ASSERT_OK(uv_tcp_init(&j->f->loop, &r->tcp));
	ASSERT_OK(uv_ip4_addr("127.0.0.1", j->f->port, &sa));
	ASSERT_OK(uv_tcp_connect(&r->creq, &r->tcp, (struct sockaddr *)&sa,
	    junk_connected));
}

/* Runs n junk connections, 32 at a time. */
static void
junk_run(struct fx *f, int n)
{
	struct junk_run j;
	int i;

	memset(&j, 0, sizeof j);
	j.f = f;
	j.total = n;
	for (i = 0; i < 32; i++)
		junk_next(&j);
	ASSERT(fx_run_until(f, &j.all_done, 120000));
	ASSERT_EQ(j.bytes_back, 0);
}

/* 10,000 junk connections in a row leave the node as it was. */
static void
test_10000_junk(void)
{
	struct fx f;
	struct ovl_server_stats st;
	long before, after, heap_before, heap_after;

	fx_init(&f);
	f.lim.hs_rate = 1000000;
	f.lim.hs_burst = 1000000;
	fx_listen(&f);
	junk_run(&f, 500);		/* warm up allocator and caches */
	fx_run_for(&f, 50);
	before = rss_kib();
	heap_before = heap_bytes();
	junk_run(&f, 10000);
	fx_run_for(&f, 100);
	after = rss_kib();
	heap_after = heap_bytes();
	ovl_server_stats(f.srv, &st);
	printf("# 10000 junk connections: heap in use %ld -> %ld bytes, "
	    "rss %ld -> %ld KiB\n", heap_before, heap_after, before, after);
	ASSERT_EQ(st.accepted, 10500);
	ASSERT_EQ(st.refused, 10500);
	ASSERT_EQ(st.closed, 10500);
	ASSERT_EQ(st.live, 0);
	ASSERT_EQ(st.authed, 0);
	ASSERT_EQ(f.nlogs, 10500);
	/* every object was freed: the heap is where it was */
	ASSERT_LT(heap_after - heap_before, 64 * 1024);
#if !defined(__SANITIZE_ADDRESS__)
	ASSERT_LT(after - before, 8 * 1024);	/* ASan's quarantine grows */
#endif
	check_others_served(&f);
	fx_done(&f);
}

/* Handshakes per second per source: the bucket refuses the excess. */
static void
test_rate_limit(void)
{
	struct fx f;
	struct fx_dial d;
	struct ovl_server_stats st;
	const char *addrs[1];
	uint64_t t0;
	int i, ok = 0, refused = 0;

	fx_init(&f);
	f.lim.hs_rate = 1;
	f.lim.hs_burst = 3;
	fx_listen(&f);
	addrs[0] = f.addr;
	uv_update_time(&f.loop);
	t0 = uv_now(&f.loop);
	for (i = 0; i < 6; i++) {
		fx_dial(&f, addrs, 1, f.psk, 2000, &d);
		if (d.status == 0) {
			ok++;
			ovl_conn_close(d.conn, OVL_GA_NORMAL, NULL);
		} else
			refused++;
	}
	/* the burst, plus what refilled at 1 per second meanwhile */
	ASSERT_GE(ok, 3);
	ASSERT_LE(ok, 3 + (int)((uv_now(&f.loop) - t0) / 1000) + 1);
	ASSERT_LT(ok, 6);
	ovl_server_stats(f.srv, &st);
	ASSERT_EQ(st.rate_limited, (uint64_t)refused);
	ASSERT_EQ(fx_log_count(&f, "handshakes per second"), refused);
	if (f.port6 != 0) {		/* another source has its own bucket */
		addrs[0] = f.addr6;
		fx_dial(&f, addrs, 1, f.psk, 2000, &d);
		ASSERT_OK(d.status);
		ovl_conn_close(d.conn, OVL_GA_NORMAL, NULL);
	}
	fx_done(&f);
}

/* The connection cap refuses the next one and logs it. */
static void
test_max_conns(void)
{
	struct fx f;
	struct fx_dial d1, d2, d3;
	struct ovl_server_stats st;
	const char *addrs[1];

	fx_init(&f);
	f.lim.max_conns = 2;
	fx_listen(&f);
	addrs[0] = f.addr;
	fx_dial(&f, addrs, 1, f.psk, 2000, &d1);
	fx_dial(&f, addrs, 1, f.psk, 2000, &d2);
	ASSERT_OK(d1.status);
	ASSERT_OK(d2.status);
	fx_dial(&f, addrs, 1, f.psk, 2000, &d3);
	ASSERT_NE(d3.status, 0);
	ASSERT_EQ(fx_log_count(&f, "connections held already"), 1);
	ovl_conn_close(d1.conn, OVL_GA_NORMAL, NULL);
	FX_RUN_UNTIL(&f, (ovl_server_stats(f.srv, &st), st.live < 2), 5000);
	fx_dial(&f, addrs, 1, f.psk, 2000, &d3);
	ASSERT_OK(d3.status);
	ovl_conn_close(d2.conn, OVL_GA_NORMAL, NULL);
	ovl_conn_close(d3.conn, OVL_GA_NORMAL, NULL);
	fx_done(&f);
}

TEST_MAIN(T(test_garbage), T(test_wrong_secret_silent),
    T(test_truncated_handshake),
    T(test_replayed_msg1), T(test_tampered_record), T(test_bad_frames),
    T(test_too_many_channels), T(test_stops_reading), T(test_10000_junk),
    T(test_rate_limit), T(test_max_conns))
