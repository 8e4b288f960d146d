#!/usr/bin/env bash
# Every benchmark, small sizes first, niced: the machine is shared.
#   bash benchmarks/run_all.sh [seeds piaf large]
# The large indexes (ours by `qa index`, the peer's by `python -m benchmarks.peer
# index`) are built under benchmarks.measure; an interrupted build resumes where
# it stopped when this script is run again, and its runs add up.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 ANONYMIZED_TELEMETRY=False
PY="nice -n 15 .venv/bin/python"
SIZES=("${@:-seeds piaf large}")
for size in ${SIZES[@]}; do
  $PY -m benchmarks.bench_overhead --size "$size"
  if [ "$size" = large ]; then
    $PY -m benchmarks.measure benchmarks/results/tmp/large-index-runs.json -- \
      .venv/bin/qa index --corpus benchmarks/results/tmp/corpora/large \
      --store benchmarks/results/tmp/stores/ours-large --quiet
    $PY -m benchmarks.bench_index --size large --existing \
      benchmarks/results/tmp/large-index-runs.json --floor-sample 5000
    $PY -m benchmarks.measure benchmarks/results/tmp/peer-large-runs.json -- \
      .venv/bin/python -m benchmarks.peer index --corpus benchmarks/results/tmp/corpora/large \
      --store benchmarks/results/tmp/stores/peer-large
    $PY -m benchmarks.bench_index --size large --pipeline peer --existing \
      benchmarks/results/tmp/peer-large-runs.json --floor-sample 3000
    $PY -m benchmarks.bench_query --size large --pipeline peer
  else
    $PY -m benchmarks.bench_index --size "$size"
    $PY -m benchmarks.bench_index --size "$size" --pipeline peer
    $PY -m benchmarks.bench_query --size "$size" --pipeline peer
  fi
  $PY -m benchmarks.bench_query --size "$size"
done
$PY -m benchmarks.bench_cold_start --size seeds
.venv/bin/python -m benchmarks.summarize
