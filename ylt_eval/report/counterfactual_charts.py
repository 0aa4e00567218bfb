"""Charts of one county's synthetic comparison: its path and its placebo distribution.

Drawn like :mod:`ylt_eval.report.charts` (same style context, palette and deterministic SVG with
text as paths); data come in already computed, nothing is estimated here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ylt_eval.report.charts import COVID_YEARS, PALETTE, _new_figure, _style, _svg
from ylt_eval.report.elements import Figure

_DONOR_GREY = "#b8b8b8"


def synthetic_path_chart(
    years: Sequence[int],
    treated: Sequence[float],
    synthetic: Sequence[float],
    *,
    comparison: Sequence[float] | None = None,
    reform_year: int,
    labels: dict[str, str],
    alt: str,
    caption: str = "",
) -> Figure:
    """The county's outcome against its synthetic comparison, before and after the reform.

    Parameters
    ----------
    years, treated, synthetic : sequences of equal length
        The county's values and its main synthetic path (synthetic DiD).
    comparison : sequence, optional
        A second synthetic path (synthetic control), drawn thinner.
    reform_year : int
        A dotted vertical line is drawn just before it.
    labels : dict
        Display text for ``title``, ``y``, ``treated``, ``synthetic``, ``comparison`` (when a
        comparison is given), ``reform``, ``covid`` (already translated).
    alt, caption : str
        Alternative text and caption.
    """
    x = np.asarray(years, dtype=float)
    with _style():
        figure, ax = _new_figure(7.0, 3.4)
        first, last = float(x.min()), float(x.max())
        if first <= COVID_YEARS[1] and last >= COVID_YEARS[0]:
            ax.axvspan(
                max(COVID_YEARS[0], first) - 0.5,
                min(COVID_YEARS[1], last) + 0.5,
                color="#eeeeee",
                zorder=0,
                label=labels["covid"],
            )
        if comparison is not None:
            ax.plot(
                x,
                np.asarray(comparison, float),
                color=PALETTE[2],
                linestyle=":",
                linewidth=1.4,
                label=labels["comparison"],
            )
        ax.plot(
            x,
            np.asarray(synthetic, float),
            color=PALETTE[1],
            linestyle="--",
            marker="s",
            markersize=3.5,
            linewidth=1.8,
            label=labels["synthetic"],
        )
        ax.plot(
            x,
            np.asarray(treated, float),
            color=PALETTE[0],
            marker="o",
            markersize=4.5,
            linewidth=2,
            label=labels["treated"],
        )
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
        handles = dict(zip(*reversed(ax.get_legend_handles_labels()), strict=True))
        order = [
            labels[key]
            for key in ("treated", "synthetic", "comparison", "reform", "covid")
            if key in labels and labels[key] in handles
        ]
        ax.legend(
            [handles[label] for label in order],
            order,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.12),
            ncol=3,
            frameon=False,
            fontsize="small",
        )
        svg = _svg(figure)
    return Figure(svg=svg, alt=alt, caption=caption)


def placebo_distribution_chart(
    estimates: Sequence[float],
    treated: Sequence[bool],
    *,
    labels: dict[str, str],
    alt: str,
    caption: str = "",
) -> Figure:
    """One bar per county, ordered by estimated effect; the treated county highlighted.

    The bars of the other counties are their in-space placebo effects (each treated as if it
    had been reformed in the county's reform year).

    Parameters
    ----------
    estimates : sequence of float
        Average post-reform effect of every unit.
    treated : sequence of bool
        True for the county the report is about (exactly one).
    labels : dict
        Display text for ``title``, ``x``, ``y``, ``county`` (the highlighted bar and its
        legend entry), ``placebo`` (legend entry of the other bars).
    alt, caption : str
        Alternative text and caption.
    """
    values = np.asarray(estimates, dtype=float)
    flags = np.asarray(treated, dtype=bool)
    if values.shape != flags.shape or flags.sum() != 1:
        raise ValueError("placebo chart needs one estimate per unit and exactly one treated unit")
    # Stable sort keeps equal effects in input order, so the chart is reproducible.
    order = np.argsort(values, kind="mergesort")
    values, flags = values[order], flags[order]
    positions = np.arange(values.size)
    with _style():
        figure, ax = _new_figure(7.0, 3.0)
        ax.axhline(0, color="#444444", linewidth=0.8)
        ax.bar(
            positions[~flags],
            values[~flags],
            color=_DONOR_GREY,
            width=0.8,
            label=labels["placebo"],
        )
        ax.bar(positions[flags], values[flags], color=PALETTE[0], width=0.8, label=labels["county"])
        where = int(positions[flags][0])
        height = float(values[flags][0])
        span = float(np.ptp(values)) or 1.0
        ax.annotate(
            labels["county"],
            xy=(where, height),
            xytext=(where, height + (0.08 if height >= 0 else -0.08) * span),
            ha="center",
            va="bottom" if height >= 0 else "top",
            color=PALETTE[0],
            fontsize="small",
        )
        low, high = min(0.0, float(values.min())), max(0.0, float(values.max()))
        ax.set_ylim(low - 0.15 * span, high + 0.2 * span)
        ax.set_xlim(-0.8, values.size - 0.2)
        ax.set_xticks([])
        ax.grid(axis="x", visible=False)
        ax.set_title(labels["title"], loc="left")
        ax.set_xlabel(labels["x"])
        ax.set_ylabel(labels["y"])
        ax.legend(frameon=False, fontsize="small", loc="upper left")
        svg = _svg(figure)
    return Figure(svg=svg, alt=alt, caption=caption)
