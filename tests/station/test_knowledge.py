"""What the station keeps of the ledger's answers: only answers, never a failure to get one."""

from pathlib import Path

from ledger import catalogue
from station.outbox import Outbox, Unreachable
from station.world import Knowledge


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
