"""The indexes proposed in docs/PERFORMANCE.md, applied to (or removed from) the benchmark database only.

    .venv/bin/python bench/indexes.py create     # CREATE INDEX … for each, then ANALYZE
    .venv/bin/python bench/indexes.py drop
    .venv/bin/python bench/indexes.py list       # the models.Index(...) line of each, for the models

They let bench/timings.py and bench/explain.py measure the schema as it would be after the migration,
before anyone writes it. Each index is named as its `models.Index` would name it, so a database that
later gets the real migration has the same names. Never run this against a real deployment: indexes
belong in migrations.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchenv  # noqa: E402

# (model, models.Index(...) for its Meta.indexes, the same index in SQL, what it is for)
PROPOSED = [
    (
        "CaseNote",
        'models.Index(fields=["-created_at", "-id"], name="note_created_idx")',
        "CREATE INDEX IF NOT EXISTS note_created_idx ON casework_casenote (created_at DESC, id DESC)",
        "dashboard: recent activity, the latest notes of the organisation",
    ),
    (
        "Referral",
        'models.Index(fields=["-updated_at", "-id"], name="referral_updated_idx")',
        "CREATE INDEX IF NOT EXISTS referral_updated_idx ON casework_referral (updated_at DESC, id DESC)",
        "dashboard: recent activity, the latest changed referrals",
    ),
    (
        "Referral",
        'models.Index(fields=["referred_on"], name="referral_referred_idx")',
        "CREATE INDEX IF NOT EXISTS referral_referred_idx ON casework_referral (referred_on)",
        "dashboard: referrals waiting on a provider; caseload report: referrals made in a period",
    ),
    (
        "Case",
        'models.Index(fields=["-return_month", "reference"], name="case_return_month_idx")',
        "CREATE INDEX IF NOT EXISTS case_return_month_idx ON casework_case (return_month DESC, reference)",
        "API: analysts' default order (latest return first), also ?ordering=-return_month for staff",
    ),
    (
        "Case",
        'models.Index(fields=["residence_country", "sex", "age_band"], name="case_country_sex_age_idx")',
        "CREATE INDEX IF NOT EXISTS case_country_sex_age_idx "
        "ON casework_case (residence_country_id, sex, age_band)",
        "API and statistics: the filters analysts combine (country, sex, age band)",
    ),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["create", "drop", "list"])
    args = parser.parse_args()
    if args.action == "list":
        for model, index, _sql, why in PROPOSED:
            print(f"{model}.Meta.indexes: {index}  # {why}")
        return
    benchenv.setup_django()
    from django.db import connection

    with connection.cursor() as cursor:
        for model, _index, sql, _why in PROPOSED:
            name = sql.split("EXISTS ")[1].split()[0]
            if args.action == "create":
                cursor.execute(sql)
            else:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")
            print(f"{args.action}: {name} ({model})")
        if args.action == "create":
            cursor.execute("ANALYZE casework_case, casework_referral, casework_casenote")


if __name__ == "__main__":
    main()
