"""Sweeps run by the one beat dispatcher, registered by the apps above it.

The dispatcher (a task of a lower layer, see CELERY_BEAT_SCHEDULE) hands due
work to the workers every PEERLOG_DISPATCH_SECONDS. An app higher up that keeps
its own work rows (the research export's jobs) registers a sweep here in its
AppConfig.ready(), so the dispatcher runs it without importing upward
(dependency inversion, issue 12)."""

import datetime as dt
from collections.abc import Callable

Sweep = Callable[..., int]  # sweep(now=...) -> how many rows it handed out

_SWEEPS: dict[str, Sweep] = {}


def sweep_register(name: str, sweep: Sweep) -> None:
    """Run `sweep(now=now)` on every dispatcher pass; its count is reported
    under `name`. Registering the same name again replaces it."""
    _SWEEPS[name] = sweep


def sweeps_run(now: dt.datetime) -> dict[str, int]:
    """Every registered sweep's count for this pass, in registration order."""
    return {name: sweep(now=now) for name, sweep in _SWEEPS.items()}
