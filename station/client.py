"""How the station reaches the ledger: one small interface, two implementations.

- `LocalClient`: the instance's database on this machine (`ledger.log.Ledger`), for a plant
  with one machine.
- `HttpClient`: the console's API (`POST /api/v1/events` in batches, `POST /api/v1/heartbeats`;
  `GET /api/v1/events`, `/trade-in`, `/cylinders/<id>` and `/catalogue` for what the rules
  read), with urllib.

Both raise `Unreachable` when the ledger cannot be asked and `Refused` when it refused a
submission; the outbox's courier and the station's rules handle the rest. After a failure
the HTTP client stays "down" for a moment, so a worker's scan is not held up by a timeout
per lookup while the console is away.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Protocol

from ledger import heartbeats
from ledger.catalogue import Catalogue, CatalogueError, from_content
from ledger.corrections import Pair
from ledger.events import EventError
from ledger.instance import Instance
from ledger.log import AppendError, Ledger, Submission
from ledger.rules.facts import CylinderFacts
from ledger.store import execute, read_transaction, scalar
from station.outbox import Refused, Unreachable

MAX_BATCH = 200


class LedgerClient(Protocol):
    mode: str

    def submit(self, submissions: list[dict[str, Any]]) -> list[int]:
        """Append signed submissions in one batch; their ledger indexes, in order."""
        ...

    def subject_entries(self, subject: str) -> list[Pair]:
        """(entry index, event) of the entries about `subject`, oldest first (the rules fold
        corrections by index)."""
        ...

    def trade_in_holder(self, code: str) -> str | None:
        """The unit received with trade-in code `code`, or None."""
        ...

    def cylinder(self, cylinder: str) -> CylinderFacts:
        """A recovery cylinder's registration and the gross after its latest recovery."""
        ...

    def catalogue(self) -> tuple[int, Catalogue] | None:
        """The catalogue in force in the ledger and the entry that published it."""
        ...

    def heartbeat(self, heartbeat: dict[str, Any], station_sig: str) -> str:
        """Deliver a signed heartbeat (ledger/heartbeats.py); the console's time of receipt."""
        ...


def _not_yet_approved(message: str) -> bool:
    return "is not registered and active" in message


class LocalClient:
    """The ledger in this machine's instance (DLEDGER_HOME or the configured home)."""

    mode = "local"

    def __init__(self, instance: Instance):
        self.ledger = Ledger(instance.engine())

    def submit(self, submissions: list[dict[str, Any]]) -> list[int]:
        try:
            parsed = [Submission.from_json(s) for s in submissions]
        except EventError as exc:
            raise Refused(f"the event is invalid: {exc}", 0) from None
        try:
            return [a.index for a in self.ledger.append(parsed)]
        except AppendError as exc:
            if _not_yet_approved(str(exc)):
                raise Unreachable(str(exc)) from None
            raise Refused(str(exc), exc.position or 0) from None

    def subject_entries(self, subject: str) -> list[Pair]:
        return self.ledger.subject_entries(subject)

    def trade_in_holder(self, code: str) -> str | None:
        with read_transaction(self.ledger.engine) as tx:
            return scalar(execute(tx, "SELECT label FROM units WHERE trade_in_code = ?", (code,)))

    def cylinder(self, cylinder: str) -> CylinderFacts:
        return self.ledger.cylinder(cylinder)

    def catalogue(self) -> tuple[int, Catalogue] | None:
        return self.ledger.catalogue()

    def heartbeat(self, heartbeat: dict[str, Any], station_sig: str) -> str:
        try:
            return heartbeats.record(self.ledger.engine, heartbeats.parse(heartbeat),
                                     station_sig)
        except heartbeats.HeartbeatError as exc:
            raise Refused(str(exc), 0) from None

    def close(self) -> None:
        self.ledger.engine.dispose()


class HttpClient:
    """The console's JSON API at `base_url` (e.g. http://console.plant.lan:8000)."""

    mode = "http"

    def __init__(self, base_url: str, timeout: float = 2.0, read_timeout: float = 1.0,
                 quiet_after_failure_s: float = 3.0):
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"the console's address is http(s)://host:port, not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.read_timeout = read_timeout
        self.quiet_after_failure_s = quiet_after_failure_s
        self._down_until = 0.0

    def submit(self, submissions: list[dict[str, Any]]) -> list[int]:
        body = json.dumps({"events": submissions}, ensure_ascii=False).encode()
        request = _request(self.base_url + "/api/v1/events", body)
        try:
            answer = self._open(request, self.timeout, honour_quiet=False)
        except urllib.error.HTTPError as exc:
            error = _error_body(exc)
            message = error.get("error") or f"HTTP {exc.code}"
            if exc.code >= 500 or exc.code in (408, 429) or _not_yet_approved(message):
                raise Unreachable(f"the console answered {exc.code}: {message}") from None
            raise Refused(message, int(error.get("item") or 0)) from None
        return [r["index"] for r in answer["results"]]

    def heartbeat(self, heartbeat: dict[str, Any], station_sig: str) -> str:
        body = json.dumps({"heartbeat": heartbeat, "station_sig": station_sig}).encode()
        request = _request(self.base_url + "/api/v1/heartbeats", body)
        try:
            # Its own business: a heartbeat lost does not make the rules' reads wait (quiet).
            return self._open(request, self.read_timeout, honour_quiet=False,
                              mark_down=False)["received_at"]
        except urllib.error.HTTPError as exc:
            message = _error_body(exc).get("error") or f"HTTP {exc.code}"
            if exc.code >= 500 or exc.code in (404, 408, 429):  # 404: a console before them
                raise Unreachable(f"the console answered {exc.code}: {message}") from None
            raise Refused(message, 0) from None

    def subject_entries(self, subject: str) -> list[Pair]:
        query = urllib.parse.urlencode({"subject": subject, "limit": 1000})
        answer = self._get(f"/api/v1/events?{query}")
        return [(entry["index"], entry["event"]) for entry in answer["entries"]] if answer \
            else []

    def trade_in_holder(self, code: str) -> str | None:
        answer = self._get(f"/api/v1/trade-in?{urllib.parse.urlencode({'code': code})}")
        return answer["label"] if answer else None

    def cylinder(self, cylinder: str) -> CylinderFacts:
        answer = self._get(f"/api/v1/cylinders/{urllib.parse.quote(cylinder, safe='')}")
        return cylinder_facts(cylinder, answer)

    def catalogue(self) -> tuple[int, Catalogue] | None:
        answer = self._get("/api/v1/catalogue")
        if answer is None:
            return None
        try:
            return answer["index"], from_content(answer["content"], "the console's catalogue")
        except CatalogueError as exc:
            raise Unreachable(f"the console's catalogue is not one this station reads: {exc}") \
                from None

    def close(self) -> None:
        pass

    def _get(self, path: str) -> dict[str, Any] | None:
        try:
            return self._open(_request(self.base_url + path), self.read_timeout,
                              honour_quiet=True)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise Unreachable(f"the console answered {exc.code} to GET {path}: "
                              f"{_error_body(exc).get('error', '')}") from None

    def _open(self, request: urllib.request.Request, timeout: float,
              honour_quiet: bool, mark_down: bool = True) -> dict[str, Any]:
        if honour_quiet and time.monotonic() < self._down_until:
            raise Unreachable(f"the console at {self.base_url} did not answer a moment ago")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                answer = json.loads(response.read())
        except urllib.error.HTTPError:
            raise
        except (urllib.error.URLError, OSError, ValueError) as exc:
            if mark_down:
                self._down_until = time.monotonic() + self.quiet_after_failure_s
            reason = getattr(exc, "reason", exc)
            raise Unreachable(f"the console at {self.base_url} is out of reach: {reason}") \
                from None
        if mark_down:
            self._down_until = 0.0
        return answer


def cylinder_facts(cylinder: str, answer: dict[str, Any] | None) -> CylinderFacts:
    """A `GET /api/v1/cylinders/<id>` answer (None: 404, not registered) as the rules read it."""
    if answer is None:
        return CylinderFacts(cylinder, None)
    return CylinderFacts(cylinder, answer["registered"], answer["registered_entry"],
                         answer["last_after_g"], answer["last_entry"])


def _request(url: str, body: bytes | None = None) -> urllib.request.Request:
    """A request to the console (the address was checked to be http or https)."""
    if body is None:
        return urllib.request.Request(url)  # noqa: S310
    return urllib.request.Request(url, data=body, method="POST",  # noqa: S310
                                  headers={"Content-Type": "application/json"})


def _error_body(exc: urllib.error.HTTPError) -> dict[str, Any]:
    try:
        body = json.loads(exc.read())
    except (ValueError, OSError):
        return {}
    return body if isinstance(body, dict) else {}
