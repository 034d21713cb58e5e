/*
 * The revoked client keys of a node's keystore: a client the admin shut
 * out (a lost laptop, say) while the access key it used stays in use by
 * others. keys.c keeps the list in the access-keys file, under its lock,
 * as lines "client FINGERPRINT SINCE"; this file parses, formats and
 * edits the list in memory, and tells which keys a re-read added, so the
 * server can close their connections.
 *
 * A client key is named by its fingerprint everywhere the node shows it
 * (log, audit log), so that is what the list holds; a full public key
 * given in hex is reduced to its fingerprint.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "overlay.h"

#define FP_CHARS	"abcdefghijklmnopqrstuvwxyz234567"
#define FP_RAW		16	/* base32 chars in a fingerprint */
#define FP_BYTES	10	/* what they encode */
#define LINE_LEN	64	/* "client FP SINCE\n" at the most */

/* Non-zero if fp reads "abcd-efgh-ijkl-mnop" in lowercase base32. */
int
ovl__deny_valid(const char *fp)
{
	uint8_t	b[FP_BYTES];
	char	raw[FP_RAW + 1];
	size_t	i, o = 0;

	if (strlen(fp) != OVL_FINGERPRINT_SIZE - 1)
		return (0);
	for (i = 0; fp[i] != '\0'; i++) {
		if (i % 5 == 4) {
			if (fp[i] != '-')
				return (0);
			continue;
		}
		if (strchr(FP_CHARS, fp[i]) == NULL)
			return (0);
		raw[o++] = fp[i];
	}
	raw[o] = '\0';
	return (ovl_base32_decode(raw, o, b, sizeof b) == 0);
}

/* A client key as a fingerprint: a fingerprint, or 64 hex digits. */
int
ovl_client_id_parse(const char *s, char fp[static OVL_FINGERPRINT_SIZE])
{
	uint8_t	pub[OVL_KEY_LEN];
	char	norm[OVL_FINGERPRINT_SIZE];
	size_t	i, o = 0, n;

	if (strlen(s) == 2 * OVL_KEY_LEN &&
	    strspn(s, "0123456789abcdefABCDEF") == 2 * OVL_KEY_LEN) {
		if (sodium_hex2bin(pub, sizeof pub, s, 2 * OVL_KEY_LEN, NULL,
		    &n, NULL) != 0 || n != OVL_KEY_LEN)
			return (-EINVAL);
		ovl_fingerprint(pub, fp);
		return (0);
	}
	/* Dashes are optional: put them where ovl_fingerprint does. */
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '-')
			continue;
		if (o % 5 == 4 && o < sizeof norm - 1)
			norm[o++] = '-';
		if (o >= sizeof norm - 1)
			return (-EINVAL);
		norm[o++] = (char)(s[i] >= 'A' && s[i] <= 'Z' ?
		    s[i] - 'A' + 'a' : s[i]);
	}
	norm[o] = '\0';
	if (!ovl__deny_valid(norm))
		return (-EINVAL);
	memcpy(fp, norm, OVL_FINGERPRINT_SIZE);
	return (0);
}

/* The index of fp, or dl->n. */
size_t
ovl__deny_find(const struct ovl__denylist *dl, const char *fp)
{
	size_t	i;

	for (i = 0; i < dl->n; i++)
		if (strcmp(dl->e[i].fp, fp) == 0)
			break;
	return (i);
}

/* Parses "client FP SINCE" and appends it. */
int
ovl__deny_load_line(struct ovl__denylist *dl, const char *line)
{
	struct ovl_denied_client	d;
	char				fp[OVL_FINGERPRINT_SIZE + 1];
	int				used;

	memset(&d, 0, sizeof d);
	if (sscanf(line, "client %20s %" SCNd64 "%n", fp, &d.since,
	    &used) != 2 || line[used] != '\0' || !ovl__deny_valid(fp))
		return (-EINVAL);
	if (dl->n == OVL_DENIED_MAX || ovl__deny_find(dl, fp) != dl->n)
		return (-EINVAL);
	memcpy(d.fp, fp, OVL_FINGERPRINT_SIZE);
	dl->e[dl->n++] = d;
	return (0);
}

/* Room for the lines of dl. */
size_t
ovl__deny_text_len(const struct ovl__denylist *dl)
{
	return (dl->n * LINE_LEN + 1);
}

/* The lines of dl. */
size_t
ovl__deny_format(const struct ovl__denylist *dl, char *buf, size_t cap)
{
	size_t	i, off = 0;
	int	w;

	for (i = 0; i < dl->n && off < cap; i++) {
		w = snprintf(buf + off, cap - off, "client %s %" PRId64 "\n",
		    dl->e[i].fp, dl->e[i].since);
		if (w < 0 || (size_t)w >= cap - off)
			break;
		off += (size_t)w;
	}
	return (off);
}

/* Appends fp. */
int
ovl__deny_add(struct ovl__denylist *dl, const char *fp, int64_t now,
    char **cause)
{
	if (ovl__deny_find(dl, fp) != dl->n) {
		ovl__set_cause(cause, "client key %s is revoked already", fp);
		return (-EEXIST);
	}
	if (dl->n == OVL_DENIED_MAX) {
		ovl__set_cause(cause, "%d client keys are revoked already; "
		    "take one off the list first", OVL_DENIED_MAX);
		return (-ENOSPC);
	}
	memcpy(dl->e[dl->n].fp, fp, OVL_FINGERPRINT_SIZE);
	dl->e[dl->n].since = now;
	dl->n++;
	return (0);
}

/* Removes fp. */
int
ovl__deny_remove(struct ovl__denylist *dl, const char *fp, size_t *at,
    struct ovl_denied_client *gone, char **cause)
{
	size_t	i;

	i = ovl__deny_find(dl, fp);
	if (i == dl->n) {
		ovl__set_cause(cause, "client key %s is not revoked", fp);
		return (-ENOENT);
	}
	*at = i;
	*gone = dl->e[i];
	memmove(&dl->e[i], &dl->e[i + 1], (dl->n - i - 1) * sizeof dl->e[0]);
	dl->n--;
	return (0);
}

/* Puts d back at at. */
void
ovl__deny_insert(struct ovl__denylist *dl, size_t at,
    const struct ovl_denied_client *d)
{
	if (dl->n == OVL_DENIED_MAX || at > dl->n)
		return;
	memmove(&dl->e[at + 1], &dl->e[at], (dl->n - at) * sizeof dl->e[0]);
	dl->e[at] = *d;
	dl->n++;
}

/* Swaps two lists entry by entry (they are too big for the stack). */
void
ovl__deny_swap(struct ovl__denylist *a, struct ovl__denylist *b)
{
	struct ovl_denied_client	t;
	size_t				i, n;

	n = a->n > b->n ? a->n : b->n;
	for (i = 0; i < n; i++) {
		t = a->e[i];
		a->e[i] = b->e[i];
		b->e[i] = t;
	}
	i = a->n;
	a->n = b->n;
	b->n = i;
}

/* Tells cb of the keys now has and before had not. */
void
ovl__deny_gained(const struct ovl__denylist *before,
    const struct ovl__denylist *now, void (*cb)(const char *, void *),
    void *arg)
{
	char	fp[OVL_FINGERPRINT_SIZE];
	size_t	i;

	for (i = 0; cb != NULL && i < now->n; i++) {
		if (ovl__deny_find(before, now->e[i].fp) != before->n)
			continue;
		memcpy(fp, now->e[i].fp, sizeof fp);
		cb(fp, arg);
	}
}
