"""What every local emulator's command line does once it has printed its address:
serve until SIGTERM / SIGINT, or until stdin closes when the dev runner asks for that
(so an emulator never outlives `make run`), then stop cleanly."""

from __future__ import annotations

import signal
import sys
import threading


def serve_until_stopped(emulator, *, exit_on_stdin_eof: bool) -> int:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if exit_on_stdin_eof:
        threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    emulator.start()
    stop.wait()
    emulator.stop()
    return 0
