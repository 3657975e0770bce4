/**
 * One request and its response on a backend connection: the request head and body out, the
 * response read with response-parser.ts, the connection back to the pool when both ended cleanly.
 *
 * The exchange does not know about the client: forward.ts gives it handlers (write the head, write
 * a body chunk, end, fail) and calls resume() when the client can take more.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { bulkEnded } from './backend-reads.js';
import { ResponseParser, type ResponseHead } from './response-parser.js';
import type { Backend } from './routes.js';

export interface ExchangeHandlers {
  /** The final response head (interim 1xx answers are skipped). */
  head(head: ResponseHead): void;
  /** A body chunk; return false to pause the backend until resume(). */
  body(chunk: Buffer): boolean;
  end(): void;
  /** The exchange failed; `started` says whether the response head had already arrived. The connection is gone. */
  fail(err: NodeJS.ErrnoException, info: { reused: boolean; started: boolean }): void;
}

export interface ExchangeRequest {
  method: string;
  path: string;
  /** Raw [name, value, …], Host included. */
  headers: string[];
  /** The client's request when it has a body to stream; chunked when its length is unknown. */
  body?: IncomingMessage;
  chunked?: boolean;
}

export class BackendTimeout extends Error {
  override name = 'BackendTimeout';
  code = 'ETIMEDOUT';
}

/** Control characters that would let a value end the head line (Node's parser already refuses them in client input; this guards our own values too). */
const LINE_BREAK = /[\r\n\0]/;

export function requestHead(req: ExchangeRequest): string {
  let head = `${req.method} ${req.path} HTTP/1.1\r\n`;
  const h = req.headers;
  for (let i = 0; i < h.length; i += 2) {
    if (LINE_BREAK.test(h[i]!) || LINE_BREAK.test(h[i + 1]!)) throw Object.assign(new Error(`invalid header ${JSON.stringify(h[i])}`), { code: 'ERR_INVALID_CHAR' });
    head += `${h[i]}: ${h[i + 1]}\r\n`;
  }
  return head + '\r\n';
}

export class BackendExchange {
  private socket: Socket | undefined;
  private reused = false;
  private finished = false;
  private requestSent = false;
  private responseDone = false;
  /** Set while waiting for a pooled connection: leaves the queue (and stops the wait's timer). */
  private withdraw: (() => void) | undefined;
  /** Set while a request body streams: stops listening to it (and discards the rest). */
  private stopBody: (() => void) | undefined;
  private readonly parser: ResponseParser;

  constructor(
    private readonly backend: Backend,
    private readonly req: ExchangeRequest,
    private readonly timeouts: { idleMs: number; connectMs: number },
    private readonly on: ExchangeHandlers,
  ) {
    this.parser = new ResponseParser({
      head: (head) => on.head(head),
      body: (chunk) => { if (!on.body(chunk)) this.socket?.pause(); },
      end: () => { this.responseDone = true; on.end(); },
    }, backend.maxHeaderBytes);
    this.parser.expect(req.method);
    this.withdraw = backend.pool.acquire((socket, reused) => this.start(socket, reused));
    if (!this.socket && !this.finished) {
      // Every connection to this backend is busy: waiting counts against the idle timeout too (504).
      const timer = setTimeout(() => this.fail(new BackendTimeout(`no free connection to the backend within ${timeouts.idleMs} ms`)), timeouts.idleMs);
      const leased = this.withdraw;
      this.withdraw = () => { clearTimeout(timer); leased(); };
    }
  }

  /** The client drained: read from the backend again. */
  resume(): void {
    if (!this.finished) this.socket?.resume();
  }

  /** The client went away: drop the backend connection (its work stops too). */
  abort(): void {
    if (this.finished) return;
    this.stop();
    this.socket?.destroy();
  }

  /** The exchange is over: no more listening to the backend socket, nor to a request body still arriving. */
  private stop(): void {
    this.finished = true;
    this.withdraw?.();
    this.detach();
    this.stopBody?.();
  }

  private start(socket: Socket, reused: boolean): void {
    if (this.finished) { this.backend.pool.release(socket); return; }
    this.withdraw?.();
    this.withdraw = undefined;
    this.socket = socket;
    this.reused = reused;
    if (socket.connecting) {
      const timer = setTimeout(() => this.fail(new BackendTimeout(`no connection within ${this.timeouts.connectMs} ms`)), this.timeouts.connectMs);
      socket.once('connect', () => clearTimeout(timer));
      socket.once('close', () => clearTimeout(timer));
    }
    socket.setTimeout(this.timeouts.idleMs);
    socket.on('data', this.onData).on('error', this.onError).on('close', this.onClose).on('timeout', this.onTimeout);
    socket.resume();
    let head: string;
    try {
      head = requestHead(this.req);
    } catch (err) {
      this.fail(err as NodeJS.ErrnoException);
      return;
    }
    socket.write(head);
    if (this.req.body) this.streamBody(socket, this.req.body, this.req.chunked === true);
    else this.requestSent = true;
  }

  /**
   * The request body, with chunked framing when the client's had no length; pauses the client while the
   * backend is slow. A client that goes away mid-body ends the exchange (the backend connection, holding a
   * half-sent request, is closed).
   */
  private streamBody(socket: Socket, body: IncomingMessage, chunked: boolean): void {
    let ended = false;
    const onDrain = (): void => { body.resume(); };
    const onChunk = (chunk: Buffer): void => {
      if (chunk.length === 0) return; // an empty chunk would end a chunked body early
      let ok: boolean;
      if (chunked) {
        socket.cork();
        socket.write(`${chunk.length.toString(16)}\r\n`);
        socket.write(chunk);
        ok = socket.write('\r\n');
        socket.uncork();
      } else {
        ok = socket.write(chunk);
      }
      if (!ok) { body.pause(); socket.once('drain', onDrain); }
    };
    const onEnd = (): void => {
      ended = true;
      this.stopBody?.();
      if (chunked) socket.write('0\r\n\r\n');
      this.requestSent = true;
      if (this.responseDone) this.recycle();
    };
    // The client's connection, not the request: once the answer is complete Node no longer ends or closes
    // a request whose connection drops.
    const client = body.socket;
    const onGone = (): void => { if (!ended) this.abort(); };
    this.stopBody = (): void => {
      this.stopBody = undefined;
      body.off('data', onChunk).off('end', onEnd);
      client.off('close', onGone);
      socket.off('drain', onDrain);
      if (!ended) body.resume(); // discard the rest of what the client sends
    };
    body.on('data', onChunk).once('end', onEnd);
    client.once('close', onGone);
  }

  private readonly onData = (data: Buffer): void => {
    try {
      this.parser.execute(data);
    } catch (err) {
      this.fail(err as NodeJS.ErrnoException);
      return;
    }
    // Only here, after the parser has seen every byte of this read: bytes past the end of the answer
    // would have thrown, and a connection that sent them must not go back to the pool.
    // The connection goes back only once the request went out whole too (an early answer, such as a 413, can come before).
    if (this.responseDone && this.requestSent) this.recycle();
  };

  private readonly onClose = (): void => {
    if (this.finished) return;
    try {
      this.parser.finish(); // a body that runs until close ends here
      if (this.responseDone) { this.stop(); return; }
      this.fail(Object.assign(new Error('the backend closed the connection'), { code: 'ECONNRESET' }));
    } catch (err) {
      this.fail(err as NodeJS.ErrnoException);
    }
  };

  private readonly onError = (err: Error): void => { this.fail(err as NodeJS.ErrnoException); };
  private readonly onTimeout = (): void => { this.fail(new BackendTimeout(`no answer within ${this.timeouts.idleMs} ms`)); };

  private recycle(): void {
    if (this.finished) return;
    const socket = this.socket!;
    this.stop();
    if (this.parser.keepAlive) this.backend.pool.release(socket);
    else socket.destroy();
  }

  private fail(err: NodeJS.ErrnoException): void {
    if (this.finished) return;
    this.stop();
    this.socket?.destroy();
    // After a complete answer (extra bytes, or a reset while the request body was still going out) the
    // client has what it asked for; only the connection is lost.
    if (!this.responseDone) this.on.fail(err, { reused: this.reused, started: this.parser.started });
  }

  private detach(): void {
    const socket = this.socket;
    if (!socket) return;
    socket.off('data', this.onData).off('error', this.onError).off('close', this.onClose).off('timeout', this.onTimeout);
    socket.setTimeout(0);
    bulkEnded(socket);
  }
}
