/*
 * A revoked client key on a live node (overlay/server.c with the
 * keystore's list): the client's open connections close at once with the
 * reason, its next handshake is answered only to be closed with that
 * reason (the node's user never sees it), other clients holding the same
 * access key carry on, a revocation made by another process's store is
 * acted on when the node re-reads, and taking it back lets the client in.
 */
#include <errno.h>

#include <sodium.h>

#include "overlay-net-fx.h"

/* A ping's answer: 1, or the negative status. */
static void
on_ping(struct ovl_conn *c, int status, uint64_t rtt_us, void *arg)
{
	int *got = arg;

	(void)c;
	(void)rtt_us;
	*got = status == 0 ? 1 : status;
}

/* Pings conn and asserts it answers. */
static void
ping_ok(struct fx *f, struct ovl_conn *conn)
{
	int pinged = 0;

	ASSERT_OK(ovl_conn_ping(conn, on_ping, &pinged));
	fx_run_until(f, &pinged, 2000);
	ASSERT_EQ(pinged, 1);
}

/* Revoked while connected: closed; others stay; new handshakes refused. */
static void
test_live_and_new(void)
{
	struct fx f;
	struct fx_dial ra, rb, ra2, rb2;
	struct fx_closed ca, cb;
	struct ovl_identity a, b;
	const char *addrs[1];
	char *cause = NULL, fa[OVL_FINGERPRINT_SIZE];
	int auths;

	fx_init(&f);
	fx_listen(&f);
	addrs[0] = f.addr;
	a = f.client_id;
	ovl_identity_generate(&b);
	ovl_fingerprint(a.pub, fa);
	fx_dial(&f, addrs, 1, f.psk, 3000, &ra);	/* as a */
	ASSERT_OK(ra.status);
	f.client_id = b;
	fx_dial(&f, addrs, 1, f.psk, 3000, &rb);	/* as b, same key */
	ASSERT_OK(rb.status);
	fx_watch_close(ra.conn, &ca);
	fx_watch_close(rb.conn, &cb);
	ASSERT_OK(ovl_keystore_deny(f.ks, fa, 100, &cause));
	fx_run_until(&f, &ca.closed, 2000);
	ASSERT_EQ(ca.closed, 1);
	ASSERT_CONTAINS(ca.reason, "access revoked");
	ASSERT_CONTAINS(ca.reason, fa);
	ASSERT_EQ(fx_log_count(&f, "revoked; closed 1 connection"), 1);
	ping_ok(&f, rb.conn);
	ASSERT_EQ(cb.closed, 0);

	/* a again: the handshake completes, then the node closes it. */
	auths = f.auths;
	f.client_id = a;
	fx_dial(&f, addrs, 1, f.psk, 3000, &ra2);
	ASSERT_OK(ra2.status);
	fx_run_until(&f, &ra2.cl.closed, 2000);
	ASSERT_EQ(ra2.cl.closed, 1);
	ASSERT_CONTAINS(ra2.cl.reason, "access revoked");
	ASSERT_CONTAINS(ra2.cl.reason, "was revoked on this node");
	ASSERT_EQ(f.auths, auths);
	ASSERT_EQ(fx_log_count(&f, "its client key is revoked"), 1);

	/* b still gets in with the same access key. */
	f.client_id = b;
	fx_dial(&f, addrs, 1, f.psk, 3000, &rb2);
	ASSERT_OK(rb2.status);
	ASSERT_EQ(f.auths, auths + 1);
	ping_ok(&f, rb2.conn);
	ovl_conn_close(rb.conn, OVL_GA_NORMAL, NULL);
	ovl_conn_close(rb2.conn, OVL_GA_NORMAL, NULL);
	f.client_id = a;
	ovl_identity_clear(&b);
	fx_done(&f);
}

/* Another process revokes, the node re-reads; taking back lets in. */
static void
test_other_process_and_undo(void)
{
	struct fx f;
	struct fx_dial r1, r2;
	struct fx_closed c1;
	struct ovl_keystore *shell = NULL;
	const char *addrs[1];
	char *cause = NULL, fp[OVL_FINGERPRINT_SIZE];

	fx_init(&f);
	fx_listen(&f);
	addrs[0] = f.addr;
	ovl_fingerprint(f.client_id.pub, fp);
	fx_dial(&f, addrs, 1, f.psk, 3000, &r1);
	ASSERT_OK(r1.status);
	fx_watch_close(r1.conn, &c1);
	ASSERT_OK(ovl_keystore_open(&shell, f.dir, &cause));
	ASSERT_OK(ovl_keystore_deny(shell, fp, 7, &cause));
	fx_run_for(&f, 50);
	ASSERT_EQ(c1.closed, 0);		/* not re-read yet */
	ASSERT_OK(ovl_keystore_reload(f.ks, &cause));
	fx_run_until(&f, &c1.closed, 2000);
	ASSERT_EQ(c1.closed, 1);
	ASSERT_CONTAINS(c1.reason, "was revoked");

	ASSERT_OK(ovl_keystore_undeny(shell, fp, &cause));
	ASSERT_OK(ovl_keystore_reload(f.ks, &cause));
	fx_dial(&f, addrs, 1, f.psk, 3000, &r2);
	ASSERT_OK(r2.status);
	ping_ok(&f, r2.conn);
	ASSERT(ovl_conn_is_open(r2.conn));
	ovl_conn_close(r2.conn, OVL_GA_NORMAL, NULL);
	ovl_keystore_free(shell);
	fx_done(&f);
}

/* A server that closed no longer watches a store that lives on. */
static void
test_server_gone(void)
{
	struct fx f;
	char *cause = NULL, fp[OVL_FINGERPRINT_SIZE];

	fx_init(&f);
	fx_listen(&f);
	fx_stop_server(&f);
	ovl_fingerprint(f.client_id.pub, fp);
	ASSERT_OK(ovl_keystore_deny(f.ks, fp, 7, &cause));
	ASSERT_EQ(fx_log_count(&f, "revoked; closed"), 0);
	fx_done(&f);
}

TEST_MAIN(
	T(test_live_and_new),
	T(test_other_process_and_undo),
	T(test_server_gone))
