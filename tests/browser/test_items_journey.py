"""On a phone: a clerk declares 用编申请, 编办 reviews it, 组织部 and 财政局 give opinions,
the leader signs the approval with a code from oathtool, and the unit card shows the 预占.

Everything in the journey goes through the real pages (taps and typing), one person after
another on the same phone, each signing out with the app's own logout. Every page is checked
at a 360 px wide viewport: no CSP violation, no console error, nothing wider than the screen
and every button at least 44 px tall.
"""

from __future__ import annotations

import re
import time

import pyotp
from playwright.sync_api import Locator, Page, expect

from auth.roles import Role
from tests.auth_helpers import PASSWORD, make_account
from tests.browser.conftest import oathtool_code, sign_in, wait_for_fresh_step

UNIT = "市教育局"
KIND, FUNDING = "行政编制", "财政全额拨款"  # civil service (组织部) and funded (财政局)
DOCUMENT_NUMBER = re.compile(r"^张编办〔\d{4}〕\d+号$")
# A small Android phone: Pixel 7 emulation (UA, touch, DPR) narrowed to 360 CSS pixels.
NARROW = {"width": 360, "height": 780}

PHONE_FIT = """() => ({
  scrollWidth: document.documentElement.scrollWidth,
  innerWidth,
  short: [...document.querySelectorAll('.app-button')]
    .filter((b) => b.getClientRects().length > 0)  // every button with a box
    .map((b) => [b.textContent.trim(), b.getBoundingClientRect().height])
    .filter(([, height]) => height < 44),
})"""


def check_phone_page(page: Page, *buttons: str) -> None:
    """The page fits the phone, its buttons are thumb-sized, and nothing broke the CSP."""
    for name in buttons:
        button = page.get_by_role("button", name=name, exact=True)
        expect(button).to_be_visible()
        assert button.bounding_box()["height"] >= 44, name
    fit = page.evaluate(PHONE_FIT)
    assert fit["innerWidth"] == NARROW["width"]
    assert fit["scrollWidth"] <= fit["innerWidth"], f"horizontal scroll on {page.url}"
    assert fit["short"] == [], f"buttons under 44 px on {page.url}"
    assert page.evaluate("() => window.__csp || []") == [], page.url
    assert page.console_errors == [], page.url


def summary_value(scope: Page | Locator, term: str) -> Locator:
    """The <dd> beside the <dt> that reads exactly ``term`` in a summary list."""
    page = getattr(scope, "page", scope)
    term_cell = page.locator("dt").filter(has_text=re.compile(f"^{re.escape(term)}$"))
    return scope.locator(".app-summary__row").filter(has=term_cell).locator("dd")


def expect_state(page: Page, state: str) -> None:
    expect(summary_value(page, "当前状态").first).to_have_text(state)


def sign_out(page: Page, base: str) -> None:
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="我的").click()
    page.get_by_role("link", name="退出登录").click()
    check_phone_page(page, "确认退出")
    page.get_by_role("button", name="确认退出").click()
    expect(page).to_have_url(base + "/login?logged_out=1")


def open_from_todo(page: Page, item_id: int) -> None:
    """From the bottom bar: 待办 → 待我审批 → the item."""
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="待办").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("待办事项")
    tab = page.get_by_role("navigation", name="事项分类").get_by_role(
        "link", name=re.compile("待我审批")
    )
    expect(tab).to_have_attribute("aria-current", "page")
    link = page.locator("#inbox-results").get_by_role("link", name=re.compile(f"用编申请 · {UNIT}"))
    link = link.and_(page.locator(f'a[href$="/items/{item_id}"]'))
    expect(link).to_be_visible()
    check_phone_page(page)
    link.click()
    expect(page).to_have_url(re.compile(rf"/items/{item_id}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"用编申请 · {UNIT}")


def form_position(page: Page) -> dict[str, int]:
    """核定/实有/预占/空编 of KIND × FUNDING in the declaration form's quota table."""
    table = page.get_by_role("region", name="本单位编制情况").get_by_role("table")
    heads = [t.strip() for t in table.locator("thead th").all_inner_texts()]
    row = table.locator("tbody tr").filter(has_text=KIND).filter(has_text=FUNDING)
    expect(row).to_have_count(1)
    cells = [int(re.match(r"\d+", c.strip()).group()) for c in row.locator("td").all_inner_texts()]
    return dict(zip(heads[1:], cells, strict=True))


def card_position(page: Page) -> dict[str, int]:
    """核定/实有/预占/空编 of KIND × FUNDING on the unit card's 编制使用 list."""
    expect(page.get_by_role("heading", name="编制使用")).to_be_visible()
    entry = page.locator(".app-quota").filter(
        has=page.get_by_role("heading", level=3, name=f"{KIND} · {FUNDING}", exact=True)
    )
    expect(entry).to_have_count(1)
    figures = {}
    for stat in entry.locator(".app-stat").all():
        figures[stat.locator("dt").inner_text().strip()] = int(stat.locator("dd").inner_text())
    return figures


def open_unit_card(page: Page) -> Locator:
    """From the item page, the unit's name links to its card; returns the card's 在办事项
    once htmx has loaded them (approvals are not part of the offline-cacheable card)."""
    summary_value(page, "单位").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/units/\d+$"))
    in_hand = page.get_by_role("region", name="在办事项")
    expect(in_hand.get_by_role("link", name="查看本单位在办事项")).to_have_count(0)
    return in_hand


def give_opinion(page: Page, base: str, account: dict, item_id: int, stage: str) -> None:
    sign_in(page, base, account)
    open_from_todo(page, item_id)
    expect_state(page, "联审中")
    action = page.locator("#opinion")
    expect(action.get_by_role("heading", level=3)).to_have_text(stage)
    check_phone_page(page, "提交意见")
    action.get_by_label("同意", exact=True).check()
    action.get_by_label("意见说明").fill("同意，符合本部门审核要求。")
    page.get_by_role("button", name="提交意见").click()
    expect(page.get_by_role("status")).to_contain_text("联审意见已提交")
    opinion = page.get_by_role("region", name="联审意见").locator("li").filter(has_text=stage)
    expect(opinion.locator(".app-opinion__outcome")).to_have_text("同意")
    check_phone_page(page)
    sign_out(page, base)


def test_quota_use_declared_reviewed_jointly_and_approved_on_a_phone(
    watched_page, live_server, demo_accounts
):
    page, base = watched_page, live_server
    page.set_viewport_size(NARROW)

    # 1. The unit clerk declares 用编申请 for their own unit.
    sign_in(page, base, demo_accounts["clerk"])
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="待办").click()
    page.get_by_role("link", name="申报事项").click()
    expect(page).to_have_url(base + "/items/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("申报事项")
    check_phone_page(page)
    page.get_by_role("link", name=re.compile("^用编申请")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("用编申请")
    before_form = form_position(page)
    assert before_form["空编"] >= 1, f"the demo unit has no vacant {KIND}/{FUNDING}"

    page.get_by_label("编制类型").select_option(label=KIND)
    page.get_by_label("经费形式").select_option(label=FUNDING)
    page.get_by_label("申请使用人数").fill("1")
    page.get_by_label("进人方式").select_option(label="考试录用")
    page.get_by_label("拟进人岗位").fill("综合科科员")
    page.get_by_label("用编理由").fill("综合科一名科员退休，需通过公务员考试录用补充一人。")
    check_phone_page(page, "提交", "保存草稿")
    page.get_by_role("button", name="提交", exact=True).click()

    expect(page).to_have_url(re.compile(r"/items/\d+$"))
    item_id = int(re.search(r"/items/(\d+)$", page.url).group(1))
    expect(page.get_by_role("status")).to_have_text("已提交，等待编办受理")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"用编申请 · {UNIT}")
    expect_state(page, "已提交")
    check_phone_page(page)
    # The card as it stands before the decision (declaring reserves nothing yet).
    in_hand = open_unit_card(page)
    expect(in_hand.locator(f'a[href$="/items/{item_id}"]')).to_contain_text("已提交")
    unit_name = page.get_by_role("heading", level=1).inner_text()
    before = card_position(page)
    assert {k: before[k] for k in before_form} == before_form
    check_phone_page(page)
    sign_out(page, base)

    # 2. 编办经办人: 受理 → 开始审核 → 审核通过, sent to the joint review.
    sign_in(page, base, demo_accounts["staff"])
    open_from_todo(page, item_id)
    expect_state(page, "已提交")
    check_phone_page(page, "受理")
    page.get_by_role("button", name="受理", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("已受理")
    expect_state(page, "已受理")
    check_phone_page(page, "开始审核")
    page.get_by_role("button", name="开始审核").click()
    expect(page.get_by_role("status")).to_have_text("已开始审核")
    expect_state(page, "审核中")
    checks = page.get_by_role("region", name="自动校验")
    expect(checks.locator(".app-checks__item--fail")).to_have_count(0)
    check_phone_page(page, "审核通过，送联审")
    page.get_by_label("审核意见").fill("材料齐全，有空编，送联审。")
    page.get_by_role("button", name="审核通过，送联审").click()
    expect(page.get_by_role("status")).to_have_text("已审核通过，送下一环节")
    expect_state(page, "联审中")
    expect(page.locator(".app-item__state .app-tag")).to_have_text(["组织部联审", "财政局联审"])
    check_phone_page(page)
    sign_out(page, base)

    # 3. 组织部 (civil-service kind) and 财政局 (funded) each agree.
    give_opinion(page, base, demo_accounts["zzb"], item_id, "组织部联审")
    give_opinion(page, base, demo_accounts["czj"], item_id, "财政局联审")

    # 4. 分管领导 reads the approval card and signs 同意 with a fresh code.
    leader = demo_accounts["leader"]
    sign_in(page, base, leader)
    open_from_todo(page, item_id)
    expect_state(page, "待决定")
    expect(summary_value(page, "单位")).to_have_text(unit_name)
    expect(summary_value(page, "事项类型")).to_have_text("用编申请")
    content = page.get_by_role("region", name="申报内容")
    expect(summary_value(content, "编制类型")).to_have_text(KIND)
    expect(summary_value(content, "经费形式")).to_have_text(FUNDING)
    expect(summary_value(content, "申请使用（名）")).to_have_text("1")
    expect(summary_value(content, "进人方式")).to_have_text("考试录用")
    quota = page.get_by_role("region", name="编制情况")
    expect(quota.locator(".app-note")).to_have_text(f"{KIND} · {FUNDING}")
    rows = quota.locator("tbody tr")
    expect(rows.locator("th")).to_have_text(["批准前", "批准后"])
    figures = [[int(c) for c in r.locator("td").all_inner_texts()] for r in rows.all()]
    order = ["核定", "实有", "预占", "空编"]
    assert figures[0] == [before[k] for k in order]
    assert figures[1] == [before["核定"], before["实有"], before["预占"] + 1, before["空编"] - 1]
    opinions = page.get_by_role("region", name="联审意见").locator("li")
    expect(opinions).to_have_count(2)
    for stage in ("组织部联审", "财政局联审"):
        expect(opinions.filter(has_text=stage).locator(".app-opinion__outcome")).to_have_text(
            "同意"
        )
    decide = page.locator("#decide")
    expect(decide.get_by_role("heading", level=3)).to_have_text("审批决定 · 分管领导审批")
    check_phone_page(page, "签批")

    decide.get_by_label("同意", exact=True).check()
    code_box = decide.get_by_label("动态码")
    assert code_box.get_attribute("inputmode") == "numeric"
    assert code_box.get_attribute("autocomplete") == "one-time-code"
    wait_for_fresh_step(leader["totp_secret"])  # the login spent this step's code
    code_box.fill(oathtool_code(leader["totp_secret"]))
    page.get_by_role("button", name="签批").click()

    expect(page.get_by_role("status")).to_have_text("已签批同意，事项已批准")
    expect_state(page, "已批准")
    expect(summary_value(page, "文号")).to_have_text(DOCUMENT_NUMBER)
    expect(page.locator("#decide")).to_have_count(0)
    check_phone_page(page)

    # 5. The unit card shows the reservation: one more 预占, one fewer 空编.
    open_unit_card(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(unit_name)
    after = card_position(page)
    assert after == {**before, "预占": before["预占"] + 1, "空编": before["空编"] - 1}
    expect(page.get_by_text(re.compile(r"预占编制：\d+ 名"))).to_be_visible()
    check_phone_page(page)


def _awaiting_decision(live_app, demo_accounts) -> int:
    """A 用编申请 by the clerk, taken by the item services (as the web layer calls them)
    through intake and both joint opinions: the scene for the decision page."""
    from sqlalchemy import select

    from auth.models import Account
    from auth.scope import scope_for
    from pwa.domain.items import payloads as p
    from pwa.domain.items import service
    from pwa.extensions import db
    from pwa.models import EntryMode, Funding, ItemType, QuotaKind
    from pwa.routes.items_support import context

    def who(name: str) -> service.Participant:
        account = db.session.scalar(
            select(Account).where(Account.username == demo_accounts[name]["username"])
        )
        return service.Participant(account.id, account.role_set, scope_for(db.session, account))

    def run(fn, *args, **kwargs):
        with db.write() as session:
            result = fn(session, *args, ctx=context(), **kwargs)
            session.flush()
            return result.id, result.version, result.state.value

    with live_app.test_request_context():
        # No request hooks run here: give the audit actor the identity load_identity would.
        live_app.preprocess_request()
        clerk = who("clerk")
        payload = p.QuotaUse(
            QuotaKind.ADMINISTRATIVE,
            Funding.FULL,
            1,
            EntryMode.CIVIL_SERVICE_EXAM,
            "办公室科员",
            "办公室一名科员调出，需考试录用补充。",
        )
        draft = service.Draft(ItemType.QUOTA_USE, clerk.scope.unit_id, payload, {}, False)
        key = f"wrong-code-{time.time_ns()}"
        item_id, version, _ = run(service.create, clerk, draft, idempotency_key=key, submit=True)
        staff = who("staff")
        steps = [
            (service.accept, staff, {}),
            (service.begin_review, staff, {}),
            (service.forward, staff, {"comment": ""}),
            (service.give_opinion, who("zzb"), {"agree": True, "comment": ""}),
            (service.give_opinion, who("czj"), {"agree": True, "comment": ""}),
        ]
        for fn, actor, extra in steps:
            item_id, version, state = run(fn, actor, item_id, expected_version=version, **extra)
        assert state == "awaiting_decision"
    return item_id


def wrong_code(secret: str) -> str:
    """Six digits that are not the code of this, the previous or the next step."""
    totp, now = pyotp.TOTP(secret), time.time()
    valid = {totp.at(now + delta) for delta in (-30, 0, 30)}
    return next(c for c in ("000000", "123456", "999999", "314159") if c not in valid)


def test_decision_with_a_wrong_code_is_refused_in_chinese_and_changes_nothing(
    watched_page, live_server, live_app, demo_accounts
):
    page, base = watched_page, live_server
    page.set_viewport_size(NARROW)
    item_id = _awaiting_decision(live_app, demo_accounts)
    # A second 分管领导 of the city (a decision task is open to every leader in
    # jurisdiction): the demo leader's code step may still be spent by the journey.
    _, secret = make_account(live_app, "fenguan2", Role.OFFICE_LEADER)
    leader = {"username": "fenguan2", "password": PASSWORD, "totp_secret": secret}
    sign_in(page, base, leader)
    open_from_todo(page, item_id)
    expect_state(page, "待决定")

    decide = page.locator("#decide")
    decide.get_by_label("同意", exact=True).check()
    decide.get_by_label("动态码").fill(wrong_code(leader["totp_secret"]))
    page.get_by_role("button", name="签批").click()

    expect(page.get_by_role("alert")).to_contain_text("动态码不正确")
    expect(page.locator("#decide-code-error")).to_have_text(
        "动态码不正确，请输入验证器应用中当前显示的 6 位动态码"
    )
    expect(decide.get_by_label("动态码")).to_have_attribute("aria-invalid", "true")
    expect(decide.get_by_label("同意", exact=True)).to_be_checked()  # the choice is kept
    expect_state(page, "待决定")
    expect(summary_value(page, "文号")).to_have_count(0)
    # The refusal answers 400, which Chromium reports on the console; nothing else may.
    refused = "Failed to load resource: the server responded with a status of 400"
    page.console_errors[:] = [e for e in page.console_errors if not e.startswith(refused)]
    check_phone_page(page, "签批")

    # Still undecided on a fresh look (a GET: reloading would post the form again).
    open_from_todo(page, item_id)
    expect_state(page, "待决定")
    expect(page.locator("#decide")).to_be_visible()
    check_phone_page(page)
