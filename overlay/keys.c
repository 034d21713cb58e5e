/*
 * A node's access-key store and its replay memory, both in the state
 * directory.
 *
 * access-keys (0600, rewritten atomically on every change):
 *	pier-access-keys 1
 *	key NAME ROLE CREATED SECRET-HEX
 *	client FINGERPRINT SINCE
 * A key line may go on with its limits (expiry, uses, bound client
 * keys, disabled, labels: keyattr.c); a file with any of them is
 * version 2 ("pier-access-keys 2"), which a pierd that knows only
 * version 1 refuses as damaged rather than ignore the limits. A file
 * without them stays version 1, readable by older versions.
 * A client line is a revoked client key: the node refuses that client
 * whatever access key it holds. It is named by its fingerprint, as the
 * node's log and audit log name clients, so an admin can revoke a key
 * known only from those (the fingerprint is 80 bits of a hash of the
 * key: a match by chance is out of reach). Keeping the list in this file
 * gives it the same lock, atomic rewrite, mode and re-read as the keys,
 * and a running node that watches the file sees both kinds of change.
 * Changes (create, revoke, deny, undeny: keys-deny.c; disable, enable,
 * binding a client key: keys-use.c) hold an flock on access-keys.lock and re-read
 * the file first, so a running node and `pierd key ...` in another
 * process never undo each other's changes. The running node itself only
 * writes key-used, the last-used times (KEY-ID UNIX-SECONDS), kept apart
 * so that a busy node never rewrites the file that holds the keys.
 *
 * client-times: the replay memory, see replay.c.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "overlay.h"

#define KEYS_MAGIC	"pier-access-keys 1"
#define KEYS_MAGIC_2	"pier-access-keys 2"	/* keys with limits */
#define TOUCH_GRAIN_S	60	/* last-used is saved at most this often */
#define LINE_MAX_LEN	1536	/* a key line with every limit and label */

/*
 * Which version of the access-keys file the store holds: a change by
 * another process (an atomic rename gives a new inode; an edit in place
 * a new size or mtime, in nanoseconds) makes these differ.
 */
struct file_id {
	int		present;
	dev_t		dev;
	ino_t		ino;
	off_t		size;
	struct timespec	mtime;
};

/* The store. */
struct ovl_keystore {
	char			 keys_path[PATH_MAX];
	char			 used_path[PATH_MAX];
	char			 lock_path[PATH_MAX];
	int			 keys_existed;
	struct file_id		 keys_seen;	/* the file last read */
	struct ovl_access_key	 keys[OVL_KEYS_MAX];
	uint8_t			 secrets[OVL_KEYS_MAX][OVL_KEY_LEN];
	size_t			 nkeys;
	struct ovl__denylist	 denied;
	struct ovl__replay	*replay;
	void			(*on_deny)(const char *, void *);
	void			*on_deny_arg;
};

/* [a-z0-9._-]{1,32}. */
int
ovl_key_name_valid(const char *name)
{
	size_t n;

	n = strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._-");
	return (n >= 1 && n <= OVL_KEY_NAME_MAX && name[n] == '\0');
}

/* Hex of 8 bytes of BLAKE2b-256(secret). */
void
ovl_key_id(const uint8_t secret[static OVL_KEY_LEN],
    char id[static OVL_KEY_ID_SIZE])
{
	uint8_t h[32];

	crypto_generichash(h, sizeof h, secret, OVL_KEY_LEN, NULL, 0);
	sodium_bin2hex(id, OVL_KEY_ID_SIZE, h, 8);
}

/* Rebuilds the array of secrets after a change. */
static void
sync_secrets(struct ovl_keystore *ks)
{
	size_t i;

	sodium_memzero(ks->secrets, sizeof ks->secrets);
	for (i = 0; i < ks->nkeys; i++)
		memcpy(ks->secrets[i], ks->keys[i].secret, OVL_KEY_LEN);
}

/* Fills id from st (NULL: the file is absent). */
static void
file_id_set(struct file_id *id, const struct stat *st)
{
	memset(id, 0, sizeof *id);
	if (st == NULL)
		return;
	id->present = 1;
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = st->st_size;
	id->mtime = st->st_mtim;
}

/* Notes the access-keys file as it is on disk now (after a save). */
static void
file_id_update(struct ovl_keystore *ks)
{
	struct stat st;

	file_id_set(&ks->keys_seen, stat(ks->keys_path, &st) == 0 ? &st :
	    NULL);
}

/* Writes the access-keys file. */
static int
save_keys(struct ovl_keystore *ks, char **cause)
{
	const struct ovl_access_key *k;
	char hex[2 * OVL_KEY_LEN + 1], *buf;
	size_t cap, off, i;
	int error, v2;

	cap = sizeof KEYS_MAGIC + 1 + ks->nkeys * LINE_MAX_LEN +
	    ovl__deny_text_len(&ks->denied);
	buf = malloc(cap);
	if (buf == NULL)
		return (-ENOMEM);
	v2 = 0;
	for (i = 0; i < ks->nkeys; i++)
		v2 |= ovl__key_has_attr(&ks->keys[i]);
	off = (size_t)snprintf(buf, cap, "%s\n", v2 ? KEYS_MAGIC_2 :
	    KEYS_MAGIC);
	for (i = 0; i < ks->nkeys; i++) {
		k = &ks->keys[i];
		sodium_bin2hex(hex, sizeof hex, k->secret, OVL_KEY_LEN);
		off += (size_t)snprintf(buf + off, cap - off,
		    "key %s %s %" PRId64 " %s", k->name,
		    proto_role_name(k->role), k->created, hex);
		off += ovl__key_attr_format(k, buf + off, cap - off - 1);
		buf[off++] = '\n';
	}
	sodium_memzero(hex, sizeof hex);
	off += ovl__deny_format(&ks->denied, buf + off, cap - off);
	error = ovl_file_write_atomic(ks->keys_path, buf, off, 0600, cause);
	sodium_memzero(buf, cap);
	free(buf);
	if (error == 0) {
		ks->keys_existed = 1;
		file_id_update(ks);
	}
	return (error);
}

/* Parses one "key ..." line into k. */
static int
parse_key_line(char *line, int v2, struct ovl_access_key *k)
{
	char name[OVL_KEY_NAME_MAX + 2], role[16], hex[2 * OVL_KEY_LEN + 2];
	size_t n;
	int used;

	memset(k, 0, sizeof *k);
	if (sscanf(line, "key %33s %15s %" SCNd64 " %65s%n", name, role,
	    &k->created, hex, &used) != 4 || (line[used] != '\0' &&
	    (!v2 || line[used] != ' ')))
		return (-EINVAL);
	if (!ovl_key_name_valid(name) || proto_role_parse(role, &k->role) != 0)
		return (-EINVAL);
	if (strlen(hex) != 2 * OVL_KEY_LEN || sodium_hex2bin(k->secret,
	    OVL_KEY_LEN, hex, strlen(hex), NULL, &n, NULL) != 0 ||
	    n != OVL_KEY_LEN)
		return (-EINVAL);
	sodium_memzero(hex, sizeof hex);
	strcpy(k->name, name);
	ovl_key_id(k->secret, k->id);
	return (ovl__key_attr_parse(k, line + used));
}

/* Opens path for reading, refusing one others may read; NULL if absent. */
static int
open_private(const char *path, FILE **out, struct stat *stp, char **cause)
{
	struct stat st;
	int fd, error;

	*out = NULL;
	memset(stp, 0, sizeof *stp);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return (0);
	if (fd < 0) {
		error = -errno;
		ovl__set_cause(cause, "open %s: %s", path, strerror(errno));
		return (error);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		ovl__set_cause(cause, "%s is not a regular file", path);
		close(fd);
		return (-EINVAL);
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		ovl__set_cause(cause, "%s is accessible by others (mode %04o); "
		    "refusing to use it. Fix with: chmod 600 %s", path,
		    (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return (-EPERM);
	}
	*out = fdopen(fd, "r");
	if (*out == NULL) {
		close(fd);
		return (-ENOMEM);
	}
	*stp = st;
	return (0);
}

/* Reads the access-keys file. */
static int
load_keys(struct ovl_keystore *ks, char **cause)
{
	struct ovl_access_key k;
	struct stat st;
	char line[LINE_MAX_LEN + 2];
	FILE *f;
	size_t lineno = 0, n, i;
	int error, v2 = 0;

	error = open_private(ks->keys_path, &f, &st, cause);
	if (error != 0)
		return (error);
	/* What is read is the file as fstat saw it: a later change shows. */
	file_id_set(&ks->keys_seen, f != NULL ? &st : NULL);
	if (f == NULL)
		return (0);
	ks->keys_existed = 1;
	while (fgets(line, sizeof line, f) != NULL) {
		lineno++;
		n = strlen(line);
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		else if (!feof(f)) {
			error = -EINVAL;
			break;
		}
		if (lineno == 1) {
			v2 = strcmp(line, KEYS_MAGIC_2) == 0;
			if (!v2 && strcmp(line, KEYS_MAGIC) != 0) {
				error = -EINVAL;
				break;
			}
			continue;
		}
		if (n == 0 || line[0] == '#')
			continue;
		if (strncmp(line, "client ", 7) == 0) {
			error = ovl__deny_load_line(&ks->denied, line);
			if (error != 0)
				break;
			continue;
		}
		if (ks->nkeys == OVL_KEYS_MAX ||
		    parse_key_line(line, v2, &k) != 0) {
			error = -EINVAL;
			break;
		}
		for (i = 0; i < ks->nkeys; i++)
			if (strcmp(ks->keys[i].name, k.name) == 0)
				error = -EINVAL;
		if (error != 0)
			break;
		ks->keys[ks->nkeys++] = k;
	}
	sodium_memzero(line, sizeof line);
	sodium_memzero(&k, sizeof k);
	fclose(f);
	if (error == 0 && lineno == 0)
		error = -EINVAL;
	if (error != 0)
		ovl__set_cause(cause, "%s: line %zu is damaged; fix or remove "
		    "it", ks->keys_path, lineno);
	sync_secrets(ks);
	return (error);
}

/* Reads key-used into the keys' last-used times; bad lines are skipped. */
static void
load_used(struct ovl_keystore *ks)
{
	char line[LINE_MAX_LEN + 2], id[OVL_KEY_ID_SIZE + 1];
	int64_t t;
	FILE *f;
	size_t i;
	int used;

	f = fopen(ks->used_path, "re");
	if (f == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "%17s %" SCNd64 "%n", id, &t, &used) != 2 ||
		    line[used] != '\n')
			continue;
		for (i = 0; i < ks->nkeys; i++)
			if (strcmp(ks->keys[i].id, id) == 0 &&
			    t > ks->keys[i].last_used)
				ks->keys[i].last_used = t;
	}
	fclose(f);
}

/* Writes key-used: the keys that were ever used, with the time. */
static int
save_used(struct ovl_keystore *ks, char **cause)
{
	char *buf;
	size_t cap, off = 0, i;
	int error;

	cap = 1 + ks->nkeys * (OVL_KEY_ID_SIZE + 24);
	buf = malloc(cap);
	if (buf == NULL)
		return (-ENOMEM);
	buf[0] = '\0';
	for (i = 0; i < ks->nkeys; i++) {
		if (ks->keys[i].last_used == 0)
			continue;
		off += (size_t)snprintf(buf + off, cap - off, "%s %" PRId64
		    "\n", ks->keys[i].id, ks->keys[i].last_used);
	}
	error = ovl_file_write_atomic(ks->used_path, buf, off, 0600, cause);
	free(buf);
	return (error);
}

/*
 * Re-reads the keys from disk and takes them over; last-used times noted
 * in memory survive. On failure the store is left as it was.
 */
static int
refresh(struct ovl_keystore *ks, char **cause)
{
	struct ovl_keystore *fresh;
	struct ovl_access_key *k;
	size_t i, j;
	int error;

	fresh = calloc(1, sizeof *fresh);
	if (fresh == NULL)
		return (-ENOMEM);
	memcpy(fresh->keys_path, ks->keys_path, sizeof ks->keys_path);
	memcpy(fresh->used_path, ks->used_path, sizeof ks->used_path);
	error = load_keys(fresh, cause);
	if (error == 0) {
		load_used(fresh);
		for (i = 0; i < fresh->nkeys; i++) {
			k = &fresh->keys[i];
			for (j = 0; j < ks->nkeys; j++)
				if (strcmp(ks->keys[j].id, k->id) == 0 &&
				    ks->keys[j].last_used > k->last_used)
					k->last_used = ks->keys[j].last_used;
		}
		/* Only the slots in use: the rest stay untouched pages. */
		memcpy(ks->keys, fresh->keys, fresh->nkeys * sizeof ks->keys[0]);
		if (ks->nkeys > fresh->nkeys)
			sodium_memzero(&ks->keys[fresh->nkeys], (ks->nkeys -
			    fresh->nkeys) * sizeof ks->keys[0]);
		ks->nkeys = fresh->nkeys;
		ks->keys_existed = fresh->keys_existed;
		ks->keys_seen = fresh->keys_seen;
		sync_secrets(ks);
		ovl__deny_swap(&ks->denied, &fresh->denied);
		ovl__deny_gained(&fresh->denied, &ks->denied, ks->on_deny,
		    ks->on_deny_arg);
	} else if (fresh->keys_seen.present) {
		/* A damaged file is not re-read on every handshake. */
		ks->keys_seen = fresh->keys_seen;
	}
	sodium_memzero(fresh, sizeof *fresh);
	free(fresh);
	return (error);
}

/* Takes the store's lock (blocking; holders keep it for milliseconds). */
static int
lock_store(struct ovl_keystore *ks, int *fd, char **cause)
{
	int error;

	*fd = open(ks->lock_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (*fd < 0) {
		error = -errno;
		ovl__set_cause(cause, "open %s: %s", ks->lock_path,
		    strerror(errno));
		return (error);
	}
	while (flock(*fd, LOCK_EX) != 0) {
		if (errno == EINTR)
			continue;
		error = -errno;
		ovl__set_cause(cause, "lock %s: %s", ks->lock_path,
		    strerror(errno));
		close(*fd);
		return (error);
	}
	return (0);
}

/* Opens the store in dir. */
int
ovl_keystore_open(struct ovl_keystore **out, const char *dir, char **cause)
{
	struct ovl_keystore *ks;
	char path[PATH_MAX];
	int error;

	*out = NULL;
	if (cause != NULL)
		*cause = NULL;
	if (sodium_init() < 0)
		return (-EIO);
	error = ovl_dir_ensure(dir, cause);
	if (error != 0)
		return (error);
	ks = calloc(1, sizeof *ks);
	if (ks == NULL)
		return (-ENOMEM);
	if (strlen(dir) + 32 > PATH_MAX) {
		ovl__set_cause(cause, "path too long: %s", dir);
		error = -ENAMETOOLONG;
		goto fail;
	}
	snprintf(ks->keys_path, PATH_MAX, "%s/%s", dir, OVL_KEYS_FILE);
	snprintf(ks->used_path, PATH_MAX, "%s/%s", dir, OVL_KEYS_USED_FILE);
	snprintf(ks->lock_path, PATH_MAX, "%s/%s.lock", dir, OVL_KEYS_FILE);
	snprintf(path, sizeof path, "%s/%s", dir, OVL_CLIENTS_FILE);
	error = load_keys(ks, cause);
	if (error == 0) {
		load_used(ks);
		error = ovl__replay_open(&ks->replay, path,
		    OVL_CLIENTS_MAX, cause);
	}
	if (error != 0)
		goto fail;
	*out = ks;
	return (0);
fail:
	ovl_keystore_free(ks);
	return (error);
}

/* Frees and wipes. */
void
ovl_keystore_free(struct ovl_keystore *ks)
{
	if (ks == NULL)
		return;
	ovl__replay_free(ks->replay);
	sodium_memzero(ks, sizeof *ks);
	free(ks);
}

/* Adds a key to a store that is locked and fresh from disk. */
static int
create_locked(struct ovl_keystore *ks, const char *name, enum proto_role role,
    const struct ovl_key_limits *lim, int64_t now,
    const struct ovl_access_key **out, char **cause)
{
	struct ovl_access_key *k;
	int error;

	if (ovl_keystore_find(ks, name) != NULL) {
		ovl__set_cause(cause, "a key named %s exists already", name);
		return (-EEXIST);
	}
	if (ks->nkeys == OVL_KEYS_MAX) {
		ovl__set_cause(cause, "too many keys (%d); revoke one first",
		    OVL_KEYS_MAX);
		return (-ENOSPC);
	}
	k = &ks->keys[ks->nkeys];
	memset(k, 0, sizeof *k);
	strcpy(k->name, name);
	k->role = role;
	k->created = now;
	if (lim != NULL) {
		k->expires = lim->expires;
		k->uses = lim->uses;
		k->nlabels = lim->nlabels;
		memcpy(k->labels, lim->labels, sizeof k->labels);
	}
	randombytes_buf(k->secret, OVL_KEY_LEN);
	ovl_key_id(k->secret, k->id);
	ks->nkeys++;
	error = save_keys(ks, cause);
	if (error != 0) {
		ks->nkeys--;
		sodium_memzero(k, sizeof *k);
		return (error);
	}
	sync_secrets(ks);
	if (out != NULL)
		*out = k;
	return (0);
}

/* Creates a key. */
int
ovl_keystore_create(struct ovl_keystore *ks, const char *name,
    enum proto_role role, int64_t now, const struct ovl_access_key **out,
    char **cause)
{
	return (ovl_keystore_create_with(ks, name, role, NULL, now, out,
	    cause));
}

/* Creates a key with limits. */
int
ovl_keystore_create_with(struct ovl_keystore *ks, const char *name,
    enum proto_role role, const struct ovl_key_limits *lim, int64_t now,
    const struct ovl_access_key **out, char **cause)
{
	int fd, error;

	if (cause != NULL)
		*cause = NULL;
	if (out != NULL)
		*out = NULL;
	if (!ovl_key_name_valid(name)) {
		ovl__set_cause(cause, "bad key name \"%s\": use 1 to %d of "
		    "a-z 0-9 . _ -", name, OVL_KEY_NAME_MAX);
		return (-EINVAL);
	}
	if (role < PROTO_ROLE_VIEWER || role > PROTO_ROLE_RELAY) {
		ovl__set_cause(cause, "bad role");
		return (-EINVAL);
	}
	if (lim != NULL && lim->expires != 0 && lim->expires <= now) {
		ovl__set_cause(cause, "the expiry is not in the future");
		return (-EINVAL);
	}
	if (lim != NULL && (lim->uses > OVL_KEY_USES_MAX ||
	    lim->nlabels > OVL_KEY_LABELS_MAX)) {
		ovl__set_cause(cause, "uses is 0 (any number) to %d",
		    OVL_KEY_USES_MAX);
		return (-EINVAL);
	}
	error = lock_store(ks, &fd, cause);
	if (error != 0)
		return (error);
	error = refresh(ks, cause);
	if (error == 0)
		error = create_locked(ks, name, role, lim, now, out, cause);
	close(fd);
	return (error);
}

/* Creates "admin" on a first start. */
int
ovl_keystore_ensure_admin(struct ovl_keystore *ks, int64_t now,
    const struct ovl_access_key **created, char **cause)
{
	int fd, error;

	if (created != NULL)
		*created = NULL;
	if (cause != NULL)
		*cause = NULL;
	if (ks->keys_existed || ks->nkeys > 0)
		return (0);
	error = lock_store(ks, &fd, cause);
	if (error != 0)
		return (error);
	error = refresh(ks, cause);
	if (error == 0 && !ks->keys_existed && ks->nkeys == 0)
		error = create_locked(ks, "admin", PROTO_ROLE_ADMIN, NULL, now,
		    created, cause);
	close(fd);
	return (error);
}

/* Number of keys. */
size_t
ovl_keystore_count(const struct ovl_keystore *ks)
{
	return (ks->nkeys);
}

/* Key i. */
const struct ovl_access_key *
ovl_keystore_get(const struct ovl_keystore *ks, size_t i)
{
	return (i < ks->nkeys ? &ks->keys[i] : NULL);
}

/* Key by name. */
const struct ovl_access_key *
ovl_keystore_find(const struct ovl_keystore *ks, const char *name)
{
	size_t i;

	for (i = 0; i < ks->nkeys; i++)
		if (strcmp(ks->keys[i].name, name) == 0)
			return (&ks->keys[i]);
	return (NULL);
}

/* Removes a key. */
int
ovl_keystore_revoke(struct ovl_keystore *ks, const char *name, char **cause)
{
	struct ovl_access_key gone;
	size_t i;
	int fd, error;

	if (cause != NULL)
		*cause = NULL;
	error = lock_store(ks, &fd, cause);
	if (error != 0)
		return (error);
	error = refresh(ks, cause);
	if (error != 0)
		goto out;
	for (i = 0; i < ks->nkeys; i++)
		if (strcmp(ks->keys[i].name, name) == 0)
			break;
	if (i == ks->nkeys) {
		ovl__set_cause(cause, "no key named %s", name);
		error = -ENOENT;
		goto out;
	}
	gone = ks->keys[i];
	memmove(&ks->keys[i], &ks->keys[i + 1],
	    (ks->nkeys - i - 1) * sizeof ks->keys[0]);
	ks->nkeys--;
	sodium_memzero(&ks->keys[ks->nkeys], sizeof ks->keys[0]);
	error = save_keys(ks, cause);
	if (error != 0) {
		memmove(&ks->keys[i + 1], &ks->keys[i],
		    (ks->nkeys - i) * sizeof ks->keys[0]);
		ks->keys[i] = gone;
		ks->nkeys++;
	}
	sodium_memzero(&gone, sizeof gone);
	sync_secrets(ks);
out:
	close(fd);
	return (error);
}

/* Re-reads the access keys in place; unchanged on failure. */
int
ovl_keystore_reload(struct ovl_keystore *ks, char **cause)
{
	if (cause != NULL)
		*cause = NULL;
	return (refresh(ks, cause));
}

/* Non-zero if the access-keys file is not the one last read. */
int
ovl_keystore_changed(const struct ovl_keystore *ks)
{
	struct file_id now;
	struct stat st;

	file_id_set(&now, stat(ks->keys_path, &st) == 0 ? &st : NULL);
	return (now.present != ks->keys_seen.present ||
	    now.dev != ks->keys_seen.dev || now.ino != ks->keys_seen.ino ||
	    now.size != ks->keys_seen.size ||
	    now.mtime.tv_sec != ks->keys_seen.mtime.tv_sec ||
	    now.mtime.tv_nsec != ks->keys_seen.mtime.tv_nsec);
}

/* Notes a use of key i; saved to key-used at most once a minute. */
int
ovl_keystore_touch(struct ovl_keystore *ks, size_t i, int64_t now,
    char **cause)
{
	if (cause != NULL)
		*cause = NULL;
	if (i >= ks->nkeys)
		return (-EINVAL);
	if (now < ks->keys[i].last_used + TOUCH_GRAIN_S &&
	    now >= ks->keys[i].last_used)
		return (0);
	ks->keys[i].last_used = now;
	return (save_used(ks, cause));
}

/* The active secrets. */
const uint8_t (*ovl_keystore_secrets(const struct ovl_keystore *ks,
    size_t *n))[OVL_KEY_LEN]
{
	*n = ks->nkeys;
	return ((const uint8_t (*)[OVL_KEY_LEN])ks->secrets);
}

/* The replay rule, kept by replay.c. */
int
ovl_keystore_accept_time(struct ovl_keystore *ks,
    const uint8_t client[static OVL_KEY_LEN], uint64_t ts_ms,
    const uint8_t eph[static OVL_KEY_LEN], uint64_t now_ms,
    int64_t *skew_ms, char **cause)
{
	if (cause != NULL)
		*cause = NULL;
	return (ovl__replay_accept(ks->replay, client, ts_ms, eph, now_ms,
	    skew_ms, cause));
}

/* Sets the watcher of newly revoked client keys. */
void
ovl_keystore_on_deny(struct ovl_keystore *ks,
    void (*cb)(const char *fp, void *arg), void *arg)
{
	ks->on_deny = cb;
	ks->on_deny_arg = arg;
}

/* Internal: locks the store and re-reads it; *fd to close after. */
int
ovl__keystore_begin(struct ovl_keystore *ks, int *fd, char **cause)
{
	int error;

	error = lock_store(ks, fd, cause);
	if (error != 0)
		return (error);
	error = refresh(ks, cause);
	if (error != 0)
		close(*fd);
	return (error);
}

/* Internal: the key named name, to change (after ovl__keystore_begin). */
struct ovl_access_key *
ovl__keystore_key(struct ovl_keystore *ks, const char *name)
{
	return ((struct ovl_access_key *)ovl_keystore_find(ks, name));
}

/* Internal: saves a changed store and unlocks it. */
int
ovl__keystore_commit(struct ovl_keystore *ks, int fd, char **cause)
{
	int error;

	error = save_keys(ks, cause);
	if (error != 0)
		(void)refresh(ks, NULL);	/* back to what the disk says */
	close(fd);
	return (error);
}

/* Internal: the store's revoked client keys. */
struct ovl__denylist *
ovl__keystore_denied(const struct ovl_keystore *ks)
{
	return ((struct ovl__denylist *)&ks->denied);
}

/* Internal: tells the watcher that fp became revoked. */
void
ovl__keystore_told_deny(struct ovl_keystore *ks, const char *fp)
{
	if (ks->on_deny != NULL)
		ks->on_deny(fp, ks->on_deny_arg);
}
