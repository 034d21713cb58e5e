/*
 * Static key pairs on disk: a node's identity in its state directory and
 * a client's in its config directory. The file holds one line,
 *
 *	pier-x25519-private <64 hex digits>
 *
 * with mode 0600 in a 0700 directory, written atomically so a crash never
 * leaves half a key. As ssh does, a key file that group or others can
 * read is refused with the command that fixes it. Also the atomic file
 * writer that keys.c shares.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "overlay.h"

#define KEY_TAG		"pier-x25519-private "
#define FILE_MAX	256	/* a key file is one short line */

/* Sets *cause to a formatted message (if cause is not NULL). */
void
ovl__set_cause(char **cause, const char *fmt, ...)
{
	va_list ap;

	if (cause == NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) < 0)
		*cause = NULL;
	va_end(ap);
}

/* A fresh key pair. */
void
ovl_identity_generate(struct ovl_identity *id)
{
	if (sodium_init() < 0)
		abort();
	randombytes_buf(id->priv, OVL_KEY_LEN);
	crypto_scalarmult_base(id->pub, id->priv);
}

/* The pair from a private key. */
int
ovl_identity_from_private(struct ovl_identity *id,
    const uint8_t priv[static OVL_KEY_LEN])
{
	if (sodium_init() < 0)
		return (-EIO);
	memcpy(id->priv, priv, OVL_KEY_LEN);
	if (crypto_scalarmult_base(id->pub, id->priv) != 0)
		return (-EINVAL);
	return (0);
}

/* Wipes the pair. */
void
ovl_identity_clear(struct ovl_identity *id)
{
	sodium_memzero(id, sizeof *id);
}

/* "abcd-efgh-ijkl-mnop": base32 of 10 bytes of BLAKE2b-256(pub). */
void
ovl_fingerprint(const uint8_t pub[static OVL_KEY_LEN],
    char out[static OVL_FINGERPRINT_SIZE])
{
	uint8_t h[32];
	char b[17];
	int i, o = 0;

	crypto_generichash(h, sizeof h, pub, OVL_KEY_LEN, NULL, 0);
	ovl_base32_encode(h, 10, b);
	for (i = 0; i < 16; i++) {
		if (i > 0 && i % 4 == 0)
			out[o++] = '-';
		out[o++] = b[i];
	}
	out[o] = '\0';
}

/* mkdir -p with mode 0700 for every folder it makes. */
int
ovl_dir_ensure(const char *dir, char **cause)
{
	char path[PATH_MAX];
	struct stat st;
	size_t n, i;

	n = strlen(dir);
	if (n == 0 || n >= sizeof path) {
		ovl__set_cause(cause, "bad directory name");
		return (-EINVAL);
	}
	memcpy(path, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			ovl__set_cause(cause, "mkdir %s: %s", path,
			    strerror(errno));
			return (-errno);
		}
		if (i < n)
			path[i] = '/';
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		ovl__set_cause(cause, "%s is not a directory", dir);
		return (-ENOTDIR);
	}
	return (0);
}

/* Writes all of buf to fd. */
static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return (-errno);
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

/* Temp file, fsync, rename, fsync of the folder. */
int
ovl_file_write_atomic(const char *path, const void *buf, size_t len,
    mode_t mode, char **cause)
{
	char tmp[PATH_MAX], dir[PATH_MAX], *slash;
	int fd, dfd, error;

	if (snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path) >=
	    (int)sizeof tmp) {
		ovl__set_cause(cause, "path too long: %s", path);
		return (-ENAMETOOLONG);
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		error = -errno;
		ovl__set_cause(cause, "create %s: %s", tmp, strerror(errno));
		return (error);
	}
	error = fchmod(fd, mode) != 0 ? -errno : 0;
	if (error == 0)
		error = write_all(fd, buf, len);
	if (error == 0 && fsync(fd) != 0)
		error = -errno;
	if (close(fd) != 0 && error == 0)
		error = -errno;
	if (error == 0 && rename(tmp, path) != 0)
		error = -errno;
	if (error != 0) {
		ovl__set_cause(cause, "write %s: %s", path, strerror(-error));
		unlink(tmp);
		return (error);
	}
	snprintf(dir, sizeof dir, "%s", path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		dir[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	else
		strcpy(dir, ".");
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		if (fsync(dfd) != 0)
			error = -errno;
		close(dfd);
	}
	if (error != 0)
		ovl__set_cause(cause, "fsync %s: %s", dir, strerror(-error));
	return (error);
}

/* Writes the pair's private key to path. */
static int
save(const char *path, const struct ovl_identity *id, char **cause)
{
	char line[sizeof KEY_TAG + 2 * OVL_KEY_LEN + 2];
	int error;

	memcpy(line, KEY_TAG, sizeof KEY_TAG - 1);
	sodium_bin2hex(line + sizeof KEY_TAG - 1, 2 * OVL_KEY_LEN + 1,
	    id->priv, OVL_KEY_LEN);
	strcat(line, "\n");
	error = ovl_file_write_atomic(path, line, strlen(line), 0600, cause);
	sodium_memzero(line, sizeof line);
	return (error);
}

/* Reads and checks an existing key file. */
static int
load(const char *path, int fd, struct ovl_identity *id, char **cause)
{
	struct stat st;
	char buf[FILE_MAX + 1];
	uint8_t priv[OVL_KEY_LEN];
	size_t hexlen, n;
	ssize_t r;
	int error = 0;

	if (fstat(fd, &st) != 0)
		return (-errno);
	if (!S_ISREG(st.st_mode)) {
		ovl__set_cause(cause, "%s is not a regular file", path);
		return (-EINVAL);
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		ovl__set_cause(cause, "private key %s is accessible by others "
		    "(mode %04o); refusing to use it. Fix with: chmod 600 %s",
		    path, (unsigned)(st.st_mode & 07777), path);
		return (-EPERM);
	}
	if (st.st_uid != geteuid()) {
		ovl__set_cause(cause, "private key %s belongs to uid %u, not "
		    "to this user; fix with: chown %u %s", path,
		    (unsigned)st.st_uid, (unsigned)geteuid(), path);
		return (-EPERM);
	}
	n = 0;
	while (n < FILE_MAX) {
		r = read(fd, buf + n, FILE_MAX - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return (-errno);
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	hexlen = 2 * OVL_KEY_LEN;
	if (strncmp(buf, KEY_TAG, sizeof KEY_TAG - 1) != 0 ||
	    strlen(buf + sizeof KEY_TAG - 1) < hexlen ||
	    sodium_hex2bin(priv, sizeof priv, buf + sizeof KEY_TAG - 1, hexlen,
	    NULL, &n, NULL) != 0 || n != OVL_KEY_LEN ||
	    strspn(buf + sizeof KEY_TAG - 1 + hexlen, "\r\n") !=
	    strlen(buf + sizeof KEY_TAG - 1 + hexlen)) {
		ovl__set_cause(cause, "%s is not a Pier key file (damaged?)",
		    path);
		error = -EINVAL;
	} else
		error = ovl_identity_from_private(id, priv);
	sodium_memzero(buf, sizeof buf);
	sodium_memzero(priv, sizeof priv);
	return (error);
}

/* Joins dir and name. */
static int
join_path(char out[static PATH_MAX], const char *dir, const char *name,
    char **cause)
{
	if (snprintf(out, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX) {
		ovl__set_cause(cause, "path too long: %s/%s", dir, name);
		return (-ENAMETOOLONG);
	}
	return (0);
}

/* Loads dir/name or creates it. */
int
ovl_identity_load_or_create(const char *dir, const char *name,
    struct ovl_identity *id, int *created, char **cause)
{
	char path[PATH_MAX];
	int fd, error;

	if (cause != NULL)
		*cause = NULL;
	if (created != NULL)
		*created = 0;
	error = ovl_dir_ensure(dir, cause);
	if (error == 0)
		error = join_path(path, dir, name, cause);
	if (error != 0)
		return (error);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		error = load(path, fd, id, cause);
		close(fd);
		if (error != 0)
			ovl_identity_clear(id);
		return (error);
	}
	if (errno != ENOENT) {
		error = -errno;
		ovl__set_cause(cause, "open %s: %s", path, strerror(errno));
		return (error);
	}
	ovl_identity_generate(id);
	error = save(path, id, cause);
	if (error != 0) {
		ovl_identity_clear(id);
		return (error);
	}
	if (created != NULL)
		*created = 1;
	return (0);
}

/* Replaces dir/name with a new pair. */
int
ovl_identity_rotate(const char *dir, const char *name,
    struct ovl_identity *id, char **cause)
{
	struct ovl_identity fresh;
	char path[PATH_MAX];
	int error;

	if (cause != NULL)
		*cause = NULL;
	error = ovl_dir_ensure(dir, cause);
	if (error == 0)
		error = join_path(path, dir, name, cause);
	if (error != 0)
		return (error);
	ovl_identity_generate(&fresh);
	error = save(path, &fresh, cause);
	if (error == 0)
		*id = fresh;
	ovl_identity_clear(&fresh);
	return (error);
}
