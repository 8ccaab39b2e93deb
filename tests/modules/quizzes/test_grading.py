"""Grading as pure functions: answer matching (Vietnamese tone marks), pass marks, durations."""

import unicodedata

import pytest

from modules.quizzes.grading import has_passed, is_correct, iso_duration, normalise_text, short_text_matches


@pytest.mark.parametrize(
    ("given", "accepted"),
    [
        ("hoà", "hòa"),  # old and new tone placement
        ("thuý", "thúy"),
        ("thuỷ lợi", "thủy lợi"),
        ("khoẻ", "khỏe"),
        ("hoà giải", "hòa giải"),
        ("  HÒA    Giải ", "hòa giải"),  # case and spaces
        (unicodedata.normalize("NFD", "thông thầu"), "thông thầu"),  # decomposed input
        ("Thông thầu", unicodedata.normalize("NFD", "thông thầu")),
        ("ĐẠI DIỆN", "đại diện"),
    ],
)
def test_same_answer_written_differently_matches(given: str, accepted: str) -> None:
    assert short_text_matches(given, [accepted])


@pytest.mark.parametrize(
    ("given", "accepted"),
    [
        ("hoa", "hòa"),  # a missing tone is another word
        ("hóa", "hòa"),  # another tone is another word
        ("hoa giai", "hòa giải"),
        ("thong thau", "thông thầu"),  # vowel marks count too
        ("thông thầu nhau", "thông thầu"),
        ("", "thông thầu"),
        ("   ", "thông thầu"),
    ],
)
def test_different_words_do_not_match(given: str, accepted: str) -> None:
    assert not short_text_matches(given, [accepted])


def test_any_accepted_answer_matches() -> None:
    assert short_text_matches("Thửa đất", ["thửa", "thửa đất"])
    assert normalise_text("hoà") == normalise_text("hòa") != normalise_text("hoa")


def test_single_multiple_and_true_false() -> None:
    options = [{"id": "a", "correct": True}, {"id": "b", "correct": True}, {"id": "c", "correct": False}]
    assert is_correct("multiple", options, None, ["b", "a"])
    assert not is_correct("multiple", options, None, ["a"])  # exact set: half is wrong
    assert not is_correct("multiple", options, None, ["a", "b", "c"])
    single = [{"id": "a", "correct": False}, {"id": "b", "correct": True}]
    assert is_correct("single", single, None, ["b"]) and not is_correct("single", single, None, ["a"])
    assert is_correct("true_false", [], False, False) and not is_correct("true_false", [], False, True)
    assert not is_correct("true_false", [], False, None)  # unanswered is wrong


def test_pass_mark_is_exact() -> None:
    assert has_passed(7, 10, 0.7)
    assert not has_passed(6, 10, 0.7)
    assert has_passed(14, 20, 0.7)
    assert not has_passed(0, 0, 0.0)


def test_durations() -> None:
    assert iso_duration(252) == "PT4M12S"
    assert iso_duration(0) == "PT0S"
    assert iso_duration(3600 + 5) == "PT1H5S"
    assert iso_duration(1200.9) == "PT20M"
