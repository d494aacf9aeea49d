/**
 * `npm start`: builds the explorer and serves web/dist/ on 127.0.0.1, printing the URL.
 * The port is $PORT, else 5173; when that port is taken, any free port.
 *
 *     npm start                    # → http://127.0.0.1:5173/
 *     PORT=8080 npm start
 */
import { createReadStream, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildWeb, WEB_DIST } from './build-web.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
};

/** A static file server for `root` (GET and HEAD only; nothing outside `root` is served). */
export function staticServer(root: string): Server {
  const base = resolve(root);
  return createServer((req, res) => {
    void (async () => {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD' }).end();
        return;
      }
      let path: string;
      try {
        path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      } catch {
        res.writeHead(400).end('bad request');
        return;
      }
      if (path.endsWith('/')) path += 'index.html';
      const file = normalize(join(base, path));
      if (file !== base && !file.startsWith(base + sep)) {
        res.writeHead(403).end('forbidden');
        return;
      }
      try {
        const info = await stat(file);
        if (!info.isFile()) throw new Error('not a file');
        res.writeHead(200, {
          'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
          'Content-Length': info.size,
          'Cache-Control': 'no-cache',
          // cross-origin isolation: SharedArrayBuffer, hence the library's WebAssembly threads
          // (everything the explorer loads is same-origin)
          'Cross-Origin-Opener-Policy': 'same-origin',
          'Cross-Origin-Embedder-Policy': 'require-corp',
        });
        if (req.method === 'HEAD') res.end();
        else createReadStream(file).pipe(res);
      } catch {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`not found: ${path}`);
      }
    })();
  });
}

/** Listens on `port` (0: any free port), or on a free port when `port` is taken; returns the URL. */
export function listen(server: Server, port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const onListening = (): void => {
      server.off('error', onError);
      const { port: actual } = server.address() as AddressInfo;
      resolvePromise(`http://${host}:${actual}/`);
    };
    const onError = (err: NodeJS.ErrnoException): void => {
      if (err.code === 'EADDRINUSE' && port !== 0) {
        console.log(`port ${port} is taken; using a free port`);
        server.listen(0, host);
      } else {
        server.off('listening', onListening);
        reject(err);
      }
    };
    server.once('listening', onListening);
    server.on('error', onError);
    server.listen(port, host);
  });
}

async function main(): Promise<void> {
  const env = process.env.PORT;
  const port = env === undefined || env === '' ? 5173 : Number(env);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT = ${env} must be an integer between 0 and 65535`);
  }
  await buildWeb();
  const server = staticServer(WEB_DIST);
  const url = await listen(server, port);
  console.log(`deconv explorer: ${url}  (Ctrl+C to stop)`);
  stopWithParent(server);
}

/**
 * Stops serving when told to (SIGINT, SIGTERM, SIGHUP) and when the process that started this one
 * is gone, even if it was killed without passing the signal on (SIGKILL). `npm start` runs this
 * under `sh -c`, which stays when npm dies, so the parent and (on Linux, from /proc) the
 * grandparent are watched: a check every half second stops the server once either is gone.
 */
function stopWithParent(server: Server): void {
  const parent = process.ppid;
  const grandparent = parentOf(parent);
  const stop = (): void => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, stop);
  setInterval(() => {
    if (process.ppid !== parent || (grandparent !== undefined && !alive(grandparent))) stop();
  }, 500).unref();
}

/** The parent of process `pid` (Linux: /proc/<pid>/stat), or undefined where that is unknown. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) && ppid > 1 ? ppid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
