"""Page images of cases for the desk: rendered in the sandbox child, cached as PNG files on disk.

Cache files live under ``$KOPPLINGAR_HOME/previews/`` named by the document's SHA-256 key and the
page, so two cases of the same document share them and a file never goes stale (the documents
are content-addressed). A document the sandbox could not render leaves a small ``.failed`` file,
so one hostile file does not keep the child busy page view after page view.
"""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path

from kopplingar.forms import preview
from kopplingar.intake.rawstore import RawStore
from kopplingar.queue.sandbox import ReaderProcess, ReadFailedError

VERSION = "v1"  # bump when the rendering changes


class PreviewUnavailableError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class Previews:
    def __init__(
        self, folder: Path, documents: RawStore, *, timeout: float, memory_mb: int
    ) -> None:
        self.folder, self.documents = folder, documents
        self.timeout, self.memory_mb = timeout, memory_mb
        self._lock = threading.Lock()  # one child, one document at a time (PDFium)
        self._child: ReaderProcess | None = None

    def _path(self, storage_key: str, page: int) -> Path:
        if len(storage_key) != 64 or any(c not in "0123456789abcdef" for c in storage_key):
            raise PreviewUnavailableError("missing")
        return self.folder / storage_key[:2] / f"{storage_key}-p{page}-{VERSION}.png"

    def png(self, storage_key: str | None, page: int | None) -> Path:
        """The cached PNG of the page (1-based), rendering it first if needed."""
        if storage_key is None:
            raise PreviewUnavailableError("missing")
        page = page if page and page > 0 else 1
        path = self._path(storage_key, page)
        failed = path.with_suffix(".failed")
        if path.exists():
            return path
        if failed.exists():
            raise PreviewUnavailableError(failed.read_text()[:40] or "error")
        with self._lock:
            if path.exists():
                return path
            try:
                data = self.documents.get(storage_key)
            except KeyError:
                raise PreviewUnavailableError("missing") from None
            try:
                png = self._sandbox().read(data, preview.request_name(page, None))
            except ReadFailedError as error:
                self._write(failed, error.code.encode())
                raise PreviewUnavailableError(error.code) from None
            if not isinstance(png, bytes) or not png.startswith(b"\x89PNG"):
                raise PreviewUnavailableError("error")
            self._write(path, png)
            return path

    def _sandbox(self) -> ReaderProcess:
        if self._child is None:
            self._child = ReaderProcess(
                preview.TARGET, timeout=self.timeout, memory_mb=self.memory_mb
            )
        return self._child

    def _write(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def close(self) -> None:
        with self._lock:
            if self._child is not None:
                self._child.close()
                self._child = None
