/*
 * A node's access-key store and its replay memory, both in the state
 * directory.
 *
 * access-keys (0600, rewritten atomically on every change):
 *	pier-access-keys 1
 *	key NAME ROLE CREATED LAST_USED SECRET-HEX
 * client-times (0600): the last accepted handshake time per client key,
 *	floor MS
 *	CLIENT-KEY-HEX MS
 * appended to on each accepted handshake (a later line wins) and
 * compacted atomically when it grows, so a restart does not reopen the
 * replay window. When OVL_CLIENTS_MAX clients are remembered the oldest
 * is dropped and its time becomes the floor that unknown clients must
 * beat.
 */
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
#define TOUCH_GRAIN_S	60	/* last-used is saved at most this often */
#define LINE_MAX_LEN	256

/* The last accepted handshake time of one client key. */
struct client_time {
	uint8_t		key[OVL_KEY_LEN];
	uint64_t	ms;
};

/* The store. */
struct ovl_keystore {
	char			 keys_path[PATH_MAX];
	char			 clients_path[PATH_MAX];
	int			 keys_existed;
	struct ovl_access_key	 keys[OVL_KEYS_MAX];
	uint8_t			 secrets[OVL_KEYS_MAX][OVL_KEY_LEN];
	size_t			 nkeys;
	struct client_time	*clients;	/* sorted by key */
	size_t			 nclients, cap;
	size_t			 appended;	/* lines since compaction */
	uint64_t		 floor_ms;
};

static const char *const role_names[] = {
	[OVL_ROLE_VIEWER] = "viewer",
	[OVL_ROLE_OPERATOR] = "operator",
	[OVL_ROLE_ADMIN] = "admin",
};

/* A role's name. */
const char *
ovl_role_name(enum ovl_role role)
{
	if (role < OVL_ROLE_VIEWER || role > OVL_ROLE_ADMIN)
		return ("?");
	return (role_names[role]);
}

/* Parses a role's name. */
int
ovl_role_parse(const char *s, enum ovl_role *role)
{
	int r;

	for (r = OVL_ROLE_VIEWER; r <= OVL_ROLE_ADMIN; r++) {
		if (strcmp(s, role_names[r]) == 0) {
			*role = (enum ovl_role)r;
			return (0);
		}
	}
	return (-EINVAL);
}

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

/* Writes the access-keys file. */
static int
save_keys(struct ovl_keystore *ks, char **cause)
{
	const struct ovl_access_key *k;
	char hex[2 * OVL_KEY_LEN + 1], *buf;
	size_t cap, off, i;
	int error;

	cap = sizeof KEYS_MAGIC + 1 + ks->nkeys * LINE_MAX_LEN;
	buf = malloc(cap);
	if (buf == NULL)
		return (-ENOMEM);
	off = (size_t)snprintf(buf, cap, "%s\n", KEYS_MAGIC);
	for (i = 0; i < ks->nkeys; i++) {
		k = &ks->keys[i];
		sodium_bin2hex(hex, sizeof hex, k->secret, OVL_KEY_LEN);
		off += (size_t)snprintf(buf + off, cap - off,
		    "key %s %s %" PRId64 " %" PRId64 " %s\n", k->name,
		    ovl_role_name(k->role), k->created, k->last_used, hex);
	}
	sodium_memzero(hex, sizeof hex);
	error = ovl_file_write_atomic(ks->keys_path, buf, off, 0600, cause);
	sodium_memzero(buf, cap);
	free(buf);
	if (error == 0)
		ks->keys_existed = 1;
	return (error);
}

/* Parses one "key ..." line into k. */
static int
parse_key_line(char *line, struct ovl_access_key *k)
{
	char name[OVL_KEY_NAME_MAX + 2], role[16], hex[2 * OVL_KEY_LEN + 2];
	size_t n;
	int used;

	memset(k, 0, sizeof *k);
	if (sscanf(line, "key %33s %15s %" SCNd64 " %" SCNd64 " %65s%n", name,
	    role, &k->created, &k->last_used, hex, &used) != 5 ||
	    line[used] != '\0')
		return (-EINVAL);
	if (!ovl_key_name_valid(name) || ovl_role_parse(role, &k->role) != 0)
		return (-EINVAL);
	if (strlen(hex) != 2 * OVL_KEY_LEN || sodium_hex2bin(k->secret,
	    OVL_KEY_LEN, hex, strlen(hex), NULL, &n, NULL) != 0 ||
	    n != OVL_KEY_LEN)
		return (-EINVAL);
	sodium_memzero(hex, sizeof hex);
	strcpy(k->name, name);
	ovl_key_id(k->secret, k->id);
	return (0);
}

/* Opens path for reading, refusing one others may read; NULL if absent. */
static int
open_private(const char *path, FILE **out, char **cause)
{
	struct stat st;
	int fd, error;

	*out = NULL;
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
	return (0);
}

/* Reads the access-keys file. */
static int
load_keys(struct ovl_keystore *ks, char **cause)
{
	struct ovl_access_key k;
	char line[LINE_MAX_LEN + 2];
	FILE *f;
	size_t lineno = 0, n, i;
	int error;

	error = open_private(ks->keys_path, &f, cause);
	if (error != 0 || f == NULL)
		return (error);
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
			if (strcmp(line, KEYS_MAGIC) != 0) {
				error = -EINVAL;
				break;
			}
			continue;
		}
		if (n == 0 || line[0] == '#')
			continue;
		if (ks->nkeys == OVL_KEYS_MAX ||
		    parse_key_line(line, &k) != 0) {
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

/* Finds a client's slot: its index, or where it would go (*found 0). */
static size_t
client_find(const struct ovl_keystore *ks, const uint8_t key[static 32],
    int *found)
{
	size_t lo = 0, hi = ks->nclients, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = memcmp(ks->clients[mid].key, key, OVL_KEY_LEN);
		if (c == 0) {
			*found = 1;
			return (mid);
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return (lo);
}

/* Records ms for a client in memory, dropping the oldest when full. */
static int
client_set(struct ovl_keystore *ks, const uint8_t key[static 32], uint64_t ms)
{
	struct client_time *p;
	size_t i, old;
	int found;

	i = client_find(ks, key, &found);
	if (found) {
		if (ms > ks->clients[i].ms)
			ks->clients[i].ms = ms;
		return (0);
	}
	if (ks->nclients == OVL_CLIENTS_MAX) {
		old = 0;
		for (i = 1; i < ks->nclients; i++)
			if (ks->clients[i].ms < ks->clients[old].ms)
				old = i;
		if (ks->clients[old].ms > ks->floor_ms)
			ks->floor_ms = ks->clients[old].ms;
		memmove(&ks->clients[old], &ks->clients[old + 1],
		    (ks->nclients - old - 1) * sizeof *ks->clients);
		ks->nclients--;
		i = client_find(ks, key, &found);
	}
	if (ks->nclients == ks->cap) {
		p = reallocarray(ks->clients, ks->cap ? ks->cap * 2 : 16,
		    sizeof *p);
		if (p == NULL)
			return (-ENOMEM);
		ks->clients = p;
		ks->cap = ks->cap ? ks->cap * 2 : 16;
	}
	memmove(&ks->clients[i + 1], &ks->clients[i],
	    (ks->nclients - i) * sizeof *ks->clients);
	memcpy(ks->clients[i].key, key, OVL_KEY_LEN);
	ks->clients[i].ms = ms;
	ks->nclients++;
	return (0);
}

/* Rewrites client-times with one line per client. */
static int
save_clients(struct ovl_keystore *ks, char **cause)
{
	char *buf, hex[2 * OVL_KEY_LEN + 1];
	size_t cap, off, i;
	int error;

	cap = 32 + ks->nclients * (sizeof hex + 24);
	buf = malloc(cap);
	if (buf == NULL)
		return (-ENOMEM);
	off = (size_t)snprintf(buf, cap, "floor %" PRIu64 "\n", ks->floor_ms);
	for (i = 0; i < ks->nclients; i++) {
		sodium_bin2hex(hex, sizeof hex, ks->clients[i].key,
		    OVL_KEY_LEN);
		off += (size_t)snprintf(buf + off, cap - off, "%s %" PRIu64
		    "\n", hex, ks->clients[i].ms);
	}
	error = ovl_file_write_atomic(ks->clients_path, buf, off, 0600, cause);
	free(buf);
	if (error == 0)
		ks->appended = 0;
	return (error);
}

/* Reads client-times; damaged lines (a torn append) are skipped. */
static int
load_clients(struct ovl_keystore *ks, char **cause)
{
	char line[LINE_MAX_LEN + 2], hex[2 * OVL_KEY_LEN + 2];
	uint8_t key[OVL_KEY_LEN];
	uint64_t ms;
	FILE *f;
	size_t n;
	int error = 0, used;

	error = open_private(ks->clients_path, &f, cause);
	if (error != 0 || f == NULL)
		return (error);
	while (error == 0 && fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "floor %" SCNu64, &ms) == 1) {
			if (ms > ks->floor_ms)
				ks->floor_ms = ms;
			continue;
		}
		if (sscanf(line, "%65s %" SCNu64 "%n", hex, &ms, &used) != 2 ||
		    line[used] != '\n' || strlen(hex) != 2 * OVL_KEY_LEN ||
		    sodium_hex2bin(key, sizeof key, hex, strlen(hex), NULL, &n,
		    NULL) != 0 || n != OVL_KEY_LEN)
			continue;
		error = client_set(ks, key, ms);
		ks->appended++;
	}
	fclose(f);
	return (error);
}

/* Opens the store in dir. */
int
ovl_keystore_open(struct ovl_keystore **out, const char *dir, char **cause)
{
	struct ovl_keystore *ks;
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
	if (snprintf(ks->keys_path, sizeof ks->keys_path, "%s/%s", dir,
	    OVL_KEYS_FILE) >= (int)sizeof ks->keys_path ||
	    snprintf(ks->clients_path, sizeof ks->clients_path, "%s/%s", dir,
	    OVL_CLIENTS_FILE) >= (int)sizeof ks->clients_path) {
		ovl__set_cause(cause, "path too long: %s", dir);
		error = -ENAMETOOLONG;
		goto fail;
	}
	error = load_keys(ks, cause);
	if (error == 0)
		error = load_clients(ks, cause);
	if (error == 0 && ks->appended > ks->nclients)
		error = save_clients(ks, cause);
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
	free(ks->clients);
	sodium_memzero(ks, sizeof *ks);
	free(ks);
}

/* Creates a key. */
int
ovl_keystore_create(struct ovl_keystore *ks, const char *name,
    enum ovl_role role, int64_t now, const struct ovl_access_key **out,
    char **cause)
{
	struct ovl_access_key *k;
	int error;

	if (cause != NULL)
		*cause = NULL;
	if (out != NULL)
		*out = NULL;
	if (!ovl_key_name_valid(name)) {
		ovl__set_cause(cause, "bad key name \"%s\": use 1 to %d of "
		    "a-z 0-9 . _ -", name, OVL_KEY_NAME_MAX);
		return (-EINVAL);
	}
	if (role < OVL_ROLE_VIEWER || role > OVL_ROLE_ADMIN) {
		ovl__set_cause(cause, "bad role");
		return (-EINVAL);
	}
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

/* Creates "admin" on a first start. */
int
ovl_keystore_ensure_admin(struct ovl_keystore *ks, int64_t now,
    const struct ovl_access_key **created, char **cause)
{
	if (created != NULL)
		*created = NULL;
	if (cause != NULL)
		*cause = NULL;
	if (ks->keys_existed || ks->nkeys > 0)
		return (0);
	return (ovl_keystore_create(ks, "admin", OVL_ROLE_ADMIN, now, created,
	    cause));
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
	int error;

	if (cause != NULL)
		*cause = NULL;
	for (i = 0; i < ks->nkeys; i++)
		if (strcmp(ks->keys[i].name, name) == 0)
			break;
	if (i == ks->nkeys) {
		ovl__set_cause(cause, "no key named %s", name);
		return (-ENOENT);
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
	return (error);
}

/* Re-reads the access-keys file in place; unchanged on failure. */
int
ovl_keystore_reload(struct ovl_keystore *ks, char **cause)
{
	struct ovl_keystore *fresh;
	int error;

	if (cause != NULL)
		*cause = NULL;
	fresh = calloc(1, sizeof *fresh);
	if (fresh == NULL)
		return (-ENOMEM);
	memcpy(fresh->keys_path, ks->keys_path, sizeof ks->keys_path);
	error = load_keys(fresh, cause);
	if (error == 0) {
		memcpy(ks->keys, fresh->keys, sizeof ks->keys);
		ks->nkeys = fresh->nkeys;
		ks->keys_existed = fresh->keys_existed;
		sync_secrets(ks);
	}
	sodium_memzero(fresh, sizeof *fresh);
	free(fresh);
	return (error);
}

/* Notes a use of key i. */
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
	return (save_keys(ks, cause));
}

/* The active secrets. */
const uint8_t (*ovl_keystore_secrets(const struct ovl_keystore *ks,
    size_t *n))[OVL_KEY_LEN]
{
	*n = ks->nkeys;
	return ((const uint8_t (*)[OVL_KEY_LEN])ks->secrets);
}

/* Appends one client time to client-times (no fsync; see the top). */
static int
append_client(struct ovl_keystore *ks, const uint8_t key[static 32],
    uint64_t ms, char **cause)
{
	char line[2 * OVL_KEY_LEN + 32], hex[2 * OVL_KEY_LEN + 1];
	size_t len, off = 0;
	ssize_t n;
	int fd, error = 0;

	if (ks->appended >= 2 * ks->nclients + 64)
		return (save_clients(ks, cause));
	sodium_bin2hex(hex, sizeof hex, key, OVL_KEY_LEN);
	len = (size_t)snprintf(line, sizeof line, "%s %" PRIu64 "\n", hex, ms);
	fd = open(ks->clients_path, O_WRONLY | O_APPEND | O_CREAT |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		error = -errno;
		ovl__set_cause(cause, "open %s: %s", ks->clients_path,
		    strerror(errno));
		return (error);
	}
	while (off < len) {
		n = write(fd, line + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error = -errno;
			ovl__set_cause(cause, "write %s: %s", ks->clients_path,
			    strerror(errno));
			break;
		}
		off += (size_t)n;
	}
	close(fd);
	ks->appended++;
	return (error);
}

/* The replay rule. */
int
ovl_keystore_accept_time(struct ovl_keystore *ks,
    const uint8_t client[static OVL_KEY_LEN], uint64_t ts_ms, char **cause)
{
	size_t i;
	int found, error;

	if (cause != NULL)
		*cause = NULL;
	i = client_find(ks, client, &found);
	if ((found && ts_ms <= ks->clients[i].ms) ||
	    (!found && ts_ms <= ks->floor_ms)) {
		ovl__set_cause(cause, "replayed or stale handshake (time %"
		    PRIu64 " is not newer than %" PRIu64 ")", ts_ms,
		    found ? ks->clients[i].ms : ks->floor_ms);
		return (-EALREADY);
	}
	error = client_set(ks, client, ts_ms);
	if (error == 0)
		error = append_client(ks, client, ts_ms, cause);
	return (error);
}
