"""Hostile or odd inputs to ``lmmcore.fit``: an lmmcore error (an ``LmmError``) whose message says what to
change, never another exception; and odd-but-valid inputs that must fit like their plain equivalents."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import lmmcore
from lmmcore.errors import DataError, FitError, FormulaError, LmmError

N = 60


@pytest.fixture(scope="module")
def base() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    g = np.repeat([f"g{i}" for i in range(10)], 6)
    x = rng.normal(size=N)
    y = 1 + 0.5 * x + np.repeat(rng.normal(size=10), 6) + rng.normal(size=N)
    return pd.DataFrame({"y": y, "x": x, "g": g})


def _dates(n):
    return pd.date_range("2020-01-01", periods=n)


# (case, formula, change to the data, expected error, fragment of its message)
REFUSED = [
    ("empty rows", "y ~ x + (1 | g)", lambda d: d.iloc[:0], DataError, "empty"),
    ("no columns", "y ~ x + (1 | g)", lambda d: pd.DataFrame(), DataError, "empty"),
    ("one row", "y ~ x + (1 | g)", lambda d: d.iloc[:1], DataError, "only 1 row"),
    (
        "one complete row",
        "y ~ x + (1 | g)",
        lambda d: d.assign(y=np.r_[1.0, [np.nan] * (len(d) - 1)]),
        DataError,
        "only 1 row",
    ),
    ("response all NaN", "y ~ x + (1 | g)", lambda d: d.assign(y=np.nan), DataError, "no complete rows"),
    ("group all NaN", "y ~ x + (1 | g)", lambda d: d.assign(g=np.nan), DataError, "no complete rows"),
    ("group all None", "y ~ x + (1 | g)", lambda d: d.assign(g=None), DataError, "no complete rows"),
    ("unknown column", "y ~ q + (1 | g)", lambda d: d, FormulaError, "unknown column 'q'"),
    ("unknown group", "y ~ x + (1 | q)", lambda d: d, FormulaError, "unknown column 'q'"),
    ("unclosed backquote", "`my y ~ x + (1 | g)", lambda d: d, FormulaError, "not closed"),
    (
        "one level per observation",
        "y ~ x + (1 | id)",
        lambda d: d.assign(id=[f"i{i}" for i in range(len(d))]),
        FitError,
        "number of levels",
    ),
    (
        "infinite covariate",
        "y ~ x + (1 | g)",
        lambda d: d.assign(x=np.r_[np.inf, d.x[1:]]),
        DataError,
        "infinite",
    ),
    (
        "infinite response",
        "y ~ x + (1 | g)",
        lambda d: d.assign(y=np.r_[-np.inf, d.y[1:]]),
        DataError,
        "infinite",
    ),
    ("boolean response", "b ~ x + (1 | g)", lambda d: d.assign(b=d.y > 1), DataError, "numeric column"),
    ("text response", "g ~ x + (1 | g)", lambda d: d, DataError, "numeric column"),
    (
        "datetime covariate",
        "y ~ t + (1 | g)",
        lambda d: d.assign(t=_dates(len(d))),
        DataError,
        "dates or times",
    ),
    (
        "datetime response",
        "t ~ x + (1 | g)",
        lambda d: d.assign(t=_dates(len(d))),
        DataError,
        "dates or times",
    ),
    (
        "timezone-aware datetime covariate",
        "y ~ t + (1 | g)",
        lambda d: d.assign(t=pd.date_range("2020-01-01", periods=len(d), tz="UTC")),
        DataError,
        "dates or times",
    ),
    (
        "period covariate",
        "y ~ t + (1 | g)",
        lambda d: d.assign(t=pd.period_range("2020-01", periods=len(d), freq="M")),
        DataError,
        "dates or times",
    ),
    ("complex covariate", "y ~ x + (1 | g)", lambda d: d.assign(x=d.x + 1j), DataError, "complex"),
    (
        "numbers stored as text (one level per row)",
        "y ~ x + (1 | g)",
        lambda d: d.assign(x=d.x.astype(str)),
        FitError,
        "fewer fixed effects",
    ),
    ("response times 1e200", "y ~ x + (1 | g)", lambda d: d.assign(y=d.y * 1e200), FitError, "rescale"),
    ("response times 1e-200", "y ~ x + (1 | g)", lambda d: d.assign(y=d.y * 1e-200), FitError, "rescale"),
    ("response equal to a covariate", "y ~ x + (1 | g)", lambda d: d.assign(y=d.x), FitError, "exactly"),
    ("constant response", "y ~ x + (1 | g)", lambda d: d.assign(y=1.0), DataError, "constant"),
    ("one group", "y ~ x + (1 | g)", lambda d: d.assign(g="a"), FitError, "level"),
    ("log of negatives", "y ~ log(x) + (1 | g)", lambda d: d, DataError, "negative"),
    ("unknown function", "y ~ foo(x) + (1 | g)", lambda d: d, FormulaError, "unknown function"),
    ("code in the formula", "y ~ __import__('os').system('ls') + (1 | g)", lambda d: d, FormulaError, "name"),
    (
        "duplicate column names",
        "y ~ x + (1 | g)",
        lambda d: pd.concat([d, d[["x"]]], axis=1),
        DataError,
        "rename",
    ),
    ("no random term", "y ~ x", lambda d: d, FitError, "random-effects term"),
    (
        "ordered categorical (lme4: polynomial contrasts)",
        "y ~ x + o + (1 | g)",
        lambda d: d.assign(
            o=pd.Categorical(np.resize(["lo", "mid", "hi"], len(d)), ["lo", "mid", "hi"], ordered=True)
        ),
        DataError,
        "as_unordered",
    ),
    ("single-level factor", "y ~ f + (1 | g)", lambda d: d.assign(f="a"), DataError, "single level"),
]


@pytest.mark.parametrize(
    ("formula", "change", "error", "fragment"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_refused_with_an_lmmcore_error_saying_what_to_change(base, formula, change, error, fragment):
    with pytest.raises(error) as raised:
        lmmcore.fit(formula, change(base.copy()))
    assert fragment in str(raised.value)


# (case, formula, data change, the plain formula the fit must equal, message fragment expected or None)
ACCEPTED = [
    ("column named like a function", "y ~ log + (1 | g)", lambda d: d.rename(columns={"x": "log"}), None),
    ("function of a column named like it", "y ~ x + (1 | I)", lambda d: d.rename(columns={"g": "I"}), None),
    (
        "unicode names",
        "réponse ~ température + (1 | Stätte)",
        lambda d: d.rename(columns={"y": "réponse", "x": "température", "g": "Stätte"}),
        None,
    ),
    (
        "backquoted names with spaces",
        "`my y` ~ `my x` + (1 | `my g`)",
        lambda d: d.rename(columns={"y": "my y", "x": "my x", "g": "my g"}),
        None,
    ),
    ("datetime grouping", "y ~ x + (1 | t)", lambda d: d.assign(t=np.repeat(_dates(10), 6)), None),
    (
        "categorical grouping with an unused level",
        "y ~ x + (1 | g)",
        lambda d: d.assign(g=pd.Categorical(d.g, categories=[*sorted(set(d.g)), "unused"])),
        None,
    ),
    (
        "nullable floats",
        "y ~ x + (1 | g)",
        lambda d: d.assign(x=pd.array(d.x, dtype="Float64")),
        None,
    ),
    (
        "ordered categorical as grouping factor",
        "y ~ x + (1 | g)",
        lambda d: d.assign(g=pd.Categorical(d.g, sorted(set(d.g)), ordered=True)),
        None,
    ),
    ("collinear covariate", "y ~ x + x2 + (1 | g)", lambda d: d.assign(x2=2 * d.x + 1), "rank deficient"),
    ("constant covariate", "y ~ x + c + (1 | g)", lambda d: d.assign(c=3.0), "rank deficient"),
]


@pytest.mark.parametrize(
    ("formula", "change", "fragment"), [c[1:] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED]
)
def test_odd_but_valid_inputs_fit_like_the_plain_model(base, formula, change, fragment):
    plain = lmmcore.fit("y ~ x + (1 | g)", base)
    m = lmmcore.fit(formula, change(base.copy()))
    assert m.criterion == pytest.approx(plain.criterion, rel=1e-6)
    np.testing.assert_allclose(m.fixef.to_numpy()[:2], plain.fixef.to_numpy(), rtol=1e-5)
    if fragment is not None:
        assert any(fragment in s for s in m.messages)


def test_random_slope_on_a_constant_fits_or_refuses_cleanly(base):
    # lme4 fits it with convergence warnings; the slope is not identifiable from the intercept
    try:
        m = lmmcore.fit("y ~ x + (1 + c | g)", base.assign(c=3.0))
    except LmmError as err:
        assert str(err)
    else:
        assert np.isfinite(m.criterion) and m.messages


def test_boolean_covariate_is_a_two_level_factor(base):
    m = lmmcore.fit("y ~ b + (1 | g)", base.assign(b=base.x > 0))
    assert list(m.fixef.index) == ["(Intercept)", "bTRUE"]


def test_unhashable_values_are_compared_as_text(base):
    # lists in an object column (a JSON import) group by their text, as before; never a TypeError
    m = lmmcore.fit("y ~ x + (1 | l)", base.assign(l=[[i // 6] for i in range(len(base))]))
    plain = lmmcore.fit("y ~ x + (1 | g)", base)
    assert m.ngroups == {"l": 10} and m.criterion == pytest.approx(plain.criterion, rel=1e-9)
