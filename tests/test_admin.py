"""Admin work: users, the private instance folder, and what `init` sets up."""

from __future__ import annotations

import os
import stat

import pytest
from conftest import PASSWORD, make_app


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


# -- the instance folder is private (issue 8, item 11) ---------------------------------------


@pytest.mark.parametrize("existing", [False, True], ids=["new", "existing-0644"])
def test_instance_folder_and_sqlite_files_are_private(tmp_path, existing):
    # Regression: interviewkit.db and its -wal and -shm files were created 0644.
    from interviewkit.setup import create_user

    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    if existing:  # a database an older version left world-readable
        for name in ("interviewkit.db", "interviewkit.db-wal", "interviewkit.db-shm"):
            (instance / name).touch(mode=0o644)
            os.chmod(instance / name, 0o644)
        os.remove(instance / "interviewkit.db-wal")  # an empty WAL beside an empty db is odd
        os.remove(instance / "interviewkit.db-shm")
    old = os.umask(0o022)
    try:
        app = make_app(tmp_path, None)  # the default database, in the instance folder
        with app.app_context():
            create_user("a@example.com", "A", "admin", PASSWORD)  # writes: WAL and SHM exist
            files = sorted(os.listdir(instance))
            modes = {name: _mode(instance / name) for name in files}
    finally:
        os.umask(old)
    assert {"interviewkit.db", "interviewkit.db-wal", "interviewkit.db-shm"} <= set(files)
    assert _mode(instance) == 0o700
    assert modes == {name: 0o600 for name in files}, modes
