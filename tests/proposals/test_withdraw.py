"""Withdrawing a proposal: a confirmation page that works without JavaScript, then a POST."""
import sqlalchemy as sa

from forum.core.audit import AuditEntry
from forum.extensions import db
from forum.proposals.models import ProposalStatus
from tests.proposals.helpers import get_proposal, user_id


def test_get_asks_for_confirmation_and_changes_nothing(app, client, world, login_as):
    setting = world(phase="open")
    login_as(setting, "author")
    response = client.get(f"{setting.proposal_url}/withdraw")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Rút hiến kế?" in page and 'method="post"' in page and 'name="csrf_token"' in page
    assert f'href="{setting.proposal_url}"' in page  # a way back
    assert get_proposal(app, setting.proposal_id).status == ProposalStatus.PUBLISHED


def test_post_withdraws_with_an_audit_entry(app, client, world, login_as):
    setting = world(phase="voting")
    login_as(setting, "author")
    response = client.post(f"{setting.proposal_url}/withdraw", data={"reason": "  Trùng\x07 ý với hiến kế khác. "})
    assert response.status_code == 302 and response.location == setting.proposal_url
    proposal = get_proposal(app, setting.proposal_id)
    assert proposal.status == ProposalStatus.WITHDRAWN and proposal.withdrawn_at is not None
    author_id = user_id(app, setting.emails["author"])
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "proposal.withdraw"))
        assert (entry.target_type, entry.target_id) == ("proposals", setting.proposal_id)
        assert (entry.actor_id, entry.actor_role) == (author_id, "delegate")
        assert entry.reason == "Trùng ý với hiến kế khác."
        assert (entry.before, entry.after) == ({"status": "published"}, {"status": "withdrawn"})
        assert (entry.request_id, entry.client_address) == (response.headers["X-Request-ID"], "127.0.0.1")
    page = client.get(setting.proposal_url).get_data(as_text=True)
    assert "Bạn đã rút hiến kế" in page and "proposal-banner-withdrawn" in page
    assert f"{setting.proposal_url}/withdraw" not in page


def test_withdrawing_twice_is_refused_and_says_why(client, world, login_as):
    setting = world(phase="open")
    login_as(setting, "author")
    client.post(f"{setting.proposal_url}/withdraw")
    response = client.post(f"{setting.proposal_url}/withdraw")
    assert response.status_code == 403
    assert "đã được tác giả rút" in response.get_data(as_text=True)


def test_an_overlong_reason_is_refused_and_kept(app, client, world, login_as):
    setting = world(phase="open")
    login_as(setting, "author")
    reason = "lý do " * 200
    response = client.post(f"{setting.proposal_url}/withdraw", data={"reason": reason})
    assert response.status_code == 422
    assert "vượt quá giới hạn 1.000 ký tự" in response.get_data(as_text=True)
    assert reason.strip() in response.get_data(as_text=True)
    assert get_proposal(app, setting.proposal_id).status == ProposalStatus.PUBLISHED


def test_a_withdrawn_proposal_can_no_longer_be_edited(client, world, login_as):
    setting = world(phase="open")
    login_as(setting, "author")
    client.post(f"{setting.proposal_url}/withdraw")
    response = client.get(f"{setting.proposal_url}/edit")
    assert response.status_code == 403
    assert "đã được tác giả rút" in response.get_data(as_text=True)
