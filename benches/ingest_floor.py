"""The floor under `csa ingest` for police.uk months (BENCHMARKS.md, issue 16).

The fastest generic CSV -> Parquet copy of the same files, doing none of csa's work: each
street-level CSV read with pyarrow's multi-threaded reader (types inferred, the 12 columns as
they are) and written as one zstd level-1 Parquet file. No validation or quarantine, no
coordinates converted, no wards, no crime-ref index, no manifest. Whatever csa does on top
costs time above this.

Usage: python benches/ingest_floor.py --police-uk DIR --out DIR
Needs pyarrow (pip, in a venv).
"""

import argparse
import glob
import os
import time

import pyarrow.csv as pcsv
import pyarrow.parquet as pq


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--police-uk", required=True, help="folder of *-street.csv files")
    ap.add_argument("--out", required=True, help="folder for the Parquet files")
    args = ap.parse_args()
    files = sorted(glob.glob(os.path.join(args.police_uk, "**", "*-street.csv"), recursive=True))
    if not files:
        raise SystemExit(f"no *-street.csv files under {args.police_uk}")
    os.makedirs(args.out, exist_ok=True)
    start = time.perf_counter()
    read_s = write_s = 0.0
    rows = 0
    for f in files:
        a = time.perf_counter()
        table = pcsv.read_csv(f)
        b = time.perf_counter()
        out = os.path.join(args.out, os.path.basename(f) + ".parquet")
        pq.write_table(table, out, compression="zstd", compression_level=1)
        c = time.perf_counter()
        read_s += b - a
        write_s += c - b
        rows += table.num_rows
    total = time.perf_counter() - start
    print(f"{len(files)} files, {rows} rows: read {read_s:.2f} s, write {write_s:.2f} s, total {total:.2f} s")


if __name__ == "__main__":
    main()
