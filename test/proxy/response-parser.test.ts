/**
 * The backend response parser on its own: framing (length, chunked, until close, no body), interim
 * answers, keep-alive, byte-by-byte input, and everything it must refuse rather than guess.
 *
 *   cd /work/main && node --import tsx --test test/proxy/response-parser.test.ts
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ResponseParser, ResponseParseError, type ResponseHead } from '../../src/proxy/response-parser.js';

interface Seen { heads: ResponseHead[]; body: Buffer[]; ends: number }

function parser(method = 'GET', maxHead?: number): { p: ResponseParser; seen: Seen; text: () => string } {
  const seen: Seen = { heads: [], body: [], ends: 0 };
  const p = new ResponseParser({ head: (h) => seen.heads.push(h), body: (b) => seen.body.push(Buffer.from(b)), end: () => { seen.ends++; } }, maxHead);
  p.expect(method);
  return { p, seen, text: () => Buffer.concat(seen.body).toString('latin1') };
}

/** Feed `wire` whole, and again one byte at a time: both must give the same result. */
function both(wire: string, method = 'GET', check: (seen: Seen, text: string, p: ResponseParser) => void): void {
  const whole = parser(method);
  whole.p.execute(Buffer.from(wire, 'latin1'));
  check(whole.seen, whole.text(), whole.p);
  const bytes = parser(method);
  for (const b of Buffer.from(wire, 'latin1')) bytes.p.execute(Buffer.from([b]));
  check(bytes.seen, bytes.text(), bytes.p);
}

function refuses(wire: string, code: string, method = 'GET'): void {
  const { p } = parser(method);
  assert.throws(() => p.execute(Buffer.from(wire, 'latin1')), (e: unknown) => e instanceof ResponseParseError && e.code === code, `expected ${code} for ${JSON.stringify(wire)}`);
}

describe('framing', () => {
  test('Content-Length: exactly that many bytes, then the end; keep-alive by default in HTTP/1.1', () => {
    both('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello', 'GET', (seen, text, p) => {
      assert.equal(seen.heads.length, 1);
      assert.deepEqual(seen.heads[0]!.rawHeaders, ['Content-Length', '5', 'X-A', 'b']);
      assert.equal(seen.heads[0]!.statusMessage, 'OK');
      assert.equal(text, 'hello');
      assert.equal(seen.ends, 1);
      assert.equal(p.keepAlive, true);
    });
  });

  test('chunked: de-chunked, extensions ignored, trailers dropped', () => {
    both('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-Trailer: t\r\n\r\n', 'GET', (seen, text, p) => {
      assert.equal(text, 'hello, world!!!');
      assert.equal(seen.ends, 1);
      assert.equal(p.keepAlive, true);
    });
  });

  test('no length and not chunked: the body runs until the connection closes, which is then not reused', () => {
    const { p, seen, text } = parser();
    p.execute(Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nsome '));
    p.execute(Buffer.from('more'));
    assert.equal(seen.ends, 0);
    p.finish();
    assert.equal(text(), 'some more');
    assert.equal(seen.ends, 1);
    assert.equal(p.keepAlive, false);
  });

  test('HEAD, 204 and 304 have no body whatever their Content-Length says', () => {
    both('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n', 'HEAD', (seen, text) => { assert.equal(seen.ends, 1); assert.equal(text, ''); });
    both('HTTP/1.1 204 No Content\r\n\r\n', 'GET', (seen) => assert.equal(seen.ends, 1));
    both('HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n', 'GET', (seen) => assert.equal(seen.ends, 1));
  });

  test('interim answers (100 Continue, 103 Early Hints) are skipped; the final one counts', () => {
    both('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok', 'POST', (seen, text) => {
      assert.equal(seen.heads.length, 1);
      assert.equal(seen.heads[0]!.status, 201);
      assert.equal(text, 'ok');
    });
  });

  test('Connection: close, and HTTP/1.0 without keep-alive, end the connection after the answer', () => {
    both('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', 'GET', (_s, _t, p) => assert.equal(p.keepAlive, false));
    both('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n', 'GET', (_s, _t, p) => assert.equal(p.keepAlive, false));
    both('HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n', 'GET', (_s, _t, p) => assert.equal(p.keepAlive, true));
  });

  test('Transfer-Encoding with Content-Length: chunked wins and the connection is not reused', () => {
    both('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n', 'GET', (_s, text, p) => {
      assert.equal(text, 'ok');
      assert.equal(p.keepAlive, false);
    });
  });

  test('Transfer-Encoding lines form one list: chunked last means chunked, the other codings are kept', () => {
    both('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n', 'GET', (seen, text) => {
      assert.equal(text, 'ok');
      assert.deepEqual(seen.heads[0]!.transferCodings, ['gzip']);
      assert.equal(seen.heads[0]!.framing, 'chunked');
    });
  });

  test('repeated equal Content-Length values are one length', () => {
    both('HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok', 'GET', (_s, text) => assert.equal(text, 'ok'));
  });

  test('a parser serves one connection: expect() before each answer', () => {
    const { p, seen, text } = parser();
    p.execute(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na'));
    p.expect('GET');
    p.execute(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb'));
    assert.equal(seen.ends, 2);
    assert.equal(text(), 'ab');
  });

  test('body chunks are views of the input (no copy)', () => {
    const chunks: Buffer[] = [];
    const p = new ResponseParser({ head: () => {}, body: (b) => chunks.push(b), end: () => {} });
    p.expect('GET');
    const input = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody');
    p.execute(input);
    assert.equal(chunks[0]!.buffer, input.buffer);
  });
});

describe('refused', () => {
  test('not HTTP, or a status line it cannot read', () => {
    refuses('SSH-2.0-OpenSSH_9.2\r\n', 'HPE_INVALID_CONSTANT');
    refuses('HTTP/2 200\r\n\r\n', 'HPE_INVALID_CONSTANT');
    refuses('HTTP/1.1 20 OK\r\n\r\n', 'HPE_INVALID_CONSTANT');
  });

  test('a bare LF, a malformed header line, obs-fold, a control character in a value', () => {
    refuses('HTTP/1.1 200 OK\n\n', 'HPE_LF_EXPECTED');
    refuses('HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN');
    refuses('HTTP/1.1 200 OK\r\nX-A: b\r\n  folded\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN');
    refuses('HTTP/1.1 200 OK\r\nBad Name: b\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN');
    refuses('HTTP/1.1 200 OK\r\nX-A: a\x01b\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN');
  });

  test('Content-Length that is not a number, or two different ones', () => {
    refuses('HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n', 'HPE_INVALID_CONTENT_LENGTH');
    refuses('HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', 'HPE_INVALID_CONTENT_LENGTH');
    refuses('HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n', 'HPE_INVALID_CONTENT_LENGTH');
    refuses('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n', 'HPE_UNEXPECTED_CONTENT_LENGTH');
  });

  test('chunk sizes that are not plain hex, or a chunk longer than its size', () => {
    refuses('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1x\r\n', 'HPE_INVALID_CHUNK_SIZE');
    refuses('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n', 'HPE_INVALID_CHUNK_SIZE');
    refuses('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokX\r\n', 'HPE_INVALID_CHUNK_SIZE');
  });

  test('bytes after the end of an answer (the connection is out of step)', () => {
    refuses('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n', 'HPE_UNEXPECTED_DATA');
  });

  test('a 101 to a request that did not ask to switch', () => {
    refuses('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n', 'HPE_UNEXPECTED_UPGRADE');
  });

  test('a head larger than the limit, whole or arriving in pieces', () => {
    const big = `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(2000)}\r\n\r\n`;
    const { p } = parser('GET', 1024);
    assert.throws(() => p.execute(Buffer.from(big)), /larger than 1024 bytes/);
    const pieces = parser('GET', 1024).p;
    assert.throws(() => { for (let i = 0; i < big.length; i += 100) pieces.execute(Buffer.from(big.slice(i, i + 100))); }, /larger than 1024 bytes/);
    const many = parser('GET', 1024).p;
    assert.throws(() => many.execute(Buffer.from(`HTTP/1.1 200 OK\r\n${'X-A: b\r\n'.repeat(200)}\r\n`)), /larger than 1024 bytes/);
  });

  test('a connection that closes before the answer is whole', () => {
    const head = parser();
    head.p.execute(Buffer.from('HTTP/1.1 200 OK\r\nContent-Le'));
    assert.throws(() => head.p.finish(), /before|without an answer/);
    const body = parser();
    body.p.execute(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
    assert.throws(() => body.p.finish(), /before the end of the body/);
    const chunked = parser();
    chunked.p.execute(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n'));
    assert.throws(() => chunked.p.finish(), /before the end of the body/);
  });
});
