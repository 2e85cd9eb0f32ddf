"""service/gunicorn_conf.py's SIGTERM handler, in a process of its own (it installs a
signal handler and may hang): it must return at once wherever the signal finds the main
thread, and the drain must still end in gunicorn's own exit handler."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# A stand-in for a gthread worker: an app with the extension state the handler marks and a
# job executor whose stop flag it sets, and gunicorn's handle_exit as the SIGTERM handler
# that post_worker_init wraps. The SIGTERM arrives while the main thread holds the lock of
# that flag (a threading.Event), as when a second SIGTERM (the master forwards the one that
# `kill` of the process group already sent) interrupts the handler inside Event.set():
# Python runs handlers in the main thread between any two bytecodes. A handler that set
# the flag itself waited there for its own thread, and the worker hung until the master
# killed it (a `make serve` that took 45 s to stop, under load).
SCRIPT = textwrap.dedent(
    """
    import os, signal, sys, threading, time
    os.environ["DETAINER_COST_DRAIN_SECONDS"] = sys.argv[1]
    import service.gunicorn_conf as conf
    import service.jobs  # loaded in a worker (its app's): not imported by the drain, under load


    class State:
        draining = False

    class Executor:
        stopping = threading.Event()

        def request_stop(self):
            self.stopping.set()

    class App:
        extensions = {"detainer_cost": State(), "detainer_cost.executors": [Executor()]}

    class Worker:
        wsgi = App()
        exited = threading.Event()

        def handle_exit(self, signum, frame):
            self.exited.set()

    worker = Worker()
    signal.signal(signal.SIGTERM, worker.handle_exit)
    conf.post_worker_init(worker)
    with Executor.stopping._cond:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)  # the handler runs here, the lock held
        print("handled", App.extensions["detainer_cost"].draining, worker.exited.is_set())
    started = time.monotonic()
    assert Executor.stopping.wait(30)
    assert worker.exited.wait(30)
    print("exited after the drain", time.monotonic() - started >= float(sys.argv[2]))
    """
)


# A drain of 0.3 s, and a negative one (a bad setting: the worker still stops, at once).
@pytest.mark.parametrize(("drain", "at_least"), [("0.3", 0.25), ("-1", 0.0)])
def test_sigterm_handler_returns_at_once_and_the_drain_ends_in_gunicorns_exit(
    tmp_path: Path, drain: str, at_least: float
) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}  # else the config makes one
    try:
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT, drain, str(at_least)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
    except subprocess.TimeoutExpired as hung:
        raise AssertionError(f"the SIGTERM handler hung: {hung.stdout!r}") from None
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == [
        "handled True False",  # marked draining at once; gunicorn's exit not yet called
        "exited after the drain True",
    ]
