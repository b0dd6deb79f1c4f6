"""The app database: models, connection, and schema migrations (alembic)."""

from .database import Database
from .models import Accounting, Application, Base, Policy, User

__all__ = ["Accounting", "Application", "Base", "Database", "Policy", "User"]
