"""The text rule: names and notes refuse invisible formatting and control characters."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.kernel import DomainError, ErrorCode, check_visible
from services.kernel.text import FILLERS

pytestmark = pytest.mark.unit

HIDDEN = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
          "\u200b", "\u200c", "\u200d", "\ufeff", "\u0007", "\u001b", "\u007f", "\u0085", "\U000e0041",
          "\u3164", "\u115f", "\uffa0", "\u2800", "\u034f"]


@pytest.mark.parametrize("character", HIDDEN)
def test_a_hidden_character_is_refused_naming_the_field_and_the_code_point(character: str) -> None:
    with pytest.raises(DomainError) as refused:
        check_visible(f"Hangzhou{character} Tea Co.", field="name")
    assert refused.value.code is ErrorCode.INVALID_INPUT and refused.value.field == "name"
    assert f"U+{ord(character):04X}" in refused.value.message
    assert character not in refused.value.message  # the message itself shows nothing invisible


@given(st.text(st.characters(categories=["Cc", "Cf"]), min_size=1), st.text(), st.text())
def test_any_format_or_control_character_anywhere_is_refused(hidden: str, before: str, after: str) -> None:
    with pytest.raises(DomainError):
        check_visible(before + hidden + after, field="orderRef")


@given(st.text(st.characters(exclude_categories=["Cc", "Cf", "Cs"], exclude_characters=FILLERS)))
def test_visible_text_in_any_script_passes(text: str) -> None:
    check_visible(text, field="name")


def test_free_text_may_have_lines_and_tabs_and_names_may_not() -> None:
    check_visible("arrived broken\n\tbox crushed", field="reason", multiline=True)
    for character in "\n\t\r":
        with pytest.raises(DomainError):
            check_visible(f"a{character}b", field="name")
    with pytest.raises(DomainError):
        check_visible("a\rb", field="reason", multiline=True)
    assert unicodedata.category("\u200d") == "Cf"  # the joiner is refused as a format character
