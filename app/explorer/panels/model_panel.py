"""Model panel: the lme4 formula (the single source of truth of the model), the builder controls that
write it, the suggested model, and the REML / ML switch.

The builder writes the formula when a user changes a control; the formula is read back into the controls
when it can be expressed by them. Every push to the controls sets all of them, and its echo is recognised:
while the browser's answers arrive (possibly in several messages) every control holds either its value
before the push or the pushed one, and such a mix is never taken for a user's choice. A formula the
controls cannot express clears them and disables them, with a note: no control ever shows a stale model.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from itertools import combinations

import pandas as pd
from shiny import module, reactive, render, ui
from shiny.module import resolve_id

from .. import engine, inputs
from ..formula_builder import (
    MAX_RANDOM_SLOTS,
    STRUCTURES,
    BuilderState,
    RandomSlot,
    canonical,
    compose,
    factor_uses,
    formula_columns,
    interaction_label,
    same_model,
    state_from_formula,
    variables,
)
from .builder_choices import MAX_GROUP_LEVELS, Choices

_NONE = ""
SLOTS = range(1, MAX_RANDOM_SLOTS + 1)
# How long the browser may take to report a push back before a value equal to the old one is a user's.
ECHO_SECONDS = 2.0
MAX_FIXED_LEVELS = 1000
_DISABLE_JS = """
Shiny.addCustomMessageHandler('lmm-builder-disabled', function (m) {
  var box = document.getElementById(m.id);
  if (!box) return;
  box.classList.toggle('lmm-disabled', m.disabled);
  box.setAttribute('aria-disabled', m.disabled ? 'true' : 'false');
  box.querySelectorAll('select, input, button').forEach(function (el) {
    if (el.selectize) { m.disabled ? el.selectize.disable() : el.selectize.enable(); }
    else { el.disabled = m.disabled; }
  });
});
"""
# Enter in the formula field reports its text as an event: applying the text the app wrote there sends no
# change, yet makes that formula the user's.
_ENTER_JS = """
$(document).on('keydown', '#%s', function (e) {
  if (e.key === 'Enter') Shiny.setInputValue(this.id + '_entered', this.value, {priority: 'event'});
});
"""
_STYLE = ".lmm-disabled{opacity:.45} .lmm-suggestion code{white-space:normal}"


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
    by_user: bool = False  # typed in the field (or built with the controls), not written by the app


def formula_for(typed: TypedFormula, data) -> str:
    """The formula to fit on ``data`` (a :class:`~explorer.datasets.Dataset`).

    The field's formula is kept when it was written for these data, for data with the same suggested model
    (a new draw), or when the user wrote it (typed it, even as the old data's suggestion, or it is not that
    suggestion) and every column it names exists in the new data (a suggestion is never applied over a
    user's formula that still fits, e.g. after a column-type change). Otherwise the new data's suggestion.
    Derived in the same step as the data, so an old formula is never fitted to new data while the field's
    update travels to the browser and back."""
    if typed.data_key == data.key or typed.suggestion == data.suggested_formula:
        return typed.text
    if typed.by_user or typed.text != typed.suggestion:
        columns = formula_columns(typed.text)
        if columns and columns <= {str(c) for c in data.frame.columns}:
            return typed.text
    return data.suggested_formula


def _pairs(fixed, order: list[str]) -> list[str]:
    """Interaction labels of the fixed effects, each pair in the order of ``order`` (the choices)."""
    rank = {name: i for i, name in enumerate(order)}
    ordered = sorted(fixed, key=lambda name: rank.get(name, len(rank)))
    return [interaction_label(a, b) for a, b in combinations(ordered, 2)]


def _slot_ui(k: int, state: BuilderState, choices: Choices):
    slot = state.random[k - 1] if k <= len(state.random) else RandomSlot(_NONE)
    body = ui.div(
        ui.tags.b("Random effects" if k == 1 else f"Random effects {k}"),
        ui.input_select(
            f"re{k}_group",
            "grouping factor",
            [_NONE, *choices.grouping(state.response)],
            selected=slot.group,
        ),
        ui.input_select(f"re{k}_struct", "structure", STRUCTURES, selected=slot.structure, width="100%"),
        ui.input_selectize(
            f"re{k}_slopes",
            "slopes (covariates)",
            choices.slopes(state.response, slot.group),
            selected=list(slot.slopes),
            multiple=True,
            width="100%",
        ),
        ui.input_select(
            f"re{k}_inner",
            "inner factor (nested)",
            [_NONE, *choices.inner(state.response, slot.group)],
            selected=slot.inner,
        ),
        class_="lmm-slot border-top pt-2",
    )
    if k == 1:
        return body
    # A further slot shows once asked for, or when it holds a grouping factor (a typed or restored model).
    return ui.panel_conditional(f"input.add_slot >= {k - 1} || input.re{k}_group", body)


@module.ui
def model_controls_ui(initial_formula: str, frame: pd.DataFrame):
    state = state_from_formula(initial_formula) or BuilderState(_NONE)
    choices = Choices.of(frame)
    return ui.div(
        ui.tags.style(_STYLE),
        ui.tags.script(_DISABLE_JS),
        ui.tags.script(_ENTER_JS % resolve_id("formula")),
        ui.input_text(
            "formula",
            "Model formula (lme4 syntax; Enter applies)",
            value=initial_formula,
            width="100%",
            update_on="blur",
        ),
        ui.output_ui("formula_error"),
        ui.output_ui("suggestion"),
        ui.input_radio_buttons("method", None, {"REML": "REML", "ML": "ML"}, selected="REML", inline=True),
        ui.output_ui("builder_note"),
        ui.div(
            ui.input_select("response", "Response", choices.responses, selected=state.response),
            ui.input_selectize(
                "fixed",
                "Fixed effects",
                choices.predictors(state.response),
                selected=list(state.fixed),
                multiple=True,
                width="100%",
            ),
            ui.input_selectize(
                "interactions",
                "Interactions",
                _pairs(state.fixed, choices.columns),
                selected=list(state.interactions),
                multiple=True,
                width="100%",
            ),
            *[_slot_ui(k, state, choices) for k in SLOTS],
            ui.input_action_button(
                "add_slot", "Add a grouping factor", class_="btn-sm btn-outline-secondary"
            ),
            id=resolve_id("builder"),
            class_="lmm-builder",
        ),
        class_="lmm-model",
    )


_SLOT_PARTS = ("group", "struct", "slopes", "inner")
SLOT_IDS = tuple(f"re{k}_{part}" for k in SLOTS for part in _SLOT_PARTS)
CONTROL_IDS = ("response", "fixed", "interactions", *SLOT_IDS)
MULTI_CONTROLS = {"fixed", "interactions"} | {f"re{k}_slopes" for k in SLOTS}
CONTROL_LABELS = {"response": "Response", "fixed": "Fixed effects", "interactions": "Interactions"} | {
    f"re{k}_{part}": f"Random effects {k}: {part}" for k in SLOTS for part in _SLOT_PARTS
}


def control_value(value: object, cid: str) -> object:
    """A control's value in one spelling: names as text, a multiple selection as a sorted tuple (selectize
    reports the order of clicks); a forged shape raises :class:`~explorer.inputs.InputError`."""
    if cid in MULTI_CONTROLS:
        return tuple(sorted(inputs.choices(value, CONTROL_LABELS[cid], _any_names(value))))
    if cid.endswith("_struct"):
        return inputs.choice(value or "intercept", CONTROL_LABELS[cid], STRUCTURES)
    return inputs.text(value, CONTROL_LABELS[cid], max_len=10_000)


def _any_names(value: object) -> list[str]:
    """Every name in ``value`` (names are checked against the data's columns elsewhere, silently: a late
    answer of controls filled for the previous data holds that data's names)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, str)]
    return []


def control_values(state: BuilderState) -> dict[str, object]:
    """The value each control holds when it shows ``state`` (as :func:`control_value` spells it)."""
    values: dict[str, object] = {
        "response": state.response,
        "fixed": tuple(sorted(state.fixed)),
        "interactions": tuple(sorted(state.interactions)),
    }
    for k in SLOTS:
        slot = state.random[k - 1] if k <= len(state.random) else RandomSlot(_NONE)
        values |= {
            f"re{k}_group": slot.group,
            f"re{k}_struct": slot.structure,
            f"re{k}_slopes": tuple(sorted(slot.slopes)),
            f"re{k}_inner": slot.inner,
        }
    return values


def _in_choice_order(state: BuilderState, choices: Choices) -> BuilderState:
    """``state`` spelled as the controls show it: selections in the order of their choices, each
    interaction under the label its option has (``N:Temp`` is the option ``Temp:N`` when Temp comes
    first)."""
    predictors = choices.predictors(state.response)
    fixed = tuple(c for c in predictors if c in state.fixed)
    wanted = {frozenset(i.split(":")) for i in state.interactions}
    interactions = tuple(p for p in _pairs(fixed, choices.columns) if frozenset(p.split(":")) in wanted)
    random = []
    for slot in state.random:
        slopes = tuple(c for c in choices.slopes(state.response, slot.group) if c in slot.slopes)
        random.append(RandomSlot(slot.group, slot.structure, slopes, slot.inner))
    return BuilderState(state.response, fixed, interactions, tuple(random))


def representable(text: str, choices: Choices) -> BuilderState | None:
    """The builder state showing ``text``, or None when the controls cannot show it exactly: a column the
    controls do not offer in that role (a numeric grouping factor as in ``(1 | Temp)``, a text response, a
    code as a slope, a column beyond the offered ones). Pushing such a state would leave a control on
    another value, whose echo would write a different model into the formula."""
    state = state_from_formula(text)
    if state is None or not variables(state) <= set(choices.columns):
        return None
    if state.response not in choices.responses:
        return None
    for slot in state.random:
        if slot.group not in choices.grouping(state.response):
            return None
        if not set(slot.slopes) <= set(choices.slopes(state.response, slot.group)):
            return None
        if slot.inner and slot.inner not in choices.inner(state.response, slot.group):
            return None
    return state


def is_echo(current: dict, before: dict, after: dict) -> bool:
    """Every control shows its value from before a push or the pushed one: the push is still arriving."""
    return all(current[k] in (before[k], after[k]) for k in current)


def level_problem(text: str, data) -> str | None:
    """A message when the formula would put a factor of too many levels among the fixed effects (each
    level a column of X) or use one of more than ``MAX_GROUP_LEVELS`` levels as a grouping factor."""
    distinct = {c.name: c.distinct for c in data.columns}
    kinds = data.kinds
    fixed, groups = factor_uses(text)
    for name, wrapped in fixed.items():
        levels = distinct.get(name, 0)
        if (wrapped or kinds.get(name) == "factor") and levels > MAX_FIXED_LEVELS:
            return (
                f"'{name}' has {levels:,} levels: too many for a fixed effect (at most "
                f"{MAX_FIXED_LEVELS:,}); use it as a grouping factor, e.g. (1 | {name})."
            )
    for name in sorted(groups):
        if distinct.get(name, 0) > MAX_GROUP_LEVELS:
            return (
                f"'{name}' has {distinct[name]:,} levels: more than the {MAX_GROUP_LEVELS:,} a grouping "
                "factor may have here; group by a coarser column."
            )
    return None


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
    control_error: reactive.Value[str | None] = reactive.value(None)

    @reactive.calc
    def choices() -> Choices:
        return Choices.of_data(dataset())

    @reactive.calc
    def field() -> str:
        try:
            return inputs.text(input.formula(), "Model formula", max_len=10_000)
        except inputs.InputError as err:
            return f"<{err}>"  # parses to an error that says what was wrong

    @reactive.calc
    def formula() -> str:
        """The model's formula text: the field's, or the suggestion for data the field was not written for."""
        current = typed.get()
        if current is None:
            return field()
        return formula_for(current, dataset())

    def write_formula(text: str, data, by_user: bool) -> None:
        typed.set(TypedFormula(text, data.key, data.suggested_formula, by_user))
        with reactive.isolate():
            shown = field()
        if text != shown:
            pushed[text] = time.monotonic()
            ui.update_text("formula", value=text)

    @reactive.effect
    @reactive.event(input.formula)
    def _typed():
        text = field()
        with reactive.isolate():
            data, current = dataset(), typed.get()
        # A pushed text is an echo once: its first arrival is the browser's answer, a later one the user's.
        at = pushed.pop(text, None)
        if at is not None and time.monotonic() - at < ECHO_SECONDS and current and current.text != text:
            return  # the late echo of a formula pushed for other data
        if current and current.text == text and current.data_key == data.key:
            return  # the echo of the formula in use (pushed, or the page's first)
        typed.set(TypedFormula(text, data.key, data.suggested_formula, by_user=True))

    @reactive.effect
    @reactive.event(input.formula_entered)
    def _entered():
        """Enter on the field's formula makes it the user's even when the app wrote the same text there
        (the browser sends no change then)."""
        try:
            text = inputs.text(input.formula_entered(), "Model formula", max_len=10_000)
        except inputs.InputError:
            return
        with reactive.isolate():
            data, current = dataset(), typed.get()
        if current and current.text == text and current.data_key == data.key and not current.by_user:
            typed.set(replace(current, by_user=True))

    def raw_controls() -> dict[str, object] | None:
        """Every control's value (None when one holds a forged shape; the message says which)."""
        try:
            values = {cid: control_value(input[cid](), cid) for cid in CONTROL_IDS}
        except inputs.InputError as err:
            control_error.set(str(err))
            return None
        control_error.set(None)
        return values

    def state_of(values: dict[str, object]) -> BuilderState:
        slots = []
        for k in SLOTS:
            group = values[f"re{k}_group"]
            if group:
                part = {p: values[f"re{k}_{p}"] for p in ("struct", "slopes", "inner")}
                slots.append(RandomSlot(group, part["struct"], part["slopes"], part["inner"]))
        return BuilderState(values["response"], values["fixed"], values["interactions"], tuple(slots))

    def push_controls(state: BuilderState | None, choices: Choices) -> None:
        """Set every control (choices and values) to ``state``, or clear them when it is None."""
        shown = _in_choice_order(state, choices) if state is not None else BuilderState(_NONE)
        with reactive.isolate():
            before = raw_controls() or control_values(BuilderState(_NONE))
        responses = choices.responses if state is not None else [_NONE, *choices.responses]
        ui.update_select("response", choices=responses, selected=shown.response)
        predictors = choices.predictors(shown.response) if state is not None else []
        ui.update_selectize("fixed", choices=predictors, selected=list(shown.fixed))
        pairs = _pairs(shown.fixed, choices.columns)
        ui.update_selectize("interactions", choices=pairs, selected=list(shown.interactions))
        for k in SLOTS:
            slot = shown.random[k - 1] if k <= len(shown.random) else RandomSlot(_NONE)
            groups = choices.grouping(shown.response) if state is not None else []
            ui.update_select(f"re{k}_group", choices=[_NONE, *groups], selected=slot.group)
            ui.update_select(f"re{k}_struct", selected=slot.structure)
            slopes = choices.slopes(shown.response, slot.group) if slot.group else []
            ui.update_selectize(f"re{k}_slopes", choices=slopes, selected=list(slot.slopes))
            inner = choices.inner(shown.response, slot.group) if slot.group else []
            ui.update_select(f"re{k}_inner", choices=[_NONE, *inner], selected=slot.inner)
        transition[0] = (before, control_values(shown), time.monotonic() + ECHO_SECONDS)

    def sync_controls(text: str, choices: Choices) -> None:
        """Show ``text`` in the controls, or clear them if they cannot express it (a parse error leaves them
        as they are: the user is still typing)."""
        state = representable(text, choices)
        if state is None and formula_columns(text) is None:
            return
        with reactive.isolate():
            values = raw_controls()
        current = canonical(state_of(values)) if values else None
        if state is None and values and values == control_values(BuilderState(_NONE)):
            return
        if state is None or canonical(state) != current:
            push_controls(state, choices)

    @reactive.effect
    def _formula_for_new_data():
        data = dataset()
        with reactive.isolate():
            current, shown = typed.get(), field()
        if current is None:  # the page's first data: the field holds the formula written for them
            typed.set(TypedFormula(shown, data.key, data.suggested_formula))
            with reactive.isolate():
                sync_controls(shown, choices())
            return
        if current.data_key == data.key:
            return
        text = formula_for(current, data)
        write_formula(text, data, by_user=current.by_user and text == current.text)
        with reactive.isolate():
            sync_controls(text, choices())

    @reactive.effect
    @reactive.event(input.formula)
    def _formula_to_controls():
        with reactive.isolate():
            current_choices = choices()
        sync_controls(formula(), current_choices)

    builder_inputs = [input[cid] for cid in CONTROL_IDS]

    @reactive.effect
    @reactive.event(*builder_inputs, ignore_init=True)
    def _controls_to_formula():
        current = raw_controls()
        if current is None:
            return
        if transition[0] is not None:
            before, after, until = transition[0]
            if current == after:
                transition[0] = None
                return
            if is_echo(current, before, after) and time.monotonic() < until:
                return
            transition[0] = None  # a user's change after the push
        state = state_of(current)
        with reactive.isolate():
            text, data, offered = formula(), dataset(), choices()
        if not state.response or not variables(state) <= set(offered.columns):
            return  # the late echo of a push made for other data, or cleared controls: not a user's choice
        if canonical(state) != canonical(representable(text, offered)):
            # written in the order of the choices (selectize reports the order of clicks)
            write_formula(compose(_in_choice_order(state, offered)), data, by_user=True)

    @reactive.effect
    @reactive.event(input.response, ignore_init=True)
    def _predictor_choices():
        values = raw_controls()
        if values is None or not values["response"] or settling():
            return
        with reactive.isolate():
            offered = choices()
        response = values["response"]
        predictors = offered.predictors(response)
        kept = [f for f in values["fixed"] if f in predictors]
        ui.update_selectize("fixed", choices=predictors, selected=kept)

    @reactive.effect
    @reactive.event(input.fixed, ignore_init=True)
    def _interaction_choices():
        values = raw_controls()
        if values is None or settling():
            return
        with reactive.isolate():
            order = choices().columns
        pairs = _pairs(values["fixed"], order)
        kept = [i for i in values["interactions"] if i in pairs]
        ui.update_selectize("interactions", choices=pairs, selected=kept)

    def settling() -> bool:
        """A push is still arriving: its own values fill the dependent choices."""
        return transition[0] is not None and time.monotonic() < transition[0][2]

    for k in SLOTS:
        _slot_choices_server(k, input, choices, raw_controls, settling)

    @reactive.calc
    def model() -> ModelChoice:
        text = formula()
        try:
            reml = inputs.choice(input.method(), "Criterion (REML or ML)", ("REML", "ML")) == "REML"
        except inputs.InputError as err:
            return ModelChoice(text, True, str(err))
        try:
            engine.parse_formula(text)
        except engine.LmmError as err:
            return ModelChoice(text, reml, str(err))
        problem = level_problem(text, dataset())
        return ModelChoice(text, reml, problem)

    @reactive.calc
    def expressible() -> bool:
        return model().error is not None or representable(formula(), choices()) is not None

    @reactive.effect
    async def _disable_controls():
        await session.send_custom_message(
            "lmm-builder-disabled", {"id": resolve_id("builder"), "disabled": not expressible()}
        )

    @reactive.effect
    @reactive.event(input.use_suggestion)
    def _use_suggestion():
        with reactive.isolate():
            data, offered = dataset(), choices()
        if data.suggested_formula:
            write_formula(data.suggested_formula, data, by_user=False)
            sync_controls(data.suggested_formula, offered)

    @render.ui
    def formula_error():
        message = model().error or fit_error()
        if not message:
            return None
        return ui.pre(message, class_="alert alert-danger py-1 px-2 small lmm-formula-error")

    @render.ui
    def suggestion():
        data = dataset()
        if not data.suggestion_reason:
            return None
        if not data.suggested_formula:
            return ui.p(data.suggestion_reason, class_="small text-muted lmm-suggestion")
        in_use = same_model(formula(), data.suggested_formula)
        head = "Suggested model (in use)" if in_use else "Suggested model"
        return ui.div(
            ui.tags.b(f"{head}: "),
            ui.tags.code(data.suggested_formula),
            ui.div(data.suggestion_reason, class_="text-muted"),
            None
            if in_use
            else ui.input_action_button("use_suggestion", "Use the suggested model", class_="btn-sm mt-1"),
            class_="small border rounded p-2 mb-2 lmm-suggestion",
        )

    @render.ui
    def builder_note():
        offered = choices()
        notes = []
        if control_error.get():
            notes.append(control_error.get())
        if model().error is None and representable(formula(), offered) is None:
            notes.append(
                "The controls below cannot express this formula, so they are cleared and disabled; the "
                "formula is fitted as written. Edit it, or use the suggested model, to build with them."
            )
        if offered.capped:
            notes.append(
                f"The controls offer the first {len(offered.columns)} of {offered.total:,} columns; type the "
                "formula to use the others."
            )
        return ui.div(*[ui.p(n, class_="small text-muted mb-1") for n in notes]) if notes else None

    return model


def _slot_choices_server(k: int, input, choices, raw_controls, settling) -> None:
    """A slot's slopes and inner factor offer the columns that fit its grouping factor."""

    @reactive.effect
    @reactive.event(input[f"re{k}_group"], input.response, ignore_init=True)
    def _slot_choices():
        values = raw_controls()
        if values is None or settling():
            return
        with reactive.isolate():
            offered = choices()
        response, group = values["response"], values[f"re{k}_group"]
        if not response:
            return
        slopes = offered.slopes(response, group) if group else []
        kept = [s for s in values[f"re{k}_slopes"] if s in slopes]
        ui.update_selectize(f"re{k}_slopes", choices=slopes, selected=kept)
        inner = offered.inner(response, group) if group else []
        keep_inner = values[f"re{k}_inner"] if values[f"re{k}_inner"] in inner else _NONE
        ui.update_select(f"re{k}_inner", choices=[_NONE, *inner], selected=keep_inner)
