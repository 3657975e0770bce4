// Pool the runs of several hyperfine JSON exports and print medians and ratios to a reference command.
import { readFileSync } from 'node:fs';

const [reference, ...files] = process.argv.slice(2);
const times = new Map();
for (const f of files) {
  for (const r of JSON.parse(readFileSync(f, 'utf8')).results) {
    times.set(r.command, [...(times.get(r.command) ?? []), ...r.times]);
  }
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const ref = median(times.get(reference));
console.log(`${'command'.padEnd(24)} ${'median'.padStart(9)} ${'runs'.padStart(5)}  ratio to ${reference}`);
for (const [cmd, xs] of times) {
  const m = median(xs);
  console.log(`${cmd.padEnd(24)} ${(m * 1000).toFixed(1).padStart(7)}ms ${String(xs.length).padStart(5)}  ${(m / ref).toFixed(2)}×`);
}
