"""When each session of a loop takes place, and the calendar invites that tell interviewers.

Times are stored as naive UTC (`LoopSession.scheduled_at`) with the IANA zone they were
entered in (`LoopSession.timezone`): the zone keeps "09:00 in Berlin" meaning 09:00 in
Berlin on the page that edits it, and every page shows the time in its viewer's own zone
(`User.timezone`, or the site's DEFAULT_TIMEZONE).

Each change an interviewer must know about (scheduled, moved, cancelled, reassigned)
queues an email with an iCalendar (RFC 5545) invitation, sent after the change commits
(`mail.send_after_commit`): METHOD:REQUEST for a new or moved session, METHOD:CANCEL for
a cancelled one, one VEVENT whose UID never changes for the session and whose SEQUENCE
goes up by one with every change. DTSTART and DTEND carry the zone the lead entered
(TZID, with its VTIMEZONE), so the calendar shows the time in the reader's own zone and
a later change of the zone's rules cannot move the meeting. The invite says only where
and when, with the kit link and the lead's prep note: never anything written about the
candidate.

Services here never commit: the view or command that calls them does.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask import current_app, render_template
from icalendar import Calendar, Event, vCalAddress
from sqlalchemy import select

from .extensions import db
from .mail import LinkError, link, mail_configured, message, send_after_commit
from .models import Loop, LoopSession, User, audit, utcnow

MIN_DURATION, MAX_DURATION = 15, 480  # minutes a meeting may last
MAX_BREAK = 240  # minutes between two sessions scheduled back to back
FEED_PAST_DAYS = 14  # the feed keeps recent sessions: calendars drop what leaves a feed
PRODID = "-//interviewkit//Interview scheduling//EN"


class ScheduleError(ValueError):
    """A time cannot be scheduled; `field` names the form field, the message what to do."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


# -- time zones ------------------------------------------------------------------------------


def zone(name: str) -> ZoneInfo:
    """Return the IANA time zone of that name, or raise ScheduleError."""
    name = (name or "").strip()
    if not name or name not in zone_names():
        raise ScheduleError(
            "timezone",
            f"{name[:60]!r} is not a time zone: give an IANA name such as Europe/Berlin, "
            "America/New_York or UTC.",
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError("timezone", f"{name!r} is not a time zone this server knows.") from None


_ZONES: frozenset[str] | None = None


def zone_names() -> frozenset[str]:
    """Return every IANA zone name this machine knows (tzdata ships them all)."""
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones() | {"UTC"})
    return _ZONES


def default_zone() -> str:
    """Return the site's display zone for users who chose none (DEFAULT_TIMEZONE)."""
    name = current_app.config.get("DEFAULT_TIMEZONE") or "UTC"
    if name not in zone_names():  # a typo in the settings must not break every page
        current_app.logger.warning("DEFAULT_TIMEZONE %r is not a time zone: using UTC", name)
        return "UTC"
    return name


def user_zone(user: User | None) -> str:
    """Return the zone a user sees times in: their own choice or the site's default."""
    return (getattr(user, "timezone", "") or "") or default_zone()


def to_utc(start_local: datetime, tz: str) -> datetime:
    """Return a wall-clock time in a zone as naive UTC; a time the zone skips is an error.

    A time the zone has twice (the hour the clocks go back) is taken as the first.
    """
    z = zone(tz)
    aware = start_local.replace(tzinfo=z, fold=0)
    utc = aware.astimezone(UTC)
    if utc.astimezone(z).replace(tzinfo=None) != start_local.replace(tzinfo=None):
        raise ScheduleError(
            "time",
            f"{start_local:%H:%M} on {start_local:%Y-%m-%d} does not exist in {tz}: the "
            "clocks go forward then. Choose another time.",
        )
    return utc.replace(tzinfo=None)


def in_zone(utc_naive: datetime, tz: str) -> datetime:
    """Return a stored naive-UTC time as an aware time in a zone."""
    return utc_naive.replace(tzinfo=UTC).astimezone(zone(tz))


def parse_local(day: str, clock: str) -> datetime:
    """Return the wall-clock time of a date (YYYY-MM-DD) and a time (HH:MM), or raise."""
    try:
        d = date.fromisoformat((day or "").strip())
    except ValueError:
        raise ScheduleError(
            "date", f"{(day or '')[:40]!r} is not a date: give it as YYYY-MM-DD, e.g. 2026-03-31."
        ) from None
    try:
        t = time.fromisoformat((clock or "").strip())
    except ValueError:
        raise ScheduleError(
            "time", f"{(clock or '')[:40]!r} is not a time: give it as HH:MM, e.g. 09:30."
        ) from None
    return datetime.combine(d, t.replace(second=0, microsecond=0, tzinfo=None))


def check_duration(minutes) -> int:
    """Return a meeting length in minutes, or raise if it is outside 15 to 480."""
    if not isinstance(minutes, int) or not MIN_DURATION <= minutes <= MAX_DURATION:
        raise ScheduleError(
            "duration",
            f"A meeting lasts {MIN_DURATION} to {MAX_DURATION} minutes (8 hours): give a "
            "number in that range.",
        )
    return minutes


def check_meeting_url(url: str | None) -> str:
    """Return a meeting link (http or https, or empty), or raise."""
    url = (url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in url or len(url) > 2000:
        raise ScheduleError(
            "meeting_url",
            f"{url[:80]!r} is not a meeting link: it must start with https:// (or http://).",
        )
    return url


# -- what a session's schedule is ------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """A scheduled session's times: start and end in UTC and in the zone it was entered in."""

    start: datetime  # aware, in `tz`
    end: datetime
    tz: str

    def shown_in(self, tz: str) -> str:
        """Return the slot as people read it in a zone: "Tue 31 Mar 2026, 09:00–10:00 CEST"."""
        start, end = self.start.astimezone(zone(tz)), self.end.astimezone(zone(tz))
        same_day = start.date() == end.date()
        tail = f"{end:%H:%M}" if same_day else f"{end:%a %d %b %Y, %H:%M}"
        return f"{start:%a %d %b %Y, %H:%M}–{tail} {start:%Z}".strip()


def duration_of(session: LoopSession) -> int:
    """Return the meeting's length: as scheduled, or the session's planned minutes."""
    planned = session.duration_minutes or session.minutes or 60
    return max(MIN_DURATION, min(MAX_DURATION, planned))


def slot(session: LoopSession) -> Slot | None:
    """Return when a session takes place, or None if it is not scheduled."""
    if session.scheduled_at is None:
        return None
    tz = session.timezone or "UTC"
    start = in_zone(session.scheduled_at, tz)
    return Slot(start, start + timedelta(minutes=duration_of(session)), tz)


def when(session: LoopSession, viewer: User | None) -> str:
    """Return a session's time in the viewer's zone, or "" if it is not scheduled."""
    s = slot(session)
    return "" if s is None else s.shown_in(user_zone(viewer))


# -- changes ---------------------------------------------------------------------------------


def schedule_session(
    session: LoopSession,
    start_local: datetime,
    tz: str,
    duration: int,
    meeting_url: str | None,
    actor: User,
) -> None:
    """Set (or move) a session's time, length and meeting link; its interviewer is invited."""
    _set(session, to_utc(start_local, tz), tz, duration, meeting_url, actor)


def _set(
    session: LoopSession, start: datetime, tz: str, duration: int, meeting_url, actor: User
) -> None:
    """Schedule a session at a naive-UTC start (see schedule_session)."""
    duration = check_duration(duration)
    meeting_url = check_meeting_url(meeting_url)
    before = (session.scheduled_at, session.timezone, session.duration_minutes)
    unchanged = before == (start, tz, duration) and session.meeting_url == meeting_url
    if unchanged:  # saved again as it was: the same invite again (e.g. after a mail outage)
        if session.interviewer is not None and session.invite_uid:
            _queue_invite(session, session.interviewer, cancel=False)
        return
    session.scheduled_at, session.timezone = start, tz
    session.duration_minutes, session.meeting_url = duration, meeting_url
    _next_sequence(session)
    audit(
        actor,
        "session_scheduled" if before[0] is None else "session_moved",
        session.loop,
        session=session.id,
        start=start.isoformat(),
        timezone=tz,
        minutes=duration,
    )
    if session.interviewer is not None:
        _queue_invite(session, session.interviewer, cancel=False)


def schedule_loop(
    loop: Loop,
    first_start_local: datetime,
    tz: str,
    break_minutes: int,
    actor: User,
    meeting_url: str | None = None,
) -> list[LoopSession]:
    """Schedule every session of a loop back to back, in order, with breaks between them.

    Each session keeps its meeting length (or takes its planned minutes); a meeting link
    given here goes to every session, otherwise each keeps its own.
    """
    if not isinstance(break_minutes, int) or not 0 <= break_minutes <= MAX_BREAK:
        raise ScheduleError("break_minutes", f"A break lasts 0 to {MAX_BREAK} minutes.")
    start = to_utc(first_start_local, tz)
    url = check_meeting_url(meeting_url)
    for session in loop.sessions:
        # in absolute time: a session across a change of the clocks still lasts its length
        minutes = duration_of(session)
        _set(session, start, tz, minutes, url or session.meeting_url, actor)
        start += timedelta(minutes=minutes + break_minutes)
    return list(loop.sessions)


def cancel_session(session: LoopSession, actor: User) -> bool:
    """Take a session off the calendar and cancel its invite; False if it was not scheduled."""
    if session.scheduled_at is None:
        return False
    _next_sequence(session)
    if session.interviewer is not None:
        _queue_invite(session, session.interviewer, cancel=True)  # built with the old times
    audit(actor, "session_unscheduled", session.loop, session=session.id)
    session.scheduled_at = None
    return True


def interviewer_changed(session: LoopSession, old: User | None, new: User | None) -> None:
    """Tell a scheduled session's previous interviewer it is off and the new one it is on."""
    if session.scheduled_at is None:
        return
    _next_sequence(session)
    if old is not None:
        _queue_invite(session, old, cancel=True)
    if new is not None:
        _queue_invite(session, new, cancel=False)


def details_changed(session: LoopSession, now: datetime | None = None) -> bool:
    """Send an upcoming session's interviewer the updated invite (the prep note changed);
    False when the session is not scheduled, already over or has no interviewer."""
    if session.scheduled_at is None or session.interviewer is None:
        return False
    if not ends_after(session, now or utcnow()):
        return False
    _next_sequence(session)
    _queue_invite(session, session.interviewer, cancel=False)
    return True


def _next_sequence(session: LoopSession) -> None:
    """Give a session its stable UID on its first invite; raise SEQUENCE on every later one."""
    if session.invite_uid:
        session.invite_sequence = (session.invite_sequence or 0) + 1
    else:
        session.invite_uid = f"{uuid.uuid4()}@interviewkit"
        session.invite_sequence = 0


# -- the invitation --------------------------------------------------------------------------


def kit_url(session: LoopSession) -> str:
    """Return the full address of a session's interview kit."""
    return link("kit.kit", session_id=session.id)


def event_for(session: LoopSession, attendee: User | None, *, cancel: bool = False) -> Event:
    """Return the VEVENT of a scheduled session (the invite's and the feed's)."""
    s = slot(session)
    if s is None:
        raise ValueError("an unscheduled session has no event")
    loop = session.loop
    kit = kit_url(session)
    lines = [f"Interview kit: {kit}"]
    if session.meeting_url:
        lines.append(f"Meeting: {session.meeting_url}")
    if loop.prep_note:
        lines += ["", "Prep note from the hiring lead:", loop.prep_note]
    event = Event()
    event.add("uid", session.invite_uid)
    event.add("sequence", session.invite_sequence or 0)
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", s.start)
    event.add("dtend", s.end)
    event.add("summary", f"Interview: {loop.candidate.name} – {session.name}")
    event.add("description", "\n".join(lines))
    event.add("url", kit)
    if session.meeting_url:
        event.add("location", session.meeting_url)
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    event.add("transp", "OPAQUE")
    organizer = vCalAddress(f"mailto:{_from_address()}")
    organizer.params["cn"] = "interviewkit"
    event.add("organizer", organizer)
    if attendee is not None:
        who = vCalAddress(f"mailto:{attendee.email}")
        who.params["cn"] = attendee.name
        who.params["role"] = "REQ-PARTICIPANT"
        who.params["partstat"] = "NEEDS-ACTION"
        who.params["rsvp"] = "FALSE"  # replies would go to the app's address, which reads none
        event.add("attendee", who)
    return event


def calendar(events: list[Event], method: str | None = None) -> bytes:
    """Return a VCALENDAR holding the events, with a VTIMEZONE for each zone they use."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    for event in events:
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def invite(session: LoopSession, attendee: User, *, cancel: bool = False) -> bytes:
    """Return the iCalendar invitation (REQUEST) or cancellation (CANCEL) for one attendee."""
    event = event_for(session, attendee, cancel=cancel)
    return calendar([event], "CANCEL" if cancel else "REQUEST")


def _from_address() -> str:
    sender = current_app.config.get("MAIL_FROM") or "interviewkit@localhost"
    return sender.rsplit("<", 1)[-1].rstrip(">").strip()


def invite_email(session: LoopSession, attendee: User, *, cancel: bool = False) -> EmailMessage:
    """Return the email carrying an invitation: plain text, HTML and the calendar part."""
    s = slot(session)
    ics = invite(session, attendee, cancel=cancel)
    tz = user_zone(attendee)
    when_text = s.shown_in(tz) + f" ({tz})"
    candidate, loop = session.loop.candidate.name, session.loop
    kit = kit_url(session)
    if cancel:
        subject = f"Cancelled: interview with {candidate} ({session.name})"
        headline = f"This interview is cancelled for you: {candidate}, {session.name}."
    elif session.invite_sequence:
        subject = f"Updated: interview with {candidate} ({session.name}), {s.shown_in(tz)}"
        headline = f"This interview has changed: you interview {candidate}, {session.name}."
    else:
        subject = f"Invitation: interview with {candidate} ({session.name}), {s.shown_in(tz)}"
        headline = f"You are interviewing {candidate}: {session.name}."
    preferences = link("auth.account")
    lines = [f"Hello {attendee.name},", "", headline, "", f"When: {when_text}"]
    if cancel:
        lines += ["", f"Your interviews: {link('kit.queue')}"]
    else:
        if session.meeting_url:
            lines.append(f"Meeting: {session.meeting_url}")
        lines += ["", f"Open your interview kit: {kit}"]
        if loop.prep_note:
            lines += ["", "Prep note from the hiring lead:", loop.prep_note]
    lines += ["", f"Choose which emails you get: {preferences}"]
    html = render_template(
        "email/invite.html",
        subject=subject,
        name=attendee.name,
        headline=headline,
        candidate=candidate,
        session_name=session.name,
        when=when_text,
        meeting_url=session.meeting_url,
        kit_url=kit,
        queue_url=link("kit.queue"),
        prep_note=loop.prep_note,
        cancelled=cancel,
        preferences=preferences,
    )
    msg = message(attendee.email, subject, "\n".join(lines) + "\n", html)
    method = "CANCEL" if cancel else "REQUEST"
    # the calendar part beside the text and HTML is what mail clients show as an invite;
    # the attachment is for the ones that only import files
    msg.add_alternative(ics.decode(), subtype="calendar", params={"method": method})
    msg.add_attachment(ics, maintype="application", subtype="ics", filename="invite.ics")
    return msg


def _queue_invite(session: LoopSession, attendee: User, *, cancel: bool) -> None:
    """Queue an invite for after the commit, if the attendee wants invites and mail is set up."""
    if not (attendee.active and attendee.email_invites and mail_configured()):
        return
    try:
        msg = invite_email(session, attendee, cancel=cancel)
    except LinkError as exc:  # the change still stands; the log says what to set
        current_app.logger.warning("invite to %s not sent: %s", attendee.email, exc)
        return
    send_after_commit(msg, candidate_id=session.loop.candidate_id)


# -- the calendar feed -----------------------------------------------------------------------


def hash_feed_token(token: str) -> str:
    """Return the stored form of a calendar feed token."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_feed_token(user: User, actor: User) -> str:
    """Give a user a new calendar feed secret (the old one stops working); return it once."""
    token = secrets.token_urlsafe(32)
    rotated = user.calendar_token_hash is not None
    user.calendar_token_hash = hash_feed_token(token)
    audit(actor, "calendar_feed_rotated" if rotated else "calendar_feed_created", user)
    return token


def revoke_feed_token(user: User, actor: User) -> bool:
    """Turn a user's calendar feed off; False if they had none."""
    if user.calendar_token_hash is None:
        return False
    user.calendar_token_hash = None
    audit(actor, "calendar_feed_revoked", user)
    return True


def feed_owner(token: str) -> User | None:
    """Return the active user whose calendar feed this token opens, or None."""
    if not token or len(token) > 200:
        return None
    return db.session.execute(
        select(User).where(
            User.calendar_token_hash == hash_feed_token(token), User.active.is_(True)
        )
    ).scalar_one_or_none()


def feed(user: User, now: datetime | None = None) -> bytes:
    """Return a user's calendar feed: their scheduled sessions, upcoming or recent."""
    now = now or utcnow()
    since = now - timedelta(days=FEED_PAST_DAYS)
    sessions = db.session.execute(
        select(LoopSession)
        .where(
            LoopSession.interviewer_id == user.id,
            LoopSession.scheduled_at.is_not(None),
            LoopSession.scheduled_at >= since - timedelta(minutes=MAX_DURATION),
        )
        .order_by(LoopSession.scheduled_at)
    ).scalars()
    events = [event_for(s, user) for s in sessions if ends_after(s, since)]
    return calendar(events)


def ends_after(session: LoopSession, moment: datetime) -> bool:
    """Return True if a scheduled session is still to come or going on at `moment`."""
    return session.scheduled_at + timedelta(minutes=duration_of(session)) > moment
