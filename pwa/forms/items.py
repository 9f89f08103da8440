"""申报事项的表单: one Flask-WTF form per item type, mirroring ``pwa.domain.items.payloads``.

A form checks what people type and says precisely what is wrong, in Chinese; ``payload()``
turns a valid form into the type's payload dataclass. Each field has at most one error at a
time (validators stop at the first problem), so the page never repeats an error id.

ID numbers (a new recruit's for 人员上编, a leaver's for 人员下编) are typed into the form but
are never part of a payload: the route seals or resolves them, and ``forget_id_number()``
clears the field before a form is shown again, so a number is never echoed back.

The building blocks live in ``item_base``; the staffing forms in ``item_personnel`` and the
unit-structure forms in ``item_structure``. This module keeps the data-query and withdraw
forms, the ``FORMS`` registry and ``form_data_of``, and re-exports the rest.
"""

from __future__ import annotations

from dataclasses import fields
from enum import Enum
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField

from pwa.domain.items import payloads as p
from pwa.forms.item_base import (
    ID_RENDER,
    ID_SHAPE,
    ChoiceField,
    DayField,
    IdNumberMixin,
    ItemForm,
    NumberField,
    _count,
    _reason,
    _text,
    between,
    id_number_problem,
    int_or_none,
    required_date,
)
from pwa.forms.item_personnel import QuotaUseForm, StaffEntryForm, StaffExitForm
from pwa.forms.item_structure import (
    LeadershipPostsForm,
    QuotaAdjustForm,
    UnitAbolishForm,
    UnitAdjustForm,
    UnitEstablishForm,
)
from pwa.models import ItemType

__all__ = [
    "FORMS",
    "ID_RENDER",
    "ID_SHAPE",
    "ChoiceField",
    "DataQueryForm",
    "DayField",
    "IdNumberMixin",
    "ItemForm",
    "LeadershipPostsForm",
    "NumberField",
    "QuotaAdjustForm",
    "QuotaUseForm",
    "StaffEntryForm",
    "StaffExitForm",
    "UnitAbolishForm",
    "UnitAdjustForm",
    "UnitEstablishForm",
    "WithdrawForm",
    "between",
    "form_data_of",
    "id_number_problem",
    "int_or_none",
    "required_date",
]


class DataQueryForm(ItemForm):
    payload_class = p.DataQuery

    purpose = _text(
        _l("查询用途"),
        200,
        _l("查询用途请写 4 到 200 个字"),
        required=_l("请填写查询用途"),
        min_length=4,
    )
    scope_description = _text(
        _l("查询范围"),
        500,
        _l("查询范围请写 4 到 500 个字"),
        required=_l("请说明查询哪些单位、哪些字段"),
        min_length=4,
        area=True,
    )
    max_rows = _count(
        _l("最多返回行数"), 1, 100000, _l("最多返回行数请填写 1 到 100000 之间的整数")
    )
    valid_days = _count(_l("有效天数"), 1, 7, _l("有效天数请填写 1 到 7 之间的整数"))
    reason = _reason(_l("申请理由"), _l("请填写申请理由"), _l("申请理由请写 4 到 500 个字"))


FORMS: dict[ItemType, type[ItemForm]] = {
    ItemType.QUOTA_USE: QuotaUseForm,
    ItemType.STAFF_ENTRY: StaffEntryForm,
    ItemType.STAFF_EXIT: StaffExitForm,
    ItemType.UNIT_ESTABLISH: UnitEstablishForm,
    ItemType.UNIT_ADJUST: UnitAdjustForm,
    ItemType.UNIT_ABOLISH: UnitAbolishForm,
    ItemType.QUOTA_ADJUST: QuotaAdjustForm,
    ItemType.LEADERSHIP_POSTS: LeadershipPostsForm,
    ItemType.DATA_QUERY: DataQueryForm,
}


def form_data_of(payload: p.Payload) -> dict[str, Any]:
    """A stored payload as form data, for editing (dates stay dates, enums their values)."""
    values: dict[str, Any] = {}
    for spec in fields(payload):
        value = getattr(payload, spec.name)
        values[spec.name] = value.value if isinstance(value, Enum) else value
    return values


class WithdrawForm(FlaskForm):
    version = HiddenField()
    reason = _text(
        _l("撤回原因（选填）"),
        500,
        _l("撤回原因请写 500 字以内"),
        area=True,
    )

    def expected_version(self) -> int:
        try:
            return int(self.version.data or 0)
        except (TypeError, ValueError):
            return 0
