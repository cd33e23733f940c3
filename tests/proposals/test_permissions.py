"""Who may do what, for every action × role × forum phase, through the real pages.

Anonymous visitors (and accounts switched off mid-session) are sent to the login page;
objects in a draft forum do not exist for anyone but organizers and admins (404);
everyone else who may not act gets a 403 page that says why, and nothing changes.
"""
import pytest

from forum.proposals.models import ProposalStatus
from tests.proposals.helpers import (
    PHASES,
    ROLES,
    comment_count,
    get_comment,
    get_proposal,
    is_login_redirect,
    proposal_count,
)

MATRIX = [(role, phase) for role in ROLES for phase in PHASES]
LOGGED_OUT = ("anonymous", "inactive")


def _draft_hidden(role: str, phase: str) -> bool:
    return phase == "draft" and role not in ("organizer", "admin")


def _expect_refusal(response, role, phase):
    """The refusal every action shares; returns False when the action may go ahead."""
    if role in LOGGED_OUT:
        assert is_login_redirect(response), response.status_code
        return True
    if _draft_hidden(role, phase):
        assert response.status_code == 404
        return True
    return False


@pytest.mark.parametrize("role, phase", MATRIX)
def test_create(app, client, world, login_as, role, phase):
    setting = world(phase=phase)
    login_as(setting, role)
    before = proposal_count(app)

    page = client.get(setting.new_url)
    posted = client.post(
        setting.new_url,
        data={"title": "Hiến kế mới về đoàn viên", "body": "Nội dung hiến kế.", "theme_id": setting.theme_ids[0]},
    )

    for response in (page, posted):
        if _expect_refusal(response, role, phase):
            continue
        if phase == "open":
            continue
        assert response.status_code == 403
        assert "Không thể gửi hiến kế mới" in response.get_data(as_text=True)
    if phase == "open" and role not in LOGGED_OUT:
        assert page.status_code == 200
        assert posted.status_code == 302 and posted.location.startswith("/proposals/")
        assert proposal_count(app) == before + 1
    else:
        assert proposal_count(app) == before


@pytest.mark.parametrize("role, phase", MATRIX)
def test_detail(client, world, login_as, role, phase):
    setting = world(phase=phase)
    login_as(setting, role)
    response = client.get(setting.proposal_url)
    if _draft_hidden(role, phase):
        assert response.status_code == 404
    else:
        assert response.status_code == 200


@pytest.mark.parametrize("role, phase", MATRIX)
def test_edit(app, client, world, login_as, role, phase):
    setting = world(phase=phase)
    login_as(setting, role)
    url = f"{setting.proposal_url}/edit"

    page = client.get(url)
    posted = client.post(
        url, data={"title": "Tiêu đề đã sửa lại", "body": "Nội dung đã sửa.", "theme_id": setting.theme_ids[1]}
    )

    allowed = role == "author" and phase == "open"
    for response in (page, posted):
        if _expect_refusal(response, role, phase) or allowed:
            continue
        assert response.status_code == 403
    proposal = get_proposal(app, setting.proposal_id)
    if allowed:
        assert page.status_code == 200
        assert posted.status_code == 302
        assert proposal.title == "Tiêu đề đã sửa lại" and proposal.edited_at is not None
    else:
        assert proposal.title != "Tiêu đề đã sửa lại" and proposal.edited_at is None


@pytest.mark.parametrize("role, phase", MATRIX)
def test_withdraw(app, client, world, login_as, role, phase):
    setting = world(phase=phase)
    login_as(setting, role)
    url = f"{setting.proposal_url}/withdraw"

    page = client.get(url)
    posted = client.post(url, data={"reason": ""})

    allowed = role == "author" and phase in ("open", "voting")
    for response in (page, posted):
        if _expect_refusal(response, role, phase) or allowed:
            continue
        assert response.status_code == 403
    proposal = get_proposal(app, setting.proposal_id)
    if allowed:
        assert page.status_code == 200
        assert posted.status_code == 302
        assert proposal.status == ProposalStatus.WITHDRAWN and proposal.withdrawn_at is not None
    else:
        assert proposal.status == ProposalStatus.PUBLISHED and proposal.withdrawn_at is None


@pytest.mark.parametrize("role, phase", MATRIX)
def test_add_comment(app, client, world, login_as, role, phase):
    setting = world(phase=phase)
    login_as(setting, role)
    before = comment_count(app, setting.proposal_id)

    response = client.post(f"{setting.proposal_url}/comments", data={"body": "Tôi ủng hộ ý này."})

    allowed = phase == "open" and role not in LOGGED_OUT
    if not _expect_refusal(response, role, phase) and not allowed:
        assert response.status_code == 403
        assert "Không nhận thêm ý kiến" in response.get_data(as_text=True)
    after = comment_count(app, setting.proposal_id)
    if allowed:
        assert response.status_code == 302 and "#comment-" in response.location
        assert after == (before[0] + 1, before[1] + 1)
    else:
        assert after == before


@pytest.mark.parametrize("role, phase", MATRIX)
def test_edit_comment(app, client, world, login_as, role, phase):
    setting = world(phase=phase)
    login_as(setting, role)
    url = f"/comments/{setting.comment_id}/edit"

    page = client.get(url)
    posted = client.post(url, data={"body": "Ý kiến đã được sửa."})

    allowed = role == "author" and phase == "open"
    for response in (page, posted):
        if _expect_refusal(response, role, phase) or allowed:
            continue
        assert response.status_code == 403
    comment = get_comment(app, setting.comment_id)
    if allowed:
        assert page.status_code == 200
        assert posted.status_code == 302
        assert comment.body == "Ý kiến đã được sửa." and comment.edited_at is not None
    else:
        assert comment.body != "Ý kiến đã được sửa." and comment.edited_at is None
