"""moto's server app behind our `WireAdapter`, served by werkzeug on a background thread.

The same few lines as moto's `ThreadedMotoServer`, with one difference: the WSGI app is wrapped,
so every answer passes the wire adapters and every emulator failure is recorded in `faults`.
"""

from __future__ import annotations

import threading
from typing import Any

from wizard.services.sandbox.wire import Faults, WireAdapter


class EmulatorServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.faults = Faults()
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        app = WireAdapter(DomainDispatcherApplication(create_backend_app), self.faults)
        self._server = make_server(
            self.host, self.port, app, threaded=True, request_handler=MotoRequestHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="cdwizard-emulator", daemon=True
        )
        self._thread.start()

    def get_host_and_port(self) -> tuple[str, int]:
        if self._server is None:
            raise RuntimeError("the emulator server is not started")
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = None
        self._thread = None
