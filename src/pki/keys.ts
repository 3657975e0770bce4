import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { TlsdockError } from '../errors.js';
import { subtle } from './x509lib.js';

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
    const { privateKey } = await generate('rsa', { modulusLength: Number(type.slice(4)), publicExponent: 0x10001 });
    return privateKey;
  }
  const namedCurve = type === 'ecdsa-p384' ? 'P-384' : 'P-256';
  const { privateKey } = await generate('ec', { namedCurve });
  return privateKey;
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
  return (key.asymmetricKeyType ?? 'unknown').toUpperCase();
}

export function privateKeyToPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** The WebCrypto signature algorithm for a key of ours (SHA-384 with P-384, SHA-256 otherwise). */
export function signingAlgorithm(key: KeyObject): RsaHashedImportParams | EcKeyImportParams & { hash: string } {
  if (key.asymmetricKeyType === 'rsa') return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    if (curve === 'secp384r1') return { name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-384' };
  }
  throw new TlsdockError('bad-input', `A ${describeKey(key)} key cannot sign here; tlsdock signs with ECDSA P-256/P-384 or RSA.`);
}

const imported = new WeakMap<KeyObject, Promise<CryptoKeyPair>>();

/**
 * Node KeyObject → WebCrypto keys for @peculiar/x509 (Node 20 has no KeyObject#toCryptoKey).
 * Cached per KeyObject: a proxy or `ensure` signs many leaves with one CA key.
 */
export function toCryptoKeys(privateKey: KeyObject): Promise<CryptoKeyPair> {
  let keys = imported.get(privateKey);
  if (!keys) {
    keys = importCryptoKeys(privateKey);
    imported.set(privateKey, keys);
  }
  return keys;
}

async function importCryptoKeys(privateKey: KeyObject): Promise<CryptoKeyPair> {
  const alg = signingAlgorithm(privateKey);
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const [priv, pub] = await Promise.all([
    subtle.importKey('pkcs8', pkcs8, alg, false, ['sign']),
    subtle.importKey('spki', spki, alg, true, ['verify']),
  ]);
  return { privateKey: priv as unknown as CryptoKey, publicKey: pub as unknown as CryptoKey };
}

/** Whether a private key and a public key (from a certificate or CSR) belong together. */
export function keysMatch(privateKey: KeyObject, publicKey: KeyObject): boolean {
  const a = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const b = publicKey.export({ type: 'spki', format: 'der' });
  return a.equals(b);
}

export { createPrivateKey };
