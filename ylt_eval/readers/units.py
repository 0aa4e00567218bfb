"""Units written in headers and cells, and the factor between two of them.

A header such as ``医保基金县域外支出（元）`` or a cell such as ``"12.5万元"`` announces a unit.
When it measures the same thing as the data dictionary's unit (money, a count, a fraction) the value
can be converted, and the validator does so with a warning that says what was assumed; when it
measures something else (``常住人口（万元）``) nothing can be assumed and the value is refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Dimension = Literal["money", "count", "fraction", "time", "multiplier"]


@dataclass(frozen=True)
class Unit:
    """What a unit word measures and its size in the dimension's base unit.

    Attributes
    ----------
    dimension : {"money", "count", "fraction", "time", "multiplier"}
        ``"multiplier"`` is a bare number word (``万``, ``千``) that scales whatever money or
        count unit the column has.
    scale : float
        Size in the base unit: 元 for money, one item for counts, the whole (1.0) for fractions,
        one year for time. ``万元`` is ``Unit("money", 1e4)``, ``%`` is ``Unit("fraction", 0.01)``.
    """

    dimension: Dimension
    scale: float


def _units() -> dict[str, Unit]:
    table: dict[str, Unit] = {}
    money = {"元": 1.0, "yuan": 1.0, "千元": 1e3, "万元": 1e4, "10kyuan": 1e4, "百万元": 1e6}
    money |= {"亿元": 1e8}
    for word, scale in money.items():
        table[word] = Unit("money", scale)
    ones = ["人", "人次", "次", "名", "个", "家", "所", "例", "张", "床", "persons", "visits"]
    ones += ["admissions", "discharges", "operations", "referrals", "clinics", "disciplines"]
    ones += ["births", "deaths"]
    for word in ones:
        table[word] = Unit("count", 1.0)
    for word, scale in {"千人": 1e3, "万人": 1e4, "万人次": 1e4, "万次": 1e4}.items():
        table[word] = Unit("count", scale)
    for word, scale in {"千": 1e3, "万": 1e4, "百万": 1e6, "亿": 1e8}.items():
        table[word] = Unit("multiplier", scale)
    fractions = {"%": 1e-2, "百分比": 1e-2, "百分数": 1e-2, "percent": 1e-2, "‰": 1e-3}
    fractions |= {"比例": 1.0, "小数": 1.0, "share": 1.0, "proportion": 1.0}
    for word, scale in fractions.items():
        table[word] = Unit("fraction", scale)
    for word in ("年", "year"):
        table[word] = Unit("time", 1.0)
    return table


#: Unit words (already normalised: NFKC, no whitespace, case-folded) and what they measure.
UNITS: dict[str, Unit] = _units()


def unit_of(word: str) -> Unit | None:
    """The unit a normalised word denotes, or None when it is not a unit."""
    return UNITS.get(word)


@dataclass(frozen=True)
class UnitConversion:
    """Values written in ``announced`` that must be multiplied by ``factor`` to be in ``expected``.

    Attributes
    ----------
    announced : str
        Unit as written (``"元"``).
    expected : str
        Unit of the data dictionary (``"万元"``).
    factor : float
        Multiplier (``1e-4`` from 元 to 万元).
    """

    announced: str
    expected: str
    factor: float

    def apply(self, values):
        """Convert a number or an array (dividing by 10,000 rather than multiplying by 1e-4,
        so that 3,500 元 becomes exactly 0.35 万元)."""
        if self.factor >= 1:
            return values * self.factor
        return values / round(1 / self.factor, 9)

    def describe(self) -> tuple[str, str]:
        """How the values were changed, in Chinese and English (``"除以 10,000"``)."""
        if self.factor >= 1:
            amount = _format_factor(self.factor)
            return f"乘以 {amount}", f"multiplied by {amount}"
        amount = _format_factor(1 / self.factor)
        return f"除以 {amount}", f"divided by {amount}"


def _format_factor(value: float) -> str:
    rounded = round(value)
    return f"{rounded:,}" if math.isclose(value, rounded, rel_tol=1e-9) else f"{value:g}"


def conversion(announced: str, expected: str) -> UnitConversion | Literal["mismatch"] | None:
    """How to turn values in unit ``announced`` into unit ``expected``.

    Parameters
    ----------
    announced, expected : str
        Normalised unit words.

    Returns
    -------
    UnitConversion
        Both units are known, measure the same thing and differ in size.
    None
        Nothing to do: same size, or either word is not a known unit.
    "mismatch"
        Both are known units of different dimensions (``万元`` for a head count).
    """
    have, want = unit_of(announced), unit_of(expected)
    if have is None or want is None:
        return None
    # A bare "万" scales a money or count base unit ("万" under 元 means 万元).
    if have.dimension == "multiplier" and want.dimension in {"money", "count"}:
        have = Unit(want.dimension, have.scale)
    if have.dimension != want.dimension:
        return "mismatch"
    if math.isclose(have.scale, want.scale):
        return None
    return UnitConversion(announced, expected, have.scale / want.scale)
