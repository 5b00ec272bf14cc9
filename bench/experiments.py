# ruff: noqa: S608 - SQL built from the export's own query and constant fragments
"""Measure proposed code changes before anyone makes them: each experiment patches the running process.

    .venv/bin/python bench/experiments.py            # every experiment, 20 requests per variant
    .venv/bin/python bench/experiments.py --only select session

Each experiment requests the same pages in-process (as bench/timings.py does), alternating request by
request between the application as it is and the application with one change applied in memory, and
reports both medians. Nothing is written to the code; docs/PERFORMANCE.md turns the results into
proposals. Experiments:

- `select`: `<select>` options rendered in Python (format_html) instead of one template include per
  option — the case list's caseworker filter has an option per caseworker (335 in ngo-a), the case
  page's quick-add forms a few hundred (providers, services, frameworks, provisions).
- `session`: the session saved only when it changed (SESSION_SAVE_EVERY_REQUEST off) instead of an
  UPDATE and a COMMIT on every request; the idle timeout would then need renewing at most once a minute.
- `both`: the two together.
- `export_copy`: the CSV export written by PostgreSQL (`COPY (the export's own ORM query, wrapped in the
  same escaping as cell() written in SQL) TO STDOUT`) instead of rows fetched into Python; timed against
  the export as it is and against plain COPY.
Writes bench/results/experiments.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchenv  # noqa: E402


def python_select_render(self, name, value, attrs=None, renderer=None):
    """What django/forms/widgets/select.html renders, built in Python."""
    from django.forms.utils import flatatt
    from django.utils.html import format_html
    from django.utils.safestring import mark_safe

    widget = self.get_context(name, value, attrs)["widget"]
    parts = [format_html('<select name="{}"{}>', widget["name"], flatatt(widget["attrs"]))]
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(format_html('<optgroup label="{}">', group_name))
        parts.extend(
            format_html('<option value="{}"{}>{}</option>', option["value"], flatatt(option["attrs"]),
                        option["label"])
            for option in options
        )  # fmt: skip
        if group_name:
            parts.append("</optgroup>")
    parts.append("</select>")
    return mark_safe("".join(parts))  # noqa: S308 - every part went through format_html


@contextlib.contextmanager
def select_in_python():
    from django.forms import widgets

    patched = [widgets.Select, widgets.SelectMultiple, widgets.NullBooleanSelect]
    saved = {cls: cls.__dict__.get("render") for cls in patched}
    for cls in patched:
        cls.render = python_select_render
    try:
        yield
    finally:
        for cls, original in saved.items():
            if original is None:
                del cls.render
            else:
                cls.render = original


@contextlib.contextmanager
def session_saved_when_changed():
    from django.test import override_settings

    with override_settings(SESSION_SAVE_EVERY_REQUEST=False):
        yield


@contextlib.contextmanager
def both():
    with select_in_python(), session_saved_when_changed():
        yield


EXPERIMENTS = {"select": select_in_python, "session": session_saved_when_changed, "both": both}

# cell() in SQL: control characters dropped (translate: cheaper than a regular expression), then an
# apostrophe before a leading =, +, -, @, tab or CR. Computed in an inner SELECT, tested in the outer one.
CONTROL = "".join(f"\\x{code:02x}" for code in [*range(1, 9), 11, 12, *range(14, 32)])
SQL_CONTROL = "translate({0}, E'" + CONTROL + "', '')"
SQL_FORMULA = "CASE WHEN left({0}, 1) IN ('=', '+', '-', '@', E'\\t', E'\\r') THEN '''' || {0} ELSE {0} END"


def copy_export_sql(user) -> tuple[str, list]:
    """COPY of the export's own queryset (so the access module still decides the rows), each column
    turned into its CSV text in SQL the way casework.case_export_csv does it in Python."""
    from django.db.models import BooleanField, IntegerField, PositiveIntegerField, PositiveSmallIntegerField
    from django.utils.translation import gettext as _

    from casework import case_export_csv as export
    from casework.models import Case

    sql, params = export.export_queryset(user).query.sql_with_params()
    columns, escaped, words = [], [], []  # words: the parameters of the SELECT list, before the query's
    for index, (_header, lookup, kind) in enumerate(export.COLUMNS):
        value = f"row.c{index}"
        field = Case._meta.get_field(lookup) if kind == export.TEXT and "__" not in lookup else None
        if kind == export.REFERENCE:
            expression = value
        elif kind == export.DATE:
            expression = f"{value}::text"
        elif kind == export.DATETIME:
            expression = f"({value} AT TIME ZONE 'UTC')::date::text"
        elif kind == export.MONTH:
            expression = f"to_char({value}, 'YYYY-MM')"
        elif isinstance(field, BooleanField):
            expression = f"CASE WHEN {value} THEN %s ELSE %s END"
            words.extend((_("yes"), _("no")))
        elif isinstance(field, IntegerField | PositiveIntegerField | PositiveSmallIntegerField):
            expression = f"{value}::text"
        else:
            text = f"replace(trim(BOTH ',' FROM {value}), ',', ';')" if kind == export.CHOICES else value
            expression = SQL_CONTROL.format(f"{text}::text")
            escaped.append(index)
        columns.append(f"{expression} AS t{index}")
    names = ", ".join(f"c{index}" for index in range(len(export.COLUMNS)))
    outer = ", ".join(
        (SQL_FORMULA.format(f"t{index}") if index in escaped else f"t{index}") + f' AS "{header}"'
        for index, (header, _lookup, _kind) in enumerate(export.COLUMNS)
    )
    inner = f"SELECT {', '.join(columns)} FROM ({sql}) AS row({names})"
    select = f"SELECT {outer} FROM ({inner}) AS cleaned"
    return f"COPY ({select}) TO STDOUT WITH (FORMAT csv, HEADER)", [*words, *params]


def export_copy(reps: int) -> dict:
    import psycopg
    from django.db import connection
    from timings import EXPORT_SQL, client_for, context, request

    from casework.models import User

    admin = User.objects.get(username="admin")
    statement, params = copy_export_sql(admin)
    client, headers = client_for("admin", context())
    as_is, by_copy, plain = [], [], []
    with psycopg.connect(benchenv.psycopg_dsn(), autocommit=True) as raw:
        for i in range(reps + 1):
            started = time.perf_counter()
            request(client, headers, "/cases/export.csv")
            first = time.perf_counter() - started
            started = time.perf_counter()
            size = 0
            with connection.cursor() as cursor, cursor.cursor.copy(statement, params) as copy:
                for block in copy:
                    size += len(block)
            second = time.perf_counter() - started
            started = time.perf_counter()
            with raw.cursor() as cursor, cursor.copy(EXPORT_SQL) as copy:
                for _block in copy:
                    pass
            third = time.perf_counter() - started
            if i:
                as_is.append(first)
                by_copy.append(second)
                plain.append(third)
    result = {
        "export_as_is_median_ms": statistics.median(as_is) * 1000,
        "export_by_copy_median_ms": statistics.median(by_copy) * 1000,
        "plain_copy_median_ms": statistics.median(plain) * 1000,
        "bytes_by_copy": size,
    }
    print(
        f"export_copy: as is {result['export_as_is_median_ms']:.0f} ms, written by COPY "
        f"{result['export_by_copy_median_ms']:.0f} ms, plain COPY {result['plain_copy_median_ms']:.0f} ms"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--only", nargs="*", choices=[*EXPERIMENTS, "export_copy"])
    args = parser.parse_args()
    benchenv.setup_django()
    import timings

    ctx = timings.context()
    pages = {
        "case_list": ("supervisor", "/cases/"),
        "case_list_caseworker": ("caseworker", "/cases/?status=open"),
        "case_page": ("supervisor", f"/cases/{ctx.case_refs[0]}/"),
        "api_cases_staff": ("supervisor", "/api/v1/cases/?country=KZ&status=active&sex=female"),
    }
    results: dict = {}
    for name, experiment in EXPERIMENTS.items():
        if args.only and name not in args.only:
            continue
        results[name] = {}
        for page, (who, url) in pages.items():
            client, headers = timings.client_for(who, ctx)
            before, after = [], []
            for i in range(args.reps + 2):
                started = time.perf_counter()
                timings.request(client, headers, url)
                as_is = time.perf_counter() - started
                with experiment():
                    started = time.perf_counter()
                    timings.request(client, headers, url)
                    changed = time.perf_counter() - started
                if i >= 2:  # warm-up
                    before.append(as_is)
                    after.append(changed)
            results[name][page] = {
                "url": url,
                "as_is_median_ms": statistics.median(before) * 1000,
                "changed_median_ms": statistics.median(after) * 1000,
            }
            row = results[name][page]
            print(
                f"{name:8} {page:22} as is {row['as_is_median_ms']:7.1f} ms   "
                f"changed {row['changed_median_ms']:7.1f} ms"
            )
    if not args.only or "export_copy" in args.only:
        results["export_copy"] = export_copy(min(args.reps, 5))
    benchenv.RESULTS_DIR.mkdir(exist_ok=True)
    (benchenv.RESULTS_DIR / "experiments.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
