/**
 * Runs the `deconv` command in-process, as the tests of the CLI do: `main(args, io)` with an io
 * that collects what it writes, in `cwd`, not a terminal.
 */
import { main } from '../cli/main.js';
import type { CliIo } from '../cli/io.js';

/** Runs `deconv ...args` in `cwd`; its exit code and everything written to stdout and stderr. */
export async function runCli(
  args: readonly string[],
  cwd: string,
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => (out += t), err: (t) => (err += t), cwd, isTTY: false };
  const code = await main(args, io);
  return { code, out, err };
}
