#!/usr/bin/env bash
# Side-by-side first figure: Debian's `etcdctl check perf` (default load: 60 s, 50 clients,
# 150 puts/s) against a 3-member real etcd 3.4 and then against a 3-member Keel, on this
# machine, one after the other, each on loopback with data under one temp dir.
#
#   perf/check-perf.sh [extra `etcdctl check perf` args, e.g. --load=m]
#   RUNS=2 perf/check-perf.sh   runs the check twice on each cluster: cold, then warm
#   CHECK=datascale perf/check-perf.sh   `etcdctl check datascale` instead (default load: 10,000
#                                        puts of 1 KiB from 50 clients, as fast as they go), timed
#
# Writes both outputs to perf/results/check-<check>-<date>.txt and prints them.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$(mktemp -d /tmp/keel-check-perf.XXXXXX)"
CHECK="${CHECK:-perf}"
OUT="$ROOT/perf/results/check-$CHECK-$(date -u +%Y%m%dT%H%M%SZ).txt"
CLUSTER_PIDS=()

cleanup() {
  for pid in "${CLUSTER_PIDS[@]:-}"; do [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

"$ROOT/.ci/install-test-deps"
"$ROOT/keel" build

source "$ROOT/perf/cluster.sh"

stop_cluster() {
  for pid in "${CLUSTER_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${CLUSTER_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  CLUSTER_PIDS=()
}

{
  trap stop_cluster EXIT # this block runs in a subshell (the pipe to tee): its members die with it
  echo "# etcdctl check $CHECK $*, $(date -u +%FT%TZ), $(nproc) cores, $(uname -r)"
  echo "# $(etcd --version | head -1); $(java -version 2>&1 | head -1)"
  for target in etcd keel; do
    if [[ $target == etcd ]]; then
      start_cluster etcd 22380 "$WORK" etcd
    else
      start_cluster keel 23380 "$WORK" "$ROOT/keel" server
    fi
    for run in $(seq 1 "${RUNS:-1}"); do
      echo "## $target (3 members: $CLUSTER_ENDPOINTS), run $run"
      # Keep the verdict lines; the progress bar shares lines with them through carriage returns.
      started=$(date +%s.%N)
      ETCDCTL_API=3 etcdctl --endpoints "$CLUSTER_ENDPOINTS" check "$CHECK" "$@" 2>&1 | tr '\r' '\n' \
        | grep -oE '((PASS|FAIL): )?(Throughput|Slowest request|Stddev|Approximate).*|^(PASS|FAIL)$' || true
      awk -v from="$started" -v to="$(date +%s.%N)" 'BEGIN { printf "elapsed: %.1f s\n", to - from }'
    done
    stop_cluster
  done
} | tee "$OUT"
echo "written to $OUT"
