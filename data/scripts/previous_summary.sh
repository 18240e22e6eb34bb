#!/bin/sh
# Makes data/demo/previous/summary-2024.json, the "last year's pack" of the demo's review of
# priorities: the demo assessment (data/demo/assessment.toml) with the 2024 periods, as
# tests/public.rs makes it, restricted edition; only its summary.json is kept.
#
#   CSA=target/debug/csa sh data/scripts/previous_summary.sh
set -eu
csa=${CSA:-target/debug/csa}
data=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work" "$data/demo/.assessment-2024.toml"' EXIT
# beside the demo config, so that its relative paths hold; no review of itself
sed -e 's/^period = { from = "2025-01", to = "2025-12" }/period = { from = "2024-01", to = "2024-12" }/' \
    -e 's/^comparison = { from = "2024-01", to = "2024-12" }/comparison = { from = "2023-01", to = "2023-12" }/' \
    -e '/^previous_summary = /d' \
    -e 's/^name = "\(.*\)Strategic Assessment 2025/name = "\1Strategic Assessment 2024/' \
    "$data/demo/assessment.toml" > "$data/demo/.assessment-2024.toml"
SOURCE_DATE_EPOCH=1767225600 "$csa" assess --config "$data/demo/.assessment-2024.toml" --out "$work/pack"
mkdir -p "$data/demo/previous"
cp "$work/pack/summary.json" "$data/demo/previous/summary-2024.json"
echo "wrote $data/demo/previous/summary-2024.json"
