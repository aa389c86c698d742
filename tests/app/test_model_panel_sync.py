"""The pure parts of the builder <-> formula sync: what the controls report, and telling a push's echo
from a user's change."""

from __future__ import annotations

import pandas as pd
from explorer.formula_builder import BuilderState, RandomSlot, state_from_formula
from explorer.panels.model_panel import Choices, _in_choice_order, control_values, is_echo, representable

FRAME = pd.DataFrame({"Temp": [0.1, 0.2], "N": [1.0, 2.0], "Site": ["a", "b"], "Biomass": [1.0, 2.0]})


def test_state_is_spelled_as_the_controls_report_it():
    typed = state_from_formula("Biomass ~ N + Temp + N:Temp + (1 + N + Temp | Site)")
    shown = _in_choice_order(typed, Choices.of(FRAME))
    assert shown.fixed == ("Temp", "N")  # checkbox order = column order
    assert shown.interactions == ("Temp:N",)  # the label of the checkbox that exists
    assert shown.random == (RandomSlot("Site", "correlated", ("Temp", "N")),)


def test_control_values_cover_every_control():
    values = control_values(BuilderState("Biomass", ("Temp",), (), (RandomSlot("Site"),)))
    assert values["fixed"] == ("Temp",) and values["re1_group"] == "Site" and values["re2_group"] == ""
    assert len(values) == 3 + 3 * 4


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
    # Temp is a float column: the grouping select does not offer it, so pushing this state would leave
    # that select empty and its echo would write the model without (1 | Temp).
    choices = Choices.of(FRAME)
    assert representable("Biomass ~ Temp + N + (1 | Site) + (1 | Temp)", choices) is None
    assert representable("Temp ~ N + (1 | Biomass)", choices) is None
    assert representable("Site ~ N + (1 | Site)", choices) is None  # a text response
    assert representable("Biomass ~ Temp + N + (1 | Site)", choices) == state_from_formula(
        "Biomass ~ Temp + N + (1 | Site)"
    )
