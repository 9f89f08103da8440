"""Display names of roles and account classes (gettext)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from auth.roles import Role, RoleClass

ROLE_LABELS = {
    Role.UNIT_CLERK: _l("单位经办人"),
    Role.OFFICE_STAFF: _l("编办经办人"),
    Role.OFFICE_LEADER: _l("编办领导"),
    Role.OFFICE_DIRECTOR: _l("编办主任"),
    Role.ORG_REVIEWER: _l("组织部审核人"),
    Role.FINANCE_REVIEWER: _l("财政局审核人"),
    Role.HR_REVIEWER: _l("人社局审核人"),
    Role.SYSTEM_ADMIN: _l("系统管理员"),
    Role.SECURITY_ADMIN: _l("安全管理员"),
    Role.AUDIT_ADMIN: _l("审计管理员"),
}
CLASS_LABELS = {
    RoleClass.BUSINESS: _l("业务账户"),
    RoleClass.SYSTEM_ADMIN: _l("系统管理员"),
    RoleClass.SECURITY_ADMIN: _l("安全管理员"),
    RoleClass.AUDIT_ADMIN: _l("审计管理员"),
}
