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
 *   the connection gets a new buffer; a shorter one is copied out, so no view pins more than twice its
 *   size.
 * - The exchange that ends (bulkEnded) or the connection that closes returns to small mode.
 *
 * Memory: a read handed on stays alive until the client has taken it, so a slow client holds up to
 * LARGE bytes (and their encrypted copy) instead of 64 KiB. At most MAX_BULK connections per process
 * read in large pieces at once (the rest read as before), which bounds that at about 24 MB.
 *
 * Every read reaches the socket's 'data' listeners as a buffer nobody else writes into: the shared
 * buffer never leaves this file (it is only copied from), and a handed-on buffer is replaced before the
 * next read (Node asks `buffer()` for the next one right after `callback`).
 */
import { connect, type Socket } from 'node:net';

const SMALL = 64 * 1024;
export const LARGE = 256 * 1024;
const MAX_BULK = 32;

interface ReadState {
  /** Set in bulk mode: this connection's own buffer. */
  own: Buffer | undefined;
}

let shared: Buffer | undefined;
let bulk = 0;
const states = new WeakMap<Socket, ReadState>();

/** A plain-TCP connection that reads as described above; it emits 'data' like any socket. */
export function connectReading(host: string, port: number): Socket {
  const state: ReadState = { own: undefined };
  const socket: Socket = connect({
    host,
    port,
    onread: {
      buffer: () => state.own ?? (shared ??= Buffer.allocUnsafeSlow(SMALL)),
      callback: (n: number, buf: Uint8Array) => {
        socket.emit('data', take(state, n, buf as Buffer));
        return true;
      },
    },
  });
  states.set(socket, state);
  socket.once('close', () => leaveBulk(state));
  return socket;
}

/** The answer being read ended: the connection's next one starts in small mode. */
export function bulkEnded(socket: Socket): void {
  const state = states.get(socket);
  if (state) leaveBulk(state);
}

/** Connections currently reading in large pieces (for tests). */
export function bulkConnections(): number {
  return bulk;
}

function take(state: ReadState, n: number, buf: Buffer): Buffer {
  if (state.own === buf && n >= LARGE / 2) {
    state.own = Buffer.allocUnsafeSlow(LARGE);
    return buf.subarray(0, n);
  }
  const data = Buffer.from(buf.subarray(0, n));
  if (!state.own && buf === shared && n === buf.length && bulk < MAX_BULK) {
    bulk++;
    state.own = Buffer.allocUnsafeSlow(LARGE);
  }
  return data;
}

function leaveBulk(state: ReadState): void {
  if (!state.own) return;
  state.own = undefined;
  bulk--;
}
