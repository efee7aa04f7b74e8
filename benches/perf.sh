#!/usr/bin/env bash
# Runs every benchmark behind docs/performance.md, then prints the Criterion medians as one
# Markdown table (the PTY harness and the memory bench print their own: the harness's includes
# the first frames of the floor, a shell printing the marker, and of ATAC, in the same run).
#
#   benches/perf.sh            # 10k and 100k leads (and empty / 100k in the PTY harness)
#   benches/perf.sh --1m       # adds the million-lead runs (slow: a 0.8 GB history)
#   benches/perf.sh --summary  # only print the table of the last Criterion runs
#
# Needs the Rust toolchain; the summary needs python3.
set -euo pipefail
cd "$(dirname "$0")/.."

summary_only=false
for arg in "$@"; do
  case "$arg" in
    --1m) export AUTOCALLS_BENCH_1M=1 ;;
    --summary) summary_only=true ;;
    *) echo "usage: $0 [--1m] [--summary]" >&2; exit 2 ;;
  esac
done

# ATAC (another ratatui app) for the first-frame comparison, installed once into a scratch folder
# under target/ (a few minutes of compiling; needs the crates.io registry).
atac_root=target/tmp/atac
if ! $summary_only && [ -z "${AUTOCALLS_ATAC_BIN:-}" ]; then
  if [ ! -x "$atac_root/bin/atac" ]; then
    echo "== installing ATAC into $atac_root (once)"
    cargo install atac --locked --version 0.24.0 --root "$atac_root" \
      || echo "ATAC could not be installed: first frames are measured without it" >&2
  fi
  if [ -x "$atac_root/bin/atac" ]; then
    export AUTOCALLS_ATAC_BIN="$PWD/$atac_root/bin/atac"
  fi
fi

if ! $summary_only; then
  for bench in memory startup history_load filter render pty_harness; do
    echo "== cargo bench --bench $bench"
    cargo bench --locked --bench "$bench"
  done
fi

target_dir=$(cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
python3 - "$target_dir/criterion" <<'PY'
import json, os, sys

root = sys.argv[1]
rows = []
for dirpath, _dirs, files in os.walk(root):
    if os.path.basename(dirpath) != "new" or "estimates.json" not in files:
        continue
    with open(os.path.join(dirpath, "benchmark.json")) as f:
        bench = json.load(f)
    with open(os.path.join(dirpath, "estimates.json")) as f:
        est = json.load(f)
    median = est["median"]
    rows.append((bench["group_id"], bench.get("function_id") or "", bench.get("value_str") or "",
                 median["point_estimate"], median["confidence_interval"]))

def fmt(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"

print()
print("| group | benchmark | input | median | 95% CI of the median |")
print("|---|---|---|---|---|")
for group, function, value, point, ci in sorted(rows):
    print(f"| {group} | {function} | {value} | {fmt(point)} | "
          f"{fmt(ci['lower_bound'])} – {fmt(ci['upper_bound'])} |")
PY
