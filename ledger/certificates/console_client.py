"""What the verifier asks the plant's console, over its public JSON API: consistency proofs
between two tree sizes, a certificate's issuance and revocation, a unit's entries. Standard
library only (urllib): the inspector's zipapp carries it.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Protocol

from ledger.proof import ProofFormatError, parse_consistency

TIMEOUT = 10  # seconds for each request to the console


class ConsoleError(Exception):
    """The console could not answer; the message says what happened."""


class Console(Protocol):
    """What the verifier asks the plant's console (the JSON API)."""

    def consistency(self, old: int, new: int) -> list[bytes]: ...

    def certificate(self, digest: str) -> dict[str, Any] | None: ...

    def unit_entries(self, label: str) -> list[int] | None: ...


class HttpConsole:
    """The plant console's public API at `url` (e.g. https://ledger.example-plant.cn)."""

    def __init__(self, url: str):
        self.url = url.rstrip("/")

    def _get(self, path: str) -> bytes | None:
        try:
            with urllib.request.urlopen(self.url + path, timeout=TIMEOUT) as answer:  # noqa: S310
                body: bytes = answer.read()
                return body
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise ConsoleError(f"{self.url}{path} answered {exc.code}: "
                               f"{_error_text(exc.read())}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise ConsoleError(f"cannot reach {self.url}: {exc}") from None

    def consistency(self, old: int, new: int) -> list[bytes]:
        body = self._get(f"/api/v1/proof/consistency?old={old}&new={new}")
        if body is None:
            raise ConsoleError(f"the console has no consistency proof from size {old} to {new} "
                               "(its log is smaller than that)")
        try:
            return parse_consistency(body.decode())
        except (ProofFormatError, UnicodeDecodeError) as exc:
            raise ConsoleError(f"the console's consistency proof is malformed: {exc}") from None

    def certificate(self, digest: str) -> dict[str, Any] | None:
        body = self._get(f"/api/v1/certificates/{urllib.parse.quote(digest)}")
        if body is None:
            return None
        try:
            answer = json.loads(body)
        except ValueError as exc:
            raise ConsoleError(f"the console's answer is not JSON: {exc}") from None
        if not isinstance(answer, dict):
            raise ConsoleError("the console's answer is not a JSON object")
        return answer

    def unit_entries(self, label: str) -> list[int] | None:
        """The indexes of every entry the console holds about unit `label`."""
        body = self._get(f"/api/v1/units/{urllib.parse.quote(label, safe='')}")
        if body is None:
            return None
        try:
            return [int(e["index"]) for e in json.loads(body)["entries"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise ConsoleError(f"the console's unit record is malformed: {exc}") from None


def _error_text(body: bytes) -> str:
    try:
        return str(json.loads(body)["error"])
    except (ValueError, KeyError, TypeError):
        return body[:200].decode(errors="replace")
