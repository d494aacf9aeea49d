/**
 * `npm start` serves the explorer and stops with the process that started it: killing npm (even
 * with SIGKILL, which it cannot pass on) leaves nothing serving.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');

async function answers(url: string): Promise<boolean> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return r.ok;
  } catch {
    return false;
  }
}

for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
  test(`npm start: the server stops when npm gets ${signal}`, { timeout: 120_000 }, async () => {
    const npm = spawn('npm', ['start', '--silent'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      npm.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /deconv explorer: (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      npm.on('exit', (code) => reject(new Error(`npm start exited (${code}): ${out}`)));
    });
    assert.ok(await answers(url), `${url} answers while npm start runs`);
    npm.kill(signal);
    let up = true;
    for (let i = 0; i < 20 && up; i++) {
      await new Promise((r) => setTimeout(r, 250));
      up = await answers(url);
    }
    assert.ok(!up, `${url} still answers 5 s after npm got ${signal}`);
  });
}
