#!/usr/bin/env bash
# Issue one leaf for "localhost 127.0.0.1 ::1" as a whole process: tlsdock beside mkcert and openssl.
# hyperfine has no interleaving, so the commands run in ROUNDS alternating rounds and the medians
# over all rounds are compared (a noisy 2-core box drifts; alternating keeps the drift fair).
# Needs: hyperfine, mkcert, openssl (Debian packages). Usage: bash bench/issue.sh [ROUNDS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
RUNS=${2:-15}
for tool in hyperfine mkcert openssl; do command -v "$tool" >/dev/null || { echo "bench needs $tool: apt-get install -y $tool" >&2; exit 2; }; done
[ -f dist/tlsdock.cjs ] || npm run build >/dev/null

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export TLSDOCK_HOME="$T/tlsdock" CAROOT="$T/mkcert"
mkdir -p "$T/out" "$CAROOT"
node bin/tlsdock.cjs ca init >/dev/null
mkcert -cert-file "$T/warm.pem" -key-file "$T/warm-key.pem" localhost >/dev/null 2>&1 # creates mkcert's CA (no -install: no trust store is touched)

for r in $(seq 1 "$ROUNDS"); do
  hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$T/round-$r.json" \
    -n 'node -e 0' 'node -e 0' \
    -n 'tlsdock issue' "node bin/tlsdock.cjs issue localhost 127.0.0.1 ::1 --out $T/out --force" \
    -n 'mkcert -ecdsa' "mkcert -ecdsa -cert-file $T/m.pem -key-file $T/m-key.pem localhost 127.0.0.1 ::1" \
    -n 'mkcert (RSA)' "mkcert -cert-file $T/m.pem -key-file $T/m-key.pem localhost 127.0.0.1 ::1" \
    -n 'openssl req -x509 ec' "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $T/o-key.pem -out $T/o.pem -days 397 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
    >/dev/null 2>&1
  echo "round $r/$ROUNDS done" >&2
done

node bench/summarize-hyperfine.mjs 'tlsdock issue' "$T"/round-*.json
npx tsx bench/issue-inprocess.ts
