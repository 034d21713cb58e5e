/*
 * What an open connection costs in memory, counted by the allocator
 * (ASan's count of live bytes in sanitizer builds, mallinfo2 otherwise),
 * not timed: 200 connections on loopback, both ends in this process,
 * each of which has carried a round trip on channel 0, must add less
 * than MEM_PER_END bytes per end once quiet. A quiet connection holds no
 * read, write, record or plaintext buffer; before that was so each end
 * held three of 64 KiB for its whole life and this test failed by a
 * factor of twenty-five. Then one connection moves a megabyte each way
 * and must give its buffers back once it is quiet again; and the list of
 * pings waiting for replies exists only while one waits.
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

#define NCONNS		200
#define MEM_PER_END	(6 * 1024)	/* bound on heap bytes per end */
#define MEM_AFTER_BULK	(8 * 1024)	/* left after a quiet bulk stream */
#define BULK		(1024 * 1024)
#define QUIET_WAIT_MS	600		/* conn.c's QUIET_MS is 250 */

/* Buffers a connection holds now (ovl_conn_stats). */
static size_t
held(const struct ovl_conn *c)
{
	struct ovl_conn_stats st;

	ovl_conn_stats(c, &st);
	return (st.held);
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

/* The dials of the test: one at a time, each conn kept with a ref. */
struct mem_run {
	struct ovl_conn		*conns[NCONNS + 1];
	int			 n;
	int			 done;
	int			 status;
};

/* A dial ended: keep the connection. */
static void
mem_dialed(struct ovl_dial *d, struct ovl_conn *conn, int status,
    const char *cause, void *arg)
{
	struct mem_run *r = arg;

	(void)d;
	r->done = 1;
	r->status = status;
	if (status != 0) {
		printf("# dial: %s\n", cause);
		return;
	}
	ovl_conn_ref(conn, "test");
	r->conns[r->n++] = conn;
}

/* Dials one more connection and waits for it. */
static void
dial_one(struct fx *f, struct mem_run *r)
{
	const char *addrs[1] = { f->addr };
	struct ovl_dial_cfg cfg;

	/* message 1 carries a millisecond time that must grow */
	fx_run_for(f, 2);
	memset(&cfg, 0, sizeof cfg);
	cfg.lim = f->lim;
	r->done = 0;
	ASSERT_OK(ovl_dial(&f->loop, &f->client_id, f->node_id.pub, f->psk,
	    addrs, 1, "mem", &cfg, mem_dialed, r, NULL));
	ASSERT(fx_run_until(f, &r->done, 5000));
	ASSERT_OK(r->status);
}

/* Sends len bytes on channel 0 of c and waits for the node's echo. */
static void
echo_control(struct fx *f, struct ovl_conn *c, const char *msg)
{
	struct fx_sink s;
	size_t len = strlen(msg);

	memset(&s, 0, sizeof s);
	ovl_chan_set_cbs(ovl_conn_control(c), &fx_sink_cbs, &s);
	ASSERT_OK(ovl_chan_write(ovl_conn_control(c), msg, len));
	while (s.len < len && fx_run_until(f, &s.any, 2000)) {
		if (s.len < len)
			s.any = 0;
	}
	ASSERT_EQ(s.len, len);
	ASSERT_MEMEQ(s.buf, msg, len);
	ovl_chan_set_cbs(ovl_conn_control(c), NULL, NULL);
	free(s.buf);
}

/* A megabyte out and back on a new channel of c, then the channel ends. */
static void
bulk_echo(struct fx *f, struct ovl_conn *c)
{
	struct fx_sink s;
	struct ovl_chan *ch;
	uint8_t *big;
	size_t i;

	big = malloc(BULK);
	ASSERT_NOT_NULL(big);
	for (i = 0; i < BULK; i++)
		big[i] = (uint8_t)(i % 251);
	memset(&s, 0, sizeof s);
	ASSERT_OK(ovl_conn_chan_open(c, &ch));
	ovl_chan_set_cbs(ch, &fx_sink_cbs, &s);
	ASSERT_OK(ovl_chan_write(ch, big, BULK));
	ASSERT_OK(ovl_chan_close(ch));
	ASSERT(fx_run_until(f, &s.closed, 10000));
	ASSERT_EQ(s.len, BULK);
	ASSERT_MEMEQ(s.buf, big, BULK);
	ASSERT_EQ(s.close_status, 0);
	free(s.buf);
	free(big);
}

/* Idle connections cost a few KiB each; a quiet one gives buffers back. */
static void
test_idle_memory(void)
{
	struct fx f;
	struct mem_run *r;
	struct ovl_server_stats st;
	long before, after, after_bulk, per_end;
	int i;

	r = calloc(1, sizeof *r);
	ASSERT_NOT_NULL(r);
	fx_init(&f);
	f.lim.hs_rate = 100000;		/* 201 handshakes from one source */
	f.lim.hs_burst = 100000;
	f.lim.max_conns = NCONNS + 8;
	fx_listen(&f);
	/* one connection first, so the loop and the allocator warm up */
	dial_one(&f, r);
	echo_control(&f, r->conns[0], "warm");
	fx_run_for(&f, QUIET_WAIT_MS);
	before = heap_bytes();
	for (i = 0; i < NCONNS; i++)
		dial_one(&f, r);
	for (i = 1; i <= NCONNS; i++)
		echo_control(&f, r->conns[i], "{\"id\":1,\"method\":\"ping\"}");
	fx_run_for(&f, QUIET_WAIT_MS);
	ovl_server_stats(f.srv, &st);
	ASSERT_EQ(st.live, NCONNS + 1);
	after = heap_bytes();
	per_end = (after - before) / (2 * NCONNS);
	printf("# %d connections: heap %ld -> %ld bytes, %ld per end "
	    "(bound %d)\n", NCONNS, before, after, per_end, MEM_PER_END);
	ASSERT_GT(per_end, 0);
	ASSERT_LT(per_end, MEM_PER_END);
	for (i = 0; i <= NCONNS; i++)
		ASSERT_EQ(held(r->conns[i]), 0);
	ASSERT_EQ(held(f.last_auth), 0);

	bulk_echo(&f, r->conns[NCONNS / 2]);
	/* right after the stream its buffers are still there */
	ASSERT_GT(held(r->conns[NCONNS / 2]), 0);
	fx_run_for(&f, QUIET_WAIT_MS);
	ASSERT_EQ(held(r->conns[NCONNS / 2]), 0);
	after_bulk = heap_bytes();
	printf("# after a quiet 1 MiB echo: heap %ld bytes (%+ld)\n",
	    after_bulk, after_bulk - after);
	ASSERT_LT(after_bulk - after, MEM_AFTER_BULK);
	/* and every connection still works */
	for (i = 0; i <= NCONNS; i += 25)
		echo_control(&f, r->conns[i], "still here");

	for (i = 0; i < r->n; i++)
		ovl_conn_close(r->conns[i], OVL_GA_NORMAL, NULL);
	fx_run_for(&f, 100);
	for (i = 0; i < r->n; i++)
		ovl_conn_unref(r->conns[i], "test");
	fx_done(&f);
	free(r);
}

/* Counts ping replies: answered, and failed with the connection. */
struct ping_count {
	int	ok;
	int	failed;
	int	want;		/* replies to wait for */
	int	done;		/* ok + failed reached want */
};

/* A ping came back (or failed). */
static void
on_ping(struct ovl_conn *c, int status, uint64_t rtt_us, void *arg)
{
	struct ping_count *p = arg;

	(void)c;
	(void)rtt_us;
	if (status == 0)
		p->ok++;
	else
		p->failed++;
	p->done = p->ok + p->failed >= p->want;
}

/*
 * The list of pings waiting for replies is allocated only while one
 * waits: it grows to OVL_MAX_PINGS and no further, every ping comes
 * back, and the memory goes back with the last one. Pings still waiting
 * when the connection ends fail, and nothing leaks.
 */
static void
test_ping_list(void)
{
	struct fx f;
	struct mem_run *r;
	struct ping_count pc;
	long before, after;
	size_t small;
	int i;

	r = calloc(1, sizeof *r);
	ASSERT_NOT_NULL(r);
	fx_init(&f);
	fx_listen(&f);
	dial_one(&f, r);
	echo_control(&f, r->conns[0], "warm");
	fx_run_for(&f, QUIET_WAIT_MS);
	ASSERT_EQ(held(r->conns[0]), 0);
	before = heap_bytes();
	memset(&pc, 0, sizeof pc);
	pc.want = OVL_MAX_PINGS;
	ASSERT_OK(ovl_conn_ping(r->conns[0], on_ping, &pc));
	ASSERT_GT(held(r->conns[0]), 0);
	small = held(r->conns[0]);
	for (i = 1; i < OVL_MAX_PINGS; i++)
		ASSERT_OK(ovl_conn_ping(r->conns[0], on_ping, &pc));
	ASSERT_EQ(ovl_conn_ping(r->conns[0], on_ping, &pc), -ENOBUFS);
	ASSERT_GT(held(r->conns[0]), small);	/* the list grew */
	ASSERT(fx_run_until(&f, &pc.done, 5000));
	ASSERT_EQ(pc.ok, OVL_MAX_PINGS);
	ASSERT_EQ(pc.failed, 0);
	fx_run_for(&f, QUIET_WAIT_MS);
	ASSERT_EQ(held(r->conns[0]), 0);
	after = heap_bytes();
	printf("# %d pings answered: heap %ld -> %ld bytes\n", OVL_MAX_PINGS,
	    before, after);
#if defined(__SANITIZE_ADDRESS__)
	/* exact here; glibc's mallinfo2 counts its thread cache as in use */
	ASSERT_EQ(after, before);
#endif
	memset(&pc, 0, sizeof pc);
	pc.want = 10;
	for (i = 0; i < 10; i++)
		ASSERT_OK(ovl_conn_ping(r->conns[0], on_ping, &pc));
	ovl_conn_close(r->conns[0], OVL_GA_NORMAL, NULL);
	ASSERT_EQ(pc.failed, 10);
	fx_run_for(&f, 100);
	ovl_conn_unref(r->conns[0], "test");
	fx_done(&f);
	free(r);
}

TEST_MAIN(T(test_idle_memory), T(test_ping_list))
