"""Plugins patch moto once per process, however often (and from however many threads) their
install is called; a failed install is retried, so a broken contract keeps failing loudly."""

import threading

import pytest

from mlops.local.plugins._contract import run_once


def test_install_runs_once_across_threads() -> None:
    calls: list[str] = []

    @run_once
    def install(endpoint: str) -> None:
        calls.append(endpoint)

    threads = [threading.Thread(target=install, args=(f"http://localhost:{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    install("again")
    assert len(calls) == 1


def test_a_failed_install_is_not_marked_done() -> None:
    attempts = []

    @run_once
    def install() -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("moto moved an internal")

    with pytest.raises(RuntimeError):
        install()
    install()
    install()
    assert len(attempts) == 2
