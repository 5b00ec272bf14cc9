"""Disclosure control for published counts (DESIGN §3.5): the one suppression function.

`suppress()` turns grouped counts (what `.values(*dims).annotate(count=Count("id"))` returns) into a
table that is safe to publish: the API's statistics endpoints and the report pages both call it.

The table is the cells of the requested dimensions (1, 2 or 3) together with its published totals: one
total per value of each dimension (the one-dimension marginals) and the grand total. Every published
total is the sum of the cells (or totals) it covers, so each total gives an equation a reader can use:

- primary suppression: every published count from 1 to k−1 (cell or total) is hidden;
- complementary suppression: while an equation has exactly one hidden entry, the smallest other non-zero
  visible entry of that equation is hidden too (a total when nothing else is left) — the classic rule;
- then an exact check: a hidden count must not be derivable from all the equations together (a hidden
  cell can be pinned down by combining rows and columns even when each has two hidden entries). While one
  is, the cheapest "box" through it — 2 values in each dimension, 2ⁿ cells whose alternating sum leaves
  every total unchanged — is hidden as well, so the count can move without any total noticing.

The grand total is the one count every table of a population shares: a report shows cases by status,
by sex and by country, the API answers one `group_by` after another. Were complementary suppression to
hide it in one table, another table would give it away, and with it a hidden cell. So the grand total is
hidden only by the primary rule (a total from 1 to k−1, hidden in every table alike) and the protection
is found among the other entries; only when a table offers no other way (a dimension with a single
value) does the total go too.

Zeros are not disclosive and stay visible. A GROUP BY returns only non-empty groups, so `rows` lists the
non-zero cells (and any zero that had to be hidden); a combination of listed values that is missing from
`rows` has a count of 0, and a reader may rely on that — the check above assumes they do.

Out of scope: bounds. Hidden counts are never exactly derivable, but a reader can still narrow one to an
interval (from 0 to a total); the threshold is what keeps such intervals from singling anyone out.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

ALL = "__all__"  # Marks "every value" of a dimension in a cell's key (a total).

Key = tuple[Any, ...]
# One equation: the entries that must add up (coefficient +1) to the total (coefficient −1).
Equation = tuple[tuple[Key, int], ...]

_ZERO_PENALTY = 10**9  # Hiding a zero to protect a cell is the last resort (a 0 bounds its partners).


def suppress(
    cells: Iterable[Mapping[str, Any]], *, dimensions: Sequence[str], threshold: int
) -> dict[str, Any]:
    """The publishable table of `cells` grouped by `dimensions`, with counts 1..threshold−1 hidden.

    `cells`: mappings holding a value for each dimension and a "count" (several with the same values
    are added up). Returns ``{"threshold": k, "rows": [...], "totals": {dim: [...], ..., "all": {...}}}``
    where a row is ``{dim: value, ..., "count": n}`` and a hidden one ``{..., "count": None,
    "suppressed": True}``; ``totals[dim]`` has one entry per value of that dimension and ``totals["all"]``
    the grand total.
    """
    dimensions = tuple(dimensions)
    if not 1 <= len(dimensions) <= 3:
        raise ValueError("Group by one, two or three dimensions.")
    if threshold < 1:
        raise ValueError("The threshold must be at least 1.")
    table = _Table(dimensions, cells)
    hidden = table.protect(threshold)
    return table.publish(threshold, hidden)


def _sort_key(value: Any) -> tuple[bool, str, Any]:
    return (value is None, type(value).__name__, value if value is not None else 0)


class _Table:
    """Cells and totals indexed by keys: a value per dimension, ALL where a total covers every value."""

    def __init__(self, dimensions: tuple[str, ...], cells: Iterable[Mapping[str, Any]]) -> None:
        self.dimensions = dimensions
        interior: dict[Key, int] = {}
        for cell in cells:
            key = tuple(cell[dimension] for dimension in dimensions)
            interior[key] = interior.get(key, 0) + int(cell["count"] or 0)
        self.values = [
            sorted({key[axis] for key in interior}, key=_sort_key) for axis in range(len(dimensions))
        ]
        n = len(dimensions)
        # Every combination of the values seen: a missing one is a known 0.
        self.interior_keys = list(itertools.product(*self.values))
        self.counts: dict[Key, int] = {key: interior.get(key, 0) for key in self.interior_keys}
        self.margin_keys = [
            [tuple(value if i == axis else ALL for i in range(n)) for value in self.values[axis]]
            for axis in range(n)
        ]
        self.grand_key: Key = (ALL,) * n
        for axis in range(n if n > 1 else 0):  # in one dimension the cells are their own totals
            for key in self.interior_keys:
                margin = tuple(key[axis] if i == axis else ALL for i in range(n))
                self.counts[margin] = self.counts.get(margin, 0) + self.counts[key]
        self.counts[self.grand_key] = sum(self.counts[key] for key in self.interior_keys)
        self.equations = self._equations()
        self.keep_visible: set[Key] = set()

    # --- The published entries and the equations between them --------------------------------------

    def published(self) -> list[Key]:
        keys = list(self.interior_keys)
        if len(self.dimensions) > 1:
            for margin in self.margin_keys:
                keys.extend(margin)
        keys.append(self.grand_key)
        return keys

    def _equations(self) -> list[Equation]:
        n = len(self.dimensions)
        if n == 1:
            return [tuple((key, 1) for key in self.interior_keys) + ((self.grand_key, -1),)]
        equations: list[Equation] = []
        for axis in range(n):
            by_value: dict[Any, list[Key]] = {}
            for key in self.interior_keys:
                by_value.setdefault(key[axis], []).append(key)
            for margin in self.margin_keys[axis]:
                equations.append(tuple((key, 1) for key in by_value[margin[axis]]) + ((margin, -1),))
            equations.append(
                tuple((margin, 1) for margin in self.margin_keys[axis]) + ((self.grand_key, -1),)
            )
        return equations

    # --- Suppression ----------------------------------------------------------------------------------

    def protect(self, threshold: int) -> set[Key]:
        published = self.published()
        hidden = {key for key in published if 0 < self.counts[key] < threshold}
        # The grand total, if shown at all, is shown in every table (see the module's docstring).
        self.keep_visible = set() if self.grand_key in hidden else {self.grand_key}
        while True:
            self._complete_equations(hidden)
            determined = self.determined(hidden)
            if not determined:
                return hidden
            target = min(determined, key=lambda key: (self.counts[key], self._order(key)))
            hidden |= self._cheapest_box(target, hidden)

    def _order(self, key: Key) -> tuple:
        return (sum(part == ALL for part in key), tuple(_sort_key(part) for part in key))

    def _complete_equations(self, hidden: set[Key]) -> None:
        """The classic rule: no equation keeps exactly one hidden entry (it would be the difference)."""
        changed = True
        while changed:
            changed = False
            for equation in self.equations:
                entries = [key for key, _coefficient in equation]
                if sum(key in hidden for key in entries) != 1:
                    continue
                visible = [key for key in entries if key not in hidden]
                visible = [key for key in visible if key not in self.keep_visible] or visible
                partner = min(
                    visible,
                    key=lambda key: (self.counts[key] == 0, self.counts[key], self._order(key)),
                )
                hidden.add(partner)
                changed = True

    def determined(self, hidden: set[Key]) -> set[Key]:
        """The hidden entries a reader can work out exactly from the visible ones and the equations.

        Solve the equations for the hidden entries (reduced row echelon form, exact fractions): a
        hidden entry is determined when it is a pivot whose row involves no free entry.
        """
        columns = sorted(hidden, key=self._order)
        index = {key: i for i, key in enumerate(columns)}
        rows: list[dict[int, Fraction]] = []
        for equation in self.equations:
            row = {index[key]: Fraction(coefficient) for key, coefficient in equation if key in index}
            if row:
                rows.append(row)
        pivots: dict[int, dict[int, Fraction]] = {}  # pivot column -> its normalised row
        for row in rows:
            for column, pivot_row in pivots.items():
                factor = row.get(column)
                if factor:
                    for c, v in pivot_row.items():
                        updated = row.get(c, 0) - factor * v
                        if updated:
                            row[c] = updated
                        else:
                            row.pop(c, None)
            if not row:
                continue
            column = min(row)
            scale = row[column]
            row = {c: v / scale for c, v in row.items()}
            for other in pivots.values():
                factor = other.get(column)
                if factor:
                    for c, v in row.items():
                        updated = other.get(c, 0) - factor * v
                        if updated:
                            other[c] = updated
                        else:
                            other.pop(c, None)
            pivots[column] = row
        return {columns[column] for column, row in pivots.items() if set(row) == {column}}

    def _cheapest_box(self, target: Key, hidden: set[Key]) -> set[Key]:
        """Published entries of the cheapest box through `target`: for each dimension its value and one
        other (ALL included); the box's alternating sum changes no equation, so once every published
        entry of it is hidden, `target` can no longer be worked out."""
        published = set(self.published())
        alternatives = [
            [value for value in [*self.values[axis], ALL] if value != target[axis]]
            for axis in range(len(self.dimensions))
        ]
        best: tuple[tuple, set[Key]] | None = None
        for other in itertools.product(*alternatives):
            box = {
                tuple(choice) for choice in itertools.product(*zip(target, other, strict=True))
            } & published
            kept = len(box & self.keep_visible)  # a box through the grand total only as a last resort
            cost = sum(
                self.counts[key] + (_ZERO_PENALTY if self.counts[key] == 0 else 0)
                for key in box
                if key not in hidden
            )
            zeros = sum(self.counts[key] == 0 for key in box)
            rank = (kept, zeros, cost, tuple(self._order(key) for key in sorted(box, key=self._order)))
            if best is None or rank < best[0]:
                best = (rank, box)
        assert best is not None  # every dimension has at least ALL as an alternative
        return best[1]

    # --- Output ---------------------------------------------------------------------------------------

    def _entry(self, key: Key, hidden: set[Key], axes: Sequence[int]) -> dict[str, Any]:
        entry: dict[str, Any] = {self.dimensions[axis]: key[axis] for axis in axes}
        if key in hidden:
            entry["count"] = None
            entry["suppressed"] = True
        else:
            entry["count"] = self.counts[key]
        return entry

    def publish(self, threshold: int, hidden: set[Key]) -> dict[str, Any]:
        all_axes = range(len(self.dimensions))
        rows = [
            self._entry(key, hidden, all_axes)
            for key in self.interior_keys
            if self.counts[key] or key in hidden
        ]
        totals: dict[str, Any] = {}
        for axis, dimension in enumerate(self.dimensions):
            margin_keys = self.margin_keys[axis]
            if len(self.dimensions) == 1:
                margin_keys = [(key[0],) for key in self.interior_keys]
            totals[dimension] = [self._entry(key, hidden, [axis]) for key in margin_keys]
        totals["all"] = self._entry(self.grand_key, hidden, [])
        return {"threshold": threshold, "rows": rows, "totals": totals}
