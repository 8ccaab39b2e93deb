"""Importing content/checklists: the real files, errors with file and line, versions."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms_core.catalog import Activity, ActivityVersion, CurriculumItem
from lms_core.demo import DemoData, seed_core
from lms_core.people import Position
from modules.checklists import content, services
from modules.checklists.models import Checklist, ChecklistVersion, Item, Section
from tests.conftest import TEST_PASSWORD
from tests.modules.checklists.conftest import CONTENT, SITE, account, add_account

REAL = sorted(path.stem for path in (CONTENT / "checklists").glob("*.yaml"))


def table_counts(session: Session) -> dict[str, int]:
    return {
        model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Activity, ActivityVersion, CurriculumItem, Checklist, ChecklistVersion, Section, Item)
    }


@pytest.fixture
def demo(db_session: Session) -> DemoData:
    data = seed_core(db_session, password=TEST_PASSWORD)
    db_session.commit()
    return data


def test_the_real_checklists_validate_and_import_once(db_session: Session, demo: DemoData) -> None:
    assert len(REAL) == 6
    assert content.validate(db_session, CONTENT) == []
    lines = content.apply(db_session, CONTENT, SITE)
    db_session.commit()
    assert lines == [f"checklist {slug} v1: created" for slug in REAL]

    for slug in REAL:
        data = yaml.safe_load((CONTENT / "checklists" / f"{slug}.yaml").read_text(encoding="utf-8"))
        activity = db_session.scalars(
            select(Activity).where(Activity.iri == f"{SITE}/activities/checklist/{slug}")
        ).one()
        assert (activity.type, activity.module, activity.periods, activity.field_code, activity.title) == (
            "checklist",
            "checklists",
            data["periods"],
            data["field"],
            data["title"],
        )
        plan = {
            code: required
            for code, required in db_session.execute(
                select(Position.code, CurriculumItem.required)
                .join(CurriculumItem, CurriculumItem.position_id == Position.id)
                .where(CurriculumItem.activity_id == activity.id)
            )
        }
        assert plan == {code: True for code in data["positions"]["required"]} | {
            code: False for code in data["positions"].get("elective") or []
        }
        checklist = services.get_checklist(db_session, slug)
        version = services.current_version(db_session, checklist)
        assert [s.key for s in version.sections] == [s["id"] for s in data["sections"]]
        assert [(i.key, i.evidence, i.sign_off) for s in version.sections for i in s.items] == [
            (i["id"], i["evidence"], i["sign_off"]) for s in data["sections"] for i in s["items"]
        ]

    before = table_counts(db_session)
    assert content.validate(db_session, CONTENT) == []
    assert content.apply(db_session, CONTENT, SITE) == [f"checklist {slug} v1: unchanged" for slug in REAL]
    db_session.commit()
    assert table_counts(db_session) == before


BROKEN = """\
id: ck-hong
title: "Danh mục hỏng"
description: "Để thử lỗi."
field: khong-co
periods: 4
version: 1
colour: red
positions:
  required: [KT-TAICHINH, KHONG-CO]
  elective: [KT-TAICHINH]
sections:
  - id: s1
    title: "Phần một"
    items:
      - id: s1-1
        text: "Việc một"
        evidence: photo
        sign_off: mentor
      - id: s1-1
        text: "Việc hai"
        evidence: none
        sign_off: boss
      - {id: s1-3, text: "Việc ba", evidence: none, sign_off: mentor}
  - id: s1
    title: "Phần hai"
    items:
      - {id: s2-1, text: "Việc bốn", evidence: case_number, sign_off: mentor}
      - {id: s2-2, text: "Việc năm", evidence: file, sign_off: self}
      - {id: s2-3, text: "Việc sáu", evidence: none, sign_off: mentor, extra: 1}
"""


def write(folder: Path, name: str, text: str) -> Path:
    (folder / "checklists").mkdir(parents=True, exist_ok=True)
    path = folder / "checklists" / name
    path.write_text(text, encoding="utf-8")
    return path


def test_errors_name_the_file_and_the_line(db_session: Session, demo: DemoData, tmp_path: Path) -> None:
    path = write(tmp_path, "ck-hong.yaml", BROKEN)
    write(tmp_path, "ck-khac-ten.yaml", BROKEN.replace("ck-hong", "ck-sai-ten"))
    write(tmp_path, "ck-yaml-sai.yaml", 'id: ck-yaml-sai\ntitle: "x"\n  field: [unclosed\n')
    errors = content.validate(db_session, tmp_path)
    found = {(e.path.name, e.line, e.message) for e in errors}
    expected = [
        ("ck-hong.yaml", 4, "unknown field code khong-co"),
        ("ck-hong.yaml", 7, "unknown key 'colour'"),
        ("ck-hong.yaml", 9, "unknown position code KHONG-CO"),
        ("ck-hong.yaml", 10, "position KT-TAICHINH is both required and elective"),
        ("ck-hong.yaml", 17, "evidence must be one of none, file, case_number, file_or_case_number, not 'photo'"),
        ("ck-hong.yaml", 19, "duplicate id 's1-1'"),
        ("ck-hong.yaml", 22, "sign_off must be mentor or self, not 'boss'"),
        ("ck-hong.yaml", 24, "duplicate id 's1'"),
        ("ck-hong.yaml", 29, "unknown item key 'extra'"),
        ("ck-khac-ten.yaml", 1, "id 'ck-sai-ten' must equal the file name 'ck-khac-ten'"),
        ("ck-yaml-sai.yaml", 3, "invalid YAML"),
    ]
    for name, line, message in expected:
        assert any(n == name and ln == line and m.startswith(message) for n, ln, m in found), (name, line, message)
    first = next(e for e in errors if e.path == path and e.line == 4)
    assert str(first) == f"{path}:4: unknown field code khong-co (fields must exist in HocVu before import)"
    with pytest.raises(ValueError):
        content.apply(db_session, tmp_path, SITE)
    assert db_session.scalar(select(func.count()).select_from(Checklist)) == 0


def copy_real(tmp_path: Path, slug: str) -> Path:
    (tmp_path / "checklists").mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(CONTENT / "checklists" / f"{slug}.yaml", tmp_path / "checklists" / f"{slug}.yaml"))


def test_a_change_needs_a_version_bump_and_progress_keeps_its_version(
    db_session: Session, demo: DemoData, tmp_path: Path
) -> None:
    slug = "ck-lap-du-toan-ngan-sach-xa"
    path = copy_real(tmp_path, slug)
    content.apply(db_session, tmp_path, SITE)
    services.seed_demo(db_session, demo)
    db_session.commit()
    official = account(db_session, "demo.official")
    services.mark_item(db_session, official, slug, "s2-3", True)
    db_session.commit()

    original = path.read_text(encoding="utf-8")
    changed = original.replace("Bố trí dự phòng ngân sách", "Bố trí dự phòng ngân sách xã").replace(
        "elective: []", "elective: [LD-UBND]"
    )
    path.write_text(changed, encoding="utf-8")
    errors = content.validate(db_session, tmp_path)
    version_line = changed.splitlines().index("version: 1") + 1
    assert [(e.line, e.message) for e in errors] == [
        (version_line, "the checklist changed since version 1 was imported: increase version to 2")
    ]

    path.write_text(changed.replace("version: 1", "version: 2"), encoding="utf-8")
    assert content.validate(db_session, tmp_path) == []
    assert content.apply(db_session, tmp_path, SITE) == [f"checklist {slug} v2: updated from v1"]
    db_session.commit()

    checklist = services.get_checklist(db_session, slug)
    assert checklist.current_version == 2 and checklist.activity.version == 2
    versions = db_session.scalars(
        select(ActivityVersion.version).where(ActivityVersion.activity_id == checklist.activity_id)
    )
    assert sorted(versions) == [1, 2]
    started = services.build_view(db_session, demo.people["GL-00001"], checklist)
    assert started.version.version == 1
    assert started.state("s2-3").own_mark is not None
    assert started.state("s2-3").item.text.startswith("Bố trí dự phòng ngân sách theo")
    colleague = demo.people["GL-00102"]
    fresh = services.build_view(db_session, colleague, checklist)
    assert fresh.version.version == 2
    assert fresh.state("s2-3").item.text.startswith("Bố trí dự phòng ngân sách xã")
    ld = db_session.scalars(select(Position).where(Position.code == "LD-UBND")).one()
    assert (
        db_session.scalar(
            select(CurriculumItem.required).where(
                CurriculumItem.position_id == ld.id, CurriculumItem.activity_id == checklist.activity_id
            )
        )
        is False
    )

    # The old person's work stays on version 1; new work on version 2.
    add_account(db_session, demo, "GL-00102", "cong.chuc.moi")
    db_session.commit()
    services.mark_item(db_session, account(db_session, "cong.chuc.moi"), slug, "s2-3", True)
    db_session.commit()
    assert services.find_progress(db_session, colleague.id, checklist.id).version.version == 2

    # Going back to version 1 is an error too.
    path.write_text(original, encoding="utf-8")
    assert [e.message for e in content.validate(db_session, tmp_path)] == [
        "version 1 is lower than the imported version 2"
    ]


def test_the_cli_import_reports_file_and_line(web: Any, tmp_path: Path) -> None:
    write(tmp_path, "ck-hong.yaml", BROKEN)
    runner = web.application.test_cli_runner()
    result = runner.invoke(args=["content", "import", str(tmp_path)])
    assert result.exit_code != 0
    assert f"{tmp_path / 'checklists' / 'ck-hong.yaml'}:4: unknown field code khong-co" in result.output
    assert "nothing was imported" in result.output

    result = runner.invoke(args=["content", "import", str(CONTENT)])
    assert result.exit_code == 0, result.output
    assert "checklist ck-lap-du-toan-ngan-sach-xa v1: unchanged" in result.output
