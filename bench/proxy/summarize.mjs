// Summary for bench/proxy.sh: the median of each measurement per proxy, and ratios against nginx and
// Caddy, computed per round first (the same round saw the same machine) and then taken the median of.
// usage: node summarize.mjs results.tsv VARIANT...
import { readFileSync } from 'node:fs';

const [file, ...variants] = process.argv.slice(2);
const rows = readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split('\t'));
const metrics = [...new Set(rows.map((r) => r[2]))];
const rounds = [...new Set(rows.map((r) => r[0]))]; // includes 'all' (measured once, after the rounds)
const roundCount = rounds.filter((r) => r !== 'all').length;
const value = (round, v, m) => { const r = rows.find((x) => x[0] === round && x[1] === v && x[2] === m); return r ? Number(r[3]) : NaN; };
const median = (xs) => { const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b); return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN; };
const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const lowerIsBetter = (m) => /p99|rss|cpu/.test(m);

const refs = ['nginx', 'caddy'].filter((r) => variants.includes(r));
const subjects = variants.filter((v) => !refs.includes(v));
console.log(`\nmedians over ${roundCount} round(s)`);
console.log(['metric', ...variants].map((s, i) => (i ? s.padStart(14) : s.padEnd(20))).join(''));
for (const m of metrics) {
  console.log([m.padEnd(20), ...variants.map((v) => fmt(median(rounds.map((r) => value(r, v, m))), /p99|cpu/.test(m) ? 2 : 0).padStart(14))].join(''));
}
for (const s of subjects) {
  for (const ref of refs) {
    console.log(`\n${s} / ${ref} (per-round ratio; median [min–max])${''}`);
    for (const m of metrics) {
      const ratios = rounds.map((r) => value(r, s, m) / value(r, ref, m)).filter(Number.isFinite);
      if (!ratios.length) continue;
      const note = lowerIsBetter(m) ? '  (lower is better)' : '';
      console.log(`  ${m.padEnd(20)} ${fmt(median(ratios), 2)}  [${fmt(Math.min(...ratios), 2)}–${fmt(Math.max(...ratios), 2)}]${note}`);
    }
  }
}
