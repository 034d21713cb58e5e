/*
 * Whether an access key lets a client in now, and the changes that
 * decide it: a key disabled or enabled by an admin, a client key bound
 * to a key with limited uses when it first joins with it.
 *
 * A key with uses N binds the first N client keys that complete a
 * handshake with it; each is written to the keys file before the client
 * is let in, under the store's lock, so a second client that races the
 * first, in this process or after a restart, finds the use taken. A
 * bound client key keeps its use: it may connect again and again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "overlay.h"

/* Disables or enables a key. */
int
ovl_keystore_set_disabled(struct ovl_keystore *ks, const char *name,
    int disable, int64_t now, char **cause)
{
	struct ovl_access_key	*k;
	int			 fd, error;

	if (cause != NULL)
		*cause = NULL;
	error = ovl__keystore_begin(ks, &fd, cause);
	if (error != 0)
		return (error);
	k = ovl__keystore_key(ks, name);
	if (k == NULL) {
		ovl__set_cause(cause, "no key named %s", name);
		close(fd);
		return (-ENOENT);
	}
	if ((k->disabled != 0) == (disable != 0)) {
		ovl__set_cause(cause, "key %s is %s already", name, disable ?
		    "disabled" : "enabled");
		close(fd);
		return (-EALREADY);
	}
	k->disabled = disable ? (now > 0 ? now : 1) : 0;
	return (ovl__keystore_commit(ks, fd, cause));
}

/* Says why k's uses are taken, for the go-away. */
static void
used_reason(const struct ovl_access_key *k, char *reason, size_t len)
{
	if (k->nbound == 1)
		snprintf(reason, len, "access key %s was already used by "
		    "client %s", k->name, k->bound[0]);
	else
		snprintf(reason, len, "access key %s was already used by %zu "
		    "clients (its limit)", k->name, k->nbound);
}

/* Lets client in with key name now, binding it if the key is limited. */
int
ovl_keystore_admit(struct ovl_keystore *ks, const char *name,
    const uint8_t client[static OVL_KEY_LEN], int64_t now, char *reason,
    size_t len)
{
	const struct ovl_access_key	*k;
	struct ovl_access_key		*w;
	char				 fp[OVL_FINGERPRINT_SIZE];
	char				*cause = NULL;
	int				 fd, error;

	k = ovl_keystore_find(ks, name);
	if (k == NULL) {
		snprintf(reason, len, "access key %s was revoked", name);
		return (-ENOENT);
	}
	error = ovl_key_check(k, now, reason, len);
	if (error != 0 || k->uses == 0)
		return (error);
	ovl_fingerprint(client, fp);
	if (ovl_key_bound(k, fp))
		return (0);
	if (k->nbound >= k->uses) {
		used_reason(k, reason, len);
		return (-EUSERS);
	}
	/* Take the use under the lock, from what the disk says now. */
	error = ovl__keystore_begin(ks, &fd, &cause);
	if (error == 0) {
		w = ovl__keystore_key(ks, name);
		if (w == NULL || (error = ovl_key_check(w, now, reason,
		    len)) != 0) {
			close(fd);
			if (w == NULL) {
				snprintf(reason, len, "access key %s was "
				    "revoked", name);
				error = -ENOENT;
			}
			return (error);
		}
		if (ovl_key_bound(w, fp)) {
			close(fd);
			return (0);
		}
		if (w->nbound >= w->uses) {
			close(fd);
			used_reason(w, reason, len);
			return (-EUSERS);
		}
		strcpy(w->bound[w->nbound++], fp);
		error = ovl__keystore_commit(ks, fd, &cause);
		if (error == 0)
			return (1);
	}
	if (error != 0)
		snprintf(reason, len, "cannot record the use of access key "
		    "%s: %s", name, cause != NULL ? cause : strerror(-error));
	free(cause);
	return (error);
}
