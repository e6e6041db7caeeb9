"""Profile one autosave through the whole Flask stack (test client, no server, no network).

It builds the shipped bank and a two-interviewer loop on a temporary SQLite database,
signs Ivan in, saves a growing note 300 times and prints the mean time per save, then
profiles 300 more with cProfile (top 40 by cumulative time). Use it to see where a save's
time goes; bench/autosave.py measures the same path under load, through gunicorn.

    .venv/bin/python bench/profile_save.py
    .venv/bin/python bench/profile_save.py --synchronous NORMAL --no-profile
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from conftest import PASSWORD, make_app, seed_two_interviewer_loop  # noqa: E402

from interviewkit.bank.writer import load  # noqa: E402


def main() -> int:
    """Time and profile autosaves; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--synchronous", choices=("FULL", "NORMAL"), default="FULL")
    parser.add_argument("--saves", type=int, default=300)
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="interviewkit-profile-"))
    bank = tmp / "bank.db"
    load([ROOT], bank)
    app = make_app(
        tmp,
        f"sqlite:///{tmp / 'app.db'}",
        BANK_PATH=str(bank),
        TESTING=False,
        SQLITE_SYNCHRONOUS=args.synchronous,
    )
    ids = seed_two_interviewer_loop(app)
    client = app.test_client()
    login = {"email": "ivan@example.com", "password": PASSWORD}
    assert client.post("/login", data=login).status_code == 302
    state = {"text": "", "base": 0}

    def save() -> None:
        state["text"] += "Another sentence the interviewer typed about the candidate. "
        item = {
            "key": "general",
            "value": state["text"],
            "base": state["base"],
            "save_id": uuid.uuid4().hex,
        }
        response = client.post(f"/kit/{ids['ivan_session']}/save", json={"items": [item]})
        state["base"] = response.json["results"][0]["version"]

    for _ in range(20):  # warm up
        save()
    began = time.perf_counter()
    for _ in range(args.saves):
        save()
    mean = (time.perf_counter() - began) / args.saves * 1000
    print(f"{mean:.2f} ms per save ({args.saves} saves, synchronous={args.synchronous})")
    if not args.no_profile:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.saves):
            save()
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
    return 0


if __name__ == "__main__":
    sys.exit(main())
