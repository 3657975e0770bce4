/**
 * A strict, incremental HTTP/1.1 response parser for what backends send us (RFC 9112).
 *
 * Written here rather than taken from a library, measured (see docs/proxy.md, "Choosing the forwarding
 * layer"): Node's own parser is reachable only through its http client, which copies every body chunk
 * into a new Buffer and builds a ClientRequest + IncomingMessage + stream pipe per request (tlsdock
 * forwarded about half the small requests per second it does with this parser); undici's was slower
 * on large bodies; http-parser-js accepts `Content-Length: abc` and chunk sizes like `1x`, which on a
 * shared keep-alive connection could let one bad answer be read as part of the next. This parser
 * does only the response side, and refuses anything ambiguous: a response it cannot frame exactly is
 * an error, never a guess.
 *
 * Bodies are handed on as views of the bytes that came in (no copy), chunked bodies already
 * de-chunked. One parser lives as long as one backend connection; `expect(method)` before each
 * response says whether a body can follow (not after HEAD).
 */

export interface ResponseHead {
  status: number;
  statusMessage: string;
  /** [name, value, …] as received (names' case kept), trailers not included. */
  rawHeaders: string[];
  /** The Connection header's value ('' when absent), lower case. */
  connection: string;
  /** Whether the connection can carry another request after this response. */
  keepAlive: boolean;
  /** How the body is delimited: its Content-Length, chunks, the connection's end, or no body at all. */
  framing: 'length' | 'chunked' | 'close' | 'none';
  /** The one Content-Length value (repeats and `5, 5` lists folded into it), when there was one. */
  contentLength: number | undefined;
  /** Transfer codings other than the final `chunked` (`gzip` of `gzip, chunked`): the body stays encoded with them. */
  transferCodings: string[];
}

export interface ResponseHandlers {
  head(head: ResponseHead): void;
  body(chunk: Buffer): void;
  end(): void;
}

export class ResponseParseError extends Error {
  override name = 'ResponseParseError';
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

const enum State { Idle, Head, Sized, Chunked, ChunkData, ChunkEnd, Trailers, UntilClose, Done }

const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: ([\t\x20-\x7e\x80-\xff]*))?$/;
const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[\t ]*(.*?)[\t ]*$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const CHUNK_SIZE = /^([0-9A-Fa-f]{1,12})[\t ]*(?:;.*)?$/;
const DIGITS = /^\d{1,15}$/;
/** Longest chunk-size or trailer line we wait for; a longer one is not a real chunked body. */
const MAX_LINE = 8 * 1024;

export class ResponseParser {
  private state = State.Idle;
  private method = 'GET';
  /** Bytes of an unfinished line (head, chunk size or trailer), kept between inputs. */
  private pending: Buffer | undefined;
  private headBytes = 0;
  private remaining = 0;
  private head: ResponseHead | undefined;
  /** The final head went to the handler (not just a status line read). */
  private delivered = false;
  private http10 = false;

  constructor(private readonly on: ResponseHandlers, private readonly maxHeadBytes = 64 * 1024) {}

  /** The next response answers a request with this method. */
  expect(method: string): void {
    this.method = method;
    this.state = State.Head;
    this.headBytes = 0;
    this.head = undefined;
    this.delivered = false;
  }

  /** Whether the connection may carry another request after the current response. */
  get keepAlive(): boolean {
    return this.head?.keepAlive ?? false;
  }

  /** Whether the current response has started: its head went to the handler. */
  get started(): boolean {
    return this.delivered;
  }

  /** The connection closed. A response that runs until close ends here; anything else half-read is an error. */
  finish(): void {
    if (this.state === State.UntilClose) {
      this.state = State.Done;
      this.on.end();
      return;
    }
    if (this.state !== State.Idle && this.state !== State.Done) {
      throw new ResponseParseError('ECONNRESET', this.head ? 'the backend closed the connection before the end of the body' : 'the backend closed the connection without an answer');
    }
  }

  /** Feed bytes from the backend; throws ResponseParseError on anything it cannot frame exactly. */
  execute(data: Buffer): void {
    let at = 0;
    while (at < data.length) {
      switch (this.state) {
        case State.Idle:
        case State.Done:
          // Bytes nobody asked for: the connection is out of step and cannot be trusted again.
          throw new ResponseParseError('HPE_UNEXPECTED_DATA', 'the backend sent data after its response');
        case State.Head:
        case State.Chunked:
        case State.ChunkEnd:
        case State.Trailers: {
          const line = this.readLine(data, at);
          if (line === undefined) return;
          at = line.next;
          this.onLine(line.text);
          break;
        }
        case State.Sized:
        case State.ChunkData: {
          const n = Math.min(this.remaining, data.length - at);
          this.remaining -= n;
          const chunk = data.subarray(at, at + n);
          at += n;
          if (this.remaining === 0) this.state = this.state === State.Sized ? State.Done : State.ChunkEnd;
          this.on.body(chunk);
          if (this.state === State.Done) this.on.end();
          break;
        }
        case State.UntilClose:
          this.on.body(at === 0 ? data : data.subarray(at));
          return;
      }
    }
  }

  /** One CRLF-terminated line from `data` at `at` (joined with what an earlier input left), or undefined when incomplete. */
  private readLine(data: Buffer, at: number): { text: string; next: number } | undefined {
    const nl = data.indexOf(10, at);
    const limit = this.state === State.Head ? this.maxHeadBytes - this.headBytes : MAX_LINE;
    if (nl < 0) {
      const rest = data.subarray(at);
      this.pending = this.pending ? Buffer.concat([this.pending, rest]) : Buffer.from(rest);
      if (this.pending.length > limit) this.tooLong();
      return undefined;
    }
    let bytes = data.subarray(at, nl);
    if (this.pending) {
      bytes = Buffer.concat([this.pending, bytes]);
      this.pending = undefined;
    }
    if (bytes.length + 1 > limit) this.tooLong();
    if (this.state === State.Head) this.headBytes += bytes.length + 1;
    if (bytes[bytes.length - 1] !== 13) throw new ResponseParseError('HPE_LF_EXPECTED', 'the backend ended a line with LF alone');
    return { text: bytes.toString('latin1', 0, bytes.length - 1), next: nl + 1 };
  }

  private tooLong(): never {
    if (this.state === State.Head) throw new ResponseParseError('HPE_HEADER_OVERFLOW', `the backend's response headers are larger than ${this.maxHeadBytes} bytes`);
    throw new ResponseParseError('HPE_INVALID_CHUNK_SIZE', 'the backend sent a chunked body with an over-long line');
  }

  private onLine(text: string): void {
    switch (this.state) {
      case State.Head: return this.headLine(text);
      case State.Chunked: return this.chunkSize(text);
      case State.ChunkEnd:
        if (text !== '') throw new ResponseParseError('HPE_INVALID_CHUNK_SIZE', 'the backend sent a chunk longer than its size');
        this.state = State.Chunked;
        return;
      case State.Trailers:
        // Trailers are not passed on (few clients read them and Node cannot forward them after the body has
        // streamed); an empty line ends the message.
        if (text === '') {
          this.state = State.Done;
          this.on.end();
        }
        return;
      default:
    }
  }

  private headLine(text: string): void {
    if (!this.head) {
      const m = STATUS_LINE.exec(text);
      if (!m) throw new ResponseParseError('HPE_INVALID_CONSTANT', 'the backend did not answer with an HTTP/1.x status line');
      this.http10 = m[1] === '0';
      this.head = { status: Number(m[2]), statusMessage: m[3] ?? '', rawHeaders: [], connection: '', keepAlive: m[1] === '1', framing: 'none', contentLength: undefined, transferCodings: [] };
      return;
    }
    if (text !== '') {
      const m = HEADER_LINE.exec(text);
      // Also refuses obs-fold (a line starting with a space): RFC 9112 §5.2 lets a proxy reject it.
      if (!m || !FIELD_VALUE.test(m[2]!)) throw new ResponseParseError('HPE_INVALID_HEADER_TOKEN', `the backend sent a malformed header line: ${JSON.stringify(text.slice(0, 80))}`);
      this.head.rawHeaders.push(m[1]!, m[2]!);
      return;
    }
    this.headComplete(this.head);
  }

  private headComplete(head: ResponseHead): void {
    let length: number | undefined;
    let chunked = false;
    const codings: string[] = [];
    let transferEncoding = false;
    const connection: string[] = [];
    for (let i = 0; i < head.rawHeaders.length; i += 2) {
      const name = head.rawHeaders[i]!.toLowerCase();
      const value = head.rawHeaders[i + 1]!;
      if (name === 'content-length') {
        // `Content-Length: 5, 5` and repeated equal values are one length (RFC 9110 §8.6); anything else is fatal.
        for (const part of value.split(',')) {
          const v = part.trim();
          if (!DIGITS.test(v)) throw new ResponseParseError('HPE_INVALID_CONTENT_LENGTH', `the backend sent an invalid Content-Length: ${JSON.stringify(value.slice(0, 40))}`);
          if (length !== undefined && Number(v) !== length) throw new ResponseParseError('HPE_UNEXPECTED_CONTENT_LENGTH', 'the backend sent conflicting Content-Length values');
          length = Number(v);
        }
      } else if (name === 'transfer-encoding') {
        transferEncoding = true;
        codings.push(...value.toLowerCase().split(',').map((s) => s.trim()).filter(Boolean));
      } else if (name === 'connection') {
        connection.push(value.toLowerCase());
      }
    }
    // Several Transfer-Encoding lines are one list; the body is chunked only when chunked comes last.
    chunked = codings[codings.length - 1] === 'chunked';
    head.transferCodings = chunked ? codings.slice(0, -1) : codings;
    head.connection = connection.join(', ');
    head.contentLength = length;
    const tokens = head.connection.split(',').map((s) => s.trim());
    if (tokens.includes('close')) head.keepAlive = false;
    else if (tokens.includes('keep-alive')) head.keepAlive = true;

    const status = head.status;
    if (status < 200) {
      // 100 Continue, 102, 103 Early Hints: interim answers, the real one follows (101 is for upgrades, handled elsewhere).
      if (status === 101) throw new ResponseParseError('HPE_UNEXPECTED_UPGRADE', 'the backend switched protocols on a request that did not ask to');
      this.head = undefined;
      this.headBytes = 0; // the final head gets the whole limit
      return;
    }
    let next: State;
    if (this.method === 'HEAD' || status === 204 || status === 304) {
      next = State.Done;
    } else if (transferEncoding) {
      // Transfer-Encoding overrides Content-Length (RFC 9112 §6.3); a connection that carried both, or
      // Transfer-Encoding in an HTTP/1.0 answer (§6.1: faulty framing), is not reused.
      if (length !== undefined || !chunked || this.http10) head.keepAlive = false;
      next = chunked ? State.Chunked : State.UntilClose;
      head.framing = chunked ? 'chunked' : 'close';
    } else if (length !== undefined) {
      this.remaining = length;
      next = length === 0 ? State.Done : State.Sized;
      head.framing = 'length';
    } else {
      head.keepAlive = false;
      next = State.UntilClose;
      head.framing = 'close';
    }
    this.state = next;
    this.delivered = true;
    this.on.head(head);
    if (next === State.Done) this.on.end();
  }

  private chunkSize(text: string): void {
    const m = CHUNK_SIZE.exec(text);
    if (!m) throw new ResponseParseError('HPE_INVALID_CHUNK_SIZE', `the backend sent an invalid chunk size: ${JSON.stringify(text.slice(0, 40))}`);
    this.remaining = parseInt(m[1]!, 16);
    this.state = this.remaining === 0 ? State.Trailers : State.ChunkData;
  }
}
