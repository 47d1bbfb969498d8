"""The shipped library data (organizations/data/*.csv): GB/T 2260 regions and the starter
set of certified organizations. Functions take the model classes so that data migrations
can pass their historical models."""

import csv
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


def read_rows(name):
    with open(DATA_DIR / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_regions(Region):
    """Insert the regions missing from the table, parents before children."""
    existing = set(Region.objects.values_list("code", flat=True))
    rows = [row for row in read_rows("regions.csv") if row["code"] not in existing]
    order = {"province": 0, "city": 1, "county": 2}
    rows.sort(key=lambda row: (order[row["level"]], row["code"]))
    Region.objects.bulk_create(
        [
            Region(
                code=row["code"],
                name=row["name"],
                level=row["level"],
                parent_id=row["parent_code"] or None,
            )
            for row in rows
        ],
        batch_size=500,
    )
    return len(rows)


def load_organizations(Organization, Region):
    """Insert the starter library as certified organizations; existing names are kept."""
    levels = dict(Region.objects.values_list("code", "level"))
    existing = set(Organization.objects.values_list("name", "category"))
    new = []
    for row in read_rows("organizations.csv"):
        if (row["name"], row["category"]) in existing:
            continue
        city_code = row["city_code"] or None
        county_code = None
        if city_code and levels.get(city_code) == "county":
            # Districts of the four municipalities act as municipal associations.
            city_code, county_code = None, city_code
        new.append(
            Organization(
                name=row["name"],
                short_name=row["short_name"],
                category=row["category"],
                province_id=row["province_code"] or None,
                city_id=city_code,
                county_id=county_code,
                status="certified",
            )
        )
    Organization.objects.bulk_create(new, batch_size=500)
    return len(new)
