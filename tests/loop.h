/*
 * Waiting on a loop in a test: run it until a condition holds, and fail
 * rather than hang when nothing is left that could make it hold. Tests
 * that add their own deadline do so with a timer on the same loop.
 */
#ifndef PIER_TEST_LOOP_H
#define PIER_TEST_LOOP_H

#include <uv.h>

#include "test.h"

/* Runs the loop until cond holds; FAILs if it runs dry. */
#define RUN_UNTIL(loop, cond) do {					\
	while (!(cond))							\
		if (uv_run((loop), UV_RUN_ONCE) == 0 && !(cond))	\
			FAIL("loop ran dry waiting for %s", #cond);	\
} while (0)

#endif
