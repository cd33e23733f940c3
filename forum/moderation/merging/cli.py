"""``flask moderation find-duplicates``: precompute the possible duplicates the
moderators' page lists (forum/moderation/duplicates.py says why precomputed)."""
from dataclasses import dataclass

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from forum.extensions import db
from forum.moderation.duplicates import mark_scanned, proposals_to_scan, record_similar
from forum.proposals.services import get_proposals_by_id, public_proposal_ids
from forum.search.engines import get_backend
from forum.search.indexer import drain_outbox
from forum.search.services import similar_title_scores

moderation_cli = AppGroup("moderation", help="Điều hành: tìm hiến kế có thể trùng (find-duplicates).")

# A pair is kept when its titles are this alike (Jaccard index of their folded syllables):
# "Thành lập Công đoàn cơ sở theo cụm doanh nghiệp nhỏ…" and "Ghép các doanh nghiệp nhỏ…
# thành cụm để thành lập Công đoàn cơ sở" score 0.75; two proposals that only share
# "Chủ tịch Công đoàn cơ sở" about 0.4.
MIN_SHARE = 0.55
BATCH = 200


@dataclass(frozen=True)
class DuplicateSearch:
    searched: int  # proposals searched for
    new_pairs: int


def find_duplicates(*, min_share: float = MIN_SHARE, per_proposal: int = 8, after_id: int = 0,
                    every: bool = False) -> DuplicateSearch:
    """One similarity search per public proposal (id > ``after_id``) not yet searched
    for with its current title (``every``: all of them), committing per batch."""
    new, searched, last = 0, 0, after_id
    while True:
        ids = public_proposal_ids(after_id=last, limit=BATCH)
        if not ids:
            return DuplicateSearch(searched, new)
        batch = get_proposals_by_id(ids)
        to_search = ids if every else proposals_to_scan(batch)
        searched += len(to_search)
        found = {}
        for proposal_id in to_search:
            proposal = batch[proposal_id]
            found[proposal_id] = [(other, share) for other, share in similar_title_scores(
                proposal.title, exclude_ids=[proposal_id], limit=per_proposal) if share >= min_share]
        others = get_proposals_by_id({other for pairs in found.values() for other, _share in pairs})
        for proposal_id, pairs in found.items():
            new += record_similar(batch[proposal_id], [(others[o], s) for o, s in pairs if o in others])
        mark_scanned(batch[proposal_id] for proposal_id in to_search)
        db.session.commit()
        last = ids[-1]


@moderation_cli.command("find-duplicates")
@click.option("--min-share", type=float, default=MIN_SHARE, show_default=True,
              help="Mức giống nhau tối thiểu của hai tiêu đề (0–1).")
@click.option("--after-id", type=int, default=0, help="Chỉ xét hiến kế có số lớn hơn (chạy tiếp).")
@click.option("--all", "every", is_flag=True,
              help="Xét lại mọi hiến kế (mặc định: chỉ hiến kế mới hoặc đã đổi tiêu đề từ lần chạy trước).")
def find_duplicates_command(min_share: float, after_id: int, every: bool) -> None:
    """Tìm các cặp hiến kế có thể trùng để điều hành viên xem ở /moderation/duplicates."""
    drain_outbox(get_backend(), wait=30.0)  # the index first takes in every committed change
    result = find_duplicates(min_share=min_share, after_id=after_id, every=every)
    click.echo(_("Đã xét %(searched)s hiến kế, tìm thấy %(count)s cặp hiến kế mới có thể trùng.",
                 searched=result.searched, count=result.new_pairs))
