"""Reading runs in a child process with memory and time limits, so a hostile file cannot take a
worker down: the child is killed on overrun and started afresh for the next document.

The child is long-lived (imports OpenCV, tesseract and the models once) and serves one document at
a time over a pipe. PDFium is not thread-safe, so one child reads one document at a time.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import resource
import signal
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from kopplingar import logs

ReadFunction = Callable[[bytes, str], Any]


class ReadCancelledError(Exception):
    """The caller gave up waiting (shutting down): the child was stopped, nothing was read."""


class ReadFailedError(Exception):
    """The child could not read the document: ``code`` is ``timeout``, ``crashed`` or ``error``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _load(target: str) -> ReadFunction:
    module_name, _, attribute = target.partition(":")
    function: ReadFunction = getattr(importlib.import_module(module_name), attribute)
    return function


def _serve(connection: Connection, target: str, memory_bytes: int) -> None:
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    # Shutdown is the worker's to manage: Ctrl-C and systemd signal the whole process group, and
    # a reader that died of it would look like a crash on the document (sent to a person).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logs.configure()  # the parent's choice, through the environment
    function = _load(target)
    while True:
        try:
            request = connection.recv()
        except EOFError:
            return
        if request is None:
            return
        data, name, context = request
        try:
            with logs.bound(**context):
                result = function(data, name)
            connection.send(("ok", result))
        except MemoryError:
            connection.send(("error", "too_large", "the document needs more memory than allowed"))
        except Exception as error:  # every failure is reported; the worker decides what it means
            code = getattr(error, "code", "error")
            message = getattr(error, "message", None) or f"{type(error).__name__}: {error}"
            connection.send(
                (
                    "error",
                    str(code),
                    str(message)[:2000] + "\n" + traceback.format_exc(limit=3)[-2000:],
                )
            )


class ReaderProcess:
    def __init__(self, target: str, *, timeout: float = 120.0, memory_mb: int = 2048) -> None:
        self.target, self.timeout, self.memory_bytes = target, timeout, memory_mb * 1024 * 1024
        self._context = multiprocessing.get_context("spawn")
        self._process: Any = None
        self._connection: Connection | None = None

    def _start(self) -> Connection:
        parent, child = self._context.Pipe()
        self._process = self._context.Process(
            target=_serve,
            args=(child, self.target, self.memory_bytes),
            daemon=True,
            name="kopplingar-reader",
        )
        self._process.start()
        child.close()
        self._connection = parent
        return parent

    def read(self, data: bytes, name: str, *, abandon: Callable[[], bool] | None = None) -> Any:
        """Read one document in the child. ``abandon`` is asked while waiting: when it answers
        True (the worker is shutting down) the child is stopped and ReadCancelledError raised."""
        connection = self._connection if self._alive() else self._start()
        assert connection is not None
        try:
            connection.send((data, name, logs.current()))
            if not self._wait(connection, abandon):
                self._kill()
                raise ReadFailedError("timeout", f"reading took more than {self.timeout:.0f} s")
            status, *payload = connection.recv()
        except (EOFError, BrokenPipeError, ConnectionResetError) as error:
            exit_code = self._process.exitcode if self._process else None
            self._kill()
            raise ReadFailedError(
                "crashed", f"the reader process died ({exit_code}): {error!r}"
            ) from None
        if status == "ok":
            return payload[0]
        raise ReadFailedError(payload[0], payload[1])

    def _wait(self, connection: Connection, abandon: Callable[[], bool] | None) -> bool:
        """True when the answer is there; False on timeout."""
        if abandon is None:
            return connection.poll(self.timeout)
        deadline = time.monotonic() + self.timeout
        while (left := deadline - time.monotonic()) > 0:
            if connection.poll(min(left, 0.2)):
                return True
            if abandon():
                self._kill()
                raise ReadCancelledError("reading abandoned: shutting down")
        return False

    def _alive(self) -> bool:
        return (
            self._process is not None and self._process.is_alive() and self._connection is not None
        )

    def _kill(self) -> None:
        if self._process is not None and self._process.is_alive():
            self._process.kill()
        if self._process is not None:
            self._process.join(timeout=5)
        if self._connection is not None:
            self._connection.close()
        self._process, self._connection = None, None

    def close(self) -> None:
        if self._alive() and self._connection is not None:
            try:
                self._connection.send(None)
                self._process.join(timeout=5)
            except (BrokenPipeError, OSError):
                pass
        self._kill()

    def __enter__(self) -> ReaderProcess:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
