"""The catalogue: users, applications, and the grants that join them.

One service for the command line and the admin API alike, so both validate the
same way. It works inside the caller's transaction (`Database.transaction`) and
never commits by itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ..db.database import Database
from ..db.models import NAME_LENGTH, Application, Grant, User
from ..errors import AlreadyExists, InvalidInput, NotFound
from .policy import GrantPolicy

# A Docker image reference: [registry/]path[:tag][@digest], path in lower case. As
# for Docker, a first part is a registry only if it has a '.' or a port, or is localhost.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_HOST = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_REGISTRY = rf"(?:(?:localhost|{_HOST}(?:\.{_HOST})+)(?::[0-9]+)?/|{_HOST}:[0-9]+/)?"
IMAGE_REFERENCE = re.compile(
    rf"{_REGISTRY}{_COMPONENT}(?:/{_COMPONENT})*(?::[\w][\w.-]{{0,127}})?(?:@sha256:[0-9a-f]{{64}})?"
)


def check_user_name(name: str) -> str:
    """JupyterHub decides who exists; refuse only names no authenticator would give."""
    if not name:
        raise InvalidInput("the user name is empty")
    if len(name) > NAME_LENGTH:
        raise InvalidInput(f"the user name is longer than {NAME_LENGTH} characters")
    if name != name.strip():
        raise InvalidInput(f"the user name {name!r} starts or ends with white space")
    if any(ord(char) < 32 or ord(char) == 127 for char in name):
        raise InvalidInput(f"the user name {name!r} contains control characters")
    return name


def check_image_name(image: str) -> str:
    if not image:
        raise InvalidInput("the image name is empty")
    if len(image) > NAME_LENGTH:
        raise InvalidInput(f"the image name is longer than {NAME_LENGTH} characters")
    if not IMAGE_REFERENCE.fullmatch(image):
        raise InvalidInput(
            f"{image!r} is not a Docker image name (like 'simphony/app' or "
            "'registry.example.org:5000/app:1.0')"
        )
    return image


def check_display_text(text: str | None, what: str, limit: int) -> str | None:
    if text is None:
        return None
    if not text.strip():
        raise InvalidInput(f"the {what} is empty")
    if len(text) > limit:
        raise InvalidInput(f"the {what} is longer than {limit} characters")
    if "\0" in text:
        raise InvalidInput(f"the {what} contains a NUL character")
    return text


class Catalogue:
    """Who may run which application, with which policy."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- users --

    def list_users(self) -> Sequence[User]:
        query = (
            select(User)
            .options(selectinload(User.grants).selectinload(Grant.application))
            .options(selectinload(User.grants).selectinload(Grant.policy))
            .order_by(User.name)
        )
        return self.session.scalars(query).all()

    def get_user(self, name: str) -> User:
        user = self.session.scalar(select(User).where(User.name == name))
        if user is None:
            raise NotFound(f"there is no user {name!r}")
        return user

    def create_user(self, name: str) -> User:
        check_user_name(name)
        if self.has_user(name):
            raise AlreadyExists(f"the user {name!r} exists already")
        user = User(name=name)
        self.session.add(user)
        self.session.flush()
        return user

    def remove_user(self, name: str) -> User:
        """Remove the user and their grants; the caller stops their containers."""
        user = self.get_user(name)
        self.session.delete(user)
        self.session.flush()
        return user

    def find_users(
        self, search: str, offset: int, limit: int
    ) -> tuple[Sequence[tuple[User, int]], int]:
        """A page of the users whose name contains ``search`` (any case), by name, each
        with their number of grants; and how many users match in all."""
        matching = func.lower(User.name).contains(search.lower(), autoescape=True)
        grants = (
            select(func.count(Grant.mapping_id)).where(Grant.user_id == User.id).scalar_subquery()
        )
        query = select(User, grants).where(matching).order_by(User.name).offset(offset).limit(limit)
        total = self.session.scalar(select(func.count(User.id)).where(matching)) or 0
        return [(user, count) for user, count in self.session.execute(query)], total

    def has_user(self, name: str) -> bool:
        return self.session.scalar(select(User.id).where(User.name == name)) is not None

    def ensure_user(self, name: str, demo_applications: dict[str, GrantPolicy]) -> None:
        """Make the user if unknown, and grant them the demo applications (made if
        missing). Changes nothing that exists."""
        if not self.has_user(name):
            self.create_user(name)
        for image, policy in demo_applications.items():
            if (
                self.session.scalar(select(Application.id).where(Application.image == image))
                is None
            ):
                self.create_application(image)
            self.grant(image, name, policy)

    # -- applications --

    def list_applications(self) -> Sequence[Application]:
        return self.session.scalars(select(Application).order_by(Application.image)).all()

    def find_applications(
        self, search: str, offset: int, limit: int
    ) -> tuple[Sequence[tuple[Application, int]], int]:
        """A page of the applications whose image contains ``search`` (any case), by
        image, each with its number of grants; and how many match in all."""
        matching = func.lower(Application.image).contains(search.lower(), autoescape=True)
        grants = (
            select(func.count(Grant.mapping_id))
            .where(Grant.application_id == Application.id)
            .scalar_subquery()
        )
        query = (
            select(Application, grants)
            .where(matching)
            .order_by(Application.image)
            .offset(offset)
            .limit(limit)
        )
        total = self.session.scalar(select(func.count(Application.id)).where(matching)) or 0
        return [(application, count) for application, count in self.session.execute(query)], total

    def counts(self) -> tuple[int, int, int]:
        """How many users, applications and grants there are."""

        def count(model: type[User | Application | Grant]) -> int:
            return self.session.scalar(select(func.count()).select_from(model)) or 0

        return count(User), count(Application), count(Grant)

    def get_application(self, image: str) -> Application:
        application = self.session.scalar(select(Application).where(Application.image == image))
        if application is None:
            raise NotFound(f"there is no application with the image {image!r}")
        return application

    def get_application_by_id(self, application_id: int) -> Application:
        application = self.session.get(Application, application_id)
        if application is None:
            raise NotFound(f"there is no application {application_id}")
        return application

    def create_application(
        self, image: str, display_name: str | None = None, description: str | None = None
    ) -> Application:
        check_image_name(image)
        check_display_text(display_name, "display name", NAME_LENGTH)
        check_display_text(description, "description", 4096)
        if self.session.scalar(select(Application.id).where(Application.image == image)):
            raise AlreadyExists(f"the application {image!r} exists already")
        application = Application(image=image, display_name=display_name, description=description)
        self.session.add(application)
        self.session.flush()
        return application

    def describe_application(
        self, application: Application, display_name: str | None, description: str | None
    ) -> None:
        """Set (or, with None, clear) what is shown instead of the image's labels."""
        application.display_name = check_display_text(display_name, "display name", NAME_LENGTH)
        application.description = check_display_text(description, "description", 4096)
        self.session.flush()

    def remove_application(self, image: str) -> Application:
        """Remove the application and every grant of it; the caller stops its containers."""
        application = self.get_application(image)
        self.session.delete(application)
        self.session.flush()
        return application

    # -- grants --

    def grants_of(self, user: User, application: Application) -> list[Grant]:
        query = select(Grant).where(
            Grant.user_id == user.id, Grant.application_id == application.id
        )
        return list(self.session.scalars(query))

    def grants_of_user(self, user_name: str) -> Sequence[Grant]:
        query = (
            select(Grant)
            .join(Grant.user)
            .where(User.name == user_name)
            .options(selectinload(Grant.application), selectinload(Grant.policy))
            .order_by(Grant.created_at, Grant.mapping_id)
        )
        return self.session.scalars(query).all()

    def find_grants(
        self,
        user_name: str | None = None,
        application_id: int | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> tuple[Sequence[Grant], int]:
        """Every grant, or those of a user, of an application, or both, oldest first
        (``limit`` of them from ``offset``); and how many match in all."""
        matching = select(Grant).join(Grant.user)
        if user_name is not None:
            matching = matching.where(User.name == user_name)
        if application_id is not None:
            matching = matching.where(Grant.application_id == application_id)
        query = (
            matching.options(
                selectinload(Grant.user),
                selectinload(Grant.application),
                selectinload(Grant.policy),
            )
            .order_by(Grant.created_at, Grant.mapping_id)
            .offset(offset)
            .limit(limit)
        )
        total = self.session.scalar(select(func.count()).select_from(matching.subquery())) or 0
        return self.session.scalars(query).all(), total

    def get_grant_by_id(self, mapping_id: str) -> Grant:
        grant = self.session.get(Grant, mapping_id)
        if grant is None:
            raise NotFound(f"there is no grant {mapping_id!r}")
        return grant

    def set_policy(self, grant: Grant, policy: GrantPolicy) -> None:
        """Give a grant another policy, unless the user has that grant already."""
        for other in self.grants_of(grant.user, grant.application):
            if other is not grant and GrantPolicy.from_model(other.policy) == policy:
                raise AlreadyExists(
                    f"{grant.user.name!r} has a grant of {grant.application.image!r} with "
                    f"this policy already ({other.mapping_id})"
                )
        grant.policy = policy.to_model()
        self.session.flush()

    def get_grant(self, user_name: str, mapping_id: str) -> Grant:
        """The user's grant ``mapping_id``; someone else's grant is not found either."""
        query = (
            select(Grant)
            .join(Grant.user)
            .where(Grant.mapping_id == mapping_id, User.name == user_name)
            .options(selectinload(Grant.application), selectinload(Grant.policy))
        )
        grant = self.session.scalar(query)
        if grant is None:
            raise NotFound(f"{user_name!r} has no application {mapping_id!r}")
        return grant

    def grant(self, image: str, user_name: str, policy: GrantPolicy) -> tuple[Grant, bool]:
        """Let the user run the image under ``policy``.

        Granting what is granted already changes nothing: the existing grant is
        returned, with False as its second value.
        """
        application = self.get_application(image)
        user = self.get_user(user_name)
        for existing in self.grants_of(user, application):
            if GrantPolicy.from_model(existing.policy) == policy:
                return existing, False
        grant = Grant(user=user, application=application, policy=policy.to_model())
        self.session.add(grant)
        self.session.flush()
        return grant, True

    def revoke(self, image: str, user_name: str, policy: GrantPolicy | None) -> list[Grant]:
        """Remove the user's grant of the image with ``policy``, or all of them if None."""
        application = self.get_application(image)
        user = self.get_user(user_name)
        grants = [
            grant
            for grant in self.grants_of(user, application)
            if policy is None or GrantPolicy.from_model(grant.policy) == policy
        ]
        if not grants:
            which = "any grant" if policy is None else "a grant with this policy"
            raise NotFound(f"the user {user_name!r} has not {which} of {image!r}")
        for grant in grants:
            self.session.delete(grant)
        self.session.flush()
        return grants


def ensure_user(
    database: Database, name: str, demo_applications: dict[str, GrantPolicy], create: bool = True
) -> None:
    """`Catalogue.ensure_user` in its own transaction (if ``create`` or the user exists).

    Services of several users start at the same time and may make the same demo
    application at the same moment: the loser of that race tries once more, and
    then finds it made.
    """
    for attempt in (1, 2):
        try:
            with database.transaction() as session:
                catalogue = Catalogue(session)
                if create or catalogue.has_user(name):
                    catalogue.ensure_user(name, demo_applications)
            return
        except AlreadyExists:
            if attempt == 2:
                raise
