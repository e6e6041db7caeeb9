"""The instance folder: private to the user the app runs as, like everything written in it.

The secret key, the app database (with SQLite's -wal and -shm files), the bank, backups
and config.py can all tell an attacker something, so the folder is 0700 and each file
0600 whatever the umask of the shell that started the app.
"""

from __future__ import annotations

import os
import secrets
import stat
import tempfile

SECRET_FILE = "secret_key"  # noqa: S105 - a file name, not a secret
# SQLite creates these beside the database; it gives them the database file's mode.
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def ensure_private_folder(path: str) -> None:
    """Create a folder with mode 0700, or take group and world access off an existing one."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    _make_private(path)


def make_sqlite_private(path: str) -> None:
    """Take group and world access off an SQLite database file and its side files.

    Run as each connection opens, right after SQLite creates the file: SQLite then creates
    -wal and -shm with the database file's mode, so they are private from the start.
    """
    for name in (path, *(path + suffix for suffix in SQLITE_SIDE_FILES)):
        if os.path.exists(name):
            _make_private(name)


def write_private(path: str, text: str) -> None:
    """Write a text file that only the app's user can read (mode 0600)."""
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    _make_private(path)


def _make_private(path: str) -> None:
    mode = stat.S_IMODE(os.stat(path).st_mode)
    if mode & 0o077:
        os.chmod(path, mode & 0o700)


def ensure_secret_key(instance_path: str) -> str:
    """Return the instance's secret key, generating it (mode 0600) if there is none yet."""
    path = os.path.join(instance_path, SECRET_FILE)
    if not os.path.exists(path):
        # Write the whole key to a private temp file, then link it into place: the link
        # fails if another process won the race, and nobody ever reads a half-written key.
        fd, tmp = tempfile.mkstemp(dir=instance_path, prefix=".secret-")
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_hex(32) + "\n")
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    with open(path, encoding="ascii") as fh:
        key = fh.read().strip()
    if len(key) < 32:
        raise RuntimeError(
            f"{path} holds a key shorter than 32 characters: delete the file to "
            "generate a new one (this logs everyone out)"
        )
    return key
