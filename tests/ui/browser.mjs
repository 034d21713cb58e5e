// The browser cases of test-e2e-ui-browser.sh: playwright-core drives
// Debian's chromium, headless, on the page of a running `pier ui`.
// Prints "ok - NAME" or "not ok - NAME # WHY" per case; the shell script
// numbers them. Environment: UI_URL, UI_P (the containers' name prefix),
// UI_SHOTS (a directory for screenshots, or empty), PW (playwright-core).
import { execFileSync } from 'node:child_process';

const { chromium } = await import(process.env.PW);
const url = process.env.UI_URL, p = process.env.UI_P;
const shots = process.env.UI_SHOTS || '';
const run = p + '-run';
const T = 45000;	// a deadline, generous: the machine may be busy

function say(ok, name, why) {
	console.log(ok ? `ok - ${name}` : `not ok - ${name} # ${
	    String(why).split('\n')[0]}`);
}
async function check(name, fn) {
	try {
		await fn();
		say(true, name);
	} catch (e) {
		say(false, name, e.message || e);
	}
}
function inspect(fmt, name) {
	try {
		return execFileSync('docker', ['inspect', '-f', fmt, name],
		    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
		    .trim();
	} catch (e) {
		return 'missing';
	}
}
async function until(what, fn, ms = T) {
	const end = Date.now() + ms;
	let last;
	while (Date.now() < end) {
		last = await fn();
		if (last)
			return last;
		await new Promise(r => setTimeout(r, 50));
	}
	throw new Error(`waited ${ms} ms for ${what}`);
}
const row = (node, name) => `#ctrs tr[data-node="${node}"][data-name="${name}"]`;
const lastTerm = page => page.evaluate(() => {
	const t = [...window.pier.tray.terms].pop();
	return t ? { text: t.text(), rows: t.term.rows, cols: t.term.cols,
	    status: t.st.textContent.trim(), opens: t.opens } : null;
});

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
	args: ['--no-sandbox'] });
const ctx = await browser.newContext({ viewport: { width: 1280, height: 860 } });
const page = await ctx.newPage();
const errors = [], external = [];
page.on('pageerror', e => errors.push(e.message));
page.on('request', r => {
	if (!r.url().startsWith(new URL(url).origin) && !r.url().startsWith('data:'))
		external.push(r.url());
});

await check('the page loads from the printed URL, token then cookie', async () => {
	await page.goto(url);
	if (page.url().includes('token='))
		throw new Error('the token stayed in the address bar: ' + page.url());
	const c = (await ctx.cookies()).find(x => x.name === 'pier_ui');
	if (!c || !c.httpOnly || c.sameSite !== 'Strict')
		throw new Error('cookie: ' + JSON.stringify(c));
});

await check('the list shows the container on both nodes', async () => {
	await page.waitForSelector(row('a', run), { timeout: T });
	await page.waitForSelector(row('b', run), { timeout: T });
});

await check('live stats show CPU and memory of the running container', async () => {
	await until('a CPU figure', async () =>
	    /%/.test(await page.locator(row('a', run) + ' .cpu').innerText()));
});

await check('the node bar shows each node reachable, with its path', async () => {
	const t = await until('the nodes', async () => {
		const s = await page.locator('#nodebar').innerText();
		return /a reachable direct/.test(s) && /b reachable direct/.test(s) && s;
	});
});
if (shots) {
	await page.fill('#f-name', p);
	await page.screenshot({ path: shots + '/containers.png' });
}

await check('Stop on the page stops the container (docker inspect)', async () => {
	await page.click(row('a', run) + ' button[data-act="container.stop"]');
	await until('State.Running false', () =>
	    inspect('{{.State.Running}}', run) === 'false');
	await page.waitForSelector(row('a', run) +
	    ' button[data-act="container.start"]', { timeout: T });
});

await check('Start on the page starts it again (docker inspect)', async () => {
	await page.click(row('a', run) + ' button[data-act="container.start"]');
	await until('State.Running true', () =>
	    inspect('{{.State.Running}}', run) === 'true');
	await page.waitForSelector(row('a', run) +
	    ' button[data-act="container.stop"]', { timeout: T });
});

await check('a viewer key sees no mutating button', async () => {
	await page.waitForSelector(row('av', run), { timeout: T });
	const n = await page.locator(`#ctrs tr[data-node="av"] button`).evaluateAll(
	    bs => bs.map(b => b.dataset.act).filter(a => a !== 'logs'));
	if (n.length)
		throw new Error('viewer buttons: ' + n.join(' '));
	const a = await page.locator(row('a', run) + ' button').count();
	if (a < 5)
		throw new Error('the admin row has ' + a + ' buttons');
});

await check('the node refuses a forced call with the viewer key', async () => {
	const id = inspect('{{.Id}}', run);
	const r = await page.evaluate(id => window.pier.conn.call('av',
	    'container.stop', { id }).then(() => 'done', e => e), id);
	if (r === 'done' || r.name !== 'forbidden')
		throw new Error(JSON.stringify(r));
	if (inspect('{{.State.Running}}', run) !== 'true')
		throw new Error('the container stopped');
});

await check('logs of the container follow', async () => {
	await page.click(row('a', run) + ' button[data-act="logs"]');
	await until('the log line', async () =>
	    /ui-log-line/.test(await page.locator('#logs-out').innerText()));
	await page.click('#logs-close');
});

const mark = 'typed-' + p;
await check('a terminal from the page runs a typed command', async () => {
	await page.click(row('a', run) + ' button[data-act="shell"]');
	await page.waitForSelector('.term .xterm', { timeout: T });
	await until('a prompt', async () => /[#$] ?$/m.test(
	    ((await lastTerm(page)) || {}).text || ''));
	await page.locator('.term .xterm').last().click();
	await page.keyboard.type(`echo ${mark} | tr a-z A-Z\n`);
	await until('the output', async () => new RegExp('^' +
	    mark.toUpperCase() + '\\s*$', 'm').test((await lastTerm(page)).text));
});

await check('resize: the shell sees the terminal\'s new size', async () => {
	await page.locator('.term .screen').last().evaluate(e => {
		e.style.height = '12rem'; e.style.width = '30rem'; });
	await until('fewer rows', async () => (await lastTerm(page)).rows < 20);
	// The size settles in steps: ask until the shell has the last one.
	await until('stty size as the terminal\'s', async () => {
		const t = await lastTerm(page);
		await page.keyboard.type('stty size\n');
		const re = new RegExp(`^${t.rows} ${t.cols}\\s*$`, 'm');
		for (let i = 0; i < 40; i++) {
			if (re.test((await lastTerm(page)).text))
				return true;
			await new Promise(r => setTimeout(r, 50));
		}
		return false;
	});
});
if (shots)
	await page.screenshot({ path: shots + '/terminal.png' });

await check('detach leaves the session; reattach repaints the screen', async () => {
	await page.click('.term .det');
	await until('detached', async () => (await lastTerm(page)).status === 'detached');
	await page.locator('.term .screen').last().evaluate(() =>
	    [...window.pier.tray.terms].pop().term.reset());
	await page.click('.term .det');
	await until('the repainted output', async () => new RegExp('^' +
	    mark.toUpperCase() + '\\s*$', 'm').test((await lastTerm(page)).text));
});

await check('after the page\'s link drops the terminal comes back', async () => {
	await page.evaluate(() => window.pier.conn.ws.close());
	await until('reconnected', async () => {
		const t = await lastTerm(page);
		return t.status === '' && await page.evaluate(() =>
		    window.pier.conn.up);
	});
	await page.locator('.term .xterm').last().click();
	await page.keyboard.type(`echo again-${mark}\n`);
	await until('the output', async () => new RegExp(
	    `^again-${mark}\\s*$`, 'm').test((await lastTerm(page)).text));
});

await check('after the node\'s link is cut the terminal attaches again', async () => {
	// ss -K aborts pier ui's TCP connections to node a, as a network
	// drop would; the session lives on the node.
	const opens = (await lastTerm(page)).opens;
	execFileSync('ss', ['-K', 'dst', '127.0.0.1', 'dport', '=',
	    process.env.UI_PORT_A], { stdio: 'ignore' });
	await until('the repaint after the reattach', async () => {
		const t = await lastTerm(page);
		return t.opens > opens && t.status === '' && new RegExp(`^again-${mark}\\s*$`, 'm')
		    .test(t.text);
	});
	await page.locator('.term .xterm').last().click();
	await page.keyboard.type(`echo cut-${mark}\n`);
	await until('the output', async () => new RegExp(
	    `^cut-${mark}\\s*$`, 'm').test((await lastTerm(page)).text));
});

await check('Exec runs a command in a terminal to its exit', async () => {
	await page.click(row('a', run) + ' button[data-act="exec"]');
	await page.fill('#dlg input[name="cmd"]', 'echo exec-' + p);
	await page.click('#dlg button.ok');
	await until('the output and exit 0', async () => {
		const t = await lastTerm(page);
		return t.text.includes('exec-' + p) && t.status === 'exited 0';
	});
});

await check('an admin opens the host\'s docker CLI in a terminal', async () => {
	await page.click('#tabs [data-view="nodes"]');
	await page.click('section.nodeinfo[data-node="a"] button[data-act="docker"]');
	await page.fill('#dlg input[name="args"]', 'ps');
	await page.click('#dlg button.ok');
	let t;
	await until('docker ps', async () => {
		t = await lastTerm(page);
		return t.text.includes('CONTAINER ID') && t.status === 'exited 0';
	}).catch(e => { throw new Error(e.message + ': ' + t.status + ': ' +
	    t.text.replace(/\s+/g, ' ').slice(0, 200)); });
	await page.click('#tabs [data-view="containers"]');
});

await check('a stream the page does not credit stops at the window', async () => {
	const id = inspect('{{.Id}}', run);
	const r = await page.evaluate(async id => {
		let got = 0, release, last = -1, still = 0, err = '';
		const hold = new Promise(res => { release = res; });
		const s = window.pier.conn.open('a', 'exec.run', { id,
		    cmd: ['sh', '-c', 'yes 0123456789 | head -c 30000000'] }, {
			frame: (t, d) => { if (t === 1) got += d.length; },
			drain: () => hold,	// the page takes nothing
			error: e => { err = e.message; },
			closed: () => {},
		});
		// Until nothing more comes for a second (30 s at most).
		for (let i = 0; i < 600 && still < 20; i++) {
			await new Promise(res => setTimeout(res, 50));
			still = got === last ? still + 1 : 0;
			last = got;
		}
		const held = got;
		release();		// credit all: the stream goes on
		for (let i = 0; i < 600 && got < held + 4e6; i++)
			await new Promise(res => setTimeout(res, 50));
		s.reset();
		return { held, after: got, err };
	}, id);
	if (r.held === 0 || r.held > 320 * 1024)
		throw new Error(`held ${r.held} bytes ${r.err}`);
	if (r.after < r.held + 4e6)
		throw new Error(`after the credit only ${r.after} bytes`);
	console.log(`# uncredited stream held at ${r.held} bytes; ` +
	    `${r.after} once credited`);
});

await check('a pull shows per-layer progress, then its end', async () => {
	await page.click('#tabs [data-view="images"]');
	await page.selectOption('#pull-node', 'f');
	await page.fill('#pull-ref', '127.0.0.1:1/pier-test/ok:latest');
	await page.click('#pull button.mut');
	await page.waitForSelector('#pull-progress .layer progress', { timeout: T });
	await until('the pull\'s end', async () => /^pulled /.test(
	    await page.locator('#pull-progress .pull-status').innerText()));
	const n = await page.locator('#pull-progress .layer').count();
	if (n < 2)
		throw new Error(n + ' layers shown');
});
if (shots)
	await page.screenshot({ path: shots + '/images.png' });

await check('a broken pull says why, cleanly', async () => {
	await page.fill('#pull-ref', '127.0.0.1:1/pier-test/fail:latest');
	await page.click('#pull button.mut');
	await until('the error', async () => /^pull failed: ./.test(
	    await page.locator('#pull-progress .pull-status').innerText()));
});

await check('the deploy wizard creates a container from a template', async () => {
	await page.click('#tabs [data-view="templates"]');
	await page.waitForSelector('#templates li button[data-act="deploy"]',
	    { timeout: T });
	if (shots)
		await page.screenshot({ path: shots + '/templates.png' });
	await page.click('#templates li button[data-act="deploy"]');
	await page.fill('#dlg input[name="node"]', 'a');
	await page.fill('#dlg input[name="name"]', p + '-tpl');
	await page.fill('#dlg input[name="env:GREETING"]', 'from-the-page');
	await page.click('#dlg button.ok');
	await until('the container running', () =>
	    inspect('{{.State.Running}}', p + '-tpl') === 'true');
	const env = inspect('{{json .Config.Env}}', p + '-tpl');
	if (!env.includes('GREETING=from-the-page'))
		throw new Error(env);
});

await check('node info, keys and the audit log for the admin key', async () => {
	await page.click('#tabs [data-view="nodes"]');
	await page.waitForSelector('section.nodeinfo[data-node="a"] table.audit td',
	    { timeout: T });
	const audit = await page.locator('section.nodeinfo[data-node="a"] ' +
	    'table.audit').innerText();
	if (/Invalid Date/.test(audit) || !/container\.stop/.test(audit))
		throw new Error('audit: ' + audit.slice(0, 200));
	await page.waitForSelector('section.nodeinfo[data-node="a"] table.keys td',
	    { timeout: T });
	const v = await page.locator('section.nodeinfo[data-node="av"] table').count();
	if (v)
		throw new Error('the viewer node shows ' + v + ' admin tables');
});
if (shots) {
	await page.evaluate(() => { document.querySelector('#tray').hidden = true; });
	await page.screenshot({ path: shots + '/nodes.png', fullPage: true });
	await page.evaluate(() => { document.querySelector('#tray').hidden = false; });
}

await check('Watch attaches read-only to a session: its screen, no input', async () => {
	const sec = 'section.nodeinfo[data-node="a"]';
	const id = inspect('{{.Id}}', run);
	const sid = await until('the shell\'s session listed', () =>
	    page.evaluate(([sec, run, id]) => {
		const r = [...document.querySelectorAll(sec +
		    ' table.sessions tr[data-session]')].find(x => {
			const t = x.dataset.target;
			return t && (t === run || id.startsWith(t) ||
			    t.startsWith(id.slice(0, 12)));
		});
		return r && r.dataset.session;
	    }, [sec, run, id]));
	const srow = `${sec} table.sessions tr[data-session="${sid}"]`;
	const before = await page.evaluate(() => window.pier.tray.terms.size);
	await page.click(srow + ' button[data-act="watch"]');
	await until('the watcher\'s repaint', async () => {
		const t = await lastTerm(page);
		return (await page.evaluate(() => window.pier.tray.terms.size)) >
		    before && new RegExp(mark.toUpperCase()).test(t.text);
	});
	await page.locator('.term .xterm').last().click();
	await page.keyboard.type('echo nope-' + p + '\n');
	const shell = await page.evaluate(() =>
	    [...window.pier.tray.terms][0].text());
	if (shell.includes('nope-' + p))
		throw new Error('the watcher typed into the session');
	await page.click('.term:last-child .x');
});

await check('an admin creates a key, sees its join key once, revokes it', async () => {
	const sec = 'section.nodeinfo[data-node="a"]';
	await page.click(sec + ' button[data-act="key.create"]');
	await page.fill('#dlg input[name="name"]', 'k-' + p);
	await page.fill('#dlg input[name="role"]', 'viewer');
	await page.click('#dlg button.ok');
	await page.waitForSelector('#dlg .joinkey', { timeout: T });
	const jk = await page.locator('#dlg .joinkey').innerText();
	if (!/^pier1/.test(jk))
		throw new Error('join key: ' + jk);
	await page.click('#dlg button[value="ok"]');
	const krow = `${sec} table.keys tr[data-key="k-${p}"]`;
	await page.waitForSelector(krow, { timeout: T });
	await page.click(krow + ' button[data-act="key.revoke"]');
	await page.click('#dlg button.ok');
	// The revoke's answer redraws the view: the row goes (or says so).
	await until('the key revoked', () => page.evaluate(sel => {
		const r = document.querySelector(sel);
		return !r || /revoked/.test(r.querySelector('.kstate').textContent);
	}, krow));
});

await check('keyboard: arrow keys move between the views', async () => {
	await page.focus('#tabs [data-view="nodes"]');
	await page.keyboard.press('ArrowLeft');
	if (!await page.locator('#view-templates').isVisible())
		throw new Error('the templates view is not shown');
});

if (shots) {
	await page.setViewportSize({ width: 390, height: 844 });
	await page.click('#tabs [data-view="containers"]');
	await page.waitForSelector(row('a', run));
	await page.screenshot({ path: shots + '/phone.png' });
}

await check('no script error and no request outside pier ui', async () => {
	if (errors.length || external.length)
		throw new Error(errors.concat(external).join('; '));
});
await browser.close();
