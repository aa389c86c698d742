"""The share store: content-addressed uploads, link folders, expiry, size caps and the expired stand-in."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest
from explorer.share.store import PROBLEM_KEY, ShareError, ShareSettings, ShareStore, default_directory

DAY = 86400.0


def _store(tmp_path: Path, **settings) -> ShareStore:
    return ShareStore(ShareSettings(tmp_path / "shared", **settings))


def _upload(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_an_upload_is_stored_once_under_its_sha256_and_linked_from_each_link(tmp_path):
    store = _store(tmp_path)
    content = b"y,x,g\n1,2,a\n3,4,b\n"
    digest = hashlib.sha256(content).hexdigest()
    first, second = store.save_dir("aaaa1111"), store.save_dir("bbbb2222")
    for folder in (first, second):
        (folder / "input.json").write_text("{}")
    assert store.keep_upload(_upload(tmp_path, "one name.csv", content), first) == digest
    assert store.keep_upload(_upload(tmp_path, "other.csv", content), second) == digest
    assert [p.name for p in store.uploads.iterdir()] == [digest]
    assert (first / digest).read_bytes() == content  # the link's folder reaches the bytes
    assert (second / digest).stat().st_ino == (store.uploads / digest).stat().st_ino  # bytes kept once
    assert not (second / digest).is_symlink()  # Shiny restores only regular files of the folder
    assert store.restore_dir("aaaa1111") == first


def _link_with_upload(store: ShareStore, tmp_path: Path, id: str, content: bytes) -> tuple[Path, str]:
    folder = store.save_dir(id)
    digest = store.keep_upload(_upload(tmp_path, f"{id}.csv", content), folder)
    upload = [{"name": f"{id}.csv", "size": len(content), "type": "text/csv", "datapath": digest}]
    (folder / "input.json").write_text(json.dumps({"data-source": "upload", "data-upload": upload}))
    return folder, digest


def test_a_link_whose_upload_is_gone_restores_the_expired_stand_in(tmp_path):
    store = _store(tmp_path, keep_days=30)
    folder, digest = _link_with_upload(store, tmp_path, "cccc3333", b"a,b\n1,2\n")
    (store.uploads / digest).unlink()
    assert store.restore_dir("cccc3333") == folder  # the link's own copy still holds the bytes
    (folder / digest).unlink()
    stand_in = store.restore_dir("cccc3333")
    assert stand_in != folder
    assert json.loads((stand_in / "input.json").read_text()) == {}
    message = json.loads((stand_in / "values.json").read_text())[PROBLEM_KEY]
    assert "expired" in message and "30 days" in message
    assert store.restore_dir("never0made") == stand_in  # an unknown id too
    (folder / "input.json").write_text('{"data-upload": [{"datapath": "../../etc/passwd"}]}')
    assert store.restore_dir("cccc3333") == stand_in  # a path out of the folder is never restored


def test_sweep_removes_links_and_uploads_past_their_expiry_only(tmp_path):
    store = _store(tmp_path, keep_days=30)
    old, new = store.save_dir("old00000"), store.save_dir("new00000")
    for folder in (old, new):
        (folder / "input.json").write_text("{}")
    old_digest = store.keep_upload(_upload(tmp_path, "o.csv", b"old\n1\n"), old)
    new_digest = store.keep_upload(_upload(tmp_path, "n.csv", b"new\n2\n"), new)
    long_ago = time.time() - 31 * DAY
    os.utime(old, (long_ago, long_ago))
    os.utime(store.uploads / old_digest, (long_ago, long_ago))
    assert store.sweep() == 2
    assert not old.exists() and not (store.uploads / old_digest).exists()
    assert new.exists() and (store.uploads / new_digest).exists()
    assert store.sweep(now=time.time() + 29 * DAY) == 0  # 29 more days: nothing else is due


def test_sharing_an_upload_again_refreshes_its_expiry(tmp_path):
    store = _store(tmp_path, keep_days=30)
    content = b"v\n1\n"
    first = store.save_dir("first000")
    digest = store.keep_upload(_upload(tmp_path, "v.csv", content), first)
    long_ago = time.time() - 29 * DAY
    os.utime(store.uploads / digest, (long_ago, long_ago))
    store.keep_upload(_upload(tmp_path, "v.csv", content), store.save_dir("second00"))
    assert time.time() - (store.uploads / digest).stat().st_mtime < 60


def test_per_file_cap_refuses_with_a_message(tmp_path):
    store = _store(tmp_path, max_file_bytes=10)
    with pytest.raises(ShareError, match="over the .* MB that can be kept"):
        store.keep_upload(_upload(tmp_path, "big.csv", b"x" * 11), store.save_dir("big00000"))


def test_total_cap_evicts_the_least_recently_shared_upload_with_its_links(tmp_path):
    store = _store(tmp_path, max_total_bytes=25)
    old_link, older = _link_with_upload(store, tmp_path, "a0000000", b"a" * 10)
    os.utime(store.uploads / older, (time.time() - 100, time.time() - 100))
    _, newer = _link_with_upload(store, tmp_path, "b0000000", b"b" * 10)
    _, third = _link_with_upload(store, tmp_path, "c0000000", b"c" * 10)
    assert sorted(p.name for p in store.uploads.iterdir()) == sorted([newer, third])
    assert not (old_link / older).exists()
    assert store.restore_dir("a0000000") == store.expired_dir()
    assert store.restore_dir("b0000000") == store.links / "b0000000"
    with pytest.raises(ShareError, match="too small for this file"):
        store.keep_upload(_upload(tmp_path, "d.csv", b"d" * 26), store.save_dir("d0000000"))
    assert len(list(store.uploads.iterdir())) == 2  # nothing evicted for a file that cannot fit


def test_settings_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("LMM_SHARE_DIR", str(tmp_path / "vol"))
    monkeypatch.setenv("LMM_SHARE_DAYS", "7")
    monkeypatch.setenv("LMM_SHARE_MAX_MB", "100")
    monkeypatch.setenv("LMM_SHARE_MAX_FILE_MB", "not a number")
    settings = ShareSettings.from_env()
    assert settings.directory == tmp_path / "vol"
    assert settings.keep_days == 7
    assert settings.max_total_bytes == 100 * 1024**2
    assert settings.max_file_bytes == 50 * 1024**2  # a bad value falls back to the default
    assert settings.note == "Uploaded data are kept on this server for 7 days so the link works."
    monkeypatch.delenv("LMM_SHARE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert ShareSettings.from_env().directory == default_directory() == tmp_path / "cache/lmm-explorer/shared"
