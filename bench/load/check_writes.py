"""After a load run: is every write the locust users made in the database? Nothing lost, nothing extra.

    .venv/bin/python bench/load/check_writes.py [bench/results/load-writes.json]

The locustfile records each note POST answered with a redirect to the case page (the note saved) by its
sequence number, and each case edit answered with a redirect by the case and its version when first
loaded. Here, in the database:

- the notes whose text carries the run's marker are exactly the recorded ones (same numbers, each on the
  case it was posted to): count in the database == successful POSTs locust recorded;
- each edited case's version is its first loaded version plus the number of saves recorded (a save on
  a stale version is refused, so a lost update would show as a version short).

Prints the verdict, writes bench/results/load-check.json, and exits 1 when anything is missing or extra.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import benchenv  # noqa: E402


def main() -> int:
    writes_file = Path(sys.argv[1] if len(sys.argv) > 1 else benchenv.RESULTS_DIR / "load-writes.json")
    writes = json.loads(writes_file.read_text(encoding="utf-8"))
    marker = writes["marker"]
    benchenv.setup_django()
    from casework.models import Case, CaseNote

    pattern = re.compile(rf"Load test {re.escape(marker)} note (\d+)\.")
    in_database: dict[int, str] = {}
    duplicates = []
    for text, reference in CaseNote.objects.filter(text__contains=marker).values_list(
        "text", "case__reference"
    ):
        number = int(pattern.search(text).group(1))
        if number in in_database:
            duplicates.append(number)
        in_database[number] = reference
    recorded = {note["number"]: note["case"] for note in writes["notes"]}
    missing = sorted(set(recorded) - set(in_database))
    extra = sorted(set(in_database) - set(recorded))
    wrong_case = sorted(n for n in set(recorded) & set(in_database) if recorded[n] != in_database[n])

    versions = dict(
        Case.objects.filter(reference__in=list(writes["edits"])).values_list("reference", "version")
    )
    edits_wrong = {
        reference: {
            "expected": edit["first_loaded_version"] + edit["saved"],
            "found": versions.get(reference),
        }
        for reference, edit in writes["edits"].items()
        if versions.get(reference) != edit["first_loaded_version"] + edit["saved"]
    }
    saves = sum(edit["saved"] for edit in writes["edits"].values())
    result = {
        "marker": marker,
        "notes_posted_successfully": len(recorded),
        "notes_in_database": len(in_database),
        "missing": missing,
        "extra": extra,
        "duplicates": duplicates,
        "on_the_wrong_case": wrong_case,
        "case_edits_saved": saves,
        "cases_edited": len(writes["edits"]),
        "cases_whose_version_disagrees": edits_wrong,
        "writes_refused_during_the_run": len(writes.get("failed_writes", [])),
    }
    result["nothing_lost"] = not (missing or extra or duplicates or wrong_case or edits_wrong)
    benchenv.RESULTS_DIR.mkdir(exist_ok=True)
    (benchenv.RESULTS_DIR / "load-check.json").write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"marker {marker}: {len(recorded)} notes posted successfully, {len(in_database)} in the database; "
        f"{saves} case edits saved on {len(writes['edits'])} cases, "
        f"{len(edits_wrong)} with a version that disagrees. "
        + ("Nothing lost." if result["nothing_lost"] else f"MISMATCH: {json.dumps(result)}")
    )
    return 0 if result["nothing_lost"] else 1


if __name__ == "__main__":
    sys.exit(main())
