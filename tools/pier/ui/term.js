// The tray of terminals: xterm.js on a node's terminal session, as
// `pier shell` / `exec -it` / `attach` do it: typed bytes as STDIN
// frames, the size as RESIZE frames, a detach that leaves the session
// running, a reattach that repaints the screen, and a reattach by
// itself after a drop (of the node's link or of the page's).
import { Terminal } from './xterm.mjs';
import { FitAddon } from './addon-fit.mjs';
import { F, frame } from './conn.js';

const RETRY_MAX_MS = 5000;

export class Term {
	// o: {node, kind, container, cmd, attach, readOnly, title}
	constructor(tray, o) {
		this.tray = tray;
		this.conn = tray.conn;
		this.o = o;
		this.session = o.attach || null;
		this.done = false;
		this.detached = false;
		this.opens = 0;
		this.wait = 100;
		this.el = document.createElement('div');
		this.el.className = 'term' + (o.readOnly ? ' ro' : '');
		this.el.innerHTML = '<div class="bar"><strong></strong>' +
		    '<span class="mute st"></span>' +
		    '<button class="det">Detach</button>' +
		    '<button class="x" aria-label="close">Close</button></div>' +
		    '<div class="screen"></div>';
		this.el.querySelector('strong').textContent = o.title;
		this.st = this.el.querySelector('.st');
		this.det = this.el.querySelector('.det');
		this.det.onclick = () => this.detached ? this.reattach() :
		    this.detach();
		this.el.querySelector('.x').onclick = () => this.dispose();
		tray.el.append(this.el);
		this.term = new Terminal({ fontSize: 13, convertEol: false,
		    disableStdin: !!o.readOnly, scrollback: 2000 });
		this.fit = new FitAddon();
		this.term.loadAddon(this.fit);
		this.term.open(this.el.querySelector('.screen'));
		this.fit.fit();
		this.term.onData(d => this.input(d));
		this.term.onResize(s => this.resize(s.rows, s.cols));
		new ResizeObserver(() => this.fit.fit())
		    .observe(this.el.querySelector('.screen'));
		this.start();
		this.term.focus();
	}
	status(t) { this.st.textContent = ' ' + t + ' '; }
	// The screen's text, row by row (for people and for the tests).
	text() {
		const b = this.term.buffer.active, rows = [];
		for (let i = 0; i < b.length; i++)
			rows.push(b.getLine(i).translateToString(true));
		return rows.join('\n');
	}
	start() {
		const p = { rows: this.term.rows, cols: this.term.cols };
		let method = 'session.open';
		if (this.session) {
			method = 'session.attach';
			Object.assign(p, { id: this.session,
			    read_only: !!this.o.readOnly });
			this.term.reset();	// the repaint draws it again
		} else {
			p.kind = this.o.kind;
			if (this.o.container)
				p.container = this.o.container;
			if (this.o.cmd)
				p.cmd = this.o.cmd;
		}
		this.status('connecting');
		this.s = this.conn.open(this.o.node, method, p, {
			opened: r => {
				this.opens++;	// (the tests count reattaches)
				this.session = r.session;
				this.wait = 100;
				this.status('');
			},
			frame: (t, d) => this.frame(t, d),
			drain: () => new Promise(r => this.term.write('', r)),
			error: e => this.end(e.message || e.name),
			closed: st => this.closed(st),
		});
	}
	frame(t, d) {
		if (t === F.STDOUT || t === F.STDERR)
			this.term.write(d);
		else if (t === F.EXIT)
			this.end('exited ' + new DataView(d.buffer,
			    d.byteOffset).getInt32(0));
		else if (t === F.END)
			this.end('ended');
		else if (t === F.ERROR)
			this.end(JSON.parse(new TextDecoder().decode(d)).message);
	}
	end(why) {
		this.done = true;
		this.status(why);
		this.det.hidden = true;
	}
	closed(st) {
		this.s = null;
		if (this.done || this.detached)
			return;
		if (!this.session) {
			this.end('could not start');
			return;
		}
		// The link dropped: attach again, as the CLI does.
		this.status('reconnecting');
		const again = () => {
			if (this.done || this.detached || this.s)
				return;
			if (!this.conn.up) {
				this.conn.on('hello', again);
				return;
			}
			this.start();
		};
		setTimeout(again, this.wait);
		this.wait = Math.min(this.wait * 2, RETRY_MAX_MS);
	}
	input(d) {
		if (this.s && !this.o.readOnly)
			this.s.write(frame(F.STDIN, d));
	}
	resize(rows, cols) {
		if (this.s)
			this.s.write(frame(F.RESIZE, new Uint8Array([rows >> 8,
			    rows & 255, cols >> 8, cols & 255])));
	}
	detach() {
		this.detached = true;
		if (this.s)
			this.s.close();		// a FIN: the node detaches
		this.det.textContent = 'Reattach';
		this.status('detached');
	}
	reattach() {
		this.detached = false;
		this.det.textContent = 'Detach';
		this.start();
		this.term.focus();
	}
	dispose() {
		this.detached = true;
		if (this.s)
			this.s.close();
		this.term.dispose();
		this.el.remove();
		this.tray.terms.delete(this);
	}
}

// The tray: every open terminal.
export class Tray {
	constructor(conn, el) {
		this.conn = conn;
		this.el = el;
		this.terms = new Set();
	}
	open(o) {
		const t = new Term(this, o);
		this.terms.add(t);
		return t;
	}
}
