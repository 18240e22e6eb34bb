"""Derive data/reference/offence_codes.csv from the shared real Home Office and ONS files.

Run once by a maintainer when the source tables change (python3 data/scripts/build_reference.py
../shared/data/real); csa itself never reads ../shared. Sources and licences:
data/reference/README.md.
"""
import csv
import sys
from pathlib import Path

real = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/real")
out = Path(__file__).resolve().parent.parent / "reference" / "offence_codes.csv"

# police.uk publishes the 14 types in sentence case; the Home Office table uses Title Case.
POLICE_UK = {t.lower(): t for t in [
    "Anti-social behaviour", "Bicycle theft", "Burglary", "Criminal damage and arson", "Drugs",
    "Other crime", "Other theft", "Possession of weapons", "Public order", "Robbery",
    "Shoplifting", "Theft from the person", "Vehicle crime", "Violence and sexual offences"]}

css = {}
for r in csv.DictReader(open(real / "offence_weights/ons_css_severity_codes.csv", encoding="utf-8")):
    w = float(r["weight"])
    for key in (r["code_original"], r["code_severity"]):
        for c in key.replace(", ", "/").split("/"):
            css.setdefault(c.strip(), w)
    css.setdefault(r["code_original"], w)
# "1, 4.1/2/10" spells homicide codes 1, 4.1, 4.2, 4.10
for c in ("1", "4.1", "4.2", "4.10", "1/4.1/4.10/4.2"):
    css[c] = css["4.1"]

rows = []
seen = set()
for r in csv.DictReader(open(real / "home_office/offence-code-to-policeuk-category.csv", encoding="utf-8")):
    codes = [r["Offence_Code"]]
    if "/" in r["Offence_Code"]:
        codes += r["Offence_Code"].split("/")
    for code in codes:
        if code in seen:
            continue
        seen.add(code)
        rows.append({
            "offence_code": code,
            "offence_description": r["Offence_Description"].strip(),
            "offence_subgroup": r["Offence_Subgroup"].strip(),
            "offence_group": r["Offence_Group"].strip(),
            "police_uk_type": POLICE_UK[r["Police.uk_Cat"].strip().lower()],
            "css_weight": f"{css[code]:.6f}" if code in css else "",
        })
# Rape codes that the ONS CSS table has and the Home Office mapping lacks.
for r in csv.DictReader(open(real / "offence_weights/ons_css_severity_codes.csv", encoding="utf-8")):
    if r["code_original"] in ("19J", "19K") and r["code_original"] not in seen:
        seen.add(r["code_original"])
        rows.append({
            "offence_code": r["code_original"], "offence_description": r["offence"].strip(),
            "offence_subgroup": "Rape offences", "offence_group": "Sexual offences",
            "police_uk_type": "Violence and sexual offences", "css_weight": f"{float(r['weight']):.6f}",
        })

with open(out, "w", newline="", encoding="utf-8") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0].keys()), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
print(f"wrote {len(rows)} offence codes to {out}")
