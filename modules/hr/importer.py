"""Bulk import of people from an .xlsx or .csv file (headless: bytes and a Session in,
a summary out; never a request).

The file's first row holds the headers: mã cán bộ, họ và tên, email, ngạch/loại, đơn vị,
vị trí việc làm, lãnh đạo, ngày bắt đầu, matched without regard to case, diacritics or
order. People are matched by staff code: a code not in the system is created, a known
one is updated, and with ``deactivate_missing`` the active people of the units the file
names whose code is absent from the file are deactivated.

Every row is validated before anything is written, and every problem is reported by row
and column (``ImportRefused``); then the changes are written with a handful of set-based
statements in the caller's transaction, one ``PersonCreated`` / ``PersonChanged`` event
per person is recorded (the same rule as ``lms_core.people``) and one audit entry sums
the import up. The caller commits (through a ``UnitOfWork``, which then publishes the
events). Importing the same file again finds every row unchanged and writes nothing.

Planning reads with Core ``select``s, never ORM entities: after the commit every event
handler commits on the same session, and each commit expires every object the session
holds, so 10,000 loaded people would make publishing quadratic.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from lms_core import access, audit
from lms_core.accounts import Account, Role
from lms_core.errors import N_, FieldError, ValidationFailed
from lms_core.events import PersonChanged, PersonCreated, record
from lms_core.people import Category, Person, Position
from lms_core.text import spreadsheet_safe
from lms_core.units import CODE_PATTERN, Unit

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
# An .xlsx is a zip of XML parts; refuse one that inflates beyond this (a zip bomb).
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
# Columns read from an .xlsx row: the file has a dozen, but one cell typed in column XFD
# would make openpyxl hand out every row as 16,384 cells.
MAX_COLUMNS = 64
CHUNK = 500  # rows per IN (…) list and per executemany batch
PREVIEW_LIMIT = 500  # planned changes kept for display

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# (phase, done, total): "reading", "validating", "writing"; the caller adds "publishing".
Progress = Callable[[str, int, int], None]

# The file's columns: field name -> the header shown in the template (a msgid).
HEADERS: dict[str, str] = {
    "staff_code": N_("mã cán bộ"),
    "full_name": N_("họ và tên"),
    "email": N_("email"),
    "category": N_("ngạch/loại"),
    "unit": N_("đơn vị"),
    "position": N_("vị trí việc làm"),
    "is_leader": N_("lãnh đạo"),
    "start_date": N_("ngày bắt đầu"),
}
REQUIRED_COLUMNS = ("staff_code", "full_name", "category", "unit")
# Changes of these fields are what lms_core.people.update_person reports as PersonChanged.
EVENT_FIELDS = ("unit_id", "position_id", "category", "active")
# The person fields an import writes (Person columns), in display order.
WRITTEN_FIELDS = ("full_name", "email", "category", "unit_id", "position_id", "is_leader", "start_date", "active")
COLUMN_OF_FIELD = {"unit_id": "unit", "position_id": "position"}


def fold(text: str) -> str:
    """Lower case, no diacritics, words separated by one space: "Ngạch / Loại" -> "ngach loai"."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn").casefold()
    return " ".join(re.split(r"[^0-9a-z]+", plain)).strip()


# Header spellings accepted for each field, folded (the template's, short forms, English).
_ALIASES: dict[str, tuple[str, ...]] = {
    "staff_code": ("ma can bo", "ma cb", "ma cbccvc", "ma nhan vien", "ma so", "staff code"),
    "full_name": ("ho va ten", "ho ten", "ten", "full name", "name"),
    "email": ("email", "e mail", "thu dien tu", "dia chi email"),
    "category": ("ngach loai", "ngach", "loai", "loai can bo", "category"),
    "unit": ("don vi", "ma don vi", "don vi cong tac", "unit"),
    "position": ("vi tri viec lam", "vi tri", "ma vi tri", "position"),
    "is_leader": ("lanh dao", "la lanh dao", "lanh dao quan ly", "leader", "is leader"),
    "start_date": ("ngay bat dau", "ngay bat dau cong tac", "start date"),
}
HEADER_FIELDS = {alias: name for name, aliases in _ALIASES.items() for alias in aliases}
# Columns spreadsheets often carry that mean nothing to the import (số thứ tự).
SILENT_COLUMNS = {"stt", "so thu tu", "tt", "ghi chu"}

_CATEGORIES = {
    "can bo": Category.CAN_BO,
    "cong chuc": Category.CONG_CHUC,
    "vien chuc": Category.VIEN_CHUC,
}
_TRUE = {"co", "x", "1", "yes", "true", "y"}
_FALSE = {"khong", "0", "no", "false", "n", ""}
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")
_SPACES = re.compile(r"\s+")


# --- results and errors ---------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """A problem in the file: ``row`` is the spreadsheet row (the headers are row 1; None
    for the file as a whole), ``column`` the field name (None: the whole row or file);
    ``message`` a msgid with ``params``."""

    row: int | None
    column: str | None
    message: str
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class ImportRefused(ValidationFailed):
    """The file cannot be imported as it is; nothing was written. ``rows`` lists every
    problem found, by row and column."""

    def __init__(self, rows: list[RowError]) -> None:
        super().__init__([FieldError(f"{e.row or 0}:{e.column or ''}", e.message, e.params) for e in rows[:50]])
        self.message = N_("Tệp không nhập được: %(n)s lỗi. Không có dữ liệu nào được ghi.")
        self.params = {"n": len(rows)}
        self.rows = rows


@dataclass
class Change:
    """One planned change, for the dry run's table: ``action`` is create, update or
    deactivate; ``changes`` maps a field to [old, new] as display strings."""

    action: str
    staff_code: str
    full_name: str
    unit: str
    row: int | None = None
    changes: dict[str, list[Any]] = field(default_factory=dict)


@dataclass
class Summary:
    """What an import did (or, in a dry run, would do)."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    deactivated: int = 0
    unchanged: int = 0
    dry_run: bool = True
    deactivate_missing: bool = False
    ignored_columns: list[str] = field(default_factory=list)
    items: list[Change] = field(default_factory=list)
    # Events the writes recorded (set by ``apply``), for a publishing progress bar.
    events: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "deactivated": self.deactivated,
            "unchanged": self.unchanged,
        }

    def as_dict(self, limit: int | None = None) -> dict[str, Any]:
        items = self.items if limit is None else self.items[:limit]
        return self.counts() | {
            "dry_run": self.dry_run,
            "deactivate_missing": self.deactivate_missing,
            "ignored_columns": self.ignored_columns,
            "items": [asdict(item) for item in items],
            "items_total": len(self.items),
        }


# --- reading the file -----------------------------------------------------------------


@dataclass
class Table:
    """The file's rows: ``columns`` maps a field to its column index; ``rows`` holds
    (spreadsheet row number, cells) for every row that is not blank."""

    format: str
    columns: dict[str, int]
    ignored_columns: list[str]
    rows: list[tuple[int, Sequence[Any]]]


def sniff_format(data: bytes) -> str:
    """ "xlsx" or "csv" by the file's content (never its name); ``ImportRefused`` otherwise."""
    if not data:
        raise ImportRefused([RowError(None, None, N_("Tệp rỗng."))])
    if len(data) > MAX_BYTES:
        raise ImportRefused([RowError(None, None, N_("Tệp lớn hơn %(mb)s MB."), {"mb": MAX_BYTES // (1024 * 1024)})])
    if data.startswith(XLSX_MAGIC):
        return "xlsx"
    if data.startswith(XLS_MAGIC):
        raise ImportRefused(
            [RowError(None, None, N_("Tệp Excel 97-2003 (.xls) không được hỗ trợ; hãy lưu lại dưới dạng .xlsx."))]
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportRefused([RowError(None, None, N_("Tệp phải là .xlsx hoặc .csv mã hóa UTF-8."))]) from None
    if b"\x00" in data:
        raise ImportRefused([RowError(None, None, N_("Tệp phải là .xlsx hoặc .csv mã hóa UTF-8."))])
    return "csv"


def read_table(data: bytes) -> Table:
    """Parse ``data`` (.xlsx: the first worksheet; .csv: UTF-8, with or without a BOM,
    separated by commas, semicolons or tabs) and map its headers to fields."""
    kind = sniff_format(data)
    raw_rows = _xlsx_rows(data) if kind == "xlsx" else _csv_rows(data)
    header: tuple[int, Sequence[Any]] | None = None
    width = 0
    rows: list[tuple[int, Sequence[Any]]] = []
    for number, cells in raw_rows:
        if all(_blank(cell) for cell in cells):
            continue
        if header is None:
            # Cells right of the last header mean nothing: keep each row only that wide.
            width = max((i + 1 for i, cell in enumerate(cells) if not _blank(cell)), default=0)
            header = (number, tuple(cells[:width]))
            continue
        rows.append((number, tuple(cells[:width])))
        if len(rows) > MAX_ROWS:
            raise ImportRefused([RowError(None, None, N_("Tệp có quá %(n)s dòng."), {"n": MAX_ROWS})])
    if header is None:
        raise ImportRefused([RowError(None, None, N_("Tệp không có dòng tiêu đề."))])
    columns, ignored, errors = _map_headers(header)
    if errors:
        raise ImportRefused(errors)
    return Table(kind, columns, ignored, rows)


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, Sequence[Any]]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED_BYTES:
                raise ImportRefused([RowError(None, None, N_("Tệp .xlsx không hợp lệ."))])
        # data_only: a formula cell gives the value Excel computed, as the user sees it.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ImportRefused:
        raise
    except Exception:  # openpyxl raises many kinds on a damaged or foreign file
        raise ImportRefused([RowError(None, None, N_("Tệp .xlsx không hợp lệ."))]) from None
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some writers record a wrong size; read every row there is
        rows: list[tuple[int, Sequence[Any]]] = []
        width = MAX_COLUMNS  # until the header row (the first one not blank) is read
        for number, cells in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
            if number > MAX_ROWS + 1000:  # blank rows cost time even when not kept
                raise ImportRefused([RowError(None, None, N_("Tệp có quá %(n)s dòng."), {"n": MAX_ROWS})])
            if all(_blank(cell) for cell in cells):
                continue
            if not rows:
                width = max(i + 1 for i, cell in enumerate(cells) if not _blank(cell))
            rows.append((number, tuple(cells[:width])))
    except ImportRefused:
        raise
    except Exception:
        raise ImportRefused([RowError(None, None, N_("Tệp .xlsx không hợp lệ."))]) from None
    finally:
        workbook.close()
    return iter(rows)


def _csv_rows(data: bytes) -> Iterator[tuple[int, Sequence[Any]]]:
    text = data.decode("utf-8-sig")
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        # csv counts physical lines, so a quoted cell spanning lines keeps numbers right.
        for cells in reader:
            yield reader.line_num, cells
    except csv.Error:
        raise ImportRefused(
            [RowError(reader.line_num, None, N_("Dòng CSV không đọc được (dấu ngoặc kép không khớp)."))]
        ) from None


def _map_headers(header: tuple[int, Sequence[Any]]) -> tuple[dict[str, int], list[str], list[RowError]]:
    number, cells = header
    columns: dict[str, int] = {}
    ignored: list[str] = []
    errors: list[RowError] = []
    for index, cell in enumerate(cells):
        label = _SPACES.sub(" ", str(cell or "")).strip()
        if not label:
            continue
        name = HEADER_FIELDS.get(fold(label))
        if name is None:
            if fold(label) not in SILENT_COLUMNS:
                ignored.append(label)
        elif name in columns:
            errors.append(RowError(number, name, N_("Cột %(column)s xuất hiện hai lần."), {"column": label}))
        else:
            columns[name] = index
    for name in REQUIRED_COLUMNS:
        if name not in columns:
            errors.append(RowError(number, name, N_("Thiếu cột bắt buộc %(column)s."), {"column": HEADERS[name]}))
    return columns, ignored, errors


# --- cells ----------------------------------------------------------------------------


class CellError(Exception):
    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


def clean_text(value: Any) -> str:
    """A cell as text: NFC, spaces collapsed and stripped; control and invisible format
    characters refused. Text that looks like a formula ("=…") is kept as text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a staff code typed as a number: 12345.0 -> "12345"
    if isinstance(value, datetime | date):
        value = value.isoformat()
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", str(value))).strip()
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") for ch in text):
        raise CellError(N_("Ô chứa ký tự điều khiển hoặc ký tự ẩn."))
    return text


def parse_category(text: str) -> str:
    category = _CATEGORIES.get(fold(text))
    if category is None:
        raise CellError(N_("Ngạch/loại phải là cán bộ, công chức hoặc viên chức."))
    return category.value


def parse_leader(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = fold(clean_text(value))
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(N_("Lãnh đạo phải là có hoặc không (x, 1 hoặc 0)."))


def parse_date(value: Any) -> date | None:
    """dd/mm/yyyy, yyyy-mm-dd or an Excel date (a date cell, or its serial number)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 100_000:  # Excel's 1900 date system, as openpyxl reads it
            return (datetime(1899, 12, 30) + timedelta(days=int(value))).date()
        raise CellError(N_("Ngày %(value)s không hợp lệ; ghi theo dạng dd/mm/yyyy hoặc yyyy-mm-dd."), value=value)
    text = clean_text(value)
    found = _DMY.match(text)
    parts = (found.group(3), found.group(2), found.group(1)) if found else None
    if parts is None and (iso := _ISO.match(text)):
        parts = (iso.group(1), iso.group(2), iso.group(3))
    try:
        if parts is None:
            raise ValueError(text)
        result = date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        raise CellError(
            N_("Ngày %(value)s không hợp lệ; ghi theo dạng dd/mm/yyyy hoặc yyyy-mm-dd."), value=text
        ) from None
    if not 1900 <= result.year <= 2100:
        raise CellError(N_("Ngày %(value)s không hợp lệ; ghi theo dạng dd/mm/yyyy hoặc yyyy-mm-dd."), value=text)
    return result


def parse_email(text: str) -> str | None:
    if not text:
        return None
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise CellError(N_("Địa chỉ email %(value)s không hợp lệ."), value=text) from None


# --- planning -------------------------------------------------------------------------


@dataclass
class _Ref:
    id: int
    code: str
    name: str
    active: bool = True


class _Directory:
    """Units or positions by code (case-insensitive) and by exact name (case-insensitive)."""

    def __init__(self, refs: Iterable[_Ref]) -> None:
        self.by_id: dict[int, _Ref] = {}
        self.by_code: dict[str, _Ref] = {}
        self.by_name: dict[str, list[_Ref]] = defaultdict(list)
        for ref in refs:
            self.by_id[ref.id] = ref
            self.by_code[ref.code.casefold()] = ref
            self.by_name[_SPACES.sub(" ", unicodedata.normalize("NFC", ref.name)).strip().casefold()].append(ref)

    def find(self, text: str) -> _Ref | None | list[_Ref]:
        """The one match; None when nothing matches; the matches when a name is ambiguous.
        A name matches the active ones first: an inactive ref is returned (for the caller
        to refuse by name) only when no active one has that name."""
        ref = self.by_code.get(text.casefold())
        if ref is not None:
            return ref
        named = self.by_name.get(text.casefold(), [])
        active = [ref for ref in named if ref.active]
        if active:
            return active[0] if len(active) == 1 else active
        return named[0] if len(named) == 1 else (named or None)


@dataclass
class Plan:
    """Validated rows turned into writes. ``creates`` and ``updates`` hold Person column
    values (updates with ``id``); ``events`` the fields whose change raises PersonChanged."""

    summary: Summary
    creates: list[dict[str, Any]] = field(default_factory=list)
    # (values with the id, the unit before, whether the change raises PersonChanged)
    updates: list[tuple[dict[str, Any], int, bool]] = field(default_factory=list)
    deactivations: list[tuple[int, int]] = field(default_factory=list)  # (person id, unit id)
    changed_codes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def write_count(self) -> int:
        """How many people writing the plan creates, updates or deactivates."""
        return len(self.creates) + len(self.updates) + len(self.deactivations)

    def event_count(self) -> int:
        """How many events writing the plan records (for the publishing progress)."""
        return len(self.creates) + sum(1 for *_rest, raises in self.updates if raises) + len(self.deactivations)


def _ignore_progress(_phase: str, _done: int, _total: int) -> None:
    return None


def plan(
    session: Session,
    account: Account,
    table: Table,
    *,
    deactivate_missing: bool = False,
    progress: Progress | None = None,
) -> Plan:
    """Validate every row of ``table`` and work out the writes; raise ``ImportRefused``
    listing every problem. Reads only."""
    report = progress or _ignore_progress
    scope = {row.id for row in session.execute(select(Unit.id).where(access.scope_filter(account, Role.HR)))}
    # Every unit and position, active or not: a person's current (perhaps closed) unit is
    # displayed by code; a row naming an inactive one is refused by ``_unit_id``.
    units = _Directory(
        _Ref(r.id, r.code, r.name, r.active)
        for r in session.execute(select(Unit.id, Unit.code, Unit.name, Unit.active))
    )
    positions = _Directory(
        _Ref(r.id, r.code, r.name, r.active)
        for r in session.execute(select(Position.id, Position.code, Position.name, Position.active))
    )
    errors: list[RowError] = []
    parsed: list[tuple[int, dict[str, Any]]] = []
    first_row_of: dict[str, int] = {}
    total = len(table.rows)
    for done, (number, cells) in enumerate(table.rows, start=1):
        values, row_errors = _parse_row(number, cells, table.columns, units, positions, scope)
        code = values.get("staff_code")
        if code:
            if code in first_row_of:
                row_errors.append(
                    RowError(
                        number,
                        "staff_code",
                        N_("Mã cán bộ %(code)s trùng với dòng %(row)s."),
                        {"code": code, "row": first_row_of[code]},
                    )
                )
            else:
                first_row_of[code] = number
        errors.extend(row_errors)
        parsed.append((number, values))
        if done % CHUNK == 0 or done == total:
            report("validating", done, total)

    existing = _existing_people(session, list(first_row_of))
    for number, values in parsed:
        code = values.get("staff_code", "")
        person = existing.get(code)
        if person is not None and person["unit_id"] not in scope and first_row_of[code] == number:
            errors.append(
                RowError(
                    number,
                    "staff_code",
                    N_("Cán bộ %(code)s thuộc đơn vị ngoài phạm vi bạn quản lý."),
                    {"code": values["staff_code"]},
                )
            )
    if errors:
        raise ImportRefused(sorted(errors, key=lambda e: (e.row or 0, list(HEADERS).index(e.column or "staff_code"))))

    result = Plan(
        Summary(rows=len(parsed), deactivate_missing=deactivate_missing, ignored_columns=table.ignored_columns)
    )
    summary = result.summary
    for number, values in parsed:
        person = existing.get(values["staff_code"])
        if person is None:
            row = {key: values.get(key, default) for key, default in _DEFAULTS.items()}
            row["staff_code"] = values["staff_code"]
            result.creates.append(row)
            summary.created += 1
            result.changed_codes["created"].append(row["staff_code"])
            _preview(
                summary, Change("create", row["staff_code"], row["full_name"], units.by_id[row["unit_id"]].code, number)
            )
            continue
        wanted = {key: values[key] for key in WRITTEN_FIELDS if key in values} | {"active": True}
        changes = {key: [person[key], new] for key, new in wanted.items() if person[key] != new}
        if not changes:
            summary.unchanged += 1
            continue
        merged = {key: person[key] for key in WRITTEN_FIELDS} | wanted | {"id": person["id"]}
        raises_event = any(key in changes for key in EVENT_FIELDS)
        result.updates.append((merged, person["unit_id"], raises_event))
        summary.updated += 1
        result.changed_codes["updated"].append(values["staff_code"])
        _preview(
            summary,
            Change(
                "update",
                values["staff_code"],
                merged["full_name"],
                units.by_id[merged["unit_id"]].code,
                number,
                {
                    _display_key(k): [_display(k, old, units, positions), _display(k, new, units, positions)]
                    for k, (old, new) in changes.items()
                },
            ),
        )

    if deactivate_missing:
        covered = {values["unit_id"] for _number, values in parsed}
        for person in _active_people_of(session, covered):
            if person.staff_code not in first_row_of:
                result.deactivations.append((person.id, person.unit_id))
                summary.deactivated += 1
                result.changed_codes["deactivated"].append(person.staff_code)
                _preview(
                    summary,
                    Change("deactivate", person.staff_code, person.full_name, units.by_id[person.unit_id].code),
                )
    return result


_DEFAULTS: dict[str, Any] = {
    "full_name": "",
    "email": None,
    "category": "",
    "unit_id": None,
    "position_id": None,
    "is_leader": False,
    "start_date": None,
    "active": True,
}


def _preview(summary: Summary, change: Change) -> None:
    if len(summary.items) < PREVIEW_LIMIT:
        summary.items.append(change)


def _display_key(key: str) -> str:
    return COLUMN_OF_FIELD.get(key, key)


def _display(key: str, value: Any, units: _Directory, positions: _Directory) -> Any:
    if value is None:
        return None
    if key == "unit_id":
        return units.by_id[value].code
    if key == "position_id":
        return positions.by_id[value].code
    if isinstance(value, date):
        return value.isoformat()
    return value


def _parse_row(
    number: int,
    cells: Sequence[Any],
    columns: dict[str, int],
    units: _Directory,
    positions: _Directory,
    scope: set[int],
) -> tuple[dict[str, Any], list[RowError]]:
    """One row's cells as Person values (only the columns the file has), and its errors."""
    values: dict[str, Any] = {}
    errors: list[RowError] = []

    def cell(name: str) -> Any:
        index = columns[name]
        return cells[index] if index < len(cells) else None

    for name in columns:
        try:
            raw = cell(name)
            if name == "start_date":
                values["start_date"] = parse_date(raw)
                continue
            if name == "is_leader":
                values["is_leader"] = parse_leader(raw)
                continue
            text = clean_text(raw)
            if name == "staff_code":
                if not text:
                    raise CellError(N_("Mã cán bộ không được để trống."))
                if not CODE_PATTERN.match(text):
                    raise CellError(N_("Mã cán bộ chỉ gồm chữ không dấu, số, dấu gạch; tối đa 40 ký tự."))
                values["staff_code"] = text
            elif name == "full_name":
                if not text:
                    raise CellError(N_("Họ và tên không được để trống."))
                if len(text) > 200:
                    raise CellError(N_("Họ và tên dài quá %(n)s ký tự."), n=200)
                values["full_name"] = text
            elif name == "email":
                values["email"] = parse_email(text)
            elif name == "category":
                values["category"] = parse_category(text)
            elif name == "unit":
                values["unit_id"] = _unit_id(text, units, scope)
            elif name == "position":
                values["position_id"] = _position_id(text, positions)
        except CellError as exc:
            errors.append(RowError(number, name, exc.message, exc.params))
    return values, errors


def _unit_id(text: str, units: _Directory, scope: set[int]) -> int:
    if not text:
        raise CellError(N_("Đơn vị không được để trống."))
    found = units.find(text)
    if isinstance(found, list):
        raise CellError(N_("Có nhiều đơn vị tên %(value)s; hãy ghi mã đơn vị."), value=text)
    if found is None:
        raise CellError(N_("Không có đơn vị %(value)s."), value=text)
    if not found.active:
        raise CellError(N_("Đơn vị %(value)s đã ngừng hoạt động."), value=text)
    if found.id not in scope:
        raise CellError(N_("Đơn vị %(value)s nằm ngoài phạm vi bạn quản lý."), value=text)
    return found.id


def _position_id(text: str, positions: _Directory) -> int | None:
    if not text:
        return None
    found = positions.find(text)
    if isinstance(found, list):
        raise CellError(N_("Có nhiều vị trí việc làm tên %(value)s; hãy ghi mã vị trí."), value=text)
    if found is None:
        raise CellError(N_("Không có vị trí việc làm %(value)s."), value=text)
    if not found.active:
        raise CellError(N_("Vị trí việc làm %(value)s đã ngừng sử dụng."), value=text)
    return found.id


_PERSON_COLUMNS = [Person.id, Person.staff_code, *(getattr(Person, key) for key in WRITTEN_FIELDS)]


def _existing_people(session: Session, codes: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(codes), CHUNK):
        chunk = codes[start : start + CHUNK]
        for row in session.execute(select(*_PERSON_COLUMNS).where(Person.staff_code.in_(chunk))):
            found[row.staff_code] = dict(row._mapping)
    return found


def _active_people_of(session: Session, unit_ids: set[int]) -> list[Any]:
    ids = sorted(unit_ids)
    rows: list[Any] = []
    for start in range(0, len(ids), CHUNK):
        rows.extend(
            session.execute(
                select(Person.id, Person.staff_code, Person.full_name, Person.unit_id)
                .where(Person.unit_id.in_(ids[start : start + CHUNK]), Person.active.is_(True))
                .order_by(Person.staff_code)
            )
        )
    return rows


# --- writing --------------------------------------------------------------------------


def apply(
    session: Session,
    account: Account,
    plan_: Plan,
    *,
    digest: str,
    filename: str,
    progress: Progress | None = None,
) -> Summary:
    """Write ``plan_`` in the caller's transaction, record one event per person whose
    creation or change the modules must see, and one audit entry. Caller commits."""
    report = progress or _ignore_progress
    total = plan_.write_count()
    done = 0
    report("writing", done, total)
    for start in range(0, len(plan_.creates), CHUNK):
        batch = plan_.creates[start : start + CHUNK]
        created = session.execute(insert(Person).returning(Person.id, Person.unit_id), batch).all()
        for row in created:
            record(session, PersonCreated(row.id, row.unit_id))
        done += len(batch)
        report("writing", done, total)
    for start in range(0, len(plan_.updates), CHUNK):
        batch = plan_.updates[start : start + CHUNK]
        session.execute(update(Person), [values for values, _unit, _event in batch])
        for values, old_unit_id, raises_event in batch:
            if raises_event:
                record(session, PersonChanged(values["id"], values["unit_id"], old_unit_id))
        done += len(batch)
        report("writing", done, total)
    for start in range(0, len(plan_.deactivations), CHUNK):
        batch_ids = plan_.deactivations[start : start + CHUNK]
        session.execute(
            update(Person).where(Person.id.in_([pid for pid, _unit in batch_ids])).values(active=False),
            execution_options={"synchronize_session": False},
        )
        for person_id, unit_id in batch_ids:
            record(session, PersonChanged(person_id, unit_id, unit_id))
        done += len(batch_ids)
        report("writing", done, total)
    # Someone in this session (the importing HR's own person, say) may be stale now.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Person):
            session.expire(obj)
    summary = plan_.summary
    summary.dry_run = False
    summary.events = plan_.event_count()
    audit.log(
        session,
        account_id=account.id,
        action="people.imported",
        target_type="people_import",
        target_id=digest,
        data={"filename": filename, "deactivate_missing": summary.deactivate_missing}
        | summary.counts()
        | {f"{key}_codes": codes for key, codes in plan_.changed_codes.items()},
    )
    return summary


def release(session: Session) -> None:
    """Flush, then let the session forget every object it holds, before committing an
    import. The unit of work publishes each event on this session and every module's
    handler commits; each commit expires every object in the session, so even a hundred
    loaded objects (the demo seed, a request's account and units) cost seconds over
    10,000 events. The rows stay written; the objects are simply detached."""
    session.flush()
    session.expunge_all()


def clean_filename(name: str) -> str:
    """The uploaded file's name for display: its last path part, without control characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")[:255]


def file_digest(data: bytes) -> str:
    """The file's identity in the audit log (the first 16 hex digits of its SHA-256)."""
    return hashlib.sha256(data).hexdigest()[:16]


def import_people(
    session: Session,
    account: Account,
    data: bytes,
    *,
    filename: str = "",
    dry_run: bool = True,
    deactivate_missing: bool = False,
    progress: Progress | None = None,
) -> Summary:
    """Read, validate and (unless ``dry_run``) write the people in ``data``; raise
    ``ImportRefused`` when any row is wrong. The caller commits (a dry run writes nothing)."""
    report = progress or _ignore_progress
    report("reading", 0, 1)
    table = read_table(data)
    report("reading", 1, 1)
    planned = plan(session, account, table, deactivate_missing=deactivate_missing, progress=report)
    if dry_run:
        return planned.summary
    return apply(session, account, planned, digest=file_digest(data), filename=filename, progress=report)


# --- the template ---------------------------------------------------------------------


def template_headers(translate: Callable[[str], str]) -> list[str]:
    return [translate(label) for label in HEADERS.values()]


def template_csv(translate: Callable[[str], str]) -> bytes:
    """The headers as a UTF-8 CSV with a BOM (so Excel opens the Vietnamese right)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(template_headers(translate))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx(
    translate: Callable[[str], str], units: Sequence[tuple[str, str]], positions: Sequence[tuple[str, str]]
) -> bytes:
    """A workbook whose first sheet has the headers; a second sheet explains the values
    and lists the codes of ``units`` (those the HR manages) and ``positions``."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = translate(N_("Cán bộ"))
    sheet.append(template_headers(translate))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEFGH", (14, 28, 28, 14, 18, 18, 10, 14), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    guide = workbook.create_sheet(translate(N_("Hướng dẫn")))
    lines = [
        (
            translate(N_("mã cán bộ")),
            translate(N_("Bắt buộc; chữ không dấu, số, dấu gạch. Cán bộ trùng mã được cập nhật.")),
        ),
        (translate(N_("họ và tên")), translate(N_("Bắt buộc."))),
        (translate(N_("ngạch/loại")), translate(N_("Bắt buộc: cán bộ, công chức hoặc viên chức."))),
        (translate(N_("đơn vị")), translate(N_("Bắt buộc: mã đơn vị (xem bên dưới) hoặc tên đúng của đơn vị."))),
        (translate(N_("vị trí việc làm")), translate(N_("Mã hoặc tên đúng của vị trí việc làm; có thể để trống."))),
        (translate(N_("lãnh đạo")), translate(N_("có hoặc không (x, 1 hoặc 0)."))),
        (translate(N_("ngày bắt đầu")), translate(N_("dd/mm/yyyy, yyyy-mm-dd hoặc ô ngày của Excel."))),
    ]
    for line in lines:
        guide.append(line)
    guide.append(())
    guide.append((translate(N_("Mã đơn vị")), translate(N_("Tên đơn vị"))))
    for code, name in units:
        guide.append((spreadsheet_safe(code), spreadsheet_safe(name)))
    guide.append(())
    guide.append((translate(N_("Mã vị trí")), translate(N_("Tên vị trí việc làm"))))
    for code, name in positions:
        guide.append((spreadsheet_safe(code), spreadsheet_safe(name)))
    guide.column_dimensions["A"].width = 22
    guide.column_dimensions["B"].width = 80
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
