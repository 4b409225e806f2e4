"""An index on calls.imported_at: the insights fingerprint reads the newest stored call without a scan

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"


def upgrade() -> None:
    op.create_index("ix_calls_imported", "calls", ["imported_at"])


def downgrade() -> None:
    op.drop_index("ix_calls_imported", "calls")
