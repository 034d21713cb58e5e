/*
 * The record layer, a pure codec with no I/O and no clock. On the wire
 * every handshake message and every record is a 2-byte big-endian length
 * and that many bytes. Records are Noise transport messages: ChaChaPoly
 * with implicit nonces counting up and empty associated data, at most
 * 65535 bytes with the tag.
 *
 * The decoder takes input in chunks of any size (one byte at a time
 * works) into one buffer of the largest record, so nothing a peer says
 * ever sizes an allocation. A record that fails to decrypt is fatal and
 * the error sticks.
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

/* Prepares the decoder for handshake messages. */
int
ovl_rec_init(struct ovl_rec *r, const struct ovl_rec_budget *budget)
{
	memset(r, 0, sizeof *r);
	r->buf = malloc(OVL_REC_HDR + OVL_REC_MAX);
	if (r->buf == NULL)
		return (-ENOMEM);
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

/* Wipes keys and buffered plaintext, frees the buffer. */
void
ovl_rec_clear(struct ovl_rec *r)
{
	ovl_cipher_clear(&r->tx);
	ovl_cipher_clear(&r->rx);
	if (r->buf != NULL) {
		sodium_memzero(r->buf, OVL_REC_HDR + OVL_REC_MAX);
		free(r->buf);
	}
	r->buf = NULL;
	r->keyed = 0;
	r->err = -EPIPE;
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

/* Seals len bytes, rekeying first if the budget is spent. */
int
ovl_rec_seal(struct ovl_rec *r, uint64_t now_ms, const uint8_t *pt,
    size_t len, uint8_t *out, size_t *outlen)
{
	size_t n = 0, m;
	int rc;

	if (!r->keyed)
		return (-EINVAL);
	if (len > OVL_REC_PT_MAX)
		return (-EMSGSIZE);
	if (len == sizeof rekey_frame &&
	    memcmp(pt, rekey_frame, sizeof rekey_frame) == 0)
		return (-EINVAL);	/* only ovl_rec_seal_rekey sends that */
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

/* Opens a complete record in place; 1 if it was a rekey record. */
static int
open_record(struct ovl_rec *r, size_t *ptlen)
{
	uint8_t *ct = r->buf + OVL_REC_HDR;
	int rc;

	rc = ovl_cipher_decrypt(&r->rx, NULL, 0, ct, r->need, ct);
	if (rc != 0)
		return (rc);
	r->records_rx++;
	*ptlen = r->need - OVL_TAG_LEN;
	if (*ptlen == sizeof rekey_frame &&
	    memcmp(ct, rekey_frame, sizeof rekey_frame) == 0) {
		ovl_cipher_rekey(&r->rx);
		r->rekeys_rx++;
		return (1);
	}
	return (0);
}

/* Feeds input; stops after each whole message. */
int
ovl_rec_feed(struct ovl_rec *r, const uint8_t *in, size_t len,
    size_t *used, const uint8_t **msg, size_t *msglen)
{
	size_t off = 0, take, ptlen;
	int rc;

	*used = 0;
	*msg = NULL;
	*msglen = 0;
	if (r->err != 0)
		return (r->err);
	while (off < len) {
		if (r->have < OVL_REC_HDR) {
			r->buf[r->have++] = in[off++];
			if (r->have < OVL_REC_HDR)
				continue;
			r->need = (size_t)r->buf[0] << 8 | r->buf[1];
			if (!length_ok(r, r->need)) {
				r->err = -EMSGSIZE;
				*used = off;
				return (r->err);
			}
			continue;
		}
		take = r->need - (r->have - OVL_REC_HDR);
		if (take > len - off)
			take = len - off;
		memcpy(r->buf + r->have, in + off, take);
		r->have += take;
		off += take;
		if (r->have - OVL_REC_HDR < r->need)
			break;
		r->have = 0;
		if (!r->keyed) {
			*msg = r->buf + OVL_REC_HDR;
			*msglen = r->need;
			break;
		}
		rc = open_record(r, &ptlen);
		if (rc < 0) {
			r->err = rc;
			*used = off;
			return (rc);
		}
		if (rc == 1)
			continue;
		*msg = r->buf + OVL_REC_HDR;
		*msglen = ptlen;
		break;
	}
	*used = off;
	return (0);
}
