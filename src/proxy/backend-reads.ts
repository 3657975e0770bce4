/**
 * How the proxy reads from plain-TCP backend connections: through net's `onread` buffers instead of
 * Node's default of a new 64 KiB buffer for every read.
 *
 * Why: relaying a large answer costs CPU mostly per read and per TLS write, not per byte. A bare Node
 * TLS server sending 1 MiB spends 0.49 ms of CPU per MB written 64 KiB at a time and 0.40 ms at 256 KiB
 * (docs/proxy.md, "Read size"), and Node reads a socket 64 KiB at a time, so
 * every 64 KiB also paid a read callback, a parser call and a write through ServerResponse.
 *
 * - A connection starts in small mode: it reads into one buffer shared by every such connection, and
 *   each read is copied out at its own size (a small answer allocates what it needs, not 64 KiB).
 * - A read that fills the shared buffer means a large answer is streaming: the connection switches to
 *   a buffer of its own of LARGE bytes. A read of at least half of it is handed on whole (no copy) and
 *   the connection gets a new buffer for its next read; a shorter one is copied out, so no view pins
 *   more than twice its size.
 * - When the answer ends (bulkEnded) or the connection closes, it returns to small mode. Node asks for
 *   the next read's buffer right after each read, so a connection whose answer ended outside a read
 *   keeps its own buffer, and its place, until its next read or its close.
 *
 * Memory: at most MAX_BULK connections per process hold a buffer of their own (8 MB). What this does not
 * bound: a client still receiving holds its last read, now up to 256 KiB (and its encrypted copy)
 * instead of 64 KiB, for as long as it takes it; for scale, the kernel's send buffer for such a
 * connection grows to 4 MB (tcp_wmem).
 *
 * Every read reaches the socket's 'data' listeners as a buffer nobody else writes into: the shared
 * buffer never leaves this file (it is only copied from), and a handed-on buffer is never read into
 * again. Unlike Node's default, bytes that arrive while no 'data' listener is attached are dropped, so
 * the pool and the exchange always listen (backend-pool.ts watches idle connections).
 */
import { connect, type Socket } from 'node:net';

const SMALL = 64 * 1024;
export const LARGE = 256 * 1024;
const MAX_BULK = 32;

interface ReadState {
  /** Counts against MAX_BULK; reads go into `own`. */
  bulk: boolean;
  /** This connection's own buffer; undefined until the next read needs one (after a hand-on). */
  own: Buffer | undefined;
  /** The answer ended: leave bulk mode when Node next asks for a buffer. */
  leaving: boolean;
}

let shared: Buffer | undefined;
let bulk = 0;
const states = new WeakMap<Socket, ReadState>();

/** A plain-TCP connection that reads as described above; it emits 'data' like any socket. */
export function connectReading(host: string, port: number): Socket {
  const state: ReadState = { bulk: false, own: undefined, leaving: false };
  const socket: Socket = connect({
    host,
    port,
    onread: {
      buffer: () => nextBuffer(state),
      callback: (n: number, buf: Uint8Array) => {
        try {
          socket.emit('data', take(state, n, buf as Buffer));
        } catch (err) {
          // Node would not ask for the next buffer: the one just handed on would be read into again.
          socket.destroy(err as Error);
        }
        return true;
      },
    },
  });
  states.set(socket, state);
  socket.on('close', () => leaveBulk(state));
  return socket;
}

/** The answer being read ended: the connection's next one starts in small mode. */
export function bulkEnded(socket: Socket): void {
  const state = states.get(socket);
  if (state?.bulk) state.leaving = true;
}

/** Connections currently holding a buffer of their own (for tests). */
export function bulkConnections(): number {
  return bulk;
}

function nextBuffer(state: ReadState): Buffer {
  if (state.leaving) leaveBulk(state);
  if (state.bulk) return (state.own ??= Buffer.allocUnsafeSlow(LARGE));
  return (shared ??= Buffer.allocUnsafeSlow(SMALL));
}

function take(state: ReadState, n: number, buf: Buffer): Buffer {
  if (buf === state.own && n >= LARGE / 2) {
    state.own = undefined;
    return buf.subarray(0, n);
  }
  const data = Buffer.from(buf.subarray(0, n));
  if (!state.bulk && buf === shared && n === buf.length && bulk < MAX_BULK) {
    state.bulk = true;
    bulk++;
  }
  return data;
}

function leaveBulk(state: ReadState): void {
  state.leaving = false;
  if (!state.bulk) return;
  state.bulk = false;
  state.own = undefined;
  bulk--;
}
