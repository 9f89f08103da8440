"""The quota module is the only place figures are derived; these are its edge cases."""

from datetime import date

from pwa.domain.quota import QuotaStatus, Reservation, compute_positions, summarize
from pwa.models import Funding, QuotaKind

TODAY = date(2026, 6, 1)
ADMIN, INST = QuotaKind.ADMINISTRATIVE, QuotaKind.INSTITUTION
FULL, PARTIAL = Funding.FULL, Funding.PARTIAL


def only(positions):
    assert len(positions) == 1
    return positions[0]


def test_approved_is_the_sum_of_ledger_entries_including_cuts():
    p = only(
        compute_positions([(ADMIN, FULL, 20), (ADMIN, FULL, 5), (ADMIN, FULL, -3)], [], [], TODAY)
    )
    assert (p.approved, p.actual, p.vacant, p.over) == (22, 0, 22, 0)
    assert p.status is QuotaStatus.VACANT


def test_vacant_subtracts_people_and_live_reservations():
    p = only(
        compute_positions(
            [(ADMIN, FULL, 10)],
            [(ADMIN, FULL, 6)],
            [(ADMIN, FULL, Reservation(3, 1, date(2026, 9, 1)))],
            TODAY,
        )
    )
    assert (p.actual, p.reserved, p.vacant, p.over) == (6, 2, 2, 0)


def test_exactly_full_is_full_not_vacant():
    p = only(compute_positions([(ADMIN, FULL, 8)], [(ADMIN, FULL, 8)], [], TODAY))
    assert (p.vacant, p.over, p.status) == (0, 0, QuotaStatus.FULL)


def test_over_establishment_reports_over_and_never_negative_vacancy():
    p = only(compute_positions([(ADMIN, FULL, 10)], [(ADMIN, FULL, 13)], [], TODAY))
    assert (p.vacant, p.over, p.free, p.status) == (0, 3, -3, QuotaStatus.OVER)


def test_expired_reservation_holds_nothing():
    expired = Reservation(granted=4, consumed=0, valid_until=date(2026, 5, 31))
    p = only(
        compute_positions([(ADMIN, FULL, 10)], [(ADMIN, FULL, 5)], [(ADMIN, FULL, expired)], TODAY)
    )
    assert (p.reserved, p.vacant) == (0, 5)


def test_reservation_valid_through_its_last_day():
    last_day = Reservation(granted=2, consumed=0, valid_until=TODAY)
    assert last_day.held_on(TODAY) == 2
    assert last_day.held_on(date(2026, 6, 2)) == 0


def test_cancelled_and_used_up_reservations_hold_nothing():
    cancelled = Reservation(3, 0, date(2026, 12, 1), cancelled_on=date(2026, 5, 1))
    used = Reservation(3, 3, date(2026, 12, 1))
    assert cancelled.held_on(TODAY) == 0
    assert used.held_on(TODAY) == 0
    assert Reservation(3, 0, date(2026, 12, 1), cancelled_on=date(2026, 7, 1)).held_on(TODAY) == 3


def test_mixed_funding_forms_are_separate_accounts():
    # A hospital: vacancies in fully funded posts do not cover over-use of partly funded ones.
    positions = compute_positions(
        [(INST, FULL, 50), (INST, PARTIAL, 100)],
        [(INST, FULL, 40), (INST, PARTIAL, 104)],
        [],
        TODAY,
    )
    full, partial = positions
    assert (full.funding, full.vacant, full.over) == (FULL, 10, 0)
    assert (partial.funding, partial.vacant, partial.over) == (PARTIAL, 0, 4)
    total = summarize(positions)
    assert (total.approved, total.actual, total.vacant, total.over) == (150, 144, 10, 4)
    assert total.status is QuotaStatus.OVER


def test_people_without_any_approval_are_all_over():
    p = only(compute_positions([], [(QuotaKind.LOGISTICS, FULL, 2)], [], TODAY))
    assert (p.approved, p.over, p.status) == (0, 2, QuotaStatus.OVER)


def test_reservations_beyond_a_cut_quota_are_overcommitted():
    p = only(
        compute_positions(
            [(ADMIN, FULL, 10), (ADMIN, FULL, -4)],
            [(ADMIN, FULL, 5)],
            [(ADMIN, FULL, Reservation(3, 0, date(2026, 12, 1)))],
            TODAY,
        )
    )
    assert (p.approved, p.free, p.vacant, p.over) == (6, -2, 0, 0)
    assert p.overcommitted
    assert p.status is QuotaStatus.FULL


def test_positions_follow_the_order_of_kinds_then_funding():
    positions = compute_positions(
        [(INST, PARTIAL, 1), (QuotaKind.LOGISTICS, FULL, 1), (ADMIN, FULL, 1), (INST, FULL, 1)],
        [],
        [],
        TODAY,
    )
    assert [(p.kind, p.funding) for p in positions] == [
        (ADMIN, FULL),
        (INST, FULL),
        (INST, PARTIAL),
        (QuotaKind.LOGISTICS, FULL),
    ]


def test_a_fully_cut_account_with_nobody_left_still_shows_zero():
    p = only(compute_positions([(ADMIN, FULL, 5), (ADMIN, FULL, -5)], [], [], TODAY))
    assert (p.approved, p.vacant, p.status) == (0, 0, QuotaStatus.FULL)
    assert p.used_share == 1.0
