"""Vietnamese text helpers."""

from __future__ import annotations

import unicodedata

# Tone marks (huyền, sắc, hỏi, ngã, nặng) as combining characters.
TONE_MARKS = frozenset("\u0300\u0301\u0309\u0303\u0323")
# Letters that follow their base letter in the Vietnamese alphabet: a ă â b c d đ e ê … o ô ơ … u ư.
_LETTER_ORDER = str.maketrans({"ă": "a{", "â": "a|", "đ": "d{", "ê": "e{", "ô": "o{", "ơ": "o|", "ư": "u{"})


def vietnamese_sort_key(text: str) -> tuple[str, str]:
    """Sort key in Vietnamese alphabetical order ("Đ" after "D", not after "Z"); tones
    only break ties. Python's default order compares code points and gets both wrong."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    tones = "".join(ch for ch in decomposed if ch in TONE_MARKS)
    letters = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in TONE_MARKS))
    return letters.translate(_LETTER_ORDER), tones


# What a spreadsheet may read as the start of a formula (=, +, -, @; tab and CR too).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """``value`` as a cell of an exported .csv or .xlsx: text that a spreadsheet would
    take for a formula (a name typed as "=HYPERLINK(…)", say) gets a leading apostrophe,
    so it stays text; numbers, dates and None pass unchanged. Every export applies it."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value
