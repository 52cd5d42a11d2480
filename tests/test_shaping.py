"""Shaped energies: maths identities, batched == single, bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from jepa_helpers import energy as E
from jepa_helpers import shaping as S


def rand_pair(seed, m=5, n=7, d=8):
    rng = np.random.default_rng(seed)
    H = rng.normal(size=(m, d)).astype(np.float32)
    K = rng.normal(size=(n, d)).astype(np.float32)
    a = rng.uniform(0.1, 1.0, m)
    b = rng.uniform(0.1, 1.0, n)
    return H, K, a, b


# ---------------------------------------------------------------- weights


def test_zipf_probabilities_sum_to_one_and_fall_with_rank():
    p = S.zipf_probabilities(1000, k=2.7)
    assert p.sum() == pytest.approx(1.0)
    assert (np.diff(p) < 0).all()
    assert p[0] / p[9] == pytest.approx((10 + 2.7) / (1 + 2.7))


def test_sif_weights_down_weight_frequent_words():
    p = np.array([0.05, 1e-4, 1e-7])
    w = S.sif_weights(p, a=1e-4)
    assert np.allclose(w, 1e-4 / (1e-4 + p))
    assert w[0] < w[1] < w[2] <= 1.0
    assert np.allclose(S.sif_weights(p, a=1e9), 1.0)


def test_common_component_is_the_weighted_mean_direction():
    rng = np.random.default_rng(0)
    V = rng.normal(size=(300, 6))
    p = S.zipf_probabilities(300)
    w = S.sif_weights(p, 1e-3)
    c = S.common_component(V, p, w, block=7)
    want = (p * w) @ V
    assert np.allclose(c, want / np.linalg.norm(want))


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: S.zipf_probabilities(0), "vocab_size"),
        (lambda: S.sif_weights(np.ones(3), a=0), "SIF parameter"),
        (lambda: S.sif_weights(-np.ones(3)), "probabilities"),
        (
            lambda: S.greedy_matching_energy(
                np.ones((2, 3)), np.ones((2, 3)), [1, -1], [1, 1]
            ),
            "a must be finite and >= 0",
        ),
        (
            lambda: S.transport_energy(
                np.ones((2, 3)), np.ones((2, 3)), [1, 1], [1, 1, 1]
            ),
            r"b must have shape \(2,\)",
        ),
        (
            lambda: S.weighted_softmax_energy(
                np.ones((2, 3)), np.ones((2, 4)), [1, 1], [1, 1]
            ),
            "dimension",
        ),
        (
            lambda: S.sinkhorn_plan(
                np.ones((2, 2)), [0.5] * 2, [0.5] * 2, 1, 0
            ),
            "iterations",
        ),
    ],
)
def test_bad_input_is_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ------------------------------------------------------------ SIF cosine


def test_uniform_sif_without_removal_is_the_mean_cosine():
    H, K, _, _ = rand_pair(1)
    r = S.sif_cosine_energy(H, K, np.ones(5), np.ones(7), None)
    want = E.cosine_energy(H.astype(float).mean(0), K.astype(float).mean(0))
    assert r.value == pytest.approx(want, abs=1e-9)


def test_sif_pair_contributions_sum_to_the_cosine():
    H, K, a, b = rand_pair(2)
    c = np.eye(8)[0]
    r = S.sif_cosine_energy(H, K, a, b, c, top_k=35)
    vx, vy = S.sif_embedding(H, a, c), S.sif_embedding(K, b, c)
    assert abs(vx @ c) < 1e-12
    assert r.value == pytest.approx(E.cosine_energy(vx, vy), abs=1e-9)
    assert sum(t.contribution for t in r.top) == pytest.approx(1 - r.value)
    assert (r.pairs * r.phi).sum() == pytest.approx(1 - r.value)


def test_sif_batch_equals_single():
    H, K, a, b = rand_pair(3)
    vx = S.sif_embedding(H, a)
    V = np.stack([S.sif_embedding(K, b), np.zeros(8), vx])
    got = S.sif_cosine_energy_batch(vx, V)
    assert got[0] == pytest.approx(S.sif_cosine_energy(H, K, a, b).value)
    assert got[1] == 1.0 and got[2] == pytest.approx(0.0, abs=1e-12)


# ------------------------------------------------------ weighted softmax


@pytest.mark.parametrize("tau", [0.05, 0.5, 3.0])
def test_uniform_weights_give_the_seed_softmax_energy(tau):
    H, K, _, _ = rand_pair(4)
    r = S.weighted_softmax_energy(H, K, np.ones(5), np.ones(7), tau, 35)
    seed = E.softmax_pairwise_energy(H, K, tau, 35)
    assert r.value == pytest.approx(seed.value, abs=1e-6)
    assert np.allclose(r.pairs, seed.weights, atol=1e-6)
    assert [(t.i, t.j) for t in r.top[:5]] == [
        (t.i, t.j) for t in seed.top[:5]
    ]


def test_masking_a_token_is_removing_it():
    H, K, _, _ = rand_pair(5)
    a = np.array([1, 0, 1, 1, 0.0])
    b = np.array([1, 1, 0, 1, 1, 1, 0.0])
    r = S.weighted_softmax_energy(H, K, a, b, 0.3)
    kept = E.softmax_pairwise_energy(H[a > 0], K[b > 0], 0.3)
    assert r.value == pytest.approx(kept.value, abs=1e-6)
    assert all(a[t.i] > 0 and b[t.j] > 0 for t in r.top)


def test_weighted_softmax_all_masked_is_zero():
    H, K, _, _ = rand_pair(6)
    r = S.weighted_softmax_energy(H, K, np.zeros(5), np.ones(7))
    assert r.value == 0.0 and r.top == ()


def test_weighted_softmax_is_symmetric():
    H, K, a, b = rand_pair(7)
    xy = S.weighted_softmax_energy(H, K, a, b, 0.2).value
    yx = S.weighted_softmax_energy(K, H, b, a, 0.2).value
    assert xy == pytest.approx(yx, abs=1e-12)


# ------------------------------------------------------- greedy matching


def test_greedy_energy_by_hand():
    H = np.array([[1.0, 0], [0, 1.0]])  # "x1", "x2"
    K = np.array([[1.0, 0], [1.0, 1.0]])  # "y1", "y2"
    r = S.greedy_matching_energy(H, K, np.array([1.0, 3.0]), np.ones(2))
    s = 1 / np.sqrt(2)
    R = (1 * 1 + 3 * s) / 4  # x1 -> y1 (1), x2 -> y2 (s)
    P = (1 + s) / 2  # y1 -> x1 (1), y2 -> x1 or x2 (s)
    assert r.value == pytest.approx(1 - (R + P) / 2)
    assert (r.pairs * r.phi).sum() == pytest.approx((R + P) / 2)


def test_greedy_of_a_text_with_itself_is_the_minimum():
    H, K, a, b = rand_pair(8)
    self_e = S.greedy_matching_energy(H, H, a, a).value
    assert self_e == pytest.approx(0.0, abs=1e-6)  # float32 unit rows
    assert S.greedy_matching_energy(H, K, a, b).value > self_e


def test_greedy_is_symmetric_and_masks():
    H, K, a, b = rand_pair(9)
    xy = S.greedy_matching_energy(H, K, a, b).value
    yx = S.greedy_matching_energy(K, H, b, a).value
    assert xy == pytest.approx(yx, abs=1e-12)
    a[0] = 0
    masked = S.greedy_matching_energy(H, K, a, b)
    kept = S.greedy_matching_energy(H[1:], K, a[1:], b)
    assert masked.value == pytest.approx(kept.value, abs=1e-12)
    assert masked.pairs[0].sum() == 0
    assert masked.pairs.sum() == pytest.approx(1.0)


# ----------------------------------------------------- optimal transport


def test_sinkhorn_plan_has_the_marginals():
    H, K, a, b = rand_pair(10)
    C = S.euclidean_costs(H, K)
    al, be = a / a.sum(), b / b.sum()
    P = S.sinkhorn_plan(C, al, be, eps=0.1 * (al @ C @ be), iters=500)
    assert np.allclose(P.sum(1), al, atol=1e-8)
    assert np.allclose(P.sum(0), be, atol=1e-12)


def test_transport_matches_brute_force_assignment():
    """Uniform masses, equal sizes: exact OT is the best permutation."""
    rng = np.random.default_rng(11)
    H = rng.normal(size=(5, 4))
    K = rng.normal(size=(5, 4))
    C = S.euclidean_costs(H, K)
    best = min(
        C[np.arange(5), list(p)].mean()
        for p in itertools.permutations(range(5))
    )
    B = C.mean()
    r = S.transport_energy(H, K, np.ones(5), np.ones(5), eps=0.002, iters=5000)
    assert r.value == pytest.approx(best / B, abs=2e-3)


def test_transport_of_identical_texts_tends_to_zero():
    H, _, a, _ = rand_pair(12)
    e = [
        S.transport_energy(H, H, a, a, eps, 2000).value for eps in (0.1, 0.02)
    ]
    assert 0 <= e[1] < e[0] and e[1] < 1e-4


def test_transport_is_bounded_symmetric_and_scale_free():
    H, K, a, b = rand_pair(13)
    r = S.transport_energy(H, K, a, b, iters=1000)
    assert 0 < r.value <= 1
    yx = S.transport_energy(K, H, b, a, iters=1000).value
    assert r.value == pytest.approx(yx, abs=1e-6)
    scaled = S.transport_energy(3 * H, 3 * K, a, b, iters=1000).value
    assert scaled == pytest.approx(r.value, abs=1e-7)
    assert sum(t.contribution for t in S.transport_energy(
        H, K, a, b, top_k=35).top) == pytest.approx(
        S.transport_energy(H, K, a, b).value)  # fmt: skip


def test_transport_empty_side_is_blind():
    H, K, a, b = rand_pair(14)
    assert S.transport_energy(H, K, np.zeros(5), b).value == 1.0
    assert S.transport_energy(H[:0], K, a[:0], b).value == 1.0


# --------------------------------------------------- batched == single


def padded_batch(seed, N=6, m=4, d=8):
    rng = np.random.default_rng(seed)
    H = rng.normal(size=(m, d)).astype(np.float32)
    a = rng.uniform(0.1, 1, m)
    a[1] = 0.0  # a masked context token
    lens = [3, 1, 5, 0, 4, 2][:N]
    Ks = [rng.normal(size=(k, d)).astype(np.float32) for k in lens]
    bs = [rng.uniform(0.1, 1, k) for k in lens]
    bs[2][0] = 0.0  # a masked candidate token
    n = max(lens)
    Kp = np.zeros((N, n, d), dtype=np.float32)
    bp = np.zeros((N, n))
    for c, (K, b) in enumerate(zip(Ks, bs)):
        Kp[c, : len(K)], bp[c, : len(b)] = K, b
    return H, a, Ks, bs, Kp, bp


def test_batched_softmax_and_greedy_equal_single_calls():
    H, a, Ks, bs, Kp, bp = padded_batch(15)
    phi = np.einsum("md,bnd->bmn", E.unit_rows(H), E.unit_rows(Kp))
    soft = S.weighted_softmax_energy_of_phi(phi, a, bp, 0.3)
    greedy = S.greedy_energy_of_phi(phi, a, bp)
    for c, (K, b) in enumerate(zip(Ks, bs)):
        one = S.weighted_softmax_energy(H, K, a, b, 0.3).value
        assert soft[c] == pytest.approx(one, abs=1e-6)
        one = S.greedy_matching_energy(H, K, a, b).value
        assert greedy[c] == pytest.approx(one, abs=1e-6)


def test_batched_transport_equals_single_calls():
    H, a, Ks, bs, Kp, bp = padded_batch(16)
    C = np.stack([S.euclidean_costs(H, K) for K in Kp])
    got = S.transport_energy_of_costs(C, a, bp)
    for c, (K, b) in enumerate(zip(Ks, bs)):
        one = S.transport_energy(H, K, a, b).value
        assert got[c] == pytest.approx(one, abs=1e-6)
