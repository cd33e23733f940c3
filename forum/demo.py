"""Demo data for a fresh installation: the ten forums, one account per role and a
realistic discussion (proposals, comments, supports) in Vietnamese. It seeds every
domain, so it sits above them all (like a CLI command, it may write any domain's rows).

The facts come from the forums domain's ``forums/data/forums.json`` (forum 1 is the real
forum of 30/11/2023, the other nine are sample titles) and the discussion from
``data/demo_content.json``, which only the demo uses.
Seeding is idempotent so that ``make run`` can call it every time:

- forums are upserted by number, themes by (forum, position), users by email; a value
  is only written when it differs, so a second run issues no UPDATE at all. The phase
  of an existing forum is left alone: it is state that organizers change;
- a demo proposal is created, with its comments and supports, only when no proposal
  with the same author and title exists yet;
- passwords of existing users are never touched.

These functions add rows and flush; the caller (``flask forum seed-demo``) commits.
"""
import json
import random
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import generate_password_hash

from forum.auth.models import Role, User
from forum.core.database import utcnow
from forum.core.markup import render_markup
from forum.core.text import normalize_text
from forum.extensions import db
from forum.forums.models import Forum, ForumStatus, Theme
from forum.forums.moderators import assign_moderator_scope
from forum.notifications import inbox
from forum.moderation.curation.models import AnswerDraft
from forum.moderation.queue import services as moderation_queue
from forum.results import snapshots as result_snapshots
from forum.moderation.queue.models import QueueItem
from forum.proposals import services as proposal_services
from forum.proposals.models import Comment, Proposal
from forum.proposals.counts import recount_public_counts
from forum.votes.models import Support

PACKAGE_DIR = Path(__file__).resolve().parent
FORUM_FACTS_FILE = PACKAGE_DIR / "forums" / "data" / "forums.json"
DEMO_CONTENT_FILE = PACKAGE_DIR / "data" / "demo_content.json"
VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")  # no daylight saving time in Vietnam
# Nobody comments or supports within the first minutes after a proposal is posted.
FIRST_REACTION_DELAY = timedelta(minutes=20)


@dataclass
class SeedReport:
    """What one run of the seeding created or changed (all zero on a repeated run)."""

    forums_created: int = 0
    forums_updated: int = 0
    themes_created: int = 0
    themes_updated: int = 0
    users_created: int = 0
    users_updated: int = 0
    proposals_created: int = 0
    comments_created: int = 0
    supports_created: int = 0
    moderator_scopes_set: int = 0
    notifications_created: int = 0
    queue_items_created: int = 0

    @property
    def changed_anything(self) -> bool:
        return any(getattr(self, field.name) for field in fields(self))


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    role: Role


# Data files --------------------------------------------------------------------------
def _load(path: Path) -> dict:
    with path.open(encoding="utf-8") as file:
        return json.load(file)


def load_forum_facts() -> dict:
    """The ten forums and the congress facts (``about``)."""
    return _load(FORUM_FACTS_FILE)


def load_demo_content() -> dict:
    """Demo accounts, delegates, proposals, comments and support counts."""
    return _load(DEMO_CONTENT_FILE)


def demo_email(key: str, content: dict) -> str:
    return f"{key}@{content['email_domain']}".lower()


def demo_logins(content: dict | None = None) -> list[DemoLogin]:
    """The four accounts printed for people trying the demo, one per role."""
    content = content or load_demo_content()
    return [
        DemoLogin(demo_email(account["key"], content), content["password"], Role(account["role"]))
        for account in content["accounts"]
    ]


def _local_time(value: str) -> datetime:
    """A Vietnam wall-clock time from the data file, as an aware UTC datetime."""
    return datetime.fromisoformat(value).replace(tzinfo=VIETNAM_TIME).astimezone(UTC)


def _assign(instance, values: dict) -> bool:
    """Set only the attributes that differ; True if anything changed.

    Skipping equal values keeps a repeated run free of UPDATEs (and of ``updated_at``
    bumps).
    """
    changed = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


# Forums and themes ---------------------------------------------------------------------
def _forum_values(item: dict) -> dict:
    return {
        "slug": item["slug"],
        "title": normalize_text(item["title"], multiline=False),
        "description": normalize_text(item["description"]),
        "held_on": date.fromisoformat(item["date"]) if item.get("date") else None,
        "time_of_day": normalize_text(item.get("time_of_day"), multiline=False),
        "venue": normalize_text(item.get("venue"), multiline=False),
        "chairs": [
            {
                "name": normalize_text(chair["name"], multiline=False),
                "position": normalize_text(chair["position"], multiline=False),
            }
            for chair in item.get("chairs", [])
        ],
        "keynote": normalize_text(item.get("keynote"), multiline=False),
        "is_sample": bool(item["is_sample"]),
    }


# Settings a demo forum gets when it is created (like its phase, never reset afterwards, so
# organizers may change them): forum 7 runs on a schedule around the day of seeding, and
# forum 8 keeps its support tallies hidden until it closes.
DEMO_SCHEDULES = {7: {"proposals_open_at": -10, "supports_open_at": -10, "proposals_close_at": 5,
                      "supports_close_at": 12}}  # days from the moment of seeding
DEMO_RULES = {8: {"hide_tallies_until_closed": True, "max_supports_per_user": 5},
              2: {"premoderate_new_accounts": True}}


def _demo_settings(number: int) -> dict:
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    settings = {column: now + timedelta(days=days) for column, days in DEMO_SCHEDULES.get(number, {}).items()}
    return settings | DEMO_RULES.get(number, {})


def seed_forums(facts: dict, report: SeedReport) -> dict[int, Forum]:
    """Upsert the forums by number and their themes by position; returns them by number."""
    existing = {forum.number: forum for forum in db.session.scalars(sa.select(Forum))}
    forums = {}
    for item in facts["forums"]:
        values = _forum_values(item)
        forum = existing.get(item["number"])
        if forum is None:
            forum = Forum(number=item["number"], phase=item["phase"], **values, **_demo_settings(item["number"]))
            db.session.add(forum)
            report.forums_created += 1
        elif _assign(forum, values):
            report.forums_updated += 1
        seed_themes(forum, item.get("themes", []), report)
        forums[forum.number] = forum
    return forums


def seed_themes(forum: Forum, items: list[dict], report: SeedReport) -> None:
    """Upsert the themes of ``forum`` by position (0, 1, 2 ... in the data file order)."""
    by_position = {theme.position: theme for theme in forum.themes}
    for position, item in enumerate(items):
        values = {
            "title": normalize_text(item["title"], multiline=False),
            "description": normalize_text(item.get("description")),
        }
        theme = by_position.get(position)
        if theme is None:
            forum.themes.append(Theme(position=position, **values))
            report.themes_created += 1
        elif _assign(theme, values):
            report.themes_updated += 1


# Users -------------------------------------------------------------------------------
ROSTER_FIELDS = ("phone", "sector", "union_level", "delegation")  # shown to organizers only


def seed_users(content: dict, report: SeedReport) -> dict[str, User]:
    """Upsert the demo accounts and delegates by email; returns them by their data key.

    New users all get the same password hash, computed once with the configured
    method: hashing 25 times with production scrypt would take seconds.
    """
    people = [dict(person) for person in content["accounts"]]
    people += [dict(person, role=Role.DELEGATE.value) for person in content["delegates"]]
    emails = [demo_email(person["key"], content) for person in people]
    existing = {
        user.email: user for user in db.session.scalars(sa.select(User).where(User.email.in_(emails)))
    }
    shared_hash = None
    users = {}
    for person, email in zip(people, emails):
        values = {
            name: normalize_text(person.get(name, ""), multiline=False)
            for name in ("full_name", "unit", "province", *ROSTER_FIELDS)
        }
        values["role"] = Role(person["role"]).value
        user = existing.get(email)
        if user is None:
            if shared_hash is None:
                method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
                shared_hash = generate_password_hash(content["password"], method=method)
            user = User(email=email, password_hash=shared_hash, is_active_account=True, **values)
            db.session.add(user)
            report.users_created += 1
        elif _assign(user, values):
            report.users_updated += 1
        users[person["key"]] = user
    db.session.flush()  # ids are needed to recognise existing content
    return users


# Proposals, comments, supports ---------------------------------------------------------
def _reaction_times(rng: random.Random, start: datetime, until: datetime, count: int) -> list[datetime]:
    """``count`` sorted moments between ``start`` and ``until``, denser early on
    (discussions are liveliest in the first days after posting)."""
    first = start + FIRST_REACTION_DELAY
    span = max(until - first, timedelta(hours=1))
    return sorted(first + span * (rng.random() ** 2) for _ in range(count))


def _pick_supporters(rng, delegates, author, count, load) -> list[User]:
    """``count`` delegates other than the author, preferring those who have supported
    least in this forum so far (``load``), so that supports spread realistically."""
    candidates = [user for user in delegates if user.id != author.id]
    if count > len(candidates):
        raise ValueError(f"{count} supports requested but only {len(candidates)} delegates can support")
    rng.shuffle(candidates)
    candidates.sort(key=lambda user: load.get(user.id, 0))  # stable: ties keep the shuffle
    chosen = candidates[:count]
    for user in chosen:
        load[user.id] = load.get(user.id, 0) + 1
    return chosen


def _build_comments(rng, proposal, item, users, until) -> list[Comment]:
    """The proposal's comments and one level of replies, in chronological order."""
    flat = []
    for top in item.get("comments", []):
        flat.append((top, None))
        flat.extend((reply, top) for reply in top.get("replies", []))
    times = _reaction_times(rng, proposal.created_at, until, len(flat))
    built: dict[int, Comment] = {}
    comments = []
    for (entry, parent_entry), moment in zip(flat, times):
        body = normalize_text(entry["body"])
        comment = Comment(
            proposal=proposal,
            author=users[entry["author"]],
            parent=built[id(parent_entry)] if parent_entry is not None else None,
            body=body,
            body_html=render_markup(body),
            created_at=moment,
            updated_at=moment,
        )
        built[id(entry)] = comment
        comments.append(comment)
    return comments


def seed_content(content: dict, forums: dict[int, Forum], users: dict[str, User],
                 report: SeedReport) -> list[Proposal]:
    """Create the demo proposals that are not there yet, with comments and supports; the
    proposals created.

    A proposal is recognised by its author and title. Counters are set from the rows
    created with it, so they equal the rows.
    """
    author_ids = [user.id for user in users.values()]
    present = {
        (author_id, title)
        for author_id, title, original_title in db.session.execute(
            sa.select(Proposal.author_id, Proposal.title, Proposal.original_title)
            .where(Proposal.author_id.in_(author_ids))
        )
        for title in (title, original_title)  # a title moderators corrected is known by the author's own
    }
    delegates = sorted((u for u in users.values() if u.role == Role.DELEGATE), key=lambda u: u.email)
    until = _local_time(content["discussion_until"])
    support_load: dict[int, dict[int, int]] = {}  # forum number → user id → supports given
    pending_supports = []
    created_proposals: list[Proposal] = []
    for item in content["proposals"]:
        author = users[item["author"]]
        title = normalize_text(item["title"], multiline=False)
        if (author.id, title) in present:
            continue
        forum = forums[item["forum"]]
        theme = {theme.position: theme for theme in forum.themes}[item["theme"]]
        rng = random.Random(f"hienke-demo:{item['forum']}:{title}")
        created = _local_time(item["created"])
        body = normalize_text("\n\n".join(item["body"]))
        proposal = Proposal(
            forum=forum,
            theme=theme,
            author=author,
            title=title,
            body=body,
            body_html=render_markup(body),
            status=item.get("status", "published"),
            is_pinned=bool(item.get("pinned", False)),
            created_at=created,
            updated_at=created,
        )
        comments = _build_comments(rng, proposal, item, users, until)
        supporters = _pick_supporters(
            rng, delegates, author, item.get("supports", 0), support_load.setdefault(forum.number, {})
        )
        proposal.comment_count = len(comments)
        proposal.support_count = len(supporters)
        db.session.add(proposal)
        db.session.add_all(comments)
        created_proposals.append(proposal)
        times = _reaction_times(rng, created, until, len(supporters))
        pending_supports.append((proposal, list(zip(supporters, times))))
        report.proposals_created += 1
        report.comments_created += len(comments)
        report.supports_created += len(supporters)
    if not pending_supports:
        return created_proposals
    db.session.flush()  # proposal ids for the support rows
    db.session.add_all(
        Support(proposal_id=proposal.id, user_id=user.id, created_at=moment)
        for proposal, supports in pending_supports
        for user, moment in supports
    )
    db.session.flush()
    return created_proposals


# An account as the roster import leaves it (no password): `flask forum demo-logins`
# prints an activation code for it while it has none, to try /activate.
UNACTIVATED_DEMO_ACCOUNT = {
    "email": "chuakichhoat@demo.hienke.vn",
    "full_name": "Phan Thị Thu Trang",
    "unit": "Công đoàn Khu công nghiệp Bá Thiện, tỉnh Vĩnh Phúc",
    "province": "Vĩnh Phúc",
    "delegation": "Đoàn LĐLĐ tỉnh Vĩnh Phúc",
}


def seed_unactivated_account(report: SeedReport) -> User:
    """The demo account without a password (created once; never given one here)."""
    values = dict(UNACTIVATED_DEMO_ACCOUNT)
    user = db.session.scalar(sa.select(User).where(User.email == values["email"]))
    if user is None:
        user = User(role=Role.DELEGATE.value, password_hash="", is_active_account=True, **values)
        db.session.add(user)
        report.users_created += 1
    return user


def seed_moderator_scopes(content: dict, forums: dict[int, Forum], users: dict[str, User], report: SeedReport) -> None:
    """The demo moderators moderate the forums their account lists (``moderates_forums``),
    set through the service as the console would (an audit entry when it changes)."""
    for account in content["accounts"]:
        numbers = account.get("moderates_forums")
        if numbers is None:
            continue
        wanted = [forums[number].id for number in numbers]
        if assign_moderator_scope(users[account["key"]], wanted, actor=None, reason="Dữ liệu mẫu"):
            report.moderator_scopes_set += 1


def seed_notifications(proposals: list[Proposal], report: SeedReport) -> None:
    """Everyone whose demo proposal or comment got a comment or a reply finds it among
    their notifications, dated with the comment (the demo logins' proposals included)."""
    if not proposals:
        return
    comments = db.session.scalars(
        sa.select(Comment).where(Comment.proposal_id.in_([proposal.id for proposal in proposals]))
        .order_by(Comment.created_at, Comment.id)
    )
    for comment in comments:
        for notification in inbox.notify_about_comment(comment, actor=comment.author):
            notification.created_at = comment.created_at
            report.notifications_created += 1


# What moderators did in forum 1 (forum/moderation/curation), each found by the title the
# author gave it: a custom status, proposals on the home page's "Tiêu điểm", a title
# corrected for clarity, official answers (one with the custom status) and drafts waiting
# to be published together.
DEMO_STATUS = {"code": "dua_vao_van_kien", "title": "Đưa vào dự thảo văn kiện",
               "title_en": "Included in the draft Congress documents"}
DEMO_FEATURED = (
    "Thành lập Công đoàn cơ sở theo cụm doanh nghiệp nhỏ trong khu công nghiệp",
    "Công khai thu, chi đoàn phí để người lao động tin tưởng",
)
DEMO_CORRECTED_TITLE = ("Giữ chân đoàn viên khi chuyển nơi làm việc",
                        "Giữ chân đoàn viên khi người lao động chuyển nơi làm việc sang tỉnh khác")
DEMO_ANSWERS = (
    ("Công khai thu, chi đoàn phí để người lao động tin tưởng", "accepted",
     "Diễn đàn tiếp thu hiến kế. Ban Tổ chức sẽ đề xuất đưa nội dung **công khai thu, chi đoàn phí hằng quý** "
     "vào dự thảo Báo cáo chính trị, phần nâng cao chất lượng hoạt động Công đoàn cơ sở.\n\n"
     "Cảm ơn đồng chí đã đóng góp."),
    ("Trả phụ cấp trách nhiệm cho Chủ tịch Công đoàn cơ sở không chuyên trách", DEMO_STATUS["code"],
     "Hiến kế được đưa vào dự thảo văn kiện Đại hội, mục chế độ, chính sách đối với cán bộ Công đoàn cơ sở."),
)
DEMO_DRAFTS = (
    ("Kết nạp đoàn viên qua ứng dụng số", "under_review",
     "Ban Tổ chức đang phối hợp với Ban Tuyên giáo xem xét khả năng kết nối ứng dụng với cơ sở dữ liệu đoàn viên."),
    ("Tổ chức “Ngày hội đoàn viên” tại nhà trọ công nhân", "accepted",
     "Diễn đàn tiếp thu; đề nghị các LĐLĐ tỉnh nhân rộng mô hình trong năm 2024."),
)


def _demo_proposal(forum: Forum, title: str) -> Proposal | None:
    return db.session.scalar(
        sa.select(Proposal).where(Proposal.forum_id == forum.id,
                                  sa.or_(Proposal.title == title, Proposal.original_title == title))
        .order_by(Proposal.id).limit(1)
    )


def seed_curation(forums: dict[int, Forum], users: dict[str, User]) -> None:
    """The moderators' work in forum 1, written once (nothing changes on a second run)."""
    forum = forums[1]
    moderator = users["dieuhanh"]
    if db.session.scalar(sa.select(ForumStatus.id).where(ForumStatus.forum_id == forum.id,
                                                          ForumStatus.code == DEMO_STATUS["code"])) is None:
        db.session.add(ForumStatus(forum_id=forum.id, position=0, **DEMO_STATUS))
        db.session.flush()
    moment = _local_time("2023-11-30T16:30:00")
    for title in DEMO_FEATURED:
        proposal = _demo_proposal(forum, title)
        if proposal is not None and not proposal.is_featured:
            proposal.is_featured = True
    original, corrected = DEMO_CORRECTED_TITLE
    proposal = _demo_proposal(forum, original)
    if proposal is not None and proposal.original_title is None:
        proposal.original_title, proposal.title = original, corrected
        proposal.title_corrected_by_id, proposal.title_corrected_at = moderator.id, moment
    for title, status, body in DEMO_ANSWERS:
        proposal = _demo_proposal(forum, title)
        if proposal is not None and proposal.answer_body is None:
            proposal.status, proposal.answer_body, proposal.answer_html = status, body, render_markup(body)
            proposal.answered_by_id, proposal.answered_at = moderator.id, moment
    for title, status, body in DEMO_DRAFTS:
        proposal = _demo_proposal(forum, title)
        if proposal is not None and proposal.answer_body is None and db.session.scalar(
            sa.select(AnswerDraft.id).where(AnswerDraft.proposal_id == proposal.id)
        ) is None:
            db.session.add(AnswerDraft(proposal_id=proposal.id, forum_id=forum.id, status=status, body=body,
                                       author_id=moderator.id, updated_at=moment))
    db.session.flush()


# The demo moderator's queue (forums 1 and 2): reports by delegates, one proposal hidden
# by its reports, and a new delegate's first proposal waiting in forum 2, which
# pre-moderates new accounts. Made once, through the services, while the queue is empty.
DEMO_REPORTS = (  # (forum, index of the proposal in the forum, comment index or None, reasons)
    (1, 3, None, ("duplicate", "duplicate", "off_topic")),
    (1, 5, None, ("spam",)),
    (1, 1, 0, ("abuse", "abuse")),
)
# A comment the demo moderator hid earlier (forum 1, first proposal's second comment):
# readers see its place in the thread, its author the reason.
DEMO_HIDDEN_COMMENT = (1, 0, 1, "Ý kiến có nội dung quảng cáo dịch vụ, không liên quan đến hiến kế.")
DEMO_PENDING = {
    "title": "Lập nhóm Zalo công đoàn theo từng khu nhà trọ công nhân",
    "body": "Mỗi khu nhà trọ có một nhóm Zalo do tổ công đoàn quản lý, để công nhân hỏi đáp về "
            "hợp đồng, lương, bảo hiểm và được giới thiệu vào công đoàn ngay tại nơi ở.",
}


def seed_moderation_queue(forums: dict[int, Forum], users: dict[str, User], report: SeedReport, *,
                          until: datetime) -> None:
    if db.session.scalar(sa.select(sa.func.count()).select_from(QueueItem)):
        return
    delegates = sorted((u for u in users.values() if u.role == Role.DELEGATE), key=lambda u: u.email)
    for number, index, comment_index, reasons in DEMO_REPORTS:
        proposals = db.session.scalars(
            sa.select(Proposal).where(Proposal.forum_id == forums[number].id, Proposal.is_hidden.is_(False))
            .order_by(Proposal.created_at, Proposal.id)
        ).all()
        if len(proposals) <= index:
            continue
        post = proposals[index]
        if comment_index is not None:
            comments = db.session.scalars(
                sa.select(Comment).where(Comment.proposal_id == post.id, Comment.is_hidden.is_(False))
                .order_by(Comment.created_at, Comment.id)
            ).all()
            if len(comments) <= comment_index:
                continue
            post = comments[comment_index]
        reporters = [user for user in delegates if user.id != post.author_id][: len(reasons)]
        for reporter, reason in zip(reporters, reasons):
            moderation_queue.report_content(post, reason=reason, detail="", actor=reporter)
        report.queue_items_created += 1
    number, index, comment_index, reason = DEMO_HIDDEN_COMMENT
    proposals = db.session.scalars(
        sa.select(Proposal).where(Proposal.forum_id == forums[number].id, Proposal.is_hidden.is_(False))
        .order_by(Proposal.created_at, Proposal.id)
    ).all()
    comments = db.session.scalars(
        sa.select(Comment).where(Comment.proposal_id == proposals[index].id, Comment.is_hidden.is_(False),
                                 Comment.parent_id.is_(None))
        .order_by(Comment.created_at, Comment.id)
    ).all() if len(proposals) > index else []
    if len(comments) > comment_index:
        moderation_queue.hide_post(comments[comment_index], reason=reason, actor=users["dieuhanh"])
    forum = forums[2]
    if forum.premoderate_new_accounts and forum.accepts_proposals:
        newcomer = next((u for u in delegates if proposal_services.needs_approval(forum, u)), None)
        if newcomer is not None:
            pending = proposal_services.create_proposal(
                forum, title=DEMO_PENDING["title"], body=DEMO_PENDING["body"],
                theme_id=forum.active_themes[0].id if forum.active_themes else None, actor=newcomer,
            )
            pending.created_at = pending.updated_at = until - timedelta(hours=2)  # within the discussion
            report.queue_items_created += 1
    db.session.flush()


def seed_demo() -> SeedReport:
    """Create or complete the whole demo data set; never commits."""
    report = SeedReport()
    forums = seed_forums(load_forum_facts(), report)
    content = load_demo_content()
    users = seed_users(content, report)
    seed_unactivated_account(report)
    seed_moderator_scopes(content, forums, users, report)
    created = seed_content(content, forums, users, report)
    seed_notifications(created, report)
    db.session.flush()
    seed_curation(forums, users)
    if report.proposals_created:
        recount_public_counts()  # the rows above went in directly, not through the services
    seed_moderation_queue(forums, users, report, until=_local_time(content["discussion_until"]))
    if report.queue_items_created:
        recount_public_counts()  # the same counts, without the rows the hiding left at zero
    # The closed forum's result, frozen and published (the organizers' results page and
    # the public one); a second run finds it frozen and does nothing.
    for snapshot in result_snapshots.freeze_due_results():
        result_snapshots.publish_result(snapshot, actor=None)
    return report
