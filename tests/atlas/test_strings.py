"""The figures' table of strings (English and Chinese) and the CJK font fallback."""

import re
import string
import warnings

import pytest

from mlatlas import plots
from mlatlas.atlas import strings

CJK = re.compile(r"[\u4e00-\u9fff]")


def _fields(template: str) -> set:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


@pytest.mark.parametrize("key", sorted(strings.STRINGS))
def test_both_languages_take_the_same_fields(key):
    en, zh = strings.STRINGS[key]
    assert en and zh
    assert _fields(en) == _fields(zh), key


def test_chinese_strings_are_translated():
    # library and parameter names stay as they are; everything worded is translated
    worded = [key for key, (en, _) in strings.STRINGS.items() if re.search(r"[a-z]{4,} [a-z]{3,}", en)]
    untranslated = [key for key in worded if not CJK.search(strings.STRINGS[key][1])]
    assert worded and not untranslated, untranslated


def test_text_formats_and_names_a_missing_key():
    assert strings.text("knn.best_k", "en", k=7) == "best test k = 7"
    assert strings.text("knn.best_k", "zh", k=7) == "测试集最佳 k = 7"
    with pytest.raises(KeyError, match="no string 'nope'"):
        strings.text("nope", "en")


@pytest.fixture
def no_cjk_font(monkeypatch):
    monkeypatch.setattr(plots, "_cjk", [None])
    monkeypatch.setattr(plots, "_warned", [])


def test_without_a_cjk_font_chinese_falls_back_to_english_once(no_cjk_font):
    with pytest.warns(UserWarning, match="fonts-noto-cjk"):
        t = strings.translator("zh")
    assert t("knn.best_k", k=3) == "best test k = 3"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the second time is silent
        assert strings.translator("zh")("legend.class") == "class"
        with plots.language("zh") as used:
            assert used == "en"


def test_with_a_cjk_font_chinese_is_drawn_with_it():
    font = plots.cjk_font()
    if font is None:
        # no CJK font on this machine: Chinese figures are drawn with English labels
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert plots.effective_language("zh") == "en"
        return
    import matplotlib

    with plots.language("zh") as used:
        assert used == "zh" and matplotlib.rcParams["font.family"][0] == font
        assert strings.translator("zh")("legend.class") == "类别"


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="lang must be 'en' or 'zh'; got 'fr'"):
        plots.effective_language("fr")
