"""Provenance checks: chain verification, anchors outside the database, doctor.

Used by the `daemon.verify` verb (inside the daemon) and by the offline `daemon doctor`.
"""
