"""The small-cell rule: which counts are withheld, how the others are rounded, and its wording."""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Literal

from ylt_eval.errors import ParameterError
from ylt_eval.resources import resource_path

#: Text shown in place of a withheld cell in tables and exports.
SUPPRESSED_MARK = "[c]"


@dataclass(frozen=True)
class DisclosureRule:
    """A configurable small-cell rule.

    The default follows NHS England's publication rule: counts of 1 to 7 are withheld and every
    other count is rounded to the nearest 5 (zero stays zero). It is meant for tables below
    county level (institutions, townships, villages). For a county's own totals use
    :meth:`county_totals`: small counts are still withheld but nothing is rounded.

    Attributes
    ----------
    suppress_low, suppress_high : int
        Counts in this closed range are withheld (1 and 7). ``suppress_high = 0`` disables
        suppression.
    rounding_base : int
        Published counts are rounded to the nearest multiple (5); 1 means no rounding.
    secondary : bool
        Withhold further cells so that no withheld count can be worked out from the totals.
    name : str
        Short label recorded in logs and run manifests.
    """

    suppress_low: int = 1
    suppress_high: int = 7
    rounding_base: int = 5
    secondary: bool = True
    name: str = "small-counts-1-7-round-5"

    def __post_init__(self) -> None:
        if self.suppress_low < 1:
            raise ParameterError(
                f"suppress_low must be at least 1 (zero counts are published), got "
                f"{self.suppress_low}"
            )
        if self.suppress_high and self.suppress_high < self.suppress_low:
            raise ParameterError(
                f"suppress_high ({self.suppress_high}) is below suppress_low ({self.suppress_low})"
            )
        if self.rounding_base < 1:
            raise ParameterError(f"rounding_base must be at least 1, got {self.rounding_base}")

    @classmethod
    def county_totals(cls) -> DisclosureRule:
        """Rule for a county's own totals: withhold 1–7, round nothing."""
        return cls(rounding_base=1, name="small-counts-1-7")

    @classmethod
    def none(cls) -> DisclosureRule:
        """No protection at all (for data that describe no people, e.g. budgets)."""
        return cls(suppress_high=0, rounding_base=1, secondary=False, name="none")

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> DisclosureRule:
        """Build a rule from a configuration table (e.g. a ``[disclosure]`` TOML section).

        Parameters
        ----------
        config : mapping
            Keys ``suppress_low``, ``suppress_high``, ``rounding_base``, ``secondary``,
            ``name``; missing keys take the defaults.

        Raises
        ------
        ParameterError
            Unknown keys or values of the wrong type.
        """
        fields = {"suppress_low": int, "suppress_high": int, "rounding_base": int}
        fields |= {"secondary": bool, "name": str}
        unknown = sorted(set(config) - set(fields))
        if unknown:
            raise ParameterError(f"unknown disclosure settings: {', '.join(unknown)}")
        values: dict[str, object] = {}
        for key, value in config.items():
            kind = fields[key]
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise ParameterError(f"disclosure setting {key} must be {kind.__name__}")
            values[key] = value
        return cls(**values)  # type: ignore[arg-type]

    @property
    def suppresses(self) -> bool:
        """True when some counts are withheld."""
        return self.suppress_high >= self.suppress_low and self.suppress_high > 0

    def is_small(self, value: float) -> bool:
        """True for a count the rule withholds."""
        return self.suppresses and self.suppress_low <= value <= self.suppress_high

    def round(self, value: float) -> float:
        """Nearest multiple of :attr:`rounding_base`, halves rounded up (12.5 → 15)."""
        if self.rounding_base == 1:
            return value
        return math.floor(value / self.rounding_base + 0.5) * self.rounding_base

    def statement(self, lang: Literal["zh", "en"] = "zh") -> str:
        """One sentence saying which rule was applied, for the report's notes."""
        if self.suppresses:
            key = "suppress_and_round" if self.rounding_base > 1 else "suppress_only"
        else:
            key = "round_only" if self.rounding_base > 1 else "none"
        template = _statements()[key][lang]
        return template.format(
            low=self.suppress_low,
            high=self.suppress_high,
            base=self.rounding_base,
            mark=SUPPRESSED_MARK,
        )


@cache
def _statements() -> dict[str, dict[str, str]]:
    with resource_path("disclosure.toml").open("rb") as handle:
        return tomllib.load(handle)["statement"]
