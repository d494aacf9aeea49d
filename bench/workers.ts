/**
 * The engine processes the main process drives: a Node runner (bench/runner.ts, over IPC) per
 * engine and thread count, and one PyTorch process (bench/torch_bench.py, JSON lines over
 * stdin/stdout) for every thread count. Both answer `Command`s with `Reply`s (engine.ts).
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { CaseResult, Command, EngineName, Reply } from './engine.js';

export const PYTHON = '/usr/bin/python3';

export type Started =
  { type: 'ready'; version: string; notes: string[] } | { type: 'skipped'; reason: string };

/** One engine process: `start` once, `run` one case at a time, `close` at the end (resolves when it has exited). */
export interface Worker {
  start(): Promise<Started>;
  run(cmd: Extract<Command, { type: 'run' }>): Promise<CaseResult>;
  close(): Promise<void>;
}

/** Replies arrive in order; each request waits for the next one (or the process's exit). */
class ReplyQueue {
  private waiting: ((r: Reply | Error) => void)[] = [];
  private early: (Reply | Error)[] = [];
  private dead: Error | null = null;

  push(r: Reply | Error): void {
    const w = this.waiting.shift();
    if (w) w(r);
    else this.early.push(r);
  }
  fail(e: Error): void {
    this.dead = e;
    for (const w of this.waiting.splice(0)) w(e);
  }
  next(): Promise<Reply> {
    const r = this.early.shift();
    if (r) return r instanceof Error ? Promise.reject(r) : Promise.resolve(r);
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) =>
      this.waiting.push((x) => (x instanceof Error ? reject(x) : resolve(x))),
    );
  }
}

function worker(child: ChildProcess, sendCmd: (c: Command) => void, queue: ReplyQueue, what: string): Worker {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.on('exit', (code, signal) => queue.fail(new Error(`${what} exited (${code ?? signal})`)));
  child.on('error', (e) => queue.fail(e));
  const expect = async <T extends Reply['type']>(...types: T[]): Promise<Extract<Reply, { type: T }>> => {
    const r = await queue.next();
    if (!types.includes(r.type as T)) throw new Error(`${what}: unexpected reply ${r.type}`);
    return r as Extract<Reply, { type: T }>;
  };
  return {
    start: () => expect('ready', 'skipped'),
    async run(cmd) {
      sendCmd(cmd);
      return (await expect('result')).result;
    },
    close() {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      try {
        sendCmd({ type: 'close' });
      } catch {
        // already gone
      }
      setTimeout(() => child.kill(), 5000).unref();
      return exited;
    },
  };
}

/** A Node runner for `engine` at `threads`. */
export function nodeWorker(engine: EngineName, threads: number, env?: NodeJS.ProcessEnv): Worker {
  const child = fork(fileURLToPath(new URL('./runner.ts', import.meta.url)), [engine, String(threads)], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: env ?? process.env,
  });
  const queue = new ReplyQueue();
  child.on('message', (m: Reply) => queue.push(m));
  return worker(child, (c) => child.send(c), queue, `${engine}@${threads} runner`);
}

/** Whether PyTorch can run here: its version, or why not. */
export function probeTorch(): { version: string } | { missing: string } {
  const probe = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (probe.status === 0) return { version: probe.stdout.trim() };
  return { missing: probe.error ? `${PYTHON} not found` : `import torch failed in ${PYTHON}` };
}

/**
 * A PyTorch process for one thread count. Debian's PyTorch runs transposed convolutions through
 * OpenBLAS (pthreads build), whose own threads ignore `torch.set_num_threads` and keep spinning
 * after each call, so "1 thread" used both cores (cpu/wall 1.98) until each count got its own
 * process with OPENBLAS_NUM_THREADS and OMP_NUM_THREADS set before the libraries load.
 */
export function torchWorker(threads: number): Worker {
  const t = String(threads);
  const child = spawn(PYTHON, [fileURLToPath(new URL('./torch_bench.py', import.meta.url))], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, OMP_NUM_THREADS: t, OPENBLAS_NUM_THREADS: t, MKL_NUM_THREADS: t },
  });
  const queue = new ReplyQueue();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      queue.push(JSON.parse(line) as Reply);
    } catch {
      process.stderr.write(`torch_bench.py: ${line}\n`);
    }
  });
  return worker(child, (c) => child.stdin!.write(`${JSON.stringify(c)}\n`), queue, 'torch_bench.py');
}
