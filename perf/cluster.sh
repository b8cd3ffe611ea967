# Sourced by the perf scripts: start a 3-member cluster of etcd or Keel on 127.0.0.1.
#
#   start_cluster <label> <client base port> <data root> <command...>
#
# Members <label>1..3; client port base+2i-1, peer port base+2i; data and log under <data root>;
# extra member flags from the array MEMBER_FLAGS (if set). Waits (60 s) until every member answers
# `etcdctl endpoint health`; sets CLUSTER_PIDS (array) and CLUSTER_ENDPOINTS (host:port,...).
# The caller stops the pids (its EXIT trap), also when this fails.
start_cluster() {
  local label=$1 base=$2 root=$3 i; shift 3
  local cluster="" endpoints=""
  for i in 1 2 3; do
    cluster+="${cluster:+,}$label$i=http://127.0.0.1:$((base + 2 * i))"
    endpoints+="${endpoints:+,}127.0.0.1:$((base + 2 * i - 1))"
  done
  CLUSTER_PIDS=()
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
  for _ in $(seq 1 600); do
    if ETCDCTL_API=3 etcdctl --endpoints "$endpoints" endpoint health >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  echo "perf: $label did not become healthy; its logs are in $root" >&2
  tail -20 "$root/${label}1.log" >&2
  return 1
}
