"""申报事项 forms for staffing: 用编 (QuotaUse), 人员上编 (StaffEntry), 人员下编 (StaffExit)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import ValidationError

from pwa.domain import idnumber
from pwa.domain.items import payloads as p
from pwa.forms.item_base import (
    ID_RENDER,
    ChoiceField,
    DayField,
    IdNumberMixin,
    ItemForm,
    _count,
    _reason,
    _strip,
    _text,
    int_or_none,
    required_date,
)
from pwa.models import (
    Education,
    EntryMode,
    ExitReason,
    Funding,
    Gender,
    QuotaKind,
)


class QuotaUseForm(ItemForm):
    payload_class = p.QuotaUse

    kind = ChoiceField(_l("编制类型"), enum=QuotaKind, message=_l("请选择编制类型"))
    funding = ChoiceField(_l("经费形式"), enum=Funding, message=_l("请选择经费形式"))
    count = _count(
        _l("申请使用人数"),
        1,
        999,
        _l("申请使用人数请填写 1 到 999 之间的整数"),
        description=_l("超过空编的申请只能保存为草稿，不能提交"),
    )
    entry_mode = ChoiceField(_l("进人方式"), enum=EntryMode, message=_l("请选择进人方式"))
    post = _text(
        _l("拟进人岗位"),
        32,
        _l("拟进人岗位请写 1 到 32 个字"),
        required=_l("请填写拟进人岗位"),
    )
    reason = _reason(_l("用编理由"), _l("请填写用编理由"), _l("用编理由请写 4 到 500 个字"))


class StaffEntryForm(IdNumberMixin, ItemForm):
    payload_class = p.StaffEntry
    reference_id_number: str | None = None  # the stored number, for checks when editing

    reservation_id = ChoiceField(
        _l("使用的预占编制"),
        coerce=int_or_none,
        message=_l("请选择一项有效的预占编制（来自已批准的用编申请）"),
    )
    id_number = StringField(
        _l("身份证号"),
        filters=[_strip],
        render_kw=ID_RENDER,
        description=_l("只用于核验和登记，提交后加密保存，页面上不会再显示"),
    )
    name = _text(_l("姓名"), 32, _l("姓名请写 1 到 32 个字"), required=_l("请填写姓名"))
    gender = ChoiceField(_l("性别"), enum=Gender, message=_l("请选择性别"))
    birth_date = DayField(
        _l("出生日期"),
        validators=[required_date(_l("请按“年-月-日”填写出生日期，如 1998-05-01"))],
    )
    education = ChoiceField(_l("学历"), enum=Education, message=_l("请选择学历"))
    post = _text(_l("岗位"), 32, _l("岗位请写 1 到 32 个字"), required=_l("请填写岗位"))
    entry_mode = ChoiceField(_l("进人方式"), enum=EntryMode, message=_l("请选择进人方式"))
    reason = _reason(_l("上编说明"), _l("请填写上编说明"), _l("上编说明请写 4 到 500 个字"))

    def checked_id_number(self) -> str | None:
        return self.typed_id_number() or self.reference_id_number

    def validate_birth_date(self, field: Any) -> None:
        number = self.checked_id_number()
        if number and idnumber.birth_date_of(number) != field.data:
            raise ValidationError(str(_l("出生日期与身份证号中的出生日期不一致")))

    def validate_gender(self, field: Any) -> None:
        number = self.checked_id_number()
        if number and field.data:
            odd = int(number[16]) % 2 == 1
            if (field.data == Gender.MALE.value) != odd:
                raise ValidationError(str(_l("性别与身份证号不一致")))


class StaffExitForm(IdNumberMixin, ItemForm):
    payload_class = p.StaffExit

    id_number = StringField(
        _l("下编人员身份证号"),
        filters=[_strip],
        render_kw=ID_RENDER,
        description=_l("用于核对此人是本单位在编人员，不会显示在页面上"),
    )
    exit_reason = ChoiceField(_l("下编原因"), enum=ExitReason, message=_l("请选择下编原因"))
    reason = _reason(_l("情况说明"), _l("请填写情况说明"), _l("情况说明请写 4 到 500 个字"))
