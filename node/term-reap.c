/*
 * Ending what a Docker exec started. The engine has no call to stop an
 * exec, and dropping its connection leaves the process running (as a
 * killed `docker exec` client does), so the node signals the processes
 * itself when nobody is left to use them.
 *
 * The exec's process (Pid in exec inspect, a host pid) leads a process
 * session (setsid) of its own: runc makes it one, with a TTY or without,
 * and whatever it starts (pipelines, `cmd &`, a shell's jobs in other
 * process groups) stays in that process session unless it makes a new
 * one on purpose. So the signal goes to every process of that process
 * session, found in /proc, whose cgroup names the container: the cgroup
 * check keeps a reused pid, or a pierd in another pid namespace (where
 * the engine's pids mean other processes, or none), from hitting
 * anything but the container's own. A reaper sends a first signal now
 * and SIGKILL to whatever is left of the process session
 * TERM_EXEC_KILL_MS later, on a timer of its own that outlives the
 * request or terminal session that asked for it.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "node.h"

#define REAP_STAT_MAX	1024	/* bytes of /proc/N/stat read */
#define REAP_CGROUP_MAX	8192	/* bytes of /proc/N/cgroup read */
#define REAP_ID_MIN	12	/* shortest container id trusted */

/* One reaper: SIGKILL for the process session when its timer fires. */
struct term_reap {
	uv_timer_t	 timer;
	char		*container;
	int		 sid;
};

/* Reads up to len - 1 bytes of a file into buf; its length or -errno. */
static ssize_t
read_small(const char *path, char *buf, size_t len)
{
	ssize_t	n, got = 0;
	int	fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return (-errno);
	while ((size_t)got < len - 1) {
		n = read(fd, buf + got, len - 1 - (size_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	(void)close(fd);
	buf[got] = '\0';
	return (got);
}

/* The process session id of pid, or -1 (gone, unreadable). */
static int
proc_session(int pid)
{
	char		 path[64], buf[REAP_STAT_MAX], *p;
	char		 state;
	int		 ppid, pgrp, sess;

	(void)snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return (-1);
	/* The name may hold anything, ')' too: fields follow the last. */
	p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 1, " %c %d %d %d", &state, &ppid, &pgrp,
	    &sess) != 4)
		return (-1);
	return (sess);
}

/* Tells whether process pid's cgroup names the container. */
static int
proc_in_container(int pid, const char *container)
{
	char	path[64], buf[REAP_CGROUP_MAX];

	(void)snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return (0);
	return (strstr(buf, container) != NULL);
}

/* Signals a process session's processes in the container; see node.h. */
int
term_exec_signal(const char *container, int sid, int signum)
{
	struct dirent	*de;
	DIR		*d;
	char		*end;
	long		 pid;
	int		 n = 0, err = 0;

	if (container == NULL || strlen(container) < REAP_ID_MIN || sid <= 1)
		return (-EINVAL);
	d = opendir("/proc");
	if (d == NULL)
		return (-errno);
	while ((de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = strtol(de->d_name, &end, 10);
		if (*end != '\0' || pid <= 1 || pid > INT32_MAX)
			continue;
		if (proc_session((int)pid) != sid ||
		    !proc_in_container((int)pid, container))
			continue;
		if (kill((pid_t)pid, signum) == 0)
			n++;
		else if (errno != ESRCH)
			err = -errno;
	}
	(void)closedir(d);
	if (n > 0)
		return (n);
	return (err != 0 ? err : -ESRCH);
}

/* The reaper's timer is closed: free it. */
static void
reap_free(uv_handle_t *h)
{
	struct term_reap *rp = container_of((uv_timer_t *)h, struct term_reap,
	    timer);

	free(rp->container);
	free(rp);
}

/* The grace time is over: SIGKILL for what is left. */
static void
reap_timer(uv_timer_t *t)
{
	struct term_reap *rp = container_of(t, struct term_reap, timer);

	(void)term_exec_signal(rp->container, rp->sid, SIGKILL);
	uv_close((uv_handle_t *)&rp->timer, reap_free);
}

/* Signals a process session now, SIGKILL later; see node.h. */
int
term_exec_reap(uv_loop_t *loop, const char *container, int sid,
    int first_sig)
{
	struct term_reap	*rp;
	int			 n, err;

	n = term_exec_signal(container, sid, first_sig);
	if (n < 0)
		return (n);
	rp = calloc(1, sizeof(*rp));
	if (rp == NULL || (rp->container = strdup(container)) == NULL) {
		free(rp);
		(void)term_exec_signal(container, sid, SIGKILL);
		return (n);
	}
	rp->sid = sid;
	err = uv_timer_init(loop, &rp->timer);
	if (err != 0) {
		free(rp->container);
		free(rp);
		(void)term_exec_signal(container, sid, SIGKILL);
		return (n);
	}
	err = uv_timer_start(&rp->timer, reap_timer, TERM_EXEC_KILL_MS, 0);
	if (err != 0) {
		(void)term_exec_signal(container, sid, SIGKILL);
		uv_close((uv_handle_t *)&rp->timer, reap_free);
	}
	return (n);
}
