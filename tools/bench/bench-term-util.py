#!/usr/bin/env python3
# Helpers of tools/bench/bench-term.sh, one subcommand each:
#
#   bench-term-util.py open N PIER NODE/CONTAINER
#	opens N `pier shell` sessions one after the other, each under its
#	own PTY: waits for the shell to answer, then types the ~. escape
#	after a newline and waits for pier to exit 0 (the session stays on
#	the node, detached). Exits non-zero naming the session that failed.
#   bench-term-util.py hold N CMD...
#	starts N copies of CMD (a shell: `pier shell NODE/CTR`, `docker
#	exec -it CTR sh`), each under its own PTY, one after the other, each
#	waited for as open does; prints "ready PID..." (the N processes) and
#	holds them, reading what they print, until its stdin ends; then
#	closes their terminals and waits for them (tools/bench/
#	bench-node-load.sh).
#   bench-term-util.py report RESULTS KEYS MIB
#	prints the echo and bulk tables from RESULTS (lines "ROUND CLIENT
#	JSON", JSON from bench-shell.py): per round, medians over the rounds
#	and ratios against local `docker exec -it`.
#   bench-term-util.py memory N SCREEN-JSON RSS0 ANON0 HEAP0 RSS1 ANON1
#	    HEAP1 RSS2 ANON2 HEAP2
#	prints memory per idle session: the node's VmRSS and RssAnon (KiB)
#	and heap in use (bytes) before (0) and after (1) N sessions and after
#	they were killed (2), less one screen's heap (bench-term-mem's JSON).
import json, os, pty, select, signal, statistics, sys, time

def wait_ready(i, fd):
	"""Waits until the shell on fd answers a typed echo (30 s)."""
	# Typed once the prompt is up, and again every 2 s: busybox's
	# line editor asks for the cursor position (ESC [6n) and drops
	# what it reads before the answer, which no one sends here.
	buf, end, typed = b"", time.monotonic() + 30, 0.0
	while b"READY" not in buf:
		now = time.monotonic()
		if now > end:
			sys.exit("session %d: no answer: %r" % (i, buf[-200:]))
		if b"# " in buf and now - typed > 2.0:
			os.write(fd, b"echo RE''ADY\r")
			typed = now
		r, _, _ = select.select([fd], [], [], 0.2)
		if r:
			try:
				b = os.read(fd, 4096)
			except OSError:
				b = b""
			if not b:
				sys.exit("session %d: the client ended: %r" %
				    (i, buf[-200:]))
			buf += b

def open_sessions(n, pier, target):
	for i in range(n):
		pid, fd = pty.fork()
		if pid == 0:
			os.execv(pier, [pier, "shell", target])
		wait_ready(i, fd)
		os.write(fd, b"\r~.")
		end = time.monotonic() + 10
		while True:
			if time.monotonic() > end:
				sys.exit("session %d: ~. did not detach" % i)
			r, _, _ = select.select([fd], [], [], 1.0)
			try:
				if r and not os.read(fd, 4096):
					break
			except OSError:
				break
		_, st = os.waitpid(pid, 0)
		os.close(fd)
		if os.waitstatus_to_exitcode(st) != 0:
			sys.exit("session %d: pier exited with %d" %
			    (i, os.waitstatus_to_exitcode(st)))

def hold(n, cmd):
	kids = {}
	for i in range(n):
		pid, fd = pty.fork()
		if pid == 0:
			os.execvp(cmd[0], cmd)
		kids[fd] = pid
		wait_ready(i, fd)
	print("ready " + " ".join(str(p) for p in kids.values()), flush=True)
	fds = list(kids)
	while True:
		r, _, _ = select.select(fds + [0], [], [], 5.0)
		if 0 in r and not os.read(0, 4096):
			break
		for fd in r:
			if fd == 0:
				continue
			try:
				if os.read(fd, 4096):
					continue
			except OSError:
				pass
			fds.remove(fd)
	for fd in kids:
		os.close(fd)
	end = time.monotonic() + 10
	for pid in kids.values():
		while os.waitpid(pid, os.WNOHANG) == (0, 0):
			if time.monotonic() > end:
				os.kill(pid, signal.SIGKILL)
			time.sleep(0.05)

def report(path, keys, mib):
	rows = {}
	for line in open(path):
		r, c, js = line.split(" ", 2)
		rows.setdefault(c, []).append((int(r), json.loads(js)))
	print("echo over %d keys (us) and %d MiB of output, per round:" %
	    (keys, mib))
	print("%-11s %5s %11s %9s %9s %8s" % ("client", "round",
	    "echo median", "echo p99", "bulk s", "MiB/s"))
	for c, l in rows.items():
		for r, j in l:
			print("%-11s %5d %11d %9d %9.2f %8.2f" % (c, r,
			    j["echo_median_us"], j["echo_p99_us"], j["seconds"],
			    mib / j["seconds"]))
	if "docker" not in rows:
		return
	def med(c, k):
		return statistics.median(j[k] for _, j in rows[c])
	dm, ds = med("docker", "echo_median_us"), med("docker", "seconds")
	print("\nmedians over the rounds, against local docker exec -it:")
	print("%-11s %11s %9s %9s %12s %9s" % ("client", "echo median",
	    "echo p99", "bulk s", "echo/docker", "bulk %"))
	for c in rows:
		m, p, s = (med(c, "echo_median_us"), med(c, "echo_p99_us"),
		    med(c, "seconds"))
		print("%-11s %11d %9d %9.2f %12.2f %8.0f%%" % (c, m, p, s,
		    m / dm, ds / s * 100))
	print("\neach round against that round's docker exec -it "
	    "(echo median ratio, bulk % of docker's rate):")
	d = dict(rows["docker"])
	for c, l in rows.items():
		if c == "docker":
			continue
		print("%-11s %s" % (c, "   ".join("r%d %.2f %.0f%%" % (r,
		    j["echo_median_us"] / d[r]["echo_median_us"],
		    d[r]["seconds"] / j["seconds"] * 100) for r, j in l
		    if r in d)))

def memory(n, screen, v):
	rss0, anon0, heap0, rss1, anon1, heap1, rss2, anon2, heap2 = v
	sh = json.loads(screen)["heap_per_screen"] / 1024
	sc = json.loads(screen)["counted_per_screen"] / 1024
	print("\nmemory per idle session (%d detached pier shell sessions, "
	    "KiB):" % n)
	print("  pierd VmRSS %d -> %d, RssAnon %d -> %d, heap in use "
	    "%.0f -> %.0f" % (rss0, rss1, anon0, anon1, heap0 / 1024,
	    heap1 / 1024))
	print("  per session: VmRSS %.1f, RssAnon %.1f, heap %.1f" %
	    ((rss1 - rss0) / n, (anon1 - anon0) / n,
	    (heap1 - heap0) / n / 1024))
	print("  one 24x80 screen, 1000-line scrollback, fed a prompt: heap "
	    "%.1f (term_screen_memory %.1f)" % (sh, sc))
	print("  besides the screen: VmRSS %.1f, RssAnon %.1f, heap %.1f "
	    "(target < 256)" % ((rss1 - rss0) / n - sh,
	    (anon1 - anon0) / n - sh, (heap1 - heap0) / n / 1024 - sh))
	print("  after killing them all: VmRSS %d, RssAnon %d, heap %.0f "
	    "(%+.1f against before)" % (rss2, anon2, heap2 / 1024,
	    (heap2 - heap0) / 1024))

def main():
	a = sys.argv[1:]
	if len(a) == 4 and a[0] == "open":
		open_sessions(int(a[1]), a[2], a[3])
	elif len(a) >= 3 and a[0] == "hold":
		hold(int(a[1]), a[2:])
	elif len(a) == 4 and a[0] == "report":
		report(a[1], int(a[2]), int(a[3]))
	elif len(a) == 12 and a[0] == "memory":
		memory(int(a[1]), a[2], [int(x) for x in a[3:]])
	else:
		sys.exit("usage: bench-term-util.py open N PIER TARGET | "
		    "hold N CMD... | report RESULTS KEYS MIB | "
		    "memory N SCREEN 9xNUMBERS")

main()
