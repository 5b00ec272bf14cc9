"""Disclosure control: the one suppression function (casework.statistics.suppress).

The checks below read only what a client receives (rows and totals) and rebuild the equations a reader
could use from it, independently of the implementation.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casework.statistics import suppress

DIMS = ("country", "sex", "age")


def cells_of(table: dict[tuple, int], dims) -> list[dict]:
    return [dict(zip(dims, key, strict=True), count=count) for key, count in table.items()]


def published_entries(result, dims):
    """Every published entry as (key, count-or-None): key is a tuple with "*" where a total covers all."""
    n = len(dims)
    entries = {}
    for row in result["rows"]:
        entries[tuple(row[d] for d in dims)] = row["count"]
    values = [[t[d] for t in result["totals"][d]] for d in dims]
    for key in itertools.product(*values):  # unlisted combinations are zeros
        entries.setdefault(key, 0)
    if n > 1:
        for axis, d in enumerate(dims):
            for total in result["totals"][d]:
                key = tuple(total[d] if i == axis else "*" for i in range(n))
                entries[key] = total["count"]
    entries[("*",) * n] = result["totals"]["all"]["count"]
    return entries, values


def equations(entries, values, dims):
    """The sums a reader knows: each total equals the entries it covers."""
    n = len(dims)
    interior = [key for key in entries if "*" not in key]
    eqs = []
    if n == 1:
        eqs.append([*((k, 1) for k in interior), (("*",), -1)])
        return eqs
    for axis in range(n):
        for value in values[axis]:
            margin = tuple(value if i == axis else "*" for i in range(n))
            eqs.append([*((k, 1) for k in interior if k[axis] == value), (margin, -1)])
        margins = [tuple(v if i == axis else "*" for i in range(n)) for v in values[axis]]
        eqs.append([*((m, 1) for m in margins), (("*",) * n, -1)])
    return eqs


def rank(rows, columns) -> int:
    matrix = [[Fraction(row.get(c, 0)) for c in columns] for row in rows]
    r = 0
    for c in range(len(columns)):
        pivot = next((i for i in range(r, len(matrix)) if matrix[i][c] != 0), None)
        if pivot is None:
            continue
        matrix[r], matrix[pivot] = matrix[pivot], matrix[r]
        for i in range(len(matrix)):
            if i != r and matrix[i][c] != 0:
                factor = matrix[i][c] / matrix[r][c]
                matrix[i] = [a - factor * b for a, b in zip(matrix[i], matrix[r], strict=True)]
        r += 1
    return r


def derivable_hidden(result, dims) -> list:
    """Hidden entries a reader can compute exactly: removing its column lowers the rank of the system
    restricted to the hidden entries."""
    entries, values = published_entries(result, dims)
    hidden = [key for key, count in entries.items() if count is None]
    rows = [{key: c for key, c in eq if key in hidden} for eq in equations(entries, values, dims)]
    full = rank(rows, hidden)
    return [key for key in hidden if rank(rows, [h for h in hidden if h != key]) == full - 1]


def true_entries(table, dims):
    n = len(dims)
    truth = {}
    for key, count in table.items():
        for mask in itertools.product([False, True], repeat=n):
            if n > 1 and 0 < sum(mask) < n - 1:
                continue  # two-dimension totals of a 3-D table are not published
            total_key = tuple("*" if m else v for m, v in zip(mask, key, strict=True))
            truth[total_key] = truth.get(total_key, 0) + count
    return truth


# --- Hand-made tables -------------------------------------------------------------------------------------


def test_single_small_cell_in_a_row_gets_a_partner():
    table = {("KZ", "f"): 12, ("KZ", "m"): 3, ("TJ", "f"): 8, ("TJ", "m"): 9, ("UZ", "f"): 7, ("UZ", "m"): 6}
    result = suppress(cells_of(table, DIMS[:2]), dimensions=DIMS[:2], threshold=5)

    rows = {(r["country"], r["sex"]): r for r in result["rows"]}
    assert rows[("KZ", "m")] == {"country": "KZ", "sex": "m", "count": None, "suppressed": True}
    # Its row and its column each lose a second cell, so neither total gives it away.
    assert rows[("KZ", "f")]["count"] is None
    assert sum(rows[(c, "m")]["count"] is None for c in ("TJ", "UZ")) >= 1
    assert rows[("TJ", "f")] == {"country": "TJ", "sex": "f", "count": 8}
    assert result["totals"]["all"] == {"count": 45}
    assert derivable_hidden(result, DIMS[:2]) == []


def test_small_marginal_total_is_suppressed_with_a_partner():
    # KZ's total (2 + 2 = 4) is small; so are its cells. Hiding the KZ total alone would leave it as
    # the grand total minus the other countries', so another country's total goes too.
    table = {("KZ", "f"): 2, ("KZ", "m"): 2, ("TJ", "f"): 10, ("TJ", "m"): 11, ("UZ", "f"): 9, ("UZ", "m"): 8}
    result = suppress(cells_of(table, DIMS[:2]), dimensions=DIMS[:2], threshold=5)

    countries = {t["country"]: t for t in result["totals"]["country"]}
    assert countries["KZ"] == {"country": "KZ", "count": None, "suppressed": True}
    assert sum(countries[c]["count"] is None for c in ("TJ", "UZ")) == 1
    assert result["totals"]["all"]["count"] == 42
    assert derivable_hidden(result, DIMS[:2]) == []


def test_one_dimension_table():
    table = {("KZ",): 3, ("TJ",): 10, ("UZ",): 12}
    result = suppress(cells_of(table, DIMS[:1]), dimensions=DIMS[:1], threshold=5)

    assert result == {
        "threshold": 5,
        "rows": [
            {"country": "KZ", "count": None, "suppressed": True},
            {"country": "TJ", "count": None, "suppressed": True},
            {"country": "UZ", "count": 12},
        ],
        "totals": {
            "country": [
                {"country": "KZ", "count": None, "suppressed": True},
                {"country": "TJ", "count": None, "suppressed": True},
                {"country": "UZ", "count": 12},
            ],
            "all": {"count": 25},
        },
    }


def test_three_dimension_table():
    table = {
        (c, s, a): 6 + i
        for i, (c, s, a) in enumerate(itertools.product(["KZ", "TJ"], ["f", "m"], ["0-4", "18-24"]))
    }
    table[("KZ", "f", "0-4")] = 1
    result = suppress(cells_of(table, DIMS), dimensions=DIMS, threshold=5)

    hidden = [r for r in result["rows"] if r["count"] is None]
    assert {"country": "KZ", "sex": "f", "age": "0-4", "count": None, "suppressed": True} in hidden
    assert len(hidden) >= 2
    assert derivable_hidden(result, DIMS) == []


def test_zeros_stay_visible_and_empty_combinations_are_not_listed():
    table = {("KZ", "f"): 10, ("KZ", "m"): 0, ("TJ", "f"): 0, ("TJ", "m"): 7}
    result = suppress(cells_of(table, DIMS[:2]), dimensions=DIMS[:2], threshold=5)

    assert result["rows"] == [
        {"country": "KZ", "sex": "f", "count": 10},
        {"country": "TJ", "sex": "m", "count": 7},
    ]


def test_an_empty_table_has_a_zero_total():
    result = suppress([], dimensions=["sex"], threshold=5)
    assert result == {"threshold": 5, "rows": [], "totals": {"sex": [], "all": {"count": 0}}}


def test_bridging_cells_are_protected_beyond_the_row_and_column_rule():
    # Two blocks of small cells joined by one small cell: every row and column has two hidden cells,
    # yet without more suppression the joining cell would be the difference of the blocks' totals.
    table = {}
    for r, c in itertools.product(range(4), range(4)):
        table[(f"r{r}", f"c{c}")] = 20
    for r, c in [(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3), (0, 2)]:
        table[(f"r{r}", f"c{c}")] = 2
    result = suppress(cells_of(table, DIMS[:2]), dimensions=DIMS[:2], threshold=5)
    assert derivable_hidden(result, DIMS[:2]) == []


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        suppress([], dimensions=[], threshold=5)
    with pytest.raises(ValueError):
        suppress([], dimensions=["a", "b", "c", "d"], threshold=5)


# --- Properties over random small tables ------------------------------------------------------------------


@st.composite
def tables(draw):
    n = draw(st.integers(min_value=1, max_value=3))
    sizes = [draw(st.integers(min_value=1, max_value=4 if n < 3 else 3)) for _ in range(n)]
    keys = list(itertools.product(*[[f"{DIMS[d]}{i}" for i in range(size)] for d, size in enumerate(sizes)]))
    counts = draw(st.lists(st.integers(min_value=0, max_value=12), min_size=len(keys), max_size=len(keys)))
    threshold = draw(st.integers(min_value=2, max_value=6))
    return DIMS[:n], dict(zip(keys, counts, strict=True)), threshold


@settings(max_examples=300, deadline=None)
@given(tables())
def test_no_small_count_is_ever_visible(case):
    dims, table, k = case
    result = suppress(cells_of(table, dims), dimensions=dims, threshold=k)
    entries, _values = published_entries(result, dims)
    assert all(count is None or count == 0 or count >= k for count in entries.values())
    for row in result["rows"]:
        assert (row["count"] is None) == row.get("suppressed", False)


@settings(max_examples=300, deadline=None)
@given(tables())
def test_no_line_has_exactly_one_hidden_entry(case):
    dims, table, k = case
    result = suppress(cells_of(table, dims), dimensions=dims, threshold=k)
    entries, values = published_entries(result, dims)
    for eq in equations(entries, values, dims):
        assert sum(entries[key] is None for key, _c in eq) != 1, eq


@settings(max_examples=200, deadline=None)
@given(tables())
def test_no_hidden_entry_can_be_worked_out_from_the_published_ones(case):
    dims, table, k = case
    result = suppress(cells_of(table, dims), dimensions=dims, threshold=k)
    assert derivable_hidden(result, dims) == []


@settings(max_examples=300, deadline=None)
@given(tables())
def test_visible_counts_are_the_true_counts(case):
    dims, table, k = case
    result = suppress(cells_of(table, dims), dimensions=dims, threshold=k)
    entries, _values = published_entries(result, dims)
    truth = true_entries({key: c for key, c in table.items() if c}, dims)
    for key, count in entries.items():
        if count is not None:
            assert count == truth.get(key, 0), key


@settings(max_examples=300, deadline=None)
@given(tables())
def test_the_grand_total_is_hidden_only_when_it_is_small_itself(case):
    """Every table of a population shares its grand total (cases by status, by sex, …): hidden in one
    and shown in another, it would give away a hidden cell. Only a table whose dimensions leave no
    other protection (one seen value in a dimension) may hide it beyond the primary rule."""
    dims, table, k = case
    result = suppress(cells_of(table, dims), dimensions=dims, threshold=k)
    total = sum(table.values())
    single_valued = any(len(result["totals"][dim]) == 1 for dim in dims)
    if result["totals"]["all"]["count"] is None and not single_valued:
        assert 0 < total < k


def test_tables_of_one_population_agree_on_the_grand_total():
    # 13 cases: by sex 3 + 10 (the 3 needs a partner), by status 6 + 7 (nothing to hide).
    by_sex = suppress(
        [{"sex": "female", "count": 3}, {"sex": "male", "count": 10}], dimensions=["sex"], threshold=5
    )
    by_status = suppress(
        [{"status": "active", "count": 6}, {"status": "closed", "count": 7}],
        dimensions=["status"],
        threshold=5,
    )
    assert by_status["totals"]["all"]["count"] == 13
    assert by_sex["totals"]["all"]["count"] == 13  # the partner is the other cell, not the total
    assert [row["count"] for row in by_sex["rows"]] == [None, None]
