from hypothesis import given
from hypothesis import strategies as st

from jepa_helpers.text import tokenize


def test_seed_example_tokens():
    assert tokenize("A child is playing with a red ball in the park.") == [
        "a", "child", "is", "playing", "with", "a", "red", "ball", "in",
        "the", "park",
    ]  # fmt: skip
    assert tokenize(
        "The kid happily throws the bright red ball across the playground."
    ) == [
        "the", "kid", "happily", "throws", "the", "bright", "red", "ball",
        "across", "the", "playground",
    ]  # fmt: skip


def test_rule_edges():
    assert tokenize("") == []
    assert tokenize("#") == []
    assert tokenize("Don't STOP") == ["don't", "stop"]
    assert tokenize("café 東京 🎈 naïve") == ["caf", "na", "ve"]
    assert tokenize("a1b2") == ["a", "b"]


def test_rejects_non_text():
    import pytest

    with pytest.raises(TypeError, match="expects a str"):
        tokenize(None)  # type: ignore[arg-type]


@given(st.text())
def test_any_unicode_gives_lowercase_ascii_tokens(text):
    tokens = tokenize(text)
    for t in tokens:
        assert t and all(c.isascii() and (c.isalpha() or c == "'")
                         for c in t)  # fmt: skip
        assert t == t.lower()


def test_long_text_is_linear():
    text = "the red ball " * 40_000
    assert len(tokenize(text)) == 120_000
