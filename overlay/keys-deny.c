/*
 * The keystore's revoked client keys: revoking one and taking it back
 * (locked, re-read and saved like every change of the keys file, see
 * keys.c), and reading the list. deny.c edits the list in memory.
 */
#include <errno.h>
#include <unistd.h>

#include "overlay.h"

/* Revokes a client key. */
int
ovl_keystore_deny(struct ovl_keystore *ks, const char *fp, int64_t now,
    char **cause)
{
	int	fd, error;

	if (cause != NULL)
		*cause = NULL;
	if (!ovl__deny_valid(fp)) {
		ovl__set_cause(cause, "bad client key fingerprint \"%s\"", fp);
		return (-EINVAL);
	}
	error = ovl__keystore_begin(ks, &fd, cause);
	if (error != 0)
		return (error);
	error = ovl__deny_add(ovl__keystore_denied(ks), fp, now, cause);
	if (error != 0) {
		close(fd);
		return (error);
	}
	error = ovl__keystore_commit(ks, fd, cause);
	if (error == 0)
		ovl__keystore_told_deny(ks, fp);
	return (error);
}

/* Takes a client key off the revoked list. */
int
ovl_keystore_undeny(struct ovl_keystore *ks, const char *fp, char **cause)
{
	struct ovl_denied_client	gone;
	size_t				i = 0;
	int				fd, error;

	if (cause != NULL)
		*cause = NULL;
	error = ovl__keystore_begin(ks, &fd, cause);
	if (error != 0)
		return (error);
	error = ovl__deny_remove(ovl__keystore_denied(ks), fp, &i, &gone,
	    cause);
	if (error != 0) {
		close(fd);
		return (error);
	}
	return (ovl__keystore_commit(ks, fd, cause));
}

/* Number of revoked client keys. */
size_t
ovl_keystore_denied_count(const struct ovl_keystore *ks)
{
	return (ovl__keystore_denied(ks)->n);
}

/* Revoked client key i. */
const struct ovl_denied_client *
ovl_keystore_denied_get(const struct ovl_keystore *ks, size_t i)
{
	const struct ovl__denylist	*dl = ovl__keystore_denied(ks);

	return (i < dl->n ? &dl->e[i] : NULL);
}

/* Is this client key revoked? */
int
ovl_keystore_is_denied(const struct ovl_keystore *ks,
    const uint8_t client[static OVL_KEY_LEN])
{
	const struct ovl__denylist	*dl = ovl__keystore_denied(ks);
	char				 fp[OVL_FINGERPRINT_SIZE];

	if (dl->n == 0)
		return (0);
	ovl_fingerprint(client, fp);
	return (ovl__deny_find(dl, fp) != dl->n);
}
