"""A tiny JEPA trained in numpy: predictor, target head, Adam, diagnostics.

Frozen encoders give a context vector ``s_x`` ``[d_x]`` and a candidate
vector ``s_y`` ``[d_y]`` (GloVe means and/or MiniLM, see
``training_pairs``). Two small trainable maps sit on top:

- the predictor ``g``: ``p = s_x W + b`` (linear) or
  ``p = relu(s_x W1 + b1) W2 + b2`` (one hidden layer);
- the target head ``h``: ``z = s_y V + c``; with ``head=False`` the target
  is the frozen ``s_y`` itself and nothing can collapse.

The energy is the JEPA prediction cost ``E(x, y) = ||g(s_x) - h(s_y)||^2``,
lower = more compatible. Trained on that cost alone, ``g`` and ``h`` agree
on a constant (collapse: every energy equal); ``train_losses`` holds the
two cures (VICReg's variance/covariance terms, InfoNCE). Gradients are
written by hand and checked by finite differences in the tests.

Introduced in 08_training_a_tiny_jepa.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from .payloads import ranking_payload
from .train_losses import LossParts, Objective, objective

__all__ = [
    "Adam",
    "Diagnostics",
    "EpochLog",
    "LossParts",
    "Objective",
    "TinyJEPA",
    "TrainResult",
    "TrainedEnergy",
    "diagnose",
    "fit",
    "ranking_accuracy",
]


def _as_matrix(name: str, A: np.ndarray, dim: int) -> np.ndarray:
    A = np.asarray(A, dtype=np.float64)
    if A.ndim != 2 or A.shape[1] != dim:
        raise ValueError(f"{name} must be [n, {dim}], got shape {A.shape}")
    if not np.all(np.isfinite(A)):
        raise ValueError(f"{name} holds NaN or inf")
    return A


class TinyJEPA:
    """Predictor ``g`` and (optional) target head ``h``; parameters in a dict.

    ``params``: ``pred.W`` ``[d_x, k]``, ``pred.b`` ``[k]`` (linear), or
    ``pred.W1`` ``[d_x, hidden]``, ``pred.b1``, ``pred.W2`` ``[hidden, k]``,
    ``pred.b2``; with a head, ``head.V`` ``[d_y, k]`` and ``head.c``
    ``[k]``. Without a head ``k = d_y``. Built with ``TinyJEPA.create``.
    Introduced in 08_training_a_tiny_jepa.
    """

    def __init__(
        self, params: dict[str, np.ndarray], d_x: int, d_y: int, k: int
    ) -> None:
        self.params = params
        self.d_x, self.d_y, self.k = d_x, d_y, k

    @classmethod
    def create(
        cls,
        d_x: int,
        d_y: int,
        dim: int = 32,
        hidden: int = 0,
        head: bool = True,
        seed: int = 0,
    ) -> "TinyJEPA":
        """Random initial weights, ``N(0, 1/fan_in)`` (``2/fan_in`` before
        a ReLU), zero biases, from ``np.random.default_rng(seed)``.

        ``hidden=0`` gives the linear predictor; ``head=False`` a frozen
        identity target (then ``dim`` is ignored and ``k = d_y``).
        """
        for name, value in (("d_x", d_x), ("d_y", d_y), ("dim", dim)):
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")
        if hidden < 0:
            raise ValueError(f"hidden must be >= 0, got {hidden}")
        rng = np.random.default_rng(seed)
        k = dim if head else d_y
        p: dict[str, np.ndarray] = {}
        if hidden:
            p["pred.W1"] = rng.normal(0, np.sqrt(2 / d_x), (d_x, hidden))
            p["pred.b1"] = np.zeros(hidden)
            p["pred.W2"] = rng.normal(0, np.sqrt(1 / hidden), (hidden, k))
            p["pred.b2"] = np.zeros(k)
        else:
            p["pred.W"] = rng.normal(0, np.sqrt(1 / d_x), (d_x, k))
            p["pred.b"] = np.zeros(k)
        if head:
            p["head.V"] = rng.normal(0, np.sqrt(1 / d_y), (d_y, k))
            p["head.c"] = np.zeros(k)
        return cls(p, d_x, d_y, k)

    @property
    def hidden(self) -> int:
        """Width of the predictor's hidden layer (0: linear)."""
        W1 = self.params.get("pred.W1")
        return 0 if W1 is None else int(W1.shape[1])

    @property
    def has_head(self) -> bool:
        """True when the target head is trainable (collapse is possible)."""
        return "head.V" in self.params

    def copy(self) -> "TinyJEPA":
        """An independent copy (the arrays are copied)."""
        params = {n: a.copy() for n, a in self.params.items()}
        return TinyJEPA(params, self.d_x, self.d_y, self.k)

    def __repr__(self) -> str:
        kind = f"mlp({self.hidden})" if self.hidden else "linear"
        head = "trainable" if self.has_head else "frozen"
        return (
            f"TinyJEPA(d_x={self.d_x}, d_y={self.d_y}, k={self.k}, "
            f"predictor={kind}, target={head})"
        )

    # ------------------------------------------------------------ forward

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predictions ``P = g(X)`` ``[n, k]`` of ``X`` ``[n, d_x]``."""
        return self._predict(_as_matrix("X", X, self.d_x))[0]

    def embed_target(self, Y: np.ndarray) -> np.ndarray:
        """Target embeddings ``Z = h(Y)`` ``[n, k]`` of ``Y`` ``[n, d_y]``."""
        Y = _as_matrix("Y", Y, self.d_y)
        if not self.has_head:
            return Y.copy()
        return Y @ self.params["head.V"] + self.params["head.c"]

    def energy(self, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """Paired energies ``E_i = ||g(x_i) - h(y_i)||^2`` ``[n]``."""
        R = self.predict(X) - self.embed_target(Y)
        return np.sum(R * R, axis=1)

    def energy_matrix(self, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """All energies ``E_ij = ||g(x_i) - h(y_j)||^2`` ``[n_x, n_y]``."""
        return pairwise_sq_dist(self.predict(X), self.embed_target(Y))

    def _predict(self, X: np.ndarray):
        p = self.params
        if not self.hidden:
            return X @ p["pred.W"] + p["pred.b"], (X,)
        A = X @ p["pred.W1"] + p["pred.b1"]
        H = np.maximum(A, 0.0)
        return H @ p["pred.W2"] + p["pred.b2"], (X, A, H)

    # ----------------------------------------------------------- backward

    def loss_and_grads(
        self, X: np.ndarray, Y: np.ndarray, obj: Objective
    ) -> tuple[LossParts, dict[str, np.ndarray]]:
        """``obj``'s loss on a batch and ``dL/dparam`` for every parameter.

        Back-propagation by hand: for ``P = X W + b``,
        ``dW = X^T dP``, ``db = 1^T dP``; through the ReLU,
        ``dA = (dP W2^T) * [A > 0]``; for ``Z = Y V + c``, ``dV = Y^T dZ``.
        """
        X = _as_matrix("X", X, self.d_x)
        Y = _as_matrix("Y", Y, self.d_y)
        P, cache = self._predict(X)
        Z = self.embed_target(Y)
        parts, dP, dZ = objective(P, Z, obj)
        p, g = self.params, {}
        if not self.hidden:
            g["pred.W"] = X.T @ dP
            g["pred.b"] = dP.sum(axis=0)
        else:
            _, A, H = cache
            g["pred.W2"] = H.T @ dP
            g["pred.b2"] = dP.sum(axis=0)
            dA = (dP @ p["pred.W2"].T) * (A > 0)
            g["pred.W1"] = X.T @ dA
            g["pred.b1"] = dA.sum(axis=0)
        if self.has_head:
            g["head.V"] = Y.T @ dZ
            g["head.c"] = dZ.sum(axis=0)
        return parts, g


def pairwise_sq_dist(P: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """``D_ij = ||p_i - z_j||^2`` ``[n_p, n_z]``, clipped at 0."""
    D = (
        np.sum(P * P, axis=1)[:, None]
        - 2.0 * P @ Z.T
        + np.sum(Z * Z, axis=1)[None, :]
    )
    return np.maximum(D, 0.0)


class Adam:
    """Adam with decoupled weight decay (AdamW), updating arrays in place.

    For each parameter ``theta`` with gradient ``g`` at step ``t``:
    ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g^2``,
    ``theta -= lr (m_hat / (sqrt(v_hat) + eps) + wd theta)`` with
    ``m_hat = m / (1 - b1^t)``, ``v_hat = v / (1 - b2^t)``. Weight decay
    applies to the weight matrices only (names without a bias letter
    ``.b``/``.c``). Introduced in 08_training_a_tiny_jepa.
    """

    def __init__(
        self,
        params: dict[str, np.ndarray],
        lr: float = 1e-2,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        if lr <= 0:
            raise ValueError(f"lr must be > 0, got {lr}")
        if not all(0 <= b < 1 for b in betas):
            raise ValueError(f"betas must lie in [0, 1), got {betas}")
        if eps <= 0 or weight_decay < 0:
            raise ValueError("eps must be > 0 and weight_decay >= 0")
        self.params = params
        self.lr, self.betas, self.eps = lr, betas, eps
        self.weight_decay = weight_decay
        self.t = 0
        self.m = {n: np.zeros_like(a) for n, a in params.items()}
        self.v = {n: np.zeros_like(a) for n, a in params.items()}

    def step(self, grads: dict[str, np.ndarray]) -> None:
        """One update of every parameter named in ``params``."""
        missing = set(self.params) - set(grads)
        if missing:
            raise KeyError(f"no gradient for {sorted(missing)}")
        self.t += 1
        b1, b2 = self.betas
        for name, theta in self.params.items():
            g = grads[name]
            if g.shape != theta.shape:
                raise ValueError(
                    f"gradient of {name} has shape {g.shape}, "
                    f"parameter {theta.shape}"
                )
            self.m[name] = b1 * self.m[name] + (1 - b1) * g
            self.v[name] = b2 * self.v[name] + (1 - b2) * g * g
            m_hat = self.m[name] / (1 - b1**self.t)
            v_hat = self.v[name] / (1 - b2**self.t)
            update = m_hat / (np.sqrt(v_hat) + self.eps)
            if self.weight_decay and not _is_bias(name):
                update = update + self.weight_decay * theta
            theta -= self.lr * update


def _is_bias(name: str) -> bool:
    return name.rsplit(".", 1)[-1][0] in "bc"


# ------------------------------------------------------------ diagnostics


def ranking_accuracy(E: np.ndarray) -> float:
    """Share of rows whose diagonal entry is the row's lowest energy.

    ``E`` ``[n, n]``: row i holds context i against every candidate, the
    true one at column i, the others as distractors. A tie at the minimum
    earns ``1 / (number tied)``, so a collapsed model (all energies equal)
    scores chance, ``1 / n``.
    """
    E = np.asarray(E, dtype=np.float64)
    if E.ndim != 2 or E.shape[0] != E.shape[1] or E.shape[0] < 1:
        raise ValueError(f"E must be a square [n, n] matrix, got {E.shape}")
    true = np.diag(E)[:, None]
    below = np.sum(E < true, axis=1)
    tied = np.sum(E == true, axis=1)
    return float(np.mean(np.where(below == 0, 1.0 / tied, 0.0)))


@dataclass(frozen=True)
class Diagnostics:
    """eb_jepa's collapse monitors and a ranking probe, on held-out pairs.

    ``std`` ``[k]``: per-dimension standard deviation of the target
    embeddings ``Z`` (collapse: all near 0); ``spectrum`` ``[k]``: the
    eigenvalues of ``Cov(Z)``, largest first; ``accuracy``: top-1 ranking
    accuracy of the true candidate among all held-out candidates;
    ``chance = 1 / n``; ``energy_std``: standard deviation of all the
    held-out energies ``E_ij`` (0 when every energy is equal).
    Introduced in 08_training_a_tiny_jepa.
    """

    std: np.ndarray
    spectrum: np.ndarray
    accuracy: float
    chance: float
    energy_std: float

    @property
    def effective_rank(self) -> float:
        """``exp(entropy)`` of the normalised spectrum: ``1..k``."""
        lam = np.clip(self.spectrum, 0.0, None)
        if lam.sum() <= 0:
            return 0.0
        q = lam / lam.sum()
        q = q[q > 0]
        return float(np.exp(-np.sum(q * np.log(q))))


def diagnose(model: TinyJEPA, X: np.ndarray, Y: np.ndarray) -> Diagnostics:
    """``Diagnostics`` of ``model`` on held-out pairs ``(X_i, Y_i)``."""
    Z = model.embed_target(Y)
    if Z.shape[0] < 2:
        raise ValueError("diagnose needs at least 2 held-out pairs")
    E = model.energy_matrix(X, Y)
    spectrum = np.linalg.eigvalsh(
        np.cov(Z, rowvar=False).reshape(model.k, model.k)
    )[::-1]
    return Diagnostics(
        std=Z.std(axis=0, ddof=1),
        spectrum=spectrum,
        accuracy=ranking_accuracy(E),
        chance=1.0 / Z.shape[0],
        energy_std=float(np.std(E)),
    )


# --------------------------------------------------------------- training


@dataclass(frozen=True)
class EpochLog:
    """One epoch: mean loss parts over its batches, held-out diagnostics.

    Epoch 0 is the untrained model (its loss on the whole training set).
    """

    epoch: int
    loss: LossParts
    diagnostics: Diagnostics


@dataclass(frozen=True)
class TrainResult:
    """The trained model, the objective and the per-epoch history.

    ``curve(name)`` gives one number per epoch ``[epochs + 1]``: a loss
    part (``"total"``, ``"pred"``, ``"std"``, ``"cov"``, ``"infonce"``) or a
    diagnostic (``"accuracy"``, ``"min_std"``, ``"mean_std"``,
    ``"energy_std"``, ``"effective_rank"``). Introduced in
    08_training_a_tiny_jepa.
    """

    model: TinyJEPA
    objective: Objective
    history: tuple[EpochLog, ...]

    @property
    def final(self) -> Diagnostics:
        """Diagnostics after the last epoch."""
        return self.history[-1].diagnostics

    def curve(self, name: str) -> np.ndarray:
        """One value per logged epoch (see the class docstring)."""
        diag = {
            "accuracy": lambda d: d.accuracy,
            "min_std": lambda d: float(d.std.min()),
            "mean_std": lambda d: float(d.std.mean()),
            "energy_std": lambda d: d.energy_std,
            "effective_rank": lambda d: d.effective_rank,
        }
        if name in diag:
            return np.array([diag[name](e.diagnostics) for e in self.history])
        if name == "total":
            return np.array([e.loss.total for e in self.history])
        if name in self.history[0].loss.parts:
            return np.array([e.loss.parts[name] for e in self.history])
        known = ["total", *self.history[0].loss.parts, *diag]
        raise KeyError(f"no curve {name!r}; choose one of {known}")


def _batches(n: int, size: int, rng: np.random.Generator) -> Iterable:
    order = rng.permutation(n)
    return np.array_split(order, max(1, int(np.ceil(n / size))))


def _mean_parts(logs: list[tuple[int, LossParts]]) -> LossParts:
    n = sum(size for size, _ in logs)
    total = sum(size * lp.total for size, lp in logs) / n
    names = logs[0][1].parts
    parts = {
        k: sum(size * lp.parts[k] for size, lp in logs) / n for k in names
    }
    return LossParts(float(total), parts)


def fit(
    model: TinyJEPA,
    train: tuple[np.ndarray, np.ndarray],
    held_out: tuple[np.ndarray, np.ndarray],
    obj: Objective = Objective(),
    epochs: int = 60,
    batch_size: int = 64,
    lr: float = 1e-2,
    weight_decay: float = 1e-3,
    seed: int = 0,
) -> TrainResult:
    """Train a copy of ``model`` with Adam on ``obj``; log every epoch.

    ``train`` and ``held_out`` are ``(X [n, d_x], Y [n, d_y])`` pairs.
    Each epoch shuffles the training pairs (``default_rng(seed)``) into
    nearly equal batches of about ``batch_size`` (at least 2 rows each),
    takes one Adam step per batch, then logs the mean loss parts and
    ``diagnose`` on ``held_out``. Same inputs, same seed: same result.
    """
    if epochs < 0 or batch_size < 2:
        raise ValueError(
            f"need epochs >= 0 and batch_size >= 2, got {epochs}, "
            f"{batch_size}"
        )
    X = _as_matrix("train X", train[0], model.d_x)
    Y = _as_matrix("train Y", train[1], model.d_y)
    Xh = _as_matrix("held-out X", held_out[0], model.d_x)
    Yh = _as_matrix("held-out Y", held_out[1], model.d_y)
    if X.shape[0] != Y.shape[0] or Xh.shape[0] != Yh.shape[0]:
        raise ValueError("X and Y must hold the same number of pairs")
    if X.shape[0] < 2:
        raise ValueError("fit needs at least 2 training pairs")
    model = model.copy()
    rng = np.random.default_rng(seed)
    opt = Adam(model.params, lr=lr, weight_decay=weight_decay)
    start, _ = model.loss_and_grads(X, Y, obj)
    history = [EpochLog(0, start, diagnose(model, Xh, Yh))]
    for epoch in range(1, epochs + 1):
        logs = []
        for idx in _batches(X.shape[0], batch_size, rng):
            parts, grads = model.loss_and_grads(X[idx], Y[idx], obj)
            opt.step(grads)
            logs.append((len(idx), parts))
        history.append(
            EpochLog(epoch, _mean_parts(logs), diagnose(model, Xh, Yh))
        )
    return TrainResult(model, obj, tuple(history))


# ------------------------------------------------------ the trained energy


@dataclass(frozen=True)
class TrainedEnergy:
    """A trained ``TinyJEPA`` as an energy on texts, ready to be a tool.

    ``featurise(texts) -> [n, d]`` is the frozen encoder (the same one
    used in training), ``whiten`` the map fitted on the training split
    (``training_pairs.Whitener``). ``E(x, y) = ||g(w(f(x))) -
    h(w(f(y)))||^2``, lower = more compatible. Introduced in
    08_training_a_tiny_jepa.
    """

    model: TinyJEPA
    featurise: Callable[[list[str]], np.ndarray]
    whiten: Callable[[np.ndarray], np.ndarray]
    name: str = "trained_jepa"

    def energies(self, context: str, candidates: Sequence[str]) -> np.ndarray:
        """Energies ``[N]`` of one context against N candidates."""
        if not isinstance(context, str) or not context.strip():
            raise ValueError("context must be a non-empty string")
        candidates = list(candidates)
        if not candidates or not all(
            isinstance(c, str) and c.strip() for c in candidates
        ):
            raise ValueError("candidates must be non-empty strings")
        F = self.whiten(self.featurise([context, *candidates]))
        return self.model.energy_matrix(F[:1], F[1:])[0]

    def score(self, context: str, candidate: str) -> dict[str, Any]:
        """One pair's energy as a JSON-ready dict."""
        E = float(self.energies(context, [candidate])[0])
        return {
            "context": context,
            "candidate": candidate,
            "energy_name": self.name,
            "energy": E,
            "interpretation": (
                "Squared distance between the trained predictor's guess "
                "of the candidate's embedding and the candidate's actual "
                "(trained head) embedding; lower means more compatible. "
                "Only differences between candidates for the same "
                "context are meaningful."
            ),
        }

    def rank(self, context: str, candidates: Sequence[str]) -> dict:
        """Candidates sorted by energy, lowest first (``argmin_y E``)."""
        candidates = list(candidates)
        Es = self.energies(context, candidates)
        return ranking_payload(context, candidates, Es, self.name)
