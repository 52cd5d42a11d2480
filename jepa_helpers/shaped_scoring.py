"""The shaped energies as named options of the scorer (glue, no maths).

``shaping`` holds the formulas; this module turns GloVe's vocabulary
ranks into token weights, builds the tool results (JSON-ready dicts in
the seed's style) and the batched energies. ``scoring`` registers every
name in ``SHAPED_SPECS`` next to the seed's three energies, so
``python -m jepa_helpers score --energy NAME``, ``--list-energies`` and
the tools see them with no other edit.

Every setting here (SIF ``a``, the temperatures, ``alpha``) was chosen on
STS-B train and dev (``bench/tune_energies.py``), never on its test split.

Introduced in 07_energy_shaping_and_evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from . import energy as E
from . import shaping as S
from .payloads import pair_rows
from .stopwords import STOPWORDS
from .text import tokenize

if TYPE_CHECKING:  # pragma: no cover
    from .glove import GloVe
    from .scoring import Scorer


@dataclass(frozen=True)
class EnergySpec:
    """What an energy needs, what it computes and its defaults.

    ``views``: ``("glove",)`` or ``("glove", "sentence")``;
    ``description``: the formula in one or two sentences (the tool result's
    ``energy_definition`` and ``score --list-energies``); ``tau``/``alpha``:
    the default temperature / GloVe-view weight (``None``: not used);
    ``weights``: token weights, ``"uniform"``, ``"content"`` (stopwords
    masked) or ``"sif"``.

    Introduced in 07_energy_shaping_and_evaluation.
    """

    views: tuple[str, ...]
    description: str
    tau: float | None = None
    alpha: float | None = None
    weights: str | None = None


#: Settings chosen on STS-B train + dev by ``bench/tune_energies.py``.
STOPWORD_TAU = 0.2
SIF_TAU = 0.2
JOINT_SIF_ALPHA = 0.05

SHAPED_SPECS: dict[str, EnergySpec] = {
    "glove_mean": EnergySpec(
        ("glove",),
        "E(x, y) = 1 - cos(mean_i h_i, mean_j k_j): cosine of the mean "
        "GloVe vectors, every word counted alike.",
        weights="uniform",
    ),
    "stopword_softmax": EnergySpec(
        ("glove",),
        "The softmax pairwise energy E = -sum_ij w_ij phi_ij, w = "
        "softmax(phi / tau), over content words only: stopwords (the, a, "
        "is, of, ...) are masked out.",
        tau=STOPWORD_TAU,
        weights="content",
    ),
    "sif_softmax": EnergySpec(
        ("glove",),
        "The softmax pairwise energy with frequency weights: w_ij ∝ a_i "
        "b_j exp(phi_ij / tau), E = -sum_ij w_ij phi_ij, where a word of "
        "probability p gets weight a / (a + p) (SIF).",
        tau=SIF_TAU,
        weights="sif",
    ),
    "sif": EnergySpec(
        ("glove",),
        "E(x, y) = 1 - cos(v_x, v_y), v = SIF sentence vector: the mean of "
        "the GloVe vectors weighted by a / (a + p(w)), minus its projection "
        "on the direction shared by all sentences.",
        weights="sif",
    ),
    "greedy": EnergySpec(
        ("glove",),
        "BERTScore-style greedy matching: each word is matched to its most "
        "similar word on the other side; E = 1 - (R + P) / 2 with R, P the "
        "SIF-weighted mean best-match cosines of context and candidate.",
        weights="sif",
    ),
    "wmd": EnergySpec(
        ("glove",),
        "Word mover's energy: the cost of optimally transporting the "
        "context's words onto the candidate's (SIF masses, Euclidean GloVe "
        "distances, Sinkhorn), divided by the cost of a blind transport; "
        "0 = same words, 1 = no better than blind.",
        weights="sif",
    ),
    "joint_sif": EnergySpec(
        ("glove", "sentence"),
        "E(x, y) = 1 - (alpha cos(v_x, v_y) + (1 - alpha) cos(s_x, s_y)): "
        "the joint energy with the SIF GloVe vector v and the sentence "
        "embedding s.",
        alpha=JOINT_SIF_ALPHA,
        weights="sif",
    ),
}

INTERPRETATION = {
    "glove_mean": "Cosine of the averaged GloVe vectors; frequent "
    "function words weigh as much as content words.",
    "stopword_softmax": "Like the softmax energy, but function words are "
    "masked, so the strongest pairs are content-word matches.",
    "sif_softmax": "Like the softmax energy, but each pair is weighted by "
    "how rare its two words are, so 'the'-'the' pairs no longer dominate.",
    "sif": "Cosine of frequency-weighted mean vectors with the common "
    "direction removed. Contributions split that cosine over word pairs.",
    "greedy": "Every word is matched to its best counterpart on the "
    "other side; contributions are the matches, weighted by word rarity.",
    "wmd": "Optimal transport moves the context's words onto the "
    "candidate's; contributions are the largest moves (mass x distance / "
    "blind cost).",
    "joint_sif": "A weighted sum of the SIF GloVe cosine and the sentence "
    "embedding cosine; lower energy = more compatible.",
}

#: Energy of a pair when a side has no (unmasked) known word.
EMPTY_ENERGY = {
    "glove_mean": 1.0,
    "stopword_softmax": 0.0,
    "sif_softmax": 0.0,
    "sif": 1.0,
    "greedy": 1.0,
    "wmd": 1.0,
}


class VocabularyWeights:
    """Token weights over a frequency-sorted GloVe vocabulary.

    ``p`` ``[V]`` Zipf estimate from the row rank, ``sif`` ``[V]`` the SIF
    weights ``a / (a + p)``, ``content`` ``[V]`` 0 for stopwords else 1,
    ``common`` ``[d]`` the SIF common direction (computed on first use).

    Introduced in 07_energy_shaping_and_evaluation.
    """

    def __init__(self, glove: "GloVe", a: float = S.SIF_A) -> None:
        self.glove = glove
        self.p = S.zipf_probabilities(len(glove))
        self.sif = S.sif_weights(self.p, a)
        self.content = np.ones(len(glove))
        rows = glove.ids(sorted(STOPWORDS))
        self.content[rows[rows >= 0]] = 0.0
        self._common: np.ndarray | None = None

    @property
    def common(self) -> np.ndarray:
        if self._common is None:
            self._common = S.common_component(
                self.glove.vectors, self.p, self.sif
            )
        return self._common

    def of_rows(self, rows: np.ndarray, kind: str) -> np.ndarray:
        """Weights of vocabulary rows (any shape); row ``-1`` gets 0."""
        rows = np.asarray(rows)
        safe = np.where(rows >= 0, rows, 0)
        if kind == "uniform":
            w = np.ones(rows.shape)
        elif kind == "sif":
            w = self.sif[safe]
        elif kind == "content":
            w = self.content[safe]
        else:
            raise ValueError(f"unknown weighting {kind!r}")
        return np.where(rows >= 0, w, 0.0)

    def of_tokens(self, tokens: Sequence[str], kind: str) -> np.ndarray:
        """Weights of known tokens ``[m]``."""
        return self.of_rows(self.glove.ids(list(tokens)), kind)


# ------------------------------------------------------------ one pair


def shaped_result(
    scorer: "Scorer", Lx, Ly, energy: str, tau: float | None, top_k: int
) -> S.ShapedEnergy:
    """The ``shaping`` result of a GloVe-side energy for two lookups."""
    spec = SHAPED_SPECS[energy]
    W = scorer.vocab_weights
    a = W.of_tokens(Lx.tokens, spec.weights)
    b = W.of_tokens(Ly.tokens, spec.weights)
    H, K = Lx.matrix, Ly.matrix
    if energy == "glove_mean":
        return S.sif_cosine_energy(H, K, a, b, None, top_k)
    if energy in ("sif", "joint_sif"):
        return S.sif_cosine_energy(H, K, a, b, W.common, top_k)
    if energy in ("stopword_softmax", "sif_softmax"):
        return S.weighted_softmax_energy(H, K, a, b, tau, top_k)
    if energy == "greedy":
        return S.greedy_matching_energy(H, K, a, b, top_k)
    return S.transport_energy(H, K, a, b, top_k=top_k)


def shaped_payload(
    scorer: "Scorer",
    x: str,
    y: str,
    sx: np.ndarray | None,
    sy: np.ndarray | None,
    energy: str,
    tau: float | None,
    top_k: int,
    alpha: float | None,
    verbose: bool,
) -> dict[str, Any]:
    """Tool result of a shaped energy, in the seed's softmax style."""
    spec = SHAPED_SPECS[energy]
    Lx, Ly = scorer.lookup(x), scorer.lookup(y)
    r = shaped_result(scorer, Lx, Ly, energy, tau, top_k)
    gx, gy = E.mean_vector(Lx.matrix), E.mean_vector(Ly.matrix)
    sentence_cos = None if sx is None else E.cosine(sx, sy)
    out: dict[str, Any] = {"context": x, "candidate": y}
    if energy == "joint_sif":
        alpha = E._check_alpha(alpha)
        sif_cos = 1.0 - r.value
        out["energy"] = 1.0 - (alpha * sif_cos + (1 - alpha) * sentence_cos)
    else:
        out["energy"] = r.value
    out |= {"energy_name": energy, "energy_definition": spec.description}
    if spec.tau is not None:
        out["temperature"] = tau
    if spec.alpha is not None:
        out |= {"alpha": alpha, "sif_cosine_similarity": 1.0 - r.value}
    out |= {
        "glove_cosine_similarity": E.cosine(gx, gy),
        "gpt_cosine_similarity": sentence_cos,
        "glove_tokens_context": Lx.tokens,
        "glove_tokens_candidate": Ly.tokens,
        "oov_tokens_context": Lx.oov,
        "oov_tokens_candidate": Ly.oov,
        "token_weights_context": [float(w) for w in r.weights_x],
        "token_weights_candidate": [float(w) for w in r.weights_y],
    }
    if spec.weights == "content":
        out["masked_tokens_context"] = _masked(Lx.tokens, r.weights_x)
        out["masked_tokens_candidate"] = _masked(Ly.tokens, r.weights_y)
    out |= {
        "glove_dim": scorer.glove.dim,
        "gpt_embedding_dim": None if sx is None else int(sx.shape[0]),
        "sentence_encoder": scorer.encoder and scorer.encoder.name,
        "token_pair_contributions_topk": pair_rows(
            r.top, Lx.tokens, Ly.tokens
        ),
        "interpretation": INTERPRETATION[energy],
    }
    if verbose:
        out["norms"] = {
            "glove_context_norm": float(np.linalg.norm(gx)),
            "glove_candidate_norm": float(np.linalg.norm(gy)),
            "gpt_context_norm": None if sx is None else _norm(sx),
            "gpt_candidate_norm": None if sy is None else _norm(sy),
        }
    out["token_matrix_shapes"] = {
        "context_tokens": len(Lx.tokens),
        "candidate_tokens": len(Ly.tokens),
    }
    return out


def _masked(tokens: list[str], w: np.ndarray) -> list[str]:
    return [t for t, v in zip(tokens, w) if v == 0]


def _norm(v) -> float:
    return float(np.linalg.norm(v))


# -------------------------------------------------------------- batched

#: Most gathered pair entries held at once (``[N, m, n]`` float64).
BLOCK_PAIRS = 1_000_000


def shaped_energies(
    scorer: "Scorer",
    context: str,
    candidates: Sequence[str],
    energy: str,
    tau: float | None = None,
    alpha: float | None = None,
    sentence: np.ndarray | None = None,
) -> np.ndarray:
    """Energies ``[N]`` of one context against N candidates, batched.

    Equal to ``scorer.score(context, c, energy)["energy"]`` for each
    candidate. ``sentence`` ``[N + 1, d_s]``: the sentence vectors of the
    context and the candidates (``joint_sif`` only).
    """
    spec = SHAPED_SPECS[energy]
    W = scorer.vocab_weights
    rows_x = scorer.glove.ids(tokenize(context))
    rows_x = rows_x[rows_x >= 0]
    H = np.asarray(scorer.glove.vectors[rows_x], dtype=np.float32)
    H = H.reshape(rows_x.size, scorer.glove.dim)
    a = W.of_rows(rows_x, spec.weights)
    if energy in ("glove_mean", "sif", "joint_sif"):
        c = None if energy == "glove_mean" else W.common
        vx = S.sif_embedding(H, a, c)
        Vy = _sentence_vectors(scorer, candidates, spec.weights, c)
        Eg = S.sif_cosine_energy_batch(vx, Vy)
        if energy != "joint_sif":
            return Eg
        alpha = E._check_alpha(alpha)
        s = E.unit_rows(sentence).astype(np.float64)
        return 1.0 - (alpha * (1.0 - Eg) + (1 - alpha) * (s[1:] @ s[0]))
    out = np.full(len(candidates), EMPTY_ENERGY[energy])
    if H.shape[0] == 0 or not len(candidates):
        return out
    Hu = E.unit_rows(H)
    H64 = H.astype(np.float64)
    step = 8192
    for s0 in range(0, len(candidates), step):
        ids = scorer._ids(candidates[s0 : s0 + step])
        b = W.of_rows(ids, spec.weights)
        mask = ids >= 0
        words, inverse = np.unique(ids[mask], return_inverse=True)
        col = np.zeros(ids.shape, dtype=np.int64)
        col[mask] = inverse
        U = np.asarray(scorer.glove.vectors[words], dtype=np.float32)
        if energy == "wmd":
            U64 = U.astype(np.float64)
            table = S.euclidean_costs(H64, U64, H64 @ U64.T)  # [m, u]
            table = table.astype(np.float32)
        else:
            norms = np.asarray(scorer.glove.norms[words], dtype=np.float32)
            table = Hu @ (U / np.maximum(norms, 1e-12)[:, None]).T
        rows = max(1, BLOCK_PAIRS // max(1, H.shape[0] * ids.shape[1]))
        for r0 in range(0, ids.shape[0], rows):
            sl = slice(r0, r0 + rows)
            pair = table[:, col[sl]].transpose(1, 0, 2)  # [n_b, m, n]
            out[s0 + r0 : s0 + r0 + pair.shape[0]] = _of_pairs(
                energy, pair, a, b[sl], tau
            )
    return out


def _of_pairs(energy, pair, a, b, tau):
    if energy == "wmd":
        return S.transport_energy_of_costs(pair, a, b)
    if energy == "greedy":
        return S.greedy_energy_of_phi(pair, a, b)
    return S.weighted_softmax_energy_of_phi(pair, a, b, tau)


def _sentence_vectors(scorer, texts, kind, c) -> np.ndarray:
    """SIF (or plain mean) GloVe vectors of many texts ``[N, d]``."""
    W = scorer.vocab_weights
    d = scorer.glove.dim
    out = np.zeros((len(texts), d))
    step = 8192
    for s0 in range(0, len(texts), step):
        ids = scorer._ids(texts[s0 : s0 + step])
        mask = ids >= 0
        w = W.of_rows(ids, kind)
        V = np.asarray(scorer.glove.vectors[np.where(mask, ids, 0).ravel()])
        V = V.reshape(*ids.shape, d).astype(np.float64)
        n = np.maximum(mask.sum(axis=1), 1)[:, None]
        v = np.einsum("bn,bnd->bd", w, V) / n
        if c is not None:
            v -= np.outer(v @ c, c)
        out[s0 : s0 + ids.shape[0]] = v
    return out
