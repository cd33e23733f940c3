"""The forms of the moderator tools on a proposal: validation only, never saving."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from forum.core.forms import VisibleText, multiline, single_line
from forum.core.ids import parse_id
from forum.moderation.curation.models import AnswerDraft
from forum.moderation.curation.services import REASON_MAX_LENGTH
from forum.proposals.models import Proposal


class ToggleForm(FlaskForm):
    """Pin or feature (``value`` 1) and undo it (0); the view checks the value."""

    value = HiddenField()

    @property
    def on(self) -> bool | None:
        return {"1": True, "0": False}.get(self.value.data)


def _reason_field():
    return TextAreaField(
        _l("Lý do (ghi vào nhật ký, không bắt buộc)"), filters=[multiline], render_kw={"rows": 2},
        validators=[Length(max=REASON_MAX_LENGTH, message=_l("Lý do quá dài."))],
    )


class TitleForm(FlaskForm):
    title = StringField(
        _l("Tiêu đề mới"), filters=[single_line],
        validators=[
            DataRequired(_l("Vui lòng nhập tiêu đề.")),
            VisibleText(_l("Tiêu đề chỉ gồm khoảng trắng hoặc ký tự không hiển thị. Vui lòng nhập tiêu đề có chữ.")),
            Length(min=Proposal.TITLE_MIN_LENGTH, max=Proposal.TITLE_MAX_LENGTH,
                   message=_l("Tiêu đề cần từ %(min)d đến %(max)d ký tự.")),
        ],
    )
    reason = _reason_field()


class MoveForm(FlaskForm):
    """``place``: "forum id" or "forum id:theme id", one option per forum and theme."""

    place = SelectField(_l("Chuyển đến"), validate_choice=False)
    reason = _reason_field()

    def target(self) -> tuple[int | None, int | None]:
        forum, _sep, theme = (self.place.data or "").partition(":")
        return parse_id(forum), parse_id(theme) if theme else None


class AnswerForm(FlaskForm):
    """The official answer: a status and a text; ``action`` says draft or publish."""

    status = SelectField(_l("Trạng thái"), validate_choice=False)
    body = TextAreaField(
        _l("Nội dung trả lời"), filters=[multiline], render_kw={"rows": 6},
        validators=[
            DataRequired(_l("Vui lòng nhập nội dung trả lời.")),
            VisibleText(_l("Vui lòng nhập nội dung trả lời."), markdown=True),
            Length(max=AnswerDraft.BODY_MAX_LENGTH, message=_l("Nội dung trả lời quá dài (tối đa %(max)d ký tự).")),
        ],
    )
    action = HiddenField()  # sent by the button pressed: "draft" or "publish"
