#!/usr/bin/env bash
# Keel beside etcd, measured by etcd's own benchmark tool: a 3-member etcd 3.4 and a 3-member Keel
# on loopback, started with the same flags (fsync on for both, same snapshot count, heartbeat and
# election timeout), each workload run on both alternately (etcd, Keel, etcd, Keel, ...) for ROUNDS
# rounds, then perf/RESULTS.md (medians, spread, Keel/etcd ratios, each member's CPU seconds and
# RSS) and perf/results/compare.png written from the raw outputs kept in perf/results/compare-<date>/.
#
#   perf/compare.sh                      every workload, 3 rounds
#   ROUNDS=5 perf/compare.sh put-1 range-l-1   chosen workloads (names below), 5 rounds
#   SCALE=0.2 perf/compare.sh            a fifth of each workload's requests (a quick look)
#   WARMUP=0 perf/compare.sh             no warm-up pass (see below)
#
# Before the rounds, each chosen workload runs WARMUP times (default 1) on both targets, unmeasured:
# Keel's JIT compiler needs a few hundred thousand requests before a JVM runs at its steady speed
# (the first 40,000 puts of a fresh member ran at a third of it), and a round should measure the
# server, not its compiler. A fresh cluster's first seconds are measured on their own: by
# perf/check-perf.sh (`etcdctl check perf` on a fresh cluster) and by the startup table here.
# After the rounds, ROUNDS times per target: every member stopped (SIGTERM) and restarted on its
# data, then a fresh cluster started in an empty data dir; the seconds from launching the members
# to all three answering `etcdctl endpoint health` go to the startup table, and each member's RSS
# once 100,000 keys of 256 B are written to the fresh cluster to the memory table.
#
# etcd's benchmark tool: $ETCD_BENCHMARK, else ~/.cache/keel/etcd-benchmark, built when missing
# by the team's tools/build-etcd-benchmark.sh (needs root and apt-get: Go and etcd's sources from
# Debian). Ports: etcd 22381-22386, Keel 23381-23386.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS="${ROUNDS:-3}"
SCALE="${SCALE:-1}"
WARMUP="${WARMUP:-1}"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
RAW="$ROOT/perf/results/compare-$STAMP"
WORK="$(mktemp -d /tmp/keel-compare.XXXXXX)"
BENCH="${ETCD_BENCHMARK:-${XDG_CACHE_HOME:-$HOME/.cache}/keel/etcd-benchmark}"
# Same durability and timing for both: etcd's defaults, written out.
COMMON_FLAGS=(--snapshot-count 100000 --heartbeat-interval 100 --election-timeout 1000)

declare -A PIDS_OF=()
cleanup() {
  disown -a 2>/dev/null || true # no "Killed" notice per member
  for pid in ${PIDS_OF[etcd]:-} ${PIDS_OF[keel]:-}; do kill -9 "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

n() { awk -v n="$1" -v s="$SCALE" 'BEGIN { v = int(n * s); print (v < 100 ? 100 : v) }'; }

# 100,000 distinct keys of 256 B: a workload, and (unscaled) the fill before the memory samples
PUT_100K_KEYS="put --key-size=8 --sequential-keys --key-space-size=100000 --val-size=256"

# name|global flags|command: etcd's benchmark tool, as etcd's docs/op-guide/performance.md runs it.
WORKLOADS=(
  "put-1000|--conns=100 --clients=1000|put --key-size=8 --sequential-keys --val-size=256 --total=$(n 40000)"
  "put-1|--conns=1 --clients=1 --target-leader|put --key-size=8 --sequential-keys --val-size=256 --total=$(n 2000)"
  "txn-put-1000|--conns=100 --clients=1000|txn-put --key-size=8 --val-size=256 --txn-ops=1 --key-space-size=10000 --total=$(n 40000)"
  "range-l-1000|--conns=100 --clients=1000|range /bench/k --consistency=l --total=$(n 40000)"
  "range-s-1000|--conns=100 --clients=1000|range /bench/k --consistency=s --total=$(n 40000)"
  "range-l-1|--conns=1 --clients=1|range /bench/k --consistency=l --total=$(n 4000)"
  "range-s-1|--conns=1 --clients=1|range /bench/k --consistency=s --total=$(n 4000)"
  "watch-latency-1000|--conns=100 --clients=1000|watch-latency --total=$(n 1000) --put-rate=100"
  "lease-keepalive-1000|--conns=100 --clients=1000|lease-keepalive --total=$(n 40000)"
  "put-100k-keys|--conns=100 --clients=1000|$PUT_100K_KEYS --total=$(n 100000)"
)

# wanted <name>: true when no workload was named on the command line, or this one was
# summarise_stderr <file>: the tool's stderr is gRPC's INFO chatter and one JSON line per retried
# request (megabytes when etcd pushes back with "too many requests"); kept as counts per error.
summarise_stderr() {
  { grep -v -e '^INFO: ' -e '^{' "$1" || true
    grep -o '"error":"[^"]*"' "$1" | sort | uniq -c | sort -rn || true
  } >"$1.summary"
  mv "$1.summary" "$1"
}

wanted() { [[ ${#SELECTED[@]} -eq 0 ]] && return 0; local w; for w in "${SELECTED[@]}"; do [[ $w == "$1" ]] && return 0; done; return 1; }
SELECTED=("$@")

if [[ ! -x "$BENCH" ]]; then
  builder="$ROOT/../shared/tools/build-etcd-benchmark.sh"
  [[ -x "$builder" ]] || { echo "compare: no etcd benchmark tool at $BENCH; build it with build-etcd-benchmark.sh (ETCD_BENCHMARK=path to use another)" >&2; exit 1; }
  ETCD_BENCHMARK_OUT="$BENCH" "$builder"
fi
"$ROOT/.ci/install-test-deps"
"$ROOT/keel" build
(cd "$ROOT" && mvn -B -q -DskipTests package -pl perf -am)
mkdir -p "$RAW"

source "$ROOT/perf/cluster.sh"
MEMBER_FLAGS=("${COMMON_FLAGS[@]}")

# start <label> <data root> <kind> [round]: a cluster of the target on the data under <data root>,
# its pids and endpoints kept, and the seconds it took to become healthy appended to startup.txt as
# "<label> <kind> <round> <seconds>" (kind: fresh, an empty data dir; restart, the data of before)
declare -A BASE_OF=([etcd]=22380 [keel]=23380) COMMAND_OF=([etcd]="etcd" [keel]="$ROOT/keel server")
start() {
  local label=$1 root=$2 kind=$3 round=${4:-0}
  local status=0
  mkdir -p "$root"
  # shellcheck disable=SC2086  # the command is words on purpose
  start_cluster "$label" "${BASE_OF[$label]}" "$root" ${COMMAND_OF[$label]} || status=$?
  PIDS_OF[$label]="${CLUSTER_PIDS[*]}" # also when it failed: the EXIT trap stops them
  [[ $status == 0 ]] || exit 1
  ENDPOINTS_OF[$label]=$CLUSTER_ENDPOINTS
  echo "$label $kind $round $CLUSTER_HEALTHY_SECONDS" >>"$RAW/startup.txt"
  # A start that took over half a minute keeps its members' logs (the work dir goes at the end).
  if awk -v s="$CLUSTER_HEALTHY_SECONDS" 'BEGIN { exit !(s > 30) }'; then
    mkdir -p "$RAW/slow-start-$label-$kind-$round"
    cp "$root"/"$label"?.log "$RAW/slow-start-$label-$kind-$round/" 2>/dev/null || true
  fi
  if [[ $round == 0 ]]; then
    echo "$label: ${COMMAND_OF[$label]} (members ${PIDS_OF[$label]// /, } on $CLUSTER_ENDPOINTS)" >>"$RAW/commands.txt"
  fi
}

# bench <label> <global flags> <command> <out> <err>: etcd's benchmark tool against the target; its
# exit status
bench() {
  # shellcheck disable=SC2086  # the flags are words on purpose
  "$BENCH" --endpoints="${ENDPOINTS_OF[$1]}" $2 $3 >"$4" 2>"$5"
}

# rps <report>: the tool's "Requests/sec: N", or "no result"
rps() {
  grep -oE 'Requests/sec:[[:space:]]+[0-9.]+' "$1" | tr -s '\t ' ' ' || echo 'no result'
}

# proc_sample <label>: per member "pid cpu-ticks rss-kB" (utime+stime from /proc/PID/stat)
proc_sample() {
  local pid
  for pid in ${PIDS_OF[$1]}; do
    echo "$pid $(awk '{ print $14 + $15 }' "/proc/$pid/stat") $(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")"
  done
}

declare -A ENDPOINTS_OF=()
{
  echo "date: $(date -u +%FT%TZ)"
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr)"
  echo "cpu: $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
  echo "etcd: $(etcd --version | head -1)"
  echo "java: $(java -version 2>&1 | head -1)"
  echo "keel: $(cd "$ROOT" && git log -1 --format='%h %s' 2>/dev/null || echo unknown)"
  echo "rounds: $ROUNDS, scale: $SCALE, warm-up passes: $WARMUP"
  echo "clock ticks per second: $(getconf CLK_TCK)"
} >"$RAW/machine.txt"
echo "common member flags: ${COMMON_FLAGS[*]}" >"$RAW/commands.txt"
start etcd "$WORK" fresh
start keel "$WORK" fresh
for label in etcd keel; do
  ETCDCTL_API=3 etcdctl --endpoints "${ENDPOINTS_OF[$label]}" put /bench/k "$(head -c 256 /dev/zero | tr '\0' v)" >/dev/null
done

mkdir -p "$RAW/warmup"
for pass in $(seq 1 "$WARMUP"); do
  for spec in "${WORKLOADS[@]}"; do
    IFS='|' read -r name global command <<<"$spec"
    wanted "$name" || continue
    for label in etcd keel; do
      bench "$label" "$global" "$command" "$RAW/warmup/$name.$label.$pass.txt" /dev/null || true
      printf '%-22s %-4s warm-up %d: %s\n' "$name" "$label" "$pass" "$(rps "$RAW/warmup/$name.$label.$pass.txt")"
    done
  done
done

for spec in "${WORKLOADS[@]}"; do
  IFS='|' read -r name global command <<<"$spec"
  wanted "$name" || continue
  echo "benchmark --endpoints=<3 members> $global $command" >"$RAW/$name.command"
  for round in $(seq 1 "$ROUNDS"); do
    for label in etcd keel; do
      out="$RAW/$name.$label.$round"
      proc_sample "$label" >"$out.before"
      if ! bench "$label" "$global" "$command" "$out.txt" "$out.err"; then
        echo "compare: $name on $label, round $round failed (see $out.err)" >&2
      fi
      proc_sample "$label" >"$out.after"
      summarise_stderr "$out.err"
      printf '%-22s %-4s round %d: %s\n' "$name" "$label" "$round" "$(rps "$out.txt")"
    done
  done
done

# Startup: restart on the data (every member stopped, then all launched), then a fresh cluster.
for round in $(seq 1 "$ROUNDS"); do
  for label in etcd keel; do
    # shellcheck disable=SC2086  # the pids are words on purpose
    stop_cluster ${PIDS_OF[$label]}
    start "$label" "$WORK" restart "$round"
    # shellcheck disable=SC2086
    stop_cluster ${PIDS_OF[$label]}
    start "$label" "$WORK/fresh-$round" fresh "$round"
    # Memory: each member's RSS once 100,000 keys of 256 B are written to the fresh cluster.
    bench "$label" "--conns=100 --clients=1000" "$PUT_100K_KEYS --total=100000" "$RAW/memory.$label.$round.bench" /dev/null || true
    proc_sample "$label" >"$RAW/memory.$label.$round.rss"
    printf '%-22s %-4s round %d: %s\n' startup "$label" "$round" \
      "$(awk -v l="$label" -v r="$round" '$1 == l && $3 == r { printf "%s %s s  ", $2, $4 }' "$RAW/startup.txt")"
  done
done

java -cp "$ROOT/perf/target/keel-perf.jar" keel.perf.CompareReport "$RAW" "$ROOT/perf/RESULTS.md" "$ROOT/perf/results/compare.png"
echo "compare: perf/RESULTS.md and perf/results/compare.png written; raw outputs in ${RAW#"$ROOT/"}"
