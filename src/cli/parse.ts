import { InvalidArgumentError } from '@commander-js/extra-typings';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('expected a whole number above 0.');
  return n;
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
