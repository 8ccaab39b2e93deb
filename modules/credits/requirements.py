"""Annual requirements: HR's rules per year, which one applies to a person, and why.

A rule sets ``periods`` for the people matching every condition it sets (category,
position, unit and its subtree, leader status). The most specific matching rule wins:
more conditions first, then the deeper unit; a remaining tie goes to the rule created
first, and the explanation says so. With no matching rule the default applies
(``DEFAULT_REQUIRED_PERIODS`` in the app config, else 40). A ``pro_rata`` rule asks
people who start during the year for ``periods × remaining months / 12``, rounded up,
counting the month they start in.

Services take the acting HR account and check its scope: a rule with a unit belongs to
whoever is HR over that unit; a rule for the whole province (no unit) to HR of a
top-level unit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from lms_core import access, audit
from lms_core.accounts import Account, Role
from lms_core.catalog import ActivityType
from lms_core.errors import N_, FieldError, NotFound, PermissionDenied, ValidationFailed
from lms_core.people import CATEGORY_LABELS, Category, Field, Person, Position
from lms_core.units import Unit, ancestor_paths, subtree_filter
from modules.credits.models import RequirementRule, RuleCap, YearClosing

DEFAULT_PERIODS = 40
ONLINE_TYPES = frozenset({ActivityType.COURSE.value, ActivityType.QUIZ.value, ActivityType.PACKAGE.value})
CAP_KINDS = ("online", "field", "type")
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_PERIODS = 10_000

Translate = Callable[[str], str]


def identity(message: str) -> str:
    return message


# --- which rule applies ---------------------------------------------------------------


def conditions(rule: RequirementRule) -> int:
    return sum(value is not None for value in (rule.category, rule.position_id, rule.unit_id, rule.is_leader))


def unit_depth(rule: RequirementRule) -> int:
    return rule.unit.path.count("/") - 1 if rule.unit is not None else 0


def specificity(rule: RequirementRule) -> tuple[int, int]:
    """How specific a rule is: (number of conditions, depth of its unit)."""
    return conditions(rule), unit_depth(rule)


def matches(rule: RequirementRule, person: Person) -> bool:
    if rule.category is not None and rule.category != person.category:
        return False
    if rule.position_id is not None and rule.position_id != person.position_id:
        return False
    if rule.is_leader is not None and rule.is_leader != person.is_leader:
        return False
    return rule.unit is None or person.unit.path.startswith(rule.unit.path)


def remaining_months(start: date | None, year: int) -> int | None:
    """Months of ``year`` from the month ``start`` falls in (None: not a start in that year)."""
    if start is None or start.year < year:
        return None
    if start.year > year:
        return 0
    return 13 - start.month


@dataclass
class Requirement:
    """What ``person`` must complete in ``year``, from which rule, and why."""

    year: int
    periods: int
    rule: RequirementRule | None
    base_periods: int
    months: int | None = None
    start_date: date | None = None
    tied_with: list[RequirementRule] = field(default_factory=list)

    @property
    def caps(self) -> list[RuleCap]:
        return list(self.rule.caps) if self.rule is not None else []

    def explanation(self, translate: Translate = identity) -> str:
        if self.rule is None:
            return translate(N_("%(periods)s tiết: mức mặc định (năm %(year)s không có quy định nào áp dụng)")) % {
                "periods": self.periods,
                "year": self.year,
            }
        text = translate(N_("%(periods)s tiết: quy định '%(name)s'")) % {
            "periods": self.periods,
            "name": self.rule.name,
        }
        if self.months is not None and self.start_date is not None:
            text += translate(
                N_(" (%(base)s tiết × %(months)s/12 tháng kể từ ngày bắt đầu %(start)s, làm tròn lên)")
            ) % {"base": self.base_periods, "months": self.months, "start": self.start_date.strftime("%d/%m/%Y")}
        if self.tied_with:
            names = ", ".join(f"'{rule.name}'" for rule in self.tied_with)
            text += translate(N_("; cùng mức cụ thể với %(others)s nên áp dụng quy định được tạo trước")) % {
                "others": names
            }
        return text


def rules_for_year(session: Session, year: int) -> Sequence[RequirementRule]:
    return session.scalars(
        select(RequirementRule)
        .where(RequirementRule.year == year)
        .options(selectinload(RequirementRule.unit), selectinload(RequirementRule.position))
        .order_by(RequirementRule.id)
    ).all()


def choose_rule(
    rules: Sequence[RequirementRule], person: Person
) -> tuple[RequirementRule | None, list[RequirementRule]]:
    """The winning rule for ``person`` among ``rules`` and the rules it tied with."""
    matching = [rule for rule in rules if matches(rule, person)]
    if not matching:
        return None, []
    best = max(specificity(rule) for rule in matching)
    tied = sorted((rule for rule in matching if specificity(rule) == best), key=lambda rule: rule.id)
    return tied[0], tied[1:]


def requirement_for(
    session: Session,
    person: Person,
    year: int,
    *,
    default_periods: int = DEFAULT_PERIODS,
    rules: Sequence[RequirementRule] | None = None,
) -> Requirement:
    rule, tied = choose_rule(rules if rules is not None else rules_for_year(session, year), person)
    if rule is None:
        return Requirement(year, default_periods, None, default_periods)
    months = remaining_months(person.start_date, year) if rule.pro_rata else None
    periods = rule.periods if months is None else -(-rule.periods * months // 12)  # rounded up, in integers
    return Requirement(
        year, periods, rule, rule.periods, months, person.start_date if months is not None else None, tied
    )


# --- caps ------------------------------------------------------------------------------


def cap_applies(cap: RuleCap, activity_type: str, field_code: str | None) -> bool:
    if cap.kind == "online":
        return activity_type in ONLINE_TYPES
    if cap.kind == "field":
        return field_code == cap.value
    return activity_type == cap.value


def counted_periods(items: Sequence[tuple[int, str, str | None]], caps: Sequence[RuleCap]) -> list[int]:
    """How many of each item's periods count, items given in the order they were earned as
    (periods, activity type, field code): each cap's allowance is used up by the earliest."""
    remaining = {cap.id: cap.max_periods for cap in caps}
    counted = []
    for periods, activity_type, field_code in items:
        applicable = [cap for cap in caps if cap_applies(cap, activity_type, field_code)]
        value = min([periods, *(remaining[cap.id] for cap in applicable)])
        for cap in applicable:
            remaining[cap.id] -= value
        counted.append(value)
    return counted


CAP_LABELS = {
    "online": N_("Tối đa %(max)s tiết học trực tuyến được tính"),
    "field": N_("Tối đa %(max)s tiết lĩnh vực %(value)s được tính"),
    "type": N_("Tối đa %(max)s tiết loại hoạt động %(value)s được tính"),
}


def describe_cap(cap: RuleCap, translate: Translate = identity, names: dict[str, str] | None = None) -> str:
    value = (names or {}).get(cap.value or "", cap.value or "")
    return translate(CAP_LABELS[cap.kind]) % {"max": cap.max_periods, "value": value}


# --- managing rules -------------------------------------------------------------------


def _top_level_hr(account: Account) -> bool:
    return any(g.role in (Role.HR, Role.ADMIN) and g.unit.parent_id is None for g in account.grants)


def can_manage(account: Account, rule: RequirementRule) -> bool:
    if rule.unit is None:
        return _top_level_hr(account)
    return access.can(account, Role.HR, rule.unit)


def _concerns(account: Account, rule: RequirementRule) -> bool:
    """The rule applies to people the account manages (it is over, at or under its scope)."""
    if rule.unit is None or access.can(account, Role.HR, rule.unit):
        return True
    return any(g.unit.path.startswith(rule.unit.path) for g in account.grants if g.role in (Role.HR, Role.ADMIN))


def list_rules(session: Session, account: Account, year: int) -> list[RequirementRule]:
    """The year's rules that apply to people in the account's HR scope, most specific first."""
    if not access.has_role(account, Role.HR):
        raise PermissionDenied(N_("Bạn không có quyền truy cập trang này."))
    rules = [rule for rule in rules_for_year(session, year) if _concerns(account, rule)]
    return sorted(rules, key=lambda rule: (tuple(-n for n in specificity(rule)), rule.id))


def get_rule(session: Session, account: Account, rule_id: int) -> RequirementRule:
    rule = session.get(RequirementRule, rule_id)
    if rule is None or not _concerns(account, rule):
        raise NotFound(N_("Không tìm thấy quy định."))
    return rule


def require_manage(account: Account, rule: RequirementRule) -> None:
    if not can_manage(account, rule):
        if rule.unit is None:
            raise PermissionDenied(N_("Chỉ cán bộ tổ chức cấp tỉnh được đặt quy định cho toàn tỉnh."))
        raise PermissionDenied(N_("Bạn không có quyền thực hiện thao tác này với đơn vị này."))


RULE_FIELDS = ("year", "name", "periods", "category", "position_id", "unit_id", "is_leader", "pro_rata")


def _int_in(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _clean(session: Session, data: dict[str, Any], rule: RequirementRule | None) -> dict[str, Any]:
    """Check every field at once; the clean values, or ValidationFailed listing each problem."""
    errors: list[FieldError] = []
    clean: dict[str, Any] = {}
    year = data.get("year")
    if not _int_in(year, MIN_YEAR, MAX_YEAR):
        errors.append(FieldError("year", N_("Năm phải từ %(low)s đến %(high)s."), {"low": MIN_YEAR, "high": MAX_YEAR}))
    clean["year"] = year
    name = " ".join(str(data.get("name") or "").split())
    if not name or len(name) > 200:
        errors.append(FieldError("name", N_("Tên quy định không được để trống và tối đa 200 ký tự.")))
    elif _int_in(year, MIN_YEAR, MAX_YEAR) and session.scalar(
        select(RequirementRule.id).where(
            RequirementRule.year == year,
            RequirementRule.name == name,
            RequirementRule.id != (rule.id if rule else -1),
        )
    ):
        errors.append(FieldError("name", N_("Năm %(year)s đã có quy định tên %(name)s."), {"year": year, "name": name}))
    clean["name"] = name
    periods = data.get("periods")
    if not _int_in(periods, 0, MAX_PERIODS):
        errors.append(FieldError("periods", N_("Số tiết phải là số nguyên từ 0 đến %(max)s."), {"max": MAX_PERIODS}))
    clean["periods"] = periods
    category = data.get("category") or None
    if category is not None and category not in {c.value for c in Category}:
        errors.append(FieldError("category", N_("Loại cán bộ phải là cán bộ, công chức hoặc viên chức.")))
    clean["category"] = category
    position_id = data.get("position_id")
    if position_id is not None and (not _int_in(position_id, 1, 2**31) or session.get(Position, position_id) is None):
        errors.append(FieldError("position_id", N_("Vị trí việc làm không tồn tại.")))
    clean["position_id"] = position_id
    unit_id = data.get("unit_id")
    if unit_id is not None and (not _int_in(unit_id, 1, 2**31) or session.get(Unit, unit_id) is None):
        errors.append(FieldError("unit_id", N_("Đơn vị không tồn tại.")))
    clean["unit_id"] = unit_id
    is_leader = data.get("is_leader")
    if is_leader is not None and not isinstance(is_leader, bool):
        errors.append(FieldError("is_leader", N_("Giá trị lãnh đạo không hợp lệ.")))
    clean["is_leader"] = is_leader
    clean["pro_rata"] = bool(data.get("pro_rata", False))
    clean["caps"] = _clean_caps(session, data.get("caps") or [], errors)
    if errors:
        raise ValidationFailed(errors)
    return clean


def _clean_caps(session: Session, caps: Sequence[Any], errors: list[FieldError]) -> list[dict[str, Any]]:
    clean: list[dict[str, Any]] = []
    seen: set[tuple[str, str | None]] = set()
    for cap in caps:
        kind = cap.get("kind") if isinstance(cap, dict) else None
        value = (cap.get("value") or None) if isinstance(cap, dict) else None
        max_periods = cap.get("max_periods") if isinstance(cap, dict) else None
        if kind not in CAP_KINDS:
            errors.append(FieldError("caps", N_("Loại giới hạn phải là online, field hoặc type.")))
            continue
        if kind == "online":
            value = None
        elif kind == "field" and (value is None or session.get(Field, value) is None):
            errors.append(FieldError("caps", N_("Lĩnh vực %(code)s không tồn tại."), {"code": value or ""}))
            continue
        elif kind == "type" and value not in {t.value for t in ActivityType}:
            errors.append(FieldError("caps", N_("Loại hoạt động không hợp lệ.")))
            continue
        if not _int_in(max_periods, 0, MAX_PERIODS):
            errors.append(
                FieldError("caps", N_("Số tiết tối đa phải là số nguyên từ 0 đến %(max)s."), {"max": MAX_PERIODS})
            )
            continue
        if (kind, value) in seen:
            errors.append(FieldError("caps", N_("Mỗi giới hạn chỉ được khai báo một lần.")))
            continue
        seen.add((kind, value))
        clean.append({"kind": kind, "value": value, "max_periods": max_periods})
    return clean


def rule_data(rule: RequirementRule) -> dict[str, Any]:
    """A rule as plain values (for the audit log and for partial updates)."""
    return {name: getattr(rule, name) for name in RULE_FIELDS} | {
        "caps": [{"kind": c.kind, "value": c.value, "max_periods": c.max_periods} for c in rule.caps]
    }


def _assign(session: Session, rule: RequirementRule, clean: dict[str, Any]) -> None:
    for name in RULE_FIELDS:
        setattr(rule, name, clean[name])
    rule.unit = session.get(Unit, clean["unit_id"]) if clean["unit_id"] is not None else None
    rule.position = session.get(Position, clean["position_id"]) if clean["position_id"] is not None else None
    wanted = {(c["kind"], c["value"]): c["max_periods"] for c in clean["caps"]}
    for cap in list(rule.caps):
        if (cap.kind, cap.value) in wanted:
            cap.max_periods = wanted.pop((cap.kind, cap.value))
        else:
            rule.caps.remove(cap)
    for (kind, value), max_periods in wanted.items():
        rule.caps.append(RuleCap(kind=kind, value=value, max_periods=max_periods))


def closings_touching(session: Session, unit: Unit | None, year: int) -> list[YearClosing]:
    """Closings of ``year`` that concern people a rule for ``unit`` (None: everyone) covers:
    closings of the unit, of a unit above it, or of one below it."""
    query = select(YearClosing).join(Unit, Unit.id == YearClosing.unit_id).where(YearClosing.year == year)
    if unit is not None:
        query = query.where(or_(Unit.path.in_(ancestor_paths(unit.path)), subtree_filter(unit.path)))
    return list(session.scalars(query.order_by(YearClosing.id)))


def _closed_year_reason(session: Session, scopes: Sequence[tuple[Unit | None, int]], reason: str) -> list[int]:
    """A rule change that touches a closed year (``scopes``: the rule's unit and year,
    before and after the change) needs a reason; returns the ids of the closings touched."""
    touched = sorted({c.id for unit, year in scopes for c in closings_touching(session, unit, year)})
    if touched and not reason.strip():
        year = next(year for unit, year in scopes if closings_touching(session, unit, year))
        raise ValidationFailed.single(
            "reason", N_("Năm %(year)s đã chốt số liệu: cần nêu lý do điều chỉnh."), year=year
        )
    return touched


def _audit_rule(
    session: Session,
    account: Account,
    action: str,
    rule: RequirementRule,
    data: dict[str, Any],
    reason: str,
    closings: list[int],
) -> None:
    audit.log(
        session,
        account_id=account.id,
        action=action,
        target_type="credits_rule",
        target_id=rule.id,
        reason=reason.strip(),
        # The closings touched let each closing's page list the changes made after it.
        data=data | {"year": rule.year, "closed_year": bool(closings), "closings": closings},
    )


def create_rule(session: Session, account: Account, data: dict[str, Any], reason: str = "") -> RequirementRule:
    """Create a rule within the account's scope; in a closed year ``reason`` is required.
    Caller commits."""
    clean = _clean(session, data, None)
    rule = RequirementRule()
    _assign(session, rule, clean)
    require_manage(account, rule)
    closed = _closed_year_reason(session, [(rule.unit, rule.year)], reason)
    session.add(rule)
    session.flush()
    _audit_rule(session, account, "credits.rule_created", rule, rule_data(rule), reason, closed)
    return rule


def update_rule(
    session: Session, account: Account, rule: RequirementRule, data: dict[str, Any], reason: str = ""
) -> RequirementRule:
    """Update ``rule``; keys missing from ``data`` keep their value. The account must manage
    the rule both before and after the change; a change touching a closed year (before or
    after) needs ``reason``. Caller commits."""
    require_manage(account, rule)
    before = rule_data(rule)
    before_scope = (rule.unit, rule.year)
    clean = _clean(session, before | data, rule)
    with session.no_autoflush:
        _assign(session, rule, clean)
        require_manage(account, rule)
        after = rule_data(rule)
        closed = _closed_year_reason(session, [before_scope, (rule.unit, rule.year)], reason) if after != before else []
    session.flush()
    if after != before:
        _audit_rule(session, account, "credits.rule_updated", rule, {"before": before, "after": after}, reason, closed)
    return rule


def delete_rule(session: Session, account: Account, rule: RequirementRule, reason: str = "") -> None:
    """Delete ``rule``; in a closed year ``reason`` is required. Caller commits."""
    require_manage(account, rule)
    closed = _closed_year_reason(session, [(rule.unit, rule.year)], reason)
    _audit_rule(session, account, "credits.rule_deleted", rule, rule_data(rule), reason, closed)
    session.delete(rule)
    session.flush()


def condition_labels(rule: RequirementRule, translate: Translate = identity) -> list[str]:
    """The rule's conditions in words, for lists."""
    labels = []
    if rule.category is not None:
        labels.append(translate(CATEGORY_LABELS[Category(rule.category)]))
    if rule.position is not None:
        labels.append(rule.position.name)
    if rule.unit is not None:
        labels.append(translate(N_("%(unit)s và đơn vị trực thuộc")) % {"unit": rule.unit.name})
    if rule.is_leader is not None:
        labels.append(translate(N_("Lãnh đạo")) if rule.is_leader else translate(N_("Không giữ chức vụ lãnh đạo")))
    return labels or [translate(N_("Mọi cán bộ"))]


# --- demo -----------------------------------------------------------------------------

DEMO_RULES = [
    # (name, periods, category, unit code, leader, pro rata, caps)
    ("Cán bộ, công chức, viên chức tỉnh Gia Lai 2026", 40, None, "GL", None, True, [("online", None, 32)]),
    ("Công chức Xã Ia Grai 2026", 44, "cong_chuc", "GL-X-IAGRAI", None, True, [("online", None, 32)]),
    ("Lãnh đạo UBND cấp xã 2026", 56, "can_bo", None, True, True, []),
    ("Viên chức Bệnh viện Đa khoa tỉnh 2026", 48, "vien_chuc", "GL-BVDK", None, True, []),
]


def seed_demo_rules(session: Session, demo: Any) -> None:
    """The demo province's 2026 rules (idempotent). Caller commits."""
    for name, periods, category, unit_code, leader, pro_rata, caps in DEMO_RULES:
        if session.scalar(select(RequirementRule.id).where(RequirementRule.year == 2026, RequirementRule.name == name)):
            continue
        rule = RequirementRule(
            year=2026,
            name=name,
            periods=periods,
            category=category,
            unit=demo.units[unit_code] if unit_code else None,
            is_leader=leader,
            pro_rata=pro_rata,
            caps=[RuleCap(kind=kind, value=value, max_periods=limit) for kind, value, limit in caps],
        )
        session.add(rule)
    session.flush()
