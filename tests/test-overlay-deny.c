/*
 * Revoked client keys in the access-key store (overlay/keys.c and
 * overlay/deny.c): how a client key may be written, revoking and taking
 * back surviving a restart, the bound, damaged lines refused, the file's
 * mode, two stores on one folder (a node and `pierd key`) keeping each
 * other's changes, and the watcher told of keys a re-read adds.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
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

/* Counts and remembers the watcher's calls. */
struct seen {
	int	n;
	char	last[OVL_FINGERPRINT_SIZE];
};

/* The watcher of newly revoked keys. */
static void
on_deny(const char *fp, void *arg)
{
	struct seen *s = arg;

	s->n++;
	snprintf(s->last, sizeof s->last, "%s", fp);
}

/* A fingerprint, with or without dashes, any case, or the key in hex. */
static void
test_parse(void)
{
	static const char *const bad[] = { "", "abcd", "abcd-efgh-ijkl-mno",
	    "abcd-efgh-ijkl-mnopq", "abcd-efgh-ijkl-mn0p", "abcd efgh ijkl mnop",
	    "abcd-efgh-ijkl-mn1p", "abcdefghijklmnop1", "é",
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg",
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde" };
	struct ovl_identity id;
	char fp[OVL_FINGERPRINT_SIZE], want[OVL_FINGERPRINT_SIZE];
	char hex[2 * OVL_KEY_LEN + 1], raw[OVL_FINGERPRINT_SIZE];
	size_t i, o = 0;

	ovl_identity_generate(&id);
	ovl_fingerprint(id.pub, want);
	ASSERT_OK(ovl_client_id_parse(want, fp));
	ASSERT_STREQ(fp, want);
	for (i = 0; want[i] != '\0'; i++)
		if (want[i] != '-')
			raw[o++] = (char)(want[i] >= 'a' && want[i] <= 'z' ?
			    want[i] - 'a' + 'A' : want[i]);
	raw[o] = '\0';
	ASSERT_EQ(strlen(raw), 16);
	memset(fp, 0, sizeof fp);
	ASSERT_OK(ovl_client_id_parse(raw, fp));
	ASSERT_STREQ(fp, want);
	sodium_bin2hex(hex, sizeof hex, id.pub, OVL_KEY_LEN);
	memset(fp, 0, sizeof fp);
	ASSERT_OK(ovl_client_id_parse(hex, fp));
	ASSERT_STREQ(fp, want);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (ovl_client_id_parse(bad[i], fp) != -EINVAL)
			FAIL("\"%s\" accepted", bad[i]);
	ovl_identity_clear(&id);
}

/* Revoke, refuse, list, survive a restart, take back; keys untouched. */
static void
test_deny_undeny(void)
{
	struct ovl_identity a, b;
	struct ovl_keystore *ks;
	const struct ovl_access_key *k;
	const struct ovl_denied_client *d;
	struct seen seen;
	struct stat st;
	char *dir, *cause = NULL, fa[OVL_FINGERPRINT_SIZE];
	char fb[OVL_FINGERPRINT_SIZE], path[512], *text;

	dir = test_tmpdir();
	ovl_identity_generate(&a);
	ovl_identity_generate(&b);
	ovl_fingerprint(a.pub, fa);
	ovl_fingerprint(b.pub, fb);
	ks = open_ok(dir);
	ASSERT_OK(ovl_keystore_ensure_admin(ks, 5, &k, &cause));
	memset(&seen, 0, sizeof seen);
	ovl_keystore_on_deny(ks, on_deny, &seen);
	ASSERT_EQ(ovl_keystore_denied_count(ks), 0);
	ASSERT(!ovl_keystore_is_denied(ks, a.pub));
	ASSERT_OK(ovl_keystore_deny(ks, fa, 1000, &cause));
	ASSERT_EQ(seen.n, 1);
	ASSERT_STREQ(seen.last, fa);
	ASSERT(ovl_keystore_is_denied(ks, a.pub));
	ASSERT(!ovl_keystore_is_denied(ks, b.pub));
	ASSERT_EQ(ovl_keystore_deny(ks, fa, 1001, &cause), -EEXIST);
	ASSERT_CONTAINS(cause, "revoked already");
	free(cause);
	cause = NULL;
	ASSERT_EQ(ovl_keystore_deny(ks, "abcd-efgh", 1, &cause), -EINVAL);
	free(cause);
	cause = NULL;
	ASSERT_EQ(seen.n, 1);
	ASSERT_OK(ovl_keystore_deny(ks, fb, 1002, &cause));
	ovl_keystore_free(ks);

	/* After a restart: both there, in order, with their times. */
	snprintf(path, sizeof path, "%s/%s", dir, OVL_KEYS_FILE);
	ASSERT_OK(stat(path, &st));
	ASSERT_EQ(st.st_mode & 0777, 0600);
	text = test_read_file(path, NULL);
	ASSERT_CONTAINS(text, "client ");
	ASSERT_CONTAINS(text, fa);
	free(text);
	ks = open_ok(dir);
	ASSERT_EQ(ovl_keystore_count(ks), 1);
	ASSERT_NOT_NULL(ovl_keystore_find(ks, "admin"));
	ASSERT_EQ(ovl_keystore_denied_count(ks), 2);
	d = ovl_keystore_denied_get(ks, 0);
	ASSERT_STREQ(d->fp, fa);
	ASSERT_EQ(d->since, 1000);
	ASSERT_STREQ(ovl_keystore_denied_get(ks, 1)->fp, fb);
	ASSERT_NULL(ovl_keystore_denied_get(ks, 2));
	ASSERT(ovl_keystore_is_denied(ks, a.pub));
	/* Access keys still change without losing the list. */
	ASSERT_OK(ovl_keystore_create(ks, "ops", PROTO_ROLE_OPERATOR, 6, NULL,
	    &cause));
	ASSERT_OK(ovl_keystore_revoke(ks, "ops", &cause));
	ASSERT_EQ(ovl_keystore_denied_count(ks), 2);
	/* Taken back: a gets in again, b stays out. */
	ASSERT_OK(ovl_keystore_undeny(ks, fa, &cause));
	ASSERT(!ovl_keystore_is_denied(ks, a.pub));
	ASSERT(ovl_keystore_is_denied(ks, b.pub));
	ASSERT_EQ(ovl_keystore_undeny(ks, fa, &cause), -ENOENT);
	ASSERT_CONTAINS(cause, "not revoked");
	free(cause);
	ovl_keystore_free(ks);
	ks = open_ok(dir);
	ASSERT_EQ(ovl_keystore_denied_count(ks), 1);
	ASSERT(!ovl_keystore_is_denied(ks, a.pub));
	ASSERT(ovl_keystore_is_denied(ks, b.pub));
	ovl_keystore_free(ks);
	ovl_identity_clear(&a);
	ovl_identity_clear(&b);
	test_rmtree(dir);
}

/* Writes text as the access-keys file of dir, mode 0600. */
static void
write_keys(const char *dir, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, OVL_KEYS_FILE);
	f = fopen(path, "w");
	ASSERT_NOT_NULL(f);
	fputs(text, f);
	ASSERT_OK(fclose(f));
	ASSERT_OK(chmod(path, 0600));
}

/* A damaged or doubled client line is refused, with the line named. */
static void
test_damaged(void)
{
	static const char *const bad[] = {
	    "pier-access-keys 1\nclient abcd-efgh-ijkl-mnop\n",
	    "pier-access-keys 1\nclient abcd-efgh-ijkl-mn1p 5\n",
	    "pier-access-keys 1\nclient abcd-efgh-ijkl-mnop 5 x\n",
	    ("pier-access-keys 1\nclient abcd-efgh-ijkl-mnop 5\n"
	    "client abcd-efgh-ijkl-mnop 6\n"),
	};
	struct ovl_keystore *ks;
	char *dir, *cause = NULL;
	size_t i;

	dir = test_tmpdir();
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		write_keys(dir, bad[i]);
		ASSERT_EQ(ovl_keystore_open(&ks, dir, &cause), -EINVAL);
		ASSERT_NULL(ks);
		ASSERT_CONTAINS(cause, "is damaged");
		free(cause);
		cause = NULL;
	}
	write_keys(dir, "pier-access-keys 1\nclient abcd-efgh-ijkl-mnop 5\n");
	ks = open_ok(dir);
	ASSERT_EQ(ovl_keystore_denied_count(ks), 1);
	ASSERT_EQ(ovl_keystore_count(ks), 0);
	ovl_keystore_free(ks);
	test_rmtree(dir);
}

/* The list is bounded: the next one past OVL_DENIED_MAX is refused. */
static void
test_full(void)
{
	struct ovl__denylist *dl;
	struct ovl_denied_client gone;
	uint8_t pub[OVL_KEY_LEN];
	char fp[OVL_FINGERPRINT_SIZE], first[OVL_FINGERPRINT_SIZE];
	char *cause = NULL, *buf;
	size_t i, at, len;

	dl = calloc(1, sizeof *dl);
	ASSERT_NOT_NULL(dl);
	for (i = 0; i < OVL_DENIED_MAX; i++) {
		randombytes_buf(pub, sizeof pub);
		ovl_fingerprint(pub, fp);
		if (i == 0)
			memcpy(first, fp, sizeof first);
		ASSERT_OK(ovl__deny_add(dl, fp, (int64_t)i, &cause));
	}
	randombytes_buf(pub, sizeof pub);
	ovl_fingerprint(pub, fp);
	ASSERT_EQ(ovl__deny_add(dl, fp, 1, &cause), -ENOSPC);
	free(cause);
	cause = NULL;
	/* All of it fits the room the formatter asks for. */
	len = ovl__deny_text_len(dl);
	buf = malloc(len);
	ASSERT_NOT_NULL(buf);
	ASSERT_EQ(ovl__deny_format(dl, buf, len),
	    (size_t)OVL_DENIED_MAX * strlen("client abcd-efgh-ijkl-mnop \n") +
	    10 * 1 + 90 * 2 + 900 * 3 + (OVL_DENIED_MAX - 1000) * 4);
	free(buf);
	/* Remove and put back restore the order. */
	ASSERT_OK(ovl__deny_remove(dl, first, &at, &gone, &cause));
	ASSERT_EQ(at, 0);
	ASSERT_EQ(dl->n, OVL_DENIED_MAX - 1);
	ovl__deny_insert(dl, at, &gone);
	ASSERT_STREQ(dl->e[0].fp, first);
	ASSERT_EQ(dl->n, OVL_DENIED_MAX);
	free(dl);
}

/* Two stores on one folder keep each other's revocations. */
static void
test_two_writers(void)
{
	struct ovl_identity x, y;
	struct ovl_keystore *node, *shell;
	struct seen seen;
	char *dir, *cause = NULL, fx[OVL_FINGERPRINT_SIZE];
	char fy[OVL_FINGERPRINT_SIZE];

	dir = test_tmpdir();
	ovl_identity_generate(&x);
	ovl_identity_generate(&y);
	ovl_fingerprint(x.pub, fx);
	ovl_fingerprint(y.pub, fy);
	node = open_ok(dir);
	ASSERT_OK(ovl_keystore_ensure_admin(node, 1, NULL, &cause));
	memset(&seen, 0, sizeof seen);
	ovl_keystore_on_deny(node, on_deny, &seen);
	shell = open_ok(dir);
	ASSERT_OK(ovl_keystore_deny(shell, fx, 10, &cause));
	/* The node re-reads (its watch saw the file change): told of x. */
	ASSERT(!ovl_keystore_is_denied(node, x.pub));
	ASSERT_OK(ovl_keystore_reload(node, &cause));
	ASSERT_EQ(seen.n, 1);
	ASSERT_STREQ(seen.last, fx);
	ASSERT(ovl_keystore_is_denied(node, x.pub));
	ASSERT_OK(ovl_keystore_reload(node, &cause));
	ASSERT_EQ(seen.n, 1);
	/* The node revokes y: x, which it re-read, is kept, and shell's
	 * next change keeps y. */
	ASSERT_OK(ovl_keystore_deny(node, fy, 11, &cause));
	ASSERT_EQ(seen.n, 2);
	ASSERT_OK(ovl_keystore_undeny(shell, fx, &cause));
	ASSERT(ovl_keystore_is_denied(shell, y.pub));
	ASSERT(!ovl_keystore_is_denied(shell, x.pub));
	ASSERT_OK(ovl_keystore_reload(node, &cause));
	ASSERT(!ovl_keystore_is_denied(node, x.pub));
	ASSERT_EQ(seen.n, 2);
	ovl_keystore_on_deny(node, NULL, NULL);
	ASSERT_OK(ovl_keystore_deny(shell, fx, 12, &cause));
	ASSERT_OK(ovl_keystore_reload(node, &cause));
	ASSERT_EQ(seen.n, 2);
	ovl_keystore_free(node);
	ovl_keystore_free(shell);
	ovl_identity_clear(&x);
	ovl_identity_clear(&y);
	test_rmtree(dir);
}

TEST_MAIN(
	T(test_parse),
	T(test_deny_undeny),
	T(test_damaged),
	T(test_full),
	T(test_two_writers))
