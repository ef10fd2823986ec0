"""Everything the service holds about one account, as one document (GET /api/v1/me/export).

Other people appear in it only as ids of what the person took part in (a session, a
question they upvoted): never another person's name, email or public id.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field
from sqlalchemy import select

from server.appkeys import db_key, settings_key
from server.db.tables import AuthToken, Person, Session, SessionPerson, Signup, Star, User
from server.db.tables_attendance import AttendanceViewer
from server.db.tables_exchange import CalendarFeed
from server.db.tables_live import (
    Caption,
    ChatMessage,
    Hand,
    ModerationAction,
    Mute,
    PollVote,
    Question,
    QuestionVote,
)
from server.db.tables_scheduler import SessionReminder, SessionTransition
from server.db.tables_tokens import Ban
from server.exchange import feeds
from server.exchange.ids import base_url


class AccountData(BaseModel):
    id: int
    public_id: str = Field(description="the opaque id rooms and join tokens know you by")
    name: str
    email: str
    organisation: str
    country: str
    stakeholder_group: str
    gender: str | None
    role: str
    created_at: datetime


class LoginData(BaseModel):
    created_at: datetime
    expires_at: datetime


class SessionRole(BaseModel):
    session_id: int
    title: str
    role: str


class ProgrammeEntry(BaseModel):
    """The organisers' programme entry linked to the account (speaker, moderator)."""

    id: int
    name: str
    organisation: str
    country: str
    stakeholder_group: str
    gender: str | None
    bio: str
    sessions: list[SessionRole]


class StarData(BaseModel):
    session_id: int
    title: str
    starred_at: datetime


class SignupData(BaseModel):
    session_id: int
    title: str
    status: str
    created_at: datetime
    promoted_at: datetime | None


class CalendarFeedData(BaseModel):
    url: str = Field(description="secret: whoever has it can read your schedule")
    created_at: datetime
    last_used_at: datetime | None


class ChatData(BaseModel):
    session_id: int
    seq: int
    text: str
    at: datetime
    deleted: bool


class QuestionData(BaseModel):
    session_id: int
    id: int
    text: str
    state: str
    answer: str | None
    votes: int
    at: datetime


class VoteData(BaseModel):
    kind: str = Field(description="question_upvote | poll_vote")
    ref: str = Field(description="question:<id> or poll:<id>/option:<id>")
    at: datetime


class HandData(BaseModel):
    session_id: int
    state: str
    raised_at: datetime
    granted_at: datetime | None


class CaptionData(BaseModel):
    session_id: int
    lang: str
    text: str
    at: datetime


class SanctionData(BaseModel):
    kind: str = Field(description="mute | ban")
    session_id: int
    reason: str
    until: datetime | None
    created_at: datetime


class ActionData(BaseModel):
    """A moderator or lifecycle action you took (who it concerned is left out: not yours)."""

    session_id: int
    action: str
    at: datetime


class ReminderData(BaseModel):
    session_id: int
    start_utc: datetime
    sent_at: datetime
    mailed: bool


class AttendanceData(BaseModel):
    """A room you were in (the attendance reports count you once per session)."""

    session_id: int
    first_seen: datetime
    last_seen: datetime


class MyData(BaseModel):
    exported_at: datetime
    account: AccountData
    logins: list[LoginData]
    programme_entry: ProgrammeEntry | None
    stars: list[StarData]
    signups: list[SignupData]
    calendar_feed: CalendarFeedData | None
    chat_messages: list[ChatData]
    questions: list[QuestionData]
    votes: list[VoteData]
    hands: list[HandData]
    captions: list[CaptionData]
    sanctions: list[SanctionData]
    actions: list[ActionData]
    reminders: list[ReminderData]
    attendance: list[AttendanceData]


async def _titles(s: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(
        (await s.execute(select(Session.id, Session.title).where(Session.id.in_(ids)))).all()
    )


async def collect(app: web.Application, user: User) -> MyData:
    """Everything held about ``user``, read in one transaction."""
    uid, pid = user.id, user.public_id
    async with app[db_key].read() as s:
        logins = list(await s.scalars(select(AuthToken).where(AuthToken.user_id == uid)))
        person = await s.scalar(select(Person).where(Person.user_id == uid))
        roles = (
            list(
                (
                    await s.execute(
                        select(SessionPerson.session_id, SessionPerson.role).where(
                            SessionPerson.person_id == person.id
                        )
                    )
                ).all()
            )
            if person is not None
            else []
        )
        stars = list(await s.scalars(select(Star).where(Star.user_id == uid)))
        signups = list(await s.scalars(select(Signup).where(Signup.user_id == uid)))
        feed = await s.scalar(select(CalendarFeed).where(CalendarFeed.user_id == uid))
        chat = list(
            await s.scalars(
                select(ChatMessage)
                .where(ChatMessage.user_id == uid)
                .order_by(ChatMessage.session_id, ChatMessage.seq)
            )
        )
        questions = list(
            await s.scalars(select(Question).where(Question.user_id == uid).order_by(Question.id))
        )
        upvotes = list(await s.scalars(select(QuestionVote).where(QuestionVote.user_id == uid)))
        poll_votes = list(await s.scalars(select(PollVote).where(PollVote.user_id == uid)))
        hands = list(await s.scalars(select(Hand).where(Hand.user_id == uid)))
        captions = list(
            await s.scalars(select(Caption).where(Caption.user_id == uid).order_by(Caption.id))
        )
        mutes = list(await s.scalars(select(Mute).where(Mute.user_id == uid)))
        bans = list(await s.scalars(select(Ban).where(Ban.user_public_id == pid)))
        moderated = list(
            await s.scalars(
                select(ModerationAction)
                .where(ModerationAction.actor_user_id == uid)
                .order_by(ModerationAction.id)
            )
        )
        transitions = list(
            await s.scalars(
                select(SessionTransition)
                .where(SessionTransition.by_user_id == uid)
                .order_by(SessionTransition.id)
            )
        )
        reminders = list(
            await s.scalars(select(SessionReminder).where(SessionReminder.user_id == uid))
        )
        attended = list(
            await s.scalars(
                select(AttendanceViewer)
                .where(AttendanceViewer.user_id == uid)
                .order_by(AttendanceViewer.session_id)
            )
        )
        titles = await _titles(
            s,
            {sid for sid, _ in roles}
            | {x.session_id for x in stars}
            | {x.session_id for x in signups},
        )
    public_url = base_url(app[settings_key].public_url)
    return MyData(
        exported_at=datetime.now(UTC),
        account=AccountData.model_validate(user, from_attributes=True),
        logins=[LoginData(created_at=t.created_at, expires_at=t.expires_at) for t in logins],
        programme_entry=None
        if person is None
        else ProgrammeEntry(
            id=person.id,
            name=person.name,
            organisation=person.organisation,
            country=person.country,
            stakeholder_group=person.stakeholder_group,
            gender=person.gender,
            bio=person.bio,
            sessions=[
                SessionRole(session_id=sid, title=titles.get(sid, ""), role=role)
                for sid, role in sorted(roles)
            ],
        ),
        stars=[
            StarData(
                session_id=x.session_id, title=titles.get(x.session_id, ""), starred_at=x.created_at
            )
            for x in sorted(stars, key=lambda x: x.session_id)
        ],
        signups=[
            SignupData(
                session_id=x.session_id,
                title=titles.get(x.session_id, ""),
                status=x.status,
                created_at=x.created_at,
                promoted_at=x.promoted_at,
            )
            for x in sorted(signups, key=lambda x: x.session_id)
        ],
        calendar_feed=None
        if feed is None
        else CalendarFeedData(
            url=public_url + feeds.feed_path(feed.secret),
            created_at=feed.created_at,
            last_used_at=feed.last_used_at,
        ),
        chat_messages=[
            ChatData(
                session_id=m.session_id,
                seq=m.seq,
                text=m.text,
                at=m.created_at,
                deleted=m.deleted_at is not None,
            )
            for m in chat
        ],
        questions=[
            QuestionData(
                session_id=q.session_id,
                id=q.id,
                text=q.text,
                state=q.state,
                answer=q.answer,
                votes=q.votes,
                at=q.created_at,
            )
            for q in questions
        ],
        votes=[
            *(
                VoteData(kind="question_upvote", ref=f"question:{v.question_id}", at=v.created_at)
                for v in upvotes
            ),
            *(
                VoteData(
                    kind="poll_vote", ref=f"poll:{v.poll_id}/option:{v.option_id}", at=v.created_at
                )
                for v in poll_votes
            ),
        ],
        hands=[
            HandData(
                session_id=h.session_id,
                state=h.state,
                raised_at=h.raised_at,
                granted_at=h.granted_at,
            )
            for h in hands
        ],
        captions=[
            CaptionData(session_id=c.session_id, lang=c.lang, text=c.text, at=c.at)
            for c in captions
        ],
        sanctions=[
            *(
                SanctionData(
                    kind="mute",
                    session_id=m.session_id,
                    reason=m.reason,
                    until=m.until,
                    created_at=m.created_at,
                )
                for m in mutes
            ),
            *(
                SanctionData(
                    kind="ban",
                    session_id=b.session_id,
                    reason=b.reason,
                    until=b.until,
                    created_at=b.created_at,
                )
                for b in bans
            ),
        ],
        actions=[
            *(ActionData(session_id=a.session_id, action=a.action, at=a.at) for a in moderated),
            *(ActionData(session_id=t.session_id, action=t.action, at=t.at) for t in transitions),
        ],
        reminders=[
            ReminderData(
                session_id=r.session_id, start_utc=r.start_utc, sent_at=r.sent_at, mailed=r.mailed
            )
            for r in reminders
        ],
        attendance=[
            AttendanceData(session_id=a.session_id, first_seen=a.first_seen, last_seen=a.last_seen)
            for a in attended
        ],
    )
