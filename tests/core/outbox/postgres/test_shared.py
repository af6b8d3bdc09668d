"""The state machine's hypothesis test, run against the shared PostgreSQL outbox too."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

from meterai.outbox import Outbox, State
from meterai.outbox.postgres.address import ENV_VAR
from meterai.settings import resolve_paths
from tests.core.outbox.test_states import SHA, OutboxMachine
from tests.support.postgres import Cluster, drop_database, fresh_database


@pytest.mark.slow
def test_any_sequence_of_moves_keeps_the_shared_journal_consistent(
    pg_cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGPASSWORD", pg_cluster.password)

    class SharedMachine(OutboxMachine):
        def __init__(self) -> None:  # the base's set-up, on an empty database each example
            RuleBasedStateMachine.__init__(self)
            self._url = os.environ[ENV_VAR] = fresh_database(pg_cluster)
            self._tmp = tempfile.TemporaryDirectory()
            paths = resolve_paths(Path(self._tmp.name))
            paths.docs_dir.mkdir(parents=True)
            (paths.docs_dir / f"{SHA}.pdf").write_bytes(b"%PDF-1.7\n%%EOF\n")
            self.outbox = Outbox.open(paths)
            assert self.outbox.backend.location.startswith("postgresql://")
            self.outbox.add_document(
                SHA, size=1, page_count=1, pdf_version="1.7", original_name="a"
            )
            self.model: dict[int, State] = {}
            self.illegal_rejected = 0

        def teardown(self) -> None:
            super().teardown()
            drop_database(pg_cluster, self._url)

    try:
        run_state_machine_as_test(
            SharedMachine, settings=settings(max_examples=10, stateful_step_count=30, deadline=None)
        )
    finally:
        os.environ.pop(ENV_VAR, None)
