"""The instance folder: the secret key lives here, created once with private permissions."""

from __future__ import annotations

import os
import secrets
import tempfile

SECRET_FILE = "secret_key"  # noqa: S105 - a file name, not a secret


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
