/*
 * The service manager's readiness protocol, written out (as sd_notify(3)
 * describes it) so pierd needs no libsystemd: when NOTIFY_SOCKET names a
 * unix datagram socket (a path, or "@name" in the abstract namespace),
 * each state change is one datagram of newline-separated VAR=VALUE lines:
 * READY=1 once the node listens, STOPPING=1 when it begins to stop,
 * STATUS=... for `systemctl status`. Without NOTIFY_SOCKET (run by hand,
 * in a container) every call does nothing.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "node.h"

/* Sends state to the service manager; 0, or a negative errno. */
int
node_notify(const char *state)
{
	struct sockaddr_un	 sun;
	const char		*path;
	socklen_t		 len;
	size_t			 plen;
	ssize_t			 n;
	int			 fd, err = 0;

	path = getenv("NOTIFY_SOCKET");
	if (path == NULL || path[0] == '\0')
		return (0);
	if (path[0] != '/' && path[0] != '@')
		return (-EAFNOSUPPORT);
	plen = strlen(path);
	memset(&sun, 0, sizeof(sun));
	if (plen >= sizeof(sun.sun_path))
		return (-ENAMETOOLONG);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, plen);
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0';	/* abstract: no terminating NUL */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return (-errno);
	n = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != strlen(state))
		err = -EMSGSIZE;
	close(fd);
	return (err);
}
