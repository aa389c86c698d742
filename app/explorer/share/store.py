"""Where shared links live on the server: Shiny's bookmarks plus a content-addressed store of uploads.

Layout of the share directory (env ``LMM_SHARE_DIR``; a Docker volume at ``/data/shared``)::

    links/<id>/input.json, values.json    Shiny's server bookmark of one "Share link" click
    links/<id>/<sha256>                   hard link to the uploaded file the view was fitted to
    uploads/<sha256>                      the bytes of an upload, stored once whatever its name

A link expires ``LMM_SHARE_DAYS`` (default 30) days after it was made; an upload expires the same time
after it was last shared, so it outlives every link to it unless the size cap (``LMM_SHARE_MAX_MB``, total;
``LMM_SHARE_MAX_FILE_MB`` per file) evicts it first, oldest first, with the links' copies. Hard links, not
symlinks: Shiny restores only regular files inside the link's folder, and a link shares the bytes (counted
once). A link whose folder or upload is gone is answered with :data:`EXPIRED` (an empty bookmark that
carries only a message), never with an error.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

DIR_ENV = "LMM_SHARE_DIR"
DAYS_ENV = "LMM_SHARE_DAYS"
TOTAL_ENV = "LMM_SHARE_MAX_MB"
FILE_ENV = "LMM_SHARE_MAX_FILE_MB"
PROBLEM_KEY = "lmm_link_problem"
UPLOAD_KEY = "data-upload"
EXPIRED = "expired"
_DAY = 86400.0
_CHUNK = 1 << 20


class ShareError(RuntimeError):
    """A file cannot be kept for a link (too large, or the store is full); the message says which."""


def _number_env(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        return default
    return value if value > 0 else default


def default_directory() -> Path:
    """``$XDG_CACHE_HOME/lmm-explorer/shared`` (``~/.cache`` when unset), the user's cache folder."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "lmm-explorer" / "shared"


@dataclass(frozen=True)
class ShareSettings:
    """Where links are kept, for how long, and how much space they may take."""

    directory: Path
    keep_days: float = 30.0
    max_total_bytes: int = 2 * 1024**3
    max_file_bytes: int = 50 * 1024**2

    @staticmethod
    def from_env() -> ShareSettings:
        directory = os.environ.get(DIR_ENV, "").strip()
        return ShareSettings(
            Path(directory) if directory else default_directory(),
            keep_days=_number_env(DAYS_ENV, 30.0),
            max_total_bytes=int(_number_env(TOTAL_ENV, 2048.0) * 1024**2),
            max_file_bytes=int(_number_env(FILE_ENV, 50.0) * 1024**2),
        )

    @property
    def note(self) -> str:
        """What the page says next to the button."""
        days = f"{self.keep_days:g} day" + ("" if self.keep_days == 1 else "s")
        return f"Uploaded data are kept on this server for {days} so the link works."


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class ShareStore:
    """The share directory: save and restore folders for Shiny's server bookmarks, uploads, the sweep."""

    def __init__(self, settings: ShareSettings):
        self.settings = settings
        self.links = settings.directory / "links"
        self.uploads = settings.directory / "uploads"
        self._lock = threading.Lock()

    def save_dir(self, id: str) -> Path:
        """A new link's folder (Shiny validated ``id`` as one safe path segment)."""
        folder = self.links / id
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def restore_dir(self, id: str) -> Path:
        """The link's folder, or the expired stand-in when the folder or a file it refers to is gone."""
        folder = self.links / id
        if self.is_complete(folder):
            return folder
        return self.expired_dir()

    @staticmethod
    def is_complete(folder: Path) -> bool:
        """The link's state and every file its upload input names are there."""
        state = folder / "input.json"
        if not state.is_file():
            return False
        try:
            files = json.loads(state.read_text()).get(UPLOAD_KEY) or []
            names = [str(info["datapath"]) for info in files]
        except (ValueError, TypeError, KeyError, AttributeError):
            return False
        return all(Path(name).name == name and (folder / name).is_file() for name in names)

    def expired_dir(self) -> Path:
        """An empty bookmark that carries only the message: the app opens with its default view."""
        folder = self.settings.directory / EXPIRED
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "input.json").write_text("{}")
        message = (
            "This shared link has expired or was not made on this server (links and their uploaded data "
            f"are kept {self.settings.keep_days:g} days). The app opened with its default data instead."
        )
        (folder / "values.json").write_text(json.dumps({PROBLEM_KEY: message}))
        return folder

    def keep_upload(self, path: Path, link_dir: Path) -> str:
        """Store an uploaded file under its sha256 (once), refresh its expiry and point the link at it.

        Returns the name the link's folder knows it by (the sha256). Raises :class:`ShareError` when the file
        is over the per-file cap or the store cannot make room for it.
        """
        size = path.stat().st_size
        if size > self.settings.max_file_bytes:
            cap = self.settings.max_file_bytes / 1024**2
            raise ShareError(
                f"The uploaded file ({size / 1024**2:.1f} MB) is over the {cap:g} MB that can be kept for a "
                "link; share a smaller file."
            )
        digest = sha256_of(path)
        stored = self.uploads / digest
        with self._lock:
            if not stored.exists():
                self._make_room(size)
                self.uploads.mkdir(parents=True, exist_ok=True)
                partial = stored.with_suffix(".part")
                shutil.copyfile(path, partial)
                partial.replace(stored)
            os.utime(stored)
        link = link_dir / digest
        if not link.exists():
            try:
                os.link(stored, link)
            except OSError:  # a file system without hard links: a copy
                shutil.copyfile(stored, link)
        return digest

    def _make_room(self, size: int) -> None:
        """Evict the least recently shared uploads until ``size`` more bytes fit under the total cap."""
        if size > self.settings.max_total_bytes:
            raise ShareError(
                "The server's space for shared data is too small for this file; share less data."
            )
        files = (
            sorted(self.uploads.glob("*"), key=lambda p: p.stat().st_mtime) if self.uploads.exists() else []
        )
        used = sum(p.stat().st_size for p in files)
        while files and used + size > self.settings.max_total_bytes:
            oldest = files.pop(0)
            used -= oldest.stat().st_size
            oldest.unlink(missing_ok=True)
            for copy in self.links.glob(f"*/{oldest.name}"):
                copy.unlink(missing_ok=True)  # its links now open the expired stand-in

    def sweep(self, now: float | None = None) -> int:
        """Delete links and uploads past their expiry; returns how many entries were removed."""
        cutoff = (time.time() if now is None else now) - self.settings.keep_days * _DAY
        removed = 0
        with self._lock:
            for folder in self.links.glob("*") if self.links.exists() else []:
                if folder.stat().st_mtime < cutoff:
                    shutil.rmtree(folder, ignore_errors=True)
                    removed += 1
            for upload in self.uploads.glob("*") if self.uploads.exists() else []:
                if upload.stat().st_mtime < cutoff:
                    upload.unlink(missing_ok=True)
                    removed += 1
        return removed

    def sweep_periodically(self, every_seconds: float = 3600.0) -> threading.Thread:
        """Sweep now and then every ``every_seconds`` in a daemon thread (never on the event loop)."""

        def loop() -> None:
            while True:
                self.sweep()
                time.sleep(every_seconds)

        thread = threading.Thread(target=loop, name="lmm-share-sweep", daemon=True)
        thread.start()
        return thread
