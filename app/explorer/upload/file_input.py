"""The file input's value checked before a byte is read: a forged message can set it to anything, including
a path to any file on the server."""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..inputs import InputError
from .reading import ACCEPTED

LABEL = "Data file"


def uploaded_file(value: object, temp_root: str | None = None) -> tuple[str, str] | None:
    """(file name, path) of the uploaded file, or None when there is none yet.

    Shiny writes uploads (and files restored from a shared link) under the temporary directory; a path
    elsewhere, a link, or a value that is not the input's list of file records is refused.
    """
    if value is None or value == [] or value == ():
        return None
    if not isinstance(value, (list, tuple)) or not isinstance(value[0], dict):
        raise InputError(f"{LABEL}: upload a file with the button.")
    info = value[0]
    name, datapath = info.get("name"), info.get("datapath")
    if not isinstance(name, str) or not isinstance(datapath, str) or not name or len(name) > 255:
        raise InputError(f"{LABEL}: upload a file with the button.")
    root = Path(temp_root or tempfile.gettempdir()).resolve()
    path = Path(datapath)
    if path.is_symlink() or not path.is_file() or root not in path.resolve().parents:
        raise InputError(f"{LABEL}: the uploaded file is gone; upload it again.")
    if not name.lower().endswith(ACCEPTED):
        raise InputError(f"{LABEL}: '{name[:60]}' is not a {', '.join(ACCEPTED)} file.")
    return name, str(path)
