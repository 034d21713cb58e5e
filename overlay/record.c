/*
 * The record layer, a pure codec with no I/O and no clock. On the wire
 * every handshake message and every record is a 2-byte big-endian length
 * and that many bytes. Records are Noise transport messages: ChaChaPoly
 * with implicit nonces counting up and empty associated data, at most
 * 65535 bytes with the tag.
 *
 * The decoder takes input in chunks of any size (one byte at a time
 * works). A record that arrives whole in one input is opened straight
 * from it into a plaintext buffer; only a record split across inputs is
 * copied, into a buffer sized to that record (bounded by OVL_REC_MAX, so
 * a peer never sizes an allocation past it). The buffer lives while the
 * input is busy and ovl_rec_trim gives it back once it is quiet, so an
 * idle connection holds none: memory goes to connections moving bytes,
 * not to every open one. A record that fails to decrypt is fatal and the
 * error sticks.
 *
 * Sealing in place (ovl_rec_seal_inplace) lets a sender build frames
 * where the record will go, so no plaintext buffer is needed there
 * either.
 *
 * Rekey: when the sender's key has carried its budget of bytes or records
 * or lived its time, the sender seals a record holding exactly the rekey
 * frame (a channel frame header of type OVL_FT_REKEY, all else zero) and
 * then rekeys its sending key; the receiver rekeys its receiving key right
 * after opening that record. Both sides change keys at the same point of
 * the stream. Rekey keeps the nonce counting, so the nonce budget is the
 * whole connection's: at 2^64-1 the cipher refuses and the connection
 * ends, never wrapping.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "overlay.h"

/* The plaintext of a rekey record: version 0, type 4, the rest zero. */
static const uint8_t rekey_frame[OVL_MUX_HDR] = { OVL_MUX_VERSION,
    OVL_FT_REKEY };

/* Prepares the decoder for handshake messages; allocates nothing. */
int
ovl_rec_init(struct ovl_rec *r, const struct ovl_rec_budget *budget)
{
	memset(r, 0, sizeof *r);
	if (budget != NULL)
		r->budget = *budget;
	if (r->budget.bytes == 0)
		r->budget.bytes = OVL_REKEY_BYTES;
	if (r->budget.records == 0)
		r->budget.records = OVL_REKEY_RECORDS;
	if (r->budget.ms == 0)
		r->budget.ms = OVL_REKEY_MS;
	if (r->budget.ms > (1ULL << 40))	/* 35 years; no overflow */
		r->budget.ms = 1ULL << 40;
	r->max_len = OVL_HS_MAX;
	return (0);
}

/* Installs the transport keys; the decoder now reads records. */
void
ovl_rec_start(struct ovl_rec *r, const struct ovl_cipher *tx,
    const struct ovl_cipher *rx, uint64_t now_ms)
{
	r->tx = *tx;
	r->rx = *rx;
	r->tx_bytes = 0;
	r->tx_records = 0;
	r->tx_since_ms = now_ms;
	r->max_len = OVL_REC_MAX;
	r->keyed = 1;
}

/* Wipes and frees the buffer, whatever it holds. */
static void
buf_release(struct ovl_rec *r)
{
	if (r->buf != NULL) {
		sodium_memzero(r->buf, r->dirty);
		free(r->buf);
	}
	r->buf = NULL;
	r->cap = 0;
	r->dirty = 0;
}

/* Wipes keys and buffered plaintext, frees the buffer. */
void
ovl_rec_clear(struct ovl_rec *r)
{
	ovl_cipher_clear(&r->tx);
	ovl_cipher_clear(&r->rx);
	buf_release(r);
	r->keyed = 0;
	r->err = -EPIPE;
}

/* Gives the buffer back unless a split message is in it. */
void
ovl_rec_trim(struct ovl_rec *r)
{
	if (r->have <= OVL_REC_HDR)
		buf_release(r);
}

/* Bytes the decoder holds allocated. */
size_t
ovl_rec_held(const struct ovl_rec *r)
{
	return (r->cap);
}

/*
 * Makes the buffer hold at least n bytes, keeping its first keep bytes:
 * a power of two from 256 up, so a busy input settles on one size.
 */
static int
buf_reserve(struct ovl_rec *r, size_t n, size_t keep)
{
	uint8_t *p;
	size_t cap = 256;

	if (r->cap >= n)
		return (0);
	while (cap < n)
		cap <<= 1;
	p = malloc(cap);
	if (p == NULL)
		return (-ENOMEM);
	if (keep > 0)
		memcpy(p, r->buf, keep);
	buf_release(r);
	r->buf = p;
	r->cap = cap;
	r->dirty = keep;
	return (0);
}

/* Frames a handshake message. */
int
ovl_rec_put_hs(const uint8_t *msg, size_t len, uint8_t *out, size_t *outlen)
{
	if (len == 0 || len > OVL_HS_MAX)
		return (-EMSGSIZE);
	out[0] = (uint8_t)(len >> 8);
	out[1] = (uint8_t)len;
	memmove(out + OVL_REC_HDR, msg, len);
	*outlen = OVL_REC_HDR + len;
	return (0);
}

/* Seals one record of len bytes into out. */
static int
seal_one(struct ovl_rec *r, const uint8_t *pt, size_t len, uint8_t *out,
    size_t *outlen)
{
	size_t n = len + OVL_TAG_LEN;
	int rc;

	rc = ovl_cipher_encrypt(&r->tx, NULL, 0, pt, len, out + OVL_REC_HDR);
	if (rc != 0)
		return (rc);
	out[0] = (uint8_t)(n >> 8);
	out[1] = (uint8_t)n;
	*outlen = OVL_REC_HDR + n;
	return (0);
}

/* Writes the rekey record and moves the sending key on. */
int
ovl_rec_seal_rekey(struct ovl_rec *r, uint64_t now_ms, uint8_t *out,
    size_t *outlen)
{
	int rc;

	if (!r->keyed)
		return (-EINVAL);
	rc = seal_one(r, rekey_frame, sizeof rekey_frame, out, outlen);
	if (rc != 0)
		return (rc);
	ovl_cipher_rekey(&r->tx);
	r->tx_bytes = 0;
	r->tx_records = 0;
	r->tx_since_ms = now_ms;
	r->rekeys_tx++;
	return (0);
}

/* Tells whether the sending key has spent its budget. */
static int
budget_spent(const struct ovl_rec *r, uint64_t now_ms)
{
	if (r->tx_bytes >= r->budget.bytes)
		return (1);
	if (r->tx_records >= r->budget.records)
		return (1);
	return (now_ms >= r->tx_since_ms + r->budget.ms);
}

/* Checks a plaintext before sealing it. */
static int
seal_check(const struct ovl_rec *r, const uint8_t *pt, size_t len)
{
	if (!r->keyed)
		return (-EINVAL);
	if (len > OVL_REC_PT_MAX)
		return (-EMSGSIZE);
	if (len == sizeof rekey_frame &&
	    memcmp(pt, rekey_frame, sizeof rekey_frame) == 0)
		return (-EINVAL);	/* only ovl_rec_seal_rekey sends that */
	return (0);
}

/* Seals len bytes, rekeying first if the budget is spent. */
int
ovl_rec_seal(struct ovl_rec *r, uint64_t now_ms, const uint8_t *pt,
    size_t len, uint8_t *out, size_t *outlen)
{
	size_t n = 0, m;
	int rc;

	rc = seal_check(r, pt, len);
	if (rc != 0)
		return (rc);
	if (budget_spent(r, now_ms)) {
		rc = ovl_rec_seal_rekey(r, now_ms, out, &n);
		if (rc != 0)
			return (rc);
	}
	rc = seal_one(r, pt, len, out + n, &m);
	if (rc != 0)
		return (rc);
	r->tx_bytes += len;
	r->tx_records++;
	*outlen = n + m;
	return (0);
}

/*
 * Seals the plaintext at buf + OVL_REC_HDR where it lies. When a rekey
 * record must go first, the plaintext moves up to make room for it.
 */
int
ovl_rec_seal_inplace(struct ovl_rec *r, uint64_t now_ms, uint8_t *buf,
    size_t len, size_t *outlen)
{
	size_t n = 0, m;
	int rc;

	rc = seal_check(r, buf + OVL_REC_HDR, len);
	if (rc != 0)
		return (rc);
	if (budget_spent(r, now_ms)) {
		/* what seal_one makes of the rekey frame */
		n = OVL_REC_HDR + sizeof rekey_frame + OVL_TAG_LEN;
		memmove(buf + n + OVL_REC_HDR, buf + OVL_REC_HDR, len);
		rc = ovl_rec_seal_rekey(r, now_ms, buf, &m);
		if (rc != 0)
			return (rc);
	}
	rc = seal_one(r, buf + n + OVL_REC_HDR, len, buf + n, &m);
	if (rc != 0)
		return (rc);
	r->tx_bytes += len;
	r->tx_records++;
	*outlen = n + m;
	return (0);
}

/* When the sending key's time runs out. */
uint64_t
ovl_rec_deadline(const struct ovl_rec *r)
{
	return (r->tx_since_ms + r->budget.ms);
}

/* Checks a length header against the current bounds. */
static int
length_ok(const struct ovl_rec *r, size_t n)
{
	if (n > r->max_len)
		return (0);
	if (r->keyed)
		return (n >= OVL_TAG_LEN);
	return (n > 0);
}

/*
 * Opens a complete record of r->need bytes at ct into r->buf (ct may be
 * r->buf itself); 1 if it was a rekey record.
 */
static int
open_record(struct ovl_rec *r, const uint8_t *ct, size_t *ptlen)
{
	int rc;

	rc = ovl_cipher_decrypt(&r->rx, NULL, 0, ct, r->need, r->buf);
	if (rc != 0)
		return (rc);
	r->records_rx++;
	*ptlen = r->need - OVL_TAG_LEN;
	if (*ptlen > r->dirty)
		r->dirty = *ptlen;
	if (*ptlen == sizeof rekey_frame &&
	    memcmp(r->buf, rekey_frame, sizeof rekey_frame) == 0) {
		ovl_cipher_rekey(&r->rx);
		r->rekeys_rx++;
		return (1);
	}
	return (0);
}

/*
 * A whole message is at src (in the input, or in r->buf when it came in
 * pieces): opens it into r->buf. 1 with *msg set, 0 for a rekey record.
 */
static int
take_message(struct ovl_rec *r, const uint8_t *src, const uint8_t **msg,
    size_t *msglen)
{
	size_t ptlen;
	int rc;

	if (!r->keyed) {
		if (src != r->buf) {
			memcpy(r->buf, src, r->need);
			if (r->need > r->dirty)
				r->dirty = r->need;
		}
		*msg = r->buf;
		*msglen = r->need;
		return (1);
	}
	rc = open_record(r, src, &ptlen);
	if (rc < 0)
		return (rc);
	if (rc == 1)
		return (0);
	*msg = r->buf;
	*msglen = ptlen;
	return (1);
}

/* Feeds input; stops after each whole message. */
int
ovl_rec_feed(struct ovl_rec *r, const uint8_t *in, size_t len,
    size_t *used, const uint8_t **msg, size_t *msglen)
{
	const uint8_t *src;
	size_t off = 0, take, body;
	int rc = 0;

	*used = 0;
	*msg = NULL;
	*msglen = 0;
	if (r->err != 0)
		return (r->err);
	while (off < len) {
		if (r->have < OVL_REC_HDR) {
			r->hdr[r->have++] = in[off++];
			if (r->have < OVL_REC_HDR)
				continue;
			r->need = (size_t)r->hdr[0] << 8 | r->hdr[1];
			if (!length_ok(r, r->need)) {
				r->err = -EMSGSIZE;
				*used = off;
				return (r->err);
			}
			continue;
		}
		body = r->have - OVL_REC_HDR;
		if (body == 0 && len - off >= r->need) {
			/* whole in the input: no copy of the ciphertext */
			rc = buf_reserve(r, r->need, 0);
			if (rc != 0)
				break;
			src = in + off;
			off += r->need;
		} else {
			rc = buf_reserve(r, r->need, body);
			if (rc != 0)
				break;
			take = r->need - body;
			if (take > len - off)
				take = len - off;
			memcpy(r->buf + body, in + off, take);
			r->have += take;
			off += take;
			if (body + take > r->dirty)
				r->dirty = body + take;
			if (body + take < r->need)
				break;
			src = r->buf;
		}
		r->have = 0;
		rc = take_message(r, src, msg, msglen);
		if (rc < 0) {
			r->err = rc;
			*used = off;
			return (rc);
		}
		if (rc == 1)
			break;
	}
	*used = off;
	return (rc == -ENOMEM ? rc : 0);
}
