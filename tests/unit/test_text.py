from hypothesis import given
from hypothesis import strategies as st

from extractor.domain.text import clean_text, is_blank, norm_key, same_text


def test_norm_key_nfkc_and_white_space():
    assert norm_key("其中： 当年财政拨款") == norm_key("其中:当年财政拨款")
    assert norm_key("=100.00 (%)") == "=100.00(%)"


def test_clean_text_removes_spaces_inside_cjk_but_keeps_latin_words():
    assert clean_text("完成 2 次慰问走访活动") == "完成2次慰问走访活动"
    assert clean_text("年度 总体 目标") == "年度总体目标"
    assert clean_text("ISO 9001 认证") == "ISO 9001认证"
    assert clean_text("  满意度未达到 100%  ") == "满意度未达到100%"


def test_blank_marks():
    for mark in ("", " ", "—", "-", "－", "/"):
        assert is_blank(mark)
    assert not is_blank("0.00")
    assert not is_blank("无")


@given(st.text())
def test_clean_text_preserves_the_comparison_key(text):
    assert norm_key(clean_text(text)) == norm_key(text.strip()) or not text.strip()


@given(st.text())
def test_clean_text_is_idempotent(text):
    assert clean_text(clean_text(text)) == clean_text(text)


def test_same_text():
    assert same_text("服务对象 满意度指标", "服务对象满意度指标")
    assert not same_text("完成年初预定的采购目", "完成年初预定的采购目标")
