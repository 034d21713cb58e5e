/*
 * noise-vectors: checks the Noise engine (overlay/noise.c) against test
 * vector files in the JSON format of the cacophony/snow vectors (see
 * tests/vectors/SOURCE.md). Every vector whose protocol the engine does
 * is played through with both roles: each handshake message is written by
 * its sender and compared byte for byte, then read by its receiver; the
 * handshake hash is compared on both sides; transport messages continue
 * to alternate directions (initiator sends with the first Split() cipher).
 * Vectors the engine cannot run are reported as skipped with the reason.
 *
 *	noise-vectors FILE...
 *
 * Prints TAP and then "N passed, N failed" (as a TAP comment on stdout,
 * and bare on stderr); exits 1 on any failure.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "overlay.h"

#define BUF_MAX	OVL_NOISE_MSG_MAX

/* One side of a vector. */
struct side {
	struct ovl_noise	hs;
	struct ovl_cipher	tx, rx;
};

/* Counts, and the TAP test number. */
struct tally {
	int	n, passed, failed, skipped;
};

/* Decodes hex field name of v into out (exactly want bytes, or any if 0). */
static int
get_hex(json_t *v, const char *name, uint8_t *out, size_t cap, size_t *len)
{
	json_t *f;		/* borrowed */
	const char *s;
	size_t n;

	f = json_object_get(v, name);
	if (f == NULL)
		return (-ENOENT);
	s = json_string_value(f);
	if (s == NULL)
		return (-EINVAL);
	if (sodium_hex2bin(out, cap, s, strlen(s), NULL, &n, NULL) != 0)
		return (-EINVAL);
	if (len != NULL)
		*len = n;
	else if (n != cap)
		return (-EINVAL);
	return (0);
}

/* Sets up one side from the fields with prefix "init_" or "resp_". */
static int
side_init(struct side *sd, json_t *v, const char *pfx, int initiator,
    char *why, size_t whylen)
{
	uint8_t pro[1024], s[OVL_KEY_LEN], rs[OVL_KEY_LEN], e[OVL_KEY_LEN];
	uint8_t psks[OVL_NOISE_MAX_PSKS][OVL_KEY_LEN];
	char f[64];
	json_t *arr, *x;	/* borrowed */
	const char *name, *hex;
	size_t plen, npsks = 0, i, n;
	int has_s, has_rs, error;

	name = json_string_value(json_object_get(v, "protocol_name"));
	if (name == NULL) {
		snprintf(why, whylen, "no protocol_name");
		return (-EINVAL);
	}
	snprintf(f, sizeof f, "%sprologue", pfx);
	if (get_hex(v, f, pro, sizeof pro, &plen) != 0)
		plen = 0;
	snprintf(f, sizeof f, "%sstatic", pfx);
	has_s = get_hex(v, f, s, sizeof s, NULL) == 0;
	snprintf(f, sizeof f, "%sremote_static", pfx);
	has_rs = get_hex(v, f, rs, sizeof rs, NULL) == 0;
	snprintf(f, sizeof f, "%spsks", pfx);
	arr = json_object_get(v, f);
	json_array_foreach(arr, i, x) {
		hex = json_string_value(x);
		if (npsks == OVL_NOISE_MAX_PSKS || hex == NULL ||
		    sodium_hex2bin(psks[npsks], OVL_KEY_LEN, hex, strlen(hex),
		    NULL, &n, NULL) != 0 || n != OVL_KEY_LEN) {
			snprintf(why, whylen, "bad %s", f);
			return (-EINVAL);
		}
		npsks++;
	}
	error = ovl_noise_init(&sd->hs, name, initiator, pro, plen,
	    has_s ? s : NULL, has_rs ? rs : NULL, psks, npsks);
	if (error == -ENOTSUP) {
		snprintf(why, whylen, "protocol not supported by the engine");
		return (error);
	}
	if (error != 0) {
		snprintf(why, whylen, "%s: init failed: %s", pfx,
		    strerror(-error));
		return (error);
	}
	snprintf(f, sizeof f, "%sephemeral", pfx);
	if (get_hex(v, f, e, sizeof e, NULL) == 0)
		ovl_noise_set_ephemeral(&sd->hs, e);
	sodium_memzero(s, sizeof s);
	sodium_memzero(psks, sizeof psks);
	return (0);
}

/* Plays message i from snd to rcv; 0 or -1 with why filled. */
static int
play(struct side *snd, struct side *rcv, json_t *m, size_t i, char *why,
    size_t whylen)
{
	static uint8_t pt[BUF_MAX], ct[BUF_MAX], out[BUF_MAX], back[BUF_MAX];
	size_t ptlen, ctlen, outlen, backlen;
	int error;

	if (get_hex(m, "payload", pt, sizeof pt, &ptlen) != 0 ||
	    get_hex(m, "ciphertext", ct, sizeof ct, &ctlen) != 0) {
		snprintf(why, whylen, "message %zu: bad hex", i);
		return (-1);
	}
	if (!ovl_noise_done(&snd->hs)) {
		error = ovl_noise_write(&snd->hs, pt, ptlen, out, sizeof out,
		    &outlen);
		if (error != 0) {
			snprintf(why, whylen, "message %zu: write: %s", i,
			    strerror(-error));
			return (-1);
		}
		if (ovl_noise_done(&snd->hs) &&
		    ovl_noise_split(&snd->hs, &snd->tx, &snd->rx) != 0)
			return (-1);
	} else {
		if (ovl_cipher_encrypt(&snd->tx, NULL, 0, pt, ptlen,
		    out) != 0)
			return (-1);
		outlen = ptlen + OVL_TAG_LEN;
	}
	if (outlen != ctlen || memcmp(out, ct, ctlen) != 0) {
		snprintf(why, whylen, "message %zu: ciphertext differs", i);
		return (-1);
	}
	if (!ovl_noise_done(&rcv->hs)) {
		error = ovl_noise_read(&rcv->hs, ct, ctlen, back, sizeof back,
		    &backlen);
		if (error != 0) {
			snprintf(why, whylen, "message %zu: read: %d", i,
			    error);
			return (-1);
		}
		if (ovl_noise_done(&rcv->hs) &&
		    ovl_noise_split(&rcv->hs, &rcv->tx, &rcv->rx) != 0)
			return (-1);
	} else {
		if (ctlen < OVL_TAG_LEN || ovl_cipher_decrypt(&rcv->rx, NULL,
		    0, ct, ctlen, back) != 0) {
			snprintf(why, whylen, "message %zu: decrypt", i);
			return (-1);
		}
		backlen = ctlen - OVL_TAG_LEN;
	}
	if (backlen != ptlen || memcmp(back, pt, ptlen) != 0) {
		snprintf(why, whylen, "message %zu: payload differs", i);
		return (-1);
	}
	return (0);
}

/* Runs one vector; 1 passed, 0 skipped, -1 failed, with why filled. */
static int
run_vector(json_t *v, char *why, size_t whylen)
{
	struct side ini, res;
	uint8_t want[OVL_HASH_LEN], got[OVL_HASH_LEN];
	json_t *msgs, *m;	/* borrowed */
	size_t i;
	int rc = -1, error;

	memset(&ini, 0, sizeof ini);
	memset(&res, 0, sizeof res);
	error = side_init(&ini, v, "init_", 1, why, whylen);
	if (error == 0)
		error = side_init(&res, v, "resp_", 0, why, whylen);
	if (error != 0) {
		rc = error == -ENOTSUP ? 0 : -1;
		goto out;
	}
	msgs = json_object_get(v, "messages");
	if (json_array_size(msgs) == 0) {
		snprintf(why, whylen, "no messages");
		goto out;
	}
	json_array_foreach(msgs, i, m) {
		if (play(i % 2 == 0 ? &ini : &res, i % 2 == 0 ? &res : &ini,
		    m, i, why, whylen) != 0)
			goto out;
	}
	if (!ovl_noise_done(&ini.hs) || !ovl_noise_done(&res.hs)) {
		snprintf(why, whylen, "handshake did not finish");
		goto out;
	}
	if (get_hex(v, "handshake_hash", want, sizeof want, NULL) == 0) {
		ovl_noise_hash(&ini.hs, got);
		if (memcmp(got, want, sizeof want) != 0) {
			snprintf(why, whylen, "initiator's hash differs");
			goto out;
		}
		ovl_noise_hash(&res.hs, got);
		if (memcmp(got, want, sizeof want) != 0) {
			snprintf(why, whylen, "responder's hash differs");
			goto out;
		}
	}
	rc = 1;
out:
	ovl_noise_clear(&ini.hs);
	ovl_noise_clear(&res.hs);
	return (rc);
}

/* Runs every vector of one file. */
static void
run_file(const char *path, struct tally *t)
{
	json_t *root, *vs, *v;	/* root owned, the rest borrowed */
	json_error_t jerr;
	const char *name;
	char why[256];
	size_t i;
	int rc;

	root = json_load_file(path, 0, &jerr);
	vs = json_object_get(root, "vectors");
	if (root == NULL || !json_is_array(vs)) {
		t->n++;
		t->failed++;
		printf("not ok %d - %s: cannot read vectors: %s\n", t->n, path,
		    root == NULL ? jerr.text : "no \"vectors\" array");
		json_decref(root);
		return;
	}
	json_array_foreach(vs, i, v) {
		name = json_string_value(json_object_get(v, "protocol_name"));
		if (name == NULL)
			name = "(no protocol_name)";
		why[0] = '\0';
		rc = run_vector(v, why, sizeof why);
		t->n++;
		if (rc > 0) {
			t->passed++;
			printf("ok %d - %s\n", t->n, name);
		} else if (rc == 0) {
			t->skipped++;
			printf("ok %d - %s # SKIP %s\n", t->n, name, why);
			fprintf(stderr, "skipped %s: %s\n", name, why);
		} else {
			t->failed++;
			printf("not ok %d - %s: %s\n", t->n, name, why);
		}
	}
	json_decref(root);
}

/* Checks every file named. */
int
main(int argc, char **argv)
{
	struct tally t = { 0, 0, 0, 0 };
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: noise-vectors FILE...\n");
		return (2);
	}
	if (sodium_init() < 0)
		return (1);
	for (i = 1; i < argc; i++)
		run_file(argv[i], &t);
	printf("1..%d\n", t.n);
	if (t.skipped > 0)
		printf("# %d skipped\n", t.skipped);
	/* The summary: a TAP comment for meson, bare for a person. */
	printf("# %d passed, %d failed\n", t.passed, t.failed);
	fflush(stdout);
	fprintf(stderr, "%d passed, %d failed\n", t.passed, t.failed);
	return (t.failed > 0 || t.n == 0 ? 1 : 0);
}
