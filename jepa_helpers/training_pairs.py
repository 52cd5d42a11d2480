"""Text pairs for training the tiny JEPA, and their frozen features.

``data/training_pairs.tsv`` holds (context, candidate) pairs written for
this project: a candidate is a continuation or a paraphrase of its
context. ``load_pairs`` reads it (or any TSV with the columns ``id``,
``topic``, ``kind``, ``context``, ``candidate``), ``split_pairs`` makes a
seeded train/held-out split, ``sentence_features`` embeds texts with the
frozen encoders of the series, ``Whitener`` maps them to a few whitened
principal directions fitted on the training split only, and
``prepare_split`` does all of it in one call.

Introduced in 08_training_a_tiny_jepa.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .energy import unit_rows

__all__ = [
    "COLUMNS",
    "PairFileError",
    "PairSplit",
    "Whitener",
    "TextPair",
    "data_dir",
    "load_pairs",
    "prepare_split",
    "sentence_features",
    "split_pairs",
    "SortedBatch",
    "training_encoder",
]

COLUMNS = ("id", "topic", "kind", "context", "candidate")
KINDS = ("continuation", "paraphrase")


class PairFileError(ValueError):
    """A pair file that cannot be read; the message names file and line."""


@dataclass(frozen=True)
class TextPair:
    """One positive pair: ``candidate`` continues or paraphrases
    ``context``. Introduced in 08_training_a_tiny_jepa."""

    id: str
    topic: str
    kind: str
    context: str
    candidate: str


def data_dir() -> Path:
    """The repository's ``data/`` folder (next to the package)."""
    return Path(__file__).resolve().parent.parent / "data"


def load_pairs(path: str | Path | None = None) -> list[TextPair]:
    """Read a pair TSV (default ``data/training_pairs.tsv``).

    The header must be exactly ``COLUMNS``; every row needs five
    non-empty fields, a ``kind`` in ``KINDS`` and a unique ``id``.
    Anything else raises ``PairFileError`` naming the file and line.
    """
    path = (
        Path(path) if path is not None else data_dir() / "training_pairs.tsv"
    )
    if not path.is_file():
        raise FileNotFoundError(f"no pair file at {path}")
    pairs: list[TextPair] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8", newline="") as f:
        rows = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(rows, None)
        if header is None or tuple(header) != COLUMNS:
            raise PairFileError(
                f"{path.name}:1: header must be the tab-separated "
                f"columns {list(COLUMNS)}, got {header!r}"
            )
        for line, row in enumerate(rows, start=2):
            where = f"{path.name}:{line}"
            if len(row) != len(COLUMNS):
                raise PairFileError(
                    f"{where}: expected {len(COLUMNS)} tab-separated "
                    f"fields, got {len(row)}"
                )
            row = [field.strip() for field in row]
            empty = [c for c, v in zip(COLUMNS, row) if not v]
            if empty:
                raise PairFileError(f"{where}: empty field(s) {empty}")
            pair = TextPair(*row)
            if pair.kind not in KINDS:
                raise PairFileError(
                    f"{where}: kind must be one of {KINDS}, got "
                    f"{pair.kind!r}"
                )
            if pair.id in seen:
                raise PairFileError(f"{where}: duplicate id {pair.id!r}")
            seen.add(pair.id)
            pairs.append(pair)
    if not pairs:
        raise PairFileError(f"{path.name}: no pairs after the header")
    return pairs


def split_pairs(
    pairs: Sequence[TextPair], held_out: float = 0.25, seed: int = 0
) -> tuple[list[TextPair], list[TextPair]]:
    """Seeded random split into ``(train, held_out)``.

    ``round(held_out * n)`` pairs (at least 2) go to the held-out part,
    chosen by ``np.random.default_rng(seed).permutation``; both parts keep
    the file order.
    """
    n = len(pairs)
    if not 0 < held_out < 1:
        raise ValueError(f"held_out must lie in (0, 1), got {held_out}")
    n_held = max(2, int(round(held_out * n)))
    if n - n_held < 2:
        raise ValueError(f"{n} pairs are too few to split")
    chosen = np.zeros(n, dtype=bool)
    chosen[np.random.default_rng(seed).permutation(n)[:n_held]] = True
    train = [p for p, c in zip(pairs, chosen) if not c]
    held = [p for p, c in zip(pairs, chosen) if c]
    return train, held


def sentence_features(
    texts: Sequence[str], glove=None, encoder=None
) -> np.ndarray:
    """Frozen features of ``texts``: ``float64 [n, d]``.

    The L2-normalised GloVe mean vector ``[n, d_g]`` (when ``glove`` is
    given), the encoder's sentence vector ``[n, d_s]`` (when ``encoder``
    is given), or both concatenated. A text with no known word gets a
    zero GloVe part.
    """
    if glove is None and encoder is None:
        raise ValueError("sentence_features needs glove, encoder or both")
    texts = list(texts)
    if not texts:
        raise ValueError("sentence_features needs at least one text")
    parts = []
    if glove is not None:
        from .scoring import Scorer

        parts.append(unit_rows(Scorer(glove).mean_vectors(texts)))
    if encoder is not None:
        parts.append(np.asarray(encoder.encode(texts), dtype=np.float64))
    return np.concatenate(parts, axis=1).astype(np.float64)


class SortedBatch:
    """An encoder wrapper that encodes the distinct texts in sorted order.

    MiniLM's float32 maths depends slightly (~1e-7) on which texts share a
    batch and in what order; training amplifies such differences, so the
    numbers a notebook prints would depend on the order its texts were
    first encoded (and cached) in. Sorting makes a batch a function of
    the *set* of texts: ``prepare_split`` always encodes the same set on a
    cold cache, so every run (notebook, tests, bench) caches the same
    vectors. ``name`` differs from the wrapped encoder's, so these vectors
    get their own disk-cache entries. Introduced in
    08_training_a_tiny_jepa.
    """

    def __init__(self, encoder) -> None:
        self.encoder = encoder
        self.name = f"{encoder.name}/sorted-batch"
        self.dim = encoder.dim
        self.model = getattr(encoder, "model", encoder.name)

    def encode(self, texts: list[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        distinct = sorted(set(texts))
        V = np.asarray(self.encoder.encode(distinct), dtype=np.float32)
        row = {t: i for i, t in enumerate(distinct)}
        return V[[row[t] for t in texts]]


def training_encoder(mode: str = "auto"):
    """The frozen sentence encoder for training, behind the disk cache.

    Offline: ``CachedEncoder(SortedBatch(MiniLMEncoder()))``, so the
    features (and every number trained from them) are reproducible bit for
    bit on one machine, cold cache or warm. Online: ``default_encoder``
    as is (remote vectors are not bit-reproducible anyway). Introduced in 08_training_a_tiny_jepa.
    """
    from .encoders import CachedEncoder, MiniLMEncoder, default_encoder

    encoder = default_encoder(mode)
    if not isinstance(encoder.encoder, MiniLMEncoder):
        return encoder
    return CachedEncoder(SortedBatch(encoder.encoder))


@dataclass(frozen=True)
class Whitener:
    """PCA whitening fitted on training rows: ``(A - mean) @ M`` ``[n, r]``.

    ``M = V_r / sqrt(lambda_r)`` ``[d, r]`` keeps the ``r`` leading
    principal directions ``V_r`` of the training rows and scales each to
    unit variance, so ``Cov((A - mean) @ M) = I_r`` on the training rows.
    Fewer dimensions than training pairs keep the small heads from
    memorising them. Introduced in 08_training_a_tiny_jepa.
    """

    mean: np.ndarray
    matrix: np.ndarray

    @classmethod
    def fit(cls, A: np.ndarray, dim: int) -> "Whitener":
        """The ``dim`` leading principal directions of ``A`` ``[n, d]``."""
        A = np.asarray(A, dtype=np.float64)
        if A.ndim != 2 or A.shape[0] < 2:
            raise ValueError(f"fit needs [n >= 2, d], got shape {A.shape}")
        if not 1 <= dim <= min(A.shape[0] - 1, A.shape[1]):
            raise ValueError(
                f"dim must lie in [1, {min(A.shape[0] - 1, A.shape[1])}] "
                f"for {A.shape[0]} rows of width {A.shape[1]}, got {dim}"
            )
        mean = A.mean(axis=0)
        _, s, Vt = np.linalg.svd(A - mean, full_matrices=False)
        std = s[:dim] / np.sqrt(A.shape[0] - 1)
        if std[-1] <= 1e-12 * std[0]:
            raise ValueError(
                f"the training rows span fewer than {dim} dimensions"
            )
        # fix each direction's sign (largest entry positive): deterministic
        signs = np.sign(Vt[:dim][np.arange(dim), np.abs(Vt[:dim]).argmax(1)])
        return cls(mean, (Vt[:dim] * signs[:, None]).T / std)

    @property
    def dim(self) -> int:
        """Output width ``r``."""
        return int(self.matrix.shape[1])

    def __call__(self, A: np.ndarray) -> np.ndarray:
        A = np.asarray(A, dtype=np.float64)
        if A.ndim != 2 or A.shape[1] != self.mean.shape[0]:
            raise ValueError(
                f"expected [n, {self.mean.shape[0]}], got shape {A.shape}"
            )
        return (A - self.mean) @ self.matrix


@dataclass(frozen=True)
class PairSplit:
    """Train and held-out pairs with their whitened features.

    ``X``/``Y`` ``[n_train, r]``: contexts and candidates of ``train``;
    ``X_held``/``Y_held`` ``[n_held, r]`` of ``held``; one ``whitener``
    (fitted on the training contexts and candidates together, since both
    come from the same frozen encoder). Introduced in
    08_training_a_tiny_jepa.
    """

    train: list[TextPair]
    held: list[TextPair]
    X: np.ndarray
    Y: np.ndarray
    X_held: np.ndarray
    Y_held: np.ndarray
    whitener: Whitener


def prepare_split(
    pairs: Sequence[TextPair],
    featurise: Callable[[list[str]], np.ndarray],
    dim: int = 32,
    held_out: float = 0.25,
    seed: int = 0,
) -> PairSplit:
    """Split ``pairs``, featurise every text once, whiten to ``dim``.

    ``featurise(texts) -> [n, d]`` is called once on all contexts and
    candidates (e.g. ``lambda t: sentence_features(t, encoder=enc)``).
    """
    train, held = split_pairs(pairs, held_out, seed)
    texts = [p.context for p in train] + [p.candidate for p in train]
    texts += [p.context for p in held] + [p.candidate for p in held]
    F = np.asarray(featurise(texts), dtype=np.float64)
    if F.ndim != 2 or F.shape[0] != len(texts):
        raise ValueError(
            f"featurise returned shape {F.shape} for {len(texts)} texts"
        )
    a, b = len(train), len(held)
    w = Whitener.fit(F[: 2 * a], dim)
    W = w(F)
    return PairSplit(
        train,
        held,
        W[:a],
        W[a : 2 * a],
        W[2 * a : 2 * a + b],
        W[2 * a + b :],
        w,
    )
