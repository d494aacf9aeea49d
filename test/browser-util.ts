/**
 * The one Chromium setup every browser test shares: Debian's /usr/bin/chromium driven headless by
 * playwright-core (TEAM.md's flags), a fresh profile in a temporary folder, a static server on
 * 127.0.0.1 (scripts/serve-web.ts's, cross-origin isolated like `npm start`) for either the
 * explorer built into a temporary folder or a folder the test wrote, and a list of the page errors
 * the test asserts empty. `close()` undoes all of it, also when the setup failed half-way.
 *
 *     test('…', async (t) => {
 *       if (skipWithoutChromium(t)) return;
 *       const session = await openBrowser({ viewport: { width: 390, height: 844 } });
 *       try {
 *         await session.page.goto(session.url);
 *         …
 *         assert.deepEqual(session.problems, [], 'no page errors');
 *       } finally {
 *         await session.close();
 *       }
 *     });
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { buildWeb } from '../scripts/build-web.js';
import { listen, staticServer } from '../scripts/serve-web.js';

export const CHROMIUM = '/usr/bin/chromium';
/** Screenshots and other files a person may want to look at after a run. */
export const ARTIFACTS = join(import.meta.dirname, '..', 'test-artifacts');

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Skips `t` (and returns true) where Debian's Chromium is not installed. */
export function skipWithoutChromium(t: TestContext): boolean {
  if (existsSync(CHROMIUM)) return false;
  t.skip(`${CHROMIUM} is not installed: the browser tests need Debian's chromium (apt-get install chromium)`);
  return true;
}

export interface BrowserOptions {
  /** the folder to serve; default: the explorer (and web/segment/), built into a temporary folder */
  serve?: string;
  /** the window size; default playwright's 1280 × 720 */
  viewport?: { width: number; height: number };
  /** also count `console.error` messages as problems (default true) */
  consoleErrors?: boolean;
}

export interface BrowserSession {
  /** the served folder's URL, ending in `/` */
  url: string;
  /** the served folder (a test may write more pages into it) */
  site: string;
  context: BrowserContext;
  /** the first tab, watched */
  page: Page;
  /** page errors (and console errors) seen on watched tabs, each prefixed by its tab's label */
  problems: string[];
  /** watches another tab: its errors go to `problems`, prefixed by `label` */
  watch(page: Page, label?: string): Page;
  close(): Promise<void>;
}

/** Serves a folder (default: the freshly built explorer) and opens Chromium on a fresh profile. */
export async function openBrowser(options: BrowserOptions = {}): Promise<BrowserSession> {
  const built = options.serve === undefined ? await mkdtemp(join(tmpdir(), 'deconv-site-')) : null;
  const profile = await mkdtemp(join(tmpdir(), 'deconv-chromium-'));
  const site = built ?? options.serve!;
  let server: Server | null = null;
  let context: BrowserContext | null = null;
  const close = async (): Promise<void> => {
    await context?.close();
    if (server) {
      const s = server;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
    if (built) await rm(built, { recursive: true, force: true });
    await rm(profile, { recursive: true, force: true });
  };
  try {
    if (built) await buildWeb({ outDir: built, quiet: true });
    server = staticServer(site);
    const url = await listen(server, 0, '127.0.0.1');
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      ...(options.viewport ? { viewport: options.viewport } : {}),
    });
    const problems: string[] = [];
    const watch = (page: Page, label = 'page'): Page => {
      page.on('pageerror', (e) => problems.push(`${label} error: ${e.message}`));
      if (options.consoleErrors ?? true)
        page.on('console', (m) => {
          if (m.type() === 'error') problems.push(`${label} console error: ${m.text()}`);
        });
      return page;
    };
    const page = watch(context.pages()[0] ?? (await context.newPage()));
    return { url, site, context, page, problems, watch, close };
  } catch (err) {
    await close();
    throw err;
  }
}
