"""The Boltzmann view of an energy over a finite candidate set.

``p(y | x) = exp(-E(x, y) / tau) / Z``, ``Z = sum_y' exp(-E(x, y') / tau)``
over the N candidates: lower energy, higher probability. Z is a sum of N
terms here, which is what makes it tractable (UvA's EBM tutorial, where Z
is an intractable integral). ``tau`` is this softmax's temperature.

Introduced in 03_cosine_energy.
"""

from __future__ import annotations

import numpy as np


def _check(energies: np.ndarray, tau: float) -> tuple[np.ndarray, float]:
    E = np.asarray(energies, dtype=np.float64)
    if E.ndim != 1 or E.size == 0:
        raise ValueError(
            f"energies must be a non-empty [N] vector, got shape {E.shape}"
        )
    if not np.isfinite(E).all():
        bad = int(np.flatnonzero(~np.isfinite(E))[0])
        raise ValueError(f"energies[{bad}] is NaN or infinite")
    tau = float(tau)
    if not np.isfinite(tau) or tau <= 0:
        raise ValueError(f"temperature tau must be finite and > 0, got {tau}")
    return E, tau


def log_partition(energies: np.ndarray, tau: float) -> float:
    """``log Z = log sum_y exp(-E_y / tau)`` (stable: shifted by min E).

    ``energies`` ``[N]``. Introduced in 03_cosine_energy.
    """
    E, tau = _check(energies, tau)
    a = -E / tau
    top = a.max()
    return float(top + np.log(np.exp(a - top).sum()))


def boltzmann(energies: np.ndarray, tau: float) -> np.ndarray:
    """``p_y = exp(-E_y / tau) / Z`` over the candidates, ``[N] -> [N]``.

    Sums to 1; ``tau -> 0`` puts all mass on the lowest energy (ties
    share it), ``tau -> inf`` gives the uniform ``1 / N``.
    Introduced in 03_cosine_energy.
    """
    E, tau = _check(energies, tau)
    return np.exp(-E / tau - log_partition(E, tau))
