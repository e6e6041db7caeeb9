"""The app database: users, login sessions, candidates, loops and the audit log.

SQLAlchemy 2.0 style, portable between SQLite and PostgreSQL (no dialect-only SQL).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, select, true, update
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from .extensions import db
from .vocabulary import DECISION_LABELS, RATINGS_LOCKED, CardStatus, Role


def utcnow() -> datetime:
    """Return the current UTC time, naive (stored the same way by SQLite and PostgreSQL)."""
    return datetime.now(UTC).replace(tzinfo=None)


class User(db.Model):
    """A person who signs in: an admin, a hiring lead or an interviewer."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20), default=Role.INTERVIEWER.value)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Their own settings (the account page): the IANA zone times are shown in ("" = the
    # site's DEFAULT_TIMEZONE), which emails they want, and their calendar feed's secret,
    # stored hashed (shown once; None = no feed).
    timezone: Mapped[str] = mapped_column(String(64), default="", server_default="")
    email_invites: Mapped[bool] = mapped_column(default=True, server_default=true())
    email_reminders: Mapped[bool] = mapped_column(default=True, server_default=true())
    calendar_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)

    login_sessions: Mapped[list[LoginSession]] = relationship(back_populates="user")

    # Flask-Login: the id kept in the cookie is the token of one login session, not the
    # user id, so revoking that session (logout, password change, disabling) ends it.
    login_token = None  # set on the instance when a login session is loaded
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        """Return whether the user may sign in."""
        return self.active

    def get_id(self) -> str | None:
        """Return the current login session's token for Flask-Login."""
        return self.login_token

    @property
    def role_enum(self) -> Role:
        """Return the role as a Role."""
        return Role(self.role)

    def has_role(self, *roles: Role | str) -> bool:
        """Return True if the user has one of the roles."""
        return self.role in {str(r) for r in roles}

    @property
    def is_lead(self) -> bool:
        """Return True for hiring leads and admins, who see every candidate's feedback."""
        return self.role in (Role.LEAD.value, Role.ADMIN.value)


class LoginSession(db.Model):
    """One sign-in on one browser; the cookie holds its token, the database its hash."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    user_agent: Mapped[str] = mapped_column(String(255), default="")

    user: Mapped[User] = relationship(back_populates="login_sessions")

    @staticmethod
    def hash_token(token: str) -> str:
        """Return the stored form of a session token."""
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def find_active(cls, token: str) -> LoginSession | None:
        """Return the unrevoked login session for a token, or None."""
        # the user comes in the same query: every signed-in request asks for both
        return db.session.execute(
            select(cls)
            .where(cls.token_hash == cls.hash_token(token), cls.revoked_at.is_(None))
            .options(joinedload(cls.user))
        ).scalar_one_or_none()


def revoke_login_sessions(user: User) -> None:
    """Revoke every sign-in of a user (password change, account disabled); no commit."""
    db.session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


class UserIdentity(db.Model):
    """A user's account at an OpenID Connect provider: its issuer and subject (`sub`).

    Sign-in through a provider finds the user by this pair, never by email. `via` says how
    the link was made: "admin" (linked_by is that admin), "email" (a verified email of an
    allowed domain matched the user) or "created" (the user was created at sign-in).
    """

    __tablename__ = "user_identities"
    __table_args__ = (Index("ux_user_identities_issuer_subject", "issuer", "subject", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issuer: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(255))
    via: Mapped[str] = mapped_column(String(20))
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class OidcState(db.Model):
    """One started provider sign-in: its state's nonce and PKCE verifier, used once.

    Authlib keeps them here (auth/oidc.py's cache) rather than in the browser's cookie, so
    the callback can be accepted once only, whatever copy of the cookie comes back.
    """

    __tablename__ = "oidc_states"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ApiToken(db.Model):
    """A personal API token: a user's key for scripts, shown once, stored as a hash.

    The token acts as its user with that user's role, narrowed by its scope: `read`
    tokens may only read. It stops working when revoked, when it expires or when its
    user is disabled.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # the first characters, to recognise it
    scope: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    user: Mapped[User] = relationship()

    def state(self, now: datetime) -> str:
        """Return "active", "expired" or "revoked"."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if now >= self.expires_at else "active"


class OutgoingMail(db.Model):
    """An email written in the same transaction as the change it announces (a calendar
    invite), kept until the SMTP server takes it: sent right after the commit, retried
    with backoff while the server does not answer, deleted once sent (no copy is kept).

    `message` is the whole RFC 5322 message; `candidate_id` says whose data it holds, so
    deleting a candidate's personal data deletes what is still waiting to be sent.
    """

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_next_attempt", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message: Mapped[str] = mapped_column(Text)
    candidate_id: Mapped[int | None] = mapped_column(default=None, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=utcnow)  # None: gave up
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotentRequest(db.Model):
    """A create request sent with an Idempotency-Key, and the answer it got.

    A retry with the same key and the same request gets the same answer instead of
    creating a second thing; the same key with a different request is refused. Keys are
    per user and kept for IDEMPOTENCY_HOURS.
    """

    __tablename__ = "idempotent_requests"
    __table_args__ = (Index("ux_idempotent_user_key", "user_id", "key", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))  # method, path and body, hashed
    status: Mapped[int] = mapped_column()
    body: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Candidate(db.Model):
    """A person being interviewed for a role at a target level."""

    __tablename__ = "candidates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    role_title: Mapped[str] = mapped_column(String(120))
    level: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="active")
    # Shown in the kit's header: where to read the CV and code samples, and the language
    # the candidate would rather write code in.
    links: Mapped[list] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(40), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the personal data was deleted (retention.purge_candidate); the scores stay.
    purged_at: Mapped[datetime | None] = mapped_column(default=None)

    loops: Mapped[list[Loop]] = relationship(
        back_populates="candidate", order_by="Loop.id", cascade="all, delete-orphan"
    )
    decisions: Mapped[list[Decision]] = relationship(
        back_populates="candidate", order_by="Decision.id", cascade="all, delete-orphan"
    )

    @property
    def decision(self) -> Decision | None:
        """Return the decision in force (the latest), or None before the first."""
        return self.decisions[-1] if self.decisions else None


class Loop(db.Model):
    """An interview loop for a candidate, assembled from a loop template."""

    __tablename__ = "loops"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    template_id: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20))
    seed: Mapped[str] = mapped_column(String(64))
    bank_build: Mapped[str] = mapped_column(String(64), default="")
    notes: Mapped[list] = mapped_column(JSON, default=list)
    # The lead's note to every interviewer of this loop: what to focus on, what earlier
    # rounds left open. Shown at the top of each kit; it is the lead's text, not feedback.
    prep_note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    candidate: Mapped[Candidate] = relationship(back_populates="loops")
    sessions: Mapped[list[LoopSession]] = relationship(
        back_populates="loop", order_by="LoopSession.position", cascade="all, delete-orphan"
    )


class LoopSession(db.Model):
    """One interview in a loop: its competencies, minutes, interviewer and questions."""

    __tablename__ = "loop_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    loop_id: Mapped[int] = mapped_column(ForeignKey("loops.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(120))
    minutes: Mapped[int]
    competencies: Mapped[list] = mapped_column(JSON, default=list)
    # the question kinds the session takes ([] = every kind but hands-on exercises)
    kinds: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    interviewer_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    notes: Mapped[list] = mapped_column(JSON, default=list)
    # When the meeting starts (naive UTC; None = not scheduled, or cancelled), the IANA
    # zone it was entered in ("" = UTC) and how long the meeting lasts. The meeting's
    # length is its own: `minutes` is the questions' time budget, and a meeting usually
    # has room for introductions and the candidate's questions too. scheduling.py owns
    # these, and the calendar invite's UID (stable for the session) and SEQUENCE (one
    # up with every change an interviewer is told about).
    scheduled_at: Mapped[datetime | None] = mapped_column(default=None)
    timezone: Mapped[str] = mapped_column(String(64), default="", server_default="")
    duration_minutes: Mapped[int | None] = mapped_column(default=None)
    meeting_url: Mapped[str] = mapped_column(String(2000), default="", server_default="")
    invite_uid: Mapped[str] = mapped_column(String(80), default="", server_default="")
    invite_sequence: Mapped[int] = mapped_column(default=0, server_default="0")

    loop: Mapped[Loop] = relationship(back_populates="sessions")
    interviewer: Mapped[User | None] = relationship()
    questions: Mapped[list[LoopQuestion]] = relationship(
        back_populates="session", order_by="LoopQuestion.position", cascade="all, delete-orphan"
    )

    @property
    def minutes_used(self) -> int:
        """Return the time budget of the session's questions."""
        return sum(q.minutes for q in self.questions)


class LoopQuestion(db.Model):
    """A question placed in a session, with the content exactly as it will be asked.

    The snapshot (title, minutes, rendered sections, Markdown source) is copied from the
    bank when the question is placed, so later edits to the file never change it.
    """

    __tablename__ = "loop_questions"
    __table_args__ = (Index("ix_loop_questions_question_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("loop_sessions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    question_id: Mapped[str] = mapped_column(String(80))
    content_hash: Mapped[str] = mapped_column(String(64))
    covers: Mapped[list] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(Text, default="")
    snapshot: Mapped[dict] = mapped_column(JSON)
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)

    session: Mapped[LoopSession] = relationship(back_populates="questions")

    @property
    def title(self) -> str:
        """Return the title as asked."""
        return self.snapshot["title"]

    @property
    def minutes(self) -> int:
        """Return the time budget as asked."""
        return self.snapshot["minutes"]


class AuditEvent(db.Model):
    """Who did what, when: kept for every change to users, candidates and loops."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(80))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[str] = mapped_column(String(80))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


def audit(actor: User | None, action: str, target, **detail) -> None:
    """Add an audit event for a change to `target` (committed with the change)."""
    db.session.add(
        AuditEvent(
            actor_id=actor.id if actor is not None and actor.is_authenticated else None,
            action=action,
            target_type=type(target).__name__.lower(),
            target_id=str(target.id),
            detail=detail,
        )
    )


# -- the live interview kit and scorecards --------------------------------------------------


class Scorecard(db.Model):
    """One interviewer's notes, scores and verdict for one session of a loop.

    status: draft -> ratings_submitted (scores and recommendation locked) -> submitted
    (evidence written too). After submission, changes are amendments with a reason.
    """

    __tablename__ = "scorecards"
    # One per interviewer per session: if a lead reassigns a session, the new interviewer
    # starts a scorecard of their own and never sees the previous one's draft.
    __table_args__ = (
        Index("ux_scorecards_session_interviewer", "session_id", "interviewer_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("loop_sessions.id", ondelete="CASCADE"))
    interviewer_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default=CardStatus.DRAFT.value)
    recommendation: Mapped[str | None] = mapped_column(String(20), default=None)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    ratings_submitted_at: Mapped[datetime | None] = mapped_column(default=None)
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)

    session: Mapped[LoopSession] = relationship()
    interviewer: Mapped[User | None] = relationship()
    texts: Mapped[list[KitText]] = relationship(
        back_populates="scorecard", cascade="all, delete-orphan"
    )
    scores: Mapped[list[KitScore]] = relationship(
        back_populates="scorecard", cascade="all, delete-orphan"
    )
    ratings: Mapped[list[CompetencyRating]] = relationship(
        back_populates="scorecard", order_by="CompetencyRating.id", cascade="all, delete-orphan"
    )
    amendments: Mapped[list[Amendment]] = relationship(
        back_populates="scorecard", order_by="Amendment.id", cascade="all, delete-orphan"
    )

    @property
    def ratings_locked(self) -> bool:
        """Return True once the ratings have been submitted."""
        return self.status in RATINGS_LOCKED

    @property
    def is_submitted(self) -> bool:
        """Return True once the whole scorecard (ratings and evidence) is submitted."""
        return self.status == CardStatus.SUBMITTED

    def text(self, key: str) -> str:
        """Return the current text of a slot ("" if never written)."""
        return next((t.text for t in self.texts if t.key == key), "")


class KitText(db.Model):
    """A text the interviewer types, autosaved: general notes, a question's notes, evidence.

    key: "general", "notes:<loop question id>" or "evidence:<competency>". `version` goes up
    by one with every save; a save based on an older version is a conflict (another tab).
    """

    __tablename__ = "kit_texts"
    __table_args__ = (Index("ux_kit_texts_card_key", "scorecard_id", "key", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    scorecard: Mapped[Scorecard] = relationship(back_populates="texts")


class KitRevision(db.Model):
    """Every saved version of a kit text: the base for merges and the idempotency record."""

    __tablename__ = "kit_revisions"
    __table_args__ = (
        Index("ix_kit_revisions_card_key_version", "scorecard_id", "key", "version"),
        Index("ux_kit_revisions_save_id", "scorecard_id", "save_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))
    version: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    save_id: Mapped[str] = mapped_column(String(64))
    conflict: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class KitScore(db.Model):
    """The score an interviewer gave one question: 1-4, or 0 for "not asked"."""

    __tablename__ = "kit_scores"
    __table_args__ = (
        Index("ux_kit_scores_card_question", "scorecard_id", "loop_question_id", unique=True),
        # Covering: question statistics read scores without the rows (migration e8f1a2b3c4d6).
        Index("ix_kit_scores_card_question_score", "scorecard_id", "loop_question_id", "score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id", ondelete="CASCADE"))
    loop_question_id: Mapped[int] = mapped_column(
        ForeignKey("loop_questions.id", ondelete="CASCADE")
    )
    score: Mapped[int | None] = mapped_column(default=None)
    version: Mapped[int] = mapped_column(default=0)
    save_id: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    scorecard: Mapped[Scorecard] = relationship(back_populates="scores")


class CompetencyRating(db.Model):
    """A scorecard's score for one competency, with the evidence behind it."""

    __tablename__ = "competency_ratings"
    __table_args__ = (
        Index("ux_ratings_card_competency", "scorecard_id", "competency", unique=True),
        # Covering: calibration and agreement read scores without the evidence (e8f1a2b3c4d6).
        Index("ix_ratings_card_competency_score", "scorecard_id", "competency", "score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id", ondelete="CASCADE"))
    competency: Mapped[str] = mapped_column(String(80))
    suggested: Mapped[int | None] = mapped_column(default=None)
    score: Mapped[int | None] = mapped_column(default=None)
    reason: Mapped[str] = mapped_column(Text, default="")  # why the score differs from suggested
    evidence: Mapped[str] = mapped_column(Text, default="")

    scorecard: Mapped[Scorecard] = relationship(back_populates="ratings")


class Amendment(db.Model):
    """A change to a submitted scorecard: who, when, why and what changed."""

    __tablename__ = "amendments"

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(
        ForeignKey("scorecards.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(Text)
    changes: Mapped[dict] = mapped_column(JSON, default=dict)

    scorecard: Mapped[Scorecard] = relationship(back_populates="amendments")
    actor: Mapped[User | None] = relationship()


# -- the hiring lead's decision and reminders -----------------------------------------------


class Decision(db.Model):
    """A hiring lead's decision on a candidate, with its rationale.

    Append-only: a change is a new row with the reason for the change, so every earlier
    decision stays on record and the latest row is the one in force.
    """

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    outcome: Mapped[str] = mapped_column(String(20))
    rationale: Mapped[str] = mapped_column(Text)
    change_reason: Mapped[str] = mapped_column(Text, default="")  # empty on the first decision
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    candidate: Mapped[Candidate] = relationship(back_populates="decisions")
    actor: Mapped[User | None] = relationship()

    @property
    def label(self) -> str:
        """Return the outcome as shown to people."""
        return DECISION_LABELS.get(self.outcome, self.outcome)


class ReminderSent(db.Model):
    """One reminder email about one interviewer's overdue scorecard, on one day.

    The unique index is what makes `interviewkit remind` safe to run from cron as often
    as you like: a second run on the same day finds the row and sends nothing.
    """

    __tablename__ = "reminders_sent"
    __table_args__ = (
        Index("ux_reminders_session_user_day", "session_id", "interviewer_id", "day", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("loop_sessions.id", ondelete="CASCADE"))
    interviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date]
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


# -- webhooks: signed notices to other systems, sent from a queue in this database ----------


class Webhook(db.Model):
    """An address an admin subscribed to some events; each delivery is signed with `secret`.

    The secret is stored as it is, since signing needs it (unlike a token, it cannot be a
    hash); it is shown to the admin once, when made or rotated, and never on a page again.
    """

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(100))
    events: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(db.Model):
    """One event to send to one webhook: the outbox row, its attempts and its outcome.

    `payload` is the exact body, built once when the event happened, so a retry or a
    redelivery sends the same bytes. status: pending -> delivered, or failed (given up
    after the last attempt). `locked_until` is a sender's claim on the row: while it is in
    the future no other sender takes the row; a sender that dies leaves a claim that
    simply expires.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # The sender's question, "what is due?", reads only pending rows in time order,
        # however many delivered rows the log keeps.
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        # A webhook's log, newest first.
        Index("ix_webhook_deliveries_webhook", "webhook_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)  # Interviewkit-Delivery
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column()
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    last_status_code: Mapped[int | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    redelivery_of: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="SET NULL")
    )

    webhook: Mapped[Webhook] = relationship()
