"""The app database: models, connection, and schema migrations (alembic)."""

from .database import Database
from .models import Application, AuditEntry, Base, Grant, Policy, User

__all__ = ["Application", "AuditEntry", "Base", "Database", "Grant", "Policy", "User"]
