/**
 * Keep-alive connections to one backend: what http.Agent does for Node's client, for our own
 * (see response-parser.ts for why tlsdock talks HTTP/1.1 to backends itself).
 *
 * - LIFO: the most recently used connection goes out first (warm), the others time out on their own.
 * - At most `maxSockets` connections at once; further requests wait in order for one to come back.
 * - An idle connection that closes, errs, times out or sends anything unasked is dropped.
 */
import type { Socket } from 'node:net';

export interface PoolOptions {
  /** Most connections open at once (in use + idle). */
  maxSockets: number;
  /** Most idle connections kept. */
  maxIdle: number;
  /** An idle connection is closed after this long (below the usual backend keep-alive timeouts: nginx 75 s, Jupyter/Tornado 1 h). */
  idleTimeoutMs: number;
}

export type Lease = (socket: Socket, reused: boolean) => void;

const NOTHING_TO_WITHDRAW = (): void => {};

export class BackendPool {
  private readonly idle: Socket[] = [];
  private readonly watchers = new Map<Socket, () => void>();
  private readonly waiting: Lease[] = [];
  private open = 0;
  private closed = false;

  constructor(private readonly connect: () => Socket, private readonly opts: PoolOptions) {}

  /** Connections open now (in use + idle): for tests and the idle collector. */
  get size(): number {
    return this.open;
  }

  /**
   * Hand a connection to `lease`, now or when one is free: a reused idle one, else a new one. Returns
   * a function that withdraws a lease still waiting (its client left, or it waited too long).
   */
  acquire(lease: Lease): () => void {
    const socket = this.idle.pop();
    if (socket) {
      this.unwatch(socket);
      lease(socket, true);
    } else if (this.open < this.opts.maxSockets) {
      lease(this.fresh(), false);
    } else {
      this.waiting.push(lease);
      return () => {
        const i = this.waiting.indexOf(lease);
        if (i >= 0) this.waiting.splice(i, 1);
      };
    }
    return NOTHING_TO_WITHDRAW;
  }

  /** Requests waiting for a connection (all maxSockets in use). */
  get queued(): number {
    return this.waiting.length;
  }

  /** A connection whose exchange finished cleanly and may carry another request. */
  release(socket: Socket): void {
    if (socket.destroyed || this.closed) { socket.destroy(); return; }
    const next = this.waiting.shift();
    if (next) { next(socket, true); return; }
    if (this.idle.length >= this.opts.maxIdle) { socket.destroy(); return; }
    this.watch(socket);
    socket.resume(); // paused by the last exchange's backpressure, it would not notice the backend closing
    this.idle.push(socket);
  }

  /** Close the idle connections and refuse to keep any more (those in use close when their exchange ends). */
  close(): void {
    this.closed = true;
    for (const s of this.idle.splice(0)) s.destroy();
  }

  private fresh(): Socket {
    const socket = this.connect();
    this.open++;
    // Exchanges listen for errors while they hold the connection; this one keeps a late error (after an
    // exchange let go, say an EPIPE of a write it no longer waits for) from becoming an uncaught exception.
    socket.on('error', () => {});
    socket.once('close', () => {
      this.open--;
      // A closed connection frees a place: start the next waiting request on a new one.
      const next = !this.closed && this.open < this.opts.maxSockets ? this.waiting.shift() : undefined;
      if (next) next(this.fresh(), false);
    });
    return socket;
  }

  private watch(socket: Socket): void {
    const drop = (): void => {
      this.unwatch(socket);
      const i = this.idle.indexOf(socket);
      if (i >= 0) this.idle.splice(i, 1);
      socket.destroy();
    };
    socket.setTimeout(this.opts.idleTimeoutMs);
    socket.on('timeout', drop).on('data', drop).on('end', drop).on('error', drop).on('close', drop);
    this.watchers.set(socket, drop);
  }

  private unwatch(socket: Socket): void {
    const drop = this.watchers.get(socket);
    if (!drop) return;
    this.watchers.delete(socket);
    socket.off('timeout', drop).off('data', drop).off('end', drop).off('error', drop).off('close', drop);
  }
}
