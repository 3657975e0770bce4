// @peculiar/x509 needs the Reflect metadata polyfill loaded before it (its README says so),
// and a WebCrypto provider; Node's own is the one we trust.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };
export const subtle = webcrypto.subtle;
