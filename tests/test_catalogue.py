"""The catalogue service and the models, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from remoteappmanager.db import Application, Database, Grant, Policy, User
from remoteappmanager.errors import AlreadyExists, InvalidInput, NotFound
from remoteappmanager.services.catalogue import Catalogue, ensure_user
from remoteappmanager.services.policy import GrantPolicy, Volume

HOME = GrantPolicy(allow_home=True)


def count(database: Database, model: type) -> int:
    with database.transaction() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_grant_joins_user_application_and_policy(database: Database) -> None:
    with database.transaction() as session:
        catalogue = Catalogue(session)
        catalogue.create_user("alice")
        catalogue.create_application("simphony/paraview:5.11", display_name="ParaView")
        policy = GrantPolicy(volume=Volume("/srv/data", "/data", "ro"), app_license="KEY")
        grant, created = catalogue.grant("simphony/paraview:5.11", "alice", policy)
        mapping_id = grant.mapping_id
    assert created
    assert re.fullmatch(r"[0-9a-f]{32}", mapping_id)
    with database.transaction() as session:
        grant = session.get(Grant, mapping_id)
        assert grant is not None
        assert grant.user.name == "alice"
        assert grant.application.display_name == "ParaView"
        assert GrantPolicy.from_model(grant.policy) == policy
        assert grant.created_at is not None


def test_granting_again_returns_the_same_grant(database: Database) -> None:
    with database.transaction() as session:
        catalogue = Catalogue(session)
        catalogue.create_user("alice")
        catalogue.create_application("app")
        first, _ = catalogue.grant("app", "alice", HOME)
        again, created = catalogue.grant("app", "alice", GrantPolicy(allow_home=True))
        other, other_created = catalogue.grant("app", "alice", GrantPolicy())
    assert (again.mapping_id, created) == (first.mapping_id, False)
    assert other_created and other.mapping_id != first.mapping_id
    assert count(database, Grant) == 2


def test_mapping_ids_are_random(database: Database) -> None:
    with database.transaction() as session:
        catalogue = Catalogue(session)
        catalogue.create_application("app")
        ids = set()
        for index in range(20):
            catalogue.create_user(f"user{index}")
            ids.add(catalogue.grant("app", f"user{index}", HOME)[0].mapping_id)
    assert len(ids) == 20


@pytest.mark.parametrize("removed", ["user", "application"])
def test_removing_a_user_or_application_removes_its_grants_and_policies(
    database: Database, removed: str
) -> None:
    with database.transaction() as session:
        catalogue = Catalogue(session)
        for name in ("alice", "bob"):
            catalogue.create_user(name)
        for image in ("app1", "app2"):
            catalogue.create_application(image)
        for name in ("alice", "bob"):
            for image in ("app1", "app2"):
                catalogue.grant(image, name, HOME)
    with database.transaction() as session:
        if removed == "user":
            Catalogue(session).remove_user("alice")
        else:
            Catalogue(session).remove_application("app1")
    assert count(database, Grant) == 2
    assert count(database, Policy) == 2
    assert count(database, User) == (1 if removed == "user" else 2)
    assert count(database, Application) == (2 if removed == "user" else 1)


@pytest.mark.parametrize(
    "names",
    [
        ("a%", "ab", "a_", "aXb"),
        ("o'brien", 'say "hi"', "x'; DROP TABLE users; --", "robert'); --"),
        ("Alice", "alice", "ALICE", "alice@example.org"),
    ],
)
def test_names_are_stored_and_matched_literally(database: Database, names: tuple[str, ...]) -> None:
    """SECURITY-TESTS 26: quotes, SQL, % and _ match only themselves."""
    with database.transaction() as session:
        catalogue = Catalogue(session)
        for name in names:
            catalogue.create_user(name)
    with database.transaction() as session:
        Catalogue(session).remove_user(names[0])
    with database.transaction() as session:
        remaining = [user.name for user in Catalogue(session).list_users()]
    assert sorted(remaining) == sorted(names[1:])


def test_existing_and_missing_things_are_named_in_the_error(database: Database) -> None:
    with database.transaction() as session:
        catalogue = Catalogue(session)
        catalogue.create_user("alice")
        catalogue.create_application("app")
        with pytest.raises(AlreadyExists, match="'alice' exists already"):
            catalogue.create_user("alice")
        with pytest.raises(AlreadyExists, match="'app' exists already"):
            catalogue.create_application("app")
        with pytest.raises(NotFound, match="no user 'bob'"):
            catalogue.grant("app", "bob", HOME)
        with pytest.raises(NotFound, match="no application with the image 'other'"):
            catalogue.grant("other", "alice", HOME)
        with pytest.raises(NotFound, match="has not a grant with this policy"):
            catalogue.revoke("app", "alice", HOME)


@pytest.mark.parametrize("name", ["", " alice", "alice\n", "a\0b", "x" * 256])
def test_impossible_user_names_are_refused(database: Database, name: str) -> None:
    with database.transaction() as session, pytest.raises(InvalidInput):
        Catalogue(session).create_user(name)


def test_a_255_character_name_is_fine(database: Database) -> None:
    with database.transaction() as session:
        assert Catalogue(session).create_user("x" * 255).name == "x" * 255


@pytest.mark.parametrize(
    "image",
    [
        "",
        "UPPER/case",
        "app:",
        "app:tag with space",
        "-app",
        "app;rm -rf",
        "a" * 300,
        "app@sha256:00",
    ],
)
def test_bad_image_names_are_refused(database: Database, image: str) -> None:
    with database.transaction() as session, pytest.raises(InvalidInput):
        Catalogue(session).create_application(image)


@pytest.mark.parametrize(
    "image",
    ["busybox", "simphony/app:1.0", "registry.example.org:5000/team/app_x:v1.2-rc", "a/b/c__d"],
)
def test_good_image_names_are_accepted(database: Database, image: str) -> None:
    with database.transaction() as session:
        assert Catalogue(session).create_application(image).image == image


def test_revoke_takes_the_policy_or_everything(database: Database) -> None:
    with database.transaction() as session:
        catalogue = Catalogue(session)
        catalogue.create_user("alice")
        catalogue.create_application("app")
        home, _ = catalogue.grant("app", "alice", HOME)
        plain, _ = catalogue.grant("app", "alice", GrantPolicy())
        assert [g.mapping_id for g in catalogue.revoke("app", "alice", GrantPolicy())] == [
            plain.mapping_id
        ]
        catalogue.grant("app", "alice", GrantPolicy(allow_view=True))
        assert len(catalogue.revoke("app", "alice", None)) == 2
        assert home.mapping_id not in {g.mapping_id for g in catalogue.list_users()[0].grants}
    assert count(database, Policy) == 0


def test_a_failed_transaction_leaves_nothing(database: Database) -> None:
    with pytest.raises(NotFound), database.transaction() as session:
        catalogue = Catalogue(session)
        catalogue.create_user("alice")
        catalogue.create_application("app")
        catalogue.grant("app", "bob", HOME)
    assert count(database, User) == 0
    assert count(database, Application) == 0


def test_concurrent_writers_queue_instead_of_failing(db_url: str) -> None:
    """Read-then-write transactions of several processes (services starting at once)."""
    from concurrent.futures import ThreadPoolExecutor

    setup = Database(url=db_url)
    setup.initialise()
    setup.dispose()

    def make(index: int) -> None:
        database = Database(url=db_url)
        try:
            ensure_user(database, f"user{index}", {"demo/app": GrantPolicy()})
        finally:
            database.dispose()

    with ThreadPoolExecutor(10) as pool:
        list(pool.map(make, range(10)))
    check = Database(url=db_url)
    assert count(check, User) == 10 and count(check, Grant) == 10
    check.dispose()
