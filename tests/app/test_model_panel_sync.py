"""The pure parts of the builder <-> formula sync: what each control offers, what the controls report, and
telling a push's echo from a user's change."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from explorer import engine
from explorer.datasets import example
from explorer.formula_builder import BuilderState, RandomSlot, state_from_formula
from explorer.inputs import InputError
from explorer.panels.builder_choices import MAX_BUILDER_COLUMNS, Choices
from explorer.panels.model_panel import (
    TypedFormula,
    _in_choice_order,
    control_value,
    control_values,
    formula_for,
    is_echo,
    level_problem,
    representable,
)

FRAME = pd.DataFrame(
    {
        "Temp": np.linspace(0.1, 0.9, 8),
        "N": np.linspace(1.0, 2.0, 8),
        "Site": list("aabbccdd"),
        "Diet": [1, 1, 2, 2, 3, 3, 1, 2],
        "Biomass": np.arange(8.0),
    }
)


def test_each_role_offers_only_the_columns_that_fit_it():
    choices = Choices.of(FRAME)
    assert choices.responses == ["Temp", "N", "Diet", "Biomass"]
    assert choices.predictors("Biomass") == ["Temp", "N", "Site", "Diet"]
    assert choices.grouping("Biomass") == ["Site", "Diet"]  # a factor and a code; never a covariate
    assert choices.grouping("Diet") == ["Site"]  # never the response
    assert choices.slopes("Biomass", "Site") == ["Temp", "N"]  # covariates, not the code or the response
    assert choices.inner("Biomass", "Site") == ["Diet"]


@pytest.mark.parametrize("name", ["sleepstudy", "Dyestuff", "Penicillin", "Pastes", "biomass", "InstEval"])
def test_the_response_is_never_offered_as_grouping_factor_or_predictor(name):
    choices = Choices.of_data(example(name))
    for response in choices.responses:
        assert response not in choices.grouping(response)
        assert response not in choices.predictors(response)
        for group in choices.grouping(response):
            assert response not in choices.slopes(response, group) + choices.inner(response, group)


def test_wide_data_offer_the_first_columns_only():
    wide = pd.DataFrame(np.zeros((3, 2 * MAX_BUILDER_COLUMNS)), columns=[f"x{i}" for i in range(1000)])
    choices = Choices.of(wide)
    assert len(choices.columns) == MAX_BUILDER_COLUMNS and choices.total == 1000 and choices.capped


def test_state_is_spelled_as_the_controls_report_it():
    typed = state_from_formula("Biomass ~ N + Temp + N:Temp + (1 + N + Temp | Site)")
    shown = _in_choice_order(typed, Choices.of(FRAME))
    assert shown.fixed == ("Temp", "N")  # choice order = column order
    assert shown.interactions == ("Temp:N",)  # the label of the option that exists
    assert shown.random == (RandomSlot("Site", "correlated", ("Temp", "N")),)


def test_control_values_cover_every_control_in_one_spelling():
    values = control_values(BuilderState("Biomass", ("Temp", "N"), (), (RandomSlot("Site"),)))
    assert values["fixed"] == ("N", "Temp") and values["re1_group"] == "Site" and values["re2_group"] == ""
    assert len(values) == 3 + 3 * 4
    assert control_value(["Temp", "N"], "fixed") == values["fixed"]  # selectize reports the order of clicks


@pytest.mark.parametrize(
    ("cid", "forged"),
    [
        ("fixed", {"a": 1}),
        ("fixed", [1, 2]),
        ("response", ["Temp"]),
        ("re1_struct", "drop table"),
        ("re1_group", 7),
    ],
)
def test_forged_control_values_raise_input_errors_naming_the_control(cid, forged):
    with pytest.raises(InputError):
        control_value(forged, cid)


def test_a_mix_of_old_and_pushed_values_is_an_echo_and_anything_else_is_a_user():
    before = control_values(
        BuilderState("Biomass", ("Temp", "N"), (), (RandomSlot("Site", "correlated", ("Temp",)),))
    )
    after = control_values(BuilderState("Biomass", ("N",), (), (RandomSlot("Site"),)))
    half_arrived = before | {"fixed": after["fixed"]}
    assert is_echo(half_arrived, before, after)
    assert is_echo(after, before, after)
    user = after | {"re1_struct": "uncorrelated"}
    assert not is_echo(user, before, after)


def test_a_formula_the_controls_cannot_show_is_never_pushed_to_them():
    # Temp is a covariate: the grouping select does not offer it, so pushing this state would leave that
    # select empty and its echo would write the model without (1 | Temp).
    choices = Choices.of(FRAME)
    assert representable("Biomass ~ Temp + N + (1 | Site) + (1 | Temp)", choices) is None
    assert representable("Temp ~ N + (1 | Biomass)", choices) is None
    assert representable("Site ~ N + (1 | Site)", choices) is None  # a text response
    assert representable("Biomass ~ Temp + (1 + Diet | Site)", choices) is None  # a code as a slope
    assert representable("Biomass ~ Temp + N + (1 | Site)", choices) == state_from_formula(
        "Biomass ~ Temp + N + (1 | Site)"
    )


def test_a_typed_formula_survives_new_data_that_have_its_columns():
    old = example("biomass")
    new = example("sleepstudy")
    typed = TypedFormula("Biomass ~ N + (1 | Site)", old.key, old.suggested_formula)
    assert formula_for(typed, new) == new.suggested_formula  # its columns are not in sleepstudy
    same_columns = example("biomass")
    assert formula_for(TypedFormula("Biomass ~ N + (1 | Site)", ("other",), "x"), same_columns) == (
        "Biomass ~ N + (1 | Site)"
    )
    untouched = TypedFormula(old.suggested_formula, old.key, old.suggested_formula)
    assert formula_for(untouched, new) == new.suggested_formula


def test_too_many_levels_for_a_fixed_effect_get_a_message():
    data = example("InstEval")
    assert "too many for a fixed effect" in level_problem("y ~ d + (1 | s)", data)
    assert "(1 | d)" in level_problem("y ~ factor(d) + (1 | s)", data)
    assert level_problem(engine.describe_example("InstEval").formula, data) is None


def test_a_grouping_factor_of_too_many_levels_gets_a_message():
    n = 200_002
    frame = pd.DataFrame({"y": np.arange(n, dtype=float), "id": [f"u{i // 2}" for i in range(n)]})
    from explorer.datasets import Dataset
    from explorer.upload.column_types import describe_columns

    data = Dataset(frame, ("test",), "big", "", describe_columns(frame))
    assert "more than the 100,000 a grouping factor" in level_problem("y ~ 1 + (1 | id)", data)
    assert "id" not in Choices.of_data(data).groups  # never offered by the builder


def test_a_date_is_a_slope_covariate_never_a_grouping_factor():
    from explorer.upload.column_types import describe_columns

    frame = FRAME.assign(when=["2024-01-0" + str(d) for d in (1, 2, 1, 2, 1, 2, 1, 2)])
    columns = describe_columns(frame)
    choices = Choices.from_columns(columns, {c.name: c.read_as for c in columns}, len(frame))
    assert "when" in choices.slopes("Biomass", "Site")
    assert "when" not in choices.grouping("Biomass") and "when" not in choices.responses
