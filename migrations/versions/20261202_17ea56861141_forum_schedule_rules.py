"""Forums get a schedule (opening and closing times for proposals and supports), per-forum
rules (supports per delegate, withdrawable supports, hidden tallies, edit window, comments,
pre-moderation of new accounts, supporting roles) and the time of the last manual phase
change; themes can be retired

Revision ID: 17ea56861141
Revises: 4fadfbab41f0
Create Date: 2026-12-02 16:40:28.237281

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '17ea56861141'
down_revision = '4fadfbab41f0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('forums', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phase_set_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('proposals_open_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('proposals_close_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('supports_open_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('supports_close_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('max_supports_per_user', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('supports_withdrawable', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('hide_tallies_until_closed', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('edit_window_minutes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('comments_open', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('premoderate_new_accounts', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('supporting_roles', sa.JSON(), server_default='["delegate"]', nullable=False))
        batch_op.create_check_constraint(
            'max_supports_positive', 'max_supports_per_user IS NULL OR max_supports_per_user >= 1'
        )
        batch_op.create_check_constraint(
            'edit_window_not_negative', 'edit_window_minutes IS NULL OR edit_window_minutes >= 0'
        )

    with op.batch_alter_table('themes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_retired', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('themes', schema=None) as batch_op:
        batch_op.drop_column('is_retired')

    with op.batch_alter_table('forums', schema=None) as batch_op:
        batch_op.drop_constraint('edit_window_not_negative', type_='check')
        batch_op.drop_constraint('max_supports_positive', type_='check')
        batch_op.drop_column('supporting_roles')
        batch_op.drop_column('premoderate_new_accounts')
        batch_op.drop_column('comments_open')
        batch_op.drop_column('edit_window_minutes')
        batch_op.drop_column('hide_tallies_until_closed')
        batch_op.drop_column('supports_withdrawable')
        batch_op.drop_column('max_supports_per_user')
        batch_op.drop_column('supports_close_at')
        batch_op.drop_column('supports_open_at')
        batch_op.drop_column('proposals_close_at')
        batch_op.drop_column('proposals_open_at')
        batch_op.drop_column('phase_set_at')
