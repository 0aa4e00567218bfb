"""Chart builders: tidy data in, :class:`~ylt_eval.report.elements.Figure` out.

Charts are drawn on private ``Figure`` objects inside a style context, so nothing here changes
matplotlib's global state, and saved as SVG with text as paths (no font needed to view them) and
a fixed hash salt and no date, so the same data give the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import pandas as pd

from ylt_eval.report.elements import Figure
from ylt_eval.report.fonts import register_matplotlib_font

#: Colour-blind-safe palette (seaborn "colorblind", Okabe–Ito based).
PALETTE = ("#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc", "#ca9161", "#949494")
COVID_YEARS = (2020, 2022)


@contextmanager
def _style() -> Iterator[None]:
    import matplotlib as mpl
    import seaborn as sns

    family = register_matplotlib_font()
    rc = {
        **sns.axes_style("whitegrid"),
        **sns.plotting_context("paper", font_scale=1.15),
        "font.family": "sans-serif",
        "font.sans-serif": [family, "DejaVu Sans"],
        "axes.unicode_minus": False,
        "svg.fonttype": "path",
        "svg.hashsalt": "ylt-eval",
        "axes.prop_cycle": mpl.cycler(color=list(PALETTE)),
    }
    with mpl.rc_context(rc):
        yield


def _svg(figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buffer.getvalue()


def _new_figure(width_in: float = 7.0, height_in: float = 3.4):
    from matplotlib.figure import Figure as MplFigure

    figure = MplFigure(figsize=(width_in, height_in), dpi=100)
    return figure, figure.add_subplot()


def trend_chart(
    years: Sequence[int],
    county: Sequence[float],
    peer_median: Sequence[float],
    peer_low: Sequence[float],
    peer_high: Sequence[float],
    *,
    labels: dict[str, str],
    reform_year: int | None = None,
    alt: str,
    caption: str = "",
) -> Figure:
    """Line chart of one indicator: the county against the peer median and interquartile band.

    Parameters
    ----------
    years, county, peer_median, peer_low, peer_high : sequences of equal length
        The series; NaN leaves a gap.
    labels : dict
        Display text for keys ``title``, ``y``, ``county``, ``median``, ``band``, ``reform``,
        ``covid`` (already translated).
    reform_year : int, optional
        Draws a dashed vertical line where the county's consortium reform began.
    alt, caption : str
        Alternative text (accessibility) and caption.
    """
    x = np.asarray(years, dtype=float)
    with _style():
        figure, ax = _new_figure()
        first, last = float(np.nanmin(x)), float(np.nanmax(x))
        if first <= COVID_YEARS[1] and last >= COVID_YEARS[0]:
            ax.axvspan(
                max(COVID_YEARS[0], first) - 0.5,
                min(COVID_YEARS[1], last) + 0.5,
                color="#eeeeee",
                zorder=0,
                label=labels["covid"],
            )
        low, high = np.asarray(peer_low, float), np.asarray(peer_high, float)
        median = np.asarray(peer_median, float)
        if np.isfinite(low).any() and np.isfinite(high).any():
            ax.fill_between(
                x, low, high, color=PALETTE[6], alpha=0.25, linewidth=0, label=labels["band"]
            )
        if np.isfinite(median).any():
            ax.plot(
                x,
                median,
                color=PALETTE[6],
                linestyle="--",
                marker="s",
                markersize=3.5,
                label=labels["median"],
            )
        ax.plot(
            x,
            np.asarray(county, float),
            color=PALETTE[0],
            marker="o",
            markersize=4.5,
            linewidth=2,
            label=labels["county"],
        )
        if reform_year is not None and first <= reform_year <= last + 1:
            ax.axvline(
                reform_year - 0.5,
                color=PALETTE[3],
                linestyle=":",
                linewidth=1.5,
                label=labels["reform"],
            )
        ax.set_xlim(first - 0.6, last + 0.6)
        ax.set_title(labels["title"], loc="left")
        ax.set_ylabel(labels["y"])
        ax.set_xticks([int(v) for v in x])
        ax.tick_params(axis="x", labelrotation=0)
        ax.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=5, frameon=False, fontsize="small"
        )
        svg = _svg(figure)
    return Figure(svg=svg, alt=alt, caption=caption)


def event_study_chart(
    estimates: pd.DataFrame,
    *,
    labels: dict[str, str],
    alt: str,
    caption: str = "",
) -> Figure:
    """Event-study plot: estimates by event time with 95 % confidence intervals.

    Parameters
    ----------
    estimates : DataFrame
        Columns ``time`` (event time), ``estimate``, ``conf_low``, ``conf_high``; the reference
        period may be included with estimate 0 and no interval.
    labels : dict
        Display text for ``title``, ``x``, ``y``, ``pre``, ``post``.
    """
    data = estimates.sort_values("time")
    with _style():
        figure, ax = _new_figure(7.0, 3.3)
        ax.axhline(0, color="#444444", linewidth=0.8)
        ax.axvline(-0.5, color="#999999", linestyle="--", linewidth=0.8)
        for is_post, colour, marker, label in (
            (False, PALETTE[6], "s", labels["pre"]),
            (True, PALETTE[0], "o", labels["post"]),
        ):
            part = data[(data["time"] >= 0) == is_post]
            if part.empty:
                continue
            low = (part["estimate"] - part["conf_low"]).to_numpy(float)
            high = (part["conf_high"] - part["estimate"]).to_numpy(float)
            ax.errorbar(
                part["time"],
                part["estimate"],
                yerr=np.vstack([low, high]),
                fmt=marker,
                color=colour,
                ecolor=colour,
                capsize=3,
                markersize=5,
                label=label,
            )
        ax.set_title(labels["title"], loc="left")
        ax.set_xlabel(labels["x"])
        ax.set_ylabel(labels["y"])
        ax.set_xticks([int(t) for t in data["time"]])
        ax.legend(frameon=False, fontsize="small")
        svg = _svg(figure)
    return Figure(svg=svg, alt=alt, caption=caption)


def attainment_chart(
    names: Sequence[str],
    met: Sequence[int],
    not_met: Sequence[int],
    *,
    labels: dict[str, str],
    alt: str,
    caption: str = "",
) -> Figure:
    """Horizontal stacked bars: counties meeting and missing each indicator's target.

    Parameters
    ----------
    names : sequence of str
        Indicator names, top to bottom (long names are wrapped).
    met, not_met : sequences of int
        Counties per indicator.
    labels : dict
        Display text for ``title``, ``x``, ``met``, ``not_met``.
    """
    import textwrap

    count = len(names)
    width = 18 if any("\u4e00" <= c <= "\u9fff" for c in "".join(names)) else 34
    wrapped = ["\n".join(textwrap.wrap(name, width)) or name for name in names]
    position = np.arange(count)[::-1]
    with _style():
        figure, ax = _new_figure(7.0, max(2.2, 0.42 * count + 0.9))
        met_values = np.asarray(met, dtype=float)
        ax.barh(position, met_values, color=PALETTE[2], label=labels["met"], height=0.65)
        ax.barh(
            position,
            np.asarray(not_met, dtype=float),
            left=met_values,
            color=PALETTE[3],
            label=labels["not_met"],
            height=0.65,
            hatch="///",  # told apart by pattern too, not by colour alone
            edgecolor="white",
            linewidth=0,
        )
        ax.set_yticks(position)
        ax.set_yticklabels(wrapped, fontsize="small")
        ax.set_title(labels["title"], loc="left")
        ax.set_xlabel(labels["x"])
        ax.grid(axis="y", visible=False)
        ax.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, -0.12 if count > 6 else -0.25),
            ncol=2,
            frameon=False,
            fontsize="small",
        )
        svg = _svg(figure)
    return Figure(svg=svg, alt=alt, caption=caption)


def position_chart(
    names: Sequence[str],
    better_than: Sequence[float],
    value_labels: Sequence[str],
    *,
    labels: dict[str, str],
    alt: str,
    caption: str = "",
) -> Figure:
    """Horizontal bars: the share of the other counties the county does better than.

    Parameters
    ----------
    names : sequence of str
        Indicator names, top to bottom (long names are wrapped).
    better_than : sequence of float
        Percent (0–100) per indicator.
    value_labels : sequence of str
        Text written at the end of each bar (the county's value, formatted).
    labels : dict
        Display text for ``title``, ``x``, ``middle``.
    """
    import textwrap

    count = len(names)
    width = 16 if any("\u4e00" <= c <= "\u9fff" for c in "".join(names)) else 30
    wrapped = ["\n".join(textwrap.wrap(name, width)) or name for name in names]
    position = np.arange(count)[::-1]
    shares = np.asarray(better_than, dtype=float)
    with _style():
        figure, ax = _new_figure(7.0, max(2.2, 0.42 * count + 1.0))
        ax.barh(position, shares, color=PALETTE[0], height=0.6)
        ax.axvline(50, color="#444444", linestyle="--", linewidth=1, label=labels["middle"])
        for y, share, text in zip(position, shares, value_labels, strict=True):
            ax.text(
                min(share, 100) + 1.5,
                y,
                f"{share:.0f}% · {text}",
                va="center",
                fontsize="x-small",
                color="#222222",
            )
        ax.set_xlim(0, 135)
        ax.set_xticks([0, 25, 50, 75, 100])
        ax.set_yticks(position)
        ax.set_yticklabels(wrapped, fontsize="small")
        ax.set_title(labels["title"], loc="left")
        ax.set_xlabel(labels["x"])
        ax.grid(axis="y", visible=False)
        ax.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, -0.12 if count > 6 else -0.25),
            frameon=False,
            fontsize="small",
        )
        svg = _svg(figure)
    return Figure(svg=svg, alt=alt, caption=caption)
