"""The Code view's scripts: run, they give the app's numbers (the Python always; the R against lme4 where
Rscript with lme4 and lmerTest is installed, skipped otherwise)."""

from __future__ import annotations

import runpy
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from explorer import datasets
from explorer.downloads import csv_text
from explorer.reproduce import DataProvenance, ReproSpec, provenance_of, python_code, r_code

import lmmcore

ROOT = Path(__file__).resolve().parents[2]
SIM_PARAMS = {"n_sites": 12, "n_per_site": 6, "seed": 7}
# Same engine, same data (the CSV holds every float to 17 digits): only the optimizer's own tolerance
# separates two fits, so 1e-8 relative.
RTOL = 1e-8


def _run_python(code: str, workdir: Path) -> dict:
    script = workdir / "reproduce.py"
    script.write_text(code)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(workdir)
        return runpy.run_path(str(script), run_name="__main__")


def _same_fit(ours, theirs) -> None:
    assert float(theirs.criterion) == pytest.approx(float(ours.criterion), rel=RTOL)
    np.testing.assert_allclose(theirs.fixef.to_numpy(), ours.fixef.to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(theirs.theta, ours.theta, rtol=1e-5, atol=1e-7)


def _simulation_spec() -> tuple[ReproSpec, pd.DataFrame]:
    defaults = datasets.engine.simulation_defaults()
    data = datasets.simulated({**defaults, **SIM_PARAMS})
    provenance = provenance_of(data.key, data.frame)
    return ReproSpec(provenance, datasets.engine.DEFAULT_FORMULA, False, 0.9, 20, 3), data.frame


def test_python_code_of_a_simulation_refits_the_apps_model_and_intervals(tmp_path, capsys):
    spec, frame = _simulation_spec()
    app_fit = lmmcore.fit(spec.formula, frame, reml=False)
    names = _run_python(python_code(spec), tmp_path)
    _same_fit(app_fit, names["m"])
    assert (tmp_path / spec.data.csv_name).is_file()  # written for the R code
    boot = names["boot"]
    expected = lmmcore.bootstrap(app_fit, nsim=20, seed=3).intervals(0.9)
    pd.testing.assert_frame_equal(boot.intervals(0.9), expected, rtol=1e-6)
    printed = capsys.readouterr().out
    assert "Linear mixed model fit by maximum likelihood" in printed


def test_python_code_of_an_example_and_of_an_upload_with_a_numeric_factor(tmp_path):
    example = ReproSpec(DataProvenance("example", "sleepstudy"), "Reaction ~ Days + (Days | Subject)", True)
    names = _run_python(python_code(example), tmp_path)
    _same_fit(lmmcore.fit(example.formula, lmmcore.datasets.load("sleepstudy")), names["m"])

    # An upload whose integer column the user made a factor: the data-as-fitted CSV gives numbers back,
    # the code makes them a factor again (treatment contrasts against level 1, not a slope).
    frame = lmmcore.datasets.load("sleepstudy").assign(Block=lambda d: d["Days"] % 3 + 1)
    frame["Block"] = pd.Categorical(frame["Block"])
    key = ("upload", "sleep blocks.csv", "0" * 16, "", ("NA",), (("Block", "factor"),))
    spec = ReproSpec(provenance_of(key, frame, "0" * 64), "Reaction ~ Days + Block + (1 | Subject)", True)
    assert spec.data.factors == ("Block",)
    (tmp_path / spec.data.csv_name).write_text(csv_text(frame))
    refit = _run_python(python_code(spec), tmp_path)["m"]
    app_fit = lmmcore.fit(spec.formula, frame)
    assert list(app_fit.fixef.index) == ["(Intercept)", "Days", "Block2", "Block3"]
    _same_fit(app_fit, refit)


def test_names_and_formula_cannot_break_out_of_comments_or_strings():
    hostile = 'x.csv\nimport os; os.system("echo pwned") #"\')'
    spec = ReproSpec(
        DataProvenance("upload", hostile, sha256="ab" * 32), "y ~ x +\n (1 | g)", True, 0.95, 10, 1
    )
    for code in (python_code(spec), r_code(spec)):
        # The name only ever appears inside a comment line, quoted.
        assert all(line.startswith("# ") for line in code.splitlines() if "pwned" in line)
        assert "y ~ x + (1 | g)" in code  # the formula on one line
    compile(python_code(spec), "reproduce.py", "exec")  # still valid Python


def _rscript_with_lme4() -> str | None:
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    check = subprocess.run(
        [rscript, "-e", "library(lme4); library(lmerTest)"], capture_output=True, timeout=120
    )
    return rscript if check.returncode == 0 else None


def test_r_code_of_a_simulation_gives_lme4s_fit_of_the_same_rows(tmp_path):
    rscript = _rscript_with_lme4()
    if rscript is None:
        pytest.skip("Rscript with lme4 and lmerTest is not installed")
    spec, frame = _simulation_spec()
    _run_python(python_code(spec), tmp_path)  # writes the CSV the R code reads
    out = tmp_path / "lme4.csv"
    code = r_code(spec) + (
        f'write.csv(data.frame(name = c("deviance", names(fixef(m))), value = c(deviance(m), fixef(m))), '
        f'"{out.name}", row.names = FALSE)\n'
    )
    (tmp_path / "reproduce.R").write_text(code)
    run = subprocess.run([rscript, "reproduce.R"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    lme4 = pd.read_csv(out).set_index("name")["value"]
    ours = lmmcore.fit(spec.formula, frame, reml=False)
    # lmmcore matches lme4 1.1-31 to its optimizer's tolerance (tests/test_fit_reference.py: fixef 1e-4).
    assert float(ours.criterion) == pytest.approx(lme4["deviance"], rel=1e-6)
    np.testing.assert_allclose(ours.fixef.to_numpy(), lme4[list(ours.fixef.index)].to_numpy(), rtol=1e-4)
