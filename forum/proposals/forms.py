"""Proposal and comment forms: validation only, never saving.

Every text field is normalised (NFC, control characters stripped, outer whitespace
trimmed) before it is validated, so that whitespace-only input counts as empty and
lengths are measured on what will be stored; text that shows nothing (only invisible
or space-like characters) is refused with its own message.
"""
from flask_babel import format_decimal, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, ValidationError

from forum.core.forms import VisibleText, multiline, single_line
from forum.core.ids import parse_id
from forum.proposals.models import Comment, Proposal


class TextLength:
    """Length check with Vietnamese messages and locale-formatted numbers (20.000)."""

    def __init__(self, *, max: int, min: int = 0, too_short=None, too_long=None):  # noqa: A002
        self.min, self.max = min, max
        self.too_short, self.too_long = too_short, too_long

    def __call__(self, form, field):
        length = len(field.data or "")
        if length < self.min:
            raise ValidationError(str(self.too_short) % self._numbers(length))
        if length > self.max:
            raise ValidationError(str(self.too_long) % self._numbers(length))

    def _numbers(self, length: int) -> dict:
        return {"min": format_decimal(self.min), "max": format_decimal(self.max), "length": format_decimal(length)}


class ProposalForm(FlaskForm):
    """Title, theme (when the forum has themes) and body of a proposal."""

    title = StringField(
        _l("Tiêu đề"),
        filters=[single_line],
        validators=[
            DataRequired(_l("Vui lòng nhập tiêu đề.")),
            VisibleText(
                _l("Tiêu đề chỉ gồm khoảng trắng hoặc ký tự không hiển thị. Vui lòng nhập tiêu đề có chữ.")
            ),
            TextLength(
                min=Proposal.TITLE_MIN_LENGTH,
                max=Proposal.TITLE_MAX_LENGTH,
                too_short=_l("Tiêu đề quá ngắn: cần ít nhất %(min)s ký tự."),
                too_long=_l("Tiêu đề dài %(length)s ký tự, vượt quá giới hạn %(max)s ký tự."),
            ),
        ],
        render_kw={"data-char-counter": Proposal.TITLE_MAX_LENGTH, "data-char-counter-label": _l("ký tự"), "autocomplete": "off"},
    )
    theme_id = SelectField(_l("Nhóm vấn đề"), coerce=parse_id, validate_choice=False)
    body = TextAreaField(
        _l("Nội dung hiến kế"),
        filters=[multiline],
        validators=[
            DataRequired(_l("Vui lòng nhập nội dung hiến kế.")),
            VisibleText(
                _l("Nội dung hiến kế chỉ gồm khoảng trắng hoặc ký tự không hiển thị. Vui lòng nhập nội dung có chữ."),
                markdown=True,
            ),
            TextLength(
                max=Proposal.BODY_MAX_LENGTH,
                too_long=_l("Nội dung dài %(length)s ký tự, vượt quá giới hạn %(max)s ký tự."),
            ),
        ],
        render_kw={"rows": 12, "data-char-counter": Proposal.BODY_MAX_LENGTH, "data-char-counter-label": _l("ký tự")},
    )

    def __init__(self, *args, themes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.allowed_theme_ids = {theme.id for theme in themes}
        if themes:
            self.theme_id.choices = [("", _l("— Chọn nhóm vấn đề —"))] + [
                (theme.id, theme.title) for theme in themes
            ]
        else:
            del self.theme_id  # a forum without themes files proposals without one

    def validate_theme_id(self, field):
        if field.data is None:
            raise ValidationError(_l("Vui lòng chọn nhóm vấn đề."))
        if field.data not in self.allowed_theme_ids:
            raise ValidationError(_l("Nhóm vấn đề không thuộc diễn đàn này. Vui lòng chọn lại."))

    @property
    def selected_theme_id(self) -> int | None:
        return self.theme_id.data if "theme_id" in self else None


class CommentForm(FlaskForm):
    """An opinion, or a reply when ``parent_id`` names a top-level comment."""

    body = TextAreaField(
        _l("Ý kiến của bạn"),
        filters=[multiline],
        validators=[
            DataRequired(_l("Vui lòng nhập nội dung ý kiến.")),
            VisibleText(
                _l("Ý kiến chỉ gồm khoảng trắng hoặc ký tự không hiển thị. Vui lòng nhập ý kiến có chữ."), markdown=True
            ),
            TextLength(
                max=Comment.BODY_MAX_LENGTH,
                too_long=_l("Ý kiến dài %(length)s ký tự, vượt quá giới hạn %(max)s ký tự."),
            ),
        ],
        render_kw={"rows": 5, "data-char-counter": Comment.BODY_MAX_LENGTH, "data-char-counter-label": _l("ký tự")},
    )
    parent_id = HiddenField(filters=[parse_id])

    def validate_parent_id(self, field):
        if field.data is None and field.raw_data and field.raw_data[0].strip():
            raise ValidationError(_l("Ý kiến bạn muốn trả lời không tồn tại hoặc đã bị ẩn."))


class CommentEditForm(FlaskForm):
    body = CommentForm.body


class WithdrawForm(FlaskForm):
    """Confirmation of a withdrawal, with an optional reason kept in the audit log."""

    reason = TextAreaField(
        _l("Lý do rút (không bắt buộc)"),
        filters=[multiline],
        validators=[
            TextLength(
                max=Proposal.WITHDRAW_REASON_MAX_LENGTH,
                too_long=_l("Lý do dài %(length)s ký tự, vượt quá giới hạn %(max)s ký tự."),
            )
        ],
        render_kw={"rows": 3},
    )
