"""申报事项的表单: one Flask-WTF form per item type, mirroring ``pwa.domain.items.payloads``.

A form checks what people type and says precisely what is wrong, in Chinese; ``payload()``
turns a valid form into the type's payload dataclass. Each field has at most one error at a
time (validators stop at the first problem), so the page never repeats an error id.

ID numbers (a new recruit's for 人员上编, a leaver's for 人员下编) are typed into the form but
are never part of a payload: the route seals or resolves them, and ``forget_id_number()``
clears the field before a form is shown again, so a number is never echoed back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import fields
from enum import Enum
from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields import DateField, IntegerField
from wtforms.validators import DataRequired, Length, Optional, StopValidation, ValidationError

from pwa.domain import idnumber
from pwa.domain.items import payloads as p
from pwa.labels import label as enum_label
from pwa.models import (
    Education,
    EntryMode,
    ExitReason,
    Funding,
    Gender,
    ItemType,
    LeadershipLevel,
    LeadershipPosition,
    QuotaKind,
    UnitKind,
    UnitNature,
    UnitRank,
)

ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
Options = Iterable[tuple[Any, str]] | Callable[[], Iterable[tuple[Any, str]]]


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _str_or_none(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def int_or_none(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return int(value)


class ChoiceField(SelectField):
    """A drop-down whose first option asks to choose, with one specific message for a missing
    or unknown choice (never WTForms' English "Not a valid choice")."""

    def __init__(
        self,
        label: Any = None,
        validators: list | None = None,
        *,
        message: Any,
        enum: type[Enum] | None = None,
        options: Options | None = None,
        blank: Any = None,
        optional: bool = False,
        coerce: Callable[[Any], Any] = _str_or_none,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, validators, coerce=coerce, validate_choice=False, **kwargs)
        self.message = message
        self.enum = enum
        self.blank = blank if blank is not None else _l("请选择")
        self.optional = optional
        if options is None and enum is not None:
            members = list(enum)
            options = lambda: [(m.value, enum_label(m)) for m in members]  # noqa: E731
        self._options: Options = options if options is not None else []

    @property
    def choices(self) -> list[tuple[Any, str]]:
        options = self._options() if callable(self._options) else self._options
        return [("", str(self.blank)), *options]

    @choices.setter
    def choices(self, value: Options | None) -> None:
        self._options = value if value is not None else []

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:
            try:
                self.data = self.coerce(valuelist[0])
            except (ValueError, TypeError):
                self.data = None

    def pre_validate(self, form: Any) -> None:
        if self.data is None and self.optional:
            return
        allowed = {self.coerce(value) for value, _text in self.choices[1:]}
        if self.data is None or self.data not in allowed:
            raise StopValidation(str(self.message))

    def value(self) -> Any:
        """The chosen enum member (or coerced value), None when nothing was chosen."""
        if self.data is None:
            return None
        return self.enum(self.data) if self.enum is not None else self.data


class NumberField(IntegerField):
    """An integer; anything else leaves ``data`` None for ``between`` to report, once."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:
            try:
                self.data = int(str(valuelist[0]).strip())
            except ValueError:
                self.data = None


class DayField(DateField):
    """A date (年-月-日); anything else leaves ``data`` None for ``required_date`` to report."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None


def between(low: int, high: int, message: Any, *, nonzero: bool = False) -> Callable:
    def check(_form: Any, field: Any) -> None:
        value = field.data
        if value is None or not low <= value <= high or (nonzero and value == 0):
            raise StopValidation(str(message))

    return check


def required_date(message: Any) -> Callable:
    def check(_form: Any, field: Any) -> None:
        if field.data is None:
            raise StopValidation(str(message))

    return check


def _text(
    label: Any,
    max_length: int,
    message: Any,
    *,
    required: Any = None,
    min_length: int = 1,
    area: bool = False,
    **kwargs: Any,
) -> Any:
    validators: list = [DataRequired(required)] if required else [Optional()]
    validators.append(Length(min=min_length, max=max_length, message=message))
    field_class = TextAreaField if area else StringField
    render_kw = {"maxlength": str(max_length), **kwargs.pop("render_kw", {})}
    return field_class(
        label, validators=validators, filters=[_strip], render_kw=render_kw, **kwargs
    )


def _reason(label: Any, required: Any, length: Any) -> Any:
    """The applicant's reasons: required, 4 to 500 characters."""
    return _text(label, 500, length, required=required, min_length=4, area=True)


def _count(label: Any, low: int, high: int, message: Any, **kwargs: Any) -> NumberField:
    render_kw = {"inputmode": "numeric", "min": str(low), "max": str(high)}
    return NumberField(
        label, validators=[between(low, high, message)], render_kw=render_kw, **kwargs
    )


ID_RENDER = {
    "autocomplete": "off",
    "autocapitalize": "characters",
    "spellcheck": "false",
    "maxlength": "32",
}


def id_number_problem(raw: str) -> Any:
    """Why ``raw`` is not a valid ID number (a message), or None when it is."""
    number = idnumber.normalize(raw)
    if not ID_SHAPE.fullmatch(number):
        return _l("身份证号应为 18 位：前 17 位是数字，最后一位是数字或 X")
    if idnumber.birth_date_of(number) is None:
        return _l("身份证号中的出生日期不存在，请核对")
    if not idnumber.is_valid(number):
        return _l("身份证号校验位不正确，请核对后重新输入")
    return None


class ItemForm(FlaskForm):
    """What every declaration form carries besides its type's fields."""

    payload_class: ClassVar[type]
    has_id_number: ClassVar[bool] = False

    idempotency_key = HiddenField()
    version = HiddenField()
    committee = BooleanField(_l("提交编委会议"))

    def payload(self, **given: Any) -> p.Payload:
        values: dict[str, Any] = {}
        for spec in fields(self.payload_class):
            if spec.name in given:
                values[spec.name] = given[spec.name]
                continue
            field = self[spec.name]
            if isinstance(field, ChoiceField):
                values[spec.name] = field.value()
            elif isinstance(field, StringField) and field.data is None:
                values[spec.name] = ""
            else:
                values[spec.name] = field.data
        return self.payload_class(**values)

    def expected_version(self) -> int:
        """The version the page showed; 0 (never a real version) when missing or tampered."""
        try:
            return int(self.version.data or 0)
        except (TypeError, ValueError):
            return 0

    def forget_id_number(self) -> None:
        """Clear any typed ID number so a page shown again never contains it."""
        if self.has_id_number:
            field = self["id_number"]
            if (field.data or "").strip():
                field.description = _l("为保护个人信息，已输入的身份证号不会回显，请重新输入")
            field.data = ""
            field.raw_data = []


class IdNumberMixin:
    """An ``id_number`` field, required on a new declaration and optional when editing (left
    empty, the stored one is kept)."""

    has_id_number: ClassVar[bool] = True
    id_number_required: bool = True

    def typed_id_number(self) -> str | None:
        """The valid, normalised number typed in this request, or None."""
        raw = (self["id_number"].data or "").strip()  # type: ignore[index]
        if not raw or id_number_problem(raw) is not None:
            return None
        return idnumber.normalize(raw)

    def validate_id_number(self, field: Any) -> None:
        if not (field.data or "").strip():
            if self.id_number_required:
                raise StopValidation(str(_l("请填写身份证号")))
            return
        problem = id_number_problem(field.data)
        if problem is not None:
            raise StopValidation(str(problem))


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


class UnitEstablishForm(ItemForm):
    payload_class = p.UnitEstablish

    full_name = _text(
        _l("机构全称"),
        128,
        _l("机构全称请写 2 到 128 个字"),
        required=_l("请填写机构全称"),
        min_length=2,
    )
    short_name = _text(
        _l("规范简称"),
        64,
        _l("规范简称请写 2 到 64 个字"),
        required=_l("请填写规范简称"),
        min_length=2,
    )
    kind = ChoiceField(_l("机构类别"), enum=UnitKind, message=_l("请选择机构类别"))
    nature = ChoiceField(_l("机构性质"), enum=UnitNature, message=_l("请选择机构性质"))
    rank = ChoiceField(_l("机构规格"), enum=UnitRank, message=_l("请选择机构规格"))
    funding = ChoiceField(_l("经费形式"), enum=Funding, message=_l("请选择经费形式"))
    functions = _text(
        _l("主要职责"),
        2000,
        _l("主要职责请写 4 到 2000 个字"),
        required=_l("请填写主要职责"),
        min_length=4,
        area=True,
    )
    quota_kind = ChoiceField(_l("核定编制类型"), enum=QuotaKind, message=_l("请选择编制类型"))
    quota_count = _count(
        _l("核定编制数"),
        0,
        999,
        _l("核定编制数请填写 0 到 999 之间的整数"),
        description=_l("0 表示暂不核定编制"),
    )
    reason = _reason(_l("设立理由"), _l("请填写设立理由"), _l("设立理由请写 4 到 500 个字"))


class UnitAdjustForm(ItemForm):
    payload_class = p.UnitAdjust

    full_name = _text(
        _l("新的机构全称"),
        128,
        _l("机构全称请写 2 到 128 个字"),
        min_length=2,
        description=_l("不改名称请留空"),
    )
    short_name = _text(
        _l("新的规范简称"),
        64,
        _l("规范简称请写 2 到 64 个字"),
        min_length=2,
        description=_l("不改简称请留空"),
    )
    rank = ChoiceField(
        _l("新的机构规格"),
        enum=UnitRank,
        message=_l("请选择机构规格"),
        blank=_l("不调整"),
        optional=True,
    )
    functions = _text(
        _l("调整后的主要职责"),
        2000,
        _l("主要职责请写 4 到 2000 个字"),
        min_length=4,
        area=True,
        description=_l("不改职责请留空"),
    )
    reason = _reason(_l("调整理由"), _l("请填写调整理由"), _l("调整理由请写 4 到 500 个字"))

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        changes = (self.full_name.data, self.short_name.data, self.rank.data, self.functions.data)
        if valid and not any(changes):
            self.full_name.errors.append(str(_l("请至少填写一项调整内容：名称、简称、规格或职责")))
            return False
        return valid


class UnitAbolishForm(ItemForm):
    payload_class = p.UnitAbolish

    reason = _reason(_l("撤销理由"), _l("请填写撤销理由"), _l("撤销理由请写 4 到 500 个字"))


class QuotaAdjustForm(ItemForm):
    payload_class = p.QuotaAdjust

    kind = ChoiceField(_l("编制类型"), enum=QuotaKind, message=_l("请选择编制类型"))
    funding = ChoiceField(_l("经费形式"), enum=Funding, message=_l("请选择经费形式"))
    delta = NumberField(
        _l("调整数量"),
        validators=[
            between(
                -999,
                999,
                _l("调整数量请填写 -999 到 999 之间、不为 0 的整数"),
                nonzero=True,
            )
        ],
        description=_l("核增填正数，核减填负数，如 -2"),
    )
    reason = _reason(_l("调整理由"), _l("请填写调整理由"), _l("调整理由请写 4 到 500 个字"))


class LeadershipPostsForm(ItemForm):
    payload_class = p.LeadershipPosts

    level = ChoiceField(_l("职务层次"), enum=LeadershipLevel, message=_l("请选择职务层次"))
    position = ChoiceField(
        _l("正职或副职"), enum=LeadershipPosition, message=_l("请选择正职或副职")
    )
    title = _text(
        _l("职务名称"),
        32,
        _l("职务名称请写 1 到 32 个字"),
        required=_l("请填写职务名称，如“副局长”"),
    )
    approved = _count(_l("核定职数"), 0, 999, _l("核定职数请填写 0 到 999 之间的整数"))
    reason = _reason(_l("核定理由"), _l("请填写核定理由"), _l("核定理由请写 4 到 500 个字"))


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
    valid_days = _count(_l("有效天数"), 1, 30, _l("有效天数请填写 1 到 30 之间的整数"))
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
