/*
 * The floor of one more hop, for tools/bench/bench-term.sh: a relay that
 * does nothing but copy bytes between a TCP port on 127.0.0.1 and the
 * engine's unix socket, so `docker -H tcp://127.0.0.1:PORT exec -it`
 * crosses the same hops as `pier exec -it` (a client, TCP on loopback, a
 * process in the middle, the engine's unix socket) without a record
 * layer, a mux, a session or a screen model. What pier costs over this
 * relay is pier's; what the relay costs over a local docker exec is the
 * hop's.
 *
 * One thread per connection, poll(2) on the two sockets, one read and
 * one write per chunk, TCP_NODELAY: nothing batches or waits.
 *
 * Usage: bench-relay PORT SOCKET (runs until killed)
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RELAY_BUF	(64 * 1024)

static const char *relay_path;

/* Writes all of a buffer; -1 on failure. */
static int
relay_write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-1);
		buf += n;
		len -= (size_t)n;
	}
	return (0);
}

/* Copies between one accepted connection and a new engine connection. */
static void *
relay_pair(void *arg)
{
	struct sockaddr_un	 sun;
	struct pollfd		 p[2];
	char			*buf;
	ssize_t			 n;
	int			 t = (int)(long)arg, u, one = 1, i;

	buf = malloc(RELAY_BUF);
	u = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", relay_path);
	if (buf == NULL || u < 0 ||
	    connect(u, (struct sockaddr *)&sun, sizeof(sun)) != 0)
		goto out;
	(void)setsockopt(t, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	p[0].fd = t;
	p[1].fd = u;
	p[0].events = p[1].events = POLLIN;
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		for (i = 0; i < 2; i++) {
			if (p[i].revents == 0)
				continue;
			n = read(p[i].fd, buf, RELAY_BUF);
			if (n <= 0 ||
			    relay_write_all(p[!i].fd, buf, (size_t)n) != 0)
				goto out;
		}
	}
out:
	free(buf);
	(void)close(t);
	if (u >= 0)
		(void)close(u);
	return (NULL);
}

/* Accepts on 127.0.0.1:PORT, a thread for each connection. */
int
main(int argc, char **argv)
{
	struct sockaddr_in	 sin;
	pthread_t		 th;
	int			 l, c, one = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: bench-relay PORT SOCKET\n");
		return (2);
	}
	relay_path = argv[2];
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(argv[1]));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) != 0 || bind(l, (struct sockaddr *)&sin,
	    sizeof(sin)) != 0 || listen(l, 64) != 0) {
		perror("bench-relay");
		return (1);
	}
	for (;;) {
		c = accept(l, NULL, NULL);
		if (c < 0)
			continue;
		if (pthread_create(&th, NULL, relay_pair,
		    (void *)(long)c) != 0) {
			(void)close(c);
			continue;
		}
		(void)pthread_detach(th);
	}
}
