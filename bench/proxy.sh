#!/usr/bin/env bash
# tlsdock proxy against nginx and Caddy: the same certificate (issued by tlsdock), the same backend,
# one interleaved run (all proxies run side by side; each round takes one measurement of each in turn,
# so machine noise hits them alike), ratios per round at the end.
#
#   bash bench/proxy.sh [ROUNDS]            # default 3 rounds; needs nginx, caddy, wrk, openssl, a built CLI
#
# Environment:
#   SECS=5                 seconds per measurement
#   VARIANTS="tlsdock nginx caddy"   what to run; tlsdock is the default (one lean worker process, dist/proxy-worker.cjs);
#                          also: tlsdock-w0 (--workers 0: served by the main process), tlsdock-w2 (--workers 2), tlsdock-log (access log on),
#                          layer-http / layer-undici / layer-bare (bench/proxy/layers.mjs: the forwarding layer alone;
#                          layer-undici needs UNDICI_PATH=/scratch/node_modules/undici/index.js)
#   KEEP=1                 keep the scratch folder
#
# Measures: wrk keep-alive req/s and p99 (-t2 -c64); wrk with `Connection: close` (wrk resumes TLS sessions,
# so this is new TCP connections + resumed handshakes); full TLS handshakes/s (openssl s_time -new, one
# client); 1 MiB transfers (wrk -t2 -c8) in MB/s; WebSocket echo round-trips/s over 50 connections;
# the CPU time (user + system, all the proxy's processes, from /proc) per MB of the 1 MiB test and per
# 1,000 WebSocket round-trips: on a machine the load generator shares, the fairer measure of efficiency;
# RSS at the peak of the 1 MiB test and after load (whole process tree: nginx master+worker, tlsdock primary+workers;
# rss_max_process_mb / rss_peak_max_process_mb is the largest single process, the per-worker figure).
# nginx runs 1 worker (as the issue's baseline); Caddy runs as it comes (GOMAXPROCS = all cores).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ROUNDS=${1:-3}
SECS=${SECS:-5}
VARIANTS=${VARIANTS:-"tlsdock nginx caddy"}
for tool in nginx caddy wrk openssl node; do command -v $tool >/dev/null || { echo "bench/proxy.sh: $tool is not installed" >&2; exit 2; }; done
[ -f dist/tlsdock.cjs ] || { echo "bench/proxy.sh: build first: npm run build" >&2; exit 2; }
[ -f dist/proxy-worker.cjs ] || echo "bench/proxy.sh: dist/proxy-worker.cjs is missing: tlsdock will serve in-process (--workers 0)" >&2

S=$(mktemp -d /tmp/tlsdock-bench-proxy.XXXXXX)
chmod 755 "$S" # nginx workers run as nobody and read 1m.bin
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ "${KEEP:-}" = 1 ] && echo "kept $S" || rm -rf "$S"
}
trap cleanup EXIT

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 never opened" >&2; return 1; }
tree_pids() { # a PID and its descendants
  local pids="$1" all="$1" kids
  while [ -n "$pids" ]; do kids=$(for p in $pids; do cat /proc/$p/task/*/children 2>/dev/null; done | tr '\n' ' '); all="$all $kids"; pids=$(echo $kids); done
  echo $all
}
tree_rss_mb() { # RSS of a PID and its descendants, in MB
  ps -o rss= -p "$(tree_pids "$1" | tr ' ' ',')" 2>/dev/null | awk '{s+=$1} END {printf "%.0f", s/1024}'
}
max_rss_mb() { # the largest single process of the tree (per-worker figure)
  ps -o rss= -p "$(tree_pids "$1" | tr ' ' ',')" 2>/dev/null | sort -n | tail -1 | awk '{printf "%.0f", $1/1024}'
}
CLK_TCK=$(getconf CLK_TCK)
tree_cpu_ms() { # user + system CPU time used so far by a PID and its descendants, in ms
  for p in $(tree_pids "$1"); do cat /proc/$p/stat 2>/dev/null; done | awk -v hz="$CLK_TCK" '{ s += $14 + $15 } END {printf "%.0f", s * 1000 / hz}'
}
per_unit() { # CPU ms used, a rate per second over SECS, the unit (1 = per item, 1000 = per 1,000) → ms per unit (empty when no work was done)
  awk -v ms="$1" -v rate="$2" -v s="$SECS" -v unit="$3" 'BEGIN { n = rate * s / unit; if (n > 0) printf "%.2f", ms / n }'
}

# --- one certificate for everyone, from tlsdock's own CA -------------------------------------------------
export TLSDOCK_HOME=$S/ca
node bin/tlsdock.cjs issue localhost 127.0.0.1 --out "$S" --json >/dev/null
CERT=$S/localhost+1-fullchain.pem KEY=$S/localhost+1-key.pem CA=$S/ca/ca.pem

# --- backends: nginx (small page and 1 MiB), a ws echo server -------------------------------------------
BACKEND=$(free_port); WSBACKEND=$(free_port)
head -c 1048576 /dev/urandom > "$S/1m.bin"
mkdir -p "$S/nb"
cat > "$S/backend.conf" <<EOF
worker_processes 1; daemon off; pid $S/nb/pid; error_log $S/nb/error.log;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000; keepalive_timeout 300s;
  client_body_temp_path $S/nb/cb; proxy_temp_path $S/nb/p; fastcgi_temp_path $S/nb/f; uwsgi_temp_path $S/nb/u; scgi_temp_path $S/nb/s;
  server { listen 127.0.0.1:$BACKEND;
    location / { default_type text/plain; return 200 "hello from backend\n"; }
    location = /1m { alias $S/1m.bin; } } }
EOF
nginx -c "$S/backend.conf" -p "$S/nb" -e "$S/nb/error.log" >/dev/null 2>&1 & PIDS+=($!)
node bench/proxy/ws-echo-server.mjs "$WSBACKEND" >/dev/null & PIDS+=($!)
wait_port "$BACKEND"; wait_port "$WSBACKEND"
[ "$(curl -s "http://127.0.0.1:$BACKEND/1m" | wc -c)" = 1048576 ] || { echo "the backend does not serve /1m" >&2; exit 1; }

# --- the proxies ------------------------------------------------------------------------------------------
start_proxy() { # VARIANT PORT UPSTREAM_PORT → sets PID
  local v=$1 port=$2 up=$3 d="$S/$1-$2"
  mkdir -p "$d"
  case $v in
    tlsdock|tlsdock-w0|tlsdock-w2|tlsdock-log)
      local extra=(--no-access-log)
      [ "$v" = tlsdock-w0 ] && extra+=(--workers 0)
      [ "$v" = tlsdock-w2 ] && extra+=(--workers 2)
      [ "$v" = tlsdock-log ] && extra=(--log-format json)
      node bin/tlsdock.cjs proxy --to "http://127.0.0.1:$up" --listen "127.0.0.1:$port" --cert "$CERT" --key "$KEY" "${extra[@]}" >"$d/out" 2>"$d/err" &
      ;;
    nginx)
      cat > "$d/nginx.conf" <<EOF
worker_processes 1; daemon off; pid $d/pid; error_log $d/error.log;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  client_body_temp_path $d/cb; proxy_temp_path $d/p; fastcgi_temp_path $d/f; uwsgi_temp_path $d/u; scgi_temp_path $d/s;
  upstream be { server 127.0.0.1:$up; keepalive 64; }
  map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }
  server { listen 127.0.0.1:$port ssl; ssl_certificate $CERT; ssl_certificate_key $KEY; ssl_protocols TLSv1.2 TLSv1.3;
    location / { proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Host \$host;
      proxy_set_header Upgrade \$http_upgrade; proxy_set_header Connection \$connection_upgrade;
      proxy_set_header X-Forwarded-For \$remote_addr; proxy_set_header X-Forwarded-Proto https; } } }
EOF
      nginx -c "$d/nginx.conf" -p "$d" -e "$d/error.log" >"$d/out" 2>&1 &
      ;;
    caddy)
      cat > "$d/Caddyfile" <<EOF
{
  admin off
  auto_https off
}
https://127.0.0.1:$port, https://localhost:$port {
  tls $CERT $KEY
  reverse_proxy 127.0.0.1:$up
}
EOF
      XDG_DATA_HOME=$d XDG_CONFIG_HOME=$d HOME=$d caddy run --config "$d/Caddyfile" --adapter caddyfile >"$d/out" 2>&1 &
      ;;
    layer-http|layer-undici|layer-bare)
      node bench/proxy/layers.mjs "${v#layer-}" "$port" "$up" "$CERT" "$KEY" >"$d/out" 2>&1 &
      ;;
    *) echo "unknown variant $v" >&2; exit 2 ;;
  esac
  PID=$!
  PIDS+=("$PID")
}

wrk_rps() { awk '/Requests\/sec/ {print $2}'; }
wrk_p99() { awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; printf "%.2f", v}'; }
wrk_mbs() { awk '/Transfer\/sec/ {v=$2; if (v ~ /GB$/) {sub(/GB/,"",v); v=v*1024} else if (v ~ /MB$/) {sub(/MB/,"",v)} else if (v ~ /KB$/) {sub(/KB/,"",v); v=v/1024}; printf "%.1f", v}'; }

RESULTS=$S/results.tsv
: > "$RESULTS"
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$RESULTS"; printf '  %-12s %-22s %s\n' "$2" "$3" "$4"; }

echo "tlsdock proxy benchmark: $ROUNDS round(s) × {$VARIANTS}, ${SECS}s per measurement; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
# Every proxy runs twice for the whole benchmark (in front of nginx, in front of the ws echo server) and
# the measurements alternate between them: each round runs one measurement on every proxy in turn, so
# the numbers compared in a ratio were taken seconds apart.
declare -A HTTP_PORT WS_PORT HTTP_PID WS_PID
for v in $VARIANTS; do
  port=$(free_port); start_proxy "$v" "$port" "$BACKEND"; HTTP_PORT[$v]=$port; HTTP_PID[$v]=$PID
  port=$(free_port); start_proxy "$v" "$port" "$WSBACKEND"; WS_PORT[$v]=$port; WS_PID[$v]=$PID
done
for v in $VARIANTS; do
  wait_port "${HTTP_PORT[$v]}"; wait_port "${WS_PORT[$v]}"
  curl -sf --cacert "$CA" "https://127.0.0.1:${HTTP_PORT[$v]}/" >/dev/null || { echo "$v does not answer" >&2; exit 1; }
  wrk -t2 -c64 -d2s "https://127.0.0.1:${HTTP_PORT[$v]}/" >/dev/null 2>&1
done
read -ra ALL <<< "$VARIANTS"
for round in $(seq "$ROUNDS"); do
  # Rotate the order every round: whoever runs first after a pause, or right after a heavy run, is not always the same.
  ORDER=()
  for i in "${!ALL[@]}"; do ORDER+=("${ALL[$(( (i + round - 1) % ${#ALL[@]} ))]}"); done
  echo "round $round (load $(cut -d' ' -f1 /proc/loadavg)): ${ORDER[*]}"
  for v in "${ORDER[@]}"; do
    out=$(wrk -t2 -c64 -d${SECS}s --latency "https://127.0.0.1:${HTTP_PORT[$v]}/")
    record "$round" "$v" keepalive_rps "$(echo "$out" | wrk_rps)"
    record "$round" "$v" keepalive_p99_ms "$(echo "$out" | wrk_p99)"
  done
  for v in "${ORDER[@]}"; do
    out=$(wrk -t2 -c64 -d${SECS}s -H 'Connection: close' "https://127.0.0.1:${HTTP_PORT[$v]}/")
    record "$round" "$v" close_rps "$(echo "$out" | wrk_rps)"
  done
  for v in "${ORDER[@]}"; do
    out=$(timeout $((SECS + 10)) openssl s_time -connect "127.0.0.1:${HTTP_PORT[$v]}" -new -time "$SECS" -CAfile "$CA" 2>/dev/null | awk '/connections in .* real seconds/ {printf "%.0f", $1/$4}')
    record "$round" "$v" full_handshakes_s "${out:-0}"
  done
  for v in "${ORDER[@]}"; do
    cpu0=$(tree_cpu_ms "${HTTP_PID[$v]}")
    wrk -t2 -c8 -d${SECS}s "https://127.0.0.1:${HTTP_PORT[$v]}/1m" > "$S/wrk.out" & W=$!
    peak=0 peak1=0
    while kill -0 $W 2>/dev/null; do
      r=$(tree_rss_mb "${HTTP_PID[$v]}"); [ "${r:-0}" -gt "$peak" ] && peak=$r
      r=$(max_rss_mb "${HTTP_PID[$v]}"); [ "${r:-0}" -gt "$peak1" ] && peak1=$r
      sleep 0.25
    done
    wait $W || true
    cpu=$(( $(tree_cpu_ms "${HTTP_PID[$v]}") - cpu0 )); mbs=$(wrk_mbs < "$S/wrk.out")
    record "$round" "$v" mib_MBs "$mbs"
    # CPU per MB, the proxy's processes together: what the machine pays for each byte relayed (on a
    # shared 2-core box this, more than MB/s, tells how efficient a proxy is).
    record "$round" "$v" mib_cpu_ms_per_mb "$(per_unit "$cpu" "$mbs" 1)"
    record "$round" "$v" rss_peak_in_mib_mb "$peak"
    record "$round" "$v" rss_peak_max_process_mb "$peak1"
  done
  for v in "${ORDER[@]}"; do
    case $v in layer-*) continue ;; esac # the layer sketches do not forward upgrades
    cpu0=$(tree_cpu_ms "${WS_PID[$v]}")
    out=$(node bench/proxy/ws-echo-load.mjs "wss://127.0.0.1:${WS_PORT[$v]}/" "$CA" 50 "$SECS" | awk '{print $2}')
    cpu=$(( $(tree_cpu_ms "${WS_PID[$v]}") - cpu0 ))
    record "$round" "$v" ws_roundtrips_s "$out"
    record "$round" "$v" ws_cpu_ms_per_1k "$(per_unit "$cpu" "$out" 1000)"
  done
done
sleep 5 # RSS after load, once the load has stopped (tlsdock collects garbage when idle; nginx and Caddy need no pause)
for v in $VARIANTS; do
  record all "$v" rss_http_mb "$(tree_rss_mb "${HTTP_PID[$v]}")"
  record all "$v" rss_max_process_mb "$(max_rss_mb "${HTTP_PID[$v]}")"
  case $v in layer-*) ;; *) record all "$v" rss_ws_mb "$(tree_rss_mb "${WS_PID[$v]}")" ;; esac
done
node bench/proxy/summarize.mjs "$RESULTS" $VARIANTS
