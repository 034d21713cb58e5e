/* Tests of tools/pier/ (being written). */
#include "test.h"
#include "cli-out.h"

static void
test_placeholder(void)
{
	SKIP("being written");
}

TEST_MAIN(T(test_placeholder))
