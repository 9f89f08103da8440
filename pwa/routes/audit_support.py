"""What the audit pages share: the filter form, the names of events, outcomes and objects,
and turning the form into search filters (Beijing dates → UTC moments)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from pwa.clock import OFFICE_TIMEZONE
from pwa.domain.audit_search import Filters

EVENT_LABELS: dict[str, Any] = {
    "auth.login.password": _l("登录：密码"),
    "auth.login.code": _l("登录：动态码"),
    "auth.login.recovery": _l("登录：恢复码"),
    "auth.login.enrol": _l("登录：绑定验证器"),
    "auth.lockout": _l("账户被锁定"),
    "auth.stepup": _l("敏感操作验证未通过"),
    "auth.pledge": _l("签署保密承诺"),
    "auth.logout": _l("退出登录"),
    "access.denied": _l("拒绝访问"),
    "account.password.change": _l("修改密码"),
    "account.recovery_codes.regenerate": _l("重新生成恢复码"),
    "account.session.end": _l("结束设备会话"),
    "admin.account.create": _l("创建账户"),
    "admin.account.disable": _l("停用账户"),
    "admin.account.enable": _l("启用账户"),
    "admin.account.reset_totp": _l("重置动态码"),
    "admin.account.reset_password": _l("重置密码"),
    "admin.account.unlock": _l("解锁账户"),
    "admin.access.change": _l("变更角色与管辖范围"),
    "admin.role.grant": _l("授予角色"),
    "admin.role.revoke": _l("撤销角色"),
    "admin.jurisdiction.change": _l("变更管辖范围"),
    "admin.allowlist.add": _l("添加访问网段"),
    "admin.allowlist.delete": _l("删除访问网段"),
    "personnel.list": _l("查看在编人员名单"),
    "personnel.read": _l("查看人员信息"),
    "personnel.unmask": _l("查看完整身份证号"),
    "personnel.find": _l("按身份证号查找人员"),
    "item.find_person": _l("申报时按身份证号查找人员"),
    "item.attachment.download": _l("下载事项附件"),
    "item.decide": _l("签批决定"),
    "item.revoke": _l("撤销批准"),
    "item.delegate": _l("设立委托"),
    "item.delegation_end": _l("结束委托"),
    "audit.search": _l("查阅审计日志"),
    "audit.account": _l("查阅账户审计记录"),
}
EVENT_PREFIX_LABELS: dict[str, Any] = {"item.step.": _l("事项办理")}

OUTCOME_LABELS: dict[str, Any] = {
    "ok": _l("成功"),
    "bad_credentials": _l("用户名或密码错误"),
    "locked": _l("已锁定"),
    "disabled": _l("账户已停用"),
    "malformed": _l("动态码格式错误"),
    "wrong_code": _l("动态码错误"),
    "expired_code": _l("动态码已过期"),
    "reused_code": _l("动态码重复使用"),
    "not_enrolled": _l("未绑定验证器"),
    "denied": _l("拒绝"),
    "refused": _l("未执行"),
    "stale": _l("内容已变更"),
    "bad_code": _l("动态码错误"),
    "conflict": _l("冲突"),
    "not_allowed": _l("无权办理"),
    "found": _l("找到"),
    "not_found": _l("未找到"),
    "invalid": _l("号码无效"),
    "bad_password": _l("当前密码错误"),
}
SUCCESS_OUTCOMES = {"ok", "found"}

OBJECT_LABELS: dict[str, Any] = {
    "account": _l("账户"),
    "person": _l("人员"),
    "unit": _l("单位"),
    "item": _l("事项"),
    "item_attachment": _l("事项附件"),
    "delegation": _l("委托"),
    "role": _l("角色"),
    "endpoint": _l("页面"),
}


def event_label(event: str) -> Any:
    if event in EVENT_LABELS:
        return EVENT_LABELS[event]
    for prefix, label in EVENT_PREFIX_LABELS.items():
        if event.startswith(prefix):
            return label
    return event


class PeriodForm(FlaskForm):
    """GET filters: no CSRF token (reading changes nothing), and none in the URL."""

    class Meta:
        csrf = False

    event = StringField(
        _l("事件"),
        validators=[Optional(), Length(max=64, message=_l("事件最多 64 个字符"))],
        description=_l("事件代码的开头，如 auth.login 或 personnel"),
    )
    since = DateField(_l("起始日期"), validators=[Optional()])
    until = DateField(_l("截止日期"), validators=[Optional()])

    def validate_until(self, field: DateField) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("截止日期不能早于起始日期"))

    def filters(self, page: int, **fixed: Any) -> Filters:
        return Filters(
            event_prefix=(self.event.data or "").strip().lower(),
            since=_start_of(self.since.data) if self.since.data else None,
            until=_start_of(self.until.data + timedelta(days=1)) if self.until.data else None,
            page=page,
            **fixed,
        )


class SearchForm(PeriodForm):
    account = StringField(
        _l("账户"),
        validators=[Optional(), Length(max=64, message=_l("用户名最多 64 个字符"))],
        description=_l("用户名"),
    )
    object_type = SelectField(_l("对象类型"), validators=[Optional()], default="")
    object_id = StringField(
        _l("对象编号"), validators=[Optional(), Length(max=64, message=_l("编号最多 64 个字符"))]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.object_type.choices = [("", _l("全部"))] + list(OBJECT_LABELS.items())

    def filters(self, page: int, **fixed: Any) -> Filters:
        return super().filters(
            page,
            object_type=self.object_type.data or "",
            object_id=(self.object_id.data or "").strip(),
            **fixed,
        )


def _start_of(day: Any) -> datetime:
    """00:00 of an office (Beijing) calendar day."""
    return datetime.combine(day, time.min, tzinfo=OFFICE_TIMEZONE)


def local_time(moment: datetime) -> str:
    return moment.astimezone(OFFICE_TIMEZONE).strftime("%Y-%m-%d %H:%M:%S")
