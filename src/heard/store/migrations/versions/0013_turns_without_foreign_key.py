"""Turns without a foreign key to calls: the bulk import's per-row check on the server

Revision ID: 0013
Revises: 0012

PostgreSQL checks a foreign key row by row, and for the turns (a few dozen rows per call) that check was most of
the server's work in a bulk import: a COPY of 52,000 turns took 1.48 s with it and 0.39 s without
(docs/benchmarks.md). heard writes a call's turns only in the transaction that writes the call, and removes them
itself before the call (Store's one delete path), so the key guarded nothing heard does. A script that deletes
calls by hand must now delete their turns first (docs/scale.md). SQLite rebuilds the table (it cannot drop a
constraint in place); the rows are copied as they are.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"


def _turns(foreign_key: bool) -> sa.Table:
    call_id = sa.Column("call_id", sa.String(200), *([sa.ForeignKey("calls.id", ondelete="CASCADE")]
                                                     if foreign_key else []), primary_key=True)
    return sa.Table("turns", sa.MetaData(), call_id, sa.Column("idx", sa.Integer, primary_key=True),
                    sa.Column("speaker", sa.String(16), nullable=False), sa.Column("speaker_id", sa.String(200)),
                    sa.Column("start", sa.Float), sa.Column("end", sa.Float),
                    sa.Column("text", sa.Text, nullable=False), sa.Column("words", sa.JSON))


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("turns_call_id_fkey", "turns", type_="foreignkey")
        return
    with op.batch_alter_table("turns", recreate="always", copy_from=_turns(foreign_key=False)):
        pass


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_foreign_key("turns_call_id_fkey", "turns", "calls", ["call_id"], ["id"], ondelete="CASCADE")
        return
    with op.batch_alter_table("turns", recreate="always", copy_from=_turns(foreign_key=True)):
        pass
