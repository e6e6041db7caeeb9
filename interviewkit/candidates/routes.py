"""Candidate and loop views."""

from __future__ import annotations

import functools

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from .. import scheduling
from ..content.schema import HANDS_ON
from ..extensions import bank, db
from ..inputs import db_id
from ..loops import service
from ..mail import mail_configured
from ..models import Candidate, Loop, LoopQuestion, LoopSession, User, audit
from ..security import roles_required
from ..vocabulary import Role
from . import bp
from .forms import (
    AssignForm,
    CandidateForm,
    EmptyForm,
    LoopForm,
    MoveForm,
    PrepNoteForm,
    QuestionIdForm,
    ScheduleForm,
    ScheduleLoopForm,
    SessionForm,
)

LEADS = (Role.LEAD, Role.ADMIN)


@bp.get("/candidates")
@roles_required(*LEADS)
def index():
    """List candidates, newest first."""
    status = request.args.get("status", "active")
    query = (
        select(Candidate)
        .order_by(Candidate.created_at.desc())
        .options(selectinload(Candidate.decisions), selectinload(Candidate.loops))
    )
    if status != "all":
        query = query.where(Candidate.status == status)
    return render_template(
        "candidates/index.html", candidates=db.session.execute(query).scalars().all(), status=status
    )


@bp.route("/candidates/new", methods=["GET", "POST"])
@roles_required(*LEADS)
def new():
    """Create a candidate."""
    form = CandidateForm()
    duplicates: list[Candidate] = []
    if form.validate_on_submit():
        duplicates = same_email(form.email.data)
        if not duplicates or form.allow_duplicate.data:
            candidate = Candidate(created_by_id=current_user.id)
            fill(candidate, form)
            db.session.add(candidate)
            db.session.flush()
            audit(current_user, "candidate_created", candidate, **_duplicate_detail(duplicates))
            db.session.commit()
            flash(f"Created {candidate.name}. Next: assemble an interview loop.", "info")
            return redirect(url_for("candidates.detail", candidate_id=candidate.id))
    return render_template("candidates/form.html", form=form, candidate=None, duplicates=duplicates)


def same_email(email: str, exclude_id: int | None = None) -> list[Candidate]:
    """Return the other candidates with this email, compared trimmed and case-insensitively."""
    query = select(Candidate).where(func.lower(func.trim(Candidate.email)) == email.strip().lower())
    if exclude_id is not None:
        query = query.where(Candidate.id != exclude_id)
    return list(db.session.execute(query.order_by(Candidate.id)).scalars())


def _duplicate_detail(duplicates: list[Candidate]) -> dict:
    return {"duplicate_of": [c.id for c in duplicates]} if duplicates else {}


def fill(candidate: Candidate, form: CandidateForm) -> None:
    """Copy a valid candidate form onto a candidate (the pages and the API share it)."""
    candidate.name = form.name.data.strip()
    candidate.email = _email(form)
    candidate.role_title = form.role_title.data.strip()
    candidate.level = form.level.data
    candidate.status = form.status.data
    candidate.links = getattr(form, "link_list", [])
    candidate.language = (form.language.data or "").strip()


def _email(form: CandidateForm) -> str:
    return form.email.data.strip().lower()


@bp.get("/candidates/<int:candidate_id>")
@roles_required(*LEADS)
def detail(candidate_id: int):
    """Show a candidate and their loops."""
    # the loops, their sessions and each session's interviewer in one query each, not one
    # per session (tests/test_query_counts.py)
    candidate = db.get_or_404(
        Candidate,
        candidate_id,
        description="No candidate with that id.",
        options=[
            selectinload(Candidate.loops)
            .selectinload(Loop.sessions)
            .selectinload(LoopSession.interviewer)
        ],
    )
    return render_template("candidates/detail.html", candidate=candidate)


@bp.route("/candidates/<int:candidate_id>/edit", methods=["GET", "POST"])
@roles_required(*LEADS)
def edit(candidate_id: int):
    """Edit a candidate."""
    candidate = db.get_or_404(Candidate, candidate_id, description="No candidate with that id.")
    form = CandidateForm(obj=candidate)
    if request.method == "GET":
        form.links.data = "\n".join(candidate.links or [])
    form.allow_duplicate.label.text = "Save anyway (keep both records of this person)"
    duplicates: list[Candidate] = []
    if form.validate_on_submit():
        if _email(form) != candidate.email.strip().lower():  # only a changed email is checked
            duplicates = same_email(_email(form), exclude_id=candidate.id)
        if not duplicates or form.allow_duplicate.data:
            fill(candidate, form)
            audit(current_user, "candidate_updated", candidate, **_duplicate_detail(duplicates))
            db.session.commit()
            flash("Saved.", "info")
            return redirect(url_for("candidates.detail", candidate_id=candidate.id))
    return render_template(
        "candidates/form.html", form=form, candidate=candidate, duplicates=duplicates
    )


@bp.route("/candidates/<int:candidate_id>/loops/new", methods=["GET", "POST"])
@roles_required(*LEADS)
def new_loop(candidate_id: int):
    """Assemble a loop for a candidate from a loop template."""
    candidate = db.get_or_404(Candidate, candidate_id, description="No candidate with that id.")
    templates = bank.loop_templates()
    form = LoopForm()
    form.template.choices = [SelectChoice(value=t["id"], label=t["title"]) for t in templates]
    if request.method == "GET":
        form.template.data = next(
            (t["id"] for t in templates if t["level"] == candidate.level), None
        )
    if form.validate_on_submit():
        template = next(t for t in templates if t["id"] == form.template.data)
        loop = service.create_loop(candidate, template, current_user, form.seed.data or None)
        db.session.commit()
        flash("Loop assembled. Assign an interviewer to each session.", "info")
        return redirect(url_for("candidates.loop", loop_id=loop.id))
    return render_template(
        "candidates/new_loop.html", form=form, candidate=candidate, templates=templates
    )


def _loop_or_404(loop_id: int) -> Loop:
    return db.get_or_404(Loop, loop_id, description="No loop with that id.")


def _question_in(loop: Loop, lq_id: int) -> LoopQuestion:
    lq = db.session.get(LoopQuestion, lq_id)
    if lq is None or lq.session.loop_id != loop.id:
        abort(404, description="No such question in this loop.")
    return lq


def _session_in(loop: Loop, session_id: int) -> LoopSession:
    session = db.session.get(LoopSession, session_id)
    if session is None or session.loop_id != loop.id:
        abort(404, description="No such session in this loop.")
    return session


@bp.get("/loops/<int:loop_id>")
@roles_required(*LEADS)
def loop(loop_id: int):
    """Show a loop: sessions, questions with why each was chosen, and what to change."""
    # its sessions and their questions in one query each, whatever the number of sessions
    # (tests/test_query_counts.py)
    loop = db.get_or_404(
        Loop,
        loop_id,
        description="No loop with that id.",
        options=[
            selectinload(Loop.sessions).selectinload(LoopSession.questions),
            selectinload(Loop.candidate),
        ],
    )
    interviewers = (
        db.session.execute(select(User).where(User.active.is_(True)).order_by(User.name))
        .scalars()
        .all()
    )
    frozen = {
        sid: service.frozen_reason(card)
        for sid, card in service.sessions_with_feedback(loop).items()
    }
    search_session = request.args.get("session", type=db_id)
    query = request.args.get("q", "").strip()[:200]
    hits = bank.search(query, level=loop.level, limit=15) if search_session and query else []
    open_swap = request.args.get("swap", type=db_id)
    suggestions = {}
    if open_swap:
        suggestions[open_swap] = service.suggestions(_question_in(loop, open_swap))
    checks = service.check_loop(loop)
    session_form = SessionForm()
    session_form.competencies.choices = _competency_choices()
    return render_template(
        "candidates/loop.html",
        iloop=loop,
        interviewers=interviewers,
        hits=hits,
        query=query,
        search_session=search_session,
        suggestions=suggestions,
        checks=checks,
        frozen=frozen,
        frozen_help=service.FROZEN_HELP,
        competencies=bank.competency_titles(),
        session_form=session_form,
        assign_form=AssignForm(),
        id_form=QuestionIdForm(),
        move_form=MoveForm(),
        empty_form=EmptyForm(),
        prep_form=PrepNoteForm(prep_note=loop.prep_note),
        schedule_forms={s.id: _schedule_form(s) for s in loop.sessions},
        loop_schedule_form=_loop_schedule_form(loop),
    )


@bp.app_template_global()
@functools.cache
def zone_datalist() -> Markup:
    """Return the <datalist> of every IANA zone name for the time zone fields, built once.

    Some 600 options, the same on every view: escaping them on each loop page was a fifth
    of its time (bench/README.md, "web.py").
    """
    option = Markup('<option value="{}">')
    options = Markup("").join(option.format(z) for z in sorted(scheduling.zone_names()))
    return Markup('<datalist id="timezones">{}</datalist>').format(options)


def _schedule_form(session: LoopSession) -> ScheduleForm:
    """Return a session's schedule form, filled in the zone its time was entered in."""
    slot = scheduling.slot(session)
    tz = session.timezone or scheduling.user_zone(current_user)
    return ScheduleForm(
        formdata=None,
        date=f"{slot.start:%Y-%m-%d}" if slot else "",
        time=f"{slot.start:%H:%M}" if slot else "",
        timezone=tz,
        duration=scheduling.duration_of(session),
        meeting_url=session.meeting_url,
    )


def _loop_schedule_form(loop: Loop) -> ScheduleLoopForm:
    first = next((s for s in loop.sessions if s.timezone), None)
    return ScheduleLoopForm(
        formdata=None, timezone=first.timezone if first else scheduling.user_zone(current_user)
    )


def _flash_form(form, what: str) -> None:
    for name, errors in form.errors.items():
        label = getattr(form, name).label.text if hasattr(form, name) else name
        for message in errors:
            flash(f"{what}: {label}: {message}", "error")


def _invite_note(sessions: list[LoopSession]) -> str:
    """Say who gets a calendar invite, so the lead knows whether to tell anyone else."""
    names = sorted({s.interviewer.name for s in sessions if s.interviewer is not None})
    if not mail_configured():
        return "No mail server is set up (MAIL_SERVER): tell the interviewers yourself."
    if not names:
        return "Assign an interviewer: they get a calendar invite when assigned."
    return f"Calendar invite sent to {', '.join(names)} (if they get invites by email)."


@bp.post("/loops/<int:loop_id>/sessions/<int:session_id>/schedule")
@roles_required(*LEADS)
def schedule(loop_id: int, session_id: int):
    """Set or move a session's date, time, zone, length and meeting link; invite its interviewer."""
    loop = _loop_or_404(loop_id)
    session = _session_in(loop, session_id)
    form = ScheduleForm()
    start = form.check()
    if start is None:
        _flash_form(form, f"{session.name} is not scheduled")
        return _back(loop, _anchor=f"session-{session.id}")
    scheduling.schedule_session(
        session, start, form.zone_name, form.duration.data, form.meeting_url.data, current_user
    )
    db.session.commit()  # the invite is sent after this, never for a change rolled back
    flash(
        f"{session.name}: {scheduling.when(session, current_user)}. {_invite_note([session])}",
        "info",
    )
    return _back(loop, _anchor=f"session-{session.id}")


@bp.post("/loops/<int:loop_id>/sessions/<int:session_id>/unschedule")
@roles_required(*LEADS)
def unschedule(loop_id: int, session_id: int):
    """Take a session off the calendar; its interviewer gets a cancellation."""
    loop = _loop_or_404(loop_id)
    session = _session_in(loop, session_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if scheduling.cancel_session(session, current_user):
        db.session.commit()
        flash(f"{session.name} is no longer scheduled; its interviewer is told.", "info")
    return _back(loop, _anchor=f"session-{session.id}")


@bp.post("/loops/<int:loop_id>/schedule")
@roles_required(*LEADS)
def schedule_loop(loop_id: int):
    """Schedule every session of a loop back to back, with breaks; invite the interviewers."""
    loop = _loop_or_404(loop_id)
    form = ScheduleLoopForm()
    start = form.check()
    if start is None:
        _flash_form(form, "The loop is not scheduled")
        return _back(loop, _anchor="schedule")
    sessions = scheduling.schedule_loop(
        loop,
        start,
        form.zone_name,
        form.break_minutes.data,
        current_user,
        meeting_url=form.meeting_url.data,
    )
    db.session.commit()
    flash(f"Scheduled {len(sessions)} sessions back to back. {_invite_note(sessions)}", "info")
    return _back(loop, _anchor="schedule")


@bp.post("/loops/<int:loop_id>/prep-note")
@roles_required(*LEADS)
def prep_note(loop_id: int):
    """Save the lead's prep note, shown at the top of every kit of the loop."""
    loop = _loop_or_404(loop_id)
    form = PrepNoteForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(f"Prep note not saved: {message}", "error")
        return _back(loop)
    if service.set_prep_note(loop, (form.prep_note.data or "").strip(), current_user):
        db.session.commit()
    flash(
        "Prep note saved: every interviewer of this loop sees it at the top of their kit "
        "(scheduled interviewers get the updated invite).",
        "info",
    )
    return _back(loop)


def _flash_violations(violations) -> None:
    for v in violations:
        flash(v.message, "error" if v.severity == "error" else "warning")


def _back(loop: Loop, **anchor):
    return redirect(url_for("candidates.loop", loop_id=loop.id, **anchor))


@bp.post("/loops/<int:loop_id>/sessions/<int:session_id>/assign")
@roles_required(*LEADS)
def assign(loop_id: int, session_id: int):
    """Assign an interviewer to a session (refused once the session holds feedback)."""
    loop = _loop_or_404(loop_id)
    session = _session_in(loop, session_id)
    form = AssignForm()
    active = {
        u.id: u for u in db.session.execute(select(User).where(User.active.is_(True))).scalars()
    }
    form.interviewer.choices = [SelectChoice(value=0, label="nobody")] + [
        SelectChoice(value=u.id, label=u.name) for u in active.values()
    ]
    if not form.validate_on_submit():
        abort(400, description="Choose an active user.")
    interviewer = active.get(form.interviewer.data)

    def change():
        service.assign(session, interviewer, current_user)
        return []

    return _change(loop, change)


@bp.post("/loops/<int:loop_id>/sessions")
@roles_required(*LEADS)
def add_session(loop_id: int):
    """Add a new, empty session to a loop."""
    loop = _loop_or_404(loop_id)
    form = SessionForm()
    form.competencies.choices = _competency_choices()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return _back(loop)

    name = form.name.data.strip()

    def change():
        kinds = [HANDS_ON] if form.coding.data else []
        service.add_session(
            loop, name, form.minutes.data, form.competencies.data, current_user, kinds
        )
        return []

    return _change(loop, change, f"Added {name}. Find questions for it below.")


def _competency_choices() -> list[SelectChoice]:
    return [SelectChoice(value=k, label=v) for k, v in bank.competency_titles().items()]


@bp.post("/loops/<int:loop_id>/questions/<int:lq_id>/swap")
@roles_required(*LEADS)
def swap(loop_id: int, lq_id: int):
    """Swap a question for another one; rules are checked and violations shown."""
    loop = _loop_or_404(loop_id)
    lq = _question_in(loop, lq_id)
    form = QuestionIdForm()
    if not form.validate_on_submit():
        abort(400, description="Choose a question to swap in.")
    return _change(loop, lambda: service.swap(lq, form.question_id.data, current_user))


@bp.post("/loops/<int:loop_id>/sessions/<int:session_id>/add")
@roles_required(*LEADS)
def add(loop_id: int, session_id: int):
    """Add a question found by search to a session."""
    loop = _loop_or_404(loop_id)
    session = _session_in(loop, session_id)
    form = QuestionIdForm()
    if not form.validate_on_submit():
        abort(400, description="Choose a question to add.")
    return _change(loop, lambda: service.add(session, form.question_id.data, current_user))


@bp.post("/loops/<int:loop_id>/questions/<int:lq_id>/remove")
@roles_required(*LEADS)
def remove(loop_id: int, lq_id: int):
    """Remove a question from its session."""
    loop = _loop_or_404(loop_id)
    lq = _question_in(loop, lq_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    return _change(loop, lambda: service.remove(lq, current_user))


@bp.post("/loops/<int:loop_id>/questions/<int:lq_id>/move")
@roles_required(*LEADS)
def move(loop_id: int, lq_id: int):
    """Move a question up or down in its session."""
    loop = _loop_or_404(loop_id)
    lq = _question_in(loop, lq_id)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400, description="Say up or down.")

    def change():
        service.move(lq, -1 if form.direction.data == "up" else 1, current_user)
        return []

    return _change(loop, change)


def _change(loop: Loop, action, done: str = "Saved."):
    try:
        warnings = action()
    except service.RuleError as exc:
        db.session.rollback()
        _flash_violations(exc.violations)
        return _back(loop)
    db.session.commit()
    _flash_violations(warnings)
    if not warnings:
        flash(done, "info")
    return _back(loop)
