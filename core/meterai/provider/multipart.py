"""A multipart/form-data body streamed from disk with a known length.

httpx can stream file objects too, but this encoder gives us three things at
once: memory bounded by one chunk whatever the file size, an exact
``Content-Length`` (no chunked transfer encoding, which some upload gateways
refuse), and a count of bytes handed to the transport: a chunk is counted when
the transport asks for the next one (``link.AckedProgress`` subtracts what the
peer has not acknowledged yet).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator, Mapping
from pathlib import Path

from meterai.errors import InputError
from meterai.provider.ports import Progress

DEFAULT_CHUNK = 64 * 1024


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "").replace("\n", "")


class MultipartFile:
    """Re-iterable: every iteration re-reads the file, so a retried request sends it again."""

    def __init__(
        self,
        path: Path,
        *,
        field: str = "file",
        filename: str | None = None,
        content_type: str = "application/pdf",
        fields: Mapping[str, str] | None = None,
        chunk_size: int = DEFAULT_CHUNK,
        progress: Progress | None = None,
    ) -> None:
        self.path = path
        self.boundary = secrets.token_hex(16)
        self.chunk_size = chunk_size
        self.progress = progress
        try:
            self.file_size = os.stat(path).st_size
        except OSError as exc:
            raise InputError(detail=f"{path}: {exc.strerror or exc}") from exc
        head = b""
        for name, value in (fields or {}).items():
            head += (
                (
                    f'--{self.boundary}\r\nContent-Disposition: form-data; name="{_quote(name)}"'
                    f"\r\n\r\n"
                ).encode()
                + value.encode("utf-8")
                + b"\r\n"
            )
        head += (
            f"--{self.boundary}\r\nContent-Disposition: form-data; "
            f'name="{_quote(field)}"; filename="{_quote(filename or path.name)}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        self._head = head
        self._tail = f"\r\n--{self.boundary}--\r\n".encode("ascii")

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    @property
    def content_length(self) -> int:
        return len(self._head) + self.file_size + len(self._tail)

    @property
    def headers(self) -> dict[str, str]:
        return {"Content-Type": self.content_type, "Content-Length": str(self.content_length)}

    def __iter__(self) -> Iterator[bytes]:
        total = self.content_length
        sent = 0
        for chunk in self._chunks():
            yield chunk
            sent += len(chunk)
            if self.progress is not None:
                self.progress(sent, total)

    def _chunks(self) -> Iterator[bytes]:
        yield self._head
        remaining = self.file_size
        with open(self.path, "rb") as fh:
            while remaining > 0:
                chunk = fh.read(min(self.chunk_size, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                yield chunk
        if remaining:
            # The announced Content-Length can no longer be honoured; the
            # request must fail rather than send a short, mislabelled body.
            raise InputError(detail=f"{self.path} shrank while it was being uploaded")
        yield self._tail
