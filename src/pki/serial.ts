import { randomBytes } from 'node:crypto';

/** A random, positive, 128-bit serial (CA/B asks for at least 64 bits of entropy), as hex for @peculiar/x509. */
export function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01; // positive in DER and never a leading zero byte
  return bytes.toString('hex');
}
