import { randomBytes } from 'node:crypto';

/** A random, positive, 128-bit serial (CA/B asks for at least 64 bits of entropy). */
export function randomSerial(): Uint8Array {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01; // positive in DER and never a leading zero byte
  return new Uint8Array(bytes);
}
