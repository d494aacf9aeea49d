/**
 * A failing worker pool in a real browser (issue #14, item 5): Debian's Chromium through
 * playwright-core, a cross-origin-isolated page (test/browser/worker-failure-page.ts) whose
 * `Worker` is replaced so that the pool's workers fail in each way a browser can make them fail.
 * The calling thread must never see an unhandled error event or rejection, ops must keep giving
 * the one-thread result, and setNumThreads must report what runs. Skipped when /usr/bin/chromium
 * is not installed.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bundleForBrowser } from '../scripts/build-web.js';
import { openBrowser, skipWithoutChromium, type BrowserSession } from './browser-util.js';

test(
  'worker failures in Chromium reach the calling thread as results, never as unhandled events',
  { timeout: 180_000 },
  async (t) => {
    if (skipWithoutChromium(t)) return;
    const site = await mkdtemp(join(tmpdir(), 'deconv-workers-'));
    let session: BrowserSession | null = null;
    try {
      await bundleForBrowser(
        join(import.meta.dirname, 'browser', 'worker-failure-page.ts'),
        join(site, 'page.js'),
      );
      await writeFile(
        join(site, 'index.html'),
        '<!doctype html><meta charset="utf-8"><title>workers</title><link rel="icon" href="data:,">' +
          '<script type="module" src="page.js"></script>',
      );
      // console errors are not problems here: a failing worker logs one by design
      session = await openBrowser({ serve: site, consoleErrors: false });
      const { context, url } = session;
      const visit = async (mode: string): Promise<Record<string, string | undefined>> => {
        const page = await context.newPage();
        const events: string[] = [];
        page.on('pageerror', (e) => events.push(`pageerror: ${e.message}`));
        await page.goto(`${url}index.html?mode=${mode}`);
        await page.waitForSelector('body[data-done="true"]', { state: 'attached', timeout: 60_000 });
        const data = await page.evaluate(() => ({ ...document.body.dataset }));
        await page.close();
        return { ...data, pageerrors: JSON.stringify(events) };
      };

      const healthy = await visit('none');
      assert.equal(healthy.error, undefined, `the page failed: ${healthy.error}`);
      assert.equal(healthy.isolated, 'true', 'the page is cross-origin isolated');
      assert.equal(healthy.resolved, '2', 'two threads start when workers work');
      const sum = healthy.sum1!;
      assert.match(sum, /^-?\d/, `a one-thread result: ${sum}`);
      assert.equal(healthy.sum2, sum, 'two threads give the one-thread result');

      for (const mode of ['script-error', 'error-event', 'ctor-throws', 'worker-closes']) {
        await t.test(mode, async () => {
          const r = await visit(mode);
          const problems: string[] = [];
          const expect = (ok: boolean, what: string): void => {
            if (!ok) problems.push(`${mode}: ${what}`);
          };
          expect(r.error === undefined, `the page failed: ${r.error}`);
          expect(
            r.unhandled === '[]',
            `an unhandled error event or rejection reached the window: ${r.unhandled}`,
          );
          expect(r.pageerrors === '[]', `an uncaught error in the page: ${r.pageerrors}`);
          if (mode === 'error-event' || mode === 'worker-closes') {
            expect(
              r.resolved === '2',
              `the workers started before they failed (setNumThreads: ${r.resolved})`,
            );
          } else {
            // a failure to start is reported on the calling thread: setNumThreads resolves to the
            // threads that run (1), or rejects; it never claims two threads that do not run
            expect(
              r.resolved === '1' || (r.resolved === undefined && r.rejected !== undefined),
              `setNumThreads reports the failure (resolved ${r.resolved}, rejected ${r.rejected})`,
            );
          }
          if (mode === 'ctor-throws') {
            // the automatic start (the first op at the default thread count) fails: the op runs on
            // one thread and getNumThreads() says 1; the explicit setNumThreads(2) rejects, saying why
            expect(r.sumAuto === sum, `the op of the failed automatic start gives ${sum} (${r.sumAuto})`);
            expect(
              r.defaultThreads === '1' || r.autoThreads === '1',
              `getNumThreads() after the automatic start failed: ${r.autoThreads} (default ${r.defaultThreads})`,
            );
            expect(
              /^DeconvError: setNumThreads: n = 2 .*SecurityError: workers are forbidden here/.test(
                r.rejected ?? '',
              ),
              `setNumThreads(2) rejects with a DeconvError that says why: ${r.rejected}`,
            );
            expect(r.configured === '1', `getNumThreads() after the rejection: ${r.configured}`);
          }
          if (mode === 'worker-closes') {
            expect(
              /^threw DeconvError: .*worker thread 1 did not finish within \d+ ms/.test(r.closed ?? ''),
              `the step whose worker closed ends with a DeconvError: ${r.closed}`,
            );
            expect(Number(r.closedMs) < 5000, `within the bounded wait (${r.closedMs} ms)`);
          }
          for (const k of ['sum2', 'sum3'] as const)
            expect(r[k] === sum, `ops after the failure give the one-thread result ${sum} (${k}: ${r[k]})`);
          assert.deepEqual(problems, [], `${mode}: ${problems.length} problems`);
        });
      }
    } finally {
      await session?.close();
      await rm(site, { recursive: true, force: true });
    }
  },
);
