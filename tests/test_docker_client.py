"""The Docker seam on the real engine: every answer of the engine comes out of
docker/client.py as one of remoteappmanager's errors, never as the SDK's."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from remoteappmanager.docker import DockerClient
from remoteappmanager.errors import AlreadyExists, EngineRefused, InvalidInput, StartFailed

pytestmark = pytest.mark.docker


@pytest.fixture
def client(docker_engine: Any) -> Iterator[DockerClient]:
    made = DockerClient()
    yield made
    made.close()


async def test_what_the_engine_refuses_is_said_in_our_errors(
    client: DockerClient, docker_engine: Any, busybox_image: str
) -> None:
    missing = secrets.token_hex(32)
    assert await client.inspect_container(missing) is None
    assert await client.inspect_image(f"remoteappmanager-test/none:{missing[:8]}") is None
    assert await client.container_logs(missing) == ""
    await client.stop_container(missing, grace=1)  # gone: as good as stopped
    await client.remove_container(missing)
    with pytest.raises(StartFailed, match="could not start the container"):
        await client.start_container(missing)
    with pytest.raises(InvalidInput, match="is not a Docker image name"):
        await client.inspect_image("Not An Image")

    name = f"remoteappmanager-test-seam-{secrets.token_hex(4)}"
    create = dict(
        image=busybox_image, name=name, environment={}, labels={}, port=8888, host_config={}
    )
    made = await client.create_container(**create)
    try:
        with pytest.raises(AlreadyExists, match="being started already"):
            await client.create_container(**create)
        with pytest.raises(InvalidInput, match="refused to create the container"):
            await client.create_container(
                **{**create, "name": f"{name}-2", "host_config": {"mem_limit": "1k"}}
            )
        # Any other refusal is still ours, with the engine's status.
        with pytest.raises(EngineRefused) as refused:
            # (no public method is left that lets one through: call the seam itself)
            await client._call(lambda api: api.create_network(name, driver="no-such-driver"))
        assert 400 <= refused.value.engine_status < 500
        assert refused.value.status == 400 and "refused" in refused.value.message
    finally:
        await client.remove_container(made)
