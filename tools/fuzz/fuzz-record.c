/*
 * Fuzzes the record decoder. Byte 0 picks the mode and byte 1 how the
 * input is cut into feeds. Mode 0 feeds the bytes as they are to a
 * decoder with fixed keys (so lengths, truncation and forged records are
 * exercised); mode 1 reads handshake messages in cleartext; mode 2 takes
 * the bytes as plaintexts (2-byte length + bytes each), seals them with a
 * small rekey budget and feeds the records back in pieces, which must
 * give back exactly the plaintexts. Nothing may fault, allocate by a
 * peer-given size, or return more bytes than it was given.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "overlay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t k1[OVL_KEY_LEN] = { 7 };
static const uint8_t k2[OVL_KEY_LEN] = { 9 };

/* Feeds len bytes in steps; appends messages to out when given. */
static int
feed(struct ovl_rec *r, const uint8_t *p, size_t len, size_t step,
    uint8_t *out, size_t *outlen)
{
	const uint8_t *msg;
	size_t used, mlen, n;
	int rc;

	while (len > 0) {
		n = len < step ? len : step;
		rc = ovl_rec_feed(r, p, n, &used, &msg, &mlen);
		if (rc != 0)
			return (rc);
		if (used > n)
			abort();
		p += used;
		len -= used;
		if (msg == NULL)
			continue;
		if (mlen > OVL_REC_MAX)
			abort();
		if (out != NULL) {
			memcpy(out + *outlen, msg, mlen);
			*outlen += mlen;
		}
	}
	return (0);
}

/* Seals the plaintexts found in data and reads them back. */
static void
roundtrip(const uint8_t *data, size_t size, size_t step)
{
	struct ovl_rec_budget b = { .records = 3, .bytes = 5000 };
	struct ovl_rec tx, rx;
	struct ovl_cipher c1, c2;
	uint8_t *wire, *pts, *out;
	size_t off = 0, woff = 0, poff = 0, olen = 0, n, m;
	int rc;

	if (ovl_rec_init(&tx, &b) != 0 || ovl_rec_init(&rx, &b) != 0)
		abort();
	ovl_cipher_init(&c1, k1);
	ovl_cipher_init(&c2, k2);
	ovl_rec_start(&tx, &c1, &c2, 0);
	ovl_rec_start(&rx, &c2, &c1, 0);
	wire = malloc(2 * size + 64 * (size + 1));
	pts = malloc(size + 1);
	out = malloc(size + 1);
	if (wire == NULL || pts == NULL || out == NULL)
		abort();
	while (off + 2 <= size) {
		n = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (n > size - off)
			n = size - off;
		rc = ovl_rec_seal(&tx, off, data + off, n, wire + woff, &m);
		if (rc == -EINVAL && n == OVL_MUX_HDR && data[off + 1] ==
		    OVL_FT_REKEY) {
			off += n;	/* the rekey frame itself: refused */
			continue;
		}
		if (rc != 0)
			abort();
		memcpy(pts + poff, data + off, n);
		poff += n;
		woff += m;
		off += n;
	}
	if (feed(&rx, wire, woff, step, out, &olen) != 0)
		abort();
	if (olen != poff || memcmp(out, pts, olen) != 0)
		abort();
	if (rx.rekeys_rx != tx.rekeys_tx)
		abort();
	free(wire);
	free(pts);
	free(out);
	ovl_rec_clear(&tx);
	ovl_rec_clear(&rx);
}

/* One input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ovl_rec r;
	struct ovl_cipher c1, c2;
	size_t step;
	int mode;

	if (size < 2)
		return (0);
	mode = data[0] % 3;
	step = (size_t)data[1] * 37 % 4099 + 1;
	data += 2;
	size -= 2;
	if (mode == 2) {
		roundtrip(data, size, step);
		return (0);
	}
	if (ovl_rec_init(&r, NULL) != 0)
		abort();
	if (mode == 0) {
		ovl_cipher_init(&c1, k1);
		ovl_cipher_init(&c2, k2);
		ovl_rec_start(&r, &c1, &c2, 0);
	}
	(void)feed(&r, data, size, step, NULL, NULL);
	ovl_rec_clear(&r);
	return (0);
}
