/**
 * The CLI's contact with the outside: output streams, the working directory, files, and progress
 * bars (cli-progress, on stderr, only when stderr is a terminal).
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { cliFail } from './args.js';

export interface CliIo {
  /** writes to stdout */
  out(text: string): void;
  /** writes to stderr */
  err(text: string): void;
  /** the directory relative paths are resolved in */
  cwd: string;
  /** whether stderr is a terminal (progress bars are drawn only then) */
  isTTY: boolean;
}

/** The process's own streams and directory. */
export function processIo(): CliIo {
  // `deconv … | head` closes stdout early: stop quietly instead of crashing on EPIPE
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    cwd: process.cwd(),
    isTTY: process.stderr.isTTY === true,
  };
}

export function resolvePath(io: CliIo, path: string): string {
  return resolve(io.cwd, path);
}

/** Writes a file, turning a file-system error into a DeconvError for `option`. */
export function writeOutput(
  io: CliIo,
  command: string,
  option: string,
  path: string,
  data: string | Uint8Array,
): void {
  try {
    writeFileSync(resolvePath(io, path), data);
  } catch (e) {
    cliFail(command, option, path, `could not be written: ${(e as Error).message}`);
  }
}

export interface Progress {
  update(done: number): void;
  stop(): void;
}

/** A progress bar of `total` steps on stderr when it is a terminal and `worth` is true; else nothing. */
export function progress(io: CliIo, label: string, total: number, worth: boolean): Progress {
  if (!io.isTTY || !worth) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {value}/{total}`,
      stream: process.stderr,
      clearOnComplete: true,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return { update: (done) => bar.update(done), stop: () => bar.stop() };
}
