"""Training objectives of the tiny JEPA, each with its hand-written gradient.

Notation: ``P`` ``[B, k]`` are the predictions ``p_i = g(s_x_i)`` of the
predictor, ``Z`` ``[B, k]`` the target embeddings ``z_i = h(s_y_i)`` of a
batch of ``B`` (context, candidate) pairs. The energy of a pair is the
prediction cost of energy-based JEPAs, ``E(x, y) = ||p - z||^2`` (lower =
more compatible).

- ``prediction_cost``: ``mean_i ||p_i - z_i||^2``, the JEPA objective alone;
- ``variance_hinge``: ``mean_j relu(gamma - sqrt(Var_j(Z) + eps))``;
- ``covariance_penalty``: ``sum_{a != b} C_ab^2 / k``, ``C`` the covariance;
- ``info_nce``: ``mean_i [-log softmax_j(-E(x_i, y_j) / tau)_i]`` with the
  other candidates of the batch as negatives.

Every function returns its value and the gradients with respect to its
array arguments (float64); ``objective`` combines them into named parts,
the way eb_jepa's losses return a dict. Introduced in
08_training_a_tiny_jepa.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

__all__ = [
    "LossParts",
    "Objective",
    "covariance_penalty",
    "info_nce",
    "objective",
    "prediction_cost",
    "variance_hinge",
]

Kind = Literal["prediction", "vicreg", "infonce"]


def _check_batch(name: str, A: np.ndarray, rows: int = 2) -> np.ndarray:
    A = np.asarray(A, dtype=np.float64)
    if A.ndim != 2:
        raise ValueError(f"{name} must be [B, k], got shape {A.shape}")
    if A.shape[0] < rows:
        raise ValueError(
            f"{name} needs at least {rows} rows (a batch), got {A.shape[0]}"
        )
    if not np.all(np.isfinite(A)):
        raise ValueError(f"{name} holds NaN or inf")
    return A


def _check_same(P: np.ndarray, Z: np.ndarray) -> None:
    if P.shape != Z.shape:
        raise ValueError(
            f"predictions {P.shape} and targets {Z.shape} differ in shape"
        )


def prediction_cost(
    P: np.ndarray, Z: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """``L = mean_i ||p_i - z_i||^2``; returns ``(L, dL/dP, dL/dZ)``.

    ``dL/dP = 2 (P - Z) / B = -dL/dZ``. Zero for any constant ``P = Z``:
    nothing in this objective forbids collapse.
    """
    P, Z = _check_batch("P", P, 1), _check_batch("Z", Z, 1)
    _check_same(P, Z)
    R = P - Z
    dP = 2.0 * R / P.shape[0]
    return float(np.sum(R * R) / P.shape[0]), dP, -dP


def variance_hinge(
    Z: np.ndarray, gamma: float = 1.0, eps: float = 1e-4
) -> tuple[float, np.ndarray]:
    """VICReg's variance term; returns ``(L, dL/dZ)``.

    ``s_j = sqrt(Var_j(Z) + eps)`` (unbiased variance over the batch),
    ``L = mean_j relu(gamma - s_j)``;
    ``dL/dZ_ij = -[s_j < gamma] (Z_ij - mean_j) / (k (B - 1) s_j)``.
    """
    Z = _check_batch("Z", Z)
    if gamma <= 0 or eps <= 0:
        raise ValueError(f"gamma and eps must be > 0, got {gamma}, {eps}")
    B, k = Z.shape
    Zc = Z - Z.mean(axis=0)
    s = np.sqrt(np.sum(Zc * Zc, axis=0) / (B - 1) + eps)
    active = s < gamma
    value = float(np.mean(np.where(active, gamma - s, 0.0)))
    dZ = -(active * Zc) / (k * (B - 1) * s)
    return value, dZ


def covariance_penalty(Z: np.ndarray) -> tuple[float, np.ndarray]:
    """VICReg's covariance term; returns ``(L, dL/dZ)``.

    ``C = Zc^T Zc / (B - 1)`` ``[k, k]``, ``O`` = ``C`` with a zero
    diagonal, ``L = sum(O^2) / k``; ``dL/dZ = 4 Zc O / (k (B - 1))``
    (the centring adds nothing because the columns of ``Zc`` sum to 0).
    """
    Z = _check_batch("Z", Z)
    B, k = Z.shape
    Zc = Z - Z.mean(axis=0)
    C = Zc.T @ Zc / (B - 1)
    O = C - np.diag(np.diag(C))
    return float(np.sum(O * O) / k), 4.0 * Zc @ O / (k * (B - 1))


def info_nce(
    P: np.ndarray, Z: np.ndarray, tau: float = 1.0
) -> tuple[float, np.ndarray, np.ndarray]:
    """Contrastive loss with in-batch negatives; ``(L, dL/dP, dL/dZ)``.

    ``D_ij = ||p_i - z_j||^2`` ``[B, B]`` (the energy of context i with
    candidate j), ``L = mean_i [logsumexp_j(-D_ij / tau) + D_ii / tau]``.
    With ``G = dL/dD = (I - softmax_j(-D / tau)) / (B tau)``:
    ``dL/dP = 2 (diag(G 1) P - G Z)``, ``dL/dZ = 2 (diag(G^T 1) Z - G^T P)``.
    A collapsed model scores ``log B``: equal energies cannot rank.
    """
    P, Z = _check_batch("P", P), _check_batch("Z", Z)
    _check_same(P, Z)
    if tau <= 0:
        raise ValueError(f"tau must be > 0, got {tau}")
    B = P.shape[0]
    D = (
        np.sum(P * P, axis=1)[:, None]
        - 2.0 * P @ Z.T
        + np.sum(Z * Z, axis=1)[None, :]
    )
    logits = -D / tau
    shifted = logits - logits.max(axis=1, keepdims=True)
    lse = np.log(np.exp(shifted).sum(axis=1))
    value = float(np.mean(lse - np.diag(shifted)))
    soft = np.exp(shifted - lse[:, None])
    G = (np.eye(B) - soft) / (B * tau)
    dP = 2.0 * (G.sum(axis=1)[:, None] * P - G @ Z)
    dZ = 2.0 * (G.sum(axis=0)[:, None] * Z - G.T @ P)
    return value, dP, dZ


@dataclass(frozen=True)
class Objective:
    """Which loss to train with, and its weights.

    ``kind``:

    - ``"prediction"``: ``L = mean ||p - z||^2`` alone (collapses when the
      target head is trained);
    - ``"vicreg"``: ``L = pred + std_weight * (v(P) + v(Z))
      + cov_weight * (c(P) + c(Z))`` with ``v`` the variance hinge
      (margin ``gamma``) and ``c`` the covariance penalty;
    - ``"infonce"``: ``L = info_nce(P, Z, tau)``.

    Introduced in 08_training_a_tiny_jepa.
    """

    kind: Kind = "prediction"
    std_weight: float = 25.0
    cov_weight: float = 1.0
    gamma: float = 1.0
    tau: float = 10.0

    def __post_init__(self) -> None:
        if self.kind not in ("prediction", "vicreg", "infonce"):
            raise ValueError(
                "Objective.kind must be 'prediction', 'vicreg' or "
                f"'infonce', got {self.kind!r}"
            )
        for name in ("std_weight", "cov_weight", "gamma", "tau"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"Objective.{name} must be >= 0: {value}")
        if self.gamma == 0 or self.tau == 0:
            raise ValueError("Objective.gamma and Objective.tau must be > 0")


@dataclass(frozen=True)
class LossParts:
    """A loss value and its named parts (unweighted), like eb_jepa's dicts.

    ``total`` is the weighted sum that was minimised; ``parts`` maps each
    part's name to its unweighted value. Introduced in
    08_training_a_tiny_jepa.
    """

    total: float
    parts: dict[str, float] = field(default_factory=dict)


def objective(
    P: np.ndarray, Z: np.ndarray, obj: Objective
) -> tuple[LossParts, np.ndarray, np.ndarray]:
    """``obj``'s loss of a batch: ``(LossParts, dL/dP, dL/dZ)``.

    The parts are always the prediction cost ``pred`` plus, for
    ``vicreg``, ``std`` and ``cov`` (summed over ``P`` and ``Z``), and for
    ``infonce``, ``infonce``.
    """
    pred, dP, dZ = prediction_cost(P, Z)
    parts = {"pred": pred}
    if obj.kind == "prediction":
        return LossParts(pred, parts), dP, dZ
    if obj.kind == "infonce":
        value, dP, dZ = info_nce(P, Z, obj.tau)
        parts["infonce"] = value
        return LossParts(value, parts), dP, dZ
    std_p, dsp = variance_hinge(P, obj.gamma)
    std_z, dsz = variance_hinge(Z, obj.gamma)
    cov_p, dcp = covariance_penalty(P)
    cov_z, dcz = covariance_penalty(Z)
    parts["std"] = std_p + std_z
    parts["cov"] = cov_p + cov_z
    total = pred + obj.std_weight * parts["std"]
    total += obj.cov_weight * parts["cov"]
    dP = dP + obj.std_weight * dsp + obj.cov_weight * dcp
    dZ = dZ + obj.std_weight * dsz + obj.cov_weight * dcz
    return LossParts(float(total), parts), dP, dZ
