import * as path from 'node:path';
import { TlsdockError } from '../errors.js';
import { keysMatch, privateKeyToPem } from '../pki/keys.js';
import { parseMaterial, type Material } from '../pki/material.js';
import { writeFilesAtomic, type PlannedFile } from '../store/atomic.js';
import { readInput } from '../store/read.js';

export type ConvertTarget = 'pem' | 'der' | 'p12';

export interface ConvertOptions {
  input: string;
  to: ConvertTarget;
  /** A separate key file, for `--to p12` (or to add the key to a PEM bundle). */
  keyFile?: string;
  /** Output path; default: the input's name with the new extension. */
  out?: string;
  /** Where the key goes when converting to PEM (default `<out stem>-key.pem`); keys never share a file with certificates by default. */
  keyOut?: string;
  /** Password of an encrypted input (PKCS#12 or encrypted key). */
  password?: string;
  /** Password for a new PKCS#12 file. */
  outPassword?: string;
  force?: boolean;
}

export interface ConvertResult {
  input: { path: string; format: Material['format']; certificates: number; keys: number };
  written: { path: string; kind: 'certificates' | 'key' | 'pkcs12'; format: ConvertTarget }[];
}

function stemOf(file: string): string {
  const ext = path.extname(file);
  return ext ? file.slice(0, -ext.length) : file;
}

async function load(file: string, password: string | undefined, what: string): Promise<Material> {
  const m = await parseMaterial(readInput(file, what), { source: file, password });
  const locked = m.keys.find((k) => k.encrypted && !k.key);
  if (locked) throw new TlsdockError('bad-password', `The private key in ${file} is encrypted and needs its password.`, { fix: 'pass --password-file F (or set TLSDOCK_KEY_PASSWORD)' });
  return m;
}

export async function convert(opts: ConvertOptions): Promise<ConvertResult> {
  const m = await load(opts.input, opts.password, 'the input');
  if (opts.keyFile) m.keys.push(...(await load(opts.keyFile, opts.password, 'the key')).keys);
  const certs = m.certs;
  const key = m.keys[0]?.key;
  const stem = stemOf(opts.out ?? opts.input);
  const planned: (PlannedFile & { kind: ConvertResult['written'][number]['kind'] })[] = [];

  if (opts.to === 'der') {
    const objects = certs.length + m.keys.length;
    if (objects !== 1) {
      throw new TlsdockError('usage', `${opts.input} holds ${certs.length} certificate(s) and ${m.keys.length} key(s), but a DER file holds exactly one object.`, { fix: 'convert to pem or p12 instead, or split the file first' });
    }
    const out = opts.out ?? `${stem}${certs.length ? '.der' : '-key.der'}`;
    if (certs[0]) planned.push({ path: out, data: certs[0].der, mode: 0o644, kind: 'certificates' });
    else if (key) planned.push({ path: out, data: key.export({ type: 'pkcs8', format: 'der' }), mode: 0o600, kind: 'key' });
  } else if (opts.to === 'pem') {
    const out = opts.out ?? `${stem}.pem`;
    if (path.resolve(out) === path.resolve(opts.input)) throw new TlsdockError('usage', `The output would overwrite the input ${opts.input}; give another name with --out.`);
    if (certs.length) planned.push({ path: out, data: certs.map((c) => c.pem).join(''), mode: 0o644, kind: 'certificates' });
    if (key) {
      const keyOut = opts.keyOut ?? (certs.length ? `${stemOf(out)}-key.pem` : out);
      planned.push({ path: keyOut, data: privateKeyToPem(key), mode: 0o600, kind: 'key' });
    }
  } else {
    if (!key) throw new TlsdockError('usage', `A PKCS#12 file needs a private key, and ${opts.input} has none.`, { fix: `add it: tlsdock convert ${opts.input} --to p12 --key KEYFILE` });
    if (certs.length === 0) throw new TlsdockError('usage', `A PKCS#12 file needs the certificate, and ${opts.input} has none.`);
    // Put the certificate that matches the key first: Windows and macOS pair them by position and localKeyId.
    const leafIndex = certs.findIndex((c) => keysMatch(key, c.x509.publicKey));
    if (leafIndex < 0) throw new TlsdockError('bad-input', `The private key does not belong to any certificate in ${opts.input}.`);
    const ordered = [certs[leafIndex]!, ...certs.filter((_, i) => i !== leafIndex)];
    if (opts.outPassword === undefined) throw new TlsdockError('usage', 'A PKCS#12 file needs a password.', { fix: 'pass --password-file F or set TLSDOCK_P12_PASSWORD' });
    const { encodePkcs12 } = await import('../pki/pkcs12.js');
    const data = await encodePkcs12({ keyPem: privateKeyToPem(key), certPems: ordered.map((c) => c.pem), password: opts.outPassword });
    planned.push({ path: opts.out ?? `${stem}.p12`, data, mode: 0o600, kind: 'pkcs12' });
  }
  if (planned.length === 0) throw new TlsdockError('bad-input', `${opts.input} holds nothing to convert.`);
  writeFilesAtomic(planned, { force: opts.force });
  return {
    input: { path: opts.input, format: m.format, certificates: certs.length, keys: m.keys.length },
    written: planned.map((p) => ({ path: path.resolve(p.path), kind: p.kind, format: opts.to })),
  };
}
