"""Email reminders about overdue scorecards: `interviewkit remind`, safe to run from cron.

What is overdue is decided by the one rule in `kit.service` (`due_at`, `is_overdue`).
Each interviewer gets at most one email a run, listing all their overdue scorecards, and
each scorecard is mentioned at most once a calendar day (UTC) however often the command
runs, even two copies at once: a `ReminderSent` row claims (session, interviewer, day)
before the email is sent, and the table's unique index lets only one claim succeed. A
send that fails gives its claims back, so the next run that day tries again.

The email says only where and when: the candidate's name, the session, when it was due
and the link to the kit. It never contains anything anyone wrote (notes, evidence,
scores, recommendations, the lead's prep note).

Settings: the mail settings of `mail.py`, and PUBLIC_URL, the address people open the
app at (e.g. "https://interviews.example.com"), which the links are built from.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import click
from flask import render_template
from flask.cli import with_appcontext
from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError

from .extensions import db
from .kit.service import deadline, due_at, is_overdue
from .mail import LinkError, MailError, link, mail_configured, public_url, send_mail
from .models import Candidate, Loop, LoopSession, ReminderSent, Scorecard, User, utcnow
from .vocabulary import CardStatus


class ReminderError(Exception):
    """Reminders cannot be sent at all (a missing setting); the message says what to do."""


@dataclass
class Overdue:
    """One session whose assigned interviewer's scorecard is past its deadline."""

    session: LoopSession
    interviewer: User
    card: Scorecard | None
    due: datetime
    candidate_name: str
    loop_id: int


@dataclass
class Report:
    """What a run did (or, with dry_run, would do)."""

    sent: int = 0  # emails handed to the mail server
    sessions: int = 0  # overdue scorecards listed in those emails
    skipped: int = 0  # overdue scorecards already reminded about today
    failed: int = 0  # emails the mail server did not take (their claims were given back)
    dry_run: bool = False
    lines: list[str] = field(default_factory=list)  # one per email: to whom, what, outcome

    def summary(self) -> str:
        """Return the run in one line."""
        emails = _plural(self.sent, "email")
        scorecards = _plural(self.sessions, "overdue scorecard")
        if self.dry_run:
            return (
                f"Dry run: would send {emails} about {scorecards}; "
                f"{self.skipped} already reminded today; nothing sent or recorded"
            )
        return (
            f"Sent {emails} about {scorecards}; {self.skipped} already reminded today; "
            f"{self.failed} failed"
        )


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _naive_utc(now: datetime | None) -> datetime:
    if now is None:
        return utcnow()
    if now.tzinfo is not None:
        return now.astimezone(UTC).replace(tzinfo=None)
    return now


def overdue(now: datetime | None = None) -> list[Overdue]:
    """Return every overdue scorecard of an assigned, active interviewer (one query)."""
    now = _naive_utc(now)
    rows = db.session.execute(
        select(LoopSession, User, Scorecard, Candidate.name, Loop.id)
        .join(User, LoopSession.interviewer_id == User.id)
        .join(Loop, LoopSession.loop_id == Loop.id)
        .join(Candidate, Loop.candidate_id == Candidate.id)
        .outerjoin(
            Scorecard,
            (Scorecard.session_id == LoopSession.id)
            & (Scorecard.interviewer_id == LoopSession.interviewer_id),
        )
        .where(User.active.is_(True))
        .where(or_(Scorecard.id.is_(None), Scorecard.status != CardStatus.SUBMITTED))
        .order_by(User.id, Loop.id, LoopSession.position)
    ).all()
    return [
        Overdue(session, user, card, due_at(session, card), name, loop_id)
        for session, user, card, name, loop_id in rows
        if is_overdue(session, card, now)
    ]


# -- the email -------------------------------------------------------------------------------


@dataclass
class _Item:
    session_id: int
    candidate_name: str
    session_name: str
    due: datetime


@dataclass
class _Email:
    interviewer_id: int
    to: str
    name: str
    items: list[_Item]


def _message(email: _Email, public_url: str) -> tuple[str, str, str]:
    """Return (subject, text, html): names, times and links only, never what anyone wrote."""
    n = len(email.items)
    subject = "1 scorecard is overdue" if n == 1 else f"{n} scorecards are overdue"
    hours = deadline().total_seconds() / 3600
    lines = [
        f"Hello {email.name},",
        "",
        f"{'This scorecard is' if n == 1 else 'These scorecards are'} overdue: not submitted "
        f"within {hours:g} hours of the interview. Please submit "
        f"{'it' if n == 1 else 'them'} while the interview is fresh.",
        "",
    ]
    items = [
        (item, link("kit.kit", public_url, session_id=item.session_id)) for item in email.items
    ]
    for item, url in items:
        lines += [
            f"- {item.candidate_name}: {item.session_name}",
            f"  due {item.due:%Y-%m-%d %H:%M} UTC",
            f"  {url}",
            "",
        ]
    lines.append("You get at most one reminder a day about each scorecard until it is submitted.")
    preferences = link("auth.account", public_url)
    lines.append(f"Choose which emails you get: {preferences}")
    html = render_template(
        "email/reminder.html", email=email, items=items, intro=lines[2], preferences=preferences
    )
    return subject, "\n".join(lines) + "\n", html


# -- sending ---------------------------------------------------------------------------------


def _check_settings() -> str:
    if not mail_configured():
        raise ReminderError(
            "MAIL_SERVER is not set: set it in instance/config.py (with MAIL_PORT, "
            "MAIL_FROM and, if needed, MAIL_USERNAME, MAIL_PASSWORD, MAIL_USE_TLS) to send "
            "reminders"
        )
    try:
        return public_url()
    except LinkError as exc:
        raise ReminderError(str(exc)) from None


def _claimed_today(day: date) -> set[tuple[int, int]]:
    rows = db.session.execute(
        select(ReminderSent.session_id, ReminderSent.interviewer_id).where(ReminderSent.day == day)
    )
    return {(session_id, user_id) for session_id, user_id in rows}


def _claim(email: _Email, day: date) -> tuple[list[_Item], list[int]]:
    """Claim today's reminder for each session in one transaction; return (won, row ids).

    A session another run claimed first (the unique index refuses the second row) is
    left out: it has been, or is being, reminded about today.
    """
    won, rows = [], []
    try:
        for item in email.items:
            row = ReminderSent(
                session_id=item.session_id, interviewer_id=email.interviewer_id, day=day
            )
            try:
                with db.session.begin_nested():
                    db.session.add(row)
                    db.session.flush()
            except IntegrityError:
                continue
            won.append(item)
            rows.append(row.id)
        db.session.commit()
    except IntegrityError:  # defensive: a claim refused only at commit counts as taken
        db.session.rollback()
        return [], []
    return won, rows


def _give_back(row_ids: list[int]) -> None:
    db.session.execute(delete(ReminderSent).where(ReminderSent.id.in_(row_ids)))
    db.session.commit()


def send_reminders(now: datetime | None = None, *, dry_run: bool = False) -> Report:
    """Email each interviewer about their overdue scorecards, once a day per scorecard."""
    now = _naive_utc(now)
    day = now.date()
    public_url = None if dry_run else _check_settings()
    report = Report(dry_run=dry_run)
    # Everything the emails need, read as plain values in one short transaction: the
    # commits below expire loaded objects, and touching them again would query each one.
    claimed = _claimed_today(day)
    emails: dict[int, _Email] = {}
    for item in overdue(now):
        user = item.interviewer
        if not user.email_reminders:  # turned off on their account page
            continue
        if (item.session.id, user.id) in claimed:
            report.skipped += 1
            continue
        email = emails.setdefault(user.id, _Email(user.id, user.email, user.name, []))
        email.items.append(_Item(item.session.id, item.candidate_name, item.session.name, item.due))
    db.session.commit()  # end the read transaction (on SQLite it holds the write lock)
    for email in emails.values():
        if dry_run:
            report.sent += 1
            report.sessions += len(email.items)
            report.lines.append(f"Would remind {email.to} about {_describe(email.items)}")
            continue
        items, row_ids = _claim(email, day)
        report.skipped += len(email.items) - len(items)
        if not items:
            continue
        email = _Email(email.interviewer_id, email.to, email.name, items)
        try:
            send_mail(email.to, *_message(email, public_url))
        except MailError as exc:
            _give_back(row_ids)
            report.failed += 1
            report.lines.append(f"Could not remind {email.to} (will retry next run): {exc}")
            continue
        except Exception:
            _give_back(row_ids)  # nothing was sent: a later run must be able to try again
            raise
        report.sent += 1
        report.sessions += len(items)
        report.lines.append(f"Reminded {email.to} about {_describe(items)}")
    return report


def _describe(items: list[_Item]) -> str:
    return "; ".join(
        f"{i.candidate_name}: {i.session_name} (due {i.due:%Y-%m-%d %H:%M} UTC)" for i in items
    )


@click.command("remind")
@click.option(
    "--dry-run",
    is_flag=True,
    help="List who would be reminded about what; send nothing and record nothing.",
)
@with_appcontext
def remind_command(dry_run):
    """Email interviewers about overdue scorecards; safe to run from cron as often as you like.

    Each scorecard is mentioned at most once a day (UTC), and an interviewer gets one email
    listing all of theirs. Exits 1 if mail is not configured or any email could not be sent.
    """
    try:
        report = send_reminders(dry_run=dry_run)
    except ReminderError as exc:
        raise click.ClickException(str(exc)) from None
    for line in report.lines:
        click.echo(line, err=line.startswith("Could not"))
    click.echo(report.summary())
    sys.exit(1 if report.failed else 0)
