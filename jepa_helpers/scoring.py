"""From texts to the seed programs' tool results (JSON-ready dicts).

``Scorer`` glues the parts together: ``tokenize`` -> GloVe lookup ->
(sentence encoder) -> ``energy`` -> a dict with the keys the seed scripts
printed for that energy (``../shared/seed``), plus ``energy_name``. The
tool layer, the command line and the notebooks all call it, so a tool
result and ``python -m jepa_helpers score`` agree by construction.

Introduced in 03_cosine_energy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence

import numpy as np

from . import energy as E
from .glove import GloVe, Lookup
from .payloads import pair_rows, ranking_payload
from .shaped_scoring import (
    SHAPED_SPECS,
    EnergySpec,
    VocabularyWeights,
    shaped_energies,
    shaped_payload,
)
from .text import tokenize, tokenize_many

#: Energy name -> what it needs, computes and defaults to: the seed's
#: three, then the shaped ones (07_energy_shaping_and_evaluation).
ENERGY_SPECS: dict[str, EnergySpec] = {
    "joint": EnergySpec(
        ("glove", "sentence"),
        "E(x, y) = 1 - (alpha cos(g_x, g_y) + (1 - alpha) cos(s_x, s_y)): "
        "the seed's joint energy, g the mean GloVe vector, s the sentence "
        "embedding.",
        alpha=0.5,
    ),
    "pairwise": EnergySpec(
        ("glove",),
        "E(x, y) = 1 - mean_ij phi(h_i, k_j): the seed's mean pairwise "
        "energy over GloVe token cosines.",
    ),
    "softmax": EnergySpec(
        ("glove",),
        "E(x, y) = - sum_ij w_ij phi(h_i, k_j), w = softmax(phi / tau) over "
        "all token pairs: the seed's softmax pairwise energy.",
        tau=0.5,
    ),
    **SHAPED_SPECS,
}

#: Energy name -> the views it needs ("glove", "sentence").
ENERGIES: dict[str, tuple[str, ...]] = {
    name: spec.views for name, spec in ENERGY_SPECS.items()
}

INTERPRETATION = {
    "joint": (
        "Lower energy means the candidate is more compatible with the "
        "context under this joint-embedding toy model. This is a "
        "simulation of a JEPA + energy-based objective; no training is "
        "performed."
    ),
    "pairwise": (
        "Energy is calculated from pairwise token interactions. Top "
        "contributors list the specific word pairs (h_i, k_j) that had the "
        "highest cosine similarity, driving the energy down."
    ),
    "softmax": (
        "The main energy is a sum over all pairwise interactions between "
        "GloVe token embeddings from the context and the candidate. Each "
        "token\u2013token pair contributes contrib_ij = w_ij * phi(h_i, "
        "k_j), where phi is cosine similarity and w_ij is an attention "
        "weight derived from a softmax over all pairs. The largest positive "
        "contributions indicate the token pairs that most strongly support "
        "the match between context and candidate."
    ),
}

SOFTMAX_DEFINITION = (
    "E(x, y) = - sum_{i,j} w_ij * phi(h_i, k_j) over GloVe token "
    "embeddings, where phi is cosine similarity and w_ij are "
    "softmax-normalized attention weights over all token pairs (w = "
    "softmax(phi / tau)). Lower energy means a stronger aggregate "
    "token\u2013token match between context and candidate."
)


class SentenceEncoder(Protocol):
    """What the scorer needs of a sentence encoder (see ``encoders``)."""

    name: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray: ...


class NeedsSentenceEncoder(RuntimeError):
    """The energy needs the sentence view but no encoder was given."""


@dataclass
class Scorer:
    """Score (context, candidate) texts with the seed's energies.

    ``encoder`` is the sentence view (``None``: the joint energy is not
    available and sentence keys are ``None``). ``match_dims=True`` applies
    the seed's cut of the sentence vector to the GloVe dimension.

    Introduced in 03_cosine_energy.
    """

    glove: GloVe
    encoder: SentenceEncoder | None = None
    match_dims: bool = False
    _weights: VocabularyWeights | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def vocab_weights(self) -> VocabularyWeights:
        """Token weights of this GloVe vocabulary (built on first use)."""
        if self._weights is None:
            self._weights = VocabularyWeights(self.glove)
        return self._weights

    # -------------------------------------------------------------- views

    def lookup(self, text: str) -> Lookup:
        """Tokens of ``text`` found in GloVe, their vectors, the OOV ones."""
        return self.glove.lookup(tokenize(text))

    def sentence_vectors(self, texts: list[str]) -> np.ndarray | None:
        """Sentence vectors ``[n, d_s]`` (cut when ``match_dims``)."""
        if self.encoder is None:
            return None
        S = np.asarray(self.encoder.encode(list(texts)), dtype=np.float32)
        if self.match_dims:
            from .encoders import match_dims

            S = match_dims(S, self.glove.dim)
        return S

    # ------------------------------------------------------------- scores

    def score(
        self,
        context: str,
        candidate: str,
        energy: str = "softmax",
        tau: float | None = None,
        top_k: int = 20,
        alpha: float | None = None,
        verbose: bool = False,
    ) -> dict[str, Any]:
        """The seed's tool result for one pair, as a JSON-ready dict.

        ``tau``/``alpha`` ``None``: the energy's own default
        (``ENERGY_SPECS``; 0.5 for the seed's energies).
        """
        return self.score_many(
            [(context, candidate)], energy, tau, top_k, alpha, verbose
        )[0]

    def score_many(
        self,
        pairs: Sequence[tuple[str, str]],
        energy: str = "softmax",
        tau: float | None = None,
        top_k: int = 20,
        alpha: float | None = None,
        verbose: bool = False,
    ) -> list[dict[str, Any]]:
        """Tool results for many pairs; sentence vectors in one batch."""
        check_energy(energy)
        tau, alpha = energy_defaults(energy, tau, alpha)
        if "sentence" in ENERGIES[energy] and self.encoder is None:
            raise NeedsSentenceEncoder(
                f"the {energy} energy needs a sentence encoder (MiniLM "
                "offline or text-embedding-3-small online); none was given"
            )
        for n, (x, y) in enumerate(pairs):
            if not isinstance(x, str) or not isinstance(y, str):
                raise TypeError(
                    f"pair {n}: context and candidate must be " "strings"
                )
        texts = [t for pair in pairs for t in pair]
        S = self.sentence_vectors(texts) if texts else None
        out = []
        for n, (x, y) in enumerate(pairs):
            sx = sy = None
            if S is not None:
                sx, sy = S[2 * n], S[2 * n + 1]
            out.append(
                self._payload(x, y, sx, sy, energy, tau, top_k, alpha, verbose)
            )
        return out

    def _payload(self, x, y, sx, sy, energy, tau, top_k, alpha, verbose):
        if energy in SHAPED_SPECS:
            return shaped_payload(
                self, x, y, sx, sy, energy, tau, top_k, alpha, verbose
            )
        Lx, Ly = self.lookup(x), self.lookup(y)
        gx, gy = E.mean_vector(Lx.matrix), E.mean_vector(Ly.matrix)
        joint = None
        if sx is not None:
            joint = E.joint_cosine_energy(gx, gy, sx, sy, alpha)
        sdim = None if sx is None else int(sx.shape[0])
        if energy == "pairwise":
            r = E.mean_pairwise_energy(Lx.matrix, Ly.matrix, top_k)
            return {
                "energy": r.value,
                "energy_name": "pairwise",
                "mean_pairwise_similarity": r.mean_phi,
                "gpt_global_similarity": (
                    None if joint is None else joint.sentence_cos
                ),
                "top_contributors": [
                    {
                        "context_token": Lx.tokens[c.i],
                        "candidate_token": Ly.tokens[c.j],
                        "similarity": c.phi,
                        "indices": {"i": c.i, "j": c.j},
                    }
                    for c in r.top
                ],
                "interpretation": INTERPRETATION["pairwise"],
                "debug_info": {
                    "context_tokens_count": len(Lx.tokens),
                    "candidate_tokens_count": len(Ly.tokens),
                    "matrix_shape": list(r.shape),
                    "oov_context": Lx.oov,
                    "oov_candidate": Ly.oov,
                },
            }
        base: dict[str, Any] = {"context": x, "candidate": y}
        if energy == "joint":
            base |= {
                "energy": joint.value,
                "energy_name": "joint",
                "alpha": alpha,
            }
        else:
            r = E.softmax_pairwise_energy(Lx.matrix, Ly.matrix, tau, top_k)
            base |= {
                "energy": r.value,
                "energy_name": "softmax",
                "energy_definition": SOFTMAX_DEFINITION,
                "temperature": tau,
            }
        base |= {
            "joint_cosine_similarity": joint and joint.joint_cos,
            "glove_cosine_similarity": E.cosine(gx, gy),
            "gpt_cosine_similarity": joint and joint.sentence_cos,
        }
        if energy == "softmax":
            base["legacy_joint_energy"] = joint and joint.value
        base |= {
            "glove_tokens_context": Lx.tokens,
            "glove_tokens_candidate": Ly.tokens,
            "oov_tokens_context": Lx.oov,
            "oov_tokens_candidate": Ly.oov,
            "glove_dim": self.glove.dim,
            "gpt_embedding_dim": sdim,
            "sentence_encoder": self.encoder and self.encoder.name,
        }
        if energy == "softmax":
            base["token_pair_contributions_topk"] = pair_rows(
                r.top, Lx.tokens, Ly.tokens
            )
        base["interpretation"] = INTERPRETATION[energy]
        if verbose:
            base["norms"] = {
                "glove_context_norm": float(np.linalg.norm(gx)),
                "glove_candidate_norm": float(np.linalg.norm(gy)),
                "gpt_context_norm": _norm(sx),
                "gpt_candidate_norm": _norm(sy),
            }
        if energy == "softmax":
            base["token_matrix_shapes"] = {
                "context_tokens": len(Lx.tokens),
                "candidate_tokens": len(Ly.tokens),
            }
        return base

    # ------------------------------------------------------------ ranking

    def energies(
        self,
        context: str,
        candidates: Sequence[str],
        energy: str = "softmax",
        tau: float | None = None,
        alpha: float | None = None,
    ) -> np.ndarray:
        """Energies ``[N]`` of one context against N candidates, batched."""
        check_energy(energy)
        tau, alpha = energy_defaults(energy, tau, alpha)
        S = None
        if "sentence" in ENERGIES[energy]:
            S = self.sentence_vectors([context, *candidates])
            if S is None:
                raise NeedsSentenceEncoder(
                    f"the {energy} energy needs a sentence encoder; none "
                    "was given"
                )
        if energy in SHAPED_SPECS:
            return shaped_energies(
                self, context, candidates, energy, tau, alpha, S
            )
        if energy != "joint":
            return self._pairwise_energies(context, candidates, energy, tau)
        G = self.mean_vectors(candidates)
        gx = E.mean_vector(self.lookup(context).matrix)
        return E.joint_cosine_energy_batch(gx, G, S[0], S[1:], alpha)

    def _pairwise_energies(self, context, candidates, energy, tau):
        """Pairwise energies via ``phi`` gathered from a small table.

        ``P = H_unit @ U.T`` ``[m, u]`` over the ``u`` distinct candidate
        words; each candidate's ``phi`` ``[m, n]`` is then a gather of
        ``m`` numbers per token instead of ``d``.
        """
        if energy == "softmax":
            E._check_tau(tau)
        H = E.unit_rows(self.lookup(context).matrix)
        out = np.full(len(candidates), 1.0 if energy == "pairwise" else 0.0)
        if H.shape[0] == 0 or not len(candidates):
            return out
        chunk = 8192
        for a in range(0, len(candidates), chunk):
            ids = self._ids(candidates[a : a + chunk])
            mask = ids >= 0
            words, inverse = np.unique(ids[mask], return_inverse=True)
            U = np.asarray(self.glove.vectors[words], dtype=np.float32)
            P = H @ (U / np.maximum(self.glove.norms[words], 1e-12)[:, None]).T
            col = np.zeros(ids.shape, dtype=np.int64)
            col[mask] = inverse
            phi = P[:, col].transpose(1, 0, 2)  # [N, m, n]
            if energy == "pairwise":
                total = np.where(mask[:, None], phi, 0).sum(
                    (1, 2), dtype=np.float64
                )
                count = mask.sum(axis=1) * H.shape[0]
                ok = count > 0
                out[a : a + chunk][ok] = 1.0 - total[ok] / count[ok]
            else:
                out[a : a + chunk] = E.softmax_energy_of_phi(phi, mask, tau)
        return out

    def _ids(self, texts: Sequence[str]):
        """Known-token rows of every text, padded: ``[N, n_max]``, -1 pad."""
        flat, counts = tokenize_many(list(texts))
        owner = np.repeat(np.arange(len(texts)), counts)
        rows = self.glove.ids(flat)
        known = rows >= 0
        rows, owner = rows[known], owner[known]
        counts = np.bincount(owner, minlength=len(texts))
        starts = np.zeros(len(texts), dtype=np.int64)
        np.cumsum(counts[:-1], out=starts[1:])
        col = np.arange(rows.size) - starts[owner]
        ids = np.full((len(texts), max(1, int(counts.max(initial=0)))), -1)
        ids[owner, col] = rows
        return ids

    def padded(self, texts: Sequence[str]):
        """Unit token vectors of many texts ``[N, n_max, d]`` and the mask.

        All lookups and gathers in one go, for the batched energies.
        """
        ids = self._ids(texts)
        mask = ids >= 0
        safe = np.where(mask, ids, 0)
        K = np.asarray(self.glove.vectors[safe.ravel()], dtype=np.float32)
        K = K.reshape(*ids.shape, self.glove.dim)
        norms = self.glove.norms[safe] * mask
        K /= np.maximum(norms, 1e-12)[..., None]
        K[~mask] = 0.0
        return K, mask

    def mean_vectors(self, texts: Sequence[str]) -> np.ndarray:
        """GloVe mean vector of each text ``[N, d]`` (zeros: no known word)."""
        ids = self._ids(texts)
        mask = ids >= 0
        V = np.asarray(self.glove.vectors[np.where(mask, ids, 0).ravel()])
        V = V.reshape(*ids.shape, self.glove.dim) * mask[..., None]
        return V.sum(axis=1) / np.maximum(mask.sum(axis=1), 1)[:, None]

    def rank(
        self,
        context: str,
        candidates: Sequence[str],
        energy: str = "softmax",
        tau: float | None = None,
        alpha: float | None = None,
    ) -> dict[str, Any]:
        """Candidates ordered by energy, lowest (most compatible) first.

        The EBM inference step: ``y* = argmin_y E(x, y)`` over a finite set.
        """
        if not candidates:
            raise ValueError("rank needs at least one candidate")
        Es = self.energies(context, candidates, energy, tau, alpha)
        return ranking_payload(context, candidates, Es, energy)


def check_energy(name: str) -> str:
    """Return ``name`` if it is a known energy, else raise ``ValueError``."""
    if name not in ENERGIES:
        raise ValueError(
            f"unknown energy {name!r}; choose one of {sorted(ENERGIES)}"
        )
    return name


def energy_defaults(
    name: str, tau: float | None, alpha: float | None
) -> tuple[float | None, float | None]:
    """``(tau, alpha)`` with ``None`` replaced by the energy's defaults."""
    spec = ENERGY_SPECS[check_energy(name)]
    tau = spec.tau if tau is None else tau
    alpha = spec.alpha if alpha is None else alpha
    return (
        0.5 if tau is None else tau,
        0.5 if alpha is None else alpha,
    )


def _norm(v) -> float | None:
    return None if v is None else float(np.linalg.norm(v))
