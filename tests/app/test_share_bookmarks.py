"""What a link saves of the page's inputs: selectize inputs as lists (shiny 1.8 restores their choices
from the saved value), the upload by its sha256 only when the view uses it."""

from __future__ import annotations

import hashlib

from explorer.share.bookmarks import selectize_inputs, selectize_serializer, upload_serializer
from explorer.share.store import ShareSettings, ShareStore
from shiny import ui
from shiny.bookmark import Unserializable
from shiny.bookmark._restore_state import RestoreContext, RestoreInputSet, restore_context

from tests.event_loops import run_on_own_loop


def _page():
    return ui.page_fluid(
        ui.input_selectize("one", "One", choices=["a", "b"]),
        ui.input_selectize("many", "Many", choices=["a", "b"], multiple=True),
        ui.input_select("plain", "Plain", choices=["a", "b"]),
    )


def _run(coroutine):
    return run_on_own_loop(coroutine)


def test_the_pages_selectize_inputs_are_found_with_whether_they_are_multiple():
    assert selectize_inputs(str(_page())) == {"one": False, "many": True}


def test_saved_selectize_values_restore_a_page_that_shiny_would_otherwise_break():
    saved = {
        "one": _run(selectize_serializer(False)("b", None)),
        "many": _run(selectize_serializer(True)(None, None)),
    }
    assert saved == {"one": ["b"], "many": []}
    assert isinstance(_run(selectize_serializer(False)("", None)), Unserializable)
    context = RestoreContext()
    context.active = True
    context.input = RestoreInputSet(saved)
    with restore_context(context):
        page = str(_page())
    assert '<option value="b" selected="">b</option>' in page


class _Inputs(dict):
    def __getitem__(self, name):
        value = dict.__getitem__(self, str(name))
        return lambda: value


def test_the_upload_is_kept_by_its_sha256_only_when_the_view_uses_it(tmp_path):
    store = ShareStore(ShareSettings(tmp_path / "shared"))
    upload = tmp_path / "0.csv"
    upload.write_bytes(b"y,g\n1,a\n")
    value = [{"name": "my data.csv", "size": 8, "type": "text/csv", "datapath": str(upload)}]
    link = store.save_dir("abcdef01")
    kept = _run(upload_serializer(_Inputs({"data-source": "upload"}), store)(value, link))
    digest = hashlib.sha256(b"y,g\n1,a\n").hexdigest()
    assert kept == [{**value[0], "datapath": digest}]
    assert (link / digest).read_bytes() == b"y,g\n1,a\n"
    unused = _run(upload_serializer(_Inputs({"data-source": "examples"}), store)(value, store.save_dir("b")))
    assert isinstance(unused, Unserializable)


class _Request:
    def __init__(self, query: dict):
        self.query_params = query


def test_a_plain_visit_gets_the_page_built_once_and_a_link_its_own(monkeypatch):
    from explorer.share import bookmarks

    monkeypatch.setattr(bookmarks, "_default_page", [])
    built = []

    def build():
        built.append(object())
        return built[-1]

    plain = [bookmarks.page_for(_Request({}), build) for _ in range(3)]
    assert len(built) == 1 and plain == [built[0]] * 3
    linked = bookmarks.page_for(_Request({"_state_id_": "0123456789abcdef"}), build)
    assert len(built) == 2 and linked is built[1]
