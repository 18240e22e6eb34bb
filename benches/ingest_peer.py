"""The Python peer of `csa ingest` for police.uk months (BENCHMARKS.md, issue 16).

What an analyst would write with the usual tools, doing the same work as csa's police.uk path:
read every street-level CSV (pandas, pyarrow engine), keep rows with a readable month,
numeric coordinates inside Great Britain and a known crime type (the rest quarantined with a
reason), drop later copies of a Crime ID (first one wins, in sorted file order), convert
longitude/latitude to British National Grid (pyproj, EPSG:4326 -> EPSG:27700), assign wards by
point in polygon (geopandas sjoin, R-tree), and write hive-partitioned Parquet by year and
month (pyarrow, zstd level 1) with the quarantined rows beside them.

Usage: python benches/ingest_peer.py --police-uk DIR --boundaries WARDS.geojson --out DIR
Needs pandas, geopandas, pyproj, pyarrow, shapely (pip, in a venv).
"""

import argparse
import glob
import os
import shutil
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pyproj import Transformer

CRIME_TYPES = {
    "Anti-social behaviour", "Bicycle theft", "Burglary", "Criminal damage and arson",
    "Drugs", "Other crime", "Other theft", "Possession of weapons", "Public order",
    "Robbery", "Shoplifting", "Theft from the person", "Vehicle crime",
    "Violence and sexual offences",
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--police-uk", required=True)
    ap.add_argument("--boundaries", required=True)
    ap.add_argument("--ward-code-prop", default="WD25CD")
    ap.add_argument("--ward-name-prop", default="WD25NM")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    t0 = time.time()
    files = sorted(glob.glob(os.path.join(a.police_uk, "**", "*-street.csv*"), recursive=True))
    frames = []
    for i, f in enumerate(files):
        df = pd.read_csv(f, dtype=str, keep_default_na=False, engine="pyarrow")
        df["source_file"] = i
        df["source_line"] = np.arange(2, len(df) + 2)
        frames.append(df)
    df = pd.concat(frames, ignore_index=True)
    t_read = time.time()

    month = pd.to_datetime(df["Month"], format="%Y-%m", errors="coerce")
    lon = pd.to_numeric(df["Longitude"], errors="coerce")
    lat = pd.to_numeric(df["Latitude"], errors="coerce")
    reason = pd.Series(pd.NA, index=df.index, dtype="object")
    reason[~df["Crime type"].isin(CRIME_TYPES)] = "unknown_crime_type"
    reason[lon.isna() | lat.isna()] = "missing_coordinates"
    reason[(lon < -9) | (lon > 2.5) | (lat < 49.5) | (lat > 61)] = "outside_great_britain"
    reason[month.isna()] = "unparseable_month"
    ids = df["Crime ID"]
    dup = ids.ne("") & ids.duplicated(keep="first") & reason.isna()
    reason[dup] = "duplicate_crime_ref"
    bad = reason.notna()
    quarantine = df[bad].assign(reason=reason[bad])
    ok = df[~bad].copy()
    ok["year"] = month[~bad].dt.year
    ok["month"] = month[~bad].dt.month
    lon, lat = lon[~bad].to_numpy(), lat[~bad].to_numpy()

    tr = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    ok["easting"], ok["northing"] = tr.transform(lon, lat)
    t_bng = time.time()

    wards = gpd.read_file(a.boundaries)[[a.ward_code_prop, a.ward_name_prop, "geometry"]]
    pts = gpd.GeoDataFrame(
        {"row": np.arange(len(ok))}, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326"
    )
    joined = gpd.sjoin(pts, wards.to_crs("EPSG:4326"), how="left", predicate="within")
    joined = joined[~joined["row"].duplicated(keep="first")].sort_values("row")
    ok["ward_code"] = joined[a.ward_code_prop].to_numpy()
    ok["ward_name"] = joined[a.ward_name_prop].to_numpy()
    ok["in_area"] = ok["ward_code"].notna()
    t_wards = time.time()

    if os.path.exists(a.out):
        shutil.rmtree(a.out)
    ok = ok.rename(columns={"Crime ID": "crime_ref", "Crime type": "crime_type"})
    pq.write_to_dataset(
        pa.Table.from_pandas(ok, preserve_index=False),
        os.path.join(a.out, "crimes"),
        partition_cols=["year", "month"],
        compression="zstd",
        compression_level=1,
    )
    if len(quarantine):
        pq.write_table(
            pa.Table.from_pandas(quarantine, preserve_index=False),
            os.path.join(a.out, "quarantine.parquet"),
            compression="zstd",
            compression_level=1,
        )
    t_end = time.time()
    print(
        f"rows {len(df)} accepted {len(ok)} quarantined {len(quarantine)}; "
        f"read {t_read - t0:.2f} s, validate+bng {t_bng - t_read:.2f} s, "
        f"wards {t_wards - t_bng:.2f} s, write {t_end - t_wards:.2f} s, total {t_end - t0:.2f} s"
    )


if __name__ == "__main__":
    main()
