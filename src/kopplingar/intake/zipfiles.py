"""Safe expansion of zip attachments: every limit is checked before and while bytes are inflated.

Checked: entry count, declared and actual sizes (headers can lie), compression ratio, path traversal
in names, encrypted entries, overlapping entries (CVE-2024-0450, one compressed body shared by many
entries) and corrupt archives. A failure raises :class:`ZipRejectedError` with a reason code.
"""

from __future__ import annotations

import io
import itertools
import struct
import zipfile
from dataclasses import dataclass

_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")


@dataclass(frozen=True)
class ZipLimits:
    max_entries: int = 100
    max_total_bytes: int = 100_000_000
    max_ratio: int = 200


@dataclass(frozen=True)
class ZipEntry:
    name: str
    data: bytes


class ZipRejectedError(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def is_unsafe_name(name: str) -> bool:
    """Absolute, drive-qualified, backslashed, NUL-carrying or ``..``-climbing names."""
    if not name or "\x00" in name or "\\" in name or name.startswith("/"):
        return True
    if len(name) >= 2 and name[1] == ":":
        return True
    return any(part == ".." for part in name.split("/"))


def expand_zip(data: bytes, limits: ZipLimits) -> list[ZipEntry]:
    """The file entries of a zip archive, or :class:`ZipRejectedError` if any limit is broken."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        raise ZipRejectedError("zip_corrupt", str(exc)) from exc
    if len(infos) > limits.max_entries:
        raise ZipRejectedError("zip_too_many_entries", f"{len(infos)} entries")
    _check_headers(infos, limits)
    _check_no_overlap(data, infos)
    entries: list[ZipEntry] = []
    total = 0
    for info in infos:
        if info.is_dir():
            continue
        budget = min(info.file_size, limits.max_total_bytes - total)
        try:
            with archive.open(info) as stream:
                body = stream.read(budget + 1)
        except (zipfile.BadZipFile, NotImplementedError, ValueError, EOFError, OSError) as exc:
            raise ZipRejectedError("zip_corrupt", f"{info.filename!r}: {exc}") from exc
        except RuntimeError as exc:  # zipfile raises RuntimeError for encrypted entries
            raise ZipRejectedError("zip_encrypted", f"{info.filename!r}: {exc}") from exc
        if len(body) > budget:
            raise ZipRejectedError(
                "zip_bomb", f"{info.filename!r} inflates beyond its declared size"
            )
        total += len(body)
        entries.append(ZipEntry(name=info.filename, data=body))
    return entries


def _check_headers(infos: list[zipfile.ZipInfo], limits: ZipLimits) -> None:
    total = 0
    for info in infos:
        if is_unsafe_name(info.filename):
            raise ZipRejectedError("zip_traversal", f"unsafe entry name {info.filename!r}")
        if info.flag_bits & 0x1:
            raise ZipRejectedError("zip_encrypted", f"{info.filename!r} is encrypted")
        total += info.file_size
        if total > limits.max_total_bytes:
            raise ZipRejectedError("zip_bomb", f"declared total {total} bytes over the limit")
        if info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise ZipRejectedError(
                "zip_bomb",
                f"{info.filename!r} ratio {info.file_size}/{info.compress_size} over the limit",
            )


def _check_no_overlap(data: bytes, infos: list[zipfile.ZipInfo]) -> None:
    spans: list[tuple[int, int, str]] = []
    for info in infos:
        start = info.header_offset
        header = data[start : start + _LOCAL_HEADER.size]
        if len(header) < _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
            raise ZipRejectedError("zip_corrupt", f"{info.filename!r}: bad local header")
        fields = _LOCAL_HEADER.unpack(header)
        name_len, extra_len = fields[-2], fields[-1]
        end = start + _LOCAL_HEADER.size + name_len + extra_len + info.compress_size
        spans.append((start, end, info.filename))
    spans.sort()
    for (_, end, name), (next_start, _, next_name) in itertools.pairwise(spans):
        if next_start < end:
            raise ZipRejectedError("zip_overlapping", f"{name!r} overlaps {next_name!r}")
