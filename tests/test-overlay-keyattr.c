/*
 * The limits of access keys (overlay/keyattr.c, keys-use.c): expiry and
 * label parsing, the keys file round trip with every limit, a version 1
 * file still read and still written as version 1 while no key has
 * limits, damaged or unknown attributes refused, ovl_keystore_admit's
 * answers (expired, disabled, uses taken) and a binding that survives a
 * restart.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <sodium.h>

#include "overlay.h"
#include "test.h"

#define NOW	1800000000	/* 2027-01-15T08:00:00Z */

/* Writes text as dir's access-keys file, 0600. */
static void
write_keys(const char *dir, const char *text)
{
	char	path[600];
	FILE	*f;

	snprintf(path, sizeof path, "%s/%s", dir, OVL_KEYS_FILE);
	f = fopen(path, "w");
	ASSERT_NOT_NULL(f);
	ASSERT_EQ(fputs(text, f) >= 0, 1);
	ASSERT_OK(fclose(f));
	ASSERT_OK(chmod(path, 0600));
}

/* The first line of dir's access-keys file into buf. */
static void
first_line(const char *dir, char *buf, size_t len)
{
	char	path[600];
	FILE	*f;

	snprintf(path, sizeof path, "%s/%s", dir, OVL_KEYS_FILE);
	f = fopen(path, "r");
	ASSERT_NOT_NULL(f);
	ASSERT_NOT_NULL(fgets(buf, (int)len, f));
	fclose(f);
}

/* Durations, RFC 3339 times, and what is refused. */
static void
test_expiry_parse(void)
{
	int64_t	t;
	char	*cause = NULL;

	ASSERT_OK(ovl_key_expiry_parse("90m", NOW, &t, &cause));
	ASSERT_EQ(t, NOW + 90 * 60);
	ASSERT_OK(ovl_key_expiry_parse("12h", NOW, &t, &cause));
	ASSERT_EQ(t, NOW + 12 * 3600);
	ASSERT_OK(ovl_key_expiry_parse("7d", NOW, &t, &cause));
	ASSERT_EQ(t, NOW + 7 * 86400);
	ASSERT_OK(ovl_key_expiry_parse("2w", NOW, &t, &cause));
	ASSERT_EQ(t, NOW + 14 * 86400);
	ASSERT_OK(ovl_key_expiry_parse("2s", NOW, &t, &cause));
	ASSERT_EQ(t, NOW + 2);
	ASSERT_OK(ovl_key_expiry_parse("2027-01-31T18:00:00Z", NOW, &t,
	    &cause));
	ASSERT_EQ(t, 1801418400);
	ASSERT_OK(ovl_key_expiry_parse("2027-01-31T19:00:00+01:00", NOW, &t,
	    &cause));
	ASSERT_EQ(t, 1801418400);
	ASSERT_EQ(ovl_key_expiry_parse("2020-01-01T00:00:00Z", NOW, &t,
	    &cause), -EINVAL);
	ASSERT_CONTAINS(cause, "not in the future");
	free(cause);
	cause = NULL;
	ASSERT_EQ(ovl_key_expiry_parse("0d", NOW, &t, &cause), -EINVAL);
	free(cause);
	cause = NULL;
	ASSERT_EQ(ovl_key_expiry_parse("7 days", NOW, &t, &cause), -EINVAL);
	ASSERT_CONTAINS(cause, "90m, 12h, 7d, 2w");
	free(cause);
	cause = NULL;
	ASSERT_EQ(ovl_key_expiry_parse("d", NOW, &t, NULL), -EINVAL);
	ASSERT_EQ(ovl_key_expiry_parse("-5m", NOW, &t, NULL), -EINVAL);
}

/* Labels: K=V by the rule; a repeated K replaces. */
static void
test_labels(void)
{
	struct ovl_key_limits	lim;
	struct ovl_key_label	l;
	char			*cause = NULL;

	memset(&lim, 0, sizeof lim);
	ASSERT_OK(ovl_key_label_parse("team=web", &l, &cause));
	ASSERT_STREQ(l.k, "team");
	ASSERT_STREQ(l.v, "web");
	ASSERT_OK(ovl_key_limits_label(&lim, &l));
	ASSERT_OK(ovl_key_label_parse("team=ops=1", &l, &cause));
	ASSERT_STREQ(l.v, "ops=1");
	ASSERT_OK(ovl_key_limits_label(&lim, &l));
	ASSERT_EQ(lim.nlabels, 1);
	ASSERT_OK(ovl_key_label_parse("empty=", &l, &cause));
	ASSERT_EQ(ovl_key_label_parse("=v", &l, NULL), -EINVAL);
	ASSERT_EQ(ovl_key_label_parse("novalue", &l, NULL), -EINVAL);
	ASSERT_EQ(ovl_key_label_parse("a b=c", &l, NULL), -EINVAL);
	ASSERT_EQ(ovl_key_label_parse("k=a b", &l, &cause), -EINVAL);
	ASSERT_CONTAINS(cause, "without spaces");
	free(cause);
}

/* Every limit survives a restart; the file turns version 2. */
static void
test_round_trip(void)
{
	struct ovl_key_limits		 lim;
	struct ovl_key_label		 l;
	struct ovl_keystore		*ks;
	const struct ovl_access_key	*k;
	uint8_t				 client[OVL_KEY_LEN];
	char				*dir, *cause = NULL, line[64];
	char				 reason[160], fp[OVL_FINGERPRINT_SIZE];

	dir = test_tmpdir();
	ASSERT_OK(ovl_keystore_open(&ks, dir, &cause));
	ASSERT_OK(ovl_keystore_create(ks, "plain", PROTO_ROLE_ADMIN, NOW,
	    NULL, &cause));
	first_line(dir, line, sizeof line);
	ASSERT_STREQ(line, "pier-access-keys 1\n");
	memset(&lim, 0, sizeof lim);
	lim.expires = NOW + 3600;
	lim.uses = 2;
	ASSERT_OK(ovl_key_label_parse("team=web", &l, &cause));
	ASSERT_OK(ovl_key_limits_label(&lim, &l));
	ASSERT_OK(ovl_key_label_parse("env=prod", &l, &cause));
	ASSERT_OK(ovl_key_limits_label(&lim, &l));
	ASSERT_OK(ovl_keystore_create_with(ks, "lim", PROTO_ROLE_VIEWER,
	    &lim, NOW, NULL, &cause));
	memset(client, 7, sizeof client);
	ovl_fingerprint(client, fp);
	ASSERT_EQ(ovl_keystore_admit(ks, "lim", client, NOW + 1, reason,
	    sizeof reason), 1);
	ASSERT_OK(ovl_keystore_set_disabled(ks, "lim", 1, NOW + 2, &cause));
	ovl_keystore_free(ks);
	first_line(dir, line, sizeof line);
	ASSERT_STREQ(line, "pier-access-keys 2\n");

	ASSERT_OK(ovl_keystore_open(&ks, dir, &cause));
	k = ovl_keystore_find(ks, "lim");
	ASSERT_NOT_NULL(k);
	ASSERT_EQ(k->expires, NOW + 3600);
	ASSERT_EQ(k->uses, 2);
	ASSERT_EQ(k->disabled, NOW + 2);
	ASSERT_EQ(k->nbound, 1);
	ASSERT_STREQ(k->bound[0], fp);
	ASSERT_EQ(k->nlabels, 2);
	ASSERT_STREQ(k->labels[0].k, "team");
	ASSERT_STREQ(k->labels[1].v, "prod");
	k = ovl_keystore_find(ks, "plain");
	ASSERT_EQ(k->expires, 0);
	ASSERT_EQ(k->nlabels, 0);
	/* Without limits again, the file is version 1 again. */
	ASSERT_OK(ovl_keystore_revoke(ks, "lim", &cause));
	first_line(dir, line, sizeof line);
	ASSERT_STREQ(line, "pier-access-keys 1\n");
	ovl_keystore_free(ks);
	test_rmtree(dir);
}

/* A version 1 file is read; limits in it, or unknown words, are not. */
static void
test_old_and_damaged(void)
{
	static const char hex[] = "000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f";
	struct ovl_keystore	*ks = NULL;
	char			*dir, *cause = NULL, text[512];

	dir = test_tmpdir();
	snprintf(text, sizeof text, "pier-access-keys 1\nkey admin admin "
	    "1700000000 %s\nclient abcd-efgh-ijkl-mnop 1700000001\n", hex);
	write_keys(dir, text);
	ASSERT_OK(ovl_keystore_open(&ks, dir, &cause));
	ASSERT_EQ(ovl_keystore_count(ks), 1);
	ASSERT_EQ(ovl_keystore_get(ks, 0)->expires, 0);
	ASSERT_EQ(ovl_keystore_denied_count(ks), 1);
	ovl_keystore_free(ks);

	/* Limits need version 2: a version 1 file with them is damaged. */
	snprintf(text, sizeof text, "pier-access-keys 1\nkey admin admin "
	    "1700000000 %s expires=1800000000\n", hex);
	write_keys(dir, text);
	ASSERT_EQ(ovl_keystore_open(&ks, dir, &cause), -EINVAL);
	ASSERT_CONTAINS(cause, "line 2 is damaged");
	free(cause);
	cause = NULL;
	/* A word this version does not know is refused, not ignored. */
	snprintf(text, sizeof text, "pier-access-keys 2\nkey admin admin "
	    "1700000000 %s notafter=1800000000\n", hex);
	write_keys(dir, text);
	ASSERT_EQ(ovl_keystore_open(&ks, dir, &cause), -EINVAL);
	free(cause);
	cause = NULL;
	/* More bound clients than uses: damaged. */
	snprintf(text, sizeof text, "pier-access-keys 2\nkey admin admin "
	    "1700000000 %s uses=1 client=abcd-efgh-ijkl-mnop "
	    "client=bbcd-efgh-ijkl-mnop\n", hex);
	write_keys(dir, text);
	ASSERT_EQ(ovl_keystore_open(&ks, dir, &cause), -EINVAL);
	free(cause);
	test_rmtree(dir);
}

/* ovl_keystore_admit: expired, disabled, uses taken, gone. */
static void
test_admit(void)
{
	struct ovl_key_limits	 lim;
	struct ovl_keystore	*ks, *other;
	uint8_t			 a[OVL_KEY_LEN], b[OVL_KEY_LEN];
	char			*dir, *cause = NULL, reason[160];
	char			 fa[OVL_FINGERPRINT_SIZE];

	dir = test_tmpdir();
	memset(a, 1, sizeof a);
	memset(b, 2, sizeof b);
	ovl_fingerprint(a, fa);
	ASSERT_OK(ovl_keystore_open(&ks, dir, &cause));
	memset(&lim, 0, sizeof lim);
	lim.expires = NOW + 10;
	lim.uses = 1;
	ASSERT_OK(ovl_keystore_create_with(ks, "once", PROTO_ROLE_VIEWER,
	    &lim, NOW, NULL, &cause));
	lim.expires = NOW;
	ASSERT_EQ(ovl_keystore_create_with(ks, "past", PROTO_ROLE_VIEWER,
	    &lim, NOW, NULL, &cause), -EINVAL);
	free(cause);
	cause = NULL;

	/* b cannot take a's use from another process's store either. */
	ASSERT_OK(ovl_keystore_open(&other, dir, &cause));
	ASSERT_EQ(ovl_keystore_admit(ks, "once", a, NOW, reason,
	    sizeof reason), 1);
	ASSERT_EQ(ovl_keystore_admit(other, "once", b, NOW, reason,
	    sizeof reason), -EUSERS);
	ASSERT_CONTAINS(reason, "access key once was already used by client ");
	ASSERT_CONTAINS(reason, fa);
	ASSERT_OK(ovl_keystore_admit(other, "once", a, NOW, reason,
	    sizeof reason));
	ovl_keystore_free(other);

	/* The binding outlives a restart. */
	ovl_keystore_free(ks);
	ASSERT_OK(ovl_keystore_open(&ks, dir, &cause));
	ASSERT_EQ(ovl_keystore_admit(ks, "once", b, NOW + 1, reason,
	    sizeof reason), -EUSERS);
	ASSERT_OK(ovl_keystore_admit(ks, "once", a, NOW + 1, reason,
	    sizeof reason));

	ASSERT_EQ(ovl_keystore_admit(ks, "once", a, NOW + 10, reason,
	    sizeof reason), -EKEYEXPIRED);
	ASSERT_STREQ(reason, "access key once expired at "
	    "2027-01-15T08:00:10Z");
	ASSERT_OK(ovl_keystore_set_disabled(ks, "once", 1, NOW, &cause));
	ASSERT_EQ(ovl_keystore_set_disabled(ks, "once", 1, NOW, &cause),
	    -EALREADY);
	free(cause);
	cause = NULL;
	ASSERT_EQ(ovl_keystore_admit(ks, "once", a, NOW, reason,
	    sizeof reason), -EKEYREJECTED);
	ASSERT_STREQ(reason, "access key once is disabled");
	ASSERT_OK(ovl_keystore_set_disabled(ks, "once", 0, NOW, &cause));
	ASSERT_OK(ovl_keystore_admit(ks, "once", a, NOW, reason,
	    sizeof reason));
	ASSERT_EQ(ovl_keystore_set_disabled(ks, "nope", 1, NOW, &cause),
	    -ENOENT);
	free(cause);
	ASSERT_EQ(ovl_keystore_admit(ks, "nope", a, NOW, reason,
	    sizeof reason), -ENOENT);
	ovl_keystore_free(ks);
	test_rmtree(dir);
}

TEST_MAIN(
	T(test_expiry_parse),
	T(test_labels),
	T(test_round_trip),
	T(test_old_and_damaged),
	T(test_admit))
