// The page's link to `pier ui` (docs/UI.md): calls of the nodes'
// methods, and streams whose bytes the page decodes (frames or JSON
// lines, as on the overlay) and credits back once taken.
const LINES = new Set(['stats.subscribe', 'events.subscribe', 'image.pull']);
export const F = { STDOUT: 1, STDERR: 2, STDIN: 3, RESIZE: 16, EXIT: 17,
	END: 18, ERROR: 19 };
const enc = new TextEncoder();

// A frame: type, 4-byte big-endian length, payload.
export function frame(type, payload) {
	const p = typeof payload === 'string' ? enc.encode(payload) : payload;
	const b = new Uint8Array(5 + p.length);
	b[0] = type;
	new DataView(b.buffer).setUint32(1, p.length);
	b.set(p, 5);
	return b;
}

// Joins two byte arrays.
function cat(a, b) {
	if (a.length === 0)
		return b;
	const c = new Uint8Array(a.length + b.length);
	c.set(a);
	c.set(b, a.length);
	return c;
}

// Cuts a framed stream into frames, whole.
class FrameDec {
	constructor(cb) { this.buf = new Uint8Array(0); this.cb = cb; }
	feed(u8) {
		this.buf = cat(this.buf, u8);
		while (this.buf.length >= 5) {
			const len = new DataView(this.buf.buffer,
			    this.buf.byteOffset).getUint32(1);
			if (this.buf.length < 5 + len)
				break;
			this.cb(this.buf[0], this.buf.slice(5, 5 + len));
			this.buf = this.buf.slice(5 + len);
		}
	}
}

// Cuts a JSON-lines stream into objects.
class LineDec {
	constructor(cb) { this.dec = new TextDecoder(); this.part = '';
		this.cb = cb; }
	feed(u8) {
		const lines = (this.part + this.dec.decode(u8,
		    { stream: true })).split('\n');
		this.part = lines.pop();
		for (const l of lines)
			if (l !== '')
				this.cb(JSON.parse(l));
	}
}

// One stream: a node's channel as the page sees it.
class Stream {
	constructor(conn, id, method, h) {
		this.conn = conn;
		this.id = id;
		this.h = h;
		this.ended = false;
		this.dec = LINES.has(method) ?
		    new LineDec(o => this.line(o)) :
		    new FrameDec((t, d) => h.frame && h.frame(t, d));
	}
	line(o) {
		if (o.error)
			this.h.error && this.h.error(o.error);
		else if (o.end)
			this.h.end && this.h.end(o.end);
		else
			this.h.line && this.h.line(o);
	}
	data(u8) {
		const n = u8.length;
		this.dec.feed(u8);
		// Credit once the consumer has taken the bytes (a terminal:
		// once xterm has parsed them), so a slow page holds pier.
		if (this.h.drain)
			this.h.drain().then(() => this.credit(n));
		else
			this.credit(n);
	}
	credit(n) {
		if (!this.ended)
			this.conn.send({ op: 'credit', id: this.id, bytes: n });
	}
	write(u8) {
		const b = new Uint8Array(4 + u8.length);
		new DataView(b.buffer).setUint32(0, this.id);
		b.set(u8, 4);
		return this.conn.sendBin(b);
	}
	close() { this.conn.send({ op: 'close', id: this.id }); }
	reset() { this.conn.send({ op: 'reset', id: this.id }); }
	closed(status) {
		if (this.ended)
			return;
		this.ended = true;
		this.conn.streams.delete(this.id);
		this.h.closed && this.h.closed(status);
	}
}

// The WebSocket to pier ui, reconnecting after a drop.
export class Conn {
	constructor() {
		this.next = 1;
		this.calls = new Map();
		this.streams = new Map();
		this.ev = {};
		this.retry = 250;
		this.hello = null;
		this.connect();
	}
	on(name, fn) { (this.ev[name] ||= []).push(fn); }
	emit(name, arg) { for (const fn of this.ev[name] || []) fn(arg); }
	get up() { return this.ws && this.ws.readyState === 1; }
	connect() {
		const ws = new WebSocket(`ws://${location.host}/ws`, 'pier-ui');
		ws.binaryType = 'arraybuffer';
		ws.onopen = () => { this.retry = 250; };
		ws.onmessage = e => this.msg(e.data);
		ws.onclose = () => {
			this.ws = null;
			for (const c of this.calls.values())
				c.rej({ name: 'connection',
				    message: 'the page lost pier ui' });
			this.calls.clear();
			for (const s of [...this.streams.values()])
				s.closed('lost');
			this.emit('down');
			setTimeout(() => this.connect(), this.retry);
			this.retry = Math.min(this.retry * 2, 5000);
		};
		this.ws = ws;
	}
	send(o) {
		if (!this.up)
			return false;
		this.ws.send(JSON.stringify(o));
		return true;
	}
	sendBin(b) {
		if (!this.up)
			return false;
		this.ws.send(b);
		return true;
	}
	request(o) {
		const id = this.next++;
		return new Promise((res, rej) => {
			this.calls.set(id, { res, rej });
			if (!this.send({ ...o, id })) {
				this.calls.delete(id);
				rej({ name: 'connection',
				    message: 'not connected to pier ui' });
			}
		});
	}
	call(node, method, params = {}) {
		return this.request({ op: 'call', node, method, params });
	}
	nodes() { return this.request({ op: 'nodes' }); }
	open(node, method, params, h) {
		const id = this.next++;
		const s = new Stream(this, id, method, h);
		this.streams.set(id, s);
		if (!this.send({ op: 'open', id, node, method, params }))
			queueMicrotask(() => s.closed('lost'));
		return s;
	}
	msg(data) {
		if (data instanceof ArrayBuffer) {
			const u8 = new Uint8Array(data);
			const s = this.streams.get(new DataView(data).getUint32(0));
			if (s)
				s.data(u8.subarray(4));
			return;
		}
		const m = JSON.parse(data);
		const c = this.calls.get(m.id), s = this.streams.get(m.id);
		switch (m.op) {
		case 'hello':
			this.hello = m;
			this.emit('hello', m);
			break;
		case 'result':
			if (c) { this.calls.delete(m.id); c.res(m.result); }
			break;
		case 'error':
			if (c) { this.calls.delete(m.id); c.rej(m.error); }
			else if (s) s.h.error && s.h.error(m.error);
			break;
		case 'opened':
			if (s && s.h.opened) s.h.opened(m.result);
			break;
		case 'fin':
			if (s) s.close();	// answer the node's end
			break;
		case 'closed':
			if (s) s.closed(m.status);
			break;
		}
	}
}
