"""Report text in Chinese (default) and English, from ``resources/messages.toml``."""

from __future__ import annotations

import tomllib
from functools import cache

from ylt_eval.errors import ParameterError
from ylt_eval.resources import resource_path

LANGUAGES = ("zh", "en")


@cache
def _messages() -> dict[str, dict[str, str]]:
    with resource_path("messages.toml").open("rb") as handle:
        messages = tomllib.load(handle)
    for key, texts in messages.items():
        missing = [lang for lang in LANGUAGES if lang not in texts]
        if missing:
            raise ValueError(f"messages.toml: {key} lacks {', '.join(missing)}")
    return messages


class Translator:
    """Look up report text in one language.

    Parameters
    ----------
    lang : str
        ``"zh"`` or ``"en"``.

    Examples
    --------
    >>> Translator("en")("fact_year")
    'Assessment year'
    """

    def __init__(self, lang: str) -> None:
        if lang not in LANGUAGES:
            raise ParameterError(f"lang must be one of {', '.join(LANGUAGES)}, got {lang!r}")
        self.lang = lang

    def __call__(self, key: str, **values: object) -> str:
        """Return the text of ``key`` with ``{placeholders}`` filled from ``values``."""
        try:
            text = _messages()[key][self.lang]
        except KeyError:
            raise KeyError(f"no report text with key {key!r}") from None
        return text.format(**values) if values else text

    def pick(self, zh: str, en: str) -> str:
        """Choose between a Chinese and an English variant (for catalogue fields)."""
        return zh if self.lang == "zh" else en
