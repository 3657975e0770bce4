import { createPrivateKey, createPublicKey, generateKeyPair, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { TlsdockError } from '../errors.js';

export const KEY_TYPES = ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

const generate = promisify(generateKeyPair);

const KEY_TYPE_ALIASES: Record<string, KeyType> = {
  ecdsa: 'ecdsa-p256', ec: 'ecdsa-p256', p256: 'ecdsa-p256', 'p-256': 'ecdsa-p256', 'ec-p256': 'ecdsa-p256',
  p384: 'ecdsa-p384', 'p-384': 'ecdsa-p384', 'ec-p384': 'ecdsa-p384', rsa: 'rsa-2048',
};

export function parseKeyType(value: string): KeyType {
  const v = value.toLowerCase();
  if ((KEY_TYPES as readonly string[]).includes(v)) return v as KeyType;
  const alias = KEY_TYPE_ALIASES[v];
  if (alias) return alias;
  throw new TlsdockError('usage', `Unknown key type "${value}"; choose one of ${KEY_TYPES.join(', ')}.`);
}

export async function generatePrivateKey(type: KeyType): Promise<KeyObject> {
  if (type.startsWith('rsa-')) {
    // Off the main thread: an RSA key takes 50 ms to seconds, and a proxy renewing one keeps serving.
    const { privateKey } = await generate('rsa', { modulusLength: Number(type.slice(4)), publicExponent: 0x10001 });
    return privateKey;
  }
  // An EC key takes ~0.1 ms: the thread pool would cost more to start than the work (~2 ms per `issue`).
  return generateKeyPairSync('ec', { namedCurve: type === 'ecdsa-p384' ? 'P-384' : 'P-256' }).privateKey;
}

/** The key type of an existing key, or undefined for keys we do not sign with (Ed25519, P-521, DSA). */
export function keyTypeOf(key: KeyObject): KeyType | undefined {
  const d = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa') {
    const bits = d?.modulusLength ?? 0;
    return bits >= 4096 ? 'rsa-4096' : bits >= 3072 ? 'rsa-3072' : 'rsa-2048';
  }
  if (key.asymmetricKeyType === 'ec') {
    if (d?.namedCurve === 'prime256v1') return 'ecdsa-p256';
    if (d?.namedCurve === 'secp384r1') return 'ecdsa-p384';
  }
  return undefined;
}

export function describeKey(key: KeyObject): string {
  const d = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa') return `RSA ${d?.modulusLength ?? '?'}`;
  if (key.asymmetricKeyType === 'ec') return `ECDSA ${({ prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' } as Record<string, string>)[d?.namedCurve ?? ''] ?? d?.namedCurve ?? '?'}`;
  const names: Record<string, string> = { ed25519: 'Ed25519', ed448: 'Ed448', dsa: 'DSA', dh: 'DH', x25519: 'X25519', x448: 'X448', 'rsa-pss': 'RSA-PSS' };
  return names[key.asymmetricKeyType ?? ''] ?? (key.asymmetricKeyType ?? 'unknown').toUpperCase();
}

export function privateKeyToPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** Whether a private key and a public key (from a certificate or CSR) belong together. */
export function keysMatch(privateKey: KeyObject, publicKey: KeyObject): boolean {
  const a = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const b = publicKey.export({ type: 'spki', format: 'der' });
  return a.equals(b);
}

export { createPrivateKey };
