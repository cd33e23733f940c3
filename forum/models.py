"""Imports every domain's models so that one complete metadata exists
(for Alembic autogenerate and for ``create_all`` in tests)."""
from forum.core.audit import AuditEntry  # noqa: F401
from forum.core.pagecache import ContentVersion  # noqa: F401
from forum.auth.models import RosterUpload, User  # noqa: F401
from forum.auth.activation.models import ActivationCode, PasswordResetRequest  # noqa: F401
from forum.forums.models import Forum, ForumStatus, ModeratorAssignment, Theme  # noqa: F401
from forum.proposals.models import Comment, Proposal, ProposalMerge  # noqa: F401
from forum.votes.models import Support, SupportMergeRecord  # noqa: F401
from forum.moderation.curation.models import AnswerDraft  # noqa: F401
from forum.moderation.duplicates import DuplicatePair  # noqa: F401
from forum.moderation.queue.models import QueueItem, Report  # noqa: F401
from forum.search.models import SearchEntry, SearchOutbox  # noqa: F401
from forum.notifications.models import Notification, NotificationSettings, OutgoingMail  # noqa: F401
from forum.results.models import ResultSnapshot  # noqa: F401
