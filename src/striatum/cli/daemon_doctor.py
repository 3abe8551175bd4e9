"""`striatum daemon doctor`: through the daemon when one answers, else on the database itself.

The direct check runs the integrity package in this process (in parallel over the chains);
it is what still works when the daemon is down or wedged, or cannot be asked (no token).
"""

from __future__ import annotations

from striatum import errors
from striatum.client import rpc
from striatum.integrity import doctor

PROBE_S = 3.0  # a daemon slower than this to say who it is counts as wedged


def check(
    database_url: str | None, apply_migrations: bool, *, deep: bool, direct: bool
) -> doctor.DoctorReport:
    if not direct:
        report = _through_daemon(deep)
        if report is not None:
            return report
    from striatum.daemon import substrate

    with substrate.database(database_url) as database:
        return doctor.run(database, apply_migrations=apply_migrations, deep=deep)


def _through_daemon(deep: bool) -> doctor.DoctorReport | None:
    try:
        status = rpc.call("daemon.status", {}, timeout_s=PROBE_S)
        verified = rpc.call("daemon.verify", {"deep": deep})
    except errors.StriatumError:  # no daemon, a wedged one, no token to ask it with
        return None
    return doctor.from_daemon(status, verified)
