"""Migration bookkeeping rules that need no database."""

from __future__ import annotations

import pytest

from striatum import errors
from striatum.store import migrations


def test_shipped_migrations_are_numbered_from_one_without_gaps() -> None:
    versions = [m.version for m in migrations.available()]
    assert versions == list(range(1, len(versions) + 1))


def test_an_edited_applied_migration_is_refused_by_name() -> None:
    shipped = migrations.available()
    recorded: dict[int, dict[str, object]] = {
        1: {"version": 1, "name": shipped[0].name, "sha256": "0" * 64}
    }
    with pytest.raises(errors.MigrationError, match=shipped[0].name) as caught:
        migrations.refuse_edited(shipped, recorded)
    assert caught.value.exit_code == 11


def test_a_migration_unknown_to_this_version_is_refused() -> None:
    recorded: dict[int, dict[str, object]] = {
        999: {"version": 999, "name": "0999_future.sql", "sha256": "0" * 64}
    }
    with pytest.raises(errors.MigrationError, match=r"0999_future\.sql"):
        migrations.refuse_edited(migrations.available(), recorded)


@pytest.mark.parametrize(("number", "supported"), [(130011, False), (140000, True), (180006, True)])
def test_servers_older_than_14_are_refused(number: int, supported: bool) -> None:
    assert migrations.version_supported(number) is supported
