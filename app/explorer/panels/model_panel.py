"""Model panel: the lme4 formula (the single source of truth of the model), the builder controls that
write it, and the REML / ML switch.

The builder writes the formula when a user changes a control; the formula is read back into the controls
when it can be expressed by them. Every push to the controls sets all of them, and its echo is recognised:
while the browser's answers arrive (possibly in several messages) every control holds either its value
before the push or the pushed one, and such a mix is never taken for a user's choice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from itertools import combinations

import pandas as pd
from shiny import module, reactive, render, ui

from .. import engine
from ..formula_builder import (
    MAX_RANDOM_SLOTS,
    STRUCTURES,
    BuilderState,
    RandomSlot,
    canonical,
    compose,
    interaction_label,
    state_from_formula,
    variables,
)

_NONE = ""
SLOTS = range(1, MAX_RANDOM_SLOTS + 1)
# How long the browser may take to report a push back before a value equal to the old one is a user's.
ECHO_SECONDS = 2.0


@dataclass(frozen=True)
class ModelChoice:
    """The model as the inputs define it: formula text, criterion, and the parse error if any."""

    formula: str
    reml: bool
    error: str | None = None


@dataclass(frozen=True)
class TypedFormula:
    """The formula in the field and the data it was written for (their key and suggested formula)."""

    text: str
    data_key: tuple
    suggestion: str


def formula_for(typed: TypedFormula, data) -> str:
    """The formula to fit on ``data`` (a :class:`~explorer.datasets.Dataset`): the one in the field when it
    was written for these data, or for data with the same suggested model (a new draw keeps the user's
    model); else the new data's suggestion. Derived in the same step as the data, so an old formula is
    never fitted to new data while the field's update travels to the browser and back."""
    if typed.data_key == data.key or typed.suggestion == data.suggested_formula:
        return typed.text
    return data.suggested_formula


@dataclass(frozen=True)
class Choices:
    """What each builder control may offer for a data set's columns."""

    responses: list[str]
    columns: list[str]
    groups: list[str]

    def predictors(self, response: str) -> list[str]:
        """Columns a fixed effect may use: all but the response."""
        return [c for c in self.columns if c != response]

    @staticmethod
    def of(frame: pd.DataFrame) -> Choices:
        columns = [str(c) for c in frame.columns]
        numeric = [str(c) for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
        groups = [str(c) for c in frame.columns if not pd.api.types.is_float_dtype(frame[c])]
        return Choices(numeric, columns, groups)


def _pairs(fixed) -> list[str]:
    return [interaction_label(a, b) for a, b in combinations(fixed, 2)]


def _slot_ui(k: int, state: BuilderState, choices: Choices):
    slot = state.random[k - 1] if k <= len(state.random) else RandomSlot(_NONE)
    others = [c for c in choices.columns if c not in (state.response, slot.group)]
    return ui.div(
        ui.tags.b(f"Random effects {k}"),
        ui.input_select(f"re{k}_group", "grouping factor", [_NONE, *choices.groups], selected=slot.group),
        ui.input_select(f"re{k}_struct", "structure", STRUCTURES, selected=slot.structure, width="100%"),
        ui.input_checkbox_group(f"re{k}_slopes", "slopes", others, selected=list(slot.slopes), inline=True),
        ui.input_select(f"re{k}_inner", "inner factor (nested)", [_NONE, *others], selected=slot.inner),
        class_="lmm-slot border-top pt-2",
    )


@module.ui
def model_controls_ui(initial_formula: str, frame: pd.DataFrame):
    state = state_from_formula(initial_formula)
    choices = Choices.of(frame)
    return ui.div(
        ui.input_text(
            "formula",
            "Model formula (lme4 syntax; Enter applies)",
            value=initial_formula,
            width="100%",
            update_on="blur",
        ),
        ui.output_ui("formula_error"),
        ui.input_radio_buttons("method", None, {"REML": "REML", "ML": "ML"}, selected="REML", inline=True),
        ui.output_ui("builder_note"),
        ui.input_select("response", "Response", choices.responses, selected=state.response),
        ui.input_checkbox_group(
            "fixed",
            "Fixed effects",
            choices.predictors(state.response),
            selected=list(state.fixed),
            inline=True,
        ),
        ui.input_checkbox_group(
            "interactions",
            "Interactions",
            _pairs(state.fixed),
            selected=list(state.interactions),
            inline=True,
        ),
        ui.p("One slot per grouping factor; several give crossed factors.", class_="small text-muted mb-1"),
        *[_slot_ui(k, state, choices) for k in SLOTS],
        class_="lmm-model",
    )


def _tuple(value) -> tuple[str, ...]:
    return tuple(value) if value else ()


CONTROL_IDS = ("response", "fixed", "interactions") + tuple(
    f"re{k}_{part}" for k in SLOTS for part in ("group", "struct", "slopes", "inner")
)


MULTI_CONTROLS = {"fixed", "interactions"} | {f"re{k}_slopes" for k in SLOTS}


def control_values(state: BuilderState) -> dict[str, object]:
    """The value each control holds when it shows ``state`` (as the browser reports it back)."""
    values: dict[str, object] = {
        "response": state.response,
        "fixed": tuple(state.fixed),
        "interactions": tuple(state.interactions),
    }
    for k in SLOTS:
        slot = state.random[k - 1] if k <= len(state.random) else RandomSlot(_NONE)
        values |= {
            f"re{k}_group": slot.group,
            f"re{k}_struct": slot.structure,
            f"re{k}_slopes": tuple(slot.slopes),
            f"re{k}_inner": slot.inner,
        }
    return values


def _in_choice_order(state: BuilderState, choices: Choices) -> BuilderState:
    """``state`` spelled as the controls report it: checked boxes in the order of their choices, each
    interaction under the label its checkbox has (``N:Temp`` is the box ``Temp:N`` when Temp comes first)."""
    predictors = choices.predictors(state.response)
    fixed = tuple(c for c in predictors if c in state.fixed)
    wanted = {frozenset(i.split(":")) for i in state.interactions}
    interactions = tuple(p for p in _pairs(fixed) if frozenset(p.split(":")) in wanted)
    random = []
    for slot in state.random:
        others = [c for c in choices.columns if c not in (state.response, slot.group)]
        slopes = tuple(c for c in others if c in slot.slopes)
        random.append(RandomSlot(slot.group, slot.structure, slopes, slot.inner))
    return BuilderState(state.response, fixed, interactions, tuple(random))


def representable(text: str, choices: Choices) -> BuilderState | None:
    """The builder state showing ``text``, or None when the controls cannot show it exactly: a column the
    data lack, a response that is not numeric, a grouping factor the group select does not offer (a
    numeric column in ``(1 | Temp)``). Pushing such a state would leave a control on another value,
    whose echo would write a different model into the formula."""
    state = state_from_formula(text)
    if state is None or not variables(state) <= set(choices.columns):
        return None
    if state.response not in choices.responses:
        return None
    if any(slot.group not in choices.groups for slot in state.random):
        return None
    return state


def is_echo(current: dict, before: dict, after: dict) -> bool:
    """Every control shows its value from before a push or the pushed one: the push is still arriving."""
    return all(current[k] in (before[k], after[k]) for k in current)


@module.server
def model_server(input, output, session, dataset, fit_error):
    """``dataset``: the data in use; ``fit_error``: the current request's fit message (or None).

    Returns the reactive :class:`ModelChoice`.
    """
    # (values before, values pushed, deadline) of the last push, until the browser confirms it.
    transition: list[tuple[dict, dict, float] | None] = [None]
    typed: reactive.Value[TypedFormula | None] = reactive.value(None)
    # Texts pushed into the field, with when: a late echo of one pushed for other data is not a user's.
    pushed: dict[str, float] = {}

    @reactive.calc
    def formula() -> str:
        """The model's formula text: the field's, or the suggestion for data the field was not written for."""
        current = typed.get()
        if current is None:
            return input.formula()
        return formula_for(current, dataset())

    def write_formula(text: str, data) -> None:
        typed.set(TypedFormula(text, data.key, data.suggested_formula))
        with reactive.isolate():
            shown = input.formula()
        if text != shown:
            pushed[text] = time.monotonic()
            ui.update_text("formula", value=text)

    @reactive.effect
    @reactive.event(input.formula)
    def _typed():
        text = input.formula()
        with reactive.isolate():
            data, current = dataset(), typed.get()
        at = pushed.get(text)
        if at is not None and time.monotonic() - at < ECHO_SECONDS and current and current.text != text:
            return  # the late echo of a formula pushed for other data
        typed.set(TypedFormula(text, data.key, data.suggested_formula))

    def raw_controls() -> dict[str, object]:
        values = {}
        for cid in CONTROL_IDS:
            value = input[cid]()
            values[cid] = _tuple(value) if cid in MULTI_CONTROLS else (value or "")
        return values

    def read_controls() -> BuilderState:
        slots = []
        for k in SLOTS:
            group = input[f"re{k}_group"]()
            if group:
                slots.append(
                    RandomSlot(
                        group,
                        input[f"re{k}_struct"](),
                        _tuple(input[f"re{k}_slopes"]()),
                        input[f"re{k}_inner"]() or "",
                    )
                )
        return BuilderState(
            input.response() or "", _tuple(input.fixed()), _tuple(input.interactions()), tuple(slots)
        )

    def push_controls(state: BuilderState | None, choices: Choices) -> None:
        """Set every control (choices and values) to ``state``, or clear the values when it is None."""
        shown = _in_choice_order(
            state or BuilderState(choices.responses[0] if choices.responses else _NONE), choices
        )
        with reactive.isolate():
            before = raw_controls()
        ui.update_select("response", choices=choices.responses, selected=shown.response)
        predictors = choices.predictors(shown.response)
        ui.update_checkbox_group("fixed", choices=predictors, selected=list(shown.fixed), inline=True)
        ui.update_checkbox_group(
            "interactions", choices=_pairs(shown.fixed), selected=list(shown.interactions), inline=True
        )
        for k in SLOTS:
            slot = shown.random[k - 1] if k <= len(shown.random) else RandomSlot(_NONE)
            others = [c for c in choices.columns if c not in (shown.response, slot.group)]
            ui.update_select(f"re{k}_group", choices=[_NONE, *choices.groups], selected=slot.group)
            ui.update_select(f"re{k}_struct", selected=slot.structure)
            ui.update_checkbox_group(f"re{k}_slopes", choices=others, selected=list(slot.slopes), inline=True)
            ui.update_select(f"re{k}_inner", choices=[_NONE, *others], selected=slot.inner)
        transition[0] = (before, control_values(shown), time.monotonic() + ECHO_SECONDS)

    @reactive.effect
    def _formula_for_new_data():
        data = dataset()
        with reactive.isolate():
            current, shown = typed.get(), input.formula()
        if current is None:  # the page's first data: the field holds the formula written for them
            typed.set(TypedFormula(shown, data.key, data.suggested_formula))
            return
        if current.data_key == data.key:
            return
        text = formula_for(current, data)
        write_formula(text, data)
        if text != current.text:
            choices = Choices.of(data.frame)
            push_controls(representable(text, choices), choices)

    @reactive.effect
    @reactive.event(input.formula)
    def _formula_to_controls():
        choices = Choices.of(dataset().frame)
        state = representable(formula(), choices)
        with reactive.isolate():
            current = canonical(read_controls())
        if state is not None and canonical(state) != current:
            push_controls(state, choices)

    builder_inputs = [input.response, input.fixed, input.interactions] + [
        input[f"re{k}_{part}"] for k in SLOTS for part in ("group", "struct", "slopes", "inner")
    ]

    @reactive.effect
    @reactive.event(*builder_inputs, ignore_init=True)
    def _controls_to_formula():
        if transition[0] is not None:
            current, (before, after, until) = raw_controls(), transition[0]
            if current == after:
                transition[0] = None
                return
            if is_echo(current, before, after) and time.monotonic() < until:
                return
            transition[0] = None  # a user's change after the push
        state = read_controls()
        wanted = canonical(state)
        with reactive.isolate():
            text = formula()
            data = dataset()
            choices = Choices.of(data.frame)
        if not state.response or not variables(state) <= set(choices.columns):
            return  # the late echo of a push made for other data: not a user's choice
        if wanted != canonical(representable(text, choices)):
            write_formula(compose(state), data)

    @reactive.effect
    @reactive.event(input.response, ignore_init=True)
    def _predictor_choices():
        response = input.response()
        with reactive.isolate():
            predictors = Choices.of(dataset().frame).predictors(response)
            kept = [f for f in _tuple(input.fixed()) if f in predictors]
        ui.update_checkbox_group("fixed", choices=predictors, selected=kept, inline=True)

    @reactive.effect
    @reactive.event(input.fixed, ignore_init=True)
    def _interaction_choices():
        fixed = _tuple(input.fixed())
        with reactive.isolate():
            kept = [i for i in _tuple(input.interactions()) if i in _pairs(fixed)]
        ui.update_checkbox_group("interactions", choices=_pairs(fixed), selected=kept, inline=True)

    @reactive.calc
    def model() -> ModelChoice:
        text = formula()
        reml = input.method() == "REML"
        try:
            engine.parse_formula(text)
        except engine.LmmError as err:
            return ModelChoice(text, reml, str(err))
        return ModelChoice(text, reml)

    @render.ui
    def formula_error():
        message = model().error or fit_error()
        if not message:
            return None
        return ui.pre(message, class_="alert alert-danger py-1 px-2 small lmm-formula-error")

    @render.ui
    def builder_note():
        choices = Choices.of(dataset().frame)
        if model().error or representable(formula(), choices) is not None:
            return None
        return ui.p(
            "The controls below cannot express this formula; it is kept as written. "
            "Changing a control replaces it.",
            class_="small text-muted",
        )

    return model
