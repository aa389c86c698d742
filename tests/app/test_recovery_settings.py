"""The Recovery panel's inputs validated as issue 7 bounds them, whatever a forged message sends, and the
simulation parameters read from the data's key."""

from __future__ import annotations

import pytest
from explorer import datasets, engine
from explorer.inputs import InputError
from explorer.study_jobs import RecoveryRequest, recovery_job
from explorer.study_settings import MAX_NREP, recovery_settings, simulation_parameters


def test_valid_settings_come_back_typed():
    settings = recovery_settings("simulation", "200", 7.0, "0.9")
    assert (settings.truth, settings.nrep, settings.seed, settings.level) == ("simulation", 200, 7, 0.9)
    assert recovery_settings("fitted", MAX_NREP, 2**32 - 1, 0.998).nrep == 1000


@pytest.mark.parametrize(
    ("truth", "nrep", "seed", "level", "message"),
    [
        ("fitted", 0, 1, 0.95, "Replicates (K) must be between 1 and 1000"),
        ("fitted", 1001, 1, 0.95, "Replicates (K) must be between 1 and 1000"),
        ("fitted", 10**400, 1, 0.95, "Replicates (K)"),
        ("fitted", 2.5, 1, 0.95, "Replicates (K) must be a whole number"),
        ("fitted", [200], 1, 0.95, "Replicates (K) must be a number"),
        ("fitted", {"a": 1}, 1, 0.95, "Replicates (K) must be a number"),
        ("fitted", None, 1, 0.95, "Enter a value for Replicates (K)"),
        ("fitted", 200, -1, 0.95, "Seed"),
        ("fitted", 200, 2**32, 0.95, "Seed"),
        ("fitted", 200, 1, 0.5, "Confidence level must be greater than 0.5"),
        ("fitted", 200, 1, 0.999, "less than 0.999"),
        ("fitted", 200, 1, "nan", "Confidence level"),
        ("truth", 200, 1, 0.95, "Unknown Truth"),
        (["fitted"], 200, 1, 0.95, "Truth must be one name"),
    ],
)
def test_bad_values_name_the_input(truth, nrep, seed, level, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        recovery_settings(truth, nrep, seed, level)


def test_simulation_parameters_are_the_datas_without_its_seed():
    params = {**engine.simulation_defaults(), "n_sites": 12, "temp_effect": 0.7, "seed": 99}
    key = datasets.simulated(params).key
    found = dict(simulation_parameters(key))
    assert "seed" not in found and found["n_sites"] == 12 and found["temp_effect"] == 0.7
    assert simulation_parameters(datasets.example("sleepstudy").key) is None
    assert simulation_parameters(()) is None


def test_a_study_runs_from_the_simulated_datas_parameters():
    """The truth of a recovery from a Simulate draw is the parameters the user set (here a Temp effect of
    0.7 on 12 sites), whatever the draw's own seed."""
    params = {**engine.simulation_defaults(), "n_sites": 12, "temp_effect": 0.7, "seed": 99}
    found = simulation_parameters(datasets.simulated(params).key)
    result = recovery_job(RecoveryRequest("simulation", engine.DEFAULT_FORMULA, True, "", found, 4, 1, 0.95))
    assert result.table.loc["Temp", "truth"] == 0.7 and len(result.estimates) == 4
