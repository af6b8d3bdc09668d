"""The sandbox's minimal multipart reader: what well-behaved clients send, nothing more."""

from __future__ import annotations

import httpx

from meterai.sandbox.multipart import boundary_of, parse

PDF = b"%PDF-1.7\r\n\r\n--not-a-boundary\r\n%%EOF"  # blank lines and dashes inside the data


def _encoded_by_httpx() -> tuple[bytes, str]:
    request = httpx.Request(
        "POST",
        "https://sandbox.test/upload",
        data={"token": "abc"},
        files={
            "file": ("surat.pdf", b"%PDF-1.7\r\n\r\n--not-a-boundary\r\n%%EOF", "application/pdf")
        },
    )
    return request.read(), request.headers["content-type"]


def test_a_body_httpx_encodes_is_read_back_byte_for_byte() -> None:
    body, content_type = _encoded_by_httpx()
    boundary = boundary_of(content_type)
    assert boundary is not None
    parts = parse(body, boundary)
    assert parts["file"].filename == "surat.pdf"
    assert parts["file"].data == PDF
    assert (parts["token"].data, parts["token"].filename) == (b"abc", None)


def test_anything_but_multipart_form_data_has_no_boundary() -> None:
    assert boundary_of("application/json") is None
    assert boundary_of("multipart/form-data") is None
    assert boundary_of("multipart/form-data; boundary=xyz") == b"xyz"


def test_a_part_without_a_name_or_headers_is_skipped() -> None:
    body = (
        b"--b\r\nContent-Disposition: form-data\r\n\r\nnameless\r\n"
        b"--b\r\nno blank line here\r\n"
        b'--b\r\nContent-Disposition: form-data; name="kept"\r\n\r\nyes\r\n'
        b"--b--\r\n"
    )
    assert list(parse(body, b"b")) == ["kept"]
