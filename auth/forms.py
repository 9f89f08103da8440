"""Forms of the account pages (Flask-WTF: CSRF on every one)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget


class LoginForm(FlaskForm):
    username = StringField(
        _l("用户名"), validators=[DataRequired(_l("请输入用户名")), Length(max=64)]
    )
    password = PasswordField(
        _l("密码"), validators=[DataRequired(_l("请输入密码")), Length(max=256)]
    )
    next = HiddenField()


class CodeForm(FlaskForm):
    code = StringField(
        _l("动态码"), validators=[DataRequired(_l("请输入 6 位动态码")), Length(max=32)]
    )


class RecoveryForm(FlaskForm):
    code = StringField(
        _l("恢复码"), validators=[DataRequired(_l("请输入一个恢复码")), Length(max=32)]
    )


class PledgeForm(FlaskForm):
    accept = BooleanField(
        _l("我已阅读并承诺遵守以上保密规定"),
        validators=[InputRequired(_l("请勾选以确认您的保密承诺"))],
    )


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("当前密码"), validators=[DataRequired(_l("请输入当前密码"))])
    new = PasswordField(_l("新密码"), validators=[DataRequired(_l("请输入新密码"))])
    repeat = PasswordField(_l("再次输入新密码"), validators=[DataRequired(_l("请再次输入新密码"))])


class StepUpForm(FlaskForm):
    challenge = HiddenField()
    code = StringField(
        _l("动态码"), validators=[DataRequired(_l("请输入 6 位动态码")), Length(max=32)]
    )


class EndSessionForm(FlaskForm):
    session = HiddenField(validators=[DataRequired()])


class EmptyForm(FlaskForm):
    """A POST with nothing but the CSRF token (logout, confirmations)."""


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NewAccountForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请输入用户名"))])
    display_name = StringField(
        _l("姓名"), validators=[DataRequired(_l("请输入姓名")), Length(max=64)]
    )
    account_class = SelectField(_l("账户类型"), validators=[DataRequired()])
    password = PasswordField(_l("初始密码"), validators=[DataRequired(_l("请设置初始密码"))])


class AccountRolesForm(FlaskForm):
    roles = MultiCheckboxField(_l("业务角色"))
    region = SelectField(_l("管辖行政区划"), coerce=str)
    unit = StringField(
        _l("或：所在单位的统一社会信用代码（单位经办人）"), validators=[Length(max=18)]
    )


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("临时密码"), validators=[DataRequired(_l("请设置临时密码"))])


class AllowlistForm(FlaskForm):
    role = SelectField(_l("角色"), validators=[DataRequired()])
    cidr = StringField(
        _l("网段（CIDR）"), validators=[DataRequired(_l("请输入网段，如 10.1.0.0/16"))]
    )
    note = StringField(_l("说明"), validators=[Length(max=128)])


class LiftBlockForm(FlaskForm):
    """Lifting a bulk-access block: the security administrator says why (audited)."""

    reason = TextAreaField(
        _l("解除理由"),
        validators=[
            DataRequired(_l("请写明解除限制的理由")),
            Length(min=4, max=200, message=_l("理由请写 4 到 200 个字")),
        ],
    )


class NotificationPreferencesForm(FlaskForm):
    """Which optional push categories to receive (checked = on) and quiet hours."""

    task = BooleanField()
    reminder = BooleanField()
    deadline = BooleanField()
    outcome = BooleanField()
    quiet_start = StringField(_l("开始"), validators=[Length(max=5)])
    quiet_end = StringField(_l("结束"), validators=[Length(max=5)])
