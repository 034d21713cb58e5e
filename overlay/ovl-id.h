/*
 * Identities, access keys, join keys and the handshake: everything a node
 * and a client need before the first encrypted record. Included through
 * overlay.h (after struct ovl_cipher), never on its own.
 *
 * noise.c is a generic Noise handshake engine (25519, ChaChaPoly, BLAKE2b)
 * over byte buffers; handshake.c builds Pier's Noise_IKpsk1 handshake on
 * it; identity.c keeps static key pairs on disk; keys.c is a node's
 * access-key store; joinkey.c is the text a user pastes.
 */
#ifndef PIER_OVL_ID_H
#define PIER_OVL_ID_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "role.h"

/* noise.c */

#define OVL_NOISE_MAX_MSGS	4	/* handshake messages in a pattern */
#define OVL_NOISE_MAX_TOKENS	8	/* tokens in one message */
#define OVL_NOISE_MAX_PSKS	4	/* psk tokens in a pattern */
#define OVL_NOISE_MSG_MAX	65535	/* Noise's largest message */
#define OVL_NOISE_NEED_PSK	1	/* ovl_noise_read: stopped at a psk */

/*
 * A Noise HandshakeState with its SymmetricState. A plain value with no
 * pointers into itself: copying it clones the handshake (handshake.c does
 * so to try several psks). Wipe with ovl_noise_clear.
 */
struct ovl_noise {
	uint8_t		tokens[OVL_NOISE_MAX_MSGS][OVL_NOISE_MAX_TOKENS];
	size_t		nmsgs;		/* messages in the pattern */
	size_t		npsk_tokens;	/* psk tokens in the pattern */
	int		initiator;
	uint8_t		ck[OVL_HASH_LEN];
	uint8_t		h[OVL_HASH_LEN];
	struct ovl_cipher cs;
	uint8_t		s_priv[OVL_KEY_LEN], s_pub[OVL_KEY_LEN];
	uint8_t		e_priv[OVL_KEY_LEN], e_pub[OVL_KEY_LEN];
	uint8_t		rs[OVL_KEY_LEN], re[OVL_KEY_LEN];
	uint8_t		psks[OVL_NOISE_MAX_PSKS][OVL_KEY_LEN];
	int		has_s, has_e, has_rs, has_re;
	size_t		npsks;		/* psks set */
	size_t		psk_next;	/* psk tokens done */
	size_t		msg;		/* index of the next message */
	size_t		tok;		/* next token in it (reads resume) */
	size_t		off;		/* bytes of it consumed so far */
	int		failed;		/* a failure poisons the state */
};

/*
 * Starts a handshake for protocol_name (Noise_PATTERN[MODS]_25519_
 * ChaChaPoly_BLAKE2b; patterns NN NK NX XN XK XX KN KK KX IN IK IX, psk0..
 * psk3 modifiers). s is our static private key, rs the peer's static
 * public key, each NULL when the pattern does not need it up front.
 * psks may be NULL (npsks 0) and set later with ovl_noise_set_psk.
 * -ENOTSUP for a name this engine does not do, -EINVAL for missing keys.
 */
int ovl_noise_init(struct ovl_noise *hs, const char *protocol_name,
    int initiator, const uint8_t *prologue, size_t prologue_len,
    const uint8_t *s, const uint8_t *rs,
    const uint8_t (*psks)[OVL_KEY_LEN], size_t npsks) WARN_UNUSED_RESULT;
struct ovl_identity;
/*
 * As ovl_noise_init with self's key pair: its public key is taken as it
 * is, not computed again from the private key.
 */
int ovl_noise_init_id(struct ovl_noise *hs, const char *protocol_name,
    int initiator, const uint8_t *prologue, size_t prologue_len,
    const struct ovl_identity *self, const uint8_t *rs,
    const uint8_t (*psks)[OVL_KEY_LEN], size_t npsks) WARN_UNUSED_RESULT;
/* Fixes our ephemeral private key instead of a random one (test vectors). */
void ovl_noise_set_ephemeral(struct ovl_noise *hs,
    const uint8_t e[static OVL_KEY_LEN]);
/* Appends the psk for the next psk token not yet given one. */
int ovl_noise_set_psk(struct ovl_noise *hs,
    const uint8_t psk[static OVL_KEY_LEN]) WARN_UNUSED_RESULT;
/*
 * Writes the next handshake message with payload into out (cap bytes;
 * *outlen gets the length). -EAGAIN if it is the peer's turn, -ENOSPC if
 * out is short, -EMSGSIZE over 65535 bytes, -EINVAL if a key is missing.
 */
int ovl_noise_write(struct ovl_noise *hs, const uint8_t *payload,
    size_t len, uint8_t *out, size_t cap, size_t *outlen) WARN_UNUSED_RESULT;
/*
 * Reads the peer's next handshake message; its payload goes to payload
 * (cap bytes, *plen set). -EBADMSG if it is malformed or does not
 * authenticate (the state is then dead). Returns OVL_NOISE_NEED_PSK if it
 * reached a psk token with no psk set: set one (on a copy, to try several)
 * and call again with the same message; it resumes where it stopped.
 */
int ovl_noise_read(struct ovl_noise *hs, const uint8_t *msg, size_t len,
    uint8_t *payload, size_t cap, size_t *plen) WARN_UNUSED_RESULT;
/* Non-zero once every handshake message has been written or read. */
int ovl_noise_done(const struct ovl_noise *hs);
/*
 * Split(): our sending and receiving CipherStates (the initiator sends
 * with the first). -EAGAIN before the handshake is done.
 */
int ovl_noise_split(struct ovl_noise *hs, struct ovl_cipher *tx,
    struct ovl_cipher *rx) WARN_UNUSED_RESULT;
/* The handshake hash h (channel binding); final once done. */
void ovl_noise_hash(const struct ovl_noise *hs,
    uint8_t h[static OVL_HASH_LEN]);
/* The peer's static public key, or NULL if not known (yet). */
const uint8_t *ovl_noise_remote_static(const struct ovl_noise *hs);
/* Wipes every secret of the state. */
void ovl_noise_clear(struct ovl_noise *hs);

/* identity.c */

#define OVL_FINGERPRINT_SIZE	20	/* "abcd-efgh-ijkl-mnop" + NUL */

/* A static X25519 key pair. Wipe with ovl_identity_clear. */
struct ovl_identity {
	uint8_t		pub[OVL_KEY_LEN];
	uint8_t		priv[OVL_KEY_LEN];
};

/* Makes a fresh random key pair. */
void ovl_identity_generate(struct ovl_identity *id);
/* Fills the pair from a private key (the public key is derived). */
int ovl_identity_from_private(struct ovl_identity *id,
    const uint8_t priv[static OVL_KEY_LEN]) WARN_UNUSED_RESULT;
/*
 * Loads dir/name, or creates it with a new key pair if absent (dir made
 * 0700 if missing, the file 0600, written atomically). *created (may be
 * NULL) says which. Refuses, with the chmod that fixes it in *cause, a
 * file readable or writable by group or others (-EPERM); -EINVAL for a
 * damaged file.
 */
int ovl_identity_load_or_create(const char *dir, const char *name,
    struct ovl_identity *id, int *created, char **cause) WARN_UNUSED_RESULT;
/* Replaces dir/name with a new key pair (rotation), atomically. */
int ovl_identity_rotate(const char *dir, const char *name,
    struct ovl_identity *id, char **cause) WARN_UNUSED_RESULT;
/* Wipes the pair. */
void ovl_identity_clear(struct ovl_identity *id);
/* A short text naming a public key for humans and logs. */
void ovl_fingerprint(const uint8_t pub[static OVL_KEY_LEN],
    char out[static OVL_FINGERPRINT_SIZE]);
/* Makes dir (mode 0700) if missing; an existing dir is left as it is. */
int ovl_dir_ensure(const char *dir, char **cause) WARN_UNUSED_RESULT;
/*
 * Writes path atomically with mode: a temporary file in the same folder,
 * fsync, rename over path, fsync of the folder. Readers see the old or
 * the new content, never a mix.
 */
int ovl_file_write_atomic(const char *path, const void *buf, size_t len,
    mode_t mode, char **cause) WARN_UNUSED_RESULT;
/* Internal to overlay/: sets *cause (if not NULL) to a formatted text. */
void ovl__set_cause(char **cause, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* keys.c */

#define OVL_KEY_NAME_MAX	32	/* [a-z0-9._-]{1,32} */
#define OVL_KEY_ID_SIZE		17	/* 16 hex digits + NUL */
#define OVL_KEYS_MAX		256	/* access keys in one store */
#define OVL_CLIENTS_MAX		65536	/* client timestamps remembered */
/*
 * How far message 1's clock may be from the node's, either way: five
 * minutes, Kerberos' default skew. Clocks kept by NTP are within a
 * second; one left alone drifts seconds a day; a resumed VM or laptop
 * may lag minutes until it syncs. The window does not weaken the replay
 * rule (taken messages are remembered, then refused by a floor); it
 * bounds how long an entry must be kept.
 */
#define OVL_REPLAY_WINDOW_MS	(5 * 60 * 1000)
#define OVL_DENIED_MAX		1024	/* revoked client keys in a store */
#define OVL_KEYS_FILE		"access-keys"
#define OVL_KEYS_USED_FILE	"key-used"	/* last-used times */
#define OVL_CLIENTS_FILE	"client-times"

#define OVL_KEY_LABELS_MAX	8	/* labels on one access key */
#define OVL_KEY_LABEL_KEY_MAX	32	/* [A-Za-z0-9._/-]{1,32} */
#define OVL_KEY_LABEL_VAL_MAX	64	/* printable, no spaces, 0 to 64 */
#define OVL_KEY_USES_MAX	8	/* client keys a limited key binds */

/* A label on an access key, K=V, for the people who hand keys out. */
struct ovl_key_label {
	char		k[OVL_KEY_LABEL_KEY_MAX + 1];
	char		v[OVL_KEY_LABEL_VAL_MAX + 1];
};

/* What a new access key is limited to (ovl_keystore_create_with). */
struct ovl_key_limits {
	int64_t			expires;	/* unix seconds, 0 never */
	unsigned		uses;		/* client keys, 0 any number */
	size_t			nlabels;
	struct ovl_key_label	labels[OVL_KEY_LABELS_MAX];
};

/* One access key of a node; the secret goes out only in join keys. */
struct ovl_access_key {
	char		name[OVL_KEY_NAME_MAX + 1];
	char		id[OVL_KEY_ID_SIZE];	/* hex of a hash of secret */
	enum proto_role	role;		/* proto/role.h */
	int64_t		created;		/* unix seconds */
	int64_t		last_used;		/* unix seconds, 0 never */
	uint8_t		secret[OVL_KEY_LEN];
	int64_t		expires;	/* unix seconds, 0 never */
	int64_t		disabled;	/* unix seconds since, 0 enabled */
	unsigned	uses;		/* client keys it binds, 0 any */
	size_t		nbound;		/* client keys bound so far */
	char		bound[OVL_KEY_USES_MAX][OVL_FINGERPRINT_SIZE];
	size_t		nlabels;
	struct ovl_key_label labels[OVL_KEY_LABELS_MAX];
};

/* A client key the node refuses (key.revoke with kind client). */
struct ovl_denied_client {
	char		fp[OVL_FINGERPRINT_SIZE];	/* its fingerprint */
	int64_t		since;				/* unix seconds */
};

/* A node's access keys and client timestamps, kept in its state dir. */
struct ovl_keystore;

/* Non-zero if name is a valid key name: [a-z0-9._-]{1,32}. */
int ovl_key_name_valid(const char *name);
/* The key id of a secret: hex of the first 8 bytes of BLAKE2b-256. */
void ovl_key_id(const uint8_t secret[static OVL_KEY_LEN],
    char id[static OVL_KEY_ID_SIZE]);
/*
 * Opens the store in dir (made 0700 if missing) and loads its files if
 * present. Refuses key files readable by group or others (-EPERM).
 */
int ovl_keystore_open(struct ovl_keystore **out, const char *dir,
    char **cause) WARN_UNUSED_RESULT;
/* Frees the store, wiping secrets. */
void ovl_keystore_free(struct ovl_keystore *ks);
/*
 * On a first start (no access-keys file yet) creates the key "admin"
 * with role admin; *created (may be NULL) then points at it, else is
 * NULL. A store whose keys were all revoked stays empty.
 */
int ovl_keystore_ensure_admin(struct ovl_keystore *ks, int64_t now,
    const struct ovl_access_key **created, char **cause) WARN_UNUSED_RESULT;
/*
 * Creates a key with a fresh random secret. Like every change it locks
 * the store's files, re-reads them (another process may have changed
 * them) and saves. -EINVAL bad name or role, -EEXIST name taken, -ENOSPC
 * store full. *out (may be NULL) is valid until the store next changes.
 */
int ovl_keystore_create(struct ovl_keystore *ks, const char *name,
    enum proto_role role, int64_t now, const struct ovl_access_key **out,
    char **cause) WARN_UNUSED_RESULT;
/*
 * Creates a key like ovl_keystore_create, limited by lim (NULL: not at
 * all): an expiry time, a number of client keys it binds, labels.
 * -EINVAL for an expiry not after now or a uses above OVL_KEY_USES_MAX.
 */
int ovl_keystore_create_with(struct ovl_keystore *ks, const char *name,
    enum proto_role role, const struct ovl_key_limits *lim, int64_t now,
    const struct ovl_access_key **out, char **cause) WARN_UNUSED_RESULT;
/*
 * Disables (disable 1, at now) or enables (0) the key named name: a
 * disabled key lets nobody in until enabled again. Locked, re-read,
 * saved; -ENOENT no such key, -EALREADY already so.
 */
int ovl_keystore_set_disabled(struct ovl_keystore *ks, const char *name,
    int disable, int64_t now, char **cause) WARN_UNUSED_RESULT;
/*
 * Lets client in with the key named name at now (unix seconds), or says
 * why not: -EKEYEXPIRED expired, -EKEYREJECTED disabled, -EUSERS its
 * uses are taken by other client keys, -ENOENT gone. A client key that
 * takes one of a limited key's uses is bound to it here (locked,
 * re-read, saved before this returns), and 1 is returned. reason (len
 * bytes) gets the text for the client's go-away.
 */
int ovl_keystore_admit(struct ovl_keystore *ks, const char *name,
    const uint8_t client[static OVL_KEY_LEN], int64_t now, char *reason,
    size_t len) WARN_UNUSED_RESULT;
/* Number of keys. */
size_t ovl_keystore_count(const struct ovl_keystore *ks);
/* Key i (0 <= i < count), valid until the store next changes. */
const struct ovl_access_key *ovl_keystore_get(const struct ovl_keystore *ks,
    size_t i);
/* The key named name, or NULL. */
const struct ovl_access_key *ovl_keystore_find(const struct ovl_keystore *ks,
    const char *name);
/* Removes the key named name (locked, re-read, saved); -ENOENT if none. */
int ovl_keystore_revoke(struct ovl_keystore *ks, const char *name,
    char **cause) WARN_UNUSED_RESULT;
/*
 * Re-reads the access-keys file in place, after another process (pierd
 * key ...) changed it; on failure the store is left as it was.
 */
int ovl_keystore_reload(struct ovl_keystore *ks, char **cause)
    WARN_UNUSED_RESULT;
/*
 * Non-zero if the access-keys file on disk is not the one the store last
 * read or wrote (its inode, size or mtime with nanoseconds differ, or it
 * appeared or went): another process changed it. One stat(2).
 */
int ovl_keystore_changed(const struct ovl_keystore *ks);
/* Sets key i's last use to now; saved (to key-used) once a minute. */
int ovl_keystore_touch(struct ovl_keystore *ks, size_t i, int64_t now,
    char **cause) WARN_UNUSED_RESULT;
/*
 * The active secrets for ovl_hs_node_respond, in key order: the index it
 * reports is the key's index for ovl_keystore_get. Valid until the store
 * next changes; *n gets the count.
 */
const uint8_t (*ovl_keystore_secrets(const struct ovl_keystore *ks,
    size_t *n))[OVL_KEY_LEN];
/*
 * Parses a client key as people give it: its fingerprint (as the node's
 * log and audit log show it; dashes optional, either case) or its public
 * key in 64 hex digits. fp gets the fingerprint; -EINVAL for neither.
 */
int ovl_client_id_parse(const char *s, char fp[static OVL_FINGERPRINT_SIZE])
    WARN_UNUSED_RESULT;
/*
 * Revokes a client key, named by its fingerprint: the node refuses its
 * handshakes from now on, whatever access key it holds (locked, re-read,
 * saved like every change). -EINVAL bad fingerprint, -EEXIST revoked
 * already, -ENOSPC OVL_DENIED_MAX revoked already.
 */
int ovl_keystore_deny(struct ovl_keystore *ks, const char *fp, int64_t now,
    char **cause) WARN_UNUSED_RESULT;
/* Takes a client key off the revoked list; -ENOENT if it is not on it. */
int ovl_keystore_undeny(struct ovl_keystore *ks, const char *fp,
    char **cause) WARN_UNUSED_RESULT;
/* Number of revoked client keys. */
size_t ovl_keystore_denied_count(const struct ovl_keystore *ks);
/* Revoked client key i, valid until the store next changes. */
const struct ovl_denied_client *ovl_keystore_denied_get(
    const struct ovl_keystore *ks, size_t i);
/* Non-zero if the client key client is revoked. */
int ovl_keystore_is_denied(const struct ovl_keystore *ks,
    const uint8_t client[static OVL_KEY_LEN]);
/*
 * Sets the one watcher told of each client key that becomes revoked, by
 * ovl_keystore_deny or by a re-read that finds it (another process did
 * it); the server uses it to close that client's connections. cb NULL
 * removes it.
 */
void ovl_keystore_on_deny(struct ovl_keystore *ks,
    void (*cb)(const char *fp, void *arg), void *arg);
/*
 * The replay rule (replay.c): takes message 1 of client, with time ts_ms
 * and ephemeral key eph, if ts_ms is within OVL_REPLAY_WINDOW_MS of
 * now_ms, after the client's floor, and eph was not taken from client
 * before; then records it. -ERANGE for a time outside the window
 * (*skew_ms gets ts_ms - now_ms), -EALREADY for a replay or a stale time.
 */
int ovl_keystore_accept_time(struct ovl_keystore *ks,
    const uint8_t client[static OVL_KEY_LEN], uint64_t ts_ms,
    const uint8_t eph[static OVL_KEY_LEN], uint64_t now_ms,
    int64_t *skew_ms, char **cause) WARN_UNUSED_RESULT;

/* keyattr.c */

/*
 * Parses an expiry as people give it: a duration from now ("90m", "12h",
 * "7d", "2w", "30s") or an RFC 3339 time ("2027-01-31T18:00:00Z", or
 * with an offset "+01:00"). *out gets unix seconds; -EINVAL with *cause.
 */
int ovl_key_expiry_parse(const char *s, int64_t now, int64_t *out,
    char **cause) WARN_UNUSED_RESULT;
/* Parses "K=V" into l; -EINVAL (with *cause) if not a valid label. */
int ovl_key_label_parse(const char *s, struct ovl_key_label *l,
    char **cause) WARN_UNUSED_RESULT;
/* Sets label K to V in lim (replacing K's value); -ENOSPC if full. */
int ovl_key_limits_label(struct ovl_key_limits *lim,
    const struct ovl_key_label *l) WARN_UNUSED_RESULT;
/*
 * Why key k lets nobody in at now, the uses aside: -EKEYREJECTED
 * disabled, -EKEYEXPIRED expired, else 0; reason gets the go-away text.
 */
int ovl_key_check(const struct ovl_access_key *k, int64_t now,
    char *reason, size_t len);
/* Non-zero if fp is one of the client keys bound to k. */
int ovl_key_bound(const struct ovl_access_key *k, const char *fp);
/* Writes t (unix seconds) as RFC 3339 UTC into buf; "never" for 0. */
void ovl_key_time(int64_t t, char *buf, size_t len);
/* Internal: the line's attributes after the secret; the length written. */
size_t ovl__key_attr_format(const struct ovl_access_key *k, char *buf,
    size_t cap);
/* Internal: non-zero if k has attributes a version 1 file cannot hold. */
int ovl__key_has_attr(const struct ovl_access_key *k);
/* Internal: parses the attributes after the secret; -EINVAL if bad. */
int ovl__key_attr_parse(struct ovl_access_key *k, const char *s)
    WARN_UNUSED_RESULT;

/* keys.c, internal to overlay/: a change made outside keys.c. */

/* Locks the store and re-reads it; close *fd (or commit) after. */
int ovl__keystore_begin(struct ovl_keystore *ks, int *fd, char **cause)
    WARN_UNUSED_RESULT;
/* The key named name, to change between begin and commit; or NULL. */
struct ovl_access_key *ovl__keystore_key(struct ovl_keystore *ks,
    const char *name);
/* Saves the store and unlocks it (closes fd). */
int ovl__keystore_commit(struct ovl_keystore *ks, int fd, char **cause)
    WARN_UNUSED_RESULT;
/* The store's revoked client keys, to read or change between the two. */
struct ovl__denylist *ovl__keystore_denied(const struct ovl_keystore *ks);
/* Tells the store's watcher (ovl_keystore_on_deny) that fp was revoked. */
void ovl__keystore_told_deny(struct ovl_keystore *ks, const char *fp);

/* deny.c: internal to overlay/, the keystore's revoked client keys. */

/* The revoked client keys, in the order they were revoked. */
struct ovl__denylist {
	struct ovl_denied_client e[OVL_DENIED_MAX];
	size_t		n;
};

/* Non-zero if fp is a fingerprint as ovl_fingerprint writes it. */
int ovl__deny_valid(const char *fp);
/* The index of fp in dl, or dl->n if it is not there. */
size_t ovl__deny_find(const struct ovl__denylist *dl, const char *fp);
/* Adds one "client FP SINCE" line of the keys file; -EINVAL if bad. */
int ovl__deny_load_line(struct ovl__denylist *dl, const char *line)
    WARN_UNUSED_RESULT;
/* The most bytes ovl__deny_format writes for dl. */
size_t ovl__deny_text_len(const struct ovl__denylist *dl);
/* Writes dl's lines into buf (cap bytes); the length written. */
size_t ovl__deny_format(const struct ovl__denylist *dl, char *buf,
    size_t cap);
/* Appends fp (valid); -EEXIST if there, -ENOSPC if full. */
int ovl__deny_add(struct ovl__denylist *dl, const char *fp, int64_t now,
    char **cause) WARN_UNUSED_RESULT;
/* Removes fp; *at and *gone get where it was and what. -ENOENT if not. */
int ovl__deny_remove(struct ovl__denylist *dl, const char *fp, size_t *at,
    struct ovl_denied_client *gone, char **cause) WARN_UNUSED_RESULT;
/* Puts d back at index at (undoes ovl__deny_remove). */
void ovl__deny_insert(struct ovl__denylist *dl, size_t at,
    const struct ovl_denied_client *d);
/* Exchanges the contents of a and b. */
void ovl__deny_swap(struct ovl__denylist *a, struct ovl__denylist *b);
/* Calls cb (if not NULL) for each key of now that was not in before. */
void ovl__deny_gained(const struct ovl__denylist *before,
    const struct ovl__denylist *now, void (*cb)(const char *, void *),
    void *arg);

/* replay.c: internal to overlay/, the keystore's replay memory. */

struct ovl__replay;

/* Loads the replay memory kept in path (absent is empty), max clients. */
int ovl__replay_open(struct ovl__replay **out, const char *path,
    size_t max, char **cause) WARN_UNUSED_RESULT;
/* Frees it. */
void ovl__replay_free(struct ovl__replay *r);
/* The replay rule of ovl_keystore_accept_time. */
int ovl__replay_accept(struct ovl__replay *r,
    const uint8_t client[static OVL_KEY_LEN], uint64_t ts_ms,
    const uint8_t eph[static OVL_KEY_LEN], uint64_t now_ms,
    int64_t *skew_ms, char **cause) WARN_UNUSED_RESULT;

/* joinkey.c */

#define OVL_JOINKEY_PREFIX	"pier1"
#define OVL_JOINKEY_MAX_ADDRS	8
#define OVL_ADDR_MAX		264	/* host:port or [v6]:port + NUL */
#define OVL_JOINKEY_CHECK_LEN	5	/* checksum bytes */

/* Return codes of ovl_joinkey_parse, one per kind of mistake. */
#define OVL_JK_ENOTKEY		(-EINVAL)	/* not a Pier join key */
#define OVL_JK_ECHECKSUM	(-EBADMSG)	/* typo or damaged copy */
#define OVL_JK_EVERSION		(-EPROTONOSUPPORT) /* other version */
#define OVL_JK_EADDR		(-EDESTADDRREQ)	/* bad address hint */

/* What a join key carries. */
struct ovl_joinkey {
	uint8_t		node_pub[OVL_KEY_LEN];
	uint8_t		secret[OVL_KEY_LEN];
	size_t		naddrs;
	char		addrs[OVL_JOINKEY_MAX_ADDRS][OVL_ADDR_MAX];
};

/*
 * Parses a pasted join key; whitespace anywhere is ignored. Returns 0 or
 * one of OVL_JK_E*, with a message in *cause (caller frees).
 */
int ovl_joinkey_parse(const char *text, struct ovl_joinkey *jk,
    char **cause) WARN_UNUSED_RESULT;
/* The text of a join key (caller frees), NULL if out of memory. */
char *ovl_joinkey_format(const struct ovl_joinkey *jk);
/*
 * Checks one address hint, host:port or [v6]:port; 0 or OVL_JK_EADDR
 * with a message in *cause.
 */
int ovl_joinkey_check_addr(const char *addr, char **cause)
    WARN_UNUSED_RESULT;
/* Chars of lowercase base32 (RFC 4648, no padding) for len bytes. */
size_t ovl_base32_len(size_t len);
/* Encodes len bytes as lowercase base32 into out, NUL-terminated. */
void ovl_base32_encode(const uint8_t *in, size_t len, char *out);
/*
 * Decodes exactly outlen bytes from n base32 chars (either case);
 * -EINVAL on a bad char, a wrong length or non-zero spare bits.
 */
int ovl_base32_decode(const char *in, size_t n, uint8_t *out,
    size_t outlen) WARN_UNUSED_RESULT;

/* handshake.c */

#define OVL_PROTO_LABEL		"pier"
#define OVL_PROTO_VERSION	1	/* bump on any wire change */
#define OVL_HS_PROTOCOL		"Noise_IKpsk1_25519_ChaChaPoly_BLAKE2b"
#define OVL_HS_NAME_MAX		64	/* client name, UTF-8 bytes */
#define OVL_HS_MSG_MAX		256	/* bytes of message 1 or 2 */

/* Message 1's payload as the node reads it. */
struct ovl_hello {
	uint64_t	timestamp_ms;
	uint16_t	version;
	char		name[OVL_HS_NAME_MAX + 1];
};

/* What a finished handshake gives the record layer: its keys and peer. */
struct ovl_hs_keys {
	struct ovl_cipher tx, rx;
	uint8_t		hash[OVL_HASH_LEN];		/* handshake hash */
	uint8_t		remote_static[OVL_KEY_LEN];
	uint16_t	remote_version;
};

/* A client's handshake in flight, between message 1 and message 2. */
struct ovl_hs_client;

/*
 * Starts a handshake to node_pub with the access secret psk: writes
 * message 1 into msg1 (OVL_HS_MSG_MAX bytes) and sets *msg1_len. -EINVAL
 * for a name that is not UTF-8 of 1..64 bytes.
 */
int ovl_hs_client_begin(struct ovl_hs_client **out,
    const struct ovl_identity *self,
    const uint8_t node_pub[static OVL_KEY_LEN],
    const uint8_t psk[static OVL_KEY_LEN], const char *client_name,
    uint64_t now_ms, uint8_t *msg1, size_t *msg1_len) WARN_UNUSED_RESULT;
/*
 * Reads message 2 and fills out. -EBADMSG when it does not authenticate
 * or is malformed; -EPROTONOSUPPORT for a version this side cannot speak.
 */
int ovl_hs_client_finish(struct ovl_hs_client *hs, const uint8_t *msg2,
    size_t len, struct ovl_hs_keys *out) WARN_UNUSED_RESULT;
/* Frees and wipes a client handshake; NULL is fine. */
void ovl_hs_client_free(struct ovl_hs_client *hs);
/*
 * The node's side: reads message 1, tries each of the npsks secrets as
 * the psk, and on a fit fills hello, *which (index into psks), message 2
 * (OVL_HS_MSG_MAX bytes) and out. -EACCES when no secret fits, -EBADMSG
 * when malformed, -EPROTONOSUPPORT for a hello of another version; in
 * every case send nothing at all. The caller still applies the replay
 * rule (ovl_keystore_accept_time) before sending message 2.
 */
int ovl_hs_node_respond(const struct ovl_identity *self,
    const uint8_t (*psks)[OVL_KEY_LEN], size_t npsks,
    const uint8_t *msg1, size_t len, struct ovl_hello *hello,
    size_t *which, uint8_t *msg2, size_t *msg2_len,
    struct ovl_hs_keys *out) WARN_UNUSED_RESULT;
/* Wipes a handshake's keys. */
void ovl_hs_keys_clear(struct ovl_hs_keys *s);

#endif
