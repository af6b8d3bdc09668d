"""Before a serial number moves to other bytes, the provider is asked (issue 13).

The outbox's last word on an orphan or a kept serial number is "unused", but a
stamp it never heard of (a lost answer, another counter) may have used it since.
Driven through the real engine against the in-memory provider of the simulation.
"""

from __future__ import annotations

import hashlib
import random

from meterai.outbox import NewRequest, Outbox, State
from meterai.outbox.store import Replacement
from meterai.settings import Paths
from meterai.sync.engine import Engine, Session
from meterai.sync.simulation import Faults, SimProvider, sim_verifier


def _engine(paths: Paths, provider: SimProvider) -> Engine:
    return Engine(
        outbox=Outbox.open(paths),
        provider=provider,
        docs_dir=paths.docs_dir,
        stamped_dir=paths.stamped_dir,
        verifier=sim_verifier,
        clock=lambda: 1_000_000.0,
        rng=random.Random(1),
        default_out_dir=paths.data_dir / "out",
        session=Session(reconciled=True),
    )


def _document(box: Outbox, paths: Paths, text: str) -> str:
    body = f"%PDF-1.7\n% {text}\n".encode()
    sha = hashlib.sha256(body).hexdigest()
    paths.docs_dir.mkdir(parents=True, exist_ok=True)
    (paths.docs_dir / f"{sha}.pdf").write_bytes(body)
    box.add_document(sha, size=len(body), page_count=1, pdf_version="1.7", original_name="d")
    return sha


def _queue(box: Outbox, paths: Paths, text: str) -> int:
    sha = _document(box, paths, text)
    new = NewRequest(doc_sha256=sha, file_name=f"{text}.pdf", doc_type="3", page_index=0, rect=R)
    return box.enqueue(new).id


def _drive(engine: Engine, request_id: int, steps: int = 12) -> State:
    for _ in range(steps):
        state = engine.step(request_id)
        if state in (State.DONE, State.NEEDS_ATTENTION):
            return state
    return engine.outbox.get(request_id).state


R = (400.0, 40.0, 472.0, 112.0)


def test_an_orphan_the_provider_says_is_used_is_forgotten_and_the_request_buys(
    paths: Paths,
) -> None:
    provider = SimProvider(random.Random(1), Faults.none())
    engine = _engine(paths, provider)
    used = _queue(engine.outbox, paths, "used")
    assert _drive(engine, used) == State.DONE
    stamped_sn = engine.outbox.get(used).sn
    assert stamped_sn is not None
    ghost = "GHOST0000000000000000X"
    for sn in (stamped_sn, ghost):
        engine.outbox.backend.conn.execute("DELETE FROM serials WHERE sn = ?", [sn])
    engine.outbox.backend.conn.execute("UPDATE requests SET sn = NULL WHERE id = ?", [used])
    engine.outbox.record_orphan(stamped_sn, None)
    engine.outbox.record_orphan(ghost, None)

    request_id = _queue(engine.outbox, paths, "next")
    assert _drive(engine, request_id) == State.DONE

    row = engine.outbox.get(request_id)
    assert row.sn not in (stamped_sn, ghost)
    assert provider.issued[stamped_sn].stamp_count == 1, "the used one was not moved"
    assert engine.outbox.orphans() == []
    notes = " ".join(j.detail or "" for j in engine.outbox.journal(request_id))
    assert "is used" in notes and "unknown to the provider" in notes


def test_a_kept_serial_number_found_used_stops_the_replacement_without_buying(
    paths: Paths,
) -> None:
    provider = SimProvider(random.Random(2), Faults.none())
    engine = _engine(paths, provider)
    request_id = _queue(engine.outbox, paths, "refused")
    while engine.outbox.get(request_id).state != State.NUMBERED:
        engine.step(request_id)
    sn = engine.outbox.get(request_id).sn
    assert sn is not None
    engine.outbox.transition(request_id, State.NEEDS_ATTENTION, detail="refused")
    provider.issued[sn].stamp_count = 1  # stamped after all, as far as the provider knows
    new_sha = _document(engine.outbox, paths, "corrected")
    engine.outbox.replace_document(
        request_id, Replacement(new_sha, new_sha, "corrected.pdf", "/c.pdf", 0, R)
    )
    bought = provider.balance

    assert _drive(engine, request_id) == State.NEEDS_ATTENTION

    row = engine.outbox.get(request_id)
    assert row.sn == sn and sn in row.reason()
    assert provider.balance == bought, "nothing new was bought"
