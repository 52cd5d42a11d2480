"""The tiny JEPA: gradients by finite differences, Adam, collapse, cures.

The data tests train on the project's own ``data/training_pairs.tsv``
with GloVe mean vectors (fast; no sentence encoder needed).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from jepa_helpers import train_losses as L
from jepa_helpers.train import (
    Adam,
    Objective,
    TinyJEPA,
    TrainedEnergy,
    diagnose,
    fit,
    ranking_accuracy,
)
from jepa_helpers.training_pairs import (
    PairFileError,
    SortedBatch,
    Whitener,
    load_pairs,
    prepare_split,
    sentence_features,
    split_pairs,
    training_encoder,
)

EPS = 1e-6


def numeric_grad(f, A: np.ndarray) -> np.ndarray:
    """Central differences of the scalar ``f()`` w.r.t. ``A`` (in place)."""
    G = np.zeros_like(A)
    for idx in np.ndindex(A.shape):
        old = A[idx]
        A[idx] = old + EPS
        up = f()
        A[idx] = old - EPS
        down = f()
        A[idx] = old
        G[idx] = (up - down) / (2 * EPS)
    return G


def assert_grad(analytic: np.ndarray, numeric: np.ndarray) -> None:
    scale = max(1.0, float(np.abs(numeric).max()))
    np.testing.assert_allclose(analytic, numeric, atol=1e-6 * scale)


@pytest.fixture
def batch():
    rng = np.random.default_rng(7)
    return rng.normal(size=(6, 4)), rng.normal(size=(6, 4))


# ------------------------------------------------------ loss gradients


def test_prediction_cost_gradient(batch):
    P, Z = batch
    value, dP, dZ = L.prediction_cost(P, Z)
    assert value == pytest.approx(np.mean(np.sum((P - Z) ** 2, axis=1)))
    assert_grad(dP, numeric_grad(lambda: L.prediction_cost(P, Z)[0], P))
    assert_grad(dZ, numeric_grad(lambda: L.prediction_cost(P, Z)[0], Z))


@pytest.mark.parametrize("gamma", [0.5, 5.0])
def test_variance_hinge_gradient(batch, gamma):
    _, Z = batch
    value, dZ = L.variance_hinge(Z, gamma)
    num = numeric_grad(lambda: L.variance_hinge(Z, gamma)[0], Z)
    assert_grad(dZ, num)
    if gamma == 5.0:  # every dimension below the margin: all active
        assert value > 0 and np.all(np.abs(dZ).sum(axis=0) > 0)


def test_variance_hinge_is_zero_above_margin():
    Z = np.random.default_rng(0).normal(size=(50, 3)) * 10
    value, dZ = L.variance_hinge(Z, gamma=1.0)
    assert value == 0.0 and not dZ.any()


def test_variance_hinge_of_constant_is_the_margin():
    value, _ = L.variance_hinge(np.ones((8, 3)), gamma=1.0, eps=1e-4)
    assert value == pytest.approx(1.0 - np.sqrt(1e-4))


def test_covariance_penalty_gradient(batch):
    _, Z = batch
    value, dZ = L.covariance_penalty(Z)
    C = np.cov(Z, rowvar=False)
    off = C - np.diag(np.diag(C))
    assert value == pytest.approx(np.sum(off**2) / Z.shape[1])
    assert_grad(dZ, numeric_grad(lambda: L.covariance_penalty(Z)[0], Z))


def test_covariance_penalty_is_zero_for_decorrelated_dims():
    Z = np.array([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]])
    assert L.covariance_penalty(Z)[0] == pytest.approx(0.0)


@pytest.mark.parametrize("tau", [0.5, 3.0])
def test_info_nce_gradient(batch, tau):
    P, Z = batch
    _, dP, dZ = L.info_nce(P, Z, tau)
    assert_grad(dP, numeric_grad(lambda: L.info_nce(P, Z, tau)[0], P))
    assert_grad(dZ, numeric_grad(lambda: L.info_nce(P, Z, tau)[0], Z))


def test_info_nce_matches_a_loop_and_is_log_b_when_collapsed(batch):
    P, Z = batch
    tau = 2.0
    rows = []
    for i in range(len(P)):
        logits = -np.sum((P[i] - Z) ** 2, axis=1) / tau
        rows.append(np.log(np.sum(np.exp(logits))) - logits[i])
    assert L.info_nce(P, Z, tau)[0] == pytest.approx(np.mean(rows))
    const = np.ones_like(P)
    assert L.info_nce(const, const, tau)[0] == pytest.approx(np.log(len(P)))


@pytest.mark.parametrize("kind", ["prediction", "vicreg", "infonce"])
def test_objective_gradient_and_parts(batch, kind):
    P, Z = batch
    obj = Objective(kind, std_weight=2.0, cov_weight=0.5, gamma=3.0, tau=2.0)
    parts, dP, dZ = L.objective(P, Z, obj)
    assert_grad(dP, numeric_grad(lambda: L.objective(P, Z, obj)[0].total, P))
    assert_grad(dZ, numeric_grad(lambda: L.objective(P, Z, obj)[0].total, Z))
    expected = {
        "prediction": {"pred"},
        "vicreg": {"pred", "std", "cov"},
        "infonce": {"pred", "infonce"},
    }[kind]
    assert set(parts.parts) == expected
    if kind == "vicreg":
        p = parts.parts
        total = p["pred"] + 2.0 * p["std"] + 0.5 * p["cov"]
        assert parts.total == pytest.approx(total)


# ----------------------------------------------------- model gradients


@pytest.mark.parametrize("hidden", [0, 5])
@pytest.mark.parametrize("head", [True, False])
@pytest.mark.parametrize("kind", ["prediction", "vicreg", "infonce"])
def test_model_gradients(hidden, head, kind):
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(7, 4)), rng.normal(size=(7, 3))
    model = TinyJEPA.create(4, 3, dim=3, hidden=hidden, head=head, seed=1)
    obj = Objective(kind, gamma=2.0, tau=2.0)
    _, grads = model.loss_and_grads(X, Y, obj)
    assert set(grads) == set(model.params)
    for name, theta in model.params.items():
        num = numeric_grad(
            lambda: model.loss_and_grads(X, Y, obj)[0].total, theta
        )
        assert_grad(grads[name], num)


def test_energy_matrix_agrees_with_paired_energy():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(5, 4)), rng.normal(size=(5, 6))
    model = TinyJEPA.create(4, 6, dim=3, hidden=4, seed=0)
    E = model.energy_matrix(X, Y)
    np.testing.assert_allclose(np.diag(E), model.energy(X, Y), rtol=1e-10)
    assert E.shape == (5, 5) and np.all(E >= 0)


def test_model_rejects_wrong_shapes():
    model = TinyJEPA.create(4, 3, dim=2)
    with pytest.raises(ValueError, match=r"X must be \[n, 4\]"):
        model.predict(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="NaN"):
        model.embed_target(np.full((2, 3), np.nan))


# ---------------------------------------------------------------- Adam


def test_adam_minimises_a_quadratic():
    A = np.diag([1.0, 10.0, 100.0])
    target = np.array([1.0, -2.0, 3.0])
    params = {"w": np.zeros(3)}
    opt = Adam(params, lr=0.05)
    for _ in range(2000):
        opt.step({"w": A @ (params["w"] - target)})
    np.testing.assert_allclose(params["w"], target, atol=1e-3)


def test_adam_first_step_is_lr_times_sign():
    params = {"w": np.array([1.0, 1.0, 1.0])}
    Adam(params, lr=0.1).step({"w": np.array([3.0, -1e-3, 0.0])})
    np.testing.assert_allclose(params["w"], [0.9, 1.1, 1.0], atol=1e-4)


def test_adam_matches_the_textbook_recursion():
    rng = np.random.default_rng(0)
    grads = rng.normal(size=(5, 2))
    params = {"pred.W": np.ones(2)}
    opt = Adam(params, lr=0.01, betas=(0.8, 0.9), weight_decay=0.1)
    theta, m, v = np.ones(2), np.zeros(2), np.zeros(2)
    for t, g in enumerate(grads, start=1):
        opt.step({"pred.W": g})
        m = 0.8 * m + 0.2 * g
        v = 0.9 * v + 0.1 * g * g
        step = (m / (1 - 0.8**t)) / (np.sqrt(v / (1 - 0.9**t)) + 1e-8)
        theta = theta - 0.01 * (step + 0.1 * theta)
    np.testing.assert_allclose(params["pred.W"], theta, rtol=1e-12)


def test_adam_does_not_decay_biases():
    params = {"pred.b": np.ones(2), "head.V": np.ones(2)}
    opt = Adam(params, lr=0.1, weight_decay=0.5)
    opt.step({"pred.b": np.zeros(2), "head.V": np.zeros(2)})
    np.testing.assert_allclose(params["pred.b"], 1.0)
    np.testing.assert_allclose(params["head.V"], 0.95)


def test_adam_names_a_missing_gradient():
    opt = Adam({"pred.W": np.ones(2)})
    with pytest.raises(KeyError, match="pred.W"):
        opt.step({})


# --------------------------------------------------------- diagnostics


def test_ranking_accuracy():
    assert ranking_accuracy(np.array([[0.0, 1.0], [1.0, 0.0]])) == 1.0
    assert ranking_accuracy(np.array([[1.0, 0.0], [0.0, 1.0]])) == 0.0
    assert ranking_accuracy(np.ones((4, 4))) == pytest.approx(0.25)
    with pytest.raises(ValueError, match="square"):
        ranking_accuracy(np.ones((2, 3)))


def test_diagnose_spectrum_is_the_covariance_eigenvalues():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(30, 4)), rng.normal(size=(30, 4))
    model = TinyJEPA.create(4, 4, dim=3, seed=0)
    d = diagnose(model, X, Y)
    Z = model.embed_target(Y)
    C = np.cov(Z, rowvar=False)
    np.testing.assert_allclose(d.spectrum.sum(), np.trace(C))
    np.testing.assert_allclose(d.std, np.sqrt(np.diag(C)))
    assert np.all(np.diff(d.spectrum) <= 1e-12) and d.chance == 1 / 30
    assert 1.0 <= d.effective_rank <= 3.0


# -------------------------------------------------------------- data


def test_project_pairs_load():
    pairs = load_pairs()
    assert len(pairs) >= 300
    assert len({p.id for p in pairs}) == len(pairs)
    assert {p.kind for p in pairs} == {"continuation", "paraphrase"}
    # data/README.md: 30 topics, 12 pairs each, 9 continuations
    topics = {p.topic for p in pairs}
    assert len(topics) == 30 and len(pairs) == 360
    for topic in topics:
        kinds = [p.kind for p in pairs if p.topic == topic]
        assert kinds.count("continuation") == 9, topic
        assert kinds.count("paraphrase") == 3, topic


@pytest.mark.parametrize(
    "body, message",
    [
        ("id\ttopic\tkind\tcontext\n", r"bad\.tsv:1: header"),
        (
            "id\ttopic\tkind\tcontext\tcandidate\na\tt\tparaphrase\tx\n",
            r"bad\.tsv:2: expected 5",
        ),
        (
            "id\ttopic\tkind\tcontext\tcandidate\na\tt\tfriend\tx\ty\n",
            r"bad\.tsv:2: kind",
        ),
        (
            "id\ttopic\tkind\tcontext\tcandidate\na\tt\tparaphrase\t \ty\n",
            r"bad\.tsv:2: empty field\(s\) \['context'\]",
        ),
        (
            "id\ttopic\tkind\tcontext\tcandidate\n"
            "a\tt\tparaphrase\tx\ty\na\tt\tparaphrase\tx\ty\n",
            r"bad\.tsv:3: duplicate id 'a'",
        ),
    ],
)
def test_load_pairs_names_file_and_line(tmp_path, body, message):
    path = tmp_path / "bad.tsv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(PairFileError, match=message):
        load_pairs(path)


def test_split_is_seeded_and_disjoint():
    pairs = load_pairs()
    a_train, a_held = split_pairs(pairs, 0.25, seed=3)
    b_train, b_held = split_pairs(pairs, 0.25, seed=3)
    assert a_held == b_held and a_train == b_train
    ids = {p.id for p in a_held}
    assert not ids & {p.id for p in a_train}
    assert len(ids) == round(0.25 * len(pairs))
    assert split_pairs(pairs, 0.25, seed=4)[1] != a_held


def test_whitener_whitens_the_training_rows():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(200, 6)) @ rng.normal(size=(6, 6))
    w = Whitener.fit(A, 4)
    np.testing.assert_allclose(
        np.cov(w(A), rowvar=False), np.eye(4), atol=1e-10
    )
    with pytest.raises(ValueError, match="dim must lie"):
        Whitener.fit(A, 7)


# ------------------------------------------- training on project data


@pytest.fixture(scope="module")
def split(glove):
    return prepare_split(
        load_pairs(), lambda t: sentence_features(t, glove=glove), dim=32
    )


def train(split, kind, hidden=0, epochs=60, seed=0):
    model = TinyJEPA.create(32, 32, dim=16, hidden=hidden, seed=seed)
    held = (split.X_held, split.Y_held)
    return fit(model, (split.X, split.Y), held, Objective(kind), epochs)


@pytest.mark.parametrize("hidden", [0, 32])
def test_prediction_cost_alone_collapses(split, hidden):
    result = train(split, "prediction", hidden, epochs=100)
    start, end = result.history[0].diagnostics, result.final
    assert start.std.min() > 0.3
    assert end.std.max() < 0.05 * start.std.min()
    assert end.energy_std < 0.01 * start.energy_std
    assert result.curve("pred")[-1] < 0.01 * result.curve("pred")[0]


@pytest.mark.parametrize("kind", ["vicreg", "infonce"])
def test_the_cures_prevent_collapse(split, kind):
    result = train(split, kind)
    assert result.final.std.min() > 0.5  # the margin gamma is 1
    assert result.final.effective_rank > 8  # of 16 dimensions
    collapsed = train(split, "prediction")
    assert result.final.energy_std > 100 * collapsed.final.energy_std


@pytest.mark.parametrize("kind", ["vicreg", "infonce"])
def test_held_out_ranking_beats_the_untrained_model(split, kind):
    result = train(split, kind)
    untrained = result.history[0].diagnostics.accuracy
    assert result.final.accuracy > untrained + 0.05
    assert result.final.accuracy > 5 * result.final.chance


def test_frozen_target_predictor_learns_and_cannot_collapse(split):
    model = TinyJEPA.create(32, 32, head=False, seed=0)
    held = (split.X_held, split.Y_held)
    result = fit(model, (split.X, split.Y), held, Objective(), 40)
    np.testing.assert_allclose(result.final.std, split.Y_held.std(0, ddof=1))
    assert result.final.accuracy > result.history[0].diagnostics.accuracy
    assert result.curve("pred")[-1] < result.curve("pred")[0]


def test_training_is_deterministic(split):
    a, b = train(split, "vicreg", 8, 5), train(split, "vicreg", 8, 5)
    for name in a.model.params:
        np.testing.assert_array_equal(
            a.model.params[name], b.model.params[name]
        )
    np.testing.assert_array_equal(a.curve("total"), b.curve("total"))
    c = train(split, "vicreg", 8, 5, seed=1)
    assert not np.array_equal(a.curve("total"), c.curve("total"))


def test_fit_leaves_the_initial_model_untouched(split):
    model = TinyJEPA.create(32, 32, dim=16, seed=0)
    before = {n: a.copy() for n, a in model.params.items()}
    fit(model, (split.X, split.Y), (split.X_held, split.Y_held), epochs=2)
    for name, array in before.items():
        np.testing.assert_array_equal(model.params[name], array)


def test_curve_names_the_known_curves(split):
    result = train(split, "infonce", epochs=1)
    assert result.curve("infonce").shape == (2,)
    with pytest.raises(KeyError, match="accuracy"):
        result.curve("nope")


def test_trained_energy_ranks_texts_like_the_model(split, glove):
    result = train(split, "infonce")

    def featurise(texts):
        return sentence_features(texts, glove=glove)

    energy = TrainedEnergy(result.model, featurise, split.whitener)
    pairs = split.held[:5]
    Es = energy.energies(pairs[0].context, [p.candidate for p in pairs])
    X = split.whitener(featurise([pairs[0].context]))
    Y = split.whitener(featurise([p.candidate for p in pairs]))
    np.testing.assert_allclose(Es, result.model.energy_matrix(X, Y)[0])
    ranked = energy.rank(pairs[0].context, [p.candidate for p in pairs])
    got = [r["energy"] for r in ranked["ranking"]]
    assert got == sorted(got)
    one = energy.score(pairs[0].context, pairs[0].candidate)
    assert one["energy"] == pytest.approx(Es[0])
    with pytest.raises(ValueError, match="candidates"):
        energy.energies("a context", [""])


def test_trained_energy_is_a_tool_the_agent_loop_can_call(split, glove):
    from jepa_helpers import tools
    from jepa_helpers.agent import build_prompt, run_agent
    from jepa_helpers.client import make_client
    from jepa_helpers.train_tool import trained_energy_tool

    result = train(split, "infonce")
    energy = TrainedEnergy(
        result.model,
        lambda t: sentence_features(t, glove=glove),
        split.whitener,
    )
    tool = trained_energy_tool(energy)
    schema = tool.schema()
    assert schema["strict"] is True
    assert schema["parameters"]["required"] == ["context", "candidates"]
    pair, other = split.held[0], split.held[1]
    args = {"context": pair.context, "candidates": [other.candidate]}
    payload = tools.call_tool(tool.name, json.dumps(args), {tool.name: tool})
    assert payload == energy.rank(pair.context, [other.candidate])
    bad = tools.call_tool(tool.name, '{"context": "x"}', {tool.name: tool})
    assert bad["error"]["type"] == "invalid_arguments"

    client = make_client("offline")
    prompt = build_prompt(pair.context, [pair.candidate, other.candidate])
    transcript = run_agent(client, prompt, tools={tool.name: tool})
    calls = transcript.tool_calls
    assert [c.name for c in calls] == [tool.name]
    ranked = energy.rank(pair.context, [pair.candidate, other.candidate])
    assert calls[0].result == json.loads(json.dumps(ranked))
    assert transcript.stop_reason == "answered"


class BatchDependentEncoder:
    """Each vector drifts with its batch-mates, like float32 BLAS."""

    name, dim = "fake", 3

    def encode(self, texts):
        base = np.array([[len(t), 1.0, 0.0] for t in texts], dtype=np.float32)
        return base + 1e-3 * len(texts[0])


def test_sorted_batch_depends_on_the_set_not_the_order():
    wrapped = SortedBatch(BatchDependentEncoder())
    texts = ["bb", "a", "ccc", "a"]
    forward = wrapped.encode(texts)
    backward = wrapped.encode(texts[::-1])[::-1]
    np.testing.assert_array_equal(forward, backward)
    np.testing.assert_array_equal(forward[1], forward[3])
    np.testing.assert_allclose(forward[:, 0], [2, 1, 3, 1], atol=1e-2)
    assert wrapped.name != BatchDependentEncoder.name
    raw = BatchDependentEncoder()
    assert not np.array_equal(raw.encode(texts), raw.encode(texts[::-1])[::-1])
    assert wrapped.encode([]).shape == (0, 3)


def test_training_encoder_offline_is_cached_and_sorted(cache):
    encoder = training_encoder("offline")
    assert isinstance(encoder.encoder, SortedBatch)
    assert encoder.name.endswith("/sorted-batch")
