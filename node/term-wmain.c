/*
 * The screen worker's side (see term-worker.c for the node's and the
 * frames). Before it reads a byte of program output it gives up all it
 * can: it dies with its parent, closes every descriptor but its socket
 * (0) and stderr, becomes nobody (uid and gid 65534, no supplementary
 * groups, so no capabilities either) when started as root, sets
 * no_new_privs and installs a seccomp filter that kills it on any system
 * call but read, write, the memory calls malloc needs (and getrandom,
 * for its tcache key), the clock and exit. What a fault in libvterm can then do is write garbage to the
 * node, which checks every frame, or die, which costs screen state.
 *
 * It runs as SCHED_BATCH: at its priority, but never waking ahead of the
 * node or a viewer's client, whose echo of a keystroke is on its way
 * when the worker's copy of it arrives.
 *
 * Under AddressSanitizer the filter also lets through the few calls the
 * sanitizer's runtime makes while it runs; it would make more to report
 * a finding, which the filter turns into the same death.
 */
#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "term.h"
#include "term-wire.h"

#define WM_NOBODY	65534	/* uid and gid of nobody */

#if defined(__SANITIZE_ADDRESS__)		/* gcc */
#define WM_ASAN		1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)		/* clang */
#define WM_ASAN		1
#endif
#endif

#if defined(__x86_64__)
#define WM_ARCH		AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define WM_ARCH		AUDIT_ARCH_AARCH64
#endif

/* One screen. */
struct wm_screen {
	uint32_t		 id;
	struct term_screen	*s;
};

/* The worker's state. */
struct wm {
	struct wm_screen	*v;
	size_t			 n;
	size_t			 cap;
	size_t			 last;	/* index of the last one used */
	struct tw_buf		 in;
};

/* The system calls let through; the rest kill the process. */
static const int wm_allowed[] = {
	SYS_read, SYS_write, SYS_brk, SYS_mmap, SYS_munmap, SYS_mremap,
	SYS_madvise, SYS_exit, SYS_exit_group, SYS_rt_sigreturn, SYS_futex,
	SYS_clock_gettime, SYS_getrandom,	/* glibc's malloc, once */
#if defined(WM_ASAN)
	SYS_sched_yield, SYS_getpid, SYS_gettid, SYS_sigaltstack,
	SYS_rt_sigprocmask, SYS_mprotect,
#endif
};

/* Installs the seccomp filter; -errno. */
static int
wm_seccomp(void)
{
#ifdef WM_ARCH
	struct sock_filter f[8 + 2 * sizeof(wm_allowed) /
	    sizeof(wm_allowed[0])];
	struct sock_fprog prog;
	size_t i, n = 0;

	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	    offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
	    WM_ARCH, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
	    SECCOMP_RET_KILL_PROCESS);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	    offsetof(struct seccomp_data, nr));
	for (i = 0; i < sizeof(wm_allowed) / sizeof(wm_allowed[0]); i++) {
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ |
		    BPF_K, (unsigned)wm_allowed[i], 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		    SECCOMP_RET_ALLOW);
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
	    SECCOMP_RET_KILL_PROCESS);
	prog.len = (unsigned short)n;
	prog.filter = f;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
		return (-errno);
	return (0);
#else
	return (-ENOSYS);
#endif
}

/* Gives up everything but the socket; -errno. */
static int
wm_drop(void)
{
	long fd, max;

	/* No getppid() check: pierd may be pid 1 in a container. A node
	 * gone before this call closed the socket, which ends the loop. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
		return (-errno);
	if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0) {
		/* Before Linux 5.9. */
		max = sysconf(_SC_OPEN_MAX);
		if (max < 0 || max > 65536)
			max = 65536;
		for (fd = 3; fd < max; fd++)
			(void)close((int)fd);
	}
	(void)sched_setscheduler(0, SCHED_BATCH, &(struct sched_param){ 0 });
	if (geteuid() == 0 || getegid() == 0) {
		if (setgroups(0, NULL) != 0 || setgid(WM_NOBODY) != 0 ||
		    setuid(WM_NOBODY) != 0)
			return (-errno);
		if (setuid(0) == 0)
			return (-EPERM);	/* still root */
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return (-errno);
	return (wm_seccomp());
}

/* Writes all of a buffer to the node; -errno. */
static int
wm_write(const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(0, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-EPIPE);
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

/* Sends one frame to the node. */
static int
wm_send(uint32_t id, int kind, const void *head, size_t hlen,
    const void *data, size_t dlen)
{
	unsigned char h[TW_HDR];
	int err;

	tw_put_hdr(h, (uint32_t)(hlen + dlen), id, kind);
	err = wm_write(h, TW_HDR);
	if (err == 0)
		err = wm_write(head, hlen);
	if (err == 0)
		err = wm_write(data, dlen);
	return (err);
}

/* Finds a screen's slot by id; n if none. */
static size_t
wm_find(struct wm *m, uint32_t id)
{
	size_t i;

	if (m->last < m->n && m->v[m->last].id == id)
		return (m->last);
	for (i = 0; i < m->n; i++)
		if (m->v[i].id == id) {
			m->last = i;
			return (i);
		}
	return (m->n);
}

/* Makes a screen; tells the node if it cannot. */
static int
wm_create(struct wm *m, uint32_t id, const unsigned char *b, size_t len)
{
	struct wm_screen *v;
	struct term_screen *s;
	size_t cap;

	if (len < 12 || wm_find(m, id) < m->n)
		return (-EINVAL);
	if (m->n == m->cap) {
		cap = m->cap ? m->cap * 2 : 16;
		v = realloc(m->v, cap * sizeof(*v));
		if (v == NULL)
			return (wm_send(id, TW_FAIL, NULL, 0, NULL, 0));
		m->v = v;
		m->cap = cap;
	}
	if (term_screen_new(&s, tw_get16(b), tw_get16(b + 2), tw_get32(b + 4),
	    tw_get32(b + 8)) != 0)
		return (wm_send(id, TW_FAIL, NULL, 0, NULL, 0));
	m->v[m->n].id = id;
	m->v[m->n].s = s;
	m->n++;
	return (0);
}

/* Frees slot i. */
static void
wm_free(struct wm *m, size_t i)
{
	term_screen_free(m->v[i].s);
	m->v[i] = m->v[--m->n];
	m->last = 0;
}

/* Acts on one frame from the node; an error ends the worker. */
static int
wm_frame(struct wm *m, uint32_t id, int kind, const unsigned char *b,
    size_t len)
{
	unsigned char h[4];
	size_t i, slen;
	char *snap;
	int err;

	if (kind == TW_CREATE)
		return (wm_create(m, id, b, len));
	i = wm_find(m, id);
	if (i == m->n)		/* failed before: a request is answered */
		return (kind == TW_SNAP ? wm_send(id, TW_FAIL, NULL, 0, NULL,
		    0) : 0);
	switch (kind) {
	case TW_DATA:
		term_screen_feed(m->v[i].s, b, len);
		return (0);
	case TW_RESIZE:
		if (len < 4)
			return (-EINVAL);
		if (term_screen_resize(m->v[i].s, tw_get16(b),
		    tw_get16(b + 2)) == 0)
			return (0);
		break;
	case TW_SNAP:
		if (len < 8)
			return (-EINVAL);
		if (term_screen_snapshot(m->v[i].s, (int)tw_get32(b + 4), &snap,
		    &slen) != 0)
			break;
		memcpy(h, b, 4);
		err = wm_send(id, TW_SNAP, h, 4, snap, slen);
		free(snap);
		return (err);
	case TW_FREE:
		wm_free(m, i);
		return (0);
	default:
		return (-EINVAL);
	}
	wm_free(m, i);
	return (wm_send(id, TW_FAIL, NULL, 0, NULL, 0));
}

/* Serves the node until it closes the socket. */
int
term_worker_main(void)
{
	struct wm m;
	unsigned char *b;
	uint32_t len, id;
	size_t off;
	ssize_t n;
	int err, kind;

	memset(&m, 0, sizeof(m));
	/* malloc's first call sets itself up (getrandom): done here. */
	if (tw_buf_room(&m.in, TW_REQ_MAX) != 0)
		return (1);
	err = wm_drop();
	if (err != 0) {
		fprintf(stderr, "pierd screen worker: cannot drop "
		    "privileges: %s\n", strerror(-err));
		return (1);
	}
	for (;;) {
		if (tw_buf_room(&m.in, TW_REQ_MAX) != 0)
			_exit(1);
		n = read(0, m.in.p + m.in.len, m.in.cap - m.in.len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		m.in.len += (size_t)n;
		off = 0;
		while (m.in.len - off >= TW_HDR) {
			b = (unsigned char *)m.in.p + off;
			tw_get_hdr(b, &len, &id, &kind);
			if (len > TW_REQ_MAX)
				_exit(1);
			if (m.in.len - off - TW_HDR < len)
				break;
			off += TW_HDR + len;
			if (wm_frame(&m, id, kind, b + TW_HDR, len) != 0)
				_exit(1);
		}
		memmove(m.in.p, m.in.p + off, m.in.len - off);
		m.in.len -= off;
	}
	/* No exit handlers: nothing is left to flush, and a sanitizer's
	 * leak check would make calls the filter refuses. */
	_exit(0);
}
