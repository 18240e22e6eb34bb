"""Population tables of Coventry and the Warwickshire districts, per May 2025 ward and per
local authority, from Census 2021 (and Census 2011 households).

Run by a maintainer:  python3 data/scripts/build_population.py ../shared/data/real
Writes data/population/wards-2025.csv and data/population/groups-2025.csv.gz (formats and
method: data/README.md, "Population") and prints the checks against the census totals and the
measured error of the LSOA -> ward apportionment. Standard library only.

Sources (all ONS, Open Government Licence v3.0; see ../shared/data/real/PROVENANCE.md section 4
and "Added: Census 2021 ethnic group (TS021), sex (TS008) and age (TS007)"):
  TS001 usual residents by LSOA 2021; TS021 ethnic group (5 groups) by LSOA, (20 categories) by
  Coventry ward and by local authority; TS008 sex by LSOA and by local authority; TS007 age by
  single year by MSOA 2021 and by local authority; Census 2011 households by LSOA 2011.
Lookups: the ONS "LSOA (2021) to Electoral Ward (2024) to LAD (2024) best-fit lookup" (each LSOA
to the ward holding its population-weighted centroid; for these six districts the 2024 and 2025
ward codes and names are the same, checked below) and the ONS LSOA 2011 -> 2021 best fit.

Method, per ward (every dimension of a ward is scaled to its residents figure, so each adds up
to it; integers by largest remainder):
  residents   Coventry: the census ward table (TS021 ward total; Coventry's wards are census
              wards). Elsewhere: TS001 summed over the LSOAs best-fitted to the ward.
  ethnicity   Coventry: the census ward table (5 groups). Elsewhere: TS021 by LSOA, best fit.
  sex         TS008 by LSOA, best fit.
  age         single years 0-99 and 100+: each LSOA's TS001 residents split by the age profile
              of its MSOA (TS007; LSOAs nest in MSOAs, code by name "Coventry 001A" -> "Coventry
              001"), summed over the ward's best-fitted LSOAs. Labelled "MSOA".
  households  Census 2011 households by LSOA 2011 -> LSOA 2021 (best fit) -> ward (best fit); in
              the MSOAs where a 2011 LSOA was split in 2021, the MSOA's households are shared
              among its 2021 LSOAs by their 2021 residents (the best fit gives a split LSOA's
              households to one part only).
Per local authority: the census's own local-authority tables (TS008, TS007; TS021 for Coventry),
and for the Warwickshire districts' ethnic group the sum of their LSOAs (LSOAs nest in them).
"""
import csv
import gzip
import io
import json
import math
import sys
from collections import defaultdict
from pathlib import Path

real = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/real")
data = Path(__file__).resolve().parent.parent
pop = real / "population"
COVENTRY = "E08000026"
LADS = [COVENTRY, "E07000218", "E07000219", "E07000220", "E07000221", "E07000222"]
ETHNIC = ["Asian", "Black", "Mixed", "White", "Other"]
AGES = [str(a) for a in range(100)] + ["100+"]


def rows(path, **kw):
    return csv.DictReader(open(path, encoding="utf-8-sig", newline=""), **kw)


def largest_remainder(values, total):
    """Integers proportional to `values` that add up to `total` (Hamilton's method)."""
    s = sum(values)
    if s <= 0:
        return [0] * len(values)
    exact = [v * total / s for v in values]
    out = [math.floor(x) for x in exact]
    order = sorted(range(len(values)), key=lambda i: (-(exact[i] - out[i]), i))
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


# --- the wards: the shipped May 2025 boundaries ---------------------------------------------
wards = {}  # code -> (name, lad code, lad name)
gj = json.load(open(data / "boundaries/coventry-warwickshire-wards-2025.geojson", encoding="utf-8"))
for f in gj["features"]:
    p = f["properties"]
    wards[p["WD25CD"]] = (p["WD25NM"], p["LAD25CD"], p["LAD25NM"])
lad_name = {lad: n for _, lad, n in wards.values()}
assert sorted(lad_name) == sorted(LADS), lad_name

# --- LSOA 2021 -> ward: the ONS best fit (population-weighted centroids) ---------------------
best = {}
for r in rows(real / "lookups/LSOA21_WD24_LAD24_EW_LU.csv"):
    if r["LAD24CD"] in LADS:
        assert r["WD24CD"] in wards and wards[r["WD24CD"]][0] == r["WD24NM"], r
        best[r["LSOA21CD"]] = r["WD24CD"]
assert set(best.values()) == set(wards), set(wards) - set(best.values())
lsoa_lad = {l: wards[w][1] for l, w in best.items()}
largest = {r["lsoa21cd"]: r["wd25cd"] for r in rows(real / "lookups/LSOA21_PCON22_PCON24_WD25_LAD25_largest_overlap_BCC-PHM.csv")}

# --- census tables ---------------------------------------------------------------------------
ts001, lsoa_name = {}, {}
for r in rows(pop / "census2021_TS001_usual_residents_LSOA21.csv"):
    if r["total"].strip():
        ts001[r["mnemonic"]] = int(r["total"])
        lsoa_name[r["mnemonic"]] = r["2021 super output area - lower layer"]
assert set(best) <= set(ts001)

ts021 = {}  # LSOA -> [5 groups], Nomis export: skip the title block and the footer
with open(pop / "census2021_TS021_ethnic_group_5cat_LSOA21_WMregion_nomis.csv", encoding="utf-8-sig", newline="") as f:
    for row in csv.reader(f):
        if row and " : " in row[0]:
            code = row[0].split(" : ")[0]
            groups = [int(row[i]) for i in (3, 5, 7, 9, 11)]
            assert sum(groups) == int(row[1]), row
            ts021[code] = groups

ts008 = {}  # LSOA -> (female, male)
for r in rows(pop / "census2021_TS008_sex_LSOA21_WMregion.csv"):
    f_, m_ = int(r["Sex: Female; measures: Value"]), int(r["Sex: Male; measures: Value"])
    assert f_ + m_ == int(r["Sex: All persons; measures: Value"])
    ts008[r["geography code"]] = (f_, m_)


def single_years(r):
    """TS007 single-year columns 0..99 and 100+ (never the interleaved band subtotals)."""
    v = [int(r["Age: Aged under 1 year; measures: Value"])]
    v += [int(r[f"Age: Aged {a} year{'s' if a > 1 else ''}; measures: Value"]) for a in range(1, 100)]
    v.append(int(r["Age: Aged 100 years and over; measures: Value"]))
    assert sum(v) == int(r["Age: Total; measures: Value"]), r["geography code"]
    return v


msoa_age, msoa_code = {}, {}
for r in rows(pop / "census2021_TS007_age_single_year_MSOA21_WMregion.csv"):
    msoa_age[r["geography code"]] = single_years(r)
    msoa_code[r["geography"]] = r["geography code"]

ward_table = {}  # Coventry ward -> (total, [5 groups])
group_cols = [
    "Ethnic group: Asian, Asian British or Asian Welsh",
    "Ethnic group: Black, Black British, Black Welsh, Caribbean or African",
    "Ethnic group: Mixed or Multiple ethnic groups",
    "Ethnic group: White",
    "Ethnic group: Other ethnic group",
]
for r in rows(pop / "census2021_TS021_ethnic_group_20cat_WD22_Coventry.csv"):
    g = [int(r[c]) for c in group_cols]
    assert sum(g) == int(r["Ethnic group: Total: All usual residents"])
    ward_table[r["geography code"]] = (sum(g), g)
assert set(ward_table) == {w for w, v in wards.items() if v[1] == COVENTRY}

la_sex = {r["geography code"]: (int(r["Sex: Female; measures: Value"]), int(r["Sex: Male; measures: Value"]))
          for r in rows(pop / "census2021_TS008_sex_LTLA_EW.csv") if r["geography code"] in LADS}
la_age = {r["geography code"]: single_years(r)
          for r in rows(pop / "census2021_TS007_age_single_year_LTLA_EW.csv") if r["geography code"] in LADS}
la_eth = {r["geography code"]: [int(r[c]) for c in group_cols]
          for r in rows(pop / "census2021_TS021_ethnic_group_20cat_LTLA_WMmet.csv") if r["geography code"] == COVENTRY}

# --- per ward ---------------------------------------------------------------------------------
lsoas_of = defaultdict(list)
for l, w in best.items():
    lsoas_of[w].append(l)


def summed(table, ls, width):
    out = [0] * width
    for l in ls:
        for i, v in enumerate(table[l]):
            out[i] += v
    return out


def lsoa_age(l):
    """An LSOA's residents split by its MSOA's single-year age profile."""
    m = msoa_age[msoa_code[lsoa_name[l][:-1]]]
    t = sum(m)
    return [ts001[l] * v / t for v in m]


ward_rows, group_rows = [], []
for w in sorted(wards, key=lambda c: (wards[c][2], wards[c][0])):
    name, lad, ladn = wards[w]
    ls = sorted(lsoas_of[w])
    if lad == COVENTRY:
        residents, eth = ward_table[w]
        eth_src, res_method = "TS021 ward", "census ward table"
    else:
        residents = sum(ts001[l] for l in ls)
        eth = largest_remainder(summed(ts021, ls, 5), residents)
        eth_src, res_method = "TS021 LSOA best fit", "LSOA best fit"
    sex = largest_remainder(summed(ts008, ls, 2), residents)
    age = largest_remainder([sum(x) for x in zip(*(lsoa_age(l) for l in ls))], residents)
    ward_rows.append([w, name, lad, ladn, residents, None, len(ls), res_method])
    group_rows += [[w, "ward", lad, "ethnicity", g, v, eth_src] for g, v in zip(ETHNIC, eth)]
    group_rows += [[w, "ward", lad, "sex", g, v, "TS008 LSOA best fit"] for g, v in zip(["female", "male"], sex)]
    group_rows += [[w, "ward", lad, "age", g, v, "TS007 MSOA"] for g, v in zip(AGES, age)]

# per local authority: the census's own tables
for lad in LADS:
    if lad in la_eth:
        eth, src = la_eth[lad], "TS021 LA"
    else:
        eth, src = summed(ts021, [l for l in best if lsoa_lad[l] == lad], 5), "TS021 LSOA sum"
    group_rows += [[lad, "lad", lad, "ethnicity", g, v, src] for g, v in zip(ETHNIC, eth)]
    group_rows += [[lad, "lad", lad, "sex", g, v, "TS008 LA"] for g, v in zip(["female", "male"], la_sex[lad])]
    group_rows += [[lad, "lad", lad, "age", g, v, "TS007 LA"] for g, v in zip(AGES, la_age[lad])]

# households 2011: LSOA 2011 -> LSOA 2021 (ONS best fit) -> ward (best fit). The best fit sends
# a 2011 LSOA that was split in 2021 to one of its parts, so the other parts get no households:
# in an MSOA holding such a part, the MSOA's 2011 households are shared among its 2021 LSOAs
# in proportion to their 2021 residents.
lsoa21_of = {r["LSOA11CD"]: r["LSOA21CD"] for r in rows(real / "lookups/LSOA11_LSOA21_LAD22_EW_LU.csv")}
hh_lsoa = defaultdict(int)
with gzip.open(pop / "census2011_population_households_LSOA11.csv.gz", "rt", encoding="utf-8") as f:
    rdr = csv.reader(f)
    next(rdr)
    for r in rdr:
        l21 = lsoa21_of.get(r[6])
        if l21 in best:
            hh_lsoa[l21] += int(r[14].replace(",", ""))
msoa_of = {l: lsoa_name[l][:-1] for l in best}
split_msoas = {msoa_of[l] for l in best if l not in set(lsoa21_of.values())}
households = defaultdict(float)
for m in split_msoas:
    ls = [l for l in best if msoa_of[l] == m]
    pool, res = sum(hh_lsoa[l] for l in ls), sum(ts001[l] for l in ls)
    for l in ls:
        households[best[l]] += pool * ts001[l] / res
for l in best:
    if msoa_of[l] not in split_msoas:
        households[best[l]] += hh_lsoa[l]
for r in ward_rows:
    r[5] = round(households[r[0]])
    assert r[5] > 0, r

# --- write ------------------------------------------------------------------------------------
with open(data / "population/wards-2025.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["ward_code", "ward_name", "lad_code", "lad_name", "residents_2021", "households_2011", "lsoas", "method"])
    w.writerows(ward_rows)
buf = io.StringIO()
w = csv.writer(buf, lineterminator="\n")
w.writerow(["area_code", "area_type", "lad_code", "dimension", "group", "residents", "source"])
w.writerows(group_rows)
with gzip.GzipFile(data / "population/groups-2025.csv.gz", "wb", mtime=0) as g:
    g.write(buf.getvalue().encode("utf-8"))

# --- checks against the census totals ---------------------------------------------------------
# Each census table is perturbed on its own (cell-key perturbation, about 1 person per cell:
# per LSOA the TS008 total differs from TS001 by sd 0.8 and the 5-cell TS021 total by sd 2.0),
# so a sum of k cells may differ from another table's by a few sqrt(k).
ts001_lad = defaultdict(int)
for l, lad in lsoa_lad.items():
    ts001_lad[lad] += ts001[l]
print(f"{len(ward_rows)} wards, {len(best)} LSOAs; {len(group_rows)} group rows")
for lad in LADS:
    print(f"{lad} households 2011: {sum(r[5] for r in ward_rows if r[2] == lad)}")
for lad in LADS:
    ws = [r for r in ward_rows if r[2] == lad]
    res = sum(r[4] for r in ws)
    by = defaultdict(int)
    for r in group_rows:
        if r[1] == "lad" and r[0] == lad:
            by[r[3]] += r[5]
    print(f"{lad} {lad_name[lad]:18} TS001 {ts001_lad[lad]:7}  wards {res:7} ({res - ts001_lad[lad]:+d})  "
          + "  ".join(f"LA {d} {v} ({v - ts001_lad[lad]:+d})" for d, v in sorted(by.items())))
    assert abs(res - ts001_lad[lad]) <= 4 * math.sqrt(5 * len([l for l in best if lsoa_lad[l] == lad])), lad
    for d, v in by.items():
        assert abs(v - ts001_lad[lad]) <= 4 * math.sqrt(len(AGES) * 20), (lad, d)

# --- measured error of the LSOA best fit: Coventry, where the census ward table is the truth ---
print("\nLSOA -> ward apportionment against the Coventry census ward table (TS021):")
for label, lookup in [("ONS best fit (used)", best), ("largest area overlap", largest)]:
    tot_err, share_err, rel_err = [], [], []
    for wd, (total, eth) in ward_table.items():
        ls = [l for l in best if lookup.get(l) == wd]
        est = summed(ts021, ls, 5)
        tot_err.append(abs(sum(est) - total) / total * 100)
        share_err += [abs(e / sum(est) - t / total) * 100 for e, t in zip(est, eth)]
        rel_err += [abs((e / sum(est)) / (t / total) - 1) * 100 for e, t in zip(est, eth)]
    print(f"  {label:22} ward residents: mean abs error {sum(tot_err) / len(tot_err):.1f}%, max {max(tot_err):.1f}%;"
          f" ethnic group shares: mean abs error {sum(share_err) / len(share_err):.2f} points, max {max(share_err):.2f}"
          f" (relative: mean {sum(rel_err) / len(rel_err):.1f}%, 90th percentile {sorted(rel_err)[int(0.9 * len(rel_err))]:.1f}%,"
          f" max {max(rel_err):.1f}%)")
moved = [(l, best[l], largest.get(l)) for l in best if largest.get(l) != best[l]]
print(f"  LSOAs whose best-fit ward is not their largest-overlap ward: {len(moved)} of {len(best)}")
for w in sorted(wards):
    if not any(largest.get(l) == w for l in best):
        print(f"  {w} {wards[w][0]}: no LSOA's largest overlap; best fit gives it {', '.join(sorted(lsoas_of[w]))}"
              f" ({sum(ts001[l] for l in lsoas_of[w])} residents)")
