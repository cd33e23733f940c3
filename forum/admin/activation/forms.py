"""The organizer's choices for a batch of activation codes (validation only)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import AnyOf, Length, Optional

from forum.auth.models import User

EVERYONE = "all"
ONE_DELEGATION = "delegation"


class CodeBatchForm(FlaskForm):
    """Who gets codes: one delegation (``""``: the accounts without one) or everyone;
    by default only those without a password."""

    scope = HiddenField(validators=[AnyOf([EVERYONE, ONE_DELEGATION], message=_l("Phạm vi không hợp lệ."))])
    delegation = StringField(validators=[Optional(), Length(max=User.DELEGATION_MAX_LENGTH,
                                                            message=_l("Tên đoàn quá dài."))])
    include_activated = BooleanField()


class PersonCodeForm(FlaskForm):
    by_mail = BooleanField()
    next = HiddenField()
