// The numbers of docs/UI.md, "Measurements" (run by tools/ui-bench):
// the page's load time and bytes, pier ui's memory with N terminals
// open, and the keystroke echo latency in a page terminal. Prints JSON.
// Environment: UI_URL, UI_NODES (space-separated), UI_CTR, UI_PID, PW.
import { readFileSync } from 'node:fs';

const { chromium } = await import(process.env.PW);
const url = process.env.UI_URL, nodes = process.env.UI_NODES.split(' ');
const ctr = process.env.UI_CTR, pid = process.env.UI_PID;
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(
    `/proc/${pid}/status`, 'utf8'))[1]);
const out = { rss_kib_idle: rss() };

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
	args: ['--no-sandbox'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
await page.goto(url);			// sets the cookie
const loads = [];
for (let i = 0; i < 5; i++) {
	const t0 = Date.now();
	await page.reload();
	await page.waitForSelector(`#ctrs tr[data-name="${ctr}"]`);
	const ready = Date.now() - t0;
	loads.push(await page.evaluate(r => {
		const n = performance.getEntriesByType('navigation')[0];
		const res = performance.getEntriesByType('resource');
		return { load_ms: n.loadEventEnd, ready_ms: r,
		    bytes: n.transferSize + res.reduce((a, x) =>
			a + x.transferSize, 0), files: res.length + 1 };
	}, ready));
}
out.loads = loads;
out.rss_kib_page = rss();

const row = n => `#ctrs tr[data-node="${n}"][data-name="${ctr}"] button[data-act="shell"]`;
for (const [k, n] of nodes.slice(0, 4).entries()) {
	await page.click(row(n));
	await page.waitForFunction(k => window.pier.tray.terms.size > k, k);
}
await page.waitForFunction(() => [...window.pier.tray.terms].every(t =>
    /# ?$/m.test(t.text())), null, { timeout: 30000 });
out.terminals = await page.evaluate(() => window.pier.tray.terms.size);
await page.waitForTimeout(2000);
out.rss_kib_terms = rss();

// Echo latency: one key into the first terminal, until xterm has it.
out.echo_ms = await page.evaluate(async () => {
	const t = [...window.pier.tray.terms][0], ms = [];
	const line = () => {
		const b = t.term.buffer.active;
		return b.getLine(b.baseY + b.cursorY).translateToString(true);
	};
	for (let i = 0; i < 60; i++) {
		const before = line();
		const t0 = performance.now();
		await new Promise(res => {
			const d = t.term.onWriteParsed(() => {
				if (line() !== before) { d.dispose(); res(); }
			});
			t.input('x');
		});
		ms.push(performance.now() - t0);
		await new Promise(res => setTimeout(res, 20));
	}
	t.input('\x15');	// ^U: the line goes
	return ms;
});
await browser.close();
console.log(JSON.stringify(out));
