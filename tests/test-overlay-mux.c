/*
 * The channel multiplexer as a pure state machine: two of them wired
 * back to back through a pump that moves whole records. Opening, data,
 * FIN and RST, credit windows and pausing, bounded queues, ping, go-away,
 * fairness to channel 0, and every protocol violation.
 */
#include <errno.h>

#include "overlay.h"
#include "test.h"

/* What one side saw. */
struct side {
	struct ovl_mux	*m;
	struct ovl_chan	*opened;	/* last channel the peer opened */
	int		 opens;
	int		 pongs;
	uint32_t	 pong_value;
	int		 goaways;
	uint32_t	 goaway_code;
	char		 reason[OVL_REASON_MAX + 1];
	int		 wants;
	uint8_t		*got;		/* data of every channel, in order */
	size_t		 ngot;
	int		 eofs;
	int		 closes;
	int		 last_close;
	int		 drains;
	int		 reset_on_open;
};

static struct side A, B;

/* Channel data: append. */
static void
on_data(struct ovl_chan *c, const uint8_t *buf, size_t len, void *arg)
{
	struct side *s = arg;

	(void)c;
	if (len == 0) {
		s->eofs++;
		return;
	}
	s->got = realloc(s->got, s->ngot + len);
	memcpy(s->got + s->ngot, buf, len);
	s->ngot += len;
}

/* Channel drained. */
static void
on_drain(struct ovl_chan *c, void *arg)
{
	struct side *s = arg;

	(void)c;
	s->drains++;
}

/* Channel closed. */
static void
on_close(struct ovl_chan *c, int status, void *arg)
{
	struct side *s = arg;

	(void)c;
	s->closes++;
	s->last_close = status;
}

static const struct ovl_chan_cbs chan_cbs = { on_data, on_drain, on_close };

/* The peer opened a channel. */
static void
m_open(struct ovl_mux *m, struct ovl_chan *c, void *arg)
{
	struct side *s = arg;

	(void)m;
	s->opens++;
	s->opened = c;
	ovl_chan_set_cbs(c, &chan_cbs, s);
	if (s->reset_on_open)
		ovl_chan_reset(c);
}

/* The mux has frames. */
static void
m_want(struct ovl_mux *m, void *arg)
{
	struct side *s = arg;

	(void)m;
	s->wants++;
}

/* A pong. */
static void
m_pong(struct ovl_mux *m, uint32_t value, void *arg)
{
	struct side *s = arg;

	(void)m;
	s->pongs++;
	s->pong_value = value;
}

/* A go-away. */
static void
m_goaway(struct ovl_mux *m, uint32_t code, const char *reason, void *arg)
{
	struct side *s = arg;

	(void)m;
	s->goaways++;
	s->goaway_code = code;
	snprintf(s->reason, sizeof s->reason, "%s", reason);
}

static const struct ovl_mux_cbs mux_cbs = { m_open, m_want, m_pong,
    m_goaway };

/* Makes a dialer A and a listener B with cfg. */
static void
setup(const struct ovl_mux_cfg *cfg)
{
	free(A.got);
	free(B.got);
	memset(&A, 0, sizeof A);
	memset(&B, 0, sizeof B);
	ASSERT_OK(ovl_mux_new(&A.m, 1, cfg, &mux_cbs, &A));
	ASSERT_OK(ovl_mux_new(&B.m, 0, cfg, &mux_cbs, &B));
	ovl_chan_set_cbs(ovl_mux_control(A.m), &chan_cbs, &A);
	ovl_chan_set_cbs(ovl_mux_control(B.m), &chan_cbs, &B);
}

/* Frees both sides. */
static void
teardown(void)
{
	ovl_mux_free(A.m, -ECONNABORTED);
	ovl_mux_free(B.m, -ECONNABORTED);
	free(A.got);
	free(B.got);
	memset(&A, 0, sizeof A);
	memset(&B, 0, sizeof B);
}

/* Moves records from one side to the other; returns records moved. */
static int
pump_one(struct side *from, struct side *to, int max)
{
	static uint8_t rec[OVL_REC_PT_MAX];
	const char *cause;
	size_t n;
	int moved = 0;

	while (moved < max) {
		n = ovl_mux_pull(from->m, rec, sizeof rec);
		if (n == 0)
			break;
		ASSERT_LE(n, OVL_REC_PT_MAX);
		ASSERT_OK(ovl_mux_input(to->m, rec, n, &cause));
		ovl_mux_pulled(from->m);
		moved++;
	}
	return (moved);
}

/* Pumps both ways until quiet. */
static void
pump(void)
{
	int i;

	for (i = 0; i < 10000; i++)
		if (pump_one(&A, &B, 1000) + pump_one(&B, &A, 1000) == 0)
			return;
	FAIL("pump never went quiet");
}

/* Feeds raw frames to B and expects a violation naming why. */
static void
expect_violation(const uint8_t *rec, size_t reclen, int rc,
    const char *why)
{
	static uint8_t out[OVL_REC_PT_MAX];
	char reason[OVL_REASON_MAX + 1];
	const char *cause;
	size_t n, off;
	uint32_t len;

	ASSERT_EQ(ovl_mux_input(B.m, rec, reclen, &cause), rc);
	ASSERT_CONTAINS(cause, why);
	/* the go-away naming it is what B sends next, last in its record */
	n = ovl_mux_pull(B.m, out, sizeof out);
	for (off = 0; off + OVL_MUX_HDR <= n; off += OVL_MUX_HDR + len) {
		len = (uint32_t)out[off + 8] << 24 | (uint32_t)out[off + 9] <<
		    16 | (uint32_t)out[off + 10] << 8 | out[off + 11];
		if (out[off + 1] != OVL_FT_GOAWAY)
			len = 0;
		else
			break;
	}
	ASSERT_LT(off, n);
	ASSERT_EQ(off + OVL_MUX_HDR + len, n);
	memcpy(reason, out + off + OVL_MUX_HDR + 4, len - 4);
	reason[len - 4] = '\0';
	ASSERT_CONTAINS(reason, why);
	ASSERT(ovl_mux_closing(B.m));
	/* input after that keeps failing */
	ASSERT_EQ(ovl_mux_input(B.m, rec, reclen, &cause), rc);
}

/* Writes a frame header. */
static void
hdr(uint8_t *p, uint8_t ver, uint8_t type, uint16_t flags, uint32_t id,
    uint32_t len)
{
	p[0] = ver;
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

/* Channels open both ways with the right parity and carry data. */
static void
test_open_and_data(void)
{
	struct ovl_chan *a1, *a3, *b2;

	setup(NULL);
	ASSERT_OK(ovl_mux_open(A.m, &a1));
	ASSERT_OK(ovl_mux_open(A.m, &a3));
	ASSERT_OK(ovl_mux_open(B.m, &b2));
	ASSERT_EQ(ovl_chan_id(a1), 1);
	ASSERT_EQ(ovl_chan_id(a3), 3);
	ASSERT_EQ(ovl_chan_id(b2), 2);
	ASSERT_GT(A.wants, 0);
	ovl_chan_set_cbs(a1, &chan_cbs, &A);
	ovl_chan_set_cbs(a3, &chan_cbs, &A);
	ovl_chan_set_cbs(b2, &chan_cbs, &B);
	ASSERT_OK(ovl_chan_write(a1, "hello", 5));
	ASSERT_OK(ovl_chan_write(ovl_mux_control(A.m), "{}", 2));
	pump();
	ASSERT_EQ(B.opens, 2);
	ASSERT_EQ(A.opens, 1);
	ASSERT_EQ(ovl_chan_id(A.opened), 2);
	ASSERT_EQ(B.ngot, 7);
	/* channel 0 goes first even though it was written second */
	ASSERT_MEMEQ(B.got, "{}hello", 7);
	ASSERT_OK(ovl_chan_write(A.opened, "back", 4));
	pump();
	ASSERT_EQ(B.ngot, 11);
	ASSERT_EQ(ovl_mux_nchans(A.m), 4);
	ASSERT_EQ(ovl_mux_nchans(B.m), 4);
	teardown();
}

/* FIN both ways ends a channel cleanly on both sides; RST at once. */
static void
test_fin_and_rst(void)
{
	struct ovl_chan *a1, *a3;

	setup(NULL);
	ASSERT_OK(ovl_mux_open(A.m, &a1));
	ovl_chan_set_cbs(a1, &chan_cbs, &A);
	ASSERT_OK(ovl_chan_write(a1, "abc", 3));
	ASSERT_OK(ovl_chan_close(a1));
	ASSERT_EQ(ovl_chan_write(a1, "x", 1), -EPIPE);
	ASSERT_EQ(ovl_chan_close(a1), -EPIPE);
	pump();
	ASSERT_EQ(B.ngot, 3);
	ASSERT_EQ(B.eofs, 1);
	ASSERT_EQ(B.closes, 0);
	ASSERT_OK(ovl_chan_close(B.opened));
	pump();
	ASSERT_EQ(A.eofs, 1);
	ASSERT_EQ(A.closes, 1);
	ASSERT_EQ(A.last_close, 0);
	ASSERT_EQ(B.closes, 1);
	ASSERT_EQ(B.last_close, 0);
	ASSERT_EQ(ovl_mux_nchans(A.m), 1);
	ASSERT_EQ(ovl_mux_nchans(B.m), 1);
	/* reset */
	ASSERT_OK(ovl_mux_open(A.m, &a3));
	ovl_chan_set_cbs(a3, &chan_cbs, &A);
	ASSERT_OK(ovl_chan_write(a3, "abc", 3));
	pump();
	ovl_chan_reset(a3);
	ASSERT_EQ(A.closes, 2);
	ASSERT_EQ(A.last_close, -ECONNRESET);
	pump();
	ASSERT_EQ(B.closes, 2);
	ASSERT_EQ(B.last_close, -ECONNRESET);
	ASSERT_EQ(ovl_mux_nchans(B.m), 1);
	/* channel 0 cannot be closed */
	ASSERT_EQ(ovl_chan_close(ovl_mux_control(A.m)), -EINVAL);
	/* a peer-opened channel reset inside on_open */
	B.reset_on_open = 1;
	ASSERT_OK(ovl_mux_open(A.m, &a3));
	ovl_chan_set_cbs(a3, &chan_cbs, &A);
	ASSERT_OK(ovl_chan_write(a3, "abc", 3));
	pump();
	ASSERT_EQ(B.ngot, 6);		/* nothing delivered after reset */
	ASSERT_EQ(A.last_close, -ECONNRESET);
	ASSERT_EQ(ovl_mux_nchans(A.m), 1);
	ASSERT_EQ(ovl_mux_nchans(B.m), 1);
	teardown();
}

/* The sender never passes the window; a paused reader stalls it. */
static void
test_window_and_pause(void)
{
	struct ovl_mux_cfg cfg = { .window = 64 * 1024 };
	static uint8_t big[512 * 1024];
	struct ovl_chan *a1, *b1;
	size_t i;

	for (i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)(i * 7);
	setup(&cfg);
	ASSERT_OK(ovl_mux_open(A.m, &a1));
	ovl_chan_set_cbs(a1, &chan_cbs, &A);
	ASSERT_OK(ovl_chan_write(a1, "x", 1));
	pump();
	b1 = B.opened;
	ASSERT_NOT_NULL(b1);
	ovl_chan_pause(b1);
	A.drains = 0;
	ASSERT_OK(ovl_chan_write(a1, big, sizeof big));
	ASSERT_EQ(ovl_mux_buffered(A.m), sizeof big);
	pump();
	/* only the window's worth moved; B holds it, grants nothing */
	ASSERT_EQ(B.ngot, 1);
	ASSERT_EQ(ovl_mux_buffered(B.m), 64 * 1024 - 1);
	ASSERT_EQ(ovl_chan_credit(a1), 0);
	ASSERT_EQ(ovl_chan_queued(a1), sizeof big - (64 * 1024 - 1));
	ASSERT_EQ(A.drains, 0);
	ovl_chan_resume(b1);
	pump();
	ASSERT_EQ(B.ngot, 1 + sizeof big);
	ASSERT_MEMEQ(B.got + 1, big, sizeof big);
	ASSERT_EQ(ovl_chan_queued(a1), 0);
	ASSERT_EQ(ovl_mux_buffered(A.m), 0);
	ASSERT_EQ(ovl_mux_buffered(B.m), 0);
	ASSERT_GE(A.drains, 1);
	teardown();
}

/* Queues are bounded: -ENOBUFS, nothing queued, on_drain later. */
static void
test_write_bounds(void)
{
	struct ovl_mux_cfg cfg = { .chan_queue = 100000,
	    .max_buffered = 150000 };
	static uint8_t big[100001];
	struct ovl_chan *a1, *a3;

	setup(&cfg);
	ASSERT_OK(ovl_mux_open(A.m, &a1));
	ASSERT_OK(ovl_mux_open(A.m, &a3));
	ovl_chan_set_cbs(a1, &chan_cbs, &A);
	ovl_chan_set_cbs(a3, &chan_cbs, &A);
	ASSERT_EQ(ovl_chan_write(a1, big, sizeof big), -ENOBUFS);
	ASSERT_EQ(ovl_chan_queued(a1), 0);
	ASSERT_OK(ovl_chan_write(a1, big, 100000));
	ASSERT_EQ(ovl_chan_write(a1, big, 1), -ENOBUFS);
	ASSERT_OK(ovl_chan_write(a3, big, 50000));
	ASSERT_EQ(ovl_chan_write(a3, big, 1), -ENOBUFS);	/* conn bound */
	pump();
	ASSERT_EQ(B.ngot, 150000);
	ASSERT_EQ(A.drains, 2);
	ASSERT_OK(ovl_chan_write(a1, big, 1));
	teardown();
}

/* A big stream does not delay channel 0 by more than one record. */
static void
test_control_first(void)
{
	static uint8_t big[900 * 1024], rec[OVL_REC_PT_MAX];
	struct ovl_chan *a1;
	const char *cause;
	size_t n;

	setup(NULL);
	ASSERT_OK(ovl_mux_open(A.m, &a1));
	ovl_chan_set_cbs(a1, &chan_cbs, &A);
	ASSERT_OK(ovl_chan_write(a1, big, sizeof big));
	n = ovl_mux_pull(A.m, rec, sizeof rec);
	ASSERT_OK(ovl_mux_input(B.m, rec, n, &cause));
	ASSERT_OK(ovl_chan_write(ovl_mux_control(A.m), "ctl", 3));
	n = ovl_mux_pull(A.m, rec, sizeof rec);
	ASSERT_EQ(rec[1], OVL_FT_DATA);
	ASSERT_EQ(rec[7], 0);		/* channel 0 leads the record */
	ASSERT_MEMEQ(rec + OVL_MUX_HDR, "ctl", 3);
	ASSERT_OK(ovl_mux_input(B.m, rec, n, &cause));
	teardown();
}

/* Channels take turns: two streams interleave within records. */
static void
test_round_robin(void)
{
	static uint8_t big[200 * 1024], rec[OVL_REC_PT_MAX];
	struct ovl_chan *a1, *a3;
	size_t n, off;
	int seen1 = 0, seen3 = 0;
	uint32_t id, len;

	setup(NULL);
	ASSERT_OK(ovl_mux_open(A.m, &a1));
	ASSERT_OK(ovl_mux_open(A.m, &a3));
	ASSERT_OK(ovl_chan_write(a1, big, sizeof big));
	ASSERT_OK(ovl_chan_write(a3, big, sizeof big));
	n = ovl_mux_pull(A.m, rec, sizeof rec);
	for (off = 0; off < n; off += OVL_MUX_HDR + len) {
		id = (uint32_t)rec[off + 7];
		len = (uint32_t)rec[off + 8] << 24 | (uint32_t)rec[off + 9] <<
		    16 | (uint32_t)rec[off + 10] << 8 | rec[off + 11];
		if (rec[off + 1] != OVL_FT_DATA)
			continue;
		seen1 += id == 1;
		seen3 += id == 3;
	}
	ASSERT_GE(seen1, 1);
	ASSERT_GE(seen3, 1);
	ASSERT_LE(seen1 - seen3, 1);
	ASSERT_LE(seen3 - seen1, 1);
	teardown();
}

/* Ping carries its value back. */
static void
test_ping(void)
{
	int i;

	setup(NULL);
	ASSERT_OK(ovl_mux_ping(A.m, 0xdeadbeef));
	pump();
	ASSERT_EQ(A.pongs, 1);
	ASSERT_EQ(A.pong_value, 0xdeadbeef);
	ASSERT_EQ(B.pongs, 0);
	for (i = 0; i < OVL_MAX_PINGS; i++)
		ASSERT_OK(ovl_mux_ping(A.m, (uint32_t)i));
	ASSERT_EQ(ovl_mux_ping(A.m, 99), -ENOBUFS);
	pump();
	ASSERT_EQ(A.pongs, 1 + OVL_MAX_PINGS);
	ASSERT_EQ(A.pong_value, OVL_MAX_PINGS - 1);
	teardown();
}

/* Go-away carries code and reason; then nothing more is sent. */
static void
test_goaway(void)
{
	struct ovl_chan *a1;

	setup(NULL);
	ovl_mux_goaway(A.m, OVL_GA_REVOKED, "key \"ops\"\nrevoked");
	ASSERT(ovl_mux_closing(A.m));
	ASSERT_EQ(ovl_mux_open(A.m, &a1), -EPIPE);
	ASSERT_EQ(ovl_chan_write(ovl_mux_control(A.m), "x", 1), -EPIPE);
	pump();
	ASSERT_EQ(B.goaways, 1);
	ASSERT_EQ(B.goaway_code, OVL_GA_REVOKED);
	ASSERT_STREQ(B.reason, "key \"ops\"?revoked");
	ASSERT(!ovl_mux_pending(A.m));
	ASSERT_STREQ(ovl_goaway_name(OVL_GA_IDLE), "idle timeout");
	ASSERT_STREQ(ovl_goaway_name(1000), "unknown");
	teardown();
}

/* Frames that break the rules each end the mux with a reason. */
static void
test_violations(void)
{
	uint8_t rec[256];

	setup(NULL);
	hdr(rec, 1, OVL_FT_PING, OVL_FL_SYN, 0, 0);
	expect_violation(rec, OVL_MUX_HDR, -EPROTO, "unknown frame version");
	teardown();
	setup(NULL);
	hdr(rec, 0, 9, 0, 0, 0);
	expect_violation(rec, OVL_MUX_HDR, -EPROTO, "unknown frame type");
	teardown();
	setup(NULL);
	hdr(rec, 0, OVL_FT_DATA, 0, 5, 1);
	expect_violation(rec, OVL_MUX_HDR + 1, -EPROTO,
	    "frame for an unknown channel");
	teardown();
	setup(NULL);
	hdr(rec, 0, OVL_FT_DATA, 0, 0, 100);
	expect_violation(rec, OVL_MUX_HDR + 10, -EPROTO,
	    "frame longer than its record");
	teardown();
	setup(NULL);
	expect_violation(rec, 5, -EPROTO, "truncated frame header");
	teardown();
	setup(NULL);
	hdr(rec, 0, OVL_FT_REKEY, 0, 0, 0);
	hdr(rec + OVL_MUX_HDR, 0, OVL_FT_PING, OVL_FL_SYN, 0, 0);
	expect_violation(rec, 2 * OVL_MUX_HDR, -EPROTO,
	    "rekey frame not alone");
	teardown();
	setup(NULL);
	hdr(rec, 0, OVL_FT_WINDOW, OVL_FL_SYN, 2, 0);	/* B's own parity */
	expect_violation(rec, OVL_MUX_HDR, -EPROTO, "wrong side");
	teardown();
	setup(NULL);
	hdr(rec, 0, OVL_FT_WINDOW, OVL_FL_FIN, 0, 0);
	expect_violation(rec, OVL_MUX_HDR, -EPROTO, "FIN or RST on channel 0");
	teardown();
	setup(NULL);
	hdr(rec, 0, OVL_FT_PING, OVL_FL_SYN, 1, 0);
	expect_violation(rec, OVL_MUX_HDR, -EPROTO, "ping on a channel");
	teardown();
	setup(NULL);
	hdr(rec, 0, OVL_FT_WINDOW, 0, 0, 0x7fffffff);
	expect_violation(rec, OVL_MUX_HDR, -EPROTO, "window beyond");
	teardown();
	setup(NULL);
	hdr(rec, 0, OVL_FT_GOAWAY, 0, 0, 2);
	expect_violation(rec, OVL_MUX_HDR + 2, -EPROTO, "malformed go-away");
	teardown();
}

/* Data beyond the granted window is a violation, at the exact byte. */
static void
test_window_violation(void)
{
	struct ovl_mux_cfg cfg = { .window = 100 };
	uint8_t rec[OVL_MUX_HDR + 101] = { 0 };
	const char *cause;

	setup(&cfg);
	hdr(rec, 0, OVL_FT_DATA, OVL_FL_SYN, 1, 100);
	ASSERT_OK(ovl_mux_input(B.m, rec, OVL_MUX_HDR + 100, &cause));
	ASSERT_EQ(B.opens, 1);
	ovl_chan_pause(B.opened);	/* no credit comes back */
	hdr(rec, 0, OVL_FT_DATA, 0, 1, 1);
	expect_violation(rec, OVL_MUX_HDR + 1, -EPROTO,
	    "data beyond the window");
	teardown();
}

/* A peer opening channels without limit is cut off at the limit. */
static void
test_too_many_channels(void)
{
	struct ovl_mux_cfg cfg = { .max_chans = 8 };
	struct ovl_chan *c;
	uint8_t rec[OVL_MUX_HDR];
	const char *cause;
	uint32_t i;

	setup(&cfg);
	for (i = 0; i < 8; i++)
		ASSERT_OK(ovl_mux_open(A.m, &c));
	ASSERT_EQ(ovl_mux_open(A.m, &c), -EMFILE);
	pump();
	ASSERT_EQ(B.opens, 8);
	for (i = 0; i < 8; i++) {
		hdr(rec, 0, OVL_FT_WINDOW, OVL_FL_SYN, 17 + 2 * i, 0);
		if (i == 0) {
			expect_violation(rec, sizeof rec, -ENOBUFS,
			    "too many channels");
			break;
		}
	}
	ASSERT_EQ(ovl_mux_nchans(B.m), 9);
	(void)cause;
	teardown();
	/* a reused id is refused too */
	setup(NULL);
	hdr(rec, 0, OVL_FT_WINDOW, OVL_FL_SYN, 5, 0);
	ASSERT_OK(ovl_mux_input(B.m, rec, sizeof rec, &cause));
	hdr(rec, 0, OVL_FT_WINDOW, OVL_FL_SYN, 3, 0);
	expect_violation(rec, sizeof rec, -EPROTO, "reusing a channel id");
	teardown();
}

/* Frames for a channel that just closed are ignored, not fatal. */
static void
test_closed_channel_frames(void)
{
	static uint8_t rec[OVL_REC_PT_MAX];
	struct ovl_chan *a1;
	const char *cause;
	size_t n;

	setup(NULL);
	ASSERT_OK(ovl_mux_open(A.m, &a1));
	ovl_chan_set_cbs(a1, &chan_cbs, &A);
	ASSERT_OK(ovl_chan_write(a1, "abc", 3));
	pump();
	ASSERT_EQ(B.ngot, 3);
	ovl_chan_reset(B.opened);	/* RST not yet sent ... */
	ASSERT_OK(ovl_chan_write(a1, "more", 4));	/* ... data in flight */
	n = ovl_mux_pull(A.m, rec, sizeof rec);
	ASSERT_OK(ovl_mux_input(B.m, rec, n, &cause));
	pump();
	ASSERT_EQ(A.last_close, -ECONNRESET);
	/* and after B forgot the channel, still ignored */
	ASSERT_OK(ovl_mux_input(B.m, rec, n, &cause));
	ASSERT_EQ(B.ngot, 3);
	teardown();
}

/* Shutdown tells every channel, channel 0 included, once. */
static void
test_shutdown(void)
{
	struct ovl_chan *a1;

	setup(NULL);
	ASSERT_OK(ovl_mux_open(A.m, &a1));
	ovl_chan_set_cbs(a1, &chan_cbs, &A);
	ovl_mux_shutdown(A.m, -ECONNABORTED);
	ASSERT_EQ(A.closes, 2);
	ASSERT_EQ(A.last_close, -ECONNABORTED);
	ovl_mux_shutdown(A.m, -ECONNABORTED);
	ASSERT_EQ(A.closes, 2);
	ASSERT_EQ(ovl_mux_open(A.m, &a1), -EPIPE);
	ASSERT(!ovl_mux_pending(A.m));
	teardown();
}

TEST_MAIN(T(test_open_and_data), T(test_fin_and_rst),
    T(test_window_and_pause), T(test_write_bounds), T(test_control_first),
    T(test_round_robin), T(test_ping), T(test_goaway), T(test_violations),
    T(test_window_violation), T(test_too_many_channels),
    T(test_closed_channel_frames), T(test_shutdown))
