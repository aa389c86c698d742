"""The upload inputs as a forged message could set them: the file input's value (any path on the server),
the sheet, the missing-value strings and the column types field; each gives a message naming the input."""

from __future__ import annotations

import json

import pytest
from explorer.inputs import InputError
from explorer.panels.data_panel import upload_request, with_type
from explorer.upload.file_input import uploaded_file
from explorer.upload.jobs import UploadRequest


@pytest.fixture
def upload(tmp_path):
    path = tmp_path / "fileupload-x" / "0.csv"
    path.parent.mkdir()
    path.write_text("y,g\n1,a\n2,a\n")
    return [{"name": "trial.csv", "size": 12, "type": "text/csv", "datapath": str(path)}], tmp_path


def test_a_real_upload_is_accepted(upload):
    value, root = upload
    assert uploaded_file(value, temp_root=str(root)) == ("trial.csv", value[0]["datapath"])
    assert uploaded_file(None) is None and uploaded_file([]) is None


@pytest.mark.parametrize(
    "forged",
    [
        "a text",
        {"name": "x.csv"},
        [1, 2],
        [{"name": 3, "datapath": "/tmp/x"}],
        [{"name": "x.csv", "datapath": "/etc/passwd"}],
    ],
)
def test_forged_file_values_are_refused(upload, forged):
    _, root = upload
    with pytest.raises(InputError, match="Data file"):
        uploaded_file(forged, temp_root=str(root))


def test_a_link_or_another_type_of_file_is_refused(upload, tmp_path):
    value, root = upload
    link = tmp_path / "fileupload-x" / "1.csv"
    link.symlink_to("/etc/hostname")
    with pytest.raises(InputError, match="upload it again"):
        uploaded_file([{"name": "x.csv", "datapath": str(link)}], temp_root=str(root))
    with pytest.raises(InputError, match="is not a"):
        uploaded_file([{"name": "x.exe", "datapath": value[0]["datapath"]}], temp_root=str(root))


def test_upload_request_validates_every_field(upload, monkeypatch):
    value, root = upload
    monkeypatch.setattr("tempfile.gettempdir", lambda: str(root))
    request = upload_request(value, "Data", ".,  -99", '{"g": "factor"}')
    assert request == UploadRequest(
        "trial.csv", value[0]["datapath"], "Data", ("NA", ".", "-99"), '{"g": "factor"}'
    )
    assert "Sheet" in upload_request(value, ["Data"], "", "")
    assert "Other missing-value strings" in upload_request(value, "", {"a": 1}, "")
    assert "Column types" in upload_request(value, "", "", 12)
    assert upload_request(None, "", "", "") is None


def test_type_settings_are_written_as_json_and_dropped_when_back_to_the_type_read():
    text = with_type("", "Diet", "factor", "numeric")
    assert json.loads(text) == {"Diet": "factor"}
    both = with_type(text, "when", "factor", "date")
    assert json.loads(both) == {"Diet": "factor", "when": "factor"}
    assert json.loads(with_type(both, "Diet", "numeric", "numeric")) == {"when": "factor"}
    assert with_type("[not json", "Diet", "numeric", "numeric") == ""
