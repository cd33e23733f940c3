from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField


class ReadAllForm(FlaskForm):
    """Mark every notification read (the form carries only its CSRF token)."""


class NotificationSettingsForm(FlaskForm):
    email_enabled = BooleanField(_l("Gửi thông báo qua email cho tôi"))
