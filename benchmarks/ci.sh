#!/usr/bin/env bash
# CI's time for one kind of change, measured as CI runs it: a fresh clone of
# this checkout's HEAD (with ../shared beside it), .ci/landed moved to HEAD,
# then one commit that changes only what KIND names, then `.ci/run`, whose
# time table ends the output.
#   bash benchmarks/ci.sh base    # a file base copies in: every image rebuilds
#   bash benchmarks/ci.sh api     # images/api/: one service image
#   bash benchmarks/ci.sh docs    # docs/ only
# Run it alone: no stack, cluster or DinD engine of another checkout may be up.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
kind=${1:?usage: benchmarks/ci.sh base|api|docs [WORKDIR]}
case $kind in
    # a comment in a file base's COPY takes: a new layer, so that no layer
    # cache, this host's included, keeps a child (a Dockerfile comment would)
    base) target=images/base/rootfs/usr/local/bin/monasca-link-config ;;
    api)  target=images/api/start.sh ;;
    docs) target=docs/usage.md ;;
    *)    echo "ci.sh: unknown change kind '$kind': base, api or docs" >&2; exit 2 ;;
esac
work=${2:-/tmp/monasca-ci-$kind}
rm -rf "$work"
mkdir -p "$work"
ln -s "$(cd "$here/../shared" && pwd)" "$work/shared"
git clone --quiet "$here" "$work/main"
cd "$work/main"
git config user.email ci@example.invalid
git config user.name "benchmarks/ci.sh"
git rev-parse HEAD > .ci/landed
git commit --quiet -am "benchmark: .ci/landed at HEAD"
echo "# a change of kind '$kind', made by benchmarks/ci.sh" >> "$target"
git commit --quiet -am "benchmark: a change to $target"
echo "ci.sh: $kind change to $target at $(git rev-parse --short HEAD), load $(cut -d' ' -f1-3 /proc/loadavg)"
started=$SECONDS
status=0
bash .ci/run || status=$?
echo "ci.sh: .ci/run exit $status after $((SECONDS - started)) s, load $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
