"""Tests of ``CachedEncoder`` (issue 3; notebook 02_gpt_embeddings)."""

from __future__ import annotations

import hashlib
import multiprocessing
import threading

import numpy as np
import openai
import pytest

from counting_embeddings_server import CountingEmbeddingsServer
from jepa_helpers import embedding_cache
from jepa_helpers.encoders import CachedEncoder, EncoderError, OpenAIEncoder


class HashEncoder:
    """Deterministic unit vectors from a text's sha256; records each call."""

    model = "hash-v1"

    def __init__(self, dim: int = 8, name: str = "hash:test") -> None:
        self.dim, self.name = dim, name
        self.calls: list[list[str]] = []

    def describe(self) -> str:
        return "hash test encoder"

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return np.stack([self.vector(t) for t in texts]).reshape(
            len(texts), self.dim
        )

    def vector(self, text: str) -> np.ndarray:
        seed = hashlib.sha256(text.encode()).digest()
        rng = np.random.default_rng(list(seed))
        v = rng.standard_normal(self.dim).astype(np.float32)
        return v / np.linalg.norm(v)


def entries(directory) -> list:
    return sorted(directory.rglob("*.emb"))


def test_second_run_is_all_hits(tmp_path):
    inner = HashEncoder()
    enc = CachedEncoder(inner, directory=tmp_path)
    texts = ["a", "b", "c"]
    first = enc.encode(texts)
    assert enc.stats() == {"hits": 0, "misses": 3, "damaged": 0, "calls": 1}
    again = CachedEncoder(inner, directory=tmp_path).encode(texts)
    np.testing.assert_array_equal(first, again)
    assert len(inner.calls) == 1
    assert len(entries(tmp_path)) == 3


def test_only_misses_are_sent_in_one_call(tmp_path):
    inner = HashEncoder()
    enc = CachedEncoder(inner, directory=tmp_path)
    enc.encode(["a", "b"])
    out = enc.encode(["b", "c", "a", "d", "c"])
    assert inner.calls == [["a", "b"], ["c", "d"]]
    assert (enc.hits, enc.misses, enc.calls) == (2, 4, 2)
    expected = np.stack([inner.vector(t) for t in ["b", "c", "a", "d", "c"]])
    np.testing.assert_allclose(out, expected)


def test_key_covers_encoder_name_dim_and_exact_text(tmp_path):
    a = CachedEncoder(HashEncoder(8, "hash:a"), directory=tmp_path)
    b = CachedEncoder(HashEncoder(8, "hash:b"), directory=tmp_path)
    c = CachedEncoder(HashEncoder(4, "hash:a"), directory=tmp_path)
    for enc in (a, b, c):
        enc.encode(["same", "same "])
        assert enc.misses == 2
    assert len(entries(tmp_path)) == 6


def test_default_directory_follows_jepa_cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("JEPA_CACHE_DIR", str(tmp_path))
    enc = CachedEncoder(HashEncoder())
    enc.encode(["x"])
    assert enc.directory == tmp_path / "embeddings"
    assert entries(tmp_path / "embeddings")


def _damage_truncate(path, raw, key):
    path.write_bytes(raw[:-10])


def _damage_checksum(path, raw, key):
    path.write_bytes(raw[:20] + bytes([raw[20] ^ 1]) + raw[21:])


def _damage_wrong_dim(path, raw, key):
    v = np.full(4, 0.5, dtype=np.float32)  # valid checksum, wrong shape
    path.write_bytes(embedding_cache._pack(key, v))


def _damage_nan(path, raw, key):
    v = np.full(8, np.nan, dtype=np.float32)  # valid checksum, NaN
    path.write_bytes(embedding_cache._pack(key, v))


def _damage_empty(path, raw, key):
    path.write_bytes(b"")


@pytest.mark.parametrize(
    "damage",
    [
        _damage_truncate,
        _damage_checksum,
        _damage_wrong_dim,
        _damage_nan,
        _damage_empty,
    ],
)
def test_damaged_entry_is_recomputed(tmp_path, damage):
    inner = HashEncoder()
    enc = CachedEncoder(inner, directory=tmp_path)
    good = enc.encode(["victim", "fine"])
    path = enc.path_for("victim")
    damage(path, path.read_bytes(), path.stem)
    again = CachedEncoder(inner, directory=tmp_path)
    out = again.encode(["victim", "fine"])
    np.testing.assert_allclose(out, good)
    assert (again.hits, again.misses, again.damaged) == (1, 1, 1)
    assert inner.calls[-1] == ["victim"]
    # the entry was rewritten whole
    third = CachedEncoder(inner, directory=tmp_path)
    third.encode(["victim"])
    assert (third.hits, third.damaged) == (1, 0)


def test_wrong_shape_from_inner_encoder_is_an_error(tmp_path):
    class Broken(HashEncoder):
        def encode(self, texts):
            return np.zeros((len(texts), 3), dtype=np.float32)

    with pytest.raises(EncoderError, match="shape"):
        CachedEncoder(Broken(), directory=tmp_path).encode(["x"])
    assert entries(tmp_path) == []


def _write_many(directory: str, texts: list[str], rounds: int) -> None:
    """Child process: write the same entries over and over."""
    for _ in range(rounds):
        enc = CachedEncoder(HashEncoder(), directory=directory)
        for text in texts:  # one at a time, to interleave with the other
            enc._write(text, enc.encoder.vector(text))


def test_two_processes_writing_at_once(tmp_path):
    texts = [f"t{i}" for i in range(100)]
    ctx = multiprocessing.get_context("spawn")
    procs = [
        ctx.Process(target=_write_many, args=(str(tmp_path), texts, 3))
        for _ in range(2)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    check = CachedEncoder(HashEncoder(), directory=tmp_path)
    out = check.encode(texts)
    assert (check.hits, check.misses, check.damaged) == (100, 0, 0)
    expected = np.stack([check.encoder.vector(t) for t in texts])
    np.testing.assert_allclose(out, expected)
    assert not list(tmp_path.rglob(".tmp-*"))


def test_two_threads_writing_at_once(tmp_path):
    texts = [f"t{i}" for i in range(200)]
    errors: list[BaseException] = []

    def run() -> None:
        try:
            CachedEncoder(HashEncoder(), directory=tmp_path).encode(texts)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    check = CachedEncoder(HashEncoder(), directory=tmp_path)
    check.encode(texts)
    assert (check.hits, check.damaged) == (200, 0)
    assert not list(tmp_path.rglob(".tmp-*"))


def test_openai_second_run_makes_no_request(tmp_path):
    texts = [f"sentence {i}" for i in range(50)]
    with CountingEmbeddingsServer() as srv:
        client = openai.OpenAI(
            api_key="sk-test", base_url=srv.base_url, max_retries=0
        )
        first = CachedEncoder(OpenAIEncoder(client), directory=tmp_path)
        a = first.encode(texts)
        assert len(srv.requests) == 1 and first.misses == 50
        second = CachedEncoder(OpenAIEncoder(client), directory=tmp_path)
        b = second.encode(texts)
        assert len(srv.requests) == 1
        assert (second.hits, second.misses, second.calls) == (50, 0, 0)
        np.testing.assert_array_equal(a, b)
        third = CachedEncoder(
            OpenAIEncoder(client, dimensions=256), directory=tmp_path
        )
        third.encode(texts[:5])  # another size is another key
        assert len(srv.requests) == 2 and third.misses == 5
