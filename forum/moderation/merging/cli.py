"""``flask moderation find-duplicates``: precompute the possible duplicates the
moderators' page lists (forum/moderation/duplicates.py says why precomputed)."""
import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from forum.extensions import db
from forum.moderation.duplicates import record_similar
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


def find_duplicates(*, min_share: float = MIN_SHARE, per_proposal: int = 8, after_id: int = 0) -> int:
    """One similarity search per public proposal (id > ``after_id``), committing per
    batch; returns the number of new pairs."""
    new, last = 0, after_id
    while True:
        ids = public_proposal_ids(after_id=last, limit=BATCH)
        if not ids:
            return new
        batch = get_proposals_by_id(ids)
        found = {}
        for proposal_id in ids:
            proposal = batch[proposal_id]
            found[proposal_id] = [(other, share) for other, share in similar_title_scores(
                proposal.title, exclude_ids=[proposal_id], limit=per_proposal) if share >= min_share]
        others = get_proposals_by_id({other for pairs in found.values() for other, _share in pairs})
        for proposal_id, pairs in found.items():
            new += record_similar(batch[proposal_id], [(others[o], s) for o, s in pairs if o in others])
        db.session.commit()
        last = ids[-1]


@moderation_cli.command("find-duplicates")
@click.option("--min-share", type=float, default=MIN_SHARE, show_default=True,
              help="Mức giống nhau tối thiểu của hai tiêu đề (0–1).")
@click.option("--after-id", type=int, default=0, help="Chỉ xét hiến kế có số lớn hơn (chạy tiếp).")
def find_duplicates_command(min_share: float, after_id: int) -> None:
    """Tìm các cặp hiến kế có thể trùng để điều hành viên xem ở /moderation/duplicates."""
    drain_outbox(get_backend(), wait=30.0)  # the index first takes in every committed change
    new = find_duplicates(min_share=min_share, after_id=after_id)
    click.echo(_("Đã tìm thấy %(count)s cặp hiến kế mới có thể trùng.", count=new))
