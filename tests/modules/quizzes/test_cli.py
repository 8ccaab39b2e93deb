"""``flask --app wsgi content import DIR`` with the quizzes module: one broken file stops
the whole import with file:line errors; a good folder imports, and again changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from modules.quizzes.models import Question, Quiz
from tests.modules.quizzes.conftest import copy_course, count, fresh


def test_a_broken_bank_stops_the_import_with_file_and_line(
    quizzes_app: Any, demo: Any, app_db: Session, tmp_path: Path
) -> None:
    copy_course(tmp_path, "ai-an-toan-trong-cong-vu")
    course = copy_course(tmp_path)
    bank = course / "questions.yaml"
    bank.write_text(bank.read_text(encoding="utf-8").replace("type: true_false", "type: yes_no", 1), encoding="utf-8")
    line = next(n for n, text in enumerate(bank.read_text(encoding="utf-8").splitlines(), 1) if "yes_no" in text)
    result = quizzes_app.test_cli_runner().invoke(args=["content", "import", str(tmp_path)])
    assert result.exit_code != 0
    assert f"{bank}:{line}: " in result.output and "unknown type 'yes_no'" in result.output
    assert "nothing was imported" in result.output
    assert count(fresh(app_db), Quiz) == 0  # not even the good course


def test_a_good_folder_imports_and_again_changes_nothing(
    quizzes_app: Any, demo: Any, app_db: Session, tmp_path: Path
) -> None:
    copy_course(tmp_path)
    runner = quizzes_app.test_cli_runner()
    first = runner.invoke(args=["content", "import", str(tmp_path)])
    assert first.exit_code == 0, first.output
    assert "quiz dau-thau-cap-xa v1: created" in first.output
    second = runner.invoke(args=["content", "import", str(tmp_path)])
    assert second.exit_code == 0 and "quiz dau-thau-cap-xa v1: unchanged" in second.output
    assert (count(fresh(app_db), Quiz), count(app_db, Question)) == (1, 15)
