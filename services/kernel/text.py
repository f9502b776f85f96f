"""The text rule: what a name or a note typed by a person may hold (ADR 014, third review).

Names, order references, refund reasons and rating comments are shown to other people
(a buyer's name to a merchant, a merchant's to every buyer, a reason on a statement).
Characters that change how text is shown without being seen themselves let one party
pass for another: a bidi override (U+202E) turns ``Tea Co.exe`` around on screen, a
zero-width space makes ``Hangzhou Tea Co.`` and ``Hangzhou Tea Co.`` two merchants, and
control characters break the logs and CSV exports the text ends up in. So every
service refuses, through this one rule:

- Unicode format characters (category Cf: bidi embeddings, overrides and isolates,
  zero-width spaces and joiners, the byte-order mark, invisible operators, tags);
- letters drawn as nothing (``FILLERS``: Hangul fillers, the blank Braille pattern, ...);
- control characters (category Cc), except a line feed or tab in free text (a reason,
  a comment), which may have lines.

The refusal is a ``DomainError`` with ``INVALID_INPUT`` naming the field and the
character (as ``U+202E``, never the invisible character itself), so the mutation
answers it in ``userErrors`` and nothing is written.
"""

from __future__ import annotations

import re
import sys
import unicodedata

from services.kernel.errors import DomainError, ErrorCode


def _class_of(categories: frozenset[str], *, but: str = "", plus: str = "") -> re.Pattern[str]:
    # Built once from the Unicode database Python ships (about 0.2 s at import), so the
    # rule follows the categories rather than a hand-kept list of code points.
    members = [
        chr(point) for point in range(sys.maxunicode + 1)
        if unicodedata.category(chr(point)) in categories and chr(point) not in but
    ]
    return re.compile("[" + "".join(re.escape(member) for member in [*members, *plus]) + "]")


#: Letters and marks that are drawn as nothing, the usual way to an "empty" or look-alike
#: name once format characters are refused: the combining grapheme joiner, the Hangul
#: fillers, Khmer's inherent vowels and the blank Braille pattern.
FILLERS = "\u034f\u115f\u1160\u17b4\u17b5\u2800\u3164\uffa0"
_HIDDEN_IN_NAMES = _class_of(frozenset({"Cc", "Cf"}), plus=FILLERS)
_HIDDEN_IN_FREE_TEXT = _class_of(frozenset({"Cc", "Cf"}), but="\n\t", plus=FILLERS)


def check_visible(value: str, *, field: str, multiline: bool = False) -> None:
    """``DomainError(INVALID_INPUT)`` if ``value`` holds a control or invisible formatting character.

    ``multiline`` is for free text (reasons, comments): line feeds and tabs are allowed.
    """
    found = (_HIDDEN_IN_FREE_TEXT if multiline else _HIDDEN_IN_NAMES).search(value)
    if found is None:
        return
    character = found.group()
    what = unicodedata.name(character, "control character")
    raise DomainError(
        ErrorCode.INVALID_INPUT,
        f"{field} contains U+{ord(character):04X} ({what}) at position {found.start()}: "
        "invisible formatting and control characters are not accepted",
        field=field,
    )


__all__ = ["FILLERS", "check_visible"]
