"""Reimbursement of degree training (đền bù, bồi hoàn): the full cost on dropout or no
degree, S = F / T1 × (T1 − T2) in whole đồng when leaving early, nothing when served in
full or self-funded, and HR's exceptions overriding the computed amount, audited."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from lms_core import audit
from lms_core.demo import DemoData
from lms_core.errors import ValidationFailed
from modules.plans import records
from modules.plans.records import computed_reimbursement, duration_from_dates, pro_rata, reimbursement
from tests.modules.plans.helpers import MASTER_LINE, approved_plan, degree

F = 120_000_000


def owed(status: str, *, funding: str = "ngan_sach", cost: int = F, months: int = 24, served: int | None = None):
    return computed_reimbursement(
        status=status, funding=funding, cost_vnd=cost, duration_months=months, served_months=served
    )


def test_dropout_and_no_degree_owe_the_full_cost() -> None:
    assert owed("bo_hoc") == (F, "full")
    assert owed("khong_cap_bang") == (F, "full")


def test_leaving_early_owes_the_unserved_share_of_the_cost() -> None:
    # 24 months of training: T1 = 72 months; 30 served: 120,000,000 / 72 × 42.
    assert owed("nghi_truoc_han", served=30) == (70_000_000, "pro_rata")
    # 100,000,000 / 72 × 59 = 81,944,444.44…: rounded to the đồng.
    assert owed("nghi_truoc_han", cost=100_000_000, served=13) == (81_944_444, "pro_rata")
    # Nothing served: the whole cost, by the formula.
    assert owed("nghi_truoc_han", served=0) == (F, "pro_rata")


def test_half_a_dong_rounds_up_exactly_without_floats() -> None:
    assert pro_rata(3, 6, 5) == 1  # 0.5 đồng
    assert pro_rata(100_000_001, 6, 3) == 50_000_001  # 50,000,000.5
    assert pro_rata(100_000_002, 6, 1) == 83_333_335  # 83,333,335 exactly
    assert pro_rata(10**15, 360, 1) == 997_222_222_222_222  # 997,222,222,222,222.2: no float drift
    assert pro_rata(F, 72, 100) == 0  # T2 is held to T1


def test_full_service_and_self_funding_owe_nothing() -> None:
    assert owed("nghi_truoc_han", served=72) == (0, "served")
    assert owed("hoan_thanh", served=80) == (0, "served")
    assert owed("hoan_thanh") == (0, "none")
    assert owed("dang_hoc") == (0, "none")
    for status in ("bo_hoc", "khong_cap_bang", "nghi_truoc_han"):
        assert owed(status, funding="tu_tuc", served=10) == (0, "self_funded")


def test_training_months_count_a_begun_month() -> None:
    from datetime import date

    assert duration_from_dates(date(2026, 9, 1), date(2028, 8, 31)) == 24
    assert duration_from_dates(date(2026, 9, 15), date(2028, 9, 14)) == 24
    assert duration_from_dates(date(2026, 9, 15), date(2028, 9, 20)) == 25


def test_a_record_computes_its_reimbursement_and_hr_exceptions_override_it(db_session: Session, core: DemoData) -> None:
    hr = core.accounts["demo.hr"]
    _, [line] = approved_plan(db_session, hr, core.units["GL"], [MASTER_LINE])
    record = degree(db_session, hr, core.people["GL-00132"], line)
    assert record.duration_months == 24 and reimbursement(record).committed_months == 72
    assert reimbursement(record).amount_vnd == 0

    records.update_degree(
        db_session, hr, record, records_data(record) | {"status": "nghi_truoc_han", "served_months": 30}
    )
    db_session.commit()
    assert (reimbursement(record).computed_vnd, reimbursement(record).amount_vnd) == (70_000_000, 70_000_000)

    with pytest.raises(ValidationFailed) as refused:
        records.record_exception(db_session, hr, record, {"kind": "giam", "amount_vnd": 80_000_000, "reason": ""})
    assert {e.field for e in refused.value.errors} == {"amount_vnd", "reason"}

    records.record_exception(
        db_session, hr, record, {"kind": "giam", "amount_vnd": "35.000.000", "reason": "Điều động theo yêu cầu"}
    )
    db_session.commit()
    owed_now = reimbursement(record)
    assert (owed_now.computed_vnd, owed_now.amount_vnd, owed_now.exception) == (70_000_000, 35_000_000, "giam")

    records.record_exception(db_session, hr, record, {"kind": "mien", "reason": "Quyết định miễn đền bù số 5/QĐ"})
    db_session.commit()
    assert reimbursement(record).amount_vnd == 0 and record.exception_reason == "Quyết định miễn đền bù số 5/QĐ"

    records.record_exception(db_session, hr, record, {"kind": "", "reason": "Hủy quyết định miễn"})
    db_session.commit()
    assert reimbursement(record).amount_vnd == 70_000_000 and record.exception_kind is None

    actions = [e.action for e in audit.entries_for(db_session, "plan_degree", record.id)]
    assert actions == ["plans.degree_created", "plans.degree_updated"] + ["plans.reimbursement_exception"] * 3
    last = audit.entries_for(db_session, "plan_degree", record.id)[-1]
    assert last.reason == "Hủy quyết định miễn" and last.data["computed_vnd"] == 70_000_000


def test_leaving_early_needs_the_months_served(db_session: Session, core: DemoData) -> None:
    hr = core.accounts["demo.hr"]
    _, [line] = approved_plan(db_session, hr, core.units["GL"], [MASTER_LINE])
    record = degree(db_session, hr, core.people["GL-00132"], line)
    with pytest.raises(ValidationFailed) as refused:
        records.update_degree(db_session, hr, record, records_data(record) | {"status": "nghi_truoc_han"})
    assert [e.field for e in refused.value.errors] == ["served_months"]


def records_data(record: records.DegreeTraining) -> dict:
    names = ("person_id", "line_id", "level", "institution", "field_of_study", "start_date", "end_date")
    names += ("duration_months", "funding", "cost_vnd", "status", "served_months")
    return {name: getattr(record, name) for name in names}


def test_a_reduction_never_exceeds_what_the_rule_gives_after_the_record_changed() -> None:
    from modules.plans.models import DegreeTraining

    record = DegreeTraining(
        status="nghi_truoc_han", funding="ngan_sach", cost_vnd=F, duration_months=24, served_months=30
    )
    record.exception_kind, record.exception_amount_vnd = "giam", 35_000_000
    assert reimbursement(record).amount_vnd == 35_000_000  # below the 70,000,000 computed
    record.served_months = 72  # served in full since: nothing is owed any more
    assert (reimbursement(record).computed_vnd, reimbursement(record).amount_vnd) == (0, 0)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1.000.000", 1_000_000),
        ("1,000,000", 1_000_000),
        ("42", 42),
        ("-5", -5),
        ("²", None),
        ("--5", None),
        ("1.5", None),
    ],
)
def test_amounts_are_whole_numbers_in_ascii_digits(text: str, value: int | None) -> None:
    from modules.plans.services import parse_int

    assert parse_int(text) == value
