#!/usr/bin/env bash
# Figures for the component images: size of every image (uncompressed, and
# gzip of `docker save`), against a naive single-stage build of api,
# persister and notification (Debian python3 with gcc, pip install); cold
# build time of all images; rebuild time after a one-line change in one
# image's start script. Pass --cold to empty the layer cache first (slow),
# --sizes for the size table alone (no build, nothing changed).
#
# Size goals (issue #11): monasca/api at most 250 MB; an infrastructure image
# (built FROM base without the Python builder) at most monasca/base (Debian's
# root, Python and the toolkit) plus 1.5 times its payload: the Installed-Size
# of the Debian packages it adds to base (their closure) and what it keeps
# under /opt beside the toolkit's venv (Kafka's and OpenSearch's jars).
set -euo pipefail
cd "$(dirname "$0")/.."
cli=.venv/bin/monasca-docker

elapsed() { local start=$SECONDS; "$@" >/dev/null; echo $((SECONDS - start)); }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }

# "package installed-size-in-KiB" lines of an image's dpkg database.
packages() {
    docker run --rm --entrypoint dpkg-query "$1" -W -f '${Package} ${Installed-Size}\n' | sort
}

# Bytes an image adds over monasca/base: Debian packages base lacks, and /opt
# beyond /opt/monasca.
payload() {
    local kib opt
    kib=$(join -v 1 <(packages "$1") <(packages monasca/base) | awk '{ s += $2 } END { print s + 0 }')
    opt=$(docker run --rm --entrypoint du "$1" -sb --exclude=/opt/monasca /opt | cut -f1)
    echo $((kib * 1024 + opt))
}

# The goal of an image in bytes, or "-" when #11 sets none.
goal() {
    local name=$1 ref=$2
    if [ "$name" = api ]; then
        echo 250000000
    elif [ "$(image_field "$name" parent)" = base ] && [ -z "$(image_field "$name" builder)" ] \
            && [ "$name" != builder ]; then
        local base
        base=$(docker image inspect --format '{{.Size}}' monasca/base)
        echo $((base + $(payload "$ref") * 3 / 2))
    else
        echo -
    fi
}

image_field() {
    .venv/bin/python -c 'import sys; from monasca_docker import catalog
print(getattr(catalog.load()[sys.argv[1]], sys.argv[2]) or "")' "$1" "$2"
}

size_table() {
    printf '%-34s %8s %8s  %s\n' image "MB" "MB gzip" "goal MB"
    while read -r name ref; do
        bytes=$(docker image inspect --format '{{.Size}}' "$ref")
        gz=$(docker save "$ref" | gzip -1 | wc -c)
        want=$(goal "$name" "$ref")
        if [ "$want" = - ]; then
            verdict=-
        elif [ "$bytes" -le "$want" ]; then
            verdict="$(mb "$want") met"
        else
            verdict="$(mb "$want") MISSED"
        fi
        printf '%-34s %8s %8s  %s\n' "$ref" "$(mb "$bytes")" "$(mb "$gz")" "$verdict"
    done < <($cli list | awk '{print $1, $2}')
}

if [ "${1:-}" = --sizes ]; then
    size_table
    exit
fi

if [ "${1:-}" = --cold ]; then
    docker image ls --format '{{.Repository}}:{{.Tag}}' 'monasca/*' | xargs -r docker image rm --force >/dev/null
    docker builder prune --all --force >/dev/null
    echo "cold build of all images: $(elapsed $cli build) s"
else
    echo "build of all images (warm cache): $(elapsed $cli build) s"
fi

size_table

# The naive way: one stage, compilers kept, three services in one image.
naive=$(mktemp -d)
cat >"$naive/Dockerfile" <<'DOCKERFILE'
FROM monasca/debian:bookworm-slim
RUN apt-get update && apt-get install -y python3 python3-venv python3-dev gcc git
RUN --mount=type=secret,id=ca-bundle,target=/run/secrets/ca-bundle \
    python3 -m venv /venv && PIP_CERT=/run/secrets/ca-bundle /venv/bin/pip install \
    monasca-api==11.0.0 monasca-persister==9.0.0 monasca-notification==9.0.0 influxdb gunicorn PyMySQL
DOCKERFILE
docker build --quiet --secret id=ca-bundle,src=/etc/ssl/certs/ca-certificates.crt \
    --tag monasca-bench/naive "$naive" >/dev/null
naive_bytes=$(docker image inspect --format '{{.Size}}' monasca-bench/naive)
ours=0
for ref in monasca/api monasca/persister monasca/notification; do
    ours=$((ours + $(docker image inspect --format '{{.Size}}' "$ref")))
done
base=$(docker image inspect --format '{{.Size}}' monasca/base)
echo "naive single-stage api+persister+notification: $(mb "$naive_bytes") MB"
echo "ours, three images sharing monasca/base:       $(mb $((ours - 2 * base))) MB on disk ($(mb "$ours") MB as three separate sizes)"
docker image rm --force monasca-bench/naive >/dev/null
rm -rf "$naive"

# One-line change in one start script: only that image rebuilds.
echo "# benchmark: one-line change" >> images/persister/start.sh
echo "rebuild after a one-line change in persister's start.sh: $(elapsed $cli build) s"
git checkout -- images/persister/start.sh
$cli build persister >/dev/null
