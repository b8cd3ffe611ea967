#!/usr/bin/env bash
# Starts one Keel node: `keel agent`, which runs the Keel server (etcd's flags) and the agent
# (membership, hosts table, ssh keys, the leader-only Jupyter and its proxy) in one JVM. This is
# THE command line that starts a node: the image runs it, and so do `keel demo` and the scenario
# test outside Docker (they set KEEL_BIN and paths of their own).
#
# Usage: entrypoint.sh [--print] [more `keel agent` flags...]
#   --print   print the command, one word per line, instead of running it (for tests)
#
# Environment:
#   KEEL_NAME             this node's name, e.g. node1                        (required)
#   KEEL_IP               this node's address, e.g. 172.28.0.11              (required)
#   KEEL_CLUSTER          the initial members, name=ip,...                  (required)
#                         e.g. node1=172.28.0.11,node2=172.28.0.12,node3=172.28.0.13
#   KEEL_DATA_DIR         default /var/lib/keel/$KEEL_NAME
#   KEEL_CLIENT_PORT      default 2379
#   KEEL_PEER_PORT        default 2380 (every member's peer port)
#   KEEL_HOSTS_FILE       default /etc/hosts
#   KEEL_AUTHORIZED_KEYS  default /root/.ssh/authorized_keys
#   KEEL_SSH_DIR          default /root/.ssh
#   KEEL_CLUSTER_TOKEN    default keel
#   KEEL_CLUSTER_STATE    default new (or existing)
#   KEEL_BIN              default keel (the launcher; the demo passes the repository's ./keel)
#   KEEL_START_SSHD       default 0; 1 starts /usr/sbin/sshd first, if installed (the image sets 1)
#
# A missing or malformed setting stops it with a message saying which, and exit code 2.
set -euo pipefail

die() {
  echo "keel entrypoint: $*" >&2
  exit 2
}

print=0
if [[ "${1:-}" == "--print" ]]; then
  print=1
  shift
fi

missing=()
for var in KEEL_NAME KEEL_IP KEEL_CLUSTER; do
  [[ -n "${!var:-}" ]] || missing+=("$var")
done
if ((${#missing[@]})); then
  die "required environment not set: ${missing[*]}. Set KEEL_NAME (this node's name), KEEL_IP (its address) and" \
    "KEEL_CLUSTER (the initial members as name=ip,..., e.g." \
    "node1=172.28.0.11,node2=172.28.0.12,node3=172.28.0.13)."
fi

data_dir="${KEEL_DATA_DIR:-/var/lib/keel/$KEEL_NAME}"
client_port="${KEEL_CLIENT_PORT:-2379}"
peer_port="${KEEL_PEER_PORT:-2380}"
hosts_file="${KEEL_HOSTS_FILE:-/etc/hosts}"
authorized_keys="${KEEL_AUTHORIZED_KEYS:-/root/.ssh/authorized_keys}"
ssh_dir="${KEEL_SSH_DIR:-/root/.ssh}"
token="${KEEL_CLUSTER_TOKEN:-keel}"
state="${KEEL_CLUSTER_STATE:-new}"
bin="${KEEL_BIN:-keel}"
start_sshd="${KEEL_START_SSHD:-0}"

check_port() {
  [[ "$2" =~ ^[0-9]{1,5}$ ]] && ((10#$2 >= 1 && 10#$2 <= 65535)) ||
    die "$1=$2 is not a port number (1-65535)"
}
check_port KEEL_CLIENT_PORT "$client_port"
check_port KEEL_PEER_PORT "$peer_port"
[[ "$state" == new || "$state" == existing ]] ||
  die "KEEL_CLUSTER_STATE=$state: use new (bootstrap a cluster) or existing (join one)"
[[ "$start_sshd" == 0 || "$start_sshd" == 1 ]] ||
  die "KEEL_START_SSHD=$start_sshd: use 1 (start sshd) or 0"
[[ "$KEEL_IP" =~ ^[0-9A-Fa-f.:]+$ ]] ||
  die "KEEL_IP=$KEEL_IP is not an IP address (it is advertised to clients and peers as is)"

# An address as it stands in a URL: IPv6 in brackets.
url_host() {
  if [[ "$1" == *:* ]]; then printf '[%s]' "$1"; else printf '%s' "$1"; fi
}

# KEEL_CLUSTER (name=ip,...) -> etcd's --initial-cluster (name=http://ip:peer-port,...).
initial_cluster=""
own_ip=""
IFS=',' read -r -a members <<<"$KEEL_CLUSTER"
for member in "${members[@]}"; do
  member="${member//[[:space:]]/}"
  [[ -n "$member" ]] || continue
  [[ "$member" =~ ^([A-Za-z0-9][A-Za-z0-9._-]*)=([0-9A-Fa-f.:]+)$ ]] ||
    die "KEEL_CLUSTER entry '$member' is not name=ip (KEEL_CLUSTER=$KEEL_CLUSTER)"
  name="${BASH_REMATCH[1]}"
  ip="${BASH_REMATCH[2]}"
  if [[ "$name" == "$KEEL_NAME" ]]; then
    [[ -z "$own_ip" ]] || die "KEEL_CLUSTER names $KEEL_NAME twice (KEEL_CLUSTER=$KEEL_CLUSTER)"
    own_ip="$ip"
  fi
  initial_cluster+="${initial_cluster:+,}$name=http://$(url_host "$ip"):$peer_port"
done
[[ -n "$own_ip" ]] ||
  die "KEEL_NAME=$KEEL_NAME is not in KEEL_CLUSTER=$KEEL_CLUSTER; list every initial member," \
    "this one included"
[[ "$own_ip" == "$KEEL_IP" ]] ||
  die "KEEL_CLUSTER gives $KEEL_NAME the address $own_ip but KEEL_IP=$KEEL_IP; make them agree"

host="$(url_host "$KEEL_IP")"
cmd=(
  "$bin" agent
  --name "$KEEL_NAME"
  --advertise-ip "$KEEL_IP"
  --data-dir "$data_dir"
  --listen-client-urls "http://$host:$client_port"
  --advertise-client-urls "http://$host:$client_port"
  --listen-peer-urls "http://$host:$peer_port"
  --initial-advertise-peer-urls "http://$host:$peer_port"
  --initial-cluster "$initial_cluster"
  --initial-cluster-state "$state"
  --initial-cluster-token "$token"
  --hosts-file "$hosts_file"
  --authorized-keys "$authorized_keys"
  --ssh-dir "$ssh_dir"
  "$@"
)

if ((print)); then
  printf '%s\n' "${cmd[@]}"
  exit 0
fi

if [[ "$start_sshd" == 1 ]]; then
  if [[ -x /usr/sbin/sshd ]]; then
    # Host keys are made per container on its first start (the image ships none), so no two
    # containers share one.
    mkdir -p /run/sshd
    ssh-keygen -A
    /usr/sbin/sshd
  else
    echo "keel entrypoint: KEEL_START_SSHD=1 but /usr/sbin/sshd is not installed; going on" \
      "without sshd" >&2
  fi
fi

command -v "$bin" >/dev/null ||
  die "KEEL_BIN=$bin is not an executable or on the PATH; point it at the keel launcher" \
    "(the repository's ./keel outside the image)"
exec "${cmd[@]}"
