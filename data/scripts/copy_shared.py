"""Copy the real public files csa ships from ../shared/data/real into data/.

Run by a maintainer (python3 data/scripts/copy_shared.py ../shared/data/real); csa never reads
../shared at run time. What is copied, from where, and under which licence: data/README.md.
"""
import csv
import gzip
import io
import json
import shutil
import sys
from collections import defaultdict
from pathlib import Path

real = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/real")
data = Path(__file__).resolve().parent.parent

# boundaries: Coventry wards and LSOAs as published; Coventry + Warwickshire wards merged
b = data / "boundaries"
b.mkdir(exist_ok=True)
shutil.copyfile(real / "boundaries/wards_WD25_E08000026.geojson", b / "coventry-wards-2025.geojson")
shutil.copyfile(real / "boundaries/lsoa21_E08000026.geojson", b / "coventry-lsoa-2021.geojson")
merged = None
for lad in ["E08000026", "E07000218", "E07000219", "E07000220", "E07000221", "E07000222"]:
    fc = json.load(open(real / f"boundaries/wards_WD25_{lad}.geojson", encoding="utf-8"))
    if merged is None:
        merged = {k: v for k, v in fc.items() if k != "features"}
        merged["name"] = "wards_2025_coventry_warwickshire"
        merged["features"] = []
    merged["features"].extend(fc["features"])
with open(b / "coventry-warwickshire-wards-2025.geojson", "w", encoding="utf-8") as f:
    json.dump(merged, f, separators=(",", ":"))
# Warwickshire alone (the area of the police.uk demo assessment): the five districts' 108 wards
warks = {k: v for k, v in merged.items() if k != "features"}
warks["features"] = [f for f in merged["features"] if f["properties"]["LAD25CD"] != "E08000026"]
with open(b / "warwickshire-wards-2025.geojson", "w", encoding="utf-8") as f:
    json.dump(warks, f, separators=(",", ":"))

# police.uk: the twelve 2025 Warwickshire months, byte-identical gzip files
p = data / "police-uk/warwickshire-2025"
p.mkdir(parents=True, exist_ok=True)
for src in sorted((real / "police/warwickshire").glob("2025-*-warwickshire-street.csv.gz")):
    shutil.copyfile(src, p / src.name)

# LSOA 2021 -> ward (May/Dec 2025) for all of England and Wales, five columns, gzip
lk = data / "lookups"
lk.mkdir(exist_ok=True)
src = real / "lookups/LSOA21_PCON22_PCON24_WD25_LAD25_largest_overlap_BCC-PHM.csv"
out = io.StringIO()
w = csv.writer(out, lineterminator="\n")
w.writerow(["LSOA21CD", "WD25CD", "WD25NM", "LAD25CD", "LAD25NM"])
for r in csv.DictReader(open(src, encoding="utf-8-sig")):
    w.writerow([r["lsoa21cd"], r["wd25cd"], r["wd25nm"], r["lad25cd"], r["lad25nm"]])
with gzip.GzipFile(lk / "lsoa21-wd25.csv.gz", "wb", mtime=0) as g:
    g.write(out.getvalue().encode("utf-8"))

# offence mix of West Midlands Police, 2017/18, per offence code (for csa synth)
mix = defaultdict(int)
for r in csv.DictReader(open(real / "home_office/prc-pfa-2017-18-by-quarter.csv", encoding="utf-8")):
    if r["Force_Name"] == "West Midlands" and r["Offence_Group"] != "Fraud offences":
        mix[r["Offence_Code"]] += int(r["Number_of_Offences"])
with open(data / "reference/offence_mix_west_midlands_2017-18.csv", "w", encoding="utf-8") as f:
    f.write("offence_code,offences\n")
    for code, n in sorted(mix.items(), key=lambda kv: (-kv[1], kv[0])):
        if n > 0:
            f.write(f"{code},{n}\n")
print("done")
