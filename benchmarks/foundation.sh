#!/usr/bin/env bash
# Figures for the foundation: root and base image sizes (uncompressed, and
# gzip of `docker save`), cold build time, no-op rebuild time.
# Removes and rebuilds monasca/debian and monasca/base; run from the checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
cli=.venv/bin/monasca-docker
images=(monasca/debian:bookworm-slim monasca/base:latest)

seconds() { local start=$SECONDS; "$@" >/dev/null; echo $((SECONDS - start)); }
precise() { python3 -c 'import subprocess, sys, time; t = time.monotonic(); subprocess.run(sys.argv[1:], check=True, capture_output=True); print(f"{time.monotonic() - t:.2f}")' "$@"; }

docker image rm --force "${images[@]}" >/dev/null 2>&1 || true
docker builder prune --all --force >/dev/null
echo "cold build (root + base, empty layer cache): $(seconds $cli build base) s"
echo "no-op rebuild:                                 $(precise $cli build base) s"

for image in "${images[@]}"; do
    bytes=$(docker image inspect --format '{{.Size}}' "$image")
    gz=$(docker save "$image" | gzip -6 | wc -c)
    printf '%-30s %6.1f MB uncompressed, %6.1f MB gzip of docker save\n' \
        "$image" "$(awk "BEGIN{print $bytes/1e6}")" "$(awk "BEGIN{print $gz/1e6}")"
done
