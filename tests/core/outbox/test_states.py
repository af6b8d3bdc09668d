"""Any sequence of moves keeps the journal consistent; an illegal move changes nothing."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from meterai.errors import IllegalTransition
from meterai.outbox import NewRequest, Outbox, State, can_move
from meterai.outbox.store import AlreadyFinished, NotCancellable
from meterai.settings import resolve_paths

SHA = "cd" * 32


class OutboxMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self._tmp = tempfile.TemporaryDirectory()
        self.outbox = Outbox.open(resolve_paths(Path(self._tmp.name)))
        self.outbox.add_document(SHA, size=1, page_count=1, pdf_version="1.7", original_name="a")
        self.model: dict[int, State] = {}
        self.illegal_rejected = 0

    @rule()
    def enqueue(self) -> None:
        row = self.outbox.enqueue(
            NewRequest(
                doc_sha256=SHA, file_name="a.pdf", doc_type="3", page_index=0, rect=(0, 0, 72, 72)
            )
        )
        self.model[row.id] = State.QUEUED

    @precondition(lambda self: self.model)
    @rule(data=st.data(), dst=st.sampled_from(list(State)))
    def move(self, data: st.DataObject, dst: State) -> None:
        request_id = data.draw(st.sampled_from(sorted(self.model)))
        current = self.model[request_id]
        journal_before = len(self.outbox.journal(request_id))
        if can_move(current, dst):
            self.outbox.transition(request_id, dst, detail="rule")
            self.model[request_id] = dst
        else:
            try:
                self.outbox.transition(request_id, dst)
            except IllegalTransition:
                self.illegal_rejected += 1
            else:
                raise AssertionError(f"{current} -> {dst} was accepted")
            assert len(self.outbox.journal(request_id)) == journal_before

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        request_id = data.draw(st.sampled_from(sorted(self.model)))
        row = self.outbox.get(request_id)
        try:
            self.outbox.cancel(request_id)
        except (NotCancellable, AlreadyFinished, IllegalTransition):
            assert row.state not in (State.DRAFT, State.QUEUED, State.UPLOADED)
        else:
            self.model[request_id] = State.CANCELLED

    @invariant()
    def journal_explains_state(self) -> None:
        for request_id, expected in self.model.items():
            row = self.outbox.get(request_id)
            assert row.state == expected
            journal = self.outbox.journal(request_id)
            assert journal[0].from_state is None and journal[0].to_state == "queued"
            assert journal[-1].to_state == expected
            for before, after in itertools.pairwise(journal):
                assert after.from_state == before.to_state
                assert can_move(State(before.to_state), State(after.to_state))

    def teardown(self) -> None:
        self.outbox.close()
        self._tmp.cleanup()


OutboxMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
TestOutboxMachine = OutboxMachine.TestCase
