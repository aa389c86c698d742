"""The summary text against lme4 1.1-31's ``print(summary(m))`` (R 4.2.2), character for character.

The results here are built by hand from lme4's own estimates (``tests/reference/lme4``): the design comes
from our design stage, the numbers from the reference, so these tests check the layout and R's number
formatting alone, independent of how closely our optimizer reproduces lme4's.  ``LME4_SUMMARIES`` is R's
printed output for the same models (made with ``print(summary(lmer(...)))``, trailing blanks removed);
the ``Data:`` line (the name of an R variable) and lme4's deparsed ``Formula:`` (it expands ``||``) are
left out of the comparison, our formula line is checked on its own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lmmcore import datasets
from lmmcore.design import build_design
from lmmcore.fitting.optimize import OptimizerReport
from lmmcore.fitting.solution import Solution
from lmmcore.result import LmmResult
from lmmcore.rformat import abbreviate, format_real
from lmmcore.summary import summary
from tests.refs import as_frame, listify, load_reference

LME4_SUMMARIES = {
    "sleepstudy_slopes": """\
Linear mixed model fit by REML ['lmerMod']
Formula: Reaction ~ Days + (Days | Subject)
   Data: ss

REML criterion at convergence: 1743.6

Scaled residuals:
    Min      1Q  Median      3Q     Max
-3.9536 -0.4634  0.0231  0.4634  5.1793

Random effects:
 Groups   Name        Variance Std.Dev. Corr
 Subject  (Intercept) 612.10   24.741
          Days         35.07    5.922   0.07
 Residual             654.94   25.592
Number of obs: 180, groups:  Subject, 18

Fixed effects:
            Estimate Std. Error t value
(Intercept)  251.405      6.825  36.838
Days          10.467      1.546   6.771

Correlation of Fixed Effects:
     (Intr)
Days -0.138
""",
    "sleepstudy_slopes_ml": """\
Linear mixed model fit by maximum likelihood  ['lmerMod']
Formula: Reaction ~ Days + (Days | Subject)
   Data: ss

     AIC      BIC   logLik deviance df.resid
  1763.9   1783.1   -876.0   1751.9      174

Scaled residuals:
    Min      1Q  Median      3Q     Max
-3.9416 -0.4656  0.0289  0.4636  5.1793

Random effects:
 Groups   Name        Variance Std.Dev. Corr
 Subject  (Intercept) 565.48   23.780
          Days         32.68    5.717   0.08
 Residual             654.95   25.592
Number of obs: 180, groups:  Subject, 18

Fixed effects:
            Estimate Std. Error t value
(Intercept)  251.405      6.632  37.907
Days          10.467      1.502   6.968

Correlation of Fixed Effects:
     (Intr)
Days -0.138
""",
    "dyestuff": """\
Linear mixed model fit by REML ['lmerMod']
Formula: Yield ~ 1 + (1 | Batch)
   Data: dy

REML criterion at convergence: 319.7

Scaled residuals:
    Min      1Q  Median      3Q     Max
-1.4117 -0.7634  0.1418  0.7792  1.8296

Random effects:
 Groups   Name        Variance Std.Dev.
 Batch    (Intercept) 1764     42.00
 Residual             2451     49.51
Number of obs: 30, groups:  Batch, 6

Fixed effects:
            Estimate Std. Error t value
(Intercept)  1527.50      19.38    78.8
""",
    "pastes_nested": """\
Linear mixed model fit by REML ['lmerMod']
Formula: strength ~ 1 + (1 | batch/cask)
   Data: pa

REML criterion at convergence: 247

Scaled residuals:
    Min      1Q  Median      3Q     Max
-1.4798 -0.5156  0.0095  0.4720  1.3897

Random effects:
 Groups     Name        Variance Std.Dev.
 cask:batch (Intercept) 8.434    2.9041
 batch      (Intercept) 1.657    1.2874
 Residual               0.678    0.8234
Number of obs: 60, groups:  cask:batch, 30; batch, 10

Fixed effects:
            Estimate Std. Error t value
(Intercept)  60.0533     0.6769   88.72
""",
    "penicillin_crossed": """\
Linear mixed model fit by REML ['lmerMod']
Formula: diameter ~ 1 + (1 | plate) + (1 | sample)
   Data: pe

REML criterion at convergence: 330.9

Scaled residuals:
     Min       1Q   Median       3Q      Max
-2.07923 -0.67140  0.06292  0.58377  2.97959

Random effects:
 Groups   Name        Variance Std.Dev.
 plate    (Intercept) 0.7169   0.8467
 sample   (Intercept) 3.7311   1.9316
 Residual             0.3024   0.5499
Number of obs: 144, groups:  plate, 24; sample, 6

Fixed effects:
            Estimate Std. Error t value
(Intercept)  22.9722     0.8086   28.41
""",
    "biomass_seed": """\
Linear mixed model fit by REML ['lmerMod']
Formula: Biomass ~ Temp + N + (1 + Temp | Site)
   Data: bi

REML criterion at convergence: 321.9

Scaled residuals:
     Min       1Q   Median       3Q      Max
-2.16535 -0.61616  0.00461  0.65440  1.56275

Random effects:
 Groups   Name        Variance Std.Dev. Corr
 Site     (Intercept) 0.9923   0.9961
          Temp        0.1341   0.3662   -0.44
 Residual             0.8766   0.9363
Number of obs: 100, groups:  Site, 20

Fixed effects:
            Estimate Std. Error t value
(Intercept)  9.97944    0.24587  40.589
Temp         0.24121    0.12706   1.898
N            2.16807    0.09257  23.420

Correlation of Fixed Effects:
     (Intr) Temp
Temp -0.301
N    -0.052  0.174
""",
    "sleepstudy_log_quadratic_uncorrelated": """\
Linear mixed model fit by REML ['lmerMod']
Formula: log(Reaction) ~ Days + I(Days^2) + ((1 | Subject) + (0 + Days |
    Subject))
   Data: ss

REML criterion at convergence: -286.5

Scaled residuals:
    Min      1Q  Median      3Q     Max
-3.9821 -0.4737  0.0368  0.5505  4.4804

Random effects:
 Groups    Name        Variance  Std.Dev.
 Subject   (Intercept) 0.0106940 0.10341
 Subject.1 Days        0.0003219 0.01794
 Residual              0.0066251 0.08139
Number of obs: 180, groups:  Subject, 18

Fixed effects:
             Estimate Std. Error t value
(Intercept) 5.5361763  0.0286642 193.139
Days        0.0290844  0.0088774   3.276
I(Days^2)   0.0005093  0.0008349   0.610

Correlation of Fixed Effects:
          (Intr) Days
Days      -0.375
I(Days^2)  0.350 -0.846
""",
    "penicillin_sample_fixed": """\
Linear mixed model fit by REML ['lmerMod']
Formula: diameter ~ sample + (1 | plate)
   Data: pe

REML criterion at convergence: 308.3

Scaled residuals:
    Min      1Q  Median      3Q     Max
-2.0730 -0.6603  0.0565  0.5949  2.9797

Random effects:
 Groups   Name        Variance Std.Dev.
 plate    (Intercept) 0.7169   0.8467
 Residual             0.3024   0.5499
Number of obs: 144, groups:  plate, 24

Fixed effects:
            Estimate Std. Error t value
(Intercept)  25.1667     0.2061 122.117
sampleB      -3.2083     0.1587 -20.210
sampleC      -0.2500     0.1587  -1.575
sampleD      -2.2917     0.1587 -14.436
sampleE      -2.2083     0.1587 -13.911
sampleF      -5.2083     0.1587 -32.809

Correlation of Fixed Effects:
        (Intr) samplB samplC samplD samplE
sampleB -0.385
sampleC -0.385  0.500
sampleD -0.385  0.500  0.500
sampleE -0.385  0.500  0.500  0.500
sampleF -0.385  0.500  0.500  0.500  0.500
""",
    "insteval_crossed": """\
Linear mixed model fit by REML ['lmerMod']
Formula: y ~ service + (1 | s) + (1 | d) + (1 | dept:service)
   Data: ie

REML criterion at convergence: 237661.5

Scaled residuals:
     Min       1Q   Median       3Q      Max
-2.99701 -0.74750  0.04017  0.77230  3.11722

Random effects:
 Groups       Name        Variance Std.Dev.
 s            (Intercept) 0.10543  0.3247
 d            (Intercept) 0.26257  0.5124
 dept:service (Intercept) 0.01202  0.1097
 Residual                 1.38496  1.1768
Number of obs: 73421, groups:  s, 2972; d, 1128; dept:service, 28

Fixed effects:
            Estimate Std. Error t value
(Intercept)  3.28067    0.03526  93.034
service1    -0.05350    0.04454  -1.201

Correlation of Fixed Effects:
         (Intr)
service1 -0.601
""",
}


def reference_result(name: str, messages: tuple[str, ...] = (), converged: bool = True) -> LmmResult:
    """An :class:`LmmResult` whose numbers are lme4's (from the reference file ``name``)."""
    ref = load_reference(name)
    design = build_design(ref["formula"], datasets.load(ref["data"]))
    sigma = ref["sigma"]
    vcov = as_frame(ref["vcov"]).loc[list(design.fixed_names), list(design.fixed_names)].to_numpy()
    ranef = {r["group"]: r for r in listify(ref["ranef"])}
    modes, cond_var = [], []
    for term in design.reterms:
        r = ranef[term.group]
        terms = listify(r["terms"])
        rows = [r["levels"].index(level) for level in term.levels]
        cols = [terms.index(n) for n in term.names]
        modes.append(np.array(r["modes"], dtype=float)[np.ix_(rows, cols)])
        sds = np.array(r["condsd"], dtype=float)[np.ix_(rows, cols)]
        cond_var.append(np.einsum("lk,kj->lkj", sds**2, np.eye(term.k)))
    fitted = np.array(ref["fitted"], dtype=float)
    solution = Solution(
        theta=np.array(listify(ref["theta"]), dtype=float),
        reml=ref["REML"],
        objective=ref["criterion"],
        beta=np.array([ref["fixef"][n] for n in design.fixed_names]),
        b=tuple(modes),
        sigma=sigma,
        pwrss=np.nan,
        ldL2=np.nan,
        ldRX2=np.nan,
        unscaled_vcov=vcov / sigma**2,
        cond_var=tuple(cond_var),
        fitted=fitted,
    )
    singular_msgs = ("boundary (singular) fit: see help('isSingular')",) if ref["singular"] else ()
    report = OptimizerReport(
        theta=solution.theta,
        objective=ref["criterion"],
        nfev=0,
        converged=converged,
        optimizer="nloptwrap",
        messages=singular_msgs + messages,
        singular=bool(ref["singular"]),
    )
    return LmmResult(design=design, reml=ref["REML"], solution=solution, optimizer=report)


def _comparable(text: str) -> list[str]:
    """Lines of a summary without the ``Formula:`` block and the ``Data:`` line."""
    lines = text.rstrip("\n").split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("Formula:"))
    stop = lines.index("", start)
    return lines[:start] + lines[stop:]


SUMMARY_CASES = [
    "sleepstudy_slopes",
    "sleepstudy_slopes_ml",
    "dyestuff",
    "pastes_nested",
    "penicillin_crossed",
    "biomass_seed",
    "sleepstudy_log_quadratic_uncorrelated",
    "penicillin_sample_fixed",
    pytest.param("insteval_crossed", marks=pytest.mark.slow),
]


@pytest.mark.parametrize("name", SUMMARY_CASES)
def test_summary_text_is_lme4s(name):
    text = reference_result(name).summary()
    assert _comparable(text) == _comparable(LME4_SUMMARIES[name])
    assert f"Formula: {load_reference(name)['formula']}" in text.split("\n")


def test_summary_lines_have_no_trailing_blanks():
    text = summary(reference_result("sleepstudy_slopes"))
    assert all(line == line.rstrip() for line in text.split("\n"))


def test_ml_summary_shows_information_criteria_row():
    lines = reference_result("sleepstudy_slopes_ml").summary().split("\n")
    assert lines[0] == "Linear mixed model fit by maximum likelihood  ['lmerMod']"
    header = lines.index("     AIC      BIC   logLik deviance df.resid")
    assert lines[header + 1] == "  1763.9   1783.1   -876.0   1751.9      174"


def test_warnings_follow_lme4s_layout():
    m = reference_result("sleepstudy_slopes", messages=("Model failed to converge with max|grad| = 0.01",))
    m = LmmResult(
        design=_with_messages(
            m.design, ("fixed-effect model matrix is rank deficient so dropping 1 column",)
        ),
        reml=m.reml,
        solution=m.solution,
        optimizer=m.optimizer,
    )
    tail = m.summary().split("\n")[-4:]
    assert tail == [
        "fit warnings:",
        "fixed-effect model matrix is rank deficient so dropping 1 column",
        "optimizer (nloptwrap) convergence code: 0 (OK)",
        "Model failed to converge with max|grad| = 0.01",
    ]


def test_failed_optimizer_is_reported_even_without_messages():
    m = reference_result("dyestuff", converged=False)
    assert m.summary().split("\n")[-1] == "optimizer (nloptwrap) convergence code: 1 (failure)"


def test_clean_fit_has_no_warning_block():
    text = reference_result("sleepstudy_slopes").summary()
    assert "optimizer (" not in text and "fit warnings" not in text


def test_singular_fit_prints_lmes_boundary_note():
    m = reference_result("dyestuff")
    report = OptimizerReport(
        theta=np.zeros(1),
        objective=m.criterion,
        nfev=0,
        converged=True,
        optimizer="bobyqa",
        messages=(),
        singular=True,
    )
    m = LmmResult(design=m.design, reml=True, solution=m.solution, optimizer=report)
    assert m.summary().split("\n")[-2:] == [
        "optimizer (bobyqa) convergence code: 0 (OK)",
        "boundary (singular) fit: see help('isSingular')",
    ]


def test_more_than_twelve_fixed_effects_omit_the_correlation_matrix():
    from lmmcore import summary as summary_module

    corr = pd.DataFrame(np.eye(13), index=[f"x{i}" for i in range(13)], columns=[f"x{i}" for i in range(13)])
    lines = summary_module._correlation_lines(corr)
    assert lines[1] == "Correlation matrix not shown by default, as p = 13 > 12."


def _with_messages(design, messages):
    from dataclasses import replace

    return replace(design, messages=messages)


# --- R's formatting primitives, against values printed by R 4.2.2 ----------------------------------------
@pytest.mark.parametrize(
    ("values", "digits", "expected"),
    [
        ([612.100158, 35.0717144, 654.940008], 4, ["612.10", " 35.07", "654.94"]),
        ([1764.05, 2451.25], 4, ["1764", "2451"]),
        ([0.0106939708, 0.000321900538, 0.00662510249], 4, ["0.0106940", "0.0003219", "0.0066251"]),
        ([1743.6], 7, ["1743.6"]),
        ([247.0], 7, ["247"]),
        ([1e-10, 1.0], 4, ["1e-10", "1e+00"]),
        ([float("nan"), 1.5], 4, ["NaN", "1.5"]),
    ],
)
def test_format_real_matches_r(values, digits, expected):
    assert format_real(values, digits) == expected


@pytest.mark.parametrize(
    ("names", "minlength", "expected"),
    [
        (["(Intercept)", "Days"], 6, ["(Intr)", "Days"]),
        (["(Intercept)", "sampleB", "sampleC"], 6, ["(Intr)", "samplB", "samplC"]),
        (["I(Days^2)"], 11, ["I(Days^2)"]),
        (["service1"], 6, ["servc1"]),
        (["aaaaaaaa", "aaaaaaab"], 4, ["aaaa", "aaab"]),
        (
            ["Temperature", "Temperatures", "pH value", "log(Reaction)"],
            6,
            ["Temprtr", "Tmprtrs", "pHvalu", "lg(Rc)"],
        ),
        (["Temperature", "Temperatures", "pH value"], 11, ["Temperature", "Temperaturs", "pH value"]),
    ],
)
def test_abbreviate_matches_r(names, minlength, expected):
    assert abbreviate(names, minlength) == expected
