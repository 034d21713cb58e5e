/*
 * docker/: an asynchronous Docker Engine API client on libuv. It knows
 * nothing of peers or keys. Other folders include this header and nothing
 * else of docker/.
 */
#ifndef PIER_DOCKER_H
#define PIER_DOCKER_H

#include "dk-exec.h"

#endif
