"""/notifications: a person's notifications, their unread count in the header, and the
choice of getting them by mail."""
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forum.core.permissions import is_active_user
from forum.extensions import db
from forum.notifications import inbox
from forum.notifications.forms import NotificationSettingsForm, ReadAllForm
from forum.notifications.services import mail_configured

bp = Blueprint("notifications", __name__)


@bp.app_context_processor
def _unread_count():
    """``unread_notifications()`` for the header: one count, only for a logged-in user,
    only when a page asks for it."""

    def unread_notifications() -> int:
        if not is_active_user(current_user):
            return 0
        if "unread_notifications" not in g:  # asked by the header and by a page: one query
            g.unread_notifications = inbox.count_unread(current_user)
        return g.unread_notifications

    return {"unread_notifications": unread_notifications}


@bp.route("/notifications")
@login_required
def index():
    page = inbox.list_notifications(current_user, page=request.args.get("page", 1, type=int))
    settings_form = NotificationSettingsForm(email_enabled=inbox.email_enabled(current_user.id))
    return render_template(
        "notifications/index.html",
        page=page,
        read_all_form=ReadAllForm(),
        settings_form=settings_form,
        mail_on=mail_configured(),
        describe=inbox.describe,
        detail_text=inbox.detail_text,
    )


@bp.route("/notifications/<id:notification_id>")
@login_required
def open_notification(notification_id: int):
    """Follow a notification: it becomes read, the reader goes to what it is about."""
    notification = inbox.get_own_notification(current_user, notification_id)
    if notification is None:
        abort(404)
    inbox.mark_read(notification)
    target = inbox.target_url(notification)
    db.session.commit()
    return redirect(target)


@bp.route("/notifications/read", methods=["POST"])
@login_required
def read_all():
    if ReadAllForm().validate_on_submit():
        count = inbox.mark_all_read(current_user)
        db.session.commit()
        if count:
            flash(_("Đã đánh dấu mọi thông báo là đã đọc."), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/settings", methods=["POST"])
@login_required
def settings():
    form = NotificationSettingsForm()
    if not form.validate_on_submit():
        abort(400)
    if inbox.set_email_enabled(current_user, bool(form.email_enabled.data)):
        db.session.commit()
    flash(
        _("Đã bật thông báo qua email.") if form.email_enabled.data else _("Đã tắt thông báo qua email."),
        "success",
    )
    return redirect(url_for("notifications.index", _anchor="cai-dat"))
