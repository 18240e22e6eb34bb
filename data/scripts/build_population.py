"""Ward population denominators for Coventry and the Warwickshire districts.

residents_2021: Census 2021 TS001 usual residents by LSOA 2021, summed to wards (2025) through
data/lookups/lsoa21-wd25.csv.gz (each LSOA to the ward it overlaps most).
households_2011: Census 2011 households by LSOA 2011, mapped to LSOA 2021 by the ONS best-fit
lookup, then to wards as above (2011 is the newest household count by LSOA in ../shared).

Run by a maintainer: python3 data/scripts/build_population.py ../shared/data/real
"""
import csv
import gzip
import sys
from collections import defaultdict
from pathlib import Path

real = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/real")
data = Path(__file__).resolve().parent.parent
LADS = {"E08000026", "E07000218", "E07000219", "E07000220", "E07000221", "E07000222"}

ward_of, ward_name, ward_lad = {}, {}, {}
with gzip.open(data / "lookups/lsoa21-wd25.csv.gz", "rt", encoding="utf-8") as f:
    for r in csv.DictReader(f):
        if r["LAD25CD"] in LADS:
            ward_of[r["LSOA21CD"]] = r["WD25CD"]
            ward_name[r["WD25CD"]] = r["WD25NM"]
            ward_lad[r["WD25CD"]] = (r["LAD25CD"], r["LAD25NM"])

residents = defaultdict(int)
for r in csv.DictReader(open(real / "population/census2021_TS001_usual_residents_LSOA21.csv", encoding="utf-8")):
    if r["total"].strip() and r["mnemonic"] in ward_of:
        residents[ward_of[r["mnemonic"]]] += int(r["total"])

lsoa21_of = {}
for r in csv.DictReader(open(real / "lookups/LSOA11_LSOA21_LAD22_EW_LU.csv", encoding="utf-8-sig")):
    lsoa21_of[r["LSOA11CD"]] = r["LSOA21CD"]
households = defaultdict(int)
with gzip.open(real / "population/census2011_population_households_LSOA11.csv.gz", "rt", encoding="utf-8") as f:
    rows = csv.reader(f)
    next(rows)
    for r in rows:
        l21 = lsoa21_of.get(r[6])
        if l21 in ward_of:
            households[ward_of[l21]] += int(r[14].replace(",", ""))

with open(data / "population/wards-2025.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["ward_code", "ward_name", "lad_code", "lad_name", "residents_2021", "households_2011"])
    for code in sorted(ward_name, key=lambda c: (ward_lad[c][1], ward_name[c])):
        w.writerow([code, ward_name[code], *ward_lad[code], residents[code], households[code]])
print(sum(residents.values()), "residents;", sum(households.values()), "households;", len(ward_name), "wards")
