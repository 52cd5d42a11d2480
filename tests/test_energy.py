"""Maths identities of the energies (STYLE.md c.1), with oracles."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from jepa_helpers import energy as E


def rand(m, d=8, seed=0):
    return (
        np.random.default_rng(seed).standard_normal((m, d)).astype(np.float32)
    )


def oracle_softmax(H, K, tau):
    """Independent dense implementation in float64."""
    Hn = H / np.linalg.norm(H, axis=1, keepdims=True)
    Kn = K / np.linalg.norm(K, axis=1, keepdims=True)
    phi = Hn.astype(np.float64) @ Kn.T.astype(np.float64)
    w = np.exp(phi / tau - (phi / tau).max())
    w /= w.sum()
    return -(w * phi).sum(), phi, w


def test_cosine_energy_is_one_minus_inner_product_of_units():
    a, b = rand(1, 30, 1)[0], rand(1, 30, 2)[0]
    expected = 1 - (a / np.linalg.norm(a)) @ (b / np.linalg.norm(b))
    assert E.cosine_energy(a, b) == pytest.approx(expected, abs=1e-6)
    assert E.cosine_energy(a, 3 * a) == pytest.approx(0, abs=1e-6)
    assert E.cosine_energy(a, -a) == pytest.approx(2, abs=1e-6)


def test_softmax_matches_dense_oracle_and_weights():
    H, K = rand(7, seed=3), rand(5, seed=4)
    r = E.softmax_pairwise_energy(H, K, tau=0.5, top_k=35)
    value, phi, w = oracle_softmax(H, K, 0.5)
    assert r.value == pytest.approx(value, abs=1e-6)
    np.testing.assert_allclose(r.phi, phi, atol=1e-6)
    np.testing.assert_allclose(r.weights, w, rtol=1e-5)  # float32 phi
    assert r.weights.sum() == pytest.approx(1.0)
    # contributions sum to -E when every pair is listed
    assert sum(c.contribution for c in r.top) == pytest.approx(-value)
    for c in r.top:
        assert c.weight == pytest.approx(w[c.i, c.j])
        assert c.contribution == pytest.approx(w[c.i, c.j] * phi[c.i, c.j])
    contribs = [c.contribution for c in r.top]
    assert contribs == sorted(contribs, reverse=True)


def test_softmax_limits_in_tau():
    H, K = rand(6, seed=5), rand(9, seed=6)
    _, phi, _ = oracle_softmax(H, K, 1.0)
    hot = E.softmax_pairwise_energy(H, K, tau=1e6).value
    cold = E.softmax_pairwise_energy(H, K, tau=1e-4).value
    assert hot == pytest.approx(-phi.mean(), abs=1e-5)
    assert cold == pytest.approx(-phi.max(), abs=1e-5)


def test_softmax_energy_is_monotone_in_tau():
    H, K = rand(6, seed=7), rand(6, seed=8)
    taus = [0.01, 0.05, 0.1, 0.5, 1, 5, 50]
    values = [E.softmax_pairwise_energy(H, K, t).value for t in taus]
    assert values == sorted(values)  # colder -> closer to -max phi


def test_symmetry_under_swapping_context_and_candidate():
    H, K = rand(4, seed=9), rand(6, seed=10)
    for f in (E.mean_pairwise_energy, E.softmax_pairwise_energy):
        assert f(H, K).value == pytest.approx(f(K, H).value, abs=1e-9)
    g = E.joint_cosine_energy(H[0], K[0], H[1], K[1])
    h = E.joint_cosine_energy(K[0], H[0], K[1], H[1])
    assert g.value == pytest.approx(h.value)


def test_mean_pairwise_is_one_minus_mean_phi():
    H, K = rand(5, seed=11), rand(3, seed=12)
    _, phi, _ = oracle_softmax(H, K, 1.0)
    r = E.mean_pairwise_energy(H, K, top_k=3)
    assert r.value == pytest.approx(1 - phi.mean(), abs=1e-6)
    assert r.mean_phi == pytest.approx(phi.mean(), abs=1e-6)
    top = sorted(phi.ravel(), reverse=True)[:3]
    assert [c.phi for c in r.top] == pytest.approx(top, abs=1e-6)


def test_empty_side_conventions_of_the_seed():
    H = rand(4)
    none = np.zeros((0, H.shape[1]), np.float32)
    r = E.mean_pairwise_energy(none, H)
    assert (r.value, r.mean_phi, r.top) == (1.0, 0.0, ())
    s = E.softmax_pairwise_energy(H, none)
    assert (s.value, s.top) == (0.0, ())


def test_repeated_tokens_are_expanded_in_order():
    H = rand(3, seed=13)
    H = np.vstack([H, H[0]])  # token 3 repeats token 0
    K = np.vstack([H[0], rand(2, seed=14)])
    r = E.softmax_pairwise_energy(H, K, top_k=2)
    assert [(c.i, c.j) for c in r.top] == [(0, 0), (3, 0)]
    assert r.top[0].phi == pytest.approx(1.0)


def test_joint_energy_follows_the_seed_rule():
    gx, gy, sx, sy = rand(4, 16, 15)
    j = E.joint_cosine_energy(gx, gy, sx, sy, alpha=0.5)
    cg, cs = E.cosine(gx, gy), E.cosine(sx, sy)
    assert j.joint_cos == pytest.approx((cg + cs) / 2)
    assert j.value == pytest.approx(1 - (cg + cs) / 2)
    zx, zy = E.joint_embedding(gx, sx), E.joint_embedding(gy, sy)
    assert np.linalg.norm(zx) == pytest.approx(1, abs=1e-6)
    assert E.cosine_energy(zx, zy) == pytest.approx(j.value, abs=1e-6)
    j3 = E.joint_cosine_energy(gx, gy, sx, sy, alpha=0.25)
    assert j3.joint_cos == pytest.approx(0.25 * cg + 0.75 * cs)


def test_batched_forms_equal_the_loop():
    rng = np.random.default_rng(16)
    H = rand(12, 50, 17)
    Ks = [rand(int(n), 50, 100 + c)
          for c, n in enumerate(rng.integers(0, 17, 40))]  # fmt: skip
    soft = E.softmax_pairwise_energy_batch(H, Ks, tau=0.5, chunk=7)
    mean = E.mean_pairwise_energy_batch(H, Ks)
    for c, K in enumerate(Ks):
        assert soft[c] == pytest.approx(
            E.softmax_pairwise_energy(H, K, 0.5).value, abs=1e-6
        )
        assert mean[c] == pytest.approx(
            E.mean_pairwise_energy(H, K).value, abs=1e-6
        )
    G, S = rand(40, 50, 18), rand(40, 20, 19)
    joint = E.joint_cosine_energy_batch(H[0], G, H[1, :20], S, alpha=0.3)
    for c in range(40):
        assert joint[c] == pytest.approx(
            E.joint_cosine_energy(H[0], G[c], H[1, :20], S[c], 0.3).value,
            abs=1e-6,
        )


@pytest.mark.parametrize("tau", [0, -1, np.nan, np.inf])
def test_bad_temperature_is_a_clear_error(tau):
    with pytest.raises(ValueError, match="temperature"):
        E.softmax_pairwise_energy(rand(2), rand(2), tau=tau)
    with pytest.raises(ValueError, match="temperature"):
        E.softmax_pairwise_energy_batch(rand(2), [rand(2)], tau=tau)


def test_bad_inputs_are_clear_errors():
    with pytest.raises(ValueError, match="dimension 8 but the other"):
        E.softmax_pairwise_energy(rand(2, 4), rand(2, 8))
    bad = rand(3)
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match="row 1 holds NaN"):
        E.mean_pairwise_energy(bad, rand(2))
    with pytest.raises(ValueError, match="must be a \\[rows, d\\]"):
        E.softmax_pairwise_energy(rand(2)[0], rand(2))
    with pytest.raises(ValueError, match="alpha"):
        E.joint_cosine_energy(*rand(4), alpha=1.5)
    with pytest.raises(ValueError, match="top_k"):
        E.softmax_pairwise_energy(rand(2), rand(2), top_k=-1)


def test_long_texts_are_bounded(monkeypatch):
    words = rand(3000, 50, 20)
    rng = np.random.default_rng(21)
    long_text = words[rng.integers(0, 3000, 100_000)]  # 100 000 tokens
    r = E.softmax_pairwise_energy(long_text, words[:11])
    assert np.isfinite(r.value) and len(r.top) == 20
    assert r.phi is None  # no 1.1M-pair matrix kept
    monkeypatch.setattr(E, "MAX_DISTINCT_PAIRS", 1000)
    with pytest.raises(ValueError, match="too many distinct token pairs"):
        E.softmax_pairwise_energy(long_text, words[:11])


finite = st.floats(-10, 10, allow_nan=False, width=32)


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float32, st.tuples(st.integers(1, 6), st.just(5)),
           elements=finite),
    arrays(np.float32, st.tuples(st.integers(1, 6), st.just(5)),
           elements=finite),
    st.floats(0.05, 20),
)  # fmt: skip
def test_softmax_energy_lies_between_minus_max_and_minus_min(H, K, tau):
    r = E.softmax_pairwise_energy(H, K, tau)
    phi = E.unit_rows(H) @ E.unit_rows(K).T
    assert -phi.max() - 1e-5 <= r.value <= -phi.min() + 1e-5
    assert np.isfinite(r.value)
    m = E.mean_pairwise_energy(H, K)
    assert 0 - 1e-5 <= m.value <= 2 + 1e-5
