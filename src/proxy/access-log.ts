/**
 * The access log (one line per request, human or JSON) and the event log (certificate renewals,
 * refused reloads, backend failures).
 *
 * Lines are batched and written at most every 100 ms: on Linux a write to a pipe is synchronous, and
 * one write per request would cost more than forwarding it. Batches are cut at line boundaries into
 * pieces of at most 4096 bytes (PIPE_BUF), so with --workers several processes sharing one stdout
 * never interleave halves of lines.
 */
import { describeEvent, type ProxyEvent } from './events.js';

export type LogFormat = 'human' | 'json';

export interface AccessEntry {
  /** Wall-clock ms when the request arrived. */
  time: number;
  client: string;
  method: string;
  /** The Host header as sent. */
  host: string;
  path: string;
  status: number;
  /** Bytes sent to the client, headers included. */
  bytes: number;
  /** Duration in ms, to the end of the response (or of the WebSocket). */
  ms: number;
  backend?: string;
  websocket?: boolean;
  /** Why the proxy answered itself (down, timeout…), or why the client went away. */
  error?: string;
}

export interface LogSink {
  write(chunk: string): unknown;
}

export interface ProxyLogOptions {
  format?: LogFormat;
  /** Access log lines; default process.stdout. `null` turns the access log off. */
  access?: LogSink | null;
  /** Event lines; default process.stderr. */
  events?: LogSink;
  flushMs?: number;
}

const PIPE_BUF = 4096;

class LineBuffer {
  private lines: string[] = [];
  private size = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly sink: LogSink, private readonly flushMs: number) {}

  push(line: string): void {
    this.lines.push(line);
    this.size += line.length;
    if (this.size >= 16 * 1024) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.flushMs);
      this.timer.unref();
    }
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    let chunk = '';
    for (const line of this.lines) {
      if (chunk && Buffer.byteLength(chunk) + Buffer.byteLength(line) > PIPE_BUF) {
        this.sink.write(chunk);
        chunk = '';
      }
      chunk += line;
    }
    if (chunk) this.sink.write(chunk);
    this.lines = [];
    this.size = 0;
  }
}

function clock(t: number): string {
  return new Date(t).toTimeString().slice(0, 8);
}

function size(n: number): string {
  return n < 1024 ? `${n}B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)}kB` : `${(n / 1024 / 1024).toFixed(1)}MB`;
}

export function formatAccess(e: AccessEntry, format: LogFormat): string {
  if (format === 'json') {
    const { time, ms, ...rest } = e;
    return JSON.stringify({ time: new Date(time).toISOString(), ...rest, ms: Math.round(ms * 10) / 10 }) + '\n';
  }
  const ws = e.websocket ? ' websocket' : '';
  const err = e.error ? ` (${e.error})` : '';
  return `[${clock(e.time)}] ${e.client} ${e.method} ${e.host}${e.path} ${e.status} ${size(e.bytes)} ${e.ms < 10 ? e.ms.toFixed(1) : Math.round(e.ms)}ms${ws}${err}\n`;
}

export function formatEvent(e: ProxyEvent, format: LogFormat, time = Date.now()): string {
  if (format === 'json') {
    const { type, ...rest } = e;
    return JSON.stringify({ time: new Date(time).toISOString(), event: type, ...rest }) + '\n';
  }
  return `[${clock(time)}] tlsdock: ${describeEvent(e)}\n`;
}

export class ProxyLog {
  readonly format: LogFormat;
  private readonly access?: LineBuffer;
  private readonly events: LogSink;
  private started = false;

  constructor(opts: ProxyLogOptions = {}) {
    this.format = opts.format ?? 'human';
    const sink = opts.access === undefined ? process.stdout : opts.access;
    if (sink) this.access = new LineBuffer(sink, opts.flushMs ?? 100);
    this.events = opts.events ?? process.stderr;
  }

  get accessEnabled(): boolean {
    return this.access !== undefined;
  }

  request(e: AccessEntry): void {
    this.access?.push(formatAccess(e, this.format));
  }

  event(e: ProxyEvent): void {
    // A person at the terminal reads the first certificates and the names left out of them in the
    // start-up summary; a JSON log keeps them. Names left out later (a new address) are news.
    const atStart = !this.started;
    if (e.type === 'cert-issued') this.started = true;
    if (this.format === 'human' && ((e.type === 'cert-issued' && e.reason === 'start') || (e.type === 'name-skipped' && atStart))) return;
    this.events.write(formatEvent(e, this.format));
  }

  flush(): void {
    this.access?.flush();
  }
}
