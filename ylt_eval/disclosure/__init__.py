"""Disclosure control for published tables: a configurable small-cell rule.

Counts of people in small groups can identify them. Before a table, chart or export is
published, :func:`apply_disclosure` withholds small counts (primary suppression), withholds
further cells so that none of them can be worked out from the table's totals (secondary
suppression), rounds the other counts, and returns a :class:`DisclosureLog` whose
:meth:`~DisclosureLog.statement` says in one sentence which rule was applied. The defaults and
their reasons are in ``docs/disclosure.md``.

Example::

    from ylt_eval.disclosure import DisclosureRule, apply_disclosure

    published, log = apply_disclosure(
        by_township, DisclosureRule(), total_row="合计", total_column="total"
    )
    note = log.statement("zh")
"""

from __future__ import annotations

from ylt_eval.disclosure.apply import DisclosureLog, apply_disclosure
from ylt_eval.disclosure.rule import SUPPRESSED_MARK, DisclosureRule
from ylt_eval.disclosure.secondary import Line, recoverable_cells, table_lines

__all__ = [
    "SUPPRESSED_MARK",
    "DisclosureLog",
    "DisclosureRule",
    "Line",
    "apply_disclosure",
    "recoverable_cells",
    "table_lines",
]
