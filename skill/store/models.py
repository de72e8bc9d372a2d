"""Typed SQLAlchemy 2.0 models: people, glimmers, playback progress, preferences."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MAX_GLIMMER_CHARS = 500


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always hands back aware UTC (SQLite forgets zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuses naive datetimes, which would silently mean local time somewhere."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware UTC time")
        converted = value.astimezone(UTC)
        return converted.replace(tzinfo=None) if dialect.name == "sqlite" else converted

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Marks values read back from SQLite as UTC."""
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with constraint names that migrate the same on every backend."""

    metadata = MetaData(naming_convention=NAMING)


class Person(Base):
    """Someone who uses the skill, known only by a keyed hash of Alexa's userId."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_visit_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    disclaimer_heard: Mapped[bool] = mapped_column(Boolean, default=False)

    glimmers: Mapped[list[Glimmer]] = relationship(
        back_populates="person", cascade="all, delete-orphan", passive_deletes=True
    )


class Glimmer(Base):
    """One noticed moment, in the person's own words."""

    __tablename__ = "glimmers"
    __table_args__ = (Index("ix_glimmers_person_created", "person_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(MAX_GLIMMER_CHARS))
    senses: Mapped[str] = mapped_column(String(100), default="")
    shift: Mapped[str | None] = mapped_column(String(MAX_GLIMMER_CHARS), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    person: Mapped[Person] = relationship(back_populates="glimmers")

    @property
    def sense_names(self) -> tuple[str, ...]:
        """The stored sense tags as a tuple of names."""
        return tuple(name for name in self.senses.split(",") if name)


class Preferences(Base):
    """Per-person choices and cached facts about their device."""

    __tablename__ = "preferences"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    offer_linger: Mapped[bool] = mapped_column(Boolean, default=True)
    time_zone: Mapped[str | None] = mapped_column(String(64), default=None)
    time_zone_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class Progress(Base):
    """Where a person is in one practice or lesson."""

    __tablename__ = "progress"
    __table_args__ = (UniqueConstraint("person_id", "content_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    content_id: Mapped[str] = mapped_column(String(100))
    token: Mapped[str] = mapped_column(String(200))
    offset_ms: Mapped[int] = mapped_column(Integer, default=0)
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    enqueued_token: Mapped[str | None] = mapped_column(String(200), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
