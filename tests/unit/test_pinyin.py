"""Pinyin of unit and place names (多音字 included) and query normalisation."""

from __future__ import annotations

import pytest

from pwa.domain.search import normalize_query, pinyin_forms
from pwa.domain.search_index import MAX_QUERY_LENGTH, normalize_name, pinyin_variants


@pytest.mark.parametrize(
    ("name", "pinyin", "initials"),
    [
        ("重庆", "chongqing", "cq"),
        ("长治", "changzhi", "cz"),  # pypinyin alone: zhangzhi
        ("行政", "xingzheng", "xz"),
        ("蔚县", "yuxian", "yx"),
        ("银行", "yinhang", "yh"),
        ("单县", "shanxian", "sx"),  # pypinyin alone: danxian
        ("解放", "jiefang", "jf"),
        ("乐亭县", "laotingxian", "ltx"),
        ("大城县", "dachengxian", "dcx"),
        ("井陉", "jingxing", "jx"),
        ("张家口", "zhangjiakou", "zjk"),
        ("教育局", "jiaoyuju", "jyj"),
        ("卫生健康委员会", "weishengjiankangweiyuanhui", "wsjkwyh"),
        ("张家口市教育局", "zhangjiakoushijiaoyuju", "zjksjyj"),
        ("长子县", "changzixian", "czx"),  # pypinyin alone: zhangzixian (长子, eldest son)
        ("朝阳区", "chaoyangqu", "cyq"),  # pypinyin alone: zhaoyang
        ("闵行区", "minhangqu", "mhq"),  # pypinyin alone: minxing
        ("丰都县", "fengduxian", "fdx"),  # pypinyin alone: fengdou
        ("泊头市", "botoushi", "bts"),
        ("曾家庄", "zengjiazhuang", "zjz"),  # the surname, not 曾经
        ("蔚县长宁乡人民政府", "yuxianchangningxiangrenminzhengfu", "yxcnxrmzf"),
        ("张家口市工商行政管理局", "zhangjiakoushigongshangxingzhengguanliju", "zjksgsxzglj"),
        ("中国工商银行", "zhongguogongshangyinhang", "zggsyh"),
        ("市场监督管理局", "shichangjianduguanliju", "scjdglj"),
        ("女子监狱", "nvzijianyu", "nzjy"),
    ],
)
def test_place_and_unit_words_read_right(name: str, pinyin: str, initials: str) -> None:
    assert pinyin_forms(name) == (pinyin, initials)


def test_a_reading_across_an_administrative_suffix_is_kept_as_a_second_form() -> None:
    # 张家口市 + 长城区 is what is meant; 市长 + 城区 is what pypinyin's phrases suggest.
    assert pinyin_variants("张家口市长城区") == [
        ("zhangjiakoushichangchengqu", "zjksccq"),
        ("zhangjiakoushizhangchengqu", "zjkszcq"),
    ]
    assert pinyin_variants("蔚县教育局") == [("yuxianjiaoyuju", "yxjyj")]


def test_latin_letters_and_digits_are_kept_punctuation_dropped() -> None:
    assert pinyin_forms("CBD管委会（筹）１号") == ("cbdguanweihuichou1hao", "cbdgwhc1h")
    assert pinyin_forms("") == ("", "")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  教育局  ", "教育局"),
        ("ＪＹＪ", "jyj"),  # full-width letters
        ("　张家口　市\t教育局\n", "张家口 市 教育局"),  # ideographic space, tab, newline
        ("91130700MA0ABCDE1X", "91130700ma0abcde1x"),
        ("１２３４５", "12345"),
        ("教育\u200b局", "教育局"),  # zero-width space dropped
        ("\ud800教育", "教育"),  # a lone surrogate dropped
        ("\x00\x1f", ""),
        ("", ""),
        ("   ", ""),
        ("%_'\"", "%_'\""),  # kept: escaping is the query's job, not normalisation's
        ("Ünïcode Straße", "Ünïcode straße"),  # ASCII lower-cased only
    ],
)
def test_normalize_query(raw: str, expected: str) -> None:
    assert normalize_query(raw) == expected


def test_normalize_query_caps_length_and_never_raises() -> None:
    assert len(normalize_query("教" * 500)) == MAX_QUERY_LENGTH
    assert normalize_query(None) == ""  # type: ignore[arg-type]
    assert normalize_query(12) == ""  # type: ignore[arg-type]
    assert normalize_query("😀" * 3) == "😀😀😀"


def test_names_normalise_like_queries_without_spaces_or_cap() -> None:
    assert normalize_name("张家口市　教育局（ＡＢＣ）") == "张家口市教育局(abc)"
    assert len(normalize_name("教" * 100)) == 100
