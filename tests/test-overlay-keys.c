/*
 * The access-key store (overlay/keys.c): roles and names, the first
 * admin key, create/list/find/revoke surviving a restart, last-used
 * times, the secrets handed to the handshake, refusal of exposed or
 * damaged files, the replay rule with its memory across restarts and
 * its bounds, and seeing a change made by another process at once.
 */
#include <sys/stat.h>

#include <errno.h>
#include <unistd.h>

#include <sodium.h>

#include "overlay.h"
#include "test.h"

/* Opens the store in dir, asserting success. */
static struct ovl_keystore *
open_ok(const char *dir)
{
	struct ovl_keystore *ks = NULL;
	char *cause = NULL;
	int error;

	error = ovl_keystore_open(&ks, dir, &cause);
	if (error != 0)
		FAIL("open %s: %d %s", dir, error, cause ? cause : "");
	return (ks);
}

/* Role names both ways; key names by the rule. */
static void
test_roles_names(void)
{
	enum proto_role r;
	static const char *const good[] = { "admin", "a", "ci.bot_2-x",
	    "abcdefghijklmnopqrstuvwxyz012345" };
	static const char *const bad[] = { "", "Admin", "a b", "ä", "a/b",
	    "abcdefghijklmnopqrstuvwxyz0123456", "x\n" };
	size_t i;

	for (r = PROTO_ROLE_VIEWER; r <= PROTO_ROLE_ADMIN; r++) {
		enum proto_role back;

		ASSERT_OK(proto_role_parse(proto_role_name(r), &back));
		ASSERT_EQ(back, r);
	}
	ASSERT_STREQ(proto_role_name(PROTO_ROLE_OPERATOR), "operator");
	ASSERT_STREQ(proto_role_name(0), "none");
	ASSERT_EQ(proto_role_parse("root", &r), -EINVAL);
	for (i = 0; i < sizeof good / sizeof good[0]; i++)
		ASSERT(ovl_key_name_valid(good[i]));
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (ovl_key_name_valid(bad[i]))
			FAIL("\"%s\" accepted", bad[i]);
}

/* The first start makes "admin"; later starts keep it. */
static void
test_admin(void)
{
	struct ovl_keystore *ks;
	const struct ovl_access_key *k, *again;
	char *dir, path[600], *cause = NULL, id[OVL_KEY_ID_SIZE];
	uint8_t secret[OVL_KEY_LEN];
	struct stat st;

	dir = test_tmpdir();
	ks = open_ok(dir);
	ASSERT_EQ(ovl_keystore_count(ks), 0);
	ASSERT_OK(ovl_keystore_ensure_admin(ks, 1000, &k, &cause));
	ASSERT_NOT_NULL(k);
	ASSERT_STREQ(k->name, "admin");
	ASSERT_EQ(k->role, PROTO_ROLE_ADMIN);
	ASSERT_EQ(k->created, 1000);
	ASSERT_EQ(k->last_used, 0);
	ovl_key_id(k->secret, id);
	ASSERT_STREQ(k->id, id);
	ASSERT_EQ(strlen(id), 16);
	memcpy(secret, k->secret, OVL_KEY_LEN);
	ASSERT_OK(ovl_keystore_ensure_admin(ks, 2000, &again, &cause));
	ASSERT_NULL(again);
	ASSERT_EQ(ovl_keystore_count(ks), 1);
	ovl_keystore_free(ks);

	snprintf(path, sizeof path, "%s/%s", dir, OVL_KEYS_FILE);
	ASSERT_OK(stat(path, &st));
	ASSERT_EQ(st.st_mode & 0777, 0600);
	ks = open_ok(dir);
	ASSERT_OK(ovl_keystore_ensure_admin(ks, 3000, &again, &cause));
	ASSERT_NULL(again);
	k = ovl_keystore_find(ks, "admin");
	ASSERT_NOT_NULL(k);
	ASSERT_MEMEQ(k->secret, secret, OVL_KEY_LEN);
	ASSERT_STREQ(k->id, id);
	ASSERT_EQ(k->created, 1000);
	/* All keys revoked is a choice a restart respects. */
	ASSERT_OK(ovl_keystore_revoke(ks, "admin", &cause));
	ovl_keystore_free(ks);
	ks = open_ok(dir);
	ASSERT_OK(ovl_keystore_ensure_admin(ks, 4000, &again, &cause));
	ASSERT_NULL(again);
	ASSERT_EQ(ovl_keystore_count(ks), 0);
	ovl_keystore_free(ks);
	test_rmtree(dir);
}

/* Create, find, the secrets array, revoke; all survive a restart. */
static void
test_create_revoke(void)
{
	struct ovl_keystore *ks;
	const struct ovl_access_key *k;
	const uint8_t (*secrets)[OVL_KEY_LEN];
	char *dir, *cause = NULL;
	size_t n, i;

	dir = test_tmpdir();
	ks = open_ok(dir);
	ASSERT_OK(ovl_keystore_create(ks, "laptop", PROTO_ROLE_OPERATOR, 10,
	    &k, &cause));
	ASSERT_STREQ(k->name, "laptop");
	ASSERT_OK(ovl_keystore_create(ks, "ci", PROTO_ROLE_VIEWER, 11, NULL,
	    &cause));
	ASSERT_OK(ovl_keystore_create(ks, "ops", PROTO_ROLE_ADMIN, 12, NULL,
	    &cause));
	ASSERT_EQ(ovl_keystore_create(ks, "ci", PROTO_ROLE_ADMIN, 13, NULL,
	    &cause), -EEXIST);
	ASSERT_CONTAINS(cause, "exists");
	free(cause);
	ASSERT_EQ(ovl_keystore_create(ks, "Bad Name", PROTO_ROLE_ADMIN, 13, NULL,
	    &cause), -EINVAL);
	ASSERT_CONTAINS(cause, "bad key name");
	free(cause);
	cause = NULL;
	ASSERT_EQ(ovl_keystore_create(ks, "x", (enum proto_role)9, 13, NULL,
	    &cause), -EINVAL);
	free(cause);
	cause = NULL;
	ASSERT_EQ(ovl_keystore_count(ks), 3);

	secrets = ovl_keystore_secrets(ks, &n);
	ASSERT_EQ(n, 3);
	for (i = 0; i < n; i++)
		ASSERT_MEMEQ(secrets[i], ovl_keystore_get(ks, i)->secret,
		    OVL_KEY_LEN);
	ASSERT(sodium_memcmp(secrets[0], secrets[1], OVL_KEY_LEN) != 0);

	ASSERT_OK(ovl_keystore_revoke(ks, "laptop", &cause));
	ASSERT_EQ(ovl_keystore_revoke(ks, "laptop", &cause), -ENOENT);
	ASSERT_CONTAINS(cause, "no key named laptop");
	free(cause);
	cause = NULL;
	ASSERT_NULL(ovl_keystore_find(ks, "laptop"));
	secrets = ovl_keystore_secrets(ks, &n);
	ASSERT_EQ(n, 2);
	ASSERT_STREQ(ovl_keystore_get(ks, 0)->name, "ci");
	ASSERT_MEMEQ(secrets[0], ovl_keystore_get(ks, 0)->secret,
	    OVL_KEY_LEN);
	ASSERT_NULL(ovl_keystore_get(ks, 2));
	ovl_keystore_free(ks);

	ks = open_ok(dir);
	ASSERT_EQ(ovl_keystore_count(ks), 2);
	ASSERT_NULL(ovl_keystore_find(ks, "laptop"));
	k = ovl_keystore_find(ks, "ops");
	ASSERT_NOT_NULL(k);
	ASSERT_EQ(k->role, PROTO_ROLE_ADMIN);
	ASSERT_EQ(k->created, 12);
	ovl_keystore_free(ks);
	test_rmtree(dir);
}

/* A full store says so. */
static void
test_full(void)
{
	struct ovl_keystore *ks;
	char *dir, name[16], *cause = NULL;
	int i;

	dir = test_tmpdir();
	ks = open_ok(dir);
	for (i = 0; i < OVL_KEYS_MAX; i++) {
		snprintf(name, sizeof name, "k%d", i);
		ASSERT_OK(ovl_keystore_create(ks, name, PROTO_ROLE_VIEWER, i,
		    NULL, &cause));
	}
	ASSERT_EQ(ovl_keystore_create(ks, "one-more", PROTO_ROLE_VIEWER, 0,
	    NULL, &cause), -ENOSPC);
	ASSERT_CONTAINS(cause, "too many keys");
	free(cause);
	ovl_keystore_free(ks);
	ks = open_ok(dir);
	ASSERT_EQ(ovl_keystore_count(ks), OVL_KEYS_MAX);
	ovl_keystore_free(ks);
	test_rmtree(dir);
}

/* Last-used times are kept to the minute and survive a restart. */
static void
test_touch(void)
{
	struct ovl_keystore *ks;
	char *dir, *cause = NULL;

	dir = test_tmpdir();
	ks = open_ok(dir);
	ASSERT_OK(ovl_keystore_ensure_admin(ks, 100, NULL, &cause));
	ASSERT_OK(ovl_keystore_touch(ks, 0, 1000, &cause));
	ASSERT_EQ(ovl_keystore_get(ks, 0)->last_used, 1000);
	ASSERT_OK(ovl_keystore_touch(ks, 0, 1030, &cause));
	ASSERT_EQ(ovl_keystore_get(ks, 0)->last_used, 1000);
	ASSERT_OK(ovl_keystore_touch(ks, 0, 1061, &cause));
	ASSERT_EQ(ovl_keystore_get(ks, 0)->last_used, 1061);
	ASSERT_EQ(ovl_keystore_touch(ks, 5, 1061, &cause), -EINVAL);
	ovl_keystore_free(ks);
	ks = open_ok(dir);
	ASSERT_EQ(ovl_keystore_get(ks, 0)->last_used, 1061);
	ovl_keystore_free(ks);
	test_rmtree(dir);
}

/* Exposed or damaged key files are refused and left as they are. */
static void
test_refusals(void)
{
	struct ovl_keystore *ks;
	char *dir, path[600], *cause = NULL, *before, *after;
	FILE *f;

	dir = test_tmpdir();
	ks = open_ok(dir);
	ASSERT_OK(ovl_keystore_ensure_admin(ks, 1, NULL, &cause));
	ovl_keystore_free(ks);
	snprintf(path, sizeof path, "%s/%s", dir, OVL_KEYS_FILE);
	ASSERT_OK(chmod(path, 0644));
	ASSERT_EQ(ovl_keystore_open(&ks, dir, &cause), -EPERM);
	ASSERT_NULL(ks);
	ASSERT_CONTAINS(cause, "chmod 600");
	free(cause);
	ASSERT_OK(chmod(path, 0600));

	f = fopen(path, "a");
	ASSERT_NOT_NULL(f);
	fputs("key broken admin 1 0 zz\n", f);
	fclose(f);
	before = test_read_file(path, NULL);
	ASSERT_EQ(ovl_keystore_open(&ks, dir, &cause), -EINVAL);
	ASSERT_CONTAINS(cause, "line 3");
	free(cause);
	after = test_read_file(path, NULL);
	ASSERT_STREQ(after, before);
	free(before);
	free(after);

	f = fopen(path, "w");
	fputs("something else\n", f);
	fclose(f);
	ASSERT_EQ(ovl_keystore_open(&ks, dir, &cause), -EINVAL);
	ASSERT_CONTAINS(cause, "line 1");
	free(cause);
	test_rmtree(dir);
}

/* Accepts message 1 of client k at ts with ephemeral e (one byte). */
static int
take(struct ovl_keystore *ks, const uint8_t *k, uint64_t ts, int e,
    uint64_t now)
{
	uint8_t eph[OVL_KEY_LEN];
	char *cause = NULL;
	int64_t skew;
	int rc;

	memset(eph, 0, sizeof eph);
	memcpy(eph, &e, sizeof e);
	rc = ovl_keystore_accept_time(ks, k, ts, eph, now, &skew, &cause);
	free(cause);
	return (rc);
}

#define NOW	1700000000000ULL	/* the node's clock in these tests */
#define MIN_MS	60000ULL

/*
 * The replay rule: any time in the window, in any order, once per
 * ephemeral key; a replay refused, also after a restart.
 */
static void
test_replay(void)
{
	struct ovl_keystore *ks;
	uint8_t a[OVL_KEY_LEN], b[OVL_KEY_LEN];
	char *dir, path[600], *text;
	uint64_t t;
	int i;

	dir = test_tmpdir();
	randombytes_buf(a, sizeof a);
	randombytes_buf(b, sizeof b);
	ks = open_ok(dir);
	ASSERT_OK(take(ks, a, NOW, 1, NOW));
	ASSERT_EQ(take(ks, a, NOW, 1, NOW + 5), -EALREADY);
	/* The same millisecond, an earlier one, a later one: all new. */
	ASSERT_OK(take(ks, a, NOW, 2, NOW));
	ASSERT_OK(take(ks, a, NOW - 1, 3, NOW));
	ASSERT_OK(take(ks, a, NOW + 4 * MIN_MS, 4, NOW));
	/* A clock stepped back a minute, still in the window. */
	ASSERT_OK(take(ks, a, NOW - MIN_MS, 5, NOW));
	ASSERT_EQ(take(ks, a, NOW - 1, 3, NOW + 1000), -EALREADY);
	ASSERT_OK(take(ks, b, NOW, 1, NOW));	/* keys are apart */
	ovl_keystore_free(ks);

	/* After a restart nothing taken before passes, new times do. */
	ks = open_ok(dir);
	ASSERT_EQ(take(ks, a, NOW - 1, 3, NOW + 1000), -EALREADY);
	ASSERT_EQ(take(ks, a, NOW, 9, NOW + 1000), -EALREADY);
	ASSERT_EQ(take(ks, b, NOW, 1, NOW + 1000), -EALREADY);
	ASSERT_OK(take(ks, b, NOW + 1, 2, NOW + 1000));
	ASSERT_OK(take(ks, a, NOW + 4 * MIN_MS + 1, 3, NOW + 1000));
	/* Many handshakes: the file is compacted, not grown without end. */
	for (t = 0; t < 1000; t++)
		ASSERT_OK(take(ks, b, NOW + 2 + t, 1000 + (int)t,
		    NOW + 1000 + t));
	ovl_keystore_free(ks);
	snprintf(path, sizeof path, "%s/%s", dir, OVL_CLIENTS_FILE);
	text = test_read_file(path, NULL);
	ASSERT_NOT_NULL(text);
	ASSERT_LT(strlen(text), 80 * 100);
	free(text);

	/* A torn last line (a crash mid-append) is skipped, not fatal. */
	{
		FILE *f = fopen(path, "a");

		ASSERT_NOT_NULL(f);
		fputs("abcdef", f);
		fclose(f);
	}
	ks = open_ok(dir);
	ASSERT_EQ(take(ks, b, NOW + 1001, 7, NOW + 2000), -EALREADY);
	ASSERT_OK(take(ks, b, NOW + 1002, 7, NOW + 2000));
	/* 20 at once from one key, all in one millisecond. */
	for (i = 0; i < 20; i++)
		ASSERT_OK(take(ks, a, NOW + 5 * MIN_MS, 100 + i, NOW +
		    5 * MIN_MS));
	for (i = 0; i < 20; i++)
		ASSERT_EQ(take(ks, a, NOW + 5 * MIN_MS, 100 + i, NOW +
		    5 * MIN_MS), -EALREADY);
	ovl_keystore_free(ks);
	test_rmtree(dir);
}

/* A clock outside the window is refused with the skew named. */
static void
test_replay_window(void)
{
	struct ovl_keystore *ks;
	uint8_t a[OVL_KEY_LEN], eph[OVL_KEY_LEN];
	char *dir, *cause = NULL;
	int64_t skew = 0;

	dir = test_tmpdir();
	randombytes_buf(a, sizeof a);
	memset(eph, 1, sizeof eph);
	ks = open_ok(dir);
	ASSERT_EQ(ovl_keystore_accept_time(ks, a, NOW + 60 * MIN_MS, eph,
	    NOW, &skew, &cause), -ERANGE);
	ASSERT_EQ(skew, 3600000);
	ASSERT_CONTAINS(cause, "client clock is 3600 s ahead of the node's");
	free(cause);
	cause = NULL;
	ASSERT_EQ(ovl_keystore_accept_time(ks, a, NOW - 60 * MIN_MS, eph,
	    NOW, &skew, &cause), -ERANGE);
	ASSERT_EQ(skew, -3600000);
	ASSERT_CONTAINS(cause, "3600 s behind the node's");
	free(cause);
	/* The edges are in; a refused time took nothing. */
	ASSERT_OK(take(ks, a, NOW - OVL_REPLAY_WINDOW_MS, 1, NOW));
	ASSERT_OK(take(ks, a, NOW + OVL_REPLAY_WINDOW_MS, 2, NOW));
	ASSERT_EQ(take(ks, a, NOW + OVL_REPLAY_WINDOW_MS + 1, 3, NOW),
	    -ERANGE);
	ASSERT_OK(take(ks, a, NOW + 1, 3, NOW));
	/*
	 * An entry older than the window is forgotten into the floor: it
	 * stays refused after the node's own clock steps back.
	 */
	ASSERT_OK(take(ks, a, NOW + OVL_REPLAY_WINDOW_MS + 2 * MIN_MS, 4,
	    NOW + OVL_REPLAY_WINDOW_MS + 2 * MIN_MS));
	ASSERT_EQ(take(ks, a, NOW + 1, 3, NOW), -EALREADY);
	ovl_keystore_free(ks);
	test_rmtree(dir);
}

/*
 * The bounds: a client's oldest entry goes when it holds 64, raising its
 * floor: rising times are never refused; one older than 64 newer ones
 * is. Past the total, the memory still refuses every replay.
 */
static void
test_replay_bounds(void)
{
	struct ovl_keystore *ks;
	uint8_t a[OVL_KEY_LEN], k[OVL_KEY_LEN];
	char *dir;
	uint32_t i, j;

	dir = test_tmpdir();
	randombytes_buf(a, sizeof a);
	ks = open_ok(dir);
	for (i = 0; i < 200; i++)
		ASSERT_OK(take(ks, a, NOW + 10 + i, (int)i, NOW));
	/* Older than the 64 newest: refused, though new. */
	ASSERT_EQ(take(ks, a, NOW + 10 + 200 - 65, 250, NOW), -EALREADY);
	ASSERT_OK(take(ks, a, NOW + 10 + 200 - 63, 251, NOW));
	/* Every one taken is refused again. */
	for (i = 0; i < 200; i++)
		ASSERT_EQ(take(ks, a, NOW + 10 + i, (int)i, NOW), -EALREADY);
	/* 1100 clients x 64: past the total of 65536 entries. */
	for (i = 0; i < 1100; i++) {
		memset(k, 0, sizeof k);
		memcpy(k, &i, sizeof i);
		k[31] = 1;
		for (j = 0; j < 64; j++)
			ASSERT_OK(take(ks, k, NOW + 100 + j, (int)j, NOW));
	}
	for (i = 0; i < 1100; i += 99) {
		memset(k, 0, sizeof k);
		memcpy(k, &i, sizeof i);
		k[31] = 1;
		for (j = 0; j < 64; j++)
			ASSERT_EQ(take(ks, k, NOW + 100 + j, (int)j, NOW),
			    -EALREADY);
	}
	ovl_keystore_free(ks);
	test_rmtree(dir);
}

/*
 * A key made by another process (pierd key create) is seen at once:
 * the file's change shows (inode, size, mtime in ns) and a re-read
 * brings the key; 20 rounds with no pause.
 */
static void
test_changed(void)
{
	struct ovl_keystore *node, *tool;
	const struct ovl_access_key *k;
	const uint8_t (*secrets)[OVL_KEY_LEN];
	char *dir, name[32], *cause = NULL;
	size_t n, i;
	int round, found;

	dir = test_tmpdir();
	node = open_ok(dir);
	ASSERT(!ovl_keystore_changed(node));
	ASSERT_OK(ovl_keystore_ensure_admin(node, 1, NULL, &cause));
	/* Its own writes are no change. */
	ASSERT(!ovl_keystore_changed(node));
	for (round = 0; round < 20; round++) {
		tool = open_ok(dir);
		snprintf(name, sizeof name, "k%d", round);
		ASSERT_OK(ovl_keystore_create(tool, name, PROTO_ROLE_VIEWER, 2,
		    &k, &cause));
		ASSERT(ovl_keystore_changed(node));
		ASSERT_OK(ovl_keystore_reload(node, &cause));
		ASSERT(!ovl_keystore_changed(node));
		secrets = ovl_keystore_secrets(node, &n);
		found = 0;
		for (i = 0; i < n; i++)
			if (sodium_memcmp(secrets[i], k->secret,
			    OVL_KEY_LEN) == 0)
				found = 1;
		ASSERT(found);
		ovl_keystore_free(tool);
	}
	ovl_keystore_free(node);
	test_rmtree(dir);
}

/* Two stores on one dir (a node and `pierd key`) never undo changes. */
static void
test_two_writers(void)
{
	struct ovl_keystore *a, *b, *c;
	char *dir, path[600], *cause = NULL, *before, *after;

	dir = test_tmpdir();
	a = open_ok(dir);
	ASSERT_OK(ovl_keystore_ensure_admin(a, 1, NULL, &cause));
	b = open_ok(dir);
	ASSERT_OK(ovl_keystore_create(a, "ci", PROTO_ROLE_VIEWER, 2, NULL,
	    &cause));
	/* b has not seen "ci" but keeps it when it adds its own key. */
	ASSERT_OK(ovl_keystore_create(b, "ops", PROTO_ROLE_OPERATOR, 3, NULL,
	    &cause));
	ASSERT_EQ(ovl_keystore_count(b), 3);
	ASSERT_EQ(ovl_keystore_create(b, "ci", PROTO_ROLE_VIEWER, 2, NULL,
	    &cause), -EEXIST);
	free(cause);
	cause = NULL;
	/* a revokes the key it never saw. */
	ASSERT_OK(ovl_keystore_revoke(a, "ops", &cause));
	/* Touching writes key-used, never the keys themselves. */
	snprintf(path, sizeof path, "%s/%s", dir, OVL_KEYS_FILE);
	before = test_read_file(path, NULL);
	ASSERT_OK(ovl_keystore_touch(a, 0, 5000, &cause));
	after = test_read_file(path, NULL);
	ASSERT_STREQ(after, before);
	free(before);
	free(after);
	/* b catches up on reload, last-used times included. */
	ASSERT_NOT_NULL(ovl_keystore_find(b, "ops"));
	ASSERT_OK(ovl_keystore_reload(b, &cause));
	ASSERT_NULL(ovl_keystore_find(b, "ops"));
	ASSERT_EQ(ovl_keystore_count(b), 2);
	ASSERT_EQ(ovl_keystore_find(b, "admin")->last_used, 5000);
	ovl_keystore_free(a);
	ovl_keystore_free(b);
	c = open_ok(dir);
	ASSERT_EQ(ovl_keystore_count(c), 2);
	ASSERT_NOT_NULL(ovl_keystore_find(c, "ci"));
	ASSERT_EQ(ovl_keystore_find(c, "admin")->last_used, 5000);
	ovl_keystore_free(c);
	test_rmtree(dir);
}

/* Takes (client k, time ts, ephemeral e) into r at NOW. */
static int
rtake(struct ovl__replay *r, const uint8_t *k, uint64_t ts, int e)
{
	uint8_t eph[OVL_KEY_LEN];
	char *cause = NULL;
	int64_t skew;
	int rc;

	memset(eph, 0, sizeof eph);
	memcpy(eph, &e, sizeof e);
	rc = ovl__replay_accept(r, k, ts, eph, NOW, &skew, &cause);
	free(cause);
	return (rc);
}

/* A full replay memory forgets the oldest client but keeps its floor. */
static void
test_replay_floor(void)
{
	struct ovl__replay *r;
	uint8_t k[6][OVL_KEY_LEN];
	char *dir, path[600], *cause = NULL;
	int i;

	dir = test_tmpdir();
	snprintf(path, sizeof path, "%s/times", dir);
	ASSERT_OK(ovl__replay_open(&r, path, 4, &cause));
	for (i = 0; i < 6; i++)
		memset(k[i], i + 1, OVL_KEY_LEN);
	for (i = 0; i < 4; i++)
		ASSERT_OK(rtake(r, k[i], NOW + 100 + (uint64_t)i, 1));
	/* A fifth client pushes out k[0] (time 100): the floor is 100. */
	ASSERT_OK(rtake(r, k[4], NOW + 150, 1));
	ASSERT_EQ(rtake(r, k[0], NOW + 100, 1), -EALREADY);
	ASSERT_EQ(rtake(r, k[5], NOW + 99, 1), -EALREADY);
	ASSERT_OK(rtake(r, k[0], NOW + 160, 2));
	/* Remembered clients keep their own sets. */
	ASSERT_EQ(rtake(r, k[3], NOW + 103, 1), -EALREADY);
	ASSERT_OK(rtake(r, k[3], NOW + 103, 2));
	ovl__replay_free(r);
	/* The floor survives a restart. */
	ASSERT_OK(ovl__replay_open(&r, path, 4, &cause));
	ASSERT_EQ(rtake(r, k[5], NOW + 100, 3), -EALREADY);
	ASSERT_OK(rtake(r, k[5], NOW + 104, 3));
	ovl__replay_free(r);
	test_rmtree(dir);
}

TEST_MAIN(
	T(test_roles_names),
	T(test_admin),
	T(test_create_revoke),
	T(test_full),
	T(test_touch),
	T(test_refusals),
	T(test_two_writers),
	T(test_replay),
	T(test_replay_window),
	T(test_replay_bounds),
	T(test_replay_floor),
	T(test_changed))
