/*
 * Access keys with limits on a live node (overlay/server.c with the
 * keystore): a key that expires closes its live connections when it
 * does and then refuses handshakes with the reason; a one-time key lets
 * in the first client key only, also after the store is re-opened; a
 * disabled key closes its connections on a sweep and refuses until it
 * is enabled again. Refusals complete the handshake (the client proved
 * it holds the key) and close with the go-away, before the node's user
 * sees the client.
 */
#include <errno.h>
#include <time.h>

#include <sodium.h>

#include "overlay-net-fx.h"

/* Creates key name with lim; its secret into psk. */
static void
make_key(struct fx *f, const char *name, const struct ovl_key_limits *lim,
    uint8_t psk[static OVL_KEY_LEN])
{
	const struct ovl_access_key *k = NULL;
	char *cause = NULL;

	if (ovl_keystore_create_with(f->ks, name, PROTO_ROLE_VIEWER, lim,
	    (int64_t)time(NULL), &k, &cause) != 0)
		FAIL("create %s: %s", name, cause != NULL ? cause : "?");
	memcpy(psk, k->secret, OVL_KEY_LEN);
}

/* Dials with psk, expecting a go-away with code name and text why. */
static void
dial_refused(struct fx *f, const uint8_t *psk, const char *code,
    const char *why)
{
	struct fx_dial r;
	const char *addrs[1] = { f->addr };
	int auths = f->auths;

	fx_dial(f, addrs, 1, psk, 3000, &r);
	ASSERT_OK(r.status);
	fx_run_until(f, &r.cl.closed, 2000);
	ASSERT_EQ(r.cl.closed, 1);
	ASSERT_CONTAINS(r.cl.reason, code);
	ASSERT_CONTAINS(r.cl.reason, why);
	ASSERT_EQ(f->auths, auths);
}

/* Expires in 2 s: in before, the live connection closed at it, then out. */
static void
test_expiry(void)
{
	struct ovl_key_limits lim;
	struct fx f;
	struct fx_dial r;
	struct fx_closed c;
	uint8_t psk[OVL_KEY_LEN];
	const char *addrs[1];
	uint64_t t0;

	fx_init(&f);
	fx_listen(&f);
	addrs[0] = f.addr;
	memset(&lim, 0, sizeof lim);
	lim.expires = (int64_t)time(NULL) + 2;
	make_key(&f, "soon", &lim, psk);
	fx_dial(&f, addrs, 1, psk, 3000, &r);
	ASSERT_OK(r.status);
	ASSERT(ovl_conn_is_open(r.conn));
	fx_watch_close(r.conn, &c);
	t0 = uv_now(&f.loop);
	fx_run_until(&f, &c.closed, 4000);
	ASSERT_EQ(c.closed, 1);
	ASSERT_LE(uv_now(&f.loop) - t0, 3100);
	ASSERT_CONTAINS(c.reason, "access key expired");
	ASSERT_CONTAINS(c.reason, "access key soon expired at ");
	dial_refused(&f, psk, "access key expired", "soon expired at");
	ASSERT_EQ(fx_log_count(&f, "(key soon) refused: access key soon "
	    "expired"), 1);
	fx_done(&f);
}

/* A one-time key: the first client key is bound; another is refused. */
static void
test_one_time(void)
{
	struct ovl_key_limits lim;
	struct ovl_keystore *again = NULL;
	const struct ovl_access_key *k;
	struct ovl_identity a, b;
	struct fx f;
	struct fx_dial r1, r2;
	uint8_t psk[OVL_KEY_LEN];
	const char *addrs[1];
	char fa[OVL_FINGERPRINT_SIZE], *cause = NULL;

	fx_init(&f);
	fx_listen(&f);
	addrs[0] = f.addr;
	memset(&lim, 0, sizeof lim);
	lim.uses = 1;
	make_key(&f, "once", &lim, psk);
	a = f.client_id;
	ovl_identity_generate(&b);
	ovl_fingerprint(a.pub, fa);
	fx_dial(&f, addrs, 1, psk, 3000, &r1);
	ASSERT_OK(r1.status);
	ASSERT(ovl_conn_is_open(r1.conn));
	k = ovl_keystore_find(f.ks, "once");
	ASSERT_EQ(k->nbound, 1);
	ASSERT_STREQ(k->bound[0], fa);
	ASSERT_EQ(fx_log_count(&f, "is bound to access key once"), 1);

	f.client_id = b;
	dial_refused(&f, psk, "access key used", "was already used by client");
	ASSERT_EQ(fx_log_count(&f, "refused: access key once was already "
	    "used by client"), 1);

	/* The binding is on disk: a store opened afresh agrees. */
	ASSERT_OK(ovl_keystore_open(&again, f.dir, &cause));
	k = ovl_keystore_find(again, "once");
	ASSERT_EQ(k->nbound, 1);
	ASSERT_STREQ(k->bound[0], fa);
	ovl_keystore_free(again);

	/* a may come back: its use is its own. */
	f.client_id = a;
	fx_dial(&f, addrs, 1, psk, 3000, &r2);
	ASSERT_OK(r2.status);
	fx_run_for(&f, 50);
	ASSERT(ovl_conn_is_open(r2.conn));
	ovl_conn_close(r1.conn, OVL_GA_NORMAL, NULL);
	ovl_conn_close(r2.conn, OVL_GA_NORMAL, NULL);
	ovl_identity_clear(&b);
	fx_done(&f);
}

/* Disabled: live connections close on a sweep; enabled: in again. */
static void
test_disable(void)
{
	struct fx f;
	struct fx_dial r1, r2;
	struct fx_closed c;
	uint8_t psk[OVL_KEY_LEN];
	const char *addrs[1];
	char *cause = NULL;

	fx_init(&f);
	fx_listen(&f);
	addrs[0] = f.addr;
	make_key(&f, "ci", NULL, psk);
	fx_dial(&f, addrs, 1, psk, 3000, &r1);
	ASSERT_OK(r1.status);
	fx_watch_close(r1.conn, &c);
	ASSERT_OK(ovl_keystore_set_disabled(f.ks, "ci", 1, 5, &cause));
	ASSERT_EQ(ovl_server_sweep(f.srv), 1);
	fx_run_until(&f, &c.closed, 2000);
	ASSERT_EQ(c.closed, 1);
	ASSERT_CONTAINS(c.reason, "access key disabled");
	ASSERT_CONTAINS(c.reason, "access key ci is disabled");
	dial_refused(&f, psk, "access key disabled", "ci is disabled");
	ASSERT_OK(ovl_keystore_set_disabled(f.ks, "ci", 0, 6, &cause));
	fx_dial(&f, addrs, 1, psk, 3000, &r2);
	ASSERT_OK(r2.status);
	fx_run_for(&f, 50);
	ASSERT(ovl_conn_is_open(r2.conn));
	ovl_conn_close(r2.conn, OVL_GA_NORMAL, NULL);
	fx_done(&f);
}

TEST_MAIN(
	T(test_expiry),
	T(test_one_time),
	T(test_disable))
