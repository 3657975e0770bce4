import { TlsdockError } from '../errors.js';

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;

/**
 * Parse a duration such as `10d`, `12h`, `30m`, `45s`, or a combination (`1d12h`), into milliseconds.
 * A bare number means days, the unit `--days` uses, so `--renew-before 10` reads as ten days.
 */
export function parseDuration(input: string, what = 'the duration'): number {
  const text = input.trim().toLowerCase();
  if (/^\d+$/.test(text)) return Number(text) * UNIT_MS.d;
  const parts = [...text.matchAll(/(\d+)([dhms])/g)];
  if (text === '' || parts.map((p) => p[0]).join('') !== text) {
    throw new TlsdockError('usage', `${what} "${input}" is not a duration; write it like 10d, 12h, 30m or 1d12h.`);
  }
  return parts.reduce((ms, p) => ms + Number(p[1]) * UNIT_MS[p[2] as keyof typeof UNIT_MS], 0);
}

/** "27 days", "5 hours", "12 minutes": the largest unit that is at least 2, so people read it at a glance. */
export function formatDuration(ms: number): string {
  const abs = Math.abs(ms);
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  // Whole days, rounded: a certificate issued a second ago for 30 days "expires in 30 days".
  if (abs >= 2 * UNIT_MS.d) return plural(Math.round(abs / UNIT_MS.d), 'day');
  if (abs >= 2 * UNIT_MS.h) return plural(Math.floor(abs / UNIT_MS.h), 'hour');
  if (abs >= 2 * UNIT_MS.m) return plural(Math.floor(abs / UNIT_MS.m), 'minute');
  return plural(Math.floor(abs / UNIT_MS.s), 'second');
}
