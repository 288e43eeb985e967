"""What the station keeps of the ledger's answers: only answers, never a failure to get one."""

from pathlib import Path

import pytest
from factories import event_obj, plant

from ledger import catalogue
from ledger.log import AppendError, Ledger, Submission
from ledger.rules import judge
from ledger.rules.reasons import Refusal
from ledger.store import migrate, open_engine
from station.outbox import Outbox, Unreachable
from station.world import Knowledge, StationWorld


class ConsoleComingBack:
    """A ledger client whose console is down for its first `down` questions."""

    def __init__(self, down: int):
        self.down = down

    def catalogue(self):
        if self.down:
            self.down -= 1
            raise Unreachable("the console is down")
        return 0, catalogue.load()


def test_a_station_started_while_the_console_is_down_learns_the_catalogue_when_it_is_back(
        tmp_path: Path) -> None:
    knowledge = Knowledge(ConsoleComingBack(down=1), Outbox(tmp_path / "outbox.db"))
    assert knowledge.catalogue() is None  # never reached a ledger, nothing kept
    assert knowledge.catalogue().sha256() == catalogue.load().sha256()  # asked again at once


def test_the_last_answer_is_kept_while_the_console_is_away(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.db")
    Knowledge(ConsoleComingBack(down=0), outbox).catalogue()
    assert Knowledge(ConsoleComingBack(down=5), outbox).catalogue() is not None


class LedgerOrDown:
    """The ledger itself as a station's client, out of reach while `down`."""

    def __init__(self, ledger: Ledger):
        self.ledger, self.down = ledger, False

    def subject_entries(self, subject: str) -> list:
        if self.down:
            raise Unreachable("the console is down")
        return self.ledger.subject_entries(subject)


def test_the_other_half_of_a_set_is_asked_of_the_ledger_and_left_to_it_when_away(
        tmp_path: Path) -> None:
    """A host's completion needs its monitor's intake naming it back (ledger/rules/sets.py):
    the station asks the ledger for the monitor now and refuses as the ledger would; with the
    console away it does not refuse on what it cannot know (a kept answer may be older than
    the monitor's intake at another station), and the ledger judges the event on arrival."""
    engine = open_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    migrate(engine)
    ledger = Ledger(engine)
    ledger.publish_catalogue(catalogue.load(), "default", operator="A-0001")
    ledger.append([
        plant("lot.opened", "lot:LOT-FE", {"fraction": "steel", "hazardous": False}),
        plant("unit.received", "unit:PC-1", {"category": "desktop_pc", "gross_g": 9_000,
                                             "scale": "SC-1", "source": "business",
                                             "pc_type": "desktop_host", "set_with": "MON-1"}),
        plant("material.output", "unit:PC-1", {"fraction": "steel", "mass_g": 5_000,
                                               "lot": "LOT-FE", "scale": "SC-1"})])
    client = LedgerOrDown(ledger)
    world = StationWorld(Knowledge(client, Outbox(tmp_path / "outbox.db")),
                         ledger.catalogue()[1], refresh=True)
    completion = event_obj("unit.completed", "unit:PC-1", {})
    with pytest.raises(Refusal) as refused:
        judge.check(completion, world, completion["time"])
    assert refused.value.code == "set_not_paired"
    client.down = True
    assert world.partner("MON-1") is None
    judge.check(completion, world, completion["time"])  # left to the ledger
    with pytest.raises(AppendError) as appended:
        ledger.append([Submission.from_json(completion)])
    assert appended.value.rule == "set_not_paired"
    engine.dispose()
