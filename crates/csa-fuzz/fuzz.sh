#!/usr/bin/env bash
# Fuzzes one csa reader with AFL++ through cargo-afl, on the stable toolchain.
#
#   crates/csa-fuzz/fuzz.sh TARGET [SECONDS]      (default 600; targets: see README.md)
#
# Needs cargo-afl (`cargo install cargo-afl`, then `cargo afl config --build`); Debian's
# afl++ package gives the same afl-fuzz. The instrumented build goes to its own target
# folder ($FUZZ_TARGET_DIR, default target/afl) so it never invalidates the ordinary one;
# seeds, queue, crashes and hangs go under $FUZZ_WORK (default target/fuzz).
# One fuzzer, one core: rayon and polars are held to one thread each.
set -euo pipefail
target=${1:?usage: fuzz.sh TARGET [SECONDS]}
secs=${2:-600}
root=$(cd "$(dirname "$0")/../.." && pwd)
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-$root/target/afl}
work=${FUZZ_WORK:-$root/target/fuzz}
cd "$root"
build() { AFLRS_NO_CMPLOG=1 cargo afl build --profile fuzz -p csa-fuzz --features afl --bin "$1"; }
bin=$CARGO_TARGET_DIR/fuzz
build csa-fuzz
if [ ! -d "$work/seeds/$target" ]; then
    build csa-fuzz-seeds
    "$bin/csa-fuzz-seeds" "$root" "$work/seeds"
fi
[ -d "$work/seeds/$target" ] || { echo "no target $target" >&2; exit 2; }
out=$work/out/$target
mkdir -p "$work/out"
rm -rf "$out"
export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export RAYON_NUM_THREADS=1 POLARS_MAX_THREADS=1
# -m: an input that makes a reader allocate past 4 GB is a crash, not a swamped machine
cargo afl fuzz -V "$secs" -m 4096 -t 2000 -i "$work/seeds/$target" -o "$out" \
    -- "$bin/csa-fuzz" "$target" > "$work/$target.log" 2>&1 || true
stats=$out/default/fuzzer_stats
[ -f "$stats" ] || { tail -30 "$work/$target.log" >&2; exit 1; }
get() { sed -n "s/^$1 *: //p" "$stats"; }
echo "$target: $(get execs_done) execs in $(get run_time) s ($(get execs_per_sec)/s), corpus $(get corpus_count), edges $(get edges_found)/$(get total_edges) ($(get bitmap_cvg)), crashes $(get saved_crashes), hangs $(get saved_hangs), stability $(get stability)"
