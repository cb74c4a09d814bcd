"""The wording of the program's posts and of /program and /schedule, from plain values.

Times are Discord timestamps (`<t:UNIX:style>`), so every reader sees them in their own time
zone. Every text is cut to fit Discord's 2,000-character message limit. Every function takes
`_`, the `Localizer` of the language to say it in: the reader's for /program, /schedule and a
moderator's reply; each of the session's in turn for a post (`bot.i18n.in_languages`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bot.i18n import ENGLISH, Localizer, Message, Text, msg
from bot.limits import CONTENT, cut_line
from bot.program import AgendaRow, PlannedPost, Timeline, decide, plan_posts
from bot.schedule import Delayed, Due, PostRecord, TopQuestion
from bot.sessions import Session
from bot.states import PASSED_REVIEW, UNANSWERED, State
from bot.timeutil import discord_timestamp
from cogs._common import shown

TITLE_LIMIT = 100  # segment titles in lists (/program, /schedule status, delay notice)
STATUS_POSTS = 8

KIND_LABEL: dict[str, Message] = {
    "segment": msg("Segment"),
    "reminder": msg("Reminder to moderators"),
    "intake-open": msg("Questions open"),
    "intake-close": msg("Questions close"),
    "summary": msg("Closing summary to moderators"),
    "report": msg("The report, to organizers"),
    "followups": msg("Follow-up posts for the unanswered questions"),
}
#: /schedule status: whether questions are open now, and who decided (a moderator's override).
INTAKE: dict[tuple[bool, str | None], Message] = {
    (True, "open"): msg("Questions: open (opened by hand)."),
    (True, "closed"): msg("Questions: open (closed by hand)."),
    (True, None): msg("Questions: open (by schedule)."),
    (False, "open"): msg("Questions: closed (opened by hand)."),
    (False, "closed"): msg("Questions: closed (closed by hand)."),
    (False, None): msg("Questions: closed (by schedule)."),
}


# ------------------------------------------------------------------------ rendering (plain)


def _t(moment: datetime, style: str = "t") -> str:
    return discord_timestamp(moment, style)


def _fit(lines: list[str]) -> str:
    """Join lines, dropping from the end (with a note) to stay within Discord's limit."""
    text = "\n".join(lines)
    while len(text) > CONTENT and len(lines) > 1:
        lines = lines[:-1]
        text = "\n".join([*lines, "…"])
    return text[:CONTENT]


def rehearsal_banner(timeline: Timeline, _: Localizer = ENGLISH) -> str | None:
    """Return the line that marks a rehearsal's messages, or None in a real run."""
    if not timeline.run.is_rehearsal:
        return None
    speed = format(timeline.speed, "g")
    return _(
        "🎬 **Rehearsal** (×{speed}, times are the rehearsal's), not the live session.", speed=speed
    )


def _lines(timeline: Timeline, _: Localizer, *lines: str | None) -> list[str]:
    return [line for line in (rehearsal_banner(timeline, _), *lines) if line is not None]


def segment_message(
    timeline: Timeline,
    row: AgendaRow,
    *,
    late: bool,
    approved_waiting: int,
    questions_channel: str,
    _: Localizer = ENGLISH,
) -> str:
    """The live-channel post when a segment starts."""
    session, segment = timeline.session, row.slot.segment
    lines = _lines(
        timeline,
        _,
        _("▶️ **Now: {title}**", title=cut_line(segment.title, 300)),
        f"{_t(row.start)} – {_t(row.end)}",
    )
    if late:
        lines.append(
            _(
                "(Posted late: the bot was offline when this segment started at {time}.)",
                time=_t(row.start),
            )
        )
    speaker = session.speaker(segment.speaker)
    if speaker is not None:
        name = " ".join(p for p in (speaker.honorific, speaker.name) if p)
        where = ", ".join(p for p in (speaker.organization, speaker.country) if p)
        lines.append(f"🎤 {name}" + (f" — {where}" if where else ""))
        if speaker.talk_title:
            lines.append(_("Talk: *{title}*", title=cut_line(speaker.talk_title, 300)))
    if segment.kind == "discussion" and segment.guiding_questions:
        lines.append(_("**Guiding questions**"))
        current: int | None = None
        for i, question in enumerate(segment.guiding_questions, 1):
            if question.round is not None and question.round != current:
                current = question.round
                lines.append(_("*Round {number}*", number=current))
            lines.append(f"{i}. {cut_line(question.text, 400)}")
    if segment.kind == "qa":
        lines.append(
            _.ngettext(
                "💬 Ask your question with `/ask` in {channel}. {count} approved question waiting.",
                "💬 Ask your question with `/ask` in {channel}. {count} approved questions "
                "waiting.",
                approved_waiting,
                channel=questions_channel,
            )
        )
    return _fit(lines)


def reminder_message(
    timeline: Timeline,
    start: datetime,
    title: str,
    counts: Mapping[str, int],
    top: TopQuestion | None,
    _: Localizer = ENGLISH,
) -> str:
    """The moderation-channel reminder before a Q&A or discussion segment."""
    lines = _lines(
        timeline,
        _,
        _(
            "⏰ **{title}** starts {relative} ({time}).",
            title=cut_line(title, 200),
            relative=_t(start, "R"),
            time=_t(start),
        ),
        _(
            "Queue: {pending} pending · {approved} approved.",
            pending=counts.get("pending", 0),
            approved=counts.get("approved", 0),
        ),
    )
    if top is None:
        lines.append(_("No approved question yet."))
    else:
        lines.append(
            _(
                "Top question: #{number} ({votes}): {text}",
                number=top.number,
                votes=_.ngettext("{count} vote", "{count} votes", top.votes),
                text=shown(cut_line(top.text, 500)),
            )
        )
    return _fit(lines)


def intake_open_message(
    timeline: Timeline, closes: datetime | None, questions: str, _: Localizer = ENGLISH
) -> str:
    if closes:
        said = _(
            "✅ **Questions are open.** Ask with `/ask` in {channel}. Intake closes at {time} "
            "({relative}).",
            channel=questions,
            time=_t(closes),
            relative=_t(closes, "R"),
        )
    else:
        said = _("✅ **Questions are open.** Ask with `/ask` in {channel}.", channel=questions)
    return _fit(_lines(timeline, _, said))


def intake_close_message(timeline: Timeline, _: Localizer = ENGLISH) -> str:
    return _fit(
        _lines(timeline, _, _("🔒 **Questions are closed.** Thank you for your questions!"))
    )


def summary_message(
    timeline: Timeline,
    closed_at: datetime,
    counts: Mapping[str, int],
    override: str | None,
    _: Localizer = ENGLISH,
) -> str:
    """The moderators' summary at the close of intake.

    Asked: every question of the run. Approved: every question that passed review (approved,
    live, answered, dismissed or merged into another), as in the report. Still unanswered:
    approved or live.
    """
    asked = sum(counts.values())
    answered = counts.get(State.ANSWERED, 0)
    unanswered = sum(counts.get(state, 0) for state in UNANSWERED)
    approved = sum(counts.get(state, 0) for state in PASSED_REVIEW)
    lines = _lines(
        timeline,
        _,
        _("📋 **Q&A summary**, intake closed on schedule at {time}:", time=_t(closed_at)),
        _(
            "Asked: {asked} · Approved: {approved} · Answered: {answered} · Still unanswered: "
            "{unanswered} · Pending (never moderated): {pending}",
            asked=asked,
            approved=approved,
            answered=answered,
            unanswered=unanswered,
            pending=counts.get("pending", 0),
        ),
    )
    if override == "open":
        lines.append(
            _("Intake is still open: a moderator opened it by hand. `/qa close` closes it.")
        )
    return _fit(lines)


def program_message(
    timeline: Timeline,
    rows: list[AgendaRow],
    now: datetime,
    title: str | None = None,
    _: Localizer = ENGLISH,
) -> str:
    """The agenda for /program: times in each reader's zone, the live segment marked."""
    lines = _lines(timeline, _, f"📅 **{cut_line(title or timeline.session.title, 200)}**")
    delay = timeline.run.delay_seconds
    if delay > 0:
        lines.append(_("The program is running {minutes} min late.", minutes=delay // 60))
    elif delay < 0:
        lines.append(_("The program is running {minutes} min early.", minutes=-delay // 60))
    if not rows:
        lines.append(_("This session has no program: moderators open and close questions by hand."))
    for row in rows:
        span = f"{_t(row.start)}–{_t(row.end)} {cut_line(row.slot.segment.title, TITLE_LIMIT)}"
        if row.live:
            lines.append(_("▶️ **{span}** ← now", span=span))
        elif row.over:
            lines.append(f"✓ {span}")
        else:
            lines.append(f"◦ {span}")
    if rows and rows[-1].end <= now:
        lines.append(_("The program is over."))
    return _fit(lines)


def _segment_title(session: Session, post: PlannedPost) -> str:
    slot = session.slot(post.segment_id) if post.segment_id is not None else None
    return cut_line(slot.segment.title, TITLE_LIMIT) if slot is not None else ""


def _describe(post: PlannedPost, session: Session, _: Localizer) -> str:
    label = _.render(KIND_LABEL[post.kind])
    title = _segment_title(session, post)
    return _("{kind}: {title}", kind=label, title=title) if title else label


def status_message(
    timeline: Timeline,
    records: Mapping[str, PostRecord],
    now: datetime,
    _: Localizer = ENGLISH,
) -> str:
    """The answer to /schedule status: delay, intake, and the next posts."""
    run = timeline.run
    lines = _lines(
        timeline, _, _("🗓 **Schedule of {title}**", title=cut_line(timeline.session.title, 150))
    )
    delay = run.delay_seconds
    shift = format(delay // 60, "+d")
    lines.append(
        _("Delay: {minutes} min of program time.", minutes=shift)
        if delay
        else _("Delay: none, on time.")
    )
    how = run.intake_override if run.intake_override in ("open", "closed") else None
    lines.append(_.render(INTAKE[timeline.intake_open(now), how]))
    decisions = decide(plan_posts(timeline), records, now, timeline.grace())
    upcoming = [d for d in decisions if d.action != "skip"]
    if not upcoming:
        lines.append(_("Nothing left to post."))
    else:
        lines.append(_("Next posts:"))
        for d in upcoming[:STATUS_POSTS]:
            when = (
                f"{_t(d.post.due)} ({_t(d.post.due, 'R')})"
                if d.action == "schedule"
                else _.pgettext("a post due", "now")
            )
            lines.append(f"• {when} {_describe(d.post, timeline.session, _)}")
        if len(upcoming) > STATUS_POSTS:
            lines.append(_("… and {count} more.", count=len(upcoming) - STATUS_POSTS))
    failed = [r.key for r in records.values() if r.status == "failed"]
    if failed:
        lines.append(_("Failed to post: {posts}.", posts=", ".join(failed)))
    return _fit(lines)


def post_text(timeline: Timeline, due: Due, questions_channel: str, _: Localizer = ENGLISH) -> str:
    """The text of one program post."""
    post = due.post
    if post.kind == "segment":
        assert due.row is not None
        return segment_message(
            timeline,
            due.row,
            late=due.late,
            approved_waiting=due.counts.get(State.APPROVED, 0),
            questions_channel=questions_channel,
            _=_,
        )
    if post.kind == "reminder":
        assert post.segment_id is not None and post.until is not None
        slot = timeline.session.slot(post.segment_id)
        assert slot is not None
        return reminder_message(timeline, post.until, slot.segment.title, due.counts, due.top, _)
    if post.kind == "intake-open":
        return intake_open_message(timeline, timeline.intake_closes_at(), questions_channel, _)
    if post.kind == "intake-close":
        return intake_close_message(timeline, _)
    if post.kind == "report":
        return report_message(timeline, due.questions, _)
    if post.kind == "followups":
        return followups_message(timeline, _)
    return summary_message(timeline, post.due, due.counts, timeline.run.intake_override, _)


def delay_message(delayed: Delayed, minutes: int, _: Localizer = ENGLISH) -> str:
    """The live-channel announcement of a delay, with the new times."""
    timeline = delayed.timeline
    if minutes > 0:
        headline = _.ngettext(
            "⏱ **The program is running {count} minute later.**",
            "⏱ **The program is running {count} minutes later.**",
            minutes,
        )
    else:
        headline = _.ngettext(
            "⏩ **The program moves {count} minute earlier.**",
            "⏩ **The program moves {count} minutes earlier.**",
            abs(minutes),
        )
    lines = _lines(timeline, _, headline, _("New times:"))
    lines += [
        f"• {_t(delayed.new_time(p))} {_segment_title(timeline.session, p)}" for p in delayed.moved
    ]
    return _fit(lines)


def delay_reply(
    delayed: Delayed, minutes: int, announced: Text | None, _: Localizer = ENGLISH
) -> str:
    """What the moderator who delayed the program is told; `announced` is None when the
    announcement was posted, else why it was not."""
    total = delayed.total_seconds
    total_text = f"{total // 60:+d} min" if total % 60 == 0 else f"{total:+d} s"
    done = _.ngettext(
        "Delay of {minutes} min applied to {count} segment not yet started (total delay {total})",
        "Delay of {minutes} min applied to {count} segments not yet started (total delay {total})",
        len(delayed.moved),
        minutes=format(minutes, "+d"),
        total=total_text,
    )
    if announced is None:
        return _("{done}; announced in the live channel.", done=done)
    return _(
        "{done}. The announcement could not be posted in the live channel ({error}); the new "
        "times are in /program. Do not apply the delay again.",
        done=done,
        error=announced,
    )


def report_message(timeline: Timeline, questions: int, _: Localizer = ENGLISH) -> str:
    """Posted to organizers with the HTML report when the program ends."""
    said = _.ngettext(
        "📊 **The program of {title} has ended.** Here is the Q&A report ({count} question); "
        "open it in a browser, or print it. /qa export gives it again, or as a spreadsheet.",
        "📊 **The program of {title} has ended.** Here is the Q&A report ({count} questions); "
        "open it in a browser, or print it. /qa export gives it again, or as a spreadsheet.",
        questions,
        title=cut_line(timeline.session.title, 200),
    )
    return _fit(_lines(timeline, _, said))


def too_large(session_id: str, _: Localizer = ENGLISH) -> str:
    """When the report is too large to upload to this server."""
    return _(
        "The report is too large to upload here; get it on the bot's machine: python run_bot.py "
        "report --session {session} --format html --out report.html",
        session=session_id,
    )


def followups_message(timeline: Timeline, _: Localizer = ENGLISH) -> str:
    """In the live channel, when the unanswered questions have become follow-up posts."""
    said = _(
        "📬 **The questions we could not answer live continue in the follow-up forum**: each "
        "has its own post, where the speakers answer after the session."
    )
    return _fit(_lines(timeline, _, said))
