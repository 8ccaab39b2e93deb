import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms_core import units
from lms_core.errors import ValidationFailed
from lms_core.units import Unit


def make_tree(session: Session) -> dict[str, Unit]:
    province = units.create_unit(session, code="GL", name="Tỉnh Gia Lai", kind="province", parent=None)
    snv = units.create_unit(session, code="GL-SNV", name="Sở Nội vụ", kind="department", parent=province)
    ward = units.create_unit(session, code="GL-P-QN", name="Phường Quy Nhơn", kind="commune", parent=province)
    commune = units.create_unit(session, code="GL-X-IG", name="Xã Ia Grai", kind="commune", parent=province)
    session.commit()
    return {"province": province, "snv": snv, "ward": ward, "commune": commune}


def codes_under(session: Session, unit: Unit) -> set[str]:
    return set(session.scalars(select(Unit.code).where(units.subtree_filter(unit.path))))


def test_subtree_is_the_unit_and_everything_below(db_session: Session) -> None:
    tree = make_tree(db_session)
    assert codes_under(db_session, tree["province"]) == {"GL", "GL-SNV", "GL-P-QN", "GL-X-IG"}
    assert codes_under(db_session, tree["ward"]) == {"GL-P-QN"}
    assert tree["province"].contains(tree["commune"])
    assert not tree["ward"].contains(tree["commune"])


def test_prefix_of_a_sibling_id_is_not_inside(db_session: Session) -> None:
    # Unit 1 must not contain unit 10's subtree just because "/1" prefixes "/10".
    tree = make_tree(db_session)
    others = [
        units.create_unit(db_session, code=f"X{n}", name=f"Xã {n}", kind="commune", parent=None) for n in range(12)
    ]
    db_session.commit()
    assert codes_under(db_session, tree["province"]) == {"GL", "GL-SNV", "GL-P-QN", "GL-X-IG"}
    assert codes_under(db_session, others[0]) == {"X0"}


def test_moving_a_unit_moves_its_subtree(db_session: Session) -> None:
    tree = make_tree(db_session)
    hamlet = units.create_unit(db_session, code="GL-X-IG-1", name="Tổ 1", kind="department", parent=tree["commune"])
    db_session.commit()
    units.update_unit(
        db_session, tree["commune"], code="GL-X-IG", name="Xã Ia Grai", kind="commune", parent=tree["snv"]
    )
    db_session.commit()
    db_session.refresh(hamlet)
    assert hamlet.path == f"{tree['snv'].path}{tree['commune'].id}/{hamlet.id}/"
    assert codes_under(db_session, tree["snv"]) == {"GL-SNV", "GL-X-IG", "GL-X-IG-1"}


def test_a_unit_cannot_move_below_itself(db_session: Session) -> None:
    tree = make_tree(db_session)
    with pytest.raises(ValidationFailed):
        units.update_unit(
            db_session, tree["province"], code="GL", name="Tỉnh Gia Lai", kind="province", parent=tree["ward"]
        )


def test_bad_and_duplicate_codes_are_refused(db_session: Session) -> None:
    make_tree(db_session)
    with pytest.raises(ValidationFailed) as duplicate:
        units.create_unit(db_session, code="GL-SNV", name="Trùng mã", kind="department", parent=None)
    assert [e.field for e in duplicate.value.errors] == ["code"]
    db_session.rollback()
    with pytest.raises(ValidationFailed) as caught:
        units.create_unit(db_session, code="mã có dấu", name="", kind="hamlet", parent=None)
    assert {e.field for e in caught.value.errors} == {"code", "name", "kind"}


def test_ancestors_root_first(db_session: Session) -> None:
    tree = make_tree(db_session)
    assert [u.code for u in units.ancestors(db_session, tree["ward"])] == ["GL"]


def test_rollback_undoes_work_done_in_a_savepoint(db_session: Session) -> None:
    with db_session.begin_nested():
        units.create_unit(db_session, code="TAM", name="Tạm", kind="commune", parent=None)
    db_session.rollback()
    assert db_session.scalar(select(Unit).where(Unit.code == "TAM")) is None
