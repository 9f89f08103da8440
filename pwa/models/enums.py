"""Closed vocabularies of the establishment domain, stored by their English code.

Chinese labels live in ``pwa.labels`` (through gettext), so the database never holds
display text that a translation would have to match.
"""

from __future__ import annotations

from enum import StrEnum


class RegionLevel(StrEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"


class UnitKind(StrEnum):
    PARTY_ORGAN = "party_organ"  # 党委工作机关
    GOVERNMENT_DEPARTMENT = "government_department"  # 政府工作部门
    PEOPLES_CONGRESS = "peoples_congress"  # 人大机关
    CPPCC = "cppcc"  # 政协机关
    COURT = "court"  # 法院
    PROCURATORATE = "procuratorate"  # 检察院
    MASS_ORGANIZATION = "mass_organization"  # 群团机关
    PUBLIC_INSTITUTION = "public_institution"  # 事业单位
    TOWNSHIP = "township"  # 乡镇街道


class UnitNature(StrEnum):
    ADMINISTRATIVE = "administrative"  # 行政机关
    CIVIL_SERVICE_MANAGED = "civil_service_managed"  # 参公事业单位
    PUBLIC_WELFARE_1 = "public_welfare_1"  # 公益一类
    PUBLIC_WELFARE_2 = "public_welfare_2"  # 公益二类
    COMMERCIAL = "commercial"  # 生产经营类


class UnitRank(StrEnum):
    BUREAU_FULL = "bureau_full"  # 正厅级
    BUREAU_DEPUTY = "bureau_deputy"  # 副厅级
    DIVISION_FULL = "division_full"  # 正处级
    DIVISION_DEPUTY = "division_deputy"  # 副处级
    SECTION_FULL = "section_full"  # 正科级
    SECTION_DEPUTY = "section_deputy"  # 副科级
    STOCK = "stock"  # 股级
    UNRANKED = "unranked"  # 不定规格


class Funding(StrEnum):
    FULL = "full"  # 财政全额拨款
    PARTIAL = "partial"  # 财政差额拨款
    SELF_FINANCED = "self_financed"  # 自收自支


class QuotaKind(StrEnum):
    ADMINISTRATIVE = "administrative"  # 行政编制
    POLITICAL_LEGAL = "political_legal"  # 政法专项编制
    INSTITUTION = "institution"  # 事业编制
    CIVIL_SERVICE_INSTITUTION = "civil_service_institution"  # 参公事业编制
    LOGISTICS = "logistics"  # 机关工勤编制


class LeadershipLevel(StrEnum):
    BUREAU = "bureau"  # 厅局级
    DIVISION = "division"  # 县处级
    SECTION = "section"  # 乡科级


class LeadershipPosition(StrEnum):
    PRINCIPAL = "principal"  # 正职
    DEPUTY = "deputy"  # 副职


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"


class Education(StrEnum):
    POSTGRADUATE = "postgraduate"  # 研究生
    BACHELOR = "bachelor"  # 大学本科
    COLLEGE = "college"  # 大学专科
    SECONDARY = "secondary"  # 中专
    HIGH_SCHOOL_OR_BELOW = "high_school_or_below"  # 高中及以下


class PoliticalStatus(StrEnum):
    CPC_MEMBER = "cpc_member"  # 中共党员
    CPC_PROBATIONARY = "cpc_probationary"  # 中共预备党员
    CYL_MEMBER = "cyl_member"  # 共青团员
    DEMOCRATIC_PARTY = "democratic_party"  # 民主党派
    MASSES = "masses"  # 群众


class EntryMode(StrEnum):
    CIVIL_SERVICE_EXAM = "civil_service_exam"  # 考试录用
    OPEN_RECRUITMENT = "open_recruitment"  # 公开招聘
    TRANSFER_IN = "transfer_in"  # 调任/转任
    MILITARY_RESETTLEMENT = "military_resettlement"  # 军转安置
    SELECTED_GRADUATE = "selected_graduate"  # 选调生
    OTHER = "other"  # 其他


class ExitReason(StrEnum):
    RETIREMENT = "retirement"  # 退休
    TRANSFER_OUT = "transfer_out"  # 调出
    RESIGNATION = "resignation"  # 辞职
    DISMISSAL = "dismissal"  # 辞退
    EXPULSION = "expulsion"  # 开除
    DEATH = "death"  # 死亡
    OTHER = "other"  # 其他


class OffQuotaCategory(StrEnum):
    LABOUR_DISPATCH = "labour_dispatch"  # 劳务派遣
    CONTRACT = "contract"  # 合同制
    TEMPORARY = "temporary"  # 临时聘用


class ItemType(StrEnum):
    QUOTA_USE = "quota_use"  # 用编申请
    STAFF_ENTRY = "staff_entry"  # 人员上编
    STAFF_EXIT = "staff_exit"  # 人员下编
    UNIT_ESTABLISH = "unit_establish"  # 机构设立
    UNIT_ADJUST = "unit_adjust"  # 机构调整
    UNIT_ABOLISH = "unit_abolish"  # 机构撤销
    QUOTA_ADJUST = "quota_adjust"  # 编制调整
    LEADERSHIP_POSTS = "leadership_posts"  # 职数核定
    DATA_QUERY = "data_query"  # 数据查询签批


class ItemState(StrEnum):
    DRAFT = "draft"  # 草稿
    SUBMITTED = "submitted"  # 已提交
    ACCEPTED = "accepted"  # 已受理
    UNDER_REVIEW = "under_review"  # 审核中
    JOINT_REVIEW = "joint_review"  # 联审中
    AWAITING_DECISION = "awaiting_decision"  # 待决定
    APPROVED = "approved"  # 已批准
    EXECUTING = "executing"  # 执行中
    COMPLETED = "completed"  # 已办结
    RETURNED = "returned"  # 退回补正
    WITHDRAWN = "withdrawn"  # 已撤回
    REJECTED = "rejected"  # 不予批准
    REVOKED = "revoked"  # 已撤销
    EXPIRED = "expired"  # 已过期


class TaskStage(StrEnum):
    """One step of an item's route, each done by a holder of one role."""

    INTAKE = "intake"  # 编办经办人: 受理 and 审核
    JOINT_ORG = "joint_org"  # 组织部 opinion
    JOINT_FINANCE = "joint_finance"  # 财政局 opinion
    JOINT_HR = "joint_hr"  # 人社局 opinion
    DECIDE_LEADER = "decide_leader"  # 分管领导
    DECIDE_DIRECTOR = "decide_director"  # 编办主任
    COMMITTEE = "committee"  # 编委会议 (recorded by the director after the meeting)


class TaskOutcome(StrEnum):
    PASSED = "passed"  # 审核通过 / 同意 (opinion)
    OBJECTED = "objected"  # 不同意 (opinion)
    APPROVED = "approved"  # 同意 (decision)
    REJECTED = "rejected"  # 不同意 (decision)
    RETURNED = "returned"  # 退回补正
    CANCELLED = "cancelled"  # no longer needed (或签 satisfied, item withdrawn …)


class Verdict(StrEnum):
    APPROVE = "approve"  # 同意
    REJECT = "reject"  # 不同意
    RETURN = "return"  # 退回补正
