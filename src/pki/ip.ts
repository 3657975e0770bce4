/**
 * IP literal checks for the certificate core. `net.isIPv6` compiles a very large regular expression
 * on its first call (~5 ms, a twentieth of a one-shot `tlsdock issue`); the WHATWG URL parser
 * (C++, already loaded) validates the same IPv6 literals.
 */

/** Dotted-quad IPv4, each part 0–255 without leading zeros (what `net.isIPv4` accepts). */
export function isIPv4(s: string): boolean {
  return /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(s);
}

/** An IPv6 literal, optionally with a zone (`fe80::1%eth0`), as `net.isIPv6` accepts it. */
export function isIPv6(s: string): boolean {
  const pct = s.indexOf('%');
  const addr = pct === -1 ? s : s.slice(0, pct);
  if (pct !== -1 && !/^[0-9a-zA-Z.:-]+$/.test(s.slice(pct + 1))) return false;
  if (!addr.includes(':') || !/^[0-9a-fA-F:.]+$/.test(addr)) return false;
  return URL.canParse(`http://[${addr}]/`);
}
