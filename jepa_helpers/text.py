"""Tokenising text the way the seed scripts did.

Introduced in 01_tokenising_and_loading_glove.
"""

from __future__ import annotations

import re

TOKEN_PATTERN = re.compile(r"[a-z']+")


def tokenize(text: str) -> list[str]:
    """Split ``text`` into lower-case tokens matching ``[A-Za-z']+``.

    The seed scripts' rule: lower-case first, then keep maximal runs of
    ASCII letters and apostrophes. Everything else (digits, punctuation,
    accented letters, CJK, emoji) separates tokens and is dropped, so
    ``"café"`` gives ``["caf"]`` and ``"#"`` gives ``[]``.

    Introduced in 01_tokenising_and_loading_glove.

    >>> tokenize("A child is playing with a red ball in the park.")
    ['a', 'child', 'is', 'playing', 'with', 'a', 'red', 'ball', 'in', 'the', 'park']
    """
    if not isinstance(text, str):
        raise TypeError(f"tokenize expects a str, got {type(text).__name__}")
    # str.lower() can map a non-ASCII letter to ASCII ("K" KELVIN SIGN ->
    # "k"), exactly as the seed's lower-then-match did; keep that.
    return TOKEN_PATTERN.findall(text.lower())


_SEP = "\x00"
_MANY_PATTERN = re.compile(r"[a-z']+|\x00")


def tokenize_many(texts: list[str]) -> tuple[list[str], list[int]]:
    """Tokens of many texts in one pass: the flat list and the counts.

    Equal to ``[tokenize(t) for t in texts]`` flattened, with
    ``counts[c] = len(tokenize(texts[c]))``, but one regex scan over the
    joined texts instead of one per text (for batched scoring).
    """
    joined = _SEP.join(texts)
    if joined.count(_SEP) != max(len(texts) - 1, 0):
        joined = _SEP.join(t.replace(_SEP, " ") for t in texts)
    found = _MANY_PATTERN.findall(joined.lower())
    counts, flat, n = [], [], 0
    for tok in found:
        if tok == _SEP:
            counts.append(n)
            n = 0
        else:
            flat.append(tok)
            n += 1
    counts.append(n)
    if not texts:
        return [], []
    return flat, counts
