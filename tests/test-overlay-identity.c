/*
 * Identities on disk (overlay/identity.c): first start creates the key
 * with the right modes, later starts reuse it, an exposed key is refused
 * with the fix in the message, a damaged one is reported and left alone,
 * rotation replaces it, and the atomic writer leaves no partial files.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <unistd.h>

#include <sodium.h>

#include "overlay.h"
#include "test.h"

/* Counts the entries of dir (without . and ..). */
static int
count_entries(const char *dir)
{
	DIR *d;
	struct dirent *de;
	int n = 0;

	d = opendir(dir);
	ASSERT_NOT_NULL(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return (n);
}

/* Returns the permission bits of path. */
static unsigned
mode_of(const char *path)
{
	struct stat st;

	ASSERT_OK(stat(path, &st));
	return ((unsigned)(st.st_mode & 07777));
}

/* First start creates dir 0700 and key 0600; later starts reuse it. */
static void
test_create_reload(void)
{
	struct ovl_identity a, b;
	char *top, dir[512], path[600], *cause = NULL, *text;
	uint8_t pub[OVL_KEY_LEN];
	int created = -1;

	top = test_tmpdir();
	snprintf(dir, sizeof dir, "%s/state/pier", top);
	snprintf(path, sizeof path, "%s/node.key", dir);
	ASSERT_OK(ovl_identity_load_or_create(dir, "node.key", &a, &created,
	    &cause));
	ASSERT_NULL(cause);
	ASSERT_EQ(created, 1);
	ASSERT_EQ(mode_of(dir), 0700);
	ASSERT_EQ(mode_of(path), 0600);
	crypto_scalarmult_base(pub, a.priv);
	ASSERT_MEMEQ(pub, a.pub, OVL_KEY_LEN);
	text = test_read_file(path, NULL);
	ASSERT_NOT_NULL(text);
	ASSERT(strncmp(text, "pier-x25519-private ", 20) == 0);
	ASSERT_EQ(strlen(text), 20 + 64 + 1);
	free(text);
	ASSERT_EQ(count_entries(dir), 1);

	ASSERT_OK(ovl_identity_load_or_create(dir, "node.key", &b, &created,
	    &cause));
	ASSERT_EQ(created, 0);
	ASSERT_MEMEQ(a.priv, b.priv, OVL_KEY_LEN);
	ASSERT_MEMEQ(a.pub, b.pub, OVL_KEY_LEN);
	ovl_identity_clear(&a);
	ovl_identity_clear(&b);
	test_rmtree(top);
}

/* A key others can read is refused with the chmod that fixes it. */
static void
test_permissions(void)
{
	struct ovl_identity a, b;
	char *dir, path[600], want[700], *cause = NULL;
	static const mode_t bad[] = { 0644, 0640, 0604, 0620, 0601 };
	size_t i;

	dir = test_tmpdir();
	snprintf(path, sizeof path, "%s/node.key", dir);
	ASSERT_OK(ovl_identity_load_or_create(dir, "node.key", &a, NULL,
	    &cause));
	snprintf(want, sizeof want, "chmod 600 %s", path);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ASSERT_OK(chmod(path, bad[i]));
		ASSERT_EQ(ovl_identity_load_or_create(dir, "node.key", &b,
		    NULL, &cause), -EPERM);
		ASSERT_CONTAINS(cause, want);
		ASSERT_CONTAINS(cause, "accessible by others");
		free(cause);
		cause = NULL;
	}
	/* Refused, not replaced: after the fix the same key loads. */
	ASSERT_OK(chmod(path, 0600));
	ASSERT_OK(ovl_identity_load_or_create(dir, "node.key", &b, NULL,
	    &cause));
	ASSERT_MEMEQ(a.priv, b.priv, OVL_KEY_LEN);
	ASSERT_OK(chmod(path, 0400));
	ASSERT_OK(ovl_identity_load_or_create(dir, "node.key", &b, NULL,
	    &cause));
	test_rmtree(dir);
}

/* A damaged file is reported, never overwritten. */
static void
test_damaged(void)
{
	static const char *const bodies[] = { "", "pier-x25519-private \n",
	    "pier-x25519-private zz\n", "ssh-rsa AAAA\n",
	    ("pier-x25519-private 00112233445566778899aabbccddeeff"
	    "00112233445566778899aabbccddeeff junk\n") };
	struct ovl_identity a;
	char *dir, path[600], *cause = NULL, *text;
	size_t i;
	FILE *f;

	dir = test_tmpdir();
	snprintf(path, sizeof path, "%s/node.key", dir);
	for (i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		f = fopen(path, "w");
		ASSERT_NOT_NULL(f);
		fputs(bodies[i], f);
		fclose(f);
		ASSERT_OK(chmod(path, 0600));
		ASSERT_EQ(ovl_identity_load_or_create(dir, "node.key", &a,
		    NULL, &cause), -EINVAL);
		ASSERT_CONTAINS(cause, "not a Pier key file");
		free(cause);
		cause = NULL;
		text = test_read_file(path, NULL);
		ASSERT_STREQ(text, bodies[i]);
		free(text);
	}
	/* A symlink in place of the key is not followed. */
	ASSERT_OK(unlink(path));
	ASSERT_OK(symlink("/etc/hostname", path));
	ASSERT_LT(ovl_identity_load_or_create(dir, "node.key", &a, NULL,
	    &cause), 0);
	free(cause);
	test_rmtree(dir);
}

/* Rotation writes a new key that later starts load. */
static void
test_rotate(void)
{
	struct ovl_identity a, b, c;
	char *dir, *cause = NULL;

	dir = test_tmpdir();
	ASSERT_OK(ovl_identity_load_or_create(dir, "id", &a, NULL, &cause));
	ASSERT_OK(ovl_identity_rotate(dir, "id", &b, &cause));
	ASSERT(sodium_memcmp(a.priv, b.priv, OVL_KEY_LEN) != 0);
	ASSERT_OK(ovl_identity_load_or_create(dir, "id", &c, NULL, &cause));
	ASSERT_MEMEQ(b.priv, c.priv, OVL_KEY_LEN);
	ASSERT_MEMEQ(b.pub, c.pub, OVL_KEY_LEN);
	ASSERT_EQ(count_entries(dir), 1);
	test_rmtree(dir);
}

/* RFC 7748 section 6.1: Alice's key pair. */
static void
test_from_private(void)
{
	struct ovl_identity id;
	uint8_t priv[32], pub[32];

	ASSERT_OK(sodium_hex2bin(priv, 32, "77076d0a7318a57d3c16c17251b26645"
	    "df4c2f87ebc0992ab177fba51db92c2a", 64, NULL, NULL, NULL));
	ASSERT_OK(sodium_hex2bin(pub, 32, "8520f0098930a754748b7ddcb43ef75a"
	    "0dbf3a0d26381af4eba4a98eaa9b4e6a", 64, NULL, NULL, NULL));
	ASSERT_OK(ovl_identity_from_private(&id, priv));
	ASSERT_MEMEQ(id.pub, pub, 32);
	ovl_identity_clear(&id);
	ASSERT_EQ(id.priv[0] | id.pub[0], 0);
}

/* Fingerprints: short, stable, different per key. */
static void
test_fingerprint(void)
{
	struct ovl_identity a, b;
	char fa[OVL_FINGERPRINT_SIZE], fa2[OVL_FINGERPRINT_SIZE];
	char fb[OVL_FINGERPRINT_SIZE];
	size_t i;

	ovl_identity_generate(&a);
	ovl_identity_generate(&b);
	ovl_fingerprint(a.pub, fa);
	ovl_fingerprint(a.pub, fa2);
	ovl_fingerprint(b.pub, fb);
	ASSERT_STREQ(fa, fa2);
	ASSERT(strcmp(fa, fb) != 0);
	ASSERT_EQ(strlen(fa), OVL_FINGERPRINT_SIZE - 1);
	for (i = 0; i < OVL_FINGERPRINT_SIZE - 1; i++) {
		if (i % 5 == 4)
			ASSERT_EQ(fa[i], '-');
		else
			ASSERT(strchr("abcdefghijklmnopqrstuvwxyz234567",
			    fa[i]) != NULL);
	}
}

/* The atomic writer replaces content and mode and leaves no temp file. */
static void
test_atomic_write(void)
{
	char *dir, path[600], *cause = NULL, *text;
	size_t len;

	dir = test_tmpdir();
	snprintf(path, sizeof path, "%s/f", dir);
	ASSERT_OK(ovl_file_write_atomic(path, "one\n", 4, 0644, &cause));
	ASSERT_EQ(mode_of(path), 0644);
	ASSERT_OK(ovl_file_write_atomic(path, "second\n", 7, 0600, &cause));
	text = test_read_file(path, &len);
	ASSERT_EQ(len, 7);
	ASSERT_MEMEQ(text, "second\n", 7);
	free(text);
	ASSERT_EQ(mode_of(path), 0600);
	ASSERT_EQ(count_entries(dir), 1);
	/* A missing folder fails cleanly with a reason. */
	snprintf(path, sizeof path, "%s/no/such/f", dir);
	ASSERT_EQ(ovl_file_write_atomic(path, "x", 1, 0600, &cause), -ENOENT);
	ASSERT_CONTAINS(cause, "no/such");
	free(cause);
	cause = NULL;
	/* A folder in the way of the target. */
	snprintf(path, sizeof path, "%s/d", dir);
	ASSERT_OK(mkdir(path, 0700));
	ASSERT_LT(ovl_file_write_atomic(path, "x", 1, 0600, &cause), 0);
	free(cause);
	ASSERT_EQ(count_entries(dir), 2);
	/* ovl_dir_ensure refuses a file where a folder should be. */
	snprintf(path, sizeof path, "%s/f", dir);
	ASSERT_EQ(ovl_dir_ensure(path, &cause), -ENOTDIR);
	free(cause);
	test_rmtree(dir);
}

TEST_MAIN(
	T(test_create_reload),
	T(test_permissions),
	T(test_damaged),
	T(test_rotate),
	T(test_from_private),
	T(test_fingerprint),
	T(test_atomic_write))
