"""Input validators: clean values pass through, every forged value gives an InputError naming the input."""

from __future__ import annotations

import numpy as np
import pytest
from explorer.inputs import InputError, choice, choices, flag, number, text

FORGED = [[1, 2], {"a": 1}, {"__proto__": 1}, True, "abc", float("nan"), float("inf"), b"1"]


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        (3, {}, 3.0),
        ("2.5", {}, 2.5),
        (np.float64(0.95), {"low": 0.5, "high": 0.999, "open_low": True, "open_high": True}, 0.95),
        (7.0, {"integer": True}, 7),
        (np.int64(10_000), {"low": 1, "high": 10_000, "integer": True}, 10_000),
        (2**32 - 1, {"low": 0, "high": 2**32 - 1, "integer": True}, 2**32 - 1),
    ],
)
def test_number_accepts_numbers_in_range(value, kwargs, expected):
    result = number(value, "Level", **kwargs)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize("value", FORGED)
def test_number_refuses_forged_values_naming_the_label(value):
    with pytest.raises(InputError, match="^Number of simulations must be"):
        number(value, "Number of simulations", low=1, high=10_000, integer=True)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "Number of simulations must be between 1 and 10000 (got 0)."),
        (10_001, "Number of simulations must be between 1 and 10000 (got 10001)."),
        (
            10**400,
            "Number of simulations must be between 1 and 10000 (got " + "1" + "0" * 36 + "...).",
        ),
        (2.5, "Number of simulations must be a whole number (got 2.5)."),
        (None, "Enter a value for Number of simulations."),
        ("  ", "Enter a value for Number of simulations."),
    ],
)
def test_number_messages_say_what_to_change(value, message):
    with pytest.raises(InputError) as caught:
        number(value, "Number of simulations", low=1, high=10_000, integer=True)
    assert str(caught.value) == message


def test_number_past_the_digit_limit_of_str_is_refused_with_a_message():
    with pytest.raises(InputError, match=r"^Seed must be at most 9 \(got a number too large to show\)\.$"):
        number(10**5000, "Seed", integer=True, high=9)


def test_open_bounds_exclude_the_end_points():
    kwargs = {"low": 0.5, "high": 0.999, "open_low": True, "open_high": True}
    for end in (0.5, 0.999):
        with pytest.raises(InputError, match=r"Level must be greater than 0.5 and less than 0.999 \(got"):
            number(end, "Level", **kwargs)
    assert number(0.5000001, "Level", **kwargs) == 0.5000001


def test_one_sided_bound_message():
    with pytest.raises(InputError, match=r"^Residual SD must be greater than 0 \(got -1\)\.$"):
        number(-1, "Residual SD", low=0, open_low=True)
    with pytest.raises(InputError, match=r"^Seed must be at most 9 \(got 10\)\.$"):
        number(10, "Seed", high=9)


def test_huge_float_text_is_refused_not_overflowing():
    with pytest.raises(InputError, match="finite"):
        number("1e999", "Seed", integer=True)


def test_choice_accepts_known_names_only():
    assert choice("sleepstudy", "Example", ["sleepstudy", "Dyestuff"]) == "sleepstudy"
    with pytest.raises(InputError, match=r"^Unknown Example: ../../etc/passwd\. Choose one of: a, b\.$"):
        choice("../../etc/passwd", "Example", ["a", "b"])
    for forged in ([["a"]], [{"a": 1}], [None], [1]):
        with pytest.raises(InputError, match="^Example must be one name"):
            choice(forged[0], "Example", ["a", "b"])


def test_choice_message_lists_a_few_names_when_there_are_many():
    names = [f"c{i}" for i in range(10_000)]
    with pytest.raises(InputError) as caught:
        choice("zz", "Response", names)
    assert "c7, ..." in str(caught.value) and len(str(caught.value)) < 120


def test_choices_returns_a_tuple_without_repeats_in_order():
    allowed = ("Temp", "N", "Site")
    assert choices(["N", "Temp", "N"], "Fixed effects", allowed) == ("N", "Temp")
    assert choices(None, "Fixed effects", allowed) == ()
    assert choices([], "Fixed effects", allowed) == ()
    assert choices("N", "Fixed effects", allowed) == ("N",)
    with pytest.raises(InputError, match="^Unknown Fixed effects: Nope"):
        choices(["N", "Nope"], "Fixed effects", allowed)
    with pytest.raises(InputError, match="must be a list of names"):
        choices({"N": 1}, "Fixed effects", allowed)
    with pytest.raises(InputError, match=r"must be a list of names \(got \['N'\] in it\)"):
        choices([["N"]], "Fixed effects", allowed)


def test_flag_accepts_booleans_only():
    assert flag(True, "REML") is True and flag(False, "REML") is False
    for forged in (1, "true", None, [True]):
        with pytest.raises(InputError, match="^REML must be on or off"):
            flag(forged, "REML")


def test_text_bounds_length_and_type():
    assert text("y ~ x", "Formula") == "y ~ x"
    assert text(None, "Formula") == ""
    with pytest.raises(InputError, match="^Formula is too long: 2001 characters, at most 2000"):
        text("x" * 2001, "Formula")
    with pytest.raises(InputError, match=r"^Formula must be text \(got \['y'\]\)"):
        text(["y"], "Formula")
    assert text("ab", "Formula", max_len=2) == "ab"


def test_long_forged_values_are_cut_in_messages():
    with pytest.raises(InputError) as caught:
        number(list(range(100_000)), "Seed")
    assert len(str(caught.value)) < 100


def test_input_error_is_a_value_error():
    assert issubclass(InputError, ValueError)
