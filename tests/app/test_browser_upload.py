"""Uploads end to end in Chromium: a real table from R (tests/reference/uploads), its suggested model, a
column set to factor and the model using it (numbers against lme4's fit of the same file), Excel sheets,
missing-value strings, the dropped-rows report, the builder's roles, forged input values; screenshots of
the Data tab and the builder at two window sizes (written to pytest's temporary directory)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Page, expect
from shiny.playwright import controller
from shiny.pytest import create_app_fixture

from .browser_pages import expect_selectize, table_column

pytestmark = pytest.mark.browser

app = create_app_fixture("../../app/app.py", timeout_secs=60)

UPLOADS = Path(__file__).resolve().parents[1] / "reference" / "uploads"
FIT_TIMEOUT = 60_000  # ms: the machine is shared


@pytest.fixture(autouse=True)
def _patient_expectations(page: Page):
    expect.set_options(timeout=FIT_TIMEOUT)
    page.set_default_timeout(FIT_TIMEOUT)


def _open_and_upload(page: Page, app, path: Path) -> None:
    page.goto(app.url)
    expect(page.locator("#summary-crit")).to_contain_text("REML criterion")
    page.get_by_role("tab", name="Upload", exact=True).click()
    page.locator("#data-upload").set_input_files(str(path))


def _formula(page: Page) -> controller.InputText:
    return controller.InputText(page, "model-formula")


def test_upload_set_a_code_to_factor_and_the_model_uses_it(page: Page, app, shots):
    lme4 = json.loads((UPLOADS / "ChickWeight.json").read_text())
    page.set_viewport_size({"width": 1400, "height": 1000})
    _open_and_upload(page, app, UPLOADS / "ChickWeight.csv")
    expect(page.locator("#data-upload_message")).to_contain_text("578 rows x 4 columns")
    # Diet is a code read as numbers: the suggestion says factor(Diet), which the builder cannot show.
    _formula(page).expect_value("weight ~ Time + factor(Diet) + (1 | Chick)")
    expect(page.locator("#model-suggestion")).to_contain_text("weight is the measured outcome")
    expect(page.locator("#model-builder_note")).to_contain_text("cannot express this formula")
    expect(page.locator("#model-builder")).to_have_attribute("aria-disabled", "true")

    page.get_by_role("tab", name="Data", exact=True).click()
    expect(page.locator("#data-columns")).to_contain_text("looks like a code: treat as factor?")
    page.screenshot(path=shots / "upload_data_tab_1400.png", full_page=True)
    controller.InputSelectize(page, "data-type_column").set("Diet")
    controller.InputSelect(page, "data-type_kind").expect_selected("numeric")
    controller.InputSelect(page, "data-type_kind").set("factor")

    # The types changed the data: the formula follows the new suggestion (it was not typed by the user),
    # the builder can show it, and the fit has treatment contrasts Diet2..Diet4 as R's factor gives.
    _formula(page).expect_value("weight ~ Time + Diet + (1 | Chick)")
    expect(page.locator("#model-builder")).to_have_attribute("aria-disabled", "false")
    expect_selectize(page, "model-fixed", selected=["Time", "Diet"])
    page.get_by_role("tab", name="Summary").click()
    shown = table_column(page, "#summary-fixed", "Estimate")
    for name, estimate in lme4["fixef"].items():
        assert float(shown[name]) == pytest.approx(estimate, rel=1e-4), name  # as lme4, to the digits shown
    crit = page.locator("#summary-crit").inner_text()
    assert float(crit.rsplit(":", 1)[1]) == pytest.approx(lme4["criterion"], abs=1e-3)
    page.locator("#model-builder").scroll_into_view_if_needed()
    page.screenshot(path=shots / "upload_builder_1400.png")


def test_builder_roles_and_small_window(page: Page, app, shots):
    page.set_viewport_size({"width": 1024, "height": 768})
    _open_and_upload(page, app, UPLOADS / "Orthodont.csv")
    _formula(page).expect_value("distance ~ age + Sex + (1 | Subject)")
    group = controller.InputSelect(page, "model-re1_group")
    group.expect_choices(["", "Subject", "Sex"])  # never the response, a covariate (age) or a date
    expect_selectize(page, "model-fixed", choices=["age", "Subject", "Sex"])
    expect(page.locator("#model-re2_group")).to_be_hidden()  # one slot until asked for another
    page.get_by_role("button", name="Add a grouping factor").click()
    expect(page.locator("#model-re2_group")).to_be_visible()
    controller.InputSelect(page, "model-response").set("age")
    group.expect_choices(["", "Subject", "Sex"])
    _formula(page).expect_value("age ~ Sex + (1 | Subject)")  # distance left, age is no predictor now
    page.locator("#model-builder").scroll_into_view_if_needed()
    page.screenshot(path=shots / "upload_builder_1024.png")
    page.get_by_role("tab", name="Data", exact=True).click()
    expect(page.locator("#data-columns")).to_contain_text("Subject")
    page.screenshot(path=shots / "upload_data_tab_1024.png", full_page=True)


def test_a_typed_formula_is_kept_and_dropped_rows_count_only_its_columns(page: Page, app):
    lme4 = json.loads((UPLOADS / "Orthodont_na.json").read_text())
    _open_and_upload(page, app, UPLOADS / "Orthodont.csv")
    _formula(page).expect_value("distance ~ age + Sex + (1 | Subject)")
    typed = "distance ~ age + (age | Subject)"
    page.locator("#model-formula").fill(typed)
    page.locator("#model-formula").press("Enter")
    expect(page.locator("#fit-status")).to_contain_text(f"{typed} by REML: 108 observations")

    # New data with the same columns: the user's formula stays (the suggestion is only offered), and only
    # its columns count for the rows left out (Sex is missing in two rows but not in this model).
    page.locator("#data-upload").set_input_files(str(UPLOADS / "Orthodont_na.csv"))
    expect(page.locator("#data-upload_message")).to_contain_text("Orthodont_na.csv")
    expect(page.locator("#fit-status")).to_contain_text(f"{typed} by REML: 105 observations")
    _formula(page).expect_value(typed)
    expect(page.locator("#dropped-dropped")).to_have_text(
        "3 of 108 rows left out of the fit (distance in 3 rows missing)."
    )

    page.get_by_role("button", name="Use the suggested model").click()
    _formula(page).expect_value(lme4["formula"])
    expect(page.locator("#fit-status")).to_contain_text(f"{lme4['nobs']} observations")
    expect(page.locator("#dropped-dropped")).to_have_text(
        "4 of 108 rows left out of the fit (distance in 3, Sex in 2 rows missing)."
    )
    expect(page.locator("#model-suggestion")).to_contain_text("Suggested model (in use)")


def test_excel_sheets_and_missing_value_strings(page: Page, app, tmp_path):
    frame = pd.read_csv(UPLOADS / "Machines.csv")
    frame.loc[[0, 5], "score"] = -99
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        pd.DataFrame({"about": ["Machines from nlme"]}).to_excel(writer, sheet_name="Notes", index=False)
        frame.to_excel(writer, sheet_name="Data", index=False)
    path = tmp_path / "machines.xlsx"
    path.write_bytes(buffer.getvalue())
    _open_and_upload(page, app, path)
    expect(page.locator("#data-upload_message")).to_contain_text("sheet 'Data' of 2")
    controller.InputSelect(page, "data-sheet").expect_choices(["Notes", "Data"])
    _formula(page).expect_value("score ~ Machine + (1 | Worker)")
    expect(page.locator("#fit-status")).to_contain_text("54 observations")
    page.locator("#data-missing").fill("-99")
    page.locator("#data-missing").press("Enter")
    expect(page.locator("#fit-status")).to_contain_text("52 observations")
    expect(page.locator("#dropped-dropped")).to_contain_text("score in 2")
    controller.InputSelect(page, "data-sheet").set("Notes")
    expect(page.locator("#data-upload_message")).to_contain_text("pick another sheet")
    expect(page.locator("#fit-status")).to_contain_text("52 observations")  # the data in use stay


def test_forged_values_give_messages_and_the_session_keeps_working(page: Page, app):
    page.goto(app.url)
    expect(page.locator("#summary-crit")).to_contain_text("REML criterion")
    page.evaluate("Shiny.setInputValue('data-example', {'a': 1})")
    expect(page.locator("#data-notice")).to_contain_text("Data set must be one name")
    page.evaluate("Shiny.setInputValue('data-example', 'nope')")
    expect(page.locator("#data-notice")).to_contain_text("Unknown Data set")
    page.evaluate("Shiny.setInputValue('model-fixed', [1, 2])")
    expect(page.locator("#model-builder_note")).to_contain_text("Fixed effects must be a list of names")
    page.get_by_role("tab", name="Upload", exact=True).click()
    page.evaluate("Shiny.setInputValue('data-upload', [{'name': 'x.csv', 'datapath': '/etc/passwd'}])")
    expect(page.locator("#data-upload_message")).to_contain_text("upload it again")
    page.evaluate("Shiny.setInputValue('data-column_types', '[1, 2]')")
    page.locator("#data-upload").set_input_files(str(UPLOADS / "Oats.csv"))
    expect(page.locator("#data-upload_message")).to_contain_text("Column types")
    page.evaluate("Shiny.setInputValue('data-column_types', '')")
    _formula(page).expect_value("yield ~ Variety + nitro + (1 | Block)")
    expect(page.locator("#fit-status")).to_contain_text("72 observations")
