"""audit entries: actor role, before/after, request id, client address

``details`` (free keyword arguments) becomes ``before`` / ``after`` (the changed values);
existing entries are converted: ``forum.set_phase`` {old, new} → {phase}, ``user.role_changed``
{previous, role} → {role}, ``user.created`` {role} → after, ``votes.repair_support_count``
{stored, actual} → {support_count}, ``user.activated`` / ``user.deactivated`` → {is_active};
any other non-empty details go to ``after``. Entries written before this revision keep an
empty actor role, request id and client address (they were not recorded).

Revision ID: e777ce6e5e80
Revises: ff01e33abce0
Create Date: 2026-12-02 13:30:16.026111

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e777ce6e5e80'
down_revision = 'ff01e33abce0'
branch_labels = None
depends_on = None

NEW_TEXT_COLUMNS = (("actor_role", 20), ("request_id", 64), ("client_address", 45))


def _entries(*columns):
    return sa.table("audit_entries", sa.column("id", sa.Integer), sa.column("action", sa.String), *columns)


def _before_after(action: str, details: dict) -> tuple[dict | None, dict | None]:
    if action == "forum.set_phase":
        return {"phase": details.get("old")}, {"phase": details.get("new")}
    if action == "user.role_changed":
        return {"role": details.get("previous")}, {"role": details.get("role")}
    if action == "votes.repair_support_count":
        return {"support_count": details.get("stored")}, {"support_count": details.get("actual")}
    if action in ("user.activated", "user.deactivated"):
        active = action == "user.activated"
        return {"is_active": not active}, {"is_active": active}
    return None, (details or None)


def _details(action: str, before: dict | None, after: dict | None) -> dict:
    before, after = before or {}, after or {}
    if action == "forum.set_phase":
        return {"old": before.get("phase"), "new": after.get("phase")}
    if action == "user.role_changed":
        return {"previous": before.get("role"), "role": after.get("role")}
    if action == "votes.repair_support_count":
        return {"stored": before.get("support_count"), "actual": after.get("support_count")}
    if action in ("user.activated", "user.deactivated"):
        return {}
    return after


def upgrade():
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        for name, length in NEW_TEXT_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=False, server_default=""))
        batch_op.add_column(sa.Column('before', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('after', sa.JSON(), nullable=True))

    old = _entries(sa.column("details", sa.JSON), sa.column("before", sa.JSON), sa.column("after", sa.JSON))
    connection = op.get_bind()
    for entry_id, action, details in connection.execute(sa.select(old.c.id, old.c.action, old.c.details)).all():
        before, after = _before_after(action, details or {})
        connection.execute(sa.update(old).where(old.c.id == entry_id).values(before=before, after=after))

    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        for name, length in NEW_TEXT_COLUMNS:
            batch_op.alter_column(name, existing_type=sa.String(length=length), server_default=None)
        batch_op.drop_column('details')


def downgrade():
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('details', sa.JSON(), nullable=False, server_default="{}"))

    new = _entries(sa.column("details", sa.JSON), sa.column("before", sa.JSON), sa.column("after", sa.JSON))
    connection = op.get_bind()
    rows = connection.execute(sa.select(new.c.id, new.c.action, new.c.before, new.c.after)).all()
    for entry_id, action, before, after in rows:
        connection.execute(sa.update(new).where(new.c.id == entry_id).values(details=_details(action, before, after)))

    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.alter_column('details', existing_type=sa.JSON(), server_default=None)
        batch_op.drop_column('after')
        batch_op.drop_column('before')
        for name, _length in reversed(NEW_TEXT_COLUMNS):
            batch_op.drop_column(name)
