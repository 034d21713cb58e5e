/*
 * The node's replay rule and key store over real TCP: 20 handshakes of
 * one client key at once are all taken; a client whose clock is an hour
 * off completes the handshake and is told why (go-away "clock skew"
 * naming the skew), not met with silence; and a key made by another
 * process (as `pierd key create` does) works the moment it is written,
 * before any file watch could have run, 20 times in a row.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <sodium.h>

#include "overlay-net-fx.h"

#define ROUNDS	20

/* 20 dials of one client key started in the same loop turn. */
static void
test_concurrent(void)
{
	struct fx f;
	struct fx_dial d[ROUNDS];
	const char *addrs[] = { NULL };
	int i, done;

	fx_init(&f);
	fx_listen(&f);
	addrs[0] = f.addr;
	for (i = 0; i < ROUNDS; i++)
		fx_dial_start(&f, addrs, 1, f.psk, 5000, &d[i]);
	for (done = 0; done < ROUNDS; ) {
		ASSERT(fx_run_until(&f, &d[done].done, 7000));
		done++;
	}
	for (i = 0; i < ROUNDS; i++)
		if (d[i].status != 0)
			FAIL("dial %d: %d %s", i, d[i].status, d[i].cause);
	ASSERT_EQ(f.auths, ROUNDS);
	ASSERT_EQ(fx_log_count(&f, "replayed"), 0);
	fx_done(&f);
}

/* Dials with the client's clock moved by off_ms: refused, naming want. */
static void
dial_skewed(struct fx *f, const char *off_ms, const char *want)
{
	struct fx_dial d;
	const char *addrs[] = { f->addr };

	ASSERT_OK(setenv("PIER_TEST_CLOCK_OFFSET_MS", off_ms, 1));
	fx_dial(f, addrs, 1, f->psk, 5000, &d);
	ASSERT_OK(unsetenv("PIER_TEST_CLOCK_OFFSET_MS"));
	/* The handshake completes; the go-away follows at once. */
	ASSERT_OK(d.status);
	ASSERT(fx_run_until(f, &d.cl.closed, 3000));
	ASSERT_CONTAINS(d.cl.reason, "clock skew");
	ASSERT_CONTAINS(d.cl.reason, want);
	ASSERT_EQ(f->auths, 0);
}

/* A client clock an hour off, either way, is refused with the skew. */
static void
test_skew(void)
{
	struct fx f;
	struct fx_dial d;
	const char *addrs[] = { NULL };

	fx_init(&f);
	fx_listen(&f);
	addrs[0] = f.addr;
	dial_skewed(&f, "3600000", "client clock is 3600 s ahead of the "
	    "node's");
	dial_skewed(&f, "-3600000", "client clock is 3600 s behind the "
	    "node's");
	ASSERT_EQ(fx_log_count(&f, "refused: client clock is 3600 s"), 2);
	/* Four minutes off is inside the window. */
	ASSERT_OK(setenv("PIER_TEST_CLOCK_OFFSET_MS", "-240000", 1));
	fx_dial(&f, addrs, 1, f.psk, 5000, &d);
	ASSERT_OK(unsetenv("PIER_TEST_CLOCK_OFFSET_MS"));
	ASSERT_OK(d.status);
	ASSERT_EQ(f.auths, 1);
	fx_done(&f);
}

/* A key another process adds is taken by the very next handshake. */
static void
test_key_made_elsewhere(void)
{
	struct fx f;
	struct fx_dial d;
	struct ovl_keystore *tool;
	const struct ovl_access_key *k;
	const char *addrs[] = { NULL };
	uint8_t psk[OVL_KEY_LEN];
	char name[32], *cause = NULL;
	int i;

	fx_init(&f);
	fx_listen(&f);
	addrs[0] = f.addr;
	for (i = 0; i < ROUNDS; i++) {
		ASSERT_OK(ovl_keystore_open(&tool, f.dir, &cause));
		snprintf(name, sizeof name, "made%d", i);
		ASSERT_OK(ovl_keystore_create(tool, name, PROTO_ROLE_VIEWER, 2,
		    &k, &cause));
		memcpy(psk, k->secret, sizeof psk);
		ovl_keystore_free(tool);
		fx_dial(&f, addrs, 1, psk, 5000, &d);
		if (d.status != 0)
			FAIL("round %d: %d %s", i, d.status, d.cause);
	}
	ASSERT_EQ(f.auths, ROUNDS);
	ASSERT_EQ(fx_log_count(&f, "no access key fits"), 0);
	/* A guessed key still gets nothing, and costs no re-read. */
	randombytes_buf(psk, sizeof psk);
	fx_dial(&f, addrs, 1, psk, 1000, &d);
	ASSERT_NE(d.status, 0);
	ASSERT_EQ(fx_log_count(&f, "no access key fits"), 1);
	fx_done(&f);
}

TEST_MAIN(
	T(test_concurrent),
	T(test_skew),
	T(test_key_made_elsewhere))
