#!/usr/bin/env bash
# Figures for the engines of engines.toml that run as Docker-in-Docker: on
# each, from a fresh engine with an empty cache, the time to build every
# image, to bring the stack up healthy, and to pass the smoke test.
# Starts and removes each engine (scripts/engine-dind); run from the checkout:
#   bash benchmarks/engines.sh [ENGINE ...]     # default: every one
set -euo pipefail
cd "$(dirname "$0")/.."
cli=$PWD/.venv/bin/monasca-docker

seconds() { local start=$SECONDS; "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; return 1; }; echo $((SECONDS - start)); }

if [ $# -eq 0 ]; then
    # shellcheck disable=SC2046  # one word an engine
    set -- $(python3 -c 'import tomllib; print(" ".join(s for s, e in tomllib.load(open("engines.toml", "rb"))["engines"].items() if e["mode"] == "dind"))')
fi
for suite in "$@"; do
    start=$SECONDS
    DOCKER_HOST=$(scripts/engine-dind "$suite")
    export DOCKER_HOST MONASCA_BIND=0.0.0.0
    version=$(docker version --format '{{.Server.Version}}')
    echo "$suite (Docker $version): engine answering after $((SECONDS - start)) s"
    echo "  build every image, empty cache: $(seconds "$cli" build) s"
    echo "  up to all healthy:              $(seconds "$cli" up) s"
    echo "  smoke test:                     $(seconds "$cli" smoke) s"
    unset DOCKER_HOST MONASCA_BIND
    scripts/engine-dind --stop "$suite"
done
