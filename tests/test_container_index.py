"""ContainerIndex's settings, without an engine (its finding is tested in
test_containers.py, against the real one)."""

from __future__ import annotations

import logging

import pytest
from traitlets.config import Config

from remoteappmanager.docker import DockerClient
from remoteappmanager.services.container_index import ContainerIndex
from remoteappmanager.services.containers import ContainerService


def test_the_realm_and_port_have_their_defaults() -> None:
    index = ContainerIndex()
    assert (index.realm, index.container_port) == ("remoteappmanager", 8888)


def test_their_former_names_on_container_service_still_count_and_say_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A site whose config still says c.ContainerService.realm must not fall back to
    the default realm: it would list, stop and route another site's apps."""
    config = Config({"ContainerService": {"realm": "site-a", "container_port": 9000}})
    with caplog.at_level(logging.WARNING):
        index = ContainerService(config=config, docker=DockerClient()).index
        assert (index.realm, index.container_port) == ("site-a", 9000)
    assert "c.ContainerService.realm is now c.ContainerIndex.realm" in caplog.text


def test_the_new_name_wins_over_the_former_one() -> None:
    config = Config(
        {"ContainerService": {"realm": "former"}, "ContainerIndex": {"realm": "current"}}
    )
    assert ContainerIndex(config=config).realm == "current"
