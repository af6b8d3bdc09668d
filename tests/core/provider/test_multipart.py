"""The streamed upload body: exact length, bounded chunks, read again on a retry.

Parsed back with the sandbox's parser and with the standard library's email parser,
so the bytes are what a multipart reader other than ours accepts too.
"""

from __future__ import annotations

import email.parser
import email.policy
from pathlib import Path

import pytest

from meterai.errors import InputError
from meterai.provider.multipart import MultipartFile
from meterai.sandbox.multipart import boundary_of, parse


def _file(tmp_path: Path, size: int) -> Path:
    path = tmp_path / "scan.pdf"
    path.write_bytes(bytes(range(256)) * (size // 256) + b"%" * (size % 256))
    return path


def test_the_body_is_exactly_the_announced_length_and_parses_back(tmp_path: Path) -> None:
    path = _file(tmp_path, 300_001)
    body = MultipartFile(path, fields={"token": "abc", "note": "Rp 10.000 — ok"})
    data = b"".join(body)
    assert len(data) == body.content_length == int(body.headers["Content-Length"])
    boundary = boundary_of(body.content_type)
    assert boundary is not None
    parts = parse(data, boundary)
    assert parts["file"].data == path.read_bytes() and parts["file"].filename == "scan.pdf"
    assert parts["note"].data.decode() == "Rp 10.000 — ok"


def test_a_standard_multipart_reader_reads_the_same_parts(tmp_path: Path) -> None:
    path = _file(tmp_path, 5000)
    body = MultipartFile(path, fields={"token": "abc"}, filename='odd "name".pdf')
    raw = f"Content-Type: {body.content_type}\r\n\r\n".encode() + b"".join(body)
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    parts = list(message.iter_parts())
    assert [p.get_param("name", header="content-disposition") for p in parts] == ["token", "file"]
    assert parts[1].get_payload(decode=True) == path.read_bytes()
    assert parts[1].get_filename() == "odd %22name%22.pdf"  # a quote cannot end the header


def test_memory_is_bounded_by_one_chunk_and_progress_reaches_the_total(tmp_path: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    body = MultipartFile(
        _file(tmp_path, 1_000_000), chunk_size=64 * 1024, progress=lambda d, t: seen.append((d, t))
    )
    assert max(len(chunk) for chunk in body) <= 64 * 1024
    assert seen[-1] == (body.content_length, body.content_length)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_a_retry_sends_the_whole_file_again(tmp_path: Path) -> None:
    body = MultipartFile(_file(tmp_path, 10_000))
    assert b"".join(body) == b"".join(body)


def test_a_file_that_shrinks_mid_upload_fails_instead_of_sending_a_short_body(
    tmp_path: Path,
) -> None:
    path = _file(tmp_path, 200_000)
    chunks = iter(MultipartFile(path, chunk_size=64 * 1024))
    next(chunks), next(chunks)
    path.write_bytes(b"%PDF-1.7\n")
    with pytest.raises(InputError, match="shrank"):
        list(chunks)


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        MultipartFile(tmp_path / "gone.pdf")
