/*
 * Fuzzes the stats reader: any text, JSON or not, must parse to a sample
 * or fail with a cause, and a parsed sample must hold no NaN or negative
 * percentage.
 */
#include <stdint.h>
#include <stdlib.h>

#include "docker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One input: a stats object, or anything else. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dk_stats st;
	char *cause = NULL;
	int rc;

	rc = dk_stats_parse((const char *)data, size, &st, &cause);
	if (rc != 0) {
		if (cause == NULL)
			abort();
		free(cause);
		return (0);
	}
	if (cause != NULL)
		abort();
	if (!(st.cpu_percent >= 0.0) || !(st.mem_percent >= 0.0))
		abort();
	if (st.mem_usage > 0 && st.mem_limit == 0 && st.mem_percent != 0.0)
		abort();
	return (0);
}
