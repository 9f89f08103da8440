"""What every 申报事项 form is built from: the shared field types and validators, the
``ItemForm`` base and the ID-number mixin (see ``pwa.forms.items`` for the forms themselves).
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
from wtforms.validators import DataRequired, Length, Optional, StopValidation

from pwa.domain import idnumber
from pwa.domain.items import payloads as p
from pwa.labels import label as enum_label

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
