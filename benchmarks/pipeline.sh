#!/usr/bin/env bash
# Figures for the pipeline: no-op plan-and-build of the whole suite, a
# one-image change, and push and promote of one image against a registry
# on loopback (Debian's docker-registry, started here and stopped after).
set -euo pipefail
cd "$(dirname "$0")/.."
cli=.venv/bin/monasca-docker

timed() {  # seconds, two decimals, of a command whose output is dropped
    python3 - "$@" <<'PY'
import subprocess, sys, time
start = time.monotonic()
subprocess.run(sys.argv[1:], check=True, capture_output=True)
print(f"{time.monotonic() - start:.2f}")
PY
}

$cli build >/dev/null
echo "no-op plan and build of the whole suite: $(timed $cli build) s"
echo "# benchmark: one-line change" >> images/statsd/start.sh
echo "one-image change (statsd start.sh):       $(timed $cli build) s"
git checkout -- images/statsd/start.sh
$cli build statsd >/dev/null

work=$(mktemp -d)
port=5099
htpasswd -Bbc "$work/htpasswd" bench bench-secret 2>/dev/null
cat >"$work/config.yml" <<YAML
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $work/data}}
http: {addr: 127.0.0.1:$port}
auth: {htpasswd: {realm: bench, path: $work/htpasswd}}
YAML
docker-registry serve "$work/config.yml" >/dev/null 2>&1 &
registry_pid=$!
trap 'kill $registry_pid; rm -rf "$work"' EXIT
sleep 1
export MONASCA_REGISTRY_USER=bench MONASCA_REGISTRY_PASSWORD=bench-secret
where=(--registry "127.0.0.1:$port" --namespace bench)
echo "push of monasca/api (2 tags, cold registry): $(timed $cli publish api --event merge --ref master "${where[@]}") s"
echo "push again (layers already there):           $(timed $cli publish api --event merge --ref master "${where[@]}") s"
echo "promote to 2023.2 and bobcat by digest:      $(timed $cli publish api --event release --ref 2023.2 --from master "${where[@]}") s"
