"""The app database: models, connection, and schema migrations (alembic)."""

from .database import Database
from .models import Accounting, Application, AuditEntry, Base, Policy, User

__all__ = ["Accounting", "Application", "AuditEntry", "Base", "Database", "Policy", "User"]
