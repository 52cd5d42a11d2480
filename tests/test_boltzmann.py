"""Identities of the Boltzmann view p(y|x) = exp(-E/tau) / Z."""

from __future__ import annotations

import numpy as np
import pytest

from jepa_helpers.boltzmann import boltzmann, log_partition

E = np.array([0.2, 0.5, 0.1, 0.9])


def test_sums_to_one_and_orders_by_energy():
    p = boltzmann(E, 0.3)
    assert np.isclose(p.sum(), 1.0)
    assert list(np.argsort(-p)) == list(np.argsort(E))


def test_equals_the_definition():
    tau = 0.7
    q = np.exp(-E / tau)
    assert np.allclose(boltzmann(E, tau), q / q.sum())
    assert np.isclose(log_partition(E, tau), np.log(q.sum()))


def test_shifting_every_energy_changes_nothing():
    assert np.allclose(boltzmann(E, 0.2), boltzmann(E + 123.0, 0.2))


def test_small_tau_is_the_argmin_large_tau_uniform():
    assert np.allclose(boltzmann(E, 1e-4), np.eye(4)[2])
    assert np.allclose(boltzmann(E, 1e6), np.full(4, 0.25))


def test_stable_for_large_energies_over_small_tau():
    p = boltzmann(np.array([1000.0, 1001.0]), 0.01)
    assert np.all(np.isfinite(p)) and np.isclose(p[0], 1.0)


@pytest.mark.parametrize(
    "energies, tau, message",
    [
        (np.array([]), 1.0, "non-empty"),
        (np.ones((2, 2)), 1.0, "non-empty"),
        (np.array([0.1, np.nan]), 1.0, r"energies\[1\]"),
        (E, 0.0, "tau"),
        (E, -1.0, "tau"),
        (E, np.inf, "tau"),
    ],
)
def test_bad_input_is_named(energies, tau, message):
    with pytest.raises(ValueError, match=message):
        boltzmann(energies, tau)
