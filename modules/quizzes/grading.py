"""Grading, as pure functions: no database, no clock.

Matching of short text answers ignores case, surrounding and repeated spaces, Unicode
normalisation and where a Vietnamese tone mark sits: "hoà" and "hòa" are the same word
(old and new tone placement), "thuý" and "thúy" too, but "hoa" and "hòa" are not.
"""

from __future__ import annotations

import unicodedata
from fractions import Fraction
from typing import Any

QUESTION_TYPES = ("single", "multiple", "true_false", "short_text")

# The five Vietnamese tone marks as combining characters: grave (huyền), acute (sắc),
# hook above (hỏi), tilde (ngã), dot below (nặng). Vowel marks (â, ă, ơ, ư) are not tones.
TONE_MARKS = frozenset("\u0300\u0301\u0309\u0303\u0323")


def normalise_word(word: str) -> str:
    """The word decomposed (NFD), with its tone marks pulled out and appended at the end,
    so every placement of the same tone on the same letters gives the same string."""
    decomposed = unicodedata.normalize("NFD", word)
    letters = "".join(ch for ch in decomposed if ch not in TONE_MARKS)
    tones = "".join(sorted(ch for ch in decomposed if ch in TONE_MARKS))
    return letters + tones


def normalise_text(text: str) -> str:
    """Case-folded, words separated by single spaces, each word tone-normalised."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(normalise_word(word) for word in folded.split())


def short_text_matches(answer: str, accepted: list[str]) -> bool:
    given = normalise_text(answer)
    return bool(given) and any(given == normalise_text(candidate) for candidate in accepted)


def correct_answer(question_type: str, options: list[dict[str, Any]], answer: Any) -> Any:
    """The correct answer in the shape a learner answers: option ids (list) for single and
    multiple, a boolean for true_false, the accepted answers (list) for short_text."""
    if question_type in ("single", "multiple"):
        return [option["id"] for option in options if option.get("correct")]
    return answer


def is_correct(question_type: str, options: list[dict[str, Any]], answer: Any, given: Any) -> bool:
    """Whether ``given`` (already checked by ``services.clean_answer``; None when the
    question was left unanswered) is right."""
    if given is None:
        return False
    if question_type in ("single", "multiple"):
        return set(given) == set(correct_answer(question_type, options, answer))
    if question_type == "true_false":
        return given is answer
    if question_type == "short_text":
        return short_text_matches(given, list(answer or []))
    raise ValueError(f"unknown question type {question_type!r}")


def has_passed(correct: int, total: int, pass_mark: float) -> bool:
    """``correct / total >= pass_mark``, in exact fractions (7/10 passes a 0.7 mark)."""
    return total > 0 and Fraction(correct, total) >= Fraction(str(pass_mark))


def iso_duration(seconds: float) -> str:
    """Whole seconds as an ISO 8601 duration: 252 -> "PT4M12S", 0 -> "PT0S"."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    parts = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if secs or not parts:
        parts += f"{secs}S"
    return f"PT{parts}"
