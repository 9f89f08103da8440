"""Roles and what each may do: one mapping, checked by the permission decorators.

三员分立: the system, security and audit administrators are three classes of account, each
holding exactly its one role and no business role; the database enforces it (account_role's
composite foreign key on (account_id, role_class)).
"""

from __future__ import annotations

from enum import StrEnum


class RoleClass(StrEnum):
    BUSINESS = "business"
    SYSTEM_ADMIN = "system_admin"
    SECURITY_ADMIN = "security_admin"
    AUDIT_ADMIN = "audit_admin"


class Role(StrEnum):
    UNIT_CLERK = "unit_clerk"  # 单位经办人
    OFFICE_STAFF = "office_staff"  # 编办经办人
    OFFICE_LEADER = "office_leader"  # 编办领导 (分管领导)
    OFFICE_DIRECTOR = "office_director"  # 编办主任
    ORG_REVIEWER = "org_reviewer"  # 组织部
    FINANCE_REVIEWER = "finance_reviewer"  # 财政局
    HR_REVIEWER = "hr_reviewer"  # 人社局
    SYSTEM_ADMIN = "system_admin"  # 系统管理员
    SECURITY_ADMIN = "security_admin"  # 安全管理员
    AUDIT_ADMIN = "audit_admin"  # 审计管理员

    @property
    def role_class(self) -> RoleClass:
        return ROLE_CLASS[self]

    @property
    def is_admin(self) -> bool:
        return ROLE_CLASS[self] is not RoleClass.BUSINESS


ROLE_CLASS: dict[Role, RoleClass] = {
    Role.UNIT_CLERK: RoleClass.BUSINESS,
    Role.OFFICE_STAFF: RoleClass.BUSINESS,
    Role.OFFICE_LEADER: RoleClass.BUSINESS,
    Role.OFFICE_DIRECTOR: RoleClass.BUSINESS,
    Role.ORG_REVIEWER: RoleClass.BUSINESS,
    Role.FINANCE_REVIEWER: RoleClass.BUSINESS,
    Role.HR_REVIEWER: RoleClass.BUSINESS,
    Role.SYSTEM_ADMIN: RoleClass.SYSTEM_ADMIN,
    Role.SECURITY_ADMIN: RoleClass.SECURITY_ADMIN,
    Role.AUDIT_ADMIN: RoleClass.AUDIT_ADMIN,
}
BUSINESS_ROLES = frozenset(r for r, c in ROLE_CLASS.items() if c is RoleClass.BUSINESS)
ADMIN_ROLE_OF_CLASS = {c: r for r, c in ROLE_CLASS.items() if c is not RoleClass.BUSINESS}


class Permission(StrEnum):
    SIGNED_IN = "signed_in"  # any account that finished both factors
    VIEW_ESTABLISHMENT = "view_establishment"  # unit cards, quota figures (aggregates)
    VIEW_PERSONNEL = "view_personnel"  # named personnel lists (masked)
    VIEW_LEADERSHIP = "view_leadership"  # leadership posts and cadre fields
    VIEW_FUNDED_HEADCOUNT = "view_funded_headcount"  # 财政: funded headcounts, no names
    COMPARE_PERSONNEL = "compare_personnel"  # 数据比对
    SUBMIT_ITEMS = "submit_items"
    REVIEW_ITEMS = "review_items"
    DECIDE_ITEMS = "decide_items"
    JOINT_REVIEW = "joint_review"
    INSPECT = "inspect"
    MANAGE_ACCOUNTS = "manage_accounts"  # system admin: create, disable, reset
    MANAGE_ROLES = "manage_roles"  # security admin: roles, jurisdictions, unlock, allowlists
    READ_AUDIT = "read_audit"  # audit admin


P = Permission
_OFFICE_DECIDER = frozenset(
    {
        P.SIGNED_IN,
        P.VIEW_ESTABLISHMENT,
        P.VIEW_PERSONNEL,
        P.VIEW_LEADERSHIP,
        P.COMPARE_PERSONNEL,
        P.REVIEW_ITEMS,
        P.DECIDE_ITEMS,
        P.INSPECT,
    }
)
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.UNIT_CLERK: frozenset({P.SIGNED_IN, P.VIEW_ESTABLISHMENT, P.SUBMIT_ITEMS}),
    Role.OFFICE_STAFF: frozenset(
        {
            P.SIGNED_IN,
            P.VIEW_ESTABLISHMENT,
            P.VIEW_PERSONNEL,
            P.VIEW_LEADERSHIP,
            P.COMPARE_PERSONNEL,
            P.SUBMIT_ITEMS,  # office-initiated items: 编制调整, 机构设立, 数据查询签批 …
            P.REVIEW_ITEMS,
            P.INSPECT,
        }
    ),
    Role.OFFICE_LEADER: _OFFICE_DECIDER,
    Role.OFFICE_DIRECTOR: _OFFICE_DECIDER,
    Role.ORG_REVIEWER: frozenset(
        {P.SIGNED_IN, P.VIEW_ESTABLISHMENT, P.VIEW_LEADERSHIP, P.JOINT_REVIEW}
    ),
    Role.FINANCE_REVIEWER: frozenset(
        {P.SIGNED_IN, P.VIEW_ESTABLISHMENT, P.VIEW_FUNDED_HEADCOUNT, P.JOINT_REVIEW}
    ),
    Role.HR_REVIEWER: frozenset(
        {P.SIGNED_IN, P.VIEW_ESTABLISHMENT, P.COMPARE_PERSONNEL, P.JOINT_REVIEW}
    ),
    Role.SYSTEM_ADMIN: frozenset({P.SIGNED_IN, P.MANAGE_ACCOUNTS}),
    Role.SECURITY_ADMIN: frozenset({P.SIGNED_IN, P.MANAGE_ROLES}),
    Role.AUDIT_ADMIN: frozenset({P.SIGNED_IN, P.READ_AUDIT}),
}


def permissions_of(roles: frozenset[Role] | set[Role]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS[role]
    return frozenset(granted)
