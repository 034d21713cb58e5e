/*
 * The PCP response decoder (overlay/pcp.c) over arbitrary datagrams, as
 * a gateway or anyone on the LAN could send them: it must never read
 * outside the buffer, and whatever it accepts must carry the request's
 * nonce and port. Each input is also decoded against a delete request.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "portmap-int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* One input: decode against a map request and a delete request. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ovl__pcp_req	req;
	struct ovl__pcp_resp	r;
	uint8_t			msg[OVL__PCP_MAP_LEN], *copy;
	char			ip[OVL_PM_ADDR_MAX];
	int			err, i;

	memset(&req, 0, sizeof(req));
	memcpy(req.nonce, "pier-nonce-1", OVL__PCP_NONCE_LEN);
	req.internal_port = 7437;
	req.suggested_port = 7437;
	/* Exactly the length, so ASan sees any read past it. */
	copy = malloc(size > 0 ? size : 1);
	if (copy == NULL)
		return (0);
	memcpy(copy, data, size);
	for (i = 0; i < 2; i++) {
		req.lifetime = i == 0 ? 3600 : 0;
		(void)ovl__pcp_encode(&req, msg);
		err = ovl__pcp_decode(copy, size, &req, &r);
		if (err == 0) {
			(void)ovl__pcp_result_name(r.result);
			ovl__pm_addr_text(r.external_ip, ip, sizeof(ip));
			if (size >= OVL__PCP_MAP_LEN && (memcmp(copy + 24,
			    req.nonce, OVL__PCP_NONCE_LEN) != 0))
				abort();
			if (r.result == 0 && i == 0 && r.external_port == 0)
				abort();
		} else if (err != -EPROTO && err != -EPROTONOSUPPORT)
			abort();
	}
	free(copy);
	return (0);
}
