"""Text from the data made safe to print on a terminal."""

from __future__ import annotations

import unicodedata


def printable(text: str, *, keep_newlines: bool = False) -> str:
    r"""Replace control and format characters by visible escapes.

    County and province names come from hand-filled spreadsheets; a name holding an ANSI escape
    sequence or a bidirectional override must not move the cursor, recolour the terminal or
    reverse the rest of a line when it is printed.

    Parameters
    ----------
    text : str
    keep_newlines : bool
        Keep ``\n`` (for multi-line messages such as a validation table).

    Examples
    --------
    >>> printable("a\x1b[2Jb\u202ec")
    'a\\x1b[2Jb\\u202ec'
    """
    out = []
    for char in text:
        if keep_newlines and char == "\n":
            out.append(char)
        elif unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)
