#!/usr/bin/env python3
# Terminal benchmark: keystroke echo latency and bulk output throughput of
# an interactive command run under a real PTY, for any client command line:
#
#   bench-shell.py [--keys N] [--mib M] -- CMD... (runs CMD under a PTY)
#
# CMD must end in a container's `sh` (e.g. `pier exec -it n1/c sh` or
# `docker exec -it c sh`). Echo: `stty raw echo; head -c N` runs,
# then N single keystrokes are typed one at a time, each timed from the
# write to the echoed byte coming back (the container's line discipline
# echoes it). Throughput: the container writes M MiB to its terminal
# (`head -c | tr`), timed from the command to its end marker, all bytes
# read by us. Prints one JSON line with the numbers.
import json, os, pty, select, statistics, sys, time

def read_until(fd, marker, timeout=60.0):
	buf = b""
	end = time.monotonic() + timeout
	while marker not in buf:
		left = end - time.monotonic()
		if left <= 0:
			raise TimeoutError("no %r in %r" % (marker, buf[-200:]))
		r, _, _ = select.select([fd], [], [], left)
		if r:
			b = os.read(fd, 65536)
			if not b:
				raise EOFError(buf[-200:])
			buf += b[-4096:] if len(buf) > 8192 else b
			buf = buf[-8192:]
	return buf

def main():
	args = sys.argv[1:]
	keys, mib = 500, 256
	while args and args[0] != "--":
		if args[0] == "--keys":
			keys = int(args[1]); args = args[2:]
		elif args[0] == "--mib":
			mib = int(args[1]); args = args[2:]
		else:
			sys.exit("usage: bench-shell.py [--keys N] [--mib M] -- CMD...")
	cmd = args[1:]
	pid, fd = pty.fork()
	if pid == 0:
		os.execvp(cmd[0], cmd)
	os.set_blocking(fd, True)
	time.sleep(1.0)
	os.write(fd, b"PS1='RDY''>'\r")
	read_until(fd, b"RDY>")
	# Echo latency: raw mode with echo, cat reading.
	os.write(fd, ("stty raw echo; echo GO''GO; head -c %d >/dev/null; "
	    "stty sane; echo SY''NC\r" % keys).encode())
	read_until(fd, b"GOGO")
	time.sleep(0.3)
	lat = []
	last = b""
	for i in range(keys):
		c = b"abcdefghijklmnopqrstuvwxyz"[i % 26:i % 26 + 1]
		t0 = time.perf_counter()
		os.write(fd, c)
		while True:
			r, _, _ = select.select([fd], [], [], 5.0)
			if not r:
				raise TimeoutError("keystroke %d not echoed" % i)
			last = os.read(fd, 1024)
			if c in last:
				break
		lat.append((time.perf_counter() - t0) * 1e6)
	if b"SYNC" not in last:
		read_until(fd, b"SYNC")	# head took every keystroke
	# Throughput: M MiB written by the container to its terminal.
	n = mib * 1024 * 1024
	os.write(fd, ("head -c %d /dev/zero | tr '\\0' x; echo; echo EN''D\r"
	    % n).encode())
	t0 = time.perf_counter()
	got = 0
	tail = b""
	while True:
		r, _, _ = select.select([fd], [], [], 120.0)
		if not r:
			raise TimeoutError("throughput stalled at %d bytes" % got)
		b = os.read(fd, 1 << 20)
		if not b:
			break
		got += len(b)
		tail = (tail + b)[-64:]
		if b"END" in tail:
			break
	secs = time.perf_counter() - t0
	os.write(fd, b"exit\r")
	try:
		os.waitpid(pid, 0)
	except ChildProcessError:
		pass
	lat.sort()
	print(json.dumps({
		"cmd": " ".join(cmd),
		"keys": keys,
		"echo_median_us": round(statistics.median(lat)),
		"echo_p99_us": round(lat[int(len(lat) * 0.99) - 1]),
		"mib": mib,
		"seconds": round(secs, 3),
		"mib_per_s": round(got / secs / 1048576, 2),
	}))

main()
