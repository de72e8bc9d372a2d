"""Storage: SQLAlchemy models, the engine and repository functions.

Repository functions take a `Session`; the caller owns the transaction
(`with database.transaction() as session: ...`).
"""

from skill.store.db import Database, StorageError
from skill.store.models import Glimmer, Person, Preferences, Progress

__all__ = ["Database", "Glimmer", "Person", "Preferences", "Progress", "StorageError"]
