// The page of `pier ui`: every joined node and its containers, live,
// with the actions the key's role allows; logs, terminals, images,
// volumes, networks, app templates, node info, keys and the audit log.
// Each action is one method of the nodes' catalogue (conn.js).
import { Conn, F } from './conn.js';
import { Tray } from './term.js';

const $ = s => document.querySelector(s);
const conn = new Conn();
const tray = new Tray(conn, $('#tray'));
const ROLES = { viewer: 0, operator: 1, admin: 2 };
const st = { nodes: [], info: {}, ctrs: {}, stats: {}, subs: {},
	view: 'containers' };
window.pier = { conn, tray, st };

// An element with text, attributes and children.
function h(tag, attrs = {}, ...kids) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs)) {
		if (k.startsWith('on'))
			e.addEventListener(k.slice(2), v);
		else if (v !== undefined && v !== null && v !== false)
			e.setAttribute(k, v === true ? '' : v);
	}
	for (const k of kids.flat())
		if (k !== null && k !== undefined)
			e.append(k instanceof Node ? k : String(k));
	return e;
}
function size(n) {
	if (!n && n !== 0) return '';
	const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
	let i = 0;
	for (; n >= 1024 && i < u.length - 1; i++) n /= 1024;
	return (i ? n.toFixed(1) : n) + ' ' + u[i];
}
// Unix seconds or an RFC 3339 text (the audit log's) for people.
function when(t) {
	if (!t) return '';
	const d = new Date(typeof t === 'string' ? t : t * 1000);
	return isNaN(d) ? String(t) : d.toLocaleString();
}
function toast(msg, bad) {
	$('#link').textContent = msg;
	$('#link').className = 'badge ' + (bad ? 'down' : 'up');
}
function fail(e) { toast((e && (e.message || e.name)) || String(e), true); }

// May the key on node call method? (the node decides; this hides buttons)
function may(node, method) {
	const role = st.info[node] && st.info[node].access &&
	    st.info[node].access.role;
	const need = conn.hello && conn.hello.methods[method];
	return role !== undefined && need !== undefined &&
	    ROLES[role] >= ROLES[need];
}

// A confirmation or a form in the dialog; resolves with the values.
function ask(title, fields = [], ok = 'OK') {
	const d = $('#dlg'), f = $('#dlg-form');
	f.replaceChildren(h('h2', {}, title),
	    ...fields.map(x => h('label', {}, x.label, h('input', {
		name: x.name, value: x.value || '', placeholder: x.ph || '',
		required: !!x.required }))),
	    h('menu', {}, h('button', { value: 'cancel', formnovalidate: true },
		'Cancel'), h('button', { value: 'ok', class: 'ok' }, ok)));
	d.showModal();
	return new Promise(res => {
		d.onclose = () => {
			if (d.returnValue !== 'ok')
				return res(null);
			const v = {};
			for (const x of fields) v[x.name] = f.elements[x.name].value;
			res(v);
		};
	});
}

// ---- nodes ----
async function refreshNodes() {
	try {
		st.nodes = await conn.nodes();
	} catch (e) { return; }
	const bar = $('#nodebar');
	bar.replaceChildren(...st.nodes.map(n => h('span', {
		class: 'node', 'data-node': n.name }, h('strong', {}, n.name), ' ',
	    h('span', { class: 'state-' + n.state }, n.state),
	    n.path ? ' ' + n.path : '',
	    n.rtt_ms !== undefined ? ' ' + n.rtt_ms.toFixed(1) + ' ms' : '',
	    n.error ? h('span', { class: 'err', title: n.error }, ' !') : '')));
	for (const sel of ['#f-node', '#pull-node']) {
		const el = $(sel), keep = el.value;
		el.replaceChildren(...(sel === '#f-node' ?
		    [h('option', { value: '' }, 'all nodes')] : []),
		    ...st.nodes.map(n => h('option', {}, n.name)));
		el.value = keep;
	}
}

// Subscribes to a node's events (the list follows) and stats.
function watchNode(node) {
	if (st.subs[node])
		return;
	st.subs[node] = true;
	let timer = null;
	conn.open(node, 'events.subscribe', {}, {
		line: ev => {
			if ((ev.Type || ev.type) !== 'container') return;
			clearTimeout(timer);
			timer = setTimeout(() => loadCtrs(node), 150);
		},
		closed: () => { st.subs[node] = false; },
	});
	conn.open(node, 'stats.subscribe', {}, {
		line: s => { st.stats[node + '/' + s.id] = s; statCells(node, s); },
		closed: () => {},
	});
}

async function loadInfo(node) {
	try {
		st.info[node] = await conn.call(node, 'node.info');
	} catch (e) { st.info[node] = null; }
}

async function loadCtrs(node) {
	try {
		const r = await conn.call(node, 'container.list', { all: true });
		st.ctrs[node] = r.containers;
	} catch (e) {
		st.ctrs[node] = [];
	}
	renderCtrs();
}

async function loadAll() {
	await refreshNodes();
	await Promise.all(st.nodes.map(async n => {
		await loadInfo(n.name);
		await loadCtrs(n.name);
		watchNode(n.name);
	}));
	await refreshNodes();
}

// ---- containers ----
function statCells(node, s) {
	const row = document.querySelector(
	    `#ctrs tr[data-key="${CSS.escape(node + '/' + s.id)}"]`);
	if (!row) return;
	row.querySelector('.cpu').textContent = s.cpu_pct.toFixed(1) + '%';
	row.querySelector('.mem').textContent = size(s.mem_used) +
	    (s.mem_limit ? ' / ' + size(s.mem_limit) : '');
}

function matches(c, q) {
	if (!q) return true;
	if (q.includes('=')) {
		const [k, v] = q.split('=');
		return c.labels && c.labels[k] === v;
	}
	return c.name.includes(q) || c.image.includes(q) ||
	    Object.keys(c.labels || {}).some(k => k.includes(q));
}

function act(node, c, method, label, params = {}, confirm) {
	if (!may(node, method))
		return null;
	return h('button', { 'data-act': method, onclick: async () => {
		if (confirm && !await ask(confirm, [], label)) return;
		try {
			await conn.call(node, method, { id: c.id, ...params });
			toast(`${label}: ${c.name}`);
		} catch (e) { fail(e); }
		loadCtrs(node);
	} }, label);
}

function ctrActions(node, c) {
	const run = c.state === 'running', paused = c.state === 'paused';
	return [
		!run && !paused ? act(node, c, 'container.start', 'Start') : null,
		run ? act(node, c, 'container.stop', 'Stop') : null,
		run ? act(node, c, 'container.restart', 'Restart') : null,
		run ? act(node, c, 'container.pause', 'Pause') : null,
		paused ? act(node, c, 'container.unpause', 'Unpause') : null,
		run ? act(node, c, 'container.kill', 'Kill', {},
		    `Kill ${c.name} on ${node}?`) : null,
		act(node, c, 'container.remove', 'Remove', { force: true },
		    `Remove ${c.name} on ${node}? Its data outside volumes is lost.`),
		may(node, 'container.duplicate') ? h('button', {
			'data-act': 'duplicate', onclick: () => duplicate(node, c) },
		    'Duplicate') : null,
		may(node, 'container.update') ? h('button', {
			'data-act': 'update', onclick: () => update(node, c) },
		    'Limits') : null,
		run && may(node, 'session.open') ? h('button', {
			'data-act': 'shell', onclick: () => tray.open({ node,
			    kind: 'shell', container: c.id,
			    title: `${node}/${c.name}` }) }, 'Shell') : null,
		run && may(node, 'session.open') ? h('button', {
			'data-act': 'exec', onclick: () => execIn(node, c) },
		    'Exec') : null,
		h('button', { 'data-act': 'logs',
		    onclick: () => logs([[node, c]]) }, 'Logs'),
	];
}

// `pier exec -it`: a command in a terminal of the tray.
async function execIn(node, c) {
	const v = await ask(`Run in ${c.name}`, [{ name: 'cmd',
	    label: 'command and arguments', value: 'top', required: true }],
	    'Run');
	if (v && v.cmd.trim())
		tray.open({ node, kind: 'exec', container: c.id,
		    cmd: v.cmd.trim().split(/\s+/), title: `${node}/${c.name}: ${
			v.cmd}` });
}

async function duplicate(node, c) {
	const v = await ask(`Duplicate ${c.name}`, [
		{ name: 'name', label: 'name', ph: c.name + '-copy' },
		{ name: 'cpus', label: 'CPUs', ph: 'unchanged' },
		{ name: 'memory', label: 'memory (bytes)', ph: 'unchanged' },
		{ name: 'env', label: 'environment K=V, comma separated' },
	], 'Duplicate');
	if (!v) return;
	const p = { id: c.id };
	if (v.name) p.name = v.name;
	if (v.cpus) p.cpus = Number(v.cpus);
	if (v.memory) p.memory = Number(v.memory);
	if (v.env) p.env = v.env.split(',').map(s => s.trim());
	try {
		const r = await conn.call(node, 'container.duplicate', p);
		toast('duplicated as ' + (r.name || r.id));
	} catch (e) { fail(e); }
	loadCtrs(node);
}

async function update(node, c) {
	const v = await ask(`Limits of ${c.name}`, [
		{ name: 'cpus', label: 'CPUs', ph: 'unchanged' },
		{ name: 'memory', label: 'memory (bytes)', ph: 'unchanged' },
	], 'Update');
	if (!v) return;
	const p = { id: c.id };
	if (v.cpus) p.cpus = Number(v.cpus);
	if (v.memory) p.memory = Number(v.memory);
	try {
		await conn.call(node, 'container.update', p);
		toast('limits updated: ' + c.name);
	} catch (e) { fail(e); }
}

// Rows are kept while what they show is the same, so a button does not
// move under the pointer while the list follows the events.
const rowCache = new Map();
function ctrRow(n, c) {
	const key = n.name + '/' + c.id, s = st.stats[key];
	const sig = JSON.stringify([c.name, c.image, c.state, n.state,
	    st.info[n.name] && st.info[n.name].access]);
	const old = rowCache.get(key);
	if (old && old.sig === sig)
		return old.tr;
	const tr = h('tr', { 'data-key': key, 'data-name': c.name,
	    'data-node': n.name },
	    h('td', {}, h('input', { type: 'checkbox', class: 'sel',
		'aria-label': 'select ' + c.name })),
	    h('td', {}, c.name), h('td', {}, n.name),
	    h('td', { class: 'mute' }, c.image),
	    h('td', { class: 'state state-' + c.state }, c.state),
	    h('td', { class: 'cpu' }, s ? s.cpu_pct.toFixed(1) + '%' : ''),
	    h('td', { class: 'mem' }, s ? size(s.mem_used) : ''),
	    h('td', { class: 'acts' }, ctrActions(n.name, c)));
	rowCache.set(key, { sig, tr });
	return tr;
}

function renderCtrs() {
	const q = $('#f-name').value.trim(), fn = $('#f-node').value,
	    fs = $('#f-state').value, rows = [], seen = new Set();
	for (const n of st.nodes) {
		if (fn && n.name !== fn) continue;
		for (const c of st.ctrs[n.name] || []) {
			seen.add(n.name + '/' + c.id);
			if (fs && c.state !== fs) continue;
			if (!matches(c, q)) continue;
			rows.push(ctrRow(n, c));
		}
	}
	for (const k of rowCache.keys())
		if (!seen.has(k)) rowCache.delete(k);
	const body = $('#ctrs tbody');
	if (rows.length === body.children.length &&
	    rows.every((r, i) => body.children[i] === r))
		return;
	const focus = document.activeElement;
	body.replaceChildren(...rows);
	if (focus && focus.isConnected && document.activeElement !== focus)
		focus.focus();
}

// ---- logs ----
let logStreams = [];
function logs(list) {
	for (const s of logStreams) s.reset();
	logStreams = [];
	const out = $('#logs-out');
	out.textContent = '';
	$('#logs').hidden = false;
	$('#logs-title').textContent = 'logs: ' +
	    list.map(([n, c]) => n + '/' + c.name).join(', ');
	const dec = new TextDecoder();
	for (const [node, c] of list) {
		const pre = list.length > 1 ? c.name + ' | ' : '';
		let part = '';
		logStreams.push(conn.open(node, 'container.logs',
		    { id: c.id, follow: true, tail: 500 }, {
			frame: (t, d) => {
				if (t !== F.STDOUT && t !== F.STDERR) return;
				const lines = (part + dec.decode(d)).split('\n');
				part = lines.pop();
				const q = $('#logs-q').value;
				for (const l of lines) {
					if (q && !l.includes(q)) continue;
					out.append(pre + l + '\n');
				}
				out.scrollTop = out.scrollHeight;
			},
			closed: () => {},
		}));
	}
}
$('#logs-close').onclick = () => {
	for (const s of logStreams) s.reset();
	logStreams = [];
	$('#logs').hidden = true;
};
$('#logs-many').onclick = () => {
	const sel = [...document.querySelectorAll('#ctrs tr .sel:checked')]
	    .map(b => b.closest('tr').dataset);
	const list = sel.map(d => [d.node, (st.ctrs[d.node] || [])
	    .find(c => d.key === d.node + '/' + c.id)]).filter(x => x[1]);
	if (list.length) logs(list);
};
$('#sel-all').onchange = e => {
	for (const b of document.querySelectorAll('#ctrs .sel'))
		b.checked = e.target.checked;
};
for (const id of ['#f-name', '#f-node', '#f-state'])
	$(id).addEventListener('input', renderCtrs);
$('#filters').onsubmit = e => e.preventDefault();

// ---- images, volumes, networks ----
async function listEach(method, key) {
	const out = [];
	await Promise.all(st.nodes.map(async n => {
		try {
			const r = await conn.call(n.name, method);
			for (const x of r[key]) out.push([n.name, x]);
		} catch (e) { /* an unreachable node lists nothing */ }
	}));
	return out;
}

async function renderImages() {
	const rows = (await listEach('image.list', 'images')).map(([n, i]) =>
	    h('tr', { 'data-node': n }, h('td', {}, (i.tags || []).join(', ') ||
		i.id.slice(7, 19)), h('td', {}, n), h('td', {}, size(i.size)),
		h('td', {}, when(i.created)), h('td', { class: 'acts' },
		may(n, 'image.remove') ? h('button', { onclick: async () => {
			if (!await ask(`Remove image ${(i.tags || [i.id])[0]} on ${n}?`,
			    [], 'Remove')) return;
			try { await conn.call(n, 'image.remove', { id: i.id }); }
			catch (e) { fail(e); }
			renderImages();
		} }, 'Remove') : null)));
	$('#images tbody').replaceChildren(...rows);
}

$('#pull').onsubmit = e => {
	e.preventDefault();
	const node = $('#pull-node').value, ref = $('#pull-ref').value.trim();
	const box = $('#pull-progress'), layers = {};
	box.replaceChildren(h('div', { class: 'pull-status' },
	    `pulling ${ref} on ${node}`));
	conn.open(node, 'image.pull', { image: ref }, {
		line: p => {
			if (!p.id) {
				box.firstChild.textContent = p.status || '';
				return;
			}
			let el = layers[p.id];
			if (!el) {
				el = layers[p.id] = h('div', { class: 'layer' },
				    h('span'), ' ', h('progress', { max: 1, value: 0 }));
				box.append(el);
			}
			el.firstChild.textContent = `${p.id} ${p.status || ''}`;
			if (p.total) {
				el.lastChild.max = p.total;
				el.lastChild.value = p.current || 0;
			}
		},
		end: () => {
			box.firstChild.textContent = `pulled ${ref} on ${node}`;
			renderImages();
		},
		error: err => {
			box.firstChild.textContent = `pull failed: ${err.message}`;
			box.firstChild.className = 'pull-status err';
		},
		closed: () => {},
	});
};
$('#img-prune').onclick = async () => {
	const node = $('#pull-node').value;
	if (!await ask(`Remove every unused image on ${node}?`, [], 'Prune'))
		return;
	try {
		const r = await conn.call(node, 'image.prune', {});
		toast(`pruned ${size(r.space_reclaimed || 0)}`);
	} catch (e) { fail(e); }
	renderImages();
};

async function renderVolumes() {
	const rows = (await listEach('volume.list', 'volumes')).map(([n, v]) =>
	    h('tr', {}, h('td', {}, v.name), h('td', {}, n),
		h('td', {}, v.driver), h('td', { class: 'acts' },
		may(n, 'volume.remove') ? h('button', { onclick: async () => {
			if (!await ask(`Remove volume ${v.name} on ${n}?`, [],
			    'Remove')) return;
			try { await conn.call(n, 'volume.remove', { id: v.name }); }
			catch (e) { fail(e); }
			renderVolumes();
		} }, 'Remove') : null)));
	$('#volumes tbody').replaceChildren(...rows);
}

async function renderNetworks() {
	const rows = (await listEach('network.list', 'networks')).map(([n, x]) =>
	    h('tr', {}, h('td', {}, x.name), h('td', {}, n),
		h('td', {}, x.driver), h('td', {}, x.scope)));
	$('#networks tbody').replaceChildren(...rows);
}

// ---- app templates ----
async function renderTemplates() {
	const list = $('#templates');
	let tpls;
	try {
		tpls = (await conn.request({ op: 'templates' })).templates;
	} catch (e) {
		list.replaceChildren(h('li', { class: 'err' },
		    'templates: ' + (e.message || e.name)));
		return;
	}
	const q = $('#tpl-q').value.toLowerCase();
	list.replaceChildren(...tpls.filter(t => !q ||
	    (t.name + ' ' + (t.title || '') + ' ' + (t.description || ''))
		.toLowerCase().includes(q)).map(t => h('li', {},
	    h('strong', {}, t.title || t.name), h('p', { class: 'mute' },
		t.description || ''), h('button', { 'data-act': 'deploy',
		onclick: () => deploy(t) }, 'Deploy'))));
}
$('#tpl-q').addEventListener('input', renderTemplates);
$('#tpl-search').onsubmit = e => e.preventDefault();

async function deploy(t) {
	const fields = [{ name: 'node', label: 'node',
		value: (st.nodes[0] || {}).name, required: true },
	    { name: 'name', label: 'container name', value: t.name }];
	for (const e of t.env || [])
		fields.push({ name: 'env:' + e.name, label: e.label || e.name,
		    value: e.default || '', required: !!e.required });
	for (const p of t.ports || [])
		fields.push({ name: `port:${p.container}/${p.protocol}`,
		    label: `host port for ${p.container}/${p.protocol}`,
		    value: p.host || '' });
	const v = await ask(`Deploy ${t.title || t.name}`, fields, 'Deploy');
	if (!v) return;
	const env = {}, ports = {};
	for (const [k, x] of Object.entries(v)) {
		if (k.startsWith('env:')) env[k.slice(4)] = x;
		if (k.startsWith('port:') && x) ports[k.slice(5)] = x;
	}
	try {
		// pier ui builds the params as `pier deploy` does; the
		// page creates and starts the container as any call.
		const r = await conn.request({ op: 'deploy',
		    template: String(t.id), name: v.name, env, ports });
		const c = await conn.call(v.node, 'container.create', r.params);
		await conn.call(v.node, 'container.start', { id: c.id });
		toast(`deployed ${c.name || v.name} on ${v.node}`);
		loadCtrs(v.node);
	} catch (e) { fail(e); }
}

// ---- nodes: info, sessions, keys, audit ----
async function renderNodeInfo() {
	const box = $('#node-info');
	box.replaceChildren();
	for (const n of st.nodes) {
		await loadInfo(n.name);
		const i = st.info[n.name];
		const sec = h('section', { class: 'nodeinfo', 'data-node': n.name },
		    h('h2', {}, n.name), i ? h('p', {},
		    `pierd ${i.version}, key role ${i.access.role}, host ${
			i.host.name} (${i.host.cpus} CPUs, ${size(i.host.memory)})`,
		    i.docker ? `, Docker ${i.docker.version}` : '',
		    i.containers ? `, ${i.containers.running} of ${
			i.containers.total} containers running` : '') :
		    h('p', { class: 'err' }, n.error || 'unreachable'));
		box.append(sec);
		if (!i) continue;
		if (may(n.name, 'session.list'))
			sec.append(await sessions(n.name));
		if (i.access.role === 'admin')
			sec.append(h('button', { 'data-act': 'docker',
			    onclick: async () => {
				const v = await ask(`The docker CLI on ${n.name}`,
				    [{ name: 'args', label: 'arguments',
					value: 'stats' }], 'Run');
				if (v) tray.open({ node: n.name, kind: 'docker',
				    cmd: v.args.trim().split(/\s+/).filter(Boolean),
				    title: `${n.name}: docker ${v.args}` });
			    } }, 'Docker CLI'));
		if (may(n.name, 'key.list'))
			sec.append(await keys(n.name));
		if (may(n.name, 'audit.read'))
			sec.append(await audit(n.name));
	}
}

async function sessions(node) {
	const r = await conn.call(node, 'session.list').catch(() => null);
	const t = h('table', { class: 'list sessions' }, h('caption', {},
	    'terminal sessions'));
	for (const s of (r && r.sessions) || [])
		t.append(h('tr', { 'data-session': s.id, 'data-target':
		    s.target || '' }, h('td', {}, s.id), h('td', {},
		    s.target || ''), h('td', {}, [].concat(s.cmd || []).join(' ')),
		    h('td', { class: 'acts' },
		    h('button', { 'data-act': 'attach', onclick: () => tray.open({
			node, attach: s.id, title: `${node} ${s.id}` }) }, 'Attach'),
		    h('button', { 'data-act': 'watch', onclick: () => tray.open({
			node, attach: s.id, readOnly: true,
			title: `${node} ${s.id}` }) }, 'Watch'))));
	return t;
}

async function keys(node) {
	const r = await conn.call(node, 'key.list').catch(() => null);
	const t = h('table', { class: 'list keys' }, h('caption', {},
	    'access keys ', h('button', { 'data-act': 'key.create',
		onclick: () => newKey(node) }, 'New key')));
	for (const k of (r && r.keys) || [])
		t.append(h('tr', { 'data-key': k.name }, h('td', {}, k.name),
		    h('td', {}, k.role), h('td', { class: 'kstate' }, k.state),
		    h('td', {}, when(k.last_used)),
		    h('td', { class: 'acts' }, h('button', {
			'data-act': 'key.revoke', onclick: async () => {
			if (!await ask(`Revoke the key ${k.name}? Its clients are ` +
			    'disconnected at once.', [], 'Revoke')) return;
			try { await conn.call(node, 'key.revoke', { id: k.id }); }
			catch (e) { fail(e); }
			renderNodeInfo();
		    } }, 'Revoke'))));
	return t;
}

async function newKey(node) {
	const v = await ask('New access key on ' + node, [
		{ name: 'name', label: 'name', required: true },
		{ name: 'role', label: 'role: viewer, operator or admin',
		    value: 'viewer', required: true },
		{ name: 'expires', label: 'expires (7d, 12h; empty: never)' }],
	    'Create');
	if (!v) return;
	const p = { name: v.name, role: v.role };
	if (v.expires) p.expires = v.expires;
	try {
		const r = await conn.call(node, 'key.create', p);
		const key = h('p', { class: 'joinkey', tabindex: 0 }, r.join_key);
		const d = $('#dlg'), f = $('#dlg-form');
		f.replaceChildren(h('h2', {}, `join key of ${r.name} (shown once)`),
		    key, h('menu', {}, h('button', { type: 'button',
			onclick: () => navigator.clipboard.writeText(r.join_key)
			    .then(() => toast('copied')) }, 'Copy'),
		    h('button', { value: 'ok' }, 'Done')));
		d.onclose = null;
		d.showModal();
	} catch (e) { fail(e); }
	renderNodeInfo();
}

async function audit(node) {
	const r = await conn.call(node, 'audit.read', {}).catch(() => null);
	const t = h('table', { class: 'list audit' }, h('caption', {},
	    'audit log'));
	for (const e of ((r && r.entries) || []).slice(-50).reverse())
		t.append(h('tr', {}, h('td', {}, when(e.time)),
		    h('td', {}, e.key), h('td', {}, e.method),
		    h('td', {}, e.target || ''), h('td', {}, e.outcome)));
	return t;
}

// ---- views ----
const render = { images: renderImages, volumes: renderVolumes,
	networks: renderNetworks, templates: renderTemplates,
	nodes: renderNodeInfo, containers: renderCtrs };
function show(view) {
	st.view = view;
	for (const b of document.querySelectorAll('#tabs [role=tab]')) {
		b.setAttribute('aria-selected', b.dataset.view === view);
		b.tabIndex = b.dataset.view === view ? 0 : -1;
	}
	for (const s of document.querySelectorAll('.view'))
		s.hidden = s.id !== 'view-' + view;
	render[view]();
}
$('#tabs').addEventListener('click', e => {
	if (e.target.dataset.view) show(e.target.dataset.view);
});
$('#tabs').addEventListener('keydown', e => {
	const tabs = [...document.querySelectorAll('#tabs [role=tab]')];
	const i = tabs.indexOf(document.activeElement);
	if (i < 0 || (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft')) return;
	const j = (i + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) %
	    tabs.length;
	tabs[j].focus();
	show(tabs[j].dataset.view);
});

conn.on('hello', () => {
	toast('connected');
	st.subs = {};
	loadAll();
});
conn.on('down', () => toast('reconnecting to pier ui', true));
setInterval(refreshNodes, 5000);
