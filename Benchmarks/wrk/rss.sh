#!/usr/bin/env bash
# Samples a process's resident memory every INTERVAL seconds until it exits or COUNT samples
# are taken: one line per sample, "seconds rss_mib" (the memory check of a long wrk run).
#   Benchmarks/wrk/rss.sh PID [INTERVAL=10] [COUNT=unlimited]
# Linux reads VmRSS from /proc/PID/status; elsewhere (macOS) ps -o rss.
set -euo pipefail
pid="${1:?usage: rss.sh PID [INTERVAL=10] [COUNT]}"
interval="${2:-10}"
count="${3:-0}"
start=$(date +%s)
n=0
rss_kib() {
  if [[ -r /proc/$pid/status ]]; then
    awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status"
  else
    ps -o rss= -p "$pid" | tr -d ' '
  fi
}
while kill -0 "$pid" 2>/dev/null; do
  kib="$(rss_kib)"
  [[ -n "$kib" ]] || break
  printf '%d %.1f\n' $(( $(date +%s) - start )) "$(echo "$kib / 1024" | bc -l)"
  n=$((n + 1))
  if [[ "$count" -gt 0 && "$n" -ge "$count" ]]; then break; fi
  sleep "$interval"
done
