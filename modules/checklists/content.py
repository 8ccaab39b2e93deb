"""Checklist content import: ``content/checklists/<slug>.yaml`` (format in content/README.md).

``validate`` reads every file and reports every problem with its file and line, writing
nothing; ``apply`` imports what changed. A checklist whose file (as parsed) hashes
differently from the imported version must carry a higher ``version``; each new version
becomes a new ``ChecklistVersion`` with its sections and items, and progress started on an
older version stays on it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lms_core.catalog import ActivityType, CurriculumItem, activity_iri, set_curriculum_item, upsert_activity
from lms_core.content import ContentError, LineOf, load_yaml
from lms_core.people import Field, Position
from modules.checklists.models import EVIDENCE_KINDS, SIGN_OFF_KINDS, Checklist, ChecklistVersion, Item, Section

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
SLUG_MAX = 100
TITLE_MAX = 300
PERIODS = range(1, 9)
SECTION_COUNT = range(2, 5)
ITEM_COUNT = range(6, 15)
KEYS_REQUIRED = ("id", "title", "description", "field", "periods", "version", "positions", "sections")
KEYS_OPTIONAL = ("sample", "language")
SECTION_KEYS = ("id", "title", "items")
ITEM_KEYS = ("id", "text", "evidence", "sign_off")
# Page paths under /checklists/ that a checklist slug must not shadow.
RESERVED_SLUGS = {"hr", "mentor", "people", "evidence", "assignments", "static"}


@dataclass(frozen=True)
class ItemFile:
    key: str
    text: str
    evidence: str
    sign_off: str


@dataclass(frozen=True)
class SectionFile:
    key: str
    title: str
    items: list[ItemFile]


@dataclass
class ChecklistFile:
    """One checklist file as read from disk, with the problems found in it."""

    slug: str
    path: Path
    line_of: LineOf | None = None
    title: str = ""
    description: str = ""
    field_code: str = ""
    periods: int = 0
    version: int = 0
    required: list[str] = field(default_factory=list)
    elective: list[str] = field(default_factory=list)
    sections: list[SectionFile] = field(default_factory=list)
    content_hash: str = ""
    errors: list[ContentError] = field(default_factory=list)

    def error(self, line: int, message: str) -> None:
        self.errors.append(ContentError(self.path, line, message))

    def line(self, *keys: Any) -> int:
        return self.line_of(*keys) if self.line_of else 0


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(file: ChecklistFile, value: Any, keys: tuple[Any, ...], name: str, max_length: int | None = None) -> str:
    if not isinstance(value, str) or not value.strip():
        file.error(file.line(*keys), f"{name} must be a non-empty text")
        return ""
    value = " ".join(value.split())
    if max_length and len(value) > max_length:
        file.error(file.line(*keys), f"{name} is longer than {max_length} characters")
    return value


def _load(file: ChecklistFile) -> tuple[Any, LineOf] | None:
    """``load_yaml`` once the file is known to be UTF-8 YAML, else None with the error recorded
    (``lms_core.content.ContentError`` is not an exception class, so ``load_yaml`` cannot
    raise it; bad files are caught here first)."""
    raw = file.path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        file.error(raw[: exc.start].count(b"\n") + 1, f"not UTF-8 text ({exc.reason})")
        return None
    try:
        yaml.compose(text, Loader=yaml.SafeLoader)
        yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        file.error(mark.line + 1 if mark else 0, f"invalid YAML: {getattr(exc, 'problem', None) or exc}")
        return None
    return load_yaml(file.path)


def _positions(file: ChecklistFile, data: dict[str, Any], known: set[str]) -> None:
    positions = data.get("positions")
    if not isinstance(positions, dict):
        file.error(file.line("positions"), "positions must be a mapping with required and elective lists")
        return
    for key in positions:
        if key not in ("required", "elective"):
            file.error(file.line("positions", key), f"unknown key {key!r} in positions (required, elective)")
    lists: dict[str, list[str]] = {}
    for key in ("required", "elective"):
        codes = positions.get(key) or []
        if not isinstance(codes, list):
            file.error(file.line("positions", key), f"positions.{key} must be a list of position codes")
            codes = []
        clean: list[str] = []
        for index, code in enumerate(codes):
            line = file.line("positions", key, index)
            if not isinstance(code, str):
                file.error(line, f"position code {code!r} must be a text")
            elif code not in known:
                file.error(line, f"unknown position code {code} (positions must exist in HocVu before import)")
            elif code in clean:
                file.error(line, f"position code {code} is listed twice in positions.{key}")
            else:
                clean.append(code)
        lists[key] = clean
    for code in sorted(set(lists["required"]) & set(lists["elective"])):
        file.error(
            file.line("positions", "elective", lists["elective"].index(code)),
            f"position {code} is both required and elective",
        )
    file.required, file.elective = lists["required"], lists["elective"]


def _item(file: ChecklistFile, entry: Any, keys: tuple[Any, ...], seen: set[str]) -> ItemFile | None:
    if not isinstance(entry, dict):
        file.error(file.line(*keys), "each item must be a mapping with id, text, evidence and sign_off")
        return None
    for key in entry:
        if key not in ITEM_KEYS:
            file.error(file.line(*keys, key), f"unknown item key {key!r} (id, text, evidence, sign_off)")
    for key in ITEM_KEYS:
        if key not in entry:
            file.error(file.line(*keys), f"item key {key!r} is missing")
    item_id = entry.get("id")
    ok = True
    if "id" in entry:
        if not isinstance(item_id, str) or not KEY_PATTERN.match(item_id):
            file.error(file.line(*keys, "id"), f"item id {item_id!r} must use only a-z, 0-9 and '-'")
            ok = False
        elif item_id in seen:
            file.error(file.line(*keys, "id"), f"duplicate id {item_id!r}: section and item ids are unique in a file")
            ok = False
        else:
            seen.add(item_id)
    text = _text(file, entry.get("text"), (*keys, "text"), "item text") if "text" in entry else ""
    evidence = entry.get("evidence")
    if "evidence" in entry and evidence not in EVIDENCE_KINDS:
        file.error(
            file.line(*keys, "evidence"), f"evidence must be one of {', '.join(EVIDENCE_KINDS)}, not {evidence!r}"
        )
        ok = False
    sign_off = entry.get("sign_off")
    if "sign_off" in entry and sign_off not in SIGN_OFF_KINDS:
        file.error(file.line(*keys, "sign_off"), f"sign_off must be mentor or self, not {sign_off!r}")
        ok = False
    if not ok or not text or not all(key in entry for key in ITEM_KEYS):
        return None
    return ItemFile(str(item_id), text, str(evidence), str(sign_off))


def _sections(file: ChecklistFile, data: dict[str, Any]) -> None:
    sections = data.get("sections")
    if not isinstance(sections, list) or len(sections) not in SECTION_COUNT:
        count = len(sections) if isinstance(sections, list) else "no"
        file.error(file.line("sections"), f"a checklist has 2 to 4 sections, this one has {count}")
    if not isinstance(sections, list):
        return
    seen: set[str] = set()
    total = 0
    for index, entry in enumerate(sections):
        keys: tuple[Any, ...] = ("sections", index)
        if not isinstance(entry, dict):
            file.error(file.line(*keys), "each section must be a mapping with id, title and items")
            continue
        for key in entry:
            if key not in SECTION_KEYS:
                file.error(file.line(*keys, key), f"unknown section key {key!r} (id, title, items)")
        section_id = entry.get("id")
        if not isinstance(section_id, str) or not KEY_PATTERN.match(section_id):
            file.error(file.line(*keys, "id"), f"section id {section_id!r} must use only a-z, 0-9 and '-'")
        elif section_id in seen:
            file.error(
                file.line(*keys, "id"), f"duplicate id {section_id!r}: section and item ids are unique in a file"
            )
        else:
            seen.add(section_id)
        title = _text(file, entry.get("title"), (*keys, "title"), "section title", TITLE_MAX)
        items = entry.get("items")
        if not isinstance(items, list) or not items:
            file.error(file.line(*keys, "items"), "a section must list at least one item")
            items = []
        parsed = [_item(file, item, (*keys, "items", n), seen) for n, item in enumerate(items)]
        total += len(items)
        file.sections.append(SectionFile(str(section_id), title, [item for item in parsed if item is not None]))
    if total not in ITEM_COUNT:
        file.error(file.line("sections"), f"a checklist has 6 to 14 items in all, this one has {total}")
    if not any(item.sign_off == "mentor" for section in file.sections for item in section.items):
        file.error(file.line("sections"), "at least one item must be signed off by a mentor (sign_off: mentor)")


def content_hash(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")).hexdigest()


def read_checklist(session: Session, path: Path, fields: set[str], positions: set[str]) -> ChecklistFile:
    """Read and check one checklist file; ``errors`` lists what is wrong with it."""
    file = ChecklistFile(slug=path.stem, path=path)
    if not SLUG_PATTERN.match(path.stem) or len(path.stem) > SLUG_MAX:
        file.error(0, f"file name {path.name!r} must use only a-z, 0-9 and '-' (at most {SLUG_MAX})")
    elif path.stem in RESERVED_SLUGS:
        file.error(0, f"{path.stem!r} is reserved for HocVu's pages; choose another checklist id")
    loaded = _load(file)
    if loaded is None:
        return file
    data, file.line_of = loaded
    if not isinstance(data, dict):
        file.error(1, "a checklist file must be a mapping (id, title, description, …)")
        return file
    for key in KEYS_REQUIRED:
        if key not in data:
            file.error(1, f"required key {key!r} is missing")
    for key in data:
        if key not in KEYS_REQUIRED + KEYS_OPTIONAL:
            file.error(file.line(key), f"unknown key {key!r}")
    if "id" in data and data["id"] != path.stem:
        file.error(file.line("id"), f"id {data['id']!r} must equal the file name {path.stem!r}")
    file.title = _text(file, data.get("title"), ("title",), "title", TITLE_MAX) if "title" in data else ""
    file.description = (
        _text(file, data.get("description"), ("description",), "description") if "description" in data else ""
    )
    if "field" in data:
        code = data["field"]
        if not isinstance(code, str) or code not in fields:
            file.error(file.line("field"), f"unknown field code {code} (fields must exist in HocVu before import)")
        else:
            file.field_code = code
    if "periods" in data:
        periods = data["periods"]
        if not _is_int(periods) or periods not in PERIODS:
            file.error(file.line("periods"), f"periods must be a whole number from 1 to 8, not {periods!r}")
        else:
            file.periods = periods
    if "version" in data:
        version = data["version"]
        if not _is_int(version) or version < 1:
            file.error(file.line("version"), f"version must be a whole number from 1, not {version!r}")
        else:
            file.version = version
    if "sample" in data and not isinstance(data["sample"], bool):
        file.error(file.line("sample"), "sample must be true or false")
    if "language" in data and data["language"] != "vi":
        file.error(file.line("language"), "language must be vi")
    if "positions" in data:
        _positions(file, data, positions)
    if "sections" in data:
        _sections(file, data)
    if file.errors:
        return file
    file.content_hash = content_hash(data)
    _check_version(session, file)
    return file


def _check_version(session: Session, file: ChecklistFile) -> None:
    """A changed checklist must carry a higher version than the one imported."""
    stored = session.execute(
        select(Checklist.current_version, ChecklistVersion.content_hash)
        .join(
            ChecklistVersion,
            (ChecklistVersion.checklist_id == Checklist.id) & (ChecklistVersion.version == Checklist.current_version),
        )
        .where(Checklist.slug == file.slug)
    ).first()
    if stored is None:
        return
    current, stored_hash = stored
    line = file.line("version")
    if file.version < current:
        file.error(line, f"version {file.version} is lower than the imported version {current}")
    elif file.version == current and file.content_hash != stored_hash:
        file.error(
            line, f"the checklist changed since version {current} was imported: increase version to {current + 1}"
        )


def read_checklists(session: Session, root: Path) -> list[ChecklistFile]:
    folder = root / "checklists"
    if not folder.is_dir():
        return []
    fields = set(session.scalars(select(Field.code)))
    positions = set(session.scalars(select(Position.code)))
    files = [read_checklist(session, path, fields, positions) for path in sorted(folder.glob("*.yaml"))]
    for stray in sorted(folder.glob("*.yml")):
        wrong = ChecklistFile(slug=stray.stem, path=stray)
        wrong.error(0, "checklist files end in .yaml (rename this .yml file)")
        files.append(wrong)
    return files


def validate(session: Session, root: Path) -> list[ContentError]:
    """Every problem in ``root/checklists``; writes nothing."""
    return [error for file in read_checklists(session, root) for error in file.errors]


def apply(session: Session, root: Path, site_url: str) -> list[str]:
    """Import new and changed checklists (validated first); one summary line per checklist."""
    files = read_checklists(session, root)
    errors = [error for file in files for error in file.errors]
    if errors:
        raise ValueError("checklist content has errors; validate before applying: " + "; ".join(map(str, errors[:5])))
    return [_apply(session, file, site_url) for file in files]


def _apply(session: Session, file: ChecklistFile, site_url: str) -> str:
    checklist = session.scalar(select(Checklist).where(Checklist.slug == file.slug))
    previous: ChecklistVersion | None = None
    if checklist is not None:
        previous = session.scalar(
            select(ChecklistVersion).where(
                ChecklistVersion.checklist_id == checklist.id, ChecklistVersion.version == checklist.current_version
            )
        )
        if previous is not None and previous.version == file.version and previous.content_hash == file.content_hash:
            return f"checklist {file.slug} v{file.version}: unchanged"

    activity = upsert_activity(
        session,
        iri=activity_iri(site_url, ActivityType.CHECKLIST, file.slug),
        type=ActivityType.CHECKLIST,
        title=file.title,
        description=file.description,
        field_code=file.field_code,
        periods=file.periods,
        version=file.version,
        module="checklists",
    )
    if checklist is None:
        checklist = Checklist(
            slug=file.slug, activity=activity, site_url=site_url.rstrip("/"), current_version=file.version
        )
        session.add(checklist)
        session.flush()
    version = ChecklistVersion(
        checklist=checklist,
        version=file.version,
        content_hash=file.content_hash,
        title=file.title,
        description=file.description,
        field_code=file.field_code,
        periods=file.periods,
        required_positions=list(file.required),
        elective_positions=list(file.elective),
    )
    session.add(version)
    position = 0
    for section_position, section_file in enumerate(file.sections, start=1):
        section = Section(version=version, key=section_file.key, position=section_position, title=section_file.title)
        session.add(section)
        for item_file in section_file.items:
            position += 1
            session.add(
                Item(
                    section=section,
                    version=version,
                    key=item_file.key,
                    position=position,
                    text=item_file.text,
                    evidence=item_file.evidence,
                    sign_off=item_file.sign_off,
                )
            )
    checklist.current_version = file.version

    codes = [*file.required, *file.elective]
    by_code = {p.code: p for p in session.scalars(select(Position).where(Position.code.in_(codes)))}
    for code in file.required:
        set_curriculum_item(session, by_code[code], activity, required=True)
    for code in file.elective:
        set_curriculum_item(session, by_code[code], activity, required=False)
    if previous is not None:
        # Positions the previous version listed and this one does not are withdrawn;
        # curriculum items HR added by hand for other positions stay.
        withdrawn = (set(previous.required_positions) | set(previous.elective_positions)) - set(codes)
        if withdrawn:
            session.execute(
                delete(CurriculumItem).where(
                    CurriculumItem.activity_id == activity.id,
                    CurriculumItem.position_id.in_(select(Position.id).where(Position.code.in_(withdrawn))),
                )
            )
    session.flush()
    if previous is None:
        return f"checklist {file.slug} v{file.version}: created"
    return f"checklist {file.slug} v{file.version}: updated from v{previous.version}"
