"""Display labels of the domain vocabularies, through gettext (msgids are the Chinese terms)."""

from __future__ import annotations

from enum import Enum
from weakref import WeakKeyDictionary

from pwa.domain.quota import QuotaStatus
from pwa.i18n import request_translations
from pwa.models import (
    Education,
    EntryMode,
    ExitReason,
    Funding,
    Gender,
    ItemState,
    ItemType,
    LeadershipLevel,
    LeadershipPosition,
    OffQuotaCategory,
    PoliticalStatus,
    QuotaKind,
    RegionLevel,
    TaskOutcome,
    TaskStage,
    UnitKind,
    UnitNature,
    UnitRank,
    Verdict,
)


def _l(msgid: str) -> str:  # extraction keyword; translated per request by ``label``
    return msgid


# Pairs, not a dict literal: members of different StrEnums with the same value (ItemState.
# APPROVED and TaskOutcome.APPROVED are both "approved") compare equal and would collide.
_PAIRS: tuple[tuple[Enum, str], ...] = (
    (RegionLevel.PROVINCE, _l("省")),
    (RegionLevel.CITY, _l("市")),
    (RegionLevel.COUNTY, _l("县（市、区）")),
    (UnitKind.PARTY_ORGAN, _l("党委工作机关")),
    (UnitKind.GOVERNMENT_DEPARTMENT, _l("政府工作部门")),
    (UnitKind.PEOPLES_CONGRESS, _l("人大机关")),
    (UnitKind.CPPCC, _l("政协机关")),
    (UnitKind.COURT, _l("法院")),
    (UnitKind.PROCURATORATE, _l("检察院")),
    (UnitKind.MASS_ORGANIZATION, _l("群团机关")),
    (UnitKind.PUBLIC_INSTITUTION, _l("事业单位")),
    (UnitKind.TOWNSHIP, _l("乡镇街道")),
    (UnitNature.ADMINISTRATIVE, _l("行政机关")),
    (UnitNature.CIVIL_SERVICE_MANAGED, _l("参公事业单位")),
    (UnitNature.PUBLIC_WELFARE_1, _l("公益一类")),
    (UnitNature.PUBLIC_WELFARE_2, _l("公益二类")),
    (UnitNature.COMMERCIAL, _l("生产经营类")),
    (UnitRank.BUREAU_FULL, _l("正厅级")),
    (UnitRank.BUREAU_DEPUTY, _l("副厅级")),
    (UnitRank.DIVISION_FULL, _l("正处级")),
    (UnitRank.DIVISION_DEPUTY, _l("副处级")),
    (UnitRank.SECTION_FULL, _l("正科级")),
    (UnitRank.SECTION_DEPUTY, _l("副科级")),
    (UnitRank.STOCK, _l("股级")),
    (UnitRank.UNRANKED, _l("不定规格")),
    (Funding.FULL, _l("财政全额拨款")),
    (Funding.PARTIAL, _l("财政差额拨款")),
    (Funding.SELF_FINANCED, _l("自收自支")),
    (QuotaKind.ADMINISTRATIVE, _l("行政编制")),
    (QuotaKind.POLITICAL_LEGAL, _l("政法专项编制")),
    (QuotaKind.INSTITUTION, _l("事业编制")),
    (QuotaKind.CIVIL_SERVICE_INSTITUTION, _l("参公事业编制")),
    (QuotaKind.LOGISTICS, _l("机关工勤编制")),
    (QuotaStatus.VACANT, _l("空编")),
    (QuotaStatus.FULL, _l("满编")),
    (QuotaStatus.OVER, _l("超编")),
    (LeadershipLevel.BUREAU, _l("厅局级")),
    (LeadershipLevel.DIVISION, _l("县处级")),
    (LeadershipLevel.SECTION, _l("乡科级")),
    (LeadershipPosition.PRINCIPAL, _l("正职")),
    (LeadershipPosition.DEPUTY, _l("副职")),
    (Gender.MALE, _l("男")),
    (Gender.FEMALE, _l("女")),
    (Education.POSTGRADUATE, _l("研究生")),
    (Education.BACHELOR, _l("大学本科")),
    (Education.COLLEGE, _l("大学专科")),
    (Education.SECONDARY, _l("中专")),
    (Education.HIGH_SCHOOL_OR_BELOW, _l("高中及以下")),
    (PoliticalStatus.CPC_MEMBER, _l("中共党员")),
    (PoliticalStatus.CPC_PROBATIONARY, _l("中共预备党员")),
    (PoliticalStatus.CYL_MEMBER, _l("共青团员")),
    (PoliticalStatus.DEMOCRATIC_PARTY, _l("民主党派")),
    (PoliticalStatus.MASSES, _l("群众")),
    (EntryMode.CIVIL_SERVICE_EXAM, _l("考试录用")),
    (EntryMode.OPEN_RECRUITMENT, _l("公开招聘")),
    (EntryMode.TRANSFER_IN, _l("调任转任")),
    (EntryMode.MILITARY_RESETTLEMENT, _l("军转安置")),
    (EntryMode.SELECTED_GRADUATE, _l("选调生")),
    (EntryMode.OTHER, _l("其他")),
    (ExitReason.RETIREMENT, _l("退休")),
    (ExitReason.TRANSFER_OUT, _l("调出")),
    (ExitReason.RESIGNATION, _l("辞职")),
    (ExitReason.DISMISSAL, _l("辞退")),
    (ExitReason.EXPULSION, _l("开除")),
    (ExitReason.DEATH, _l("死亡")),
    (ExitReason.OTHER, _l("其他原因")),
    (OffQuotaCategory.LABOUR_DISPATCH, _l("劳务派遣")),
    (OffQuotaCategory.CONTRACT, _l("合同制")),
    (OffQuotaCategory.TEMPORARY, _l("临时聘用")),
    (ItemType.QUOTA_USE, _l("用编申请")),
    (ItemType.STAFF_ENTRY, _l("人员上编")),
    (ItemType.STAFF_EXIT, _l("人员下编")),
    (ItemType.UNIT_ESTABLISH, _l("机构设立")),
    (ItemType.UNIT_ADJUST, _l("机构调整")),
    (ItemType.UNIT_ABOLISH, _l("机构撤销")),
    (ItemType.QUOTA_ADJUST, _l("编制调整")),
    (ItemType.LEADERSHIP_POSTS, _l("职数核定")),
    (ItemType.DATA_QUERY, _l("数据查询签批")),
    (ItemState.DRAFT, _l("草稿")),
    (ItemState.SUBMITTED, _l("已提交")),
    (ItemState.ACCEPTED, _l("已受理")),
    (ItemState.UNDER_REVIEW, _l("审核中")),
    (ItemState.JOINT_REVIEW, _l("联审中")),
    (ItemState.AWAITING_DECISION, _l("待决定")),
    (ItemState.APPROVED, _l("已批准")),
    (ItemState.EXECUTING, _l("执行中")),
    (ItemState.COMPLETED, _l("已办结")),
    (ItemState.RETURNED, _l("退回补正")),
    (ItemState.WITHDRAWN, _l("已撤回")),
    (ItemState.REJECTED, _l("不予批准")),
    (ItemState.REVOKED, _l("已撤销")),
    (ItemState.EXPIRED, _l("已过期")),
    (TaskStage.INTAKE, _l("编办受理审核")),
    (TaskStage.JOINT_ORG, _l("组织部联审")),
    (TaskStage.JOINT_FINANCE, _l("财政局联审")),
    (TaskStage.JOINT_HR, _l("人社局联审")),
    (TaskStage.DECIDE_LEADER, _l("分管领导审批")),
    (TaskStage.DECIDE_DIRECTOR, _l("编办主任审批")),
    (TaskStage.COMMITTEE, _l("编委会议审议")),
    (TaskOutcome.PASSED, _l("同意")),
    (TaskOutcome.OBJECTED, _l("不同意")),
    (TaskOutcome.APPROVED, _l("同意")),
    (TaskOutcome.REJECTED, _l("不同意")),
    (TaskOutcome.RETURNED, _l("退回补正")),
    (TaskOutcome.CANCELLED, _l("无需办理")),
    (Verdict.APPROVE, _l("同意")),
    (Verdict.REJECT, _l("不同意")),
    (Verdict.RETURN, _l("退回补正")),
)
LABELS: dict[tuple[type, Enum], str] = {(type(k), k): v for k, v in _PAIRS}


# Every label translated at once per catalogue (one per locale, kept by Flask-Babel): pages
# show dozens of labels, and a dictionary look-up is all each of them then costs.
_TRANSLATED: WeakKeyDictionary[object, dict[tuple[type, Enum], str]] = WeakKeyDictionary()


def label(value: Enum) -> str:
    """The user-facing name of a vocabulary member; a missing label is a bug, not a blank."""
    translations = request_translations()
    labels = _TRANSLATED.get(translations)
    if labels is None:
        labels = _TRANSLATED[translations] = {
            key: translations.ugettext(msgid) for key, msgid in LABELS.items()
        }
    return labels[(type(value), value)]
