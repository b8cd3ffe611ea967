# Sourced by the perf scripts: start a 3-member cluster of etcd or Keel on 127.0.0.1.
#
#   start_cluster <label> <client base port> <data root> <command...>
#
# Members <label>1..3; client port base+2i-1, peer port base+2i; data and log under <data root>;
# extra member flags from the array MEMBER_FLAGS (if set). Waits (60 s) until every member answers
# `etcdctl endpoint health`; sets CLUSTER_PIDS (array), CLUSTER_ENDPOINTS (host:port,...) and
# CLUSTER_HEALTHY_SECONDS (from launching the members to that answer). The caller stops the pids
# (stop_cluster, or its EXIT trap), also when this fails.
#
#   stop_cluster <pid...>
#
# SIGTERM to each member, as an operator stops one; SIGKILL to any still running after 30 s.
start_cluster() {
  local label=$1 base=$2 root=$3 i; shift 3
  local cluster="" endpoints=""
  for i in 1 2 3; do
    cluster+="${cluster:+,}$label$i=http://127.0.0.1:$((base + 2 * i))"
    endpoints+="${endpoints:+,}127.0.0.1:$((base + 2 * i - 1))"
  done
  CLUSTER_PIDS=()
  local started
  started=$(date +%s.%N)
  for i in 1 2 3; do
    "$@" --name "$label$i" --data-dir "$root/$label$i" \
      --listen-client-urls "http://127.0.0.1:$((base + 2 * i - 1))" \
      --advertise-client-urls "http://127.0.0.1:$((base + 2 * i - 1))" \
      --listen-peer-urls "http://127.0.0.1:$((base + 2 * i))" \
      --initial-advertise-peer-urls "http://127.0.0.1:$((base + 2 * i))" \
      --initial-cluster "$cluster" --initial-cluster-token "perf-$label" \
      --initial-cluster-state new ${MEMBER_FLAGS[@]+"${MEMBER_FLAGS[@]}"} >"$root/$label$i.log" 2>&1 &
    CLUSTER_PIDS+=($!)
  done
  CLUSTER_ENDPOINTS=$endpoints
  # Short timeouts: a try made before a member listens must not hide, for etcdctl's default two
  # seconds, the moment it becomes healthy (the startup figure is measured here).
  local i
  for i in $(seq 1 1200); do
    if ETCDCTL_API=3 etcdctl --dial-timeout=100ms --command-timeout=1s --endpoints "$endpoints" \
        endpoint health >/dev/null 2>&1; then
      CLUSTER_HEALTHY_SECONDS=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
      return 0
    fi
    sleep 0.05
  done
  echo "perf: $label did not become healthy; its logs are in $root" >&2
  tail -20 "$root/${label}1.log" >&2
  return 1
}

stop_cluster() {
  local pid _
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 300); do
    local alive=0
    for pid in "$@"; do # a member that exited is a zombie until reaped: not alive
      [[ -r /proc/$pid/stat && "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" != Z ]] && alive=1
    done
    if [[ $alive == 0 ]]; then
      wait "$@" 2>/dev/null || true
      return 0
    fi
    sleep 0.1
  done
  for pid in "$@"; do kill -9 "$pid" 2>/dev/null || true; done
  wait "$@" 2>/dev/null || true
}
