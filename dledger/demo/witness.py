"""The demo plant's witness: the project's witness server (ledger/witness/server.py) with a key
of its own, kept in `<instance>/witness/`, as a recycling association would run one.

It is made on first use (its key unencrypted, as the demo's plant key without a passphrase),
follows the demo's log with the plant's current verifier key, and serves on a free local port
in the demo's process (as the kiosk pages do). The instance's dledger.toml is written with it
as the one witness ([checkpoints], ledger/witness/settings.py) before the console starts, so
the console's checkpoint publisher pushes every checkpoint to it. Its state survives between
runs (a witness that forgot what it cosigned would cosign a fork); `--fresh` deletes it with
the instance.
"""

from __future__ import annotations

import threading
import warnings
from pathlib import Path

from werkzeug.serving import BaseWSGIServer, make_server

from dledger.demo.setup import SetupError
from ledger.instance import Instance, write_config
from ledger.witness.cosignature import CosignatureVerifier
from ledger.witness.home import WitnessHome, WitnessHomeError
from ledger.witness.server import Witness

NAME = "witness.demo-association.example/w1"
FOLDER = "witness"


def witness_home(instance: Instance) -> Path:
    return instance.home / FOLDER


class DemoWitness:
    """Start with `start()` (then `url`), stop with `stop()`."""

    def __init__(self, instance: Instance, host: str = "127.0.0.1"):
        self.instance, self.host = instance, host
        self.server: BaseWSGIServer | None = None
        self.thread: threading.Thread | None = None
        self.verifier: CosignatureVerifier | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://{self.host}:{self.server.server_port}"

    def start(self) -> DemoWitness:
        home = self._home()
        home.state.add_log(self.instance.origin, self.instance.vkey())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the unencrypted demo keys are announced
            cosigner = home.cosigner()
        self.verifier = cosigner.verifier
        self.server = make_server(self.host, 0, Witness(cosigner, home.state).wsgi,
                                  threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, name="witness",
                                       daemon=True)
        self.thread.start()
        write_config(self.instance.home, self.instance.origin, self.instance.plaintext_key,
                     witnesses=((self.url, self.verifier.vkey),))
        return self

    def _home(self) -> WitnessHome:
        path = witness_home(self.instance)
        try:
            if not path.exists():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    return WitnessHome.create(path, NAME, None, allow_plaintext=True)[0]
            return WitnessHome.locate(path)
        except WitnessHomeError as exc:
            raise SetupError(f"the demo's witness: {exc}; or start over with --fresh") from None

    def stop(self) -> None:
        if self.server is None:
            return
        self.server.shutdown()
        if self.thread is not None:
            self.thread.join(5)
        self.server.server_close()
        self.server = None
