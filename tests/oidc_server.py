"""A real OpenID Connect provider for the tests: tests/oidc_provider/server.mjs (panva's
certified oidc-provider for Node.js), started on a free 127.0.0.1 port with the clients and
accounts a test gives it, and a browser-less walk through its sign-in page."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc_provider"


def node_or_skip() -> str:
    """Return the node executable; skip (fail under CI=true) without Node or the provider."""
    node = shutil.which("node")
    problem = None
    if node is None:
        problem = "Node.js not found: install Node.js 18+ to run the OpenID Connect tests"
    elif not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        problem = "the test OpenID provider is not installed: run `make install` (npm ci)"
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(problem)
        pytest.skip(problem)
    return node


class OidcProvider:
    """A running test provider: its issuer URL, and a switch to spoil its next ID token."""

    def __init__(self, clients: list[dict], accounts: dict[str, dict]) -> None:
        node = node_or_skip()
        fd, self._config = tempfile.mkstemp(suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump({"clients": clients, "accounts": accounts}, f)
        self._process = subprocess.Popen(
            [node, str(PROVIDER_DIR / "server.mjs"), self._config],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # oidc-provider's development-only warnings
            text=True,
        )
        line = self._first_line(timeout=20)
        if not line.startswith("listening "):
            self.stop()
            raise RuntimeError(f"the test OpenID provider did not start: {line!r}")
        self.issuer = f"http://127.0.0.1:{int(line.split()[1])}"

    def _first_line(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self._process.stdout], [], [], 0.2)
            if ready:
                return self._process.stdout.readline().strip()
            if self._process.poll() is not None:
                return f"exited with {self._process.returncode}"
        return "no answer in time"

    def next_id_token(self, change: str) -> None:
        """Make the next token response's ID token expired, for another audience, etc."""
        response = requests.post(
            f"{self.issuer}/__test/next-id-token", json={"change": change}, timeout=5
        )
        response.raise_for_status()

    def stop(self) -> None:
        """Stop the provider and remove its configuration file."""
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
        self._process.stdout.close()
        os.unlink(self._config)


def sign_in_at_provider(start_url: str, login: str, back_to: str) -> str:
    """Follow an authorization request through the provider's sign-in page as `login`.

    Returns the URL the provider sends the browser back to (starting with `back_to`):
    the app's callback with the code and state. The provider's own cookies stay in a
    requests session, as they would in the person's browser.
    """
    browser = requests.Session()
    location = start_url
    for _ in range(10):
        if location.startswith(back_to):
            return location
        response = browser.get(location, allow_redirects=False, timeout=10)
        if response.status_code == 200 and "/interaction/" in response.url:
            response = browser.post(
                response.url + "/login", data={"login": login}, allow_redirects=False, timeout=10
            )
        assert response.status_code in (302, 303), (response.status_code, response.text[:300])
        location = urljoin(response.url, response.headers["Location"])
    raise AssertionError("the provider never sent the browser back")
