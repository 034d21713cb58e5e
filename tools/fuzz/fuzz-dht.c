/*
 * Fuzzes the DHT node's message handler (overlay/dht*.c). Each input
 * makes a node with one bootstrap address (so a find_node query is in
 * flight), a stored peer and a node in its table, then hands it the
 * input as one or more datagrams. The first byte chooses the source
 * (bit 0: the bootstrap address, which answers can come from) and how
 * many datagrams ("\n\n" separates them); every "TTTT" in the input is
 * replaced by the transaction id of the query in flight, so answers
 * reach the lookup code. Whatever comes back must be a canonical bencode
 * dict of at most OVL_DHT_PKT_MAX bytes, and the node's clock is run
 * past every timer at the end.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "overlay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Checks and drops everything the node queued. */
static void
drain(struct ovl_dht *dht)
{
	uint8_t buf[OVL_DHT_PKT_MAX];
	struct ovl_ben v[256];
	struct ovl_dht_addr to;
	size_t len;

	while ((len = ovl_dht_pop(dht, &to, buf, sizeof buf)) > 0)
		if (ovl_ben_decode(buf, len, v, 256) <= 0 ||
		    v[0].type != OVL_BEN_DICT || to.port == 0)
			__builtin_trap();
}

/* The transaction id of the first queued query (4 bytes), or 0. */
static int
first_tid(struct ovl_dht *dht, uint8_t tid[4])
{
	uint8_t buf[OVL_DHT_PKT_MAX];
	struct ovl_ben v[64];
	struct ovl_dht_addr to;
	size_t len;
	int t;

	if ((len = ovl_dht_pop(dht, &to, buf, sizeof buf)) == 0 ||
	    ovl_ben_decode(buf, len, v, 64) <= 0)
		return (0);
	t = ovl_ben_get_type(v, 0, "t", OVL_BEN_STR);
	if (t < 0 || v[t].len != 4)
		__builtin_trap();
	memcpy(tid, v[t].s, 4);
	return (1);
}

/* One input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char ann[] = "d1:ad2:id20:abcdefghij0123456789"
	    "12:implied_porti1e9:info_hash20:mnopqrstuvwxyz123456"
	    "4:porti1e5:token8:xxxxxxxxe1:q13:announce_peer1:t1:a1:y1:qe";
	struct ovl_dht_addr boot = { { 1, 2, 3, 4 }, 6881 };
	struct ovl_dht_addr other = { { 5, 6, 7, 8 }, 999 };
	struct ovl_dht_cfg cfg = { 0 };
	struct ovl_dht *dht;
	uint8_t *msg, tid[4];
	size_t i, start;

	if (size < 1 || size > 4 * OVL_DHT_PKT_MAX)
		return (0);
	cfg.bootstrap = &boot;
	cfg.nbootstrap = 1;
	cfg.enforce_bep42 = data[0] & 2;
	if ((dht = ovl_dht_new(&cfg, 1000)) == NULL)
		return (0);
	if (!first_tid(dht, tid))
		__builtin_trap();
	(void)ovl_dht_input(dht, &other, (const uint8_t *)ann,
	    sizeof ann - 1, 1000);
	drain(dht);
	if ((msg = malloc(size)) == NULL)
		abort();
	memcpy(msg, data, size);
	for (i = 1; i + 4 <= size; i++)
		if (memcmp(msg + i, "TTTT", 4) == 0)
			memcpy(msg + i, tid, 4);
	for (start = i = 1; i <= size; i++) {
		if (i < size && !(i + 1 < size && msg[i] == '\n' &&
		    msg[i + 1] == '\n'))
			continue;
		(void)ovl_dht_input(dht, (data[0] & 1) ? &boot : &other,
		    msg + start, i - start, 1000 + i);
		drain(dht);
		start = i + 2;
		i++;
	}
	(void)ovl_dht_periodic(dht, 1000 + 3 * 60 * 60 * 1000);
	drain(dht);
	free(msg);
	ovl_dht_free(dht);
	return (0);
}
