"""Just enough multipart/form-data parsing for the upload call.

Starlette's own form parser needs the ``python-multipart`` package, which is not a
dependency of the app; the sandbox only ever parses what a well-behaved HTTP
client sends (one file and a few text fields), so a split on the boundary does.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message


@dataclass(frozen=True)
class Part:
    name: str
    filename: str | None
    data: bytes


def boundary_of(content_type: str) -> bytes | None:
    msg = Message()
    msg["content-type"] = content_type
    if msg.get_content_type() != "multipart/form-data":
        return None
    boundary = msg.get_param("boundary")
    return boundary.encode("latin-1") if isinstance(boundary, str) and boundary else None


def parse(body: bytes, boundary: bytes) -> dict[str, Part]:
    parts: dict[str, Part] = {}
    for chunk in body.split(b"--" + boundary)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk.removeprefix(b"\r\n")
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            continue
        data = data.removesuffix(b"\r\n")
        disposition = Message()
        for line in head.decode("latin-1").split("\r\n"):
            key, _, value = line.partition(":")
            if key.strip().lower() == "content-disposition":
                disposition["content-disposition"] = value.strip()
        name = disposition.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        filename = disposition.get_filename()
        parts[name] = Part(name=name, filename=filename, data=data)
    return parts
