"""Energies E(x, y) between a context x and a candidate y (pure numpy).

Lower energy = more compatible. Notation (one for the whole series):

- ``H`` ``[m, d]``: token vectors of the context, ``K`` ``[n, d]``: of the
  candidate; ``h_i``, ``k_j`` their rows.
- ``phi_ij = cos(h_i, k_j)``: token-pair similarity.
- ``w_ij``: weight of a pair; ``tau``: softmax temperature.

Three energies come from the seed scripts:

- joint cosine energy (``main.py``): ``E = 1 - cos(z_x, z_y)``;
- mean pairwise energy (``pairwise.py``): ``E = 1 - mean_ij phi_ij``;
- softmax pairwise energy (``main2.py``): ``E = -sum_ij w_ij phi_ij`` with
  ``w = softmax(phi / tau)`` over all ``m * n`` pairs. Careful: this one is
  negative; more negative means more compatible.

Every function takes arrays and returns numbers or a frozen result; no I/O.

Long texts. A pair energy only depends on the distinct rows of ``H`` and
``K`` and how often each occurs, so the single-pair functions work on the
distinct rows with their counts (exact, not an approximation) and stream
over blocks of rows. Work is bounded by ``MAX_DISTINCT_PAIRS`` distinct
pairs (a ``ValueError`` past it), memory by ``BLOCK_PAIRS`` floats: a
100 000-word text against a sentence takes well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

#: Most distinct (context row, candidate row) pairs one energy may visit.
MAX_DISTINCT_PAIRS = 50_000_000
#: Pairs held in memory at once while streaming over blocks.
BLOCK_PAIRS = 2_000_000
#: Largest pair matrix returned in a result (for heatmaps).
MAX_MATRIX_PAIRS = 1_000_000
_EPS = 1e-12


@dataclass(frozen=True)
class PairContribution:
    """One token pair's share of a pairwise energy.

    ``contribution = weight * phi``; ``i``, ``j`` index the context and
    candidate tokens.
    """

    i: int
    j: int
    phi: float
    weight: float
    contribution: float


@dataclass(frozen=True)
class PairwiseEnergy:
    """Result of a pairwise energy.

    ``value`` is E; ``mean_phi`` is ``mean_ij phi_ij``; ``top`` the largest
    contributions, largest first; ``phi`` and ``weights`` are the ``[m, n]``
    matrices when ``m * n <= MAX_MATRIX_PAIRS`` (else ``None``).
    """

    name: str
    value: float
    mean_phi: float
    top: tuple[PairContribution, ...]
    shape: tuple[int, int]
    tau: float | None = None
    phi: np.ndarray | None = field(default=None, repr=False, compare=False)
    weights: np.ndarray | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class JointEnergy:
    """Result of the joint cosine energy.

    ``value = 1 - joint_cos`` and
    ``joint_cos = alpha * glove_cos + (1 - alpha) * sentence_cos``.
    """

    value: float
    joint_cos: float
    glove_cos: float
    sentence_cos: float
    alpha: float


# ----------------------------------------------------------------- checks


def _check_tau(tau: float) -> float:
    tau = float(tau)
    if not np.isfinite(tau) or tau <= 0:
        raise ValueError(f"temperature tau must be finite and > 0, got {tau}")
    return tau


def _check_matrix(name: str, A: np.ndarray, dim: int | None = None):
    A = np.asarray(A)
    if A.ndim != 2:
        raise ValueError(f"{name} must be a [rows, d] matrix, got {A.shape}")
    if dim is not None and A.shape[1] != dim:
        raise ValueError(
            f"{name} has dimension {A.shape[1]} but the other side has {dim}"
        )
    if not np.isfinite(A).all():
        bad = int(np.argwhere(~np.isfinite(A))[0, 0])
        raise ValueError(f"{name} row {bad} holds NaN or infinity")
    return A


def _check_pair(H: np.ndarray, K: np.ndarray):
    H = _check_matrix("H (context)", H)
    K = _check_matrix("K (candidate)", K, H.shape[1])
    return H, K


def _check_alpha(alpha: float) -> float:
    alpha = float(alpha)
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"view weight alpha must be in [0, 1], got {alpha}")
    return alpha


# ------------------------------------------------------------- primitives


def unit_rows(A: np.ndarray) -> np.ndarray:
    """Rows of ``A`` ``[r, d]`` scaled to length 1 (zero rows stay zero).

    Introduced in 03_cosine_energy.
    """
    A = np.asarray(A, dtype=np.float32)
    norms = np.linalg.norm(A, axis=-1, keepdims=True)
    return A / np.maximum(norms, _EPS)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """``cos(a, b) = <a, b> / (|a| |b|)``; 0.0 when either is zero.

    Introduced in 03_cosine_energy.
    """
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(f"vectors differ in size: {a.size} vs {b.size}")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("cosine of a vector holding NaN or infinity")
    den = np.linalg.norm(a) * np.linalg.norm(b)
    return float(a @ b / den) if den > 0 else 0.0


def cosine_energy(a: np.ndarray, b: np.ndarray) -> float:
    """``E = 1 - cos(a, b)``, in ``[0, 2]``; 0 means the same direction.

    Introduced in 03_cosine_energy.
    """
    return 1.0 - cosine(a, b)


def mean_vector(H: np.ndarray) -> np.ndarray:
    """Mean of the token vectors ``H`` ``[m, d]`` (zeros when ``m = 0``).

    The seed's "GloVe sentence vector". Introduced in 03_cosine_energy.
    """
    H = np.asarray(H, dtype=np.float32)
    if H.shape[0] == 0:
        return np.zeros(H.shape[1], dtype=np.float32)
    return H.mean(axis=0)


def joint_embedding(
    g: np.ndarray, s: np.ndarray, alpha: float = 0.5
) -> np.ndarray:
    """Joint embedding ``z = [sqrt(a) g/|g|, sqrt(1-a) s/|s|]``.

    ``|z| = 1`` (when both views are non-zero), so
    ``cos(z_x, z_y) = a cos(g_x, g_y) + (1 - a) cos(s_x, s_y)``: with
    ``a = 1/2`` the mean of the two view cosines, as in the seed.

    Introduced in 03_cosine_energy.
    """
    alpha = _check_alpha(alpha)
    g = unit_rows(np.asarray(g, dtype=np.float32)[None, :])[0]
    s = unit_rows(np.asarray(s, dtype=np.float32)[None, :])[0]
    return np.concatenate([np.sqrt(alpha) * g, np.sqrt(1 - alpha) * s])


def joint_cosine_energy(
    g_x: np.ndarray,
    g_y: np.ndarray,
    s_x: np.ndarray,
    s_y: np.ndarray,
    alpha: float = 0.5,
) -> JointEnergy:
    """Joint cosine energy of the seed's ``main.py``.

    ``E = 1 - cos(z_x, z_y)`` with ``z = joint_embedding(g, s, alpha)``:
    ``g`` the GloVe mean vector ``[d_g]``, ``s`` the sentence vector
    ``[d_s]``. A view with a zero vector (no known word) has cosine 0.

    Introduced in 03_cosine_energy.
    """
    alpha = _check_alpha(alpha)
    glove_cos = cosine(g_x, g_y)
    sentence_cos = cosine(s_x, s_y)
    joint = alpha * glove_cos + (1 - alpha) * sentence_cos
    return JointEnergy(1.0 - joint, joint, glove_cos, sentence_cos, alpha)


# ------------------------------------------------- single-pair, pairwise


def _distinct_rows(A: np.ndarray):
    """Distinct rows of ``A``, their counts and the row -> distinct map."""
    if A.shape[0] <= 1:
        return A, np.ones(A.shape[0]), np.zeros(A.shape[0], dtype=np.int64)
    U, inverse, counts = np.unique(
        A, axis=0, return_inverse=True, return_counts=True
    )
    return U, counts.astype(np.float64), inverse.reshape(-1)


def _blocks(rows: int, cols: int):
    """Yield row slices so one block holds about ``BLOCK_PAIRS`` pairs."""
    step = max(1, BLOCK_PAIRS // max(cols, 1))
    for start in range(0, rows, step):
        yield slice(start, min(rows, start + step))


def _expand_top(
    order: list[tuple[int, int]],
    inv_x: np.ndarray,
    inv_y: np.ndarray,
    values: dict[tuple[int, int], tuple[float, float, float]],
    top_k: int,
) -> tuple[PairContribution, ...]:
    """Turn ranked distinct pairs into ranked token pairs ``(i, j)``."""
    rows_of = _positions(inv_x)
    cols_of = _positions(inv_y)
    out: list[PairContribution] = []
    for a, b in order:
        phi, w, c = values[(a, b)]
        for i in rows_of[a]:
            for j in cols_of[b]:
                out.append(PairContribution(int(i), int(j), phi, w, c))
                if len(out) == top_k:
                    return tuple(out)
    return tuple(out)


def _positions(inverse: np.ndarray) -> dict[int, np.ndarray]:
    order = np.argsort(inverse, kind="stable")
    cuts = np.flatnonzero(np.diff(inverse[order])) + 1
    groups = np.split(order, cuts)
    return {int(inverse[g[0]]): g for g in groups if g.size}


def _check_top_k(top_k: int) -> int:
    if int(top_k) != top_k or top_k < 0:
        raise ValueError(f"top_k must be a whole number >= 0, got {top_k}")
    return int(top_k)


def _pairwise(
    H: np.ndarray, K: np.ndarray, tau: float | None, top_k: int
) -> PairwiseEnergy:
    """Shared core of the two pairwise energies (see their docstrings).

    ``tau = None`` gives uniform weights ``w_ij = 1 / (m n)``.
    """
    H, K = _check_pair(H, K)
    top_k = _check_top_k(top_k)
    m, n = H.shape[0], K.shape[0]
    name = "mean_pairwise" if tau is None else "softmax_pairwise"
    if m == 0 or n == 0:
        empty_value = 1.0 if tau is None else 0.0
        return PairwiseEnergy(name, empty_value, 0.0, (), (m, n), tau)
    Ux, cx, inv_x = _distinct_rows(unit_rows(H))
    Uy, cy, inv_y = _distinct_rows(unit_rows(K))
    if Ux.shape[0] * Uy.shape[0] > MAX_DISTINCT_PAIRS:
        raise ValueError(
            f"too many distinct token pairs to score: {Ux.shape[0]} x "
            f"{Uy.shape[0]} > {MAX_DISTINCT_PAIRS:,}; shorten the texts"
        )
    log_cy = np.log(cy)
    # first token position of each distinct row, to break ties by (i, j)
    first_x = np.full(Ux.shape[0], m)
    np.minimum.at(first_x, inv_x, np.arange(m))
    first_y = np.full(Uy.shape[0], n)
    np.minimum.at(first_y, inv_y, np.arange(n))
    # Two streaming passes over blocks of distinct context rows: the max
    # phi (so that exp never underflows to 0 at small tau), then
    # Z = sum_ab c_a c_b exp(phi_ab / tau - shift) and S, the same with a
    # factor phi_ab, so that E = -S / Z.
    blocks = list(_blocks(Ux.shape[0], Uy.shape[0]))

    def phi_block(rows: slice) -> np.ndarray:
        phi = (Ux[rows] @ Uy.T).astype(np.float64)
        return np.clip(phi, -1.0, 1.0, out=phi)

    first = phi_block(blocks[0])
    phi_max = max([first.max()] + [phi_block(r).max() for r in blocks[1:]])
    shift = 0.0 if tau is None else phi_max / tau
    Z = S = 0.0
    best: list[tuple[float, int, int, float]] = []
    for rows in blocks:
        phi = first if rows is blocks[0] else phi_block(rows)
        if tau is None:
            logit = np.zeros_like(phi)
        else:
            logit = phi / tau - shift
        mult = np.log(cx[rows])[:, None] + log_cy[None, :]
        e = np.exp(logit + mult)
        Z += float(e.sum())
        S += float((e * phi).sum())
        if top_k:
            # Per-occurrence contribution is proportional to exp(logit) phi.
            key = np.exp(logit) * phi
            take = min(top_k, key.size)
            flat = np.argpartition(-key.ravel(), take - 1)[:take]
            for f in flat:
                a, b = divmod(int(f), Uy.shape[0])
                best.append(
                    (float(key.flat[f]), a + rows.start, b, phi.flat[f])
                )
            best.sort(key=lambda t: (-t[0], first_x[t[1]], first_y[t[2]]))
            del best[top_k:]
    log_z = np.log(Z)
    # sum_ab c_a c_b <u_a, u_b> = <sum_a c_a u_a, sum_b c_b u_b>
    mean_phi = float(
        (cx @ Ux.astype(np.float64)) @ (cy @ Uy.astype(np.float64)) / (m * n)
    )
    value = 1.0 - S / Z if tau is None else -S / Z
    values = {}
    order = []
    for key, a, b, phi_ab in best:
        logit = 0.0 if tau is None else phi_ab / tau - shift
        w = float(np.exp(logit - log_z))
        values[(a, b)] = (float(phi_ab), w, w * float(phi_ab))
        order.append((a, b))
    top = _expand_top(order, inv_x, inv_y, values, top_k)
    phi_m = w_m = None
    if m * n <= MAX_MATRIX_PAIRS:
        phi_m = np.clip(unit_rows(H) @ unit_rows(K).T, -1.0, 1.0)
        if tau is None:
            w_m = np.full((m, n), 1.0 / (m * n))
        else:
            w_m = np.exp(phi_m.astype(np.float64) / tau - shift - log_z)
    return PairwiseEnergy(
        name, float(value), float(mean_phi), top, (m, n), tau, phi_m, w_m
    )


def mean_pairwise_energy(
    H: np.ndarray, K: np.ndarray, top_k: int = 20
) -> PairwiseEnergy:
    """Mean pairwise energy of the seed's ``pairwise.py``.

    ``E = 1 - (1 / mn) sum_ij phi_ij`` with ``phi_ij = cos(h_i, k_j)``;
    ``H`` ``[m, d]``, ``K`` ``[n, d]``. ``top`` lists the pairs with the
    largest ``phi`` (each weight ``1 / mn``). A side with no token gives
    ``E = 1.0`` and no pairs, as the seed printed for the context ``"#"``.

    Introduced in 04_softmax_pairwise_energy.
    """
    return _pairwise(H, K, None, top_k)


def softmax_pairwise_energy(
    H: np.ndarray, K: np.ndarray, tau: float = 0.5, top_k: int = 20
) -> PairwiseEnergy:
    """Softmax pairwise energy of the seed's ``main2.py``.

    ``phi_ij = cos(h_i, k_j)``, ``w = softmax(phi / tau)`` over all ``mn``
    pairs, ``E = -sum_ij w_ij phi_ij`` (more negative = more compatible).
    ``E -> -mean phi`` as ``tau -> inf`` and ``E -> -max phi`` as
    ``tau -> 0``. ``top`` lists the largest contributions ``w_ij phi_ij``.
    A side with no token gives ``E = 0.0`` and no pairs.

    Introduced in 04_softmax_pairwise_energy.
    """
    return _pairwise(H, K, _check_tau(tau), top_k)


# ------------------------------------------------------------ batched


def pad_batch(Ks: Sequence[np.ndarray], dim: int):
    """Stack candidate matrices ``K_c`` ``[n_c, d]`` into ``[N, n_max, d]``.

    Returns the padded unit rows and the mask ``[N, n_max]`` of real rows.
    """
    N = len(Ks)
    n_max = max((k.shape[0] for k in Ks), default=0)
    out = np.zeros((N, max(n_max, 1), dim), dtype=np.float32)
    mask = np.zeros((N, max(n_max, 1)), dtype=bool)
    for c, K in enumerate(Ks):
        K = _check_matrix(f"candidate {c}", K, dim)
        out[c, : K.shape[0]] = unit_rows(K)
        mask[c, : K.shape[0]] = True
    return out, mask


def softmax_pairwise_energy_batch(
    H: np.ndarray,
    Ks: Sequence[np.ndarray] | tuple[np.ndarray, np.ndarray],
    tau: float = 0.5,
    chunk: int = 4096,
) -> np.ndarray:
    """Softmax pairwise energy of one context against N candidates.

    ``Ks`` is a list of ``[n_c, d]`` matrices or an already padded pair
    ``(K_unit [N, n_max, d], mask [N, n_max])`` from ``pad_batch``.
    Returns ``E`` ``[N]`` (float64), equal to N calls of
    ``softmax_pairwise_energy``. Empty context or candidate: ``E = 0``.

    Introduced in 04_softmax_pairwise_energy.
    """
    tau = _check_tau(tau)
    H = _check_matrix("H (context)", H)
    Kp, mask = _as_padded(Ks, H.shape[1])
    out = np.zeros(Kp.shape[0], dtype=np.float64)
    if H.shape[0] == 0:
        return out
    Hu = unit_rows(H)
    for s in range(0, Kp.shape[0], chunk):
        phi = np.einsum("md,bnd->bmn", Hu, Kp[s : s + chunk])
        out[s : s + chunk] = softmax_energy_of_phi(
            phi, mask[s : s + chunk], tau
        )
    return out


def softmax_energy_of_phi(
    phi: np.ndarray, mask: np.ndarray, tau: float
) -> np.ndarray:
    """``E = -sum_ij w_ij phi_ij`` for a batch of pair matrices.

    ``phi`` ``[N, m, n]`` similarities, ``mask`` ``[N, n]`` the real
    candidate tokens; ``w = softmax(phi / tau)`` over the real pairs of
    each row. A row with no real pair gets ``E = 0``.
    """
    tau = _check_tau(tau)
    if phi.size == 0:
        return np.zeros(phi.shape[0])
    # float32 element-wise work, float64 sums (errors stay below 1e-6)
    phi = np.clip(phi, -1.0, 1.0).astype(np.float32, copy=False)
    logit = np.where(mask[:, None, :], phi, -np.inf)
    top = logit.max(axis=(1, 2), keepdims=True)
    top[~np.isfinite(top)] = 0.0
    logit -= top
    logit *= np.float32(1.0 / tau)
    e = np.exp(logit)
    Z = e.sum(axis=(1, 2), dtype=np.float64)
    e *= phi
    S = e.sum(axis=(1, 2), dtype=np.float64)
    out = np.zeros(phi.shape[0])
    ok = Z > 0
    out[ok] = -S[ok] / Z[ok]
    return out


def mean_pairwise_energy_batch(
    H: np.ndarray,
    Ks: Sequence[np.ndarray] | tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """Mean pairwise energy of one context against N candidates, ``[N]``.

    ``mean_ij cos(h_i, k_j) = <mean_i h_i/|h_i|, mean_j k_j/|k_j|>``, so
    the batch costs one matrix-vector product. Empty side: ``E = 1``.

    Introduced in 04_softmax_pairwise_energy.
    """
    H = _check_matrix("H (context)", H)
    Kp, mask = _as_padded(Ks, H.shape[1])
    out = np.ones(Kp.shape[0], dtype=np.float64)
    if H.shape[0] == 0:
        return out
    h_bar = unit_rows(H).astype(np.float64).mean(axis=0)
    counts = mask.sum(axis=1)
    k_sum = Kp.astype(np.float64).sum(axis=1)
    ok = counts > 0
    out[ok] = 1.0 - (k_sum[ok] @ h_bar) / counts[ok]
    return out


def joint_cosine_energy_batch(
    g_x: np.ndarray,
    G_y: np.ndarray,
    s_x: np.ndarray,
    S_y: np.ndarray,
    alpha: float = 0.5,
) -> np.ndarray:
    """Joint cosine energy of one context against N candidates, ``[N]``.

    ``G_y`` ``[N, d_g]`` GloVe mean vectors, ``S_y`` ``[N, d_s]`` sentence
    vectors; ``E = 1 - (a cos_g + (1 - a) cos_s)``.

    Introduced in 03_cosine_energy.
    """
    alpha = _check_alpha(alpha)
    gx = unit_rows(np.asarray(g_x)[None, :])[0].astype(np.float64)
    sx = unit_rows(np.asarray(s_x)[None, :])[0].astype(np.float64)
    G = unit_rows(_check_matrix("G_y", G_y, gx.size)).astype(np.float64)
    S = unit_rows(_check_matrix("S_y", S_y, sx.size)).astype(np.float64)
    return 1.0 - (alpha * (G @ gx) + (1 - alpha) * (S @ sx))


def _as_padded(Ks, dim: int):
    if isinstance(Ks, tuple) and len(Ks) == 2 and Ks[0].ndim == 3:
        Kp, mask = Ks
        if Kp.shape[2] != dim:
            raise ValueError(
                f"candidates have dimension {Kp.shape[2]}, context {dim}"
            )
        return Kp, mask
    return pad_batch(list(Ks), dim)
