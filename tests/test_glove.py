"""GloVe loading: the embedded default, text files, quirks, errors, cache."""

from __future__ import annotations

import os

import numpy as np
import pytest

from jepa_helpers import glove_text
from jepa_helpers.glove import GloVeFormatError, load_glove

# Words that break off-the-shelf readers (PERF_NOTES.md): pandas' NA
# values, a lone double quote, a leading '#', plus unicode.
TRAP_WORDS = ["nan", "null", "n/a", '"', "#hashtag", "'s", "naïve", "東京"]


def write_glove(path, words, vectors, *, end="\n", last_newline=True,
                header=False, trailing=""):  # fmt: skip
    lines = [
        w + " " + " ".join(repr(float(x)) for x in v) + trailing
        for w, v in zip(words, vectors)
    ]
    text = end.join(lines) + (end if last_newline else "")
    if header:
        text = f"{len(words)} {vectors.shape[1]}{end}" + text
    path.write_bytes(text.encode("utf-8"))
    return path


@pytest.fixture
def vectors():
    rng = np.random.default_rng(0)
    return rng.standard_normal((len(TRAP_WORDS) + 40, 7)).astype(np.float32)


@pytest.fixture
def words():
    return TRAP_WORDS + [f"w{i}" for i in range(40)]


# ------------------------------------------------------------ embedded


def test_embedded_default_is_glove_6b_50d(glove):
    assert (len(glove), glove.dim) == (400_000, 50)
    assert "the" in glove and "zzzzqqqq" not in glove and 3 not in glove
    assert glove.vocab.word(0) == "the"  # frequency order
    for w in ["nan", "null", "n/a", '"']:
        assert w in glove, w
    assert any(glove.vocab.word(r).startswith("#") for r in range(400_000))


def test_lookup_keeps_order_repeats_and_oov(glove):
    got = glove.lookup(["a", "qqqzzz", "red", "a", "#"])
    assert "#" in glove  # in GloVe, though tokenize never yields it
    assert got.tokens == ["a", "red", "a", "#"]
    assert got.oov == ["qqqzzz"]
    assert got.matrix.shape == (4, 50) and got.matrix.dtype == np.float32
    np.testing.assert_array_equal(got.matrix[0], glove.vector("a"))
    np.testing.assert_array_equal(got.matrix[0], got.matrix[2])
    empty = glove.lookup([])
    assert empty.matrix.shape == (0, 50)


def test_nearest_words_make_sense(glove):
    near = [w for w, _ in glove.nearest("king", 5)]
    assert "queen" in near and "prince" in near and "king" not in near
    sims = [s for _, s in glove.nearest("king", 5)]
    assert sims == sorted(sims, reverse=True) and sims[0] < 1
    with pytest.raises(KeyError, match="not in"):
        glove.nearest("qqqzzz")


def test_env_var_selects_a_file(tmp_path, cache, monkeypatch, words,
                                vectors):  # fmt: skip
    path = write_glove(tmp_path / "mine.txt", words, vectors)
    monkeypatch.setenv("JEPA_GLOVE_PATH", str(path))
    g = load_glove()
    assert (len(g), g.dim, g.name) == (len(words), 7, "mine.txt")


# ---------------------------------------------------------- text files


def test_exact_round_trip_with_trap_words(tmp_path, cache, words, vectors):
    g = load_glove(write_glove(tmp_path / "g.txt", words, vectors))
    assert (len(g), g.dim) == (len(words), 7)
    for r, w in enumerate(words):
        np.testing.assert_array_equal(g.vector(w), vectors[r])
    assert g.vocab.words() == words


@pytest.mark.parametrize(
    "style",
    [
        dict(end="\r\n"),
        dict(last_newline=False),
        dict(trailing=" "),
        dict(header=True),
        dict(header=True, end="\r\n", last_newline=False),
    ],
    ids=["crlf", "no-final-newline", "trailing-space", "word2vec-header",
         "header-crlf-no-newline"],
)  # fmt: skip
def test_format_variants(tmp_path, cache, words, vectors, style):
    g = load_glove(write_glove(tmp_path / "g.txt", words, vectors, **style))
    assert len(g) == len(words)
    np.testing.assert_array_equal(g.vector("w39"), vectors[-1])
    np.testing.assert_array_equal(g.vector("nan"), vectors[0])


def test_840b_words_with_spaces_and_repeats(tmp_path, cache, vectors):
    words = ["the", ". . .", "at&t", "the", "new york", "x"]
    v = vectors[: len(words)]
    g = load_glove(write_glove(tmp_path / "g.txt", words, v))
    assert len(g) == 5  # "the" repeats: the first row wins
    np.testing.assert_array_equal(g.vector("the"), v[0])
    np.testing.assert_array_equal(g.vector(". . ."), v[1])
    np.testing.assert_array_equal(g.vector("new york"), v[4])
    np.testing.assert_array_equal(g.vector("x"), v[5])
    assert g.vocab.words() == ["the", ". . .", "at&t", "new york", "x"]


def test_blank_lines_at_the_end_are_ignored(tmp_path, cache, words,
                                            vectors):  # fmt: skip
    path = write_glove(tmp_path / "g.txt", words, vectors)
    path.write_bytes(path.read_bytes() + b"\n\n  \n")
    assert len(load_glove(path)) == len(words)


def test_parallel_parser_agrees(tmp_path, cache, monkeypatch):
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((3000, 20)).astype(np.float32)
    words = [f"w{i}" for i in range(3000)]
    path = write_glove(tmp_path / "big.txt", words, vectors)
    monkeypatch.setattr(glove_text, "CHUNK_BYTES", 50_000)
    monkeypatch.setattr(glove_text, "PARALLEL_BYTES", 1)
    g = load_glove(path)
    np.testing.assert_array_equal(np.asarray(g.vectors), vectors)
    assert g.vocab.words() == words


# ------------------------------------------------------------- errors


def expect_error(path, line, match):
    with pytest.raises(GloVeFormatError, match=match) as info:
        load_glove(path)
    assert info.value.line == line and path.name in str(info.value)
    assert f"line {line}" in str(info.value)


@pytest.mark.parametrize("parallel", [False, True])
def test_malformed_files_name_file_and_line(tmp_path, cache, monkeypatch,
                                            parallel):  # fmt: skip
    if parallel:
        monkeypatch.setattr(glove_text, "CHUNK_BYTES", 200)
        monkeypatch.setattr(glove_text, "PARALLEL_BYTES", 1)
    ok = "w 1 2 3\n"
    cases = {
        "short.txt": (ok * 5 + "x 1 2\n" + ok, 6, "expected a word and 3"),
        "long.txt": (ok * 3 + "x 1 2 3 4\n", 4, "found 4 numbers"),
        "text.txt": (ok * 7 + "x 1 two 3\n", 8, "number 2 of 3 is 'two'"),
        "nan.txt": (ok * 2 + "x 1 nan 3\n", 3, "NaN or infinite"),
        "blank.txt": (ok + "\n" + ok, 2, "blank line"),
        "trunc.txt": (ok * 9 + "x 1 2", 10, "expected a word and 3"),
        "header.txt": ("5 3\n" + ok * 4, 1, "header declares 5 vectors"),
    }
    for name, (text, line, match) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        expect_error(path, line, match)
    bad = tmp_path / "latin1.txt"
    bad.write_bytes((ok * 3).encode() + b"caf\xe9 1 2 3\n")
    expect_error(bad, 4, "not valid UTF-8")
    # nothing half-written is left in the cache
    leftovers = list((cache / "glove").iterdir())
    assert leftovers == [], leftovers


def test_empty_missing_and_folder(tmp_path, cache):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    expect_error(empty, 1, "empty")
    with pytest.raises(FileNotFoundError, match="GloVe file not found"):
        load_glove(tmp_path / "nope.txt")
    with pytest.raises(IsADirectoryError, match="expected a GloVe text"):
        load_glove(tmp_path)


# -------------------------------------------------------------- cache


def test_second_load_reads_the_cache_not_the_text(tmp_path, cache,
                                                  monkeypatch, words,
                                                  vectors):  # fmt: skip
    path = write_glove(tmp_path / "g.txt", words, vectors)
    load_glove(path)

    def boom(*a, **k):
        raise AssertionError("parsed again")

    monkeypatch.setattr("jepa_helpers.glove.parse_glove_text", boom)
    g = load_glove(path)
    assert isinstance(g.vectors, np.memmap)
    np.testing.assert_array_equal(g.vector("w3"), vectors[len(TRAP_WORDS) + 3])


def test_a_changed_file_is_parsed_again(tmp_path, cache, words, vectors):
    path = write_glove(tmp_path / "g.txt", words, vectors)
    load_glove(path)
    write_glove(path, words[:10], vectors[:10] * 2)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    g = load_glove(path)
    assert len(g) == 10
    np.testing.assert_array_equal(g.vector("nan"), vectors[0] * 2)
    assert len(list((cache / "glove").iterdir())) == 1  # stale one gone


def test_a_damaged_cache_is_rebuilt(tmp_path, cache, words, vectors):
    path = write_glove(tmp_path / "g.txt", words, vectors)
    load_glove(path)
    (folder,) = (cache / "glove").iterdir()
    (folder / "vocab_offsets.npy").write_bytes(b"garbage")
    g = load_glove(path)
    np.testing.assert_array_equal(g.vector("null"), vectors[1])
