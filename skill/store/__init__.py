"""Storage: SQLAlchemy models, the engine and repository functions.

Repository functions take a `Transaction` (a Connection in a transaction); the caller owns
it (`with database.transaction() as tx: ...`).
"""

from skill.store.db import Database, StorageError, Transaction
from skill.store.models import Glimmer, Person, Preferences, Progress

__all__ = [
    "Database", "Glimmer", "Person", "Preferences", "Progress", "StorageError", "Transaction",
]
