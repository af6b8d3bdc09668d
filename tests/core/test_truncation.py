"""Every file the app writes (the database aside), cut at every byte offset, either loads as
the earlier state or is refused cleanly: never a half-read value, never a traceback."""

from __future__ import annotations

from pathlib import Path

from meterai.documents import DocumentStore
from meterai.errors import ConfigError, VerificationError
from meterai.sandbox import SandboxServer
from meterai.settings import Paths, Profile, Settings, load_settings, save_settings
from meterai.verify import Expectation, load_trust_roots, verify_stamped
from tests.support.pdfs import make_pdf


def _offsets(size: int, limit: int = 400) -> list[int]:
    """Every offset for small files; an even spread plus both ends for big ones."""
    if size <= limit:
        return list(range(size))
    step = size // limit
    return sorted({*range(0, size, step), *range(size - 64, size), *range(64)})


def test_settings_file_cut_anywhere_is_refused_or_whole(paths: Paths) -> None:
    settings = Settings()
    settings.profiles["kiosk"] = Profile(
        name="kiosk", kind="peruri", base_urls={"stampv2": "https://example.invalid"}
    )
    settings.active_profile = "kiosk"
    save_settings(paths, settings)
    full = paths.settings_file.read_bytes()
    for cut in range(len(full)):
        paths.settings_file.write_bytes(full[:cut])
        try:
            loaded = load_settings(paths)
        except ConfigError:
            continue
        # An empty file is not a valid JSON document either, so only the whole file loads.
        raise AssertionError(f"a cut at {cut} loaded as {loaded.active_profile}")
    paths.settings_file.write_bytes(full)
    assert load_settings(paths).active_profile == "kiosk"


def test_document_copy_cut_anywhere_fails_its_hash(paths: Paths, tmp_path: Path) -> None:
    store = DocumentStore(paths.data_dir)
    stored = store.put(make_pdf(tmp_path / "a.pdf", pages=2))
    full = stored.path.read_bytes()
    stored.path.chmod(0o644)
    for cut in _offsets(len(full)):
        stored.path.write_bytes(full[:cut])
        assert not store.check(stored.sha256)
    stored.path.write_bytes(full)
    assert store.check(stored.sha256)


def test_stamped_file_cut_anywhere_is_refused(tmp_path: Path) -> None:
    with SandboxServer(tmp_path / "sandbox") as server:
        from tests.support.api_client import ApiClient

        api = ApiClient(server)
        api.login()
        original = make_pdf(tmp_path / "doc.pdf")
        _sn, stamped = api.full_stamp(original)
        api.close()
        roots = load_trust_roots([server.ca_file])
    cut_file = tmp_path / "cut.pdf"
    expect = Expectation(original=original)
    for cut in _offsets(len(stamped), limit=150):
        cut_file.write_bytes(stamped[:cut])
        try:
            report = verify_stamped(cut_file, roots, expect)
        except VerificationError:
            continue
        assert not report.ok, f"a cut at {cut} of {len(stamped)} verified"
    cut_file.write_bytes(stamped)
    assert verify_stamped(cut_file, roots, expect).ok


def test_settings_write_leaves_no_temp_file(paths: Paths) -> None:
    save_settings(paths, Settings())
    save_settings(paths, Settings(language="en"))
    assert sorted(p.name for p in paths.config_dir.iterdir()) == ["settings.json"]
