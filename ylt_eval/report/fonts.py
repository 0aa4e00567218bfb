"""Chinese fonts for charts, HTML and PDF, all from the ``pylopdf-fonts-zh-cn`` wheel.

Without a CJK font every Chinese character in a chart or PDF turns into an empty box, and a
reader's browser may lack one too; so the HTML embeds a subset of the font that holds only the
characters the page uses.
"""

from __future__ import annotations

import base64
import io
from functools import cache
from pathlib import Path

#: Family name of the bundled font, as matplotlib and typst see it.
FONT_FAMILY = "Noto Sans SC"


def sans_font_path() -> Path:
    """Path of the bundled Noto Sans SC (OpenType, OFL-1.1)."""
    import pylopdf_fonts_zh_cn

    return Path(pylopdf_fonts_zh_cn.sans_path())


def font_directory() -> Path:
    """Folder holding the bundled fonts (passed to typst as ``font_paths``)."""
    return sans_font_path().parent


@cache
def register_matplotlib_font() -> str:
    """Make the bundled font available to matplotlib and return its family name.

    Idempotent. Must be called before seaborn's ``set_theme(font=...)``.
    """
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(sans_font_path()))
    return FONT_FAMILY


def subset_font_face_css(text: str, family: str = "ReportSans") -> str:
    """Return an ``@font-face`` rule embedding a WOFF2 subset covering ``text``.

    Parameters
    ----------
    text : str
        All text the page will show; only these characters (plus ASCII) are kept.
    family : str
        CSS family name to declare.

    Returns
    -------
    str
        CSS with the font as a base64 ``data:`` URI, so the page needs no network.
    """
    data = _subset_woff2(frozenset(text) | frozenset(map(chr, range(32, 127))))
    encoded = base64.b64encode(data).decode("ascii")
    return (
        f"@font-face {{ font-family: '{family}'; font-style: normal; font-weight: 400; "
        f"src: url(data:font/woff2;base64,{encoded}) format('woff2'); }}"
    )


@cache
def _subset_woff2(characters: frozenset[str]) -> bytes:
    from fontTools import subset

    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.recalc_timestamp = False
    font = subset.load_font(str(sans_font_path()), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(ord(c) for c in characters))
    subsetter.subset(font)
    buffer = io.BytesIO()
    subset.save_font(font, buffer, options)
    return buffer.getvalue()
