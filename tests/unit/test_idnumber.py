from datetime import date

import pytest

from pwa.domain import idnumber


def test_check_digit_matches_the_standard_example():
    # GB 11643-1999 appendix example: 11010519491231002X
    assert idnumber.check_digit("11010519491231002") == "X"
    assert idnumber.is_valid("11010519491231002X")


def test_make_builds_valid_numbers_with_gender_parity():
    number = idnumber.make("130702", date(1985, 3, 9), 123)
    assert number.startswith("13070219850309123")
    assert idnumber.is_valid(number)
    assert idnumber.birth_date_of(number) == date(1985, 3, 9)


@pytest.mark.parametrize(
    "bad",
    [
        "11010519491231002Y",
        "1101051949123100",
        "11010519491331002X",
        "110105194912310021",
        "",
        "abcdefghijklmnopqr",
    ],
)
def test_invalid_numbers_are_rejected(bad):
    assert not idnumber.is_valid(bad)


def test_mask_keeps_region_and_last_four():
    assert idnumber.mask("11010519491231002X") == "110105********002X"
    assert not idnumber.is_valid(idnumber.mask("11010519491231002X"))


def test_normalize_handles_full_width_and_lowercase_x():
    assert idnumber.normalize(" １１０１０５１９４９１２３１００２ｘ ") == "11010519491231002X"


def test_leak_scanner_finds_only_valid_numbers():
    text = "a 11010519491231002X b 110105194912310021 c 11010519491231002x1"
    assert idnumber.find_valid_numbers(text) == ["11010519491231002X"]
