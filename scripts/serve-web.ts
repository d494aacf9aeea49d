/**
 * `npm start`: builds the explorer and serves web/dist/ on 127.0.0.1, printing the URL.
 * The port is $PORT, else 5173; when that port is taken, any free port.
 *
 *     npm start                    # → http://127.0.0.1:5173/
 *     PORT=8080 npm start
 */
import { createReadStream } from 'node:fs';
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
  const url = await listen(staticServer(WEB_DIST), port);
  console.log(`deconv explorer: ${url}  (Ctrl+C to stop)`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
