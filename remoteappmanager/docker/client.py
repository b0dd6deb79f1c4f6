"""The one door to the Docker engine.

The docker SDK blocks; every call runs in a bounded thread pool so the event
loop never waits and the engine never sees more than ``max_workers`` calls at once.
"""

from __future__ import annotations

import asyncio
import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import docker
import docker.errors
import requests.exceptions
from docker.utils import kwargs_from_env
from traitlets import Bool, Float, Int, Unicode, default
from traitlets.config import LoggingConfigurable

from ..errors import (
    AlreadyExists,
    DockerUnavailable,
    EngineRefused,
    InvalidInput,
    StartFailed,
    UnsafeNetwork,
)

T = TypeVar("T")


class DockerClient(LoggingConfigurable):
    """Typed async methods over the docker SDK, configured like the docker CLI."""

    host = Unicode(
        help="URL of the Docker engine, e.g. unix:///var/run/docker.sock or "
        "tcp://docker.example.org:2376. Default: $DOCKER_HOST, else the local socket.",
    ).tag(config=True)

    tls_verify = Bool(
        help="Verify the engine's TLS certificate. Default: whether $DOCKER_TLS_VERIFY is set.",
    ).tag(config=True)

    cert_path = Unicode(
        help="Directory with ca.pem, cert.pem and key.pem for TLS. Default: $DOCKER_CERT_PATH.",
    ).tag(config=True)

    timeout = Float(30.0, help="Seconds to wait for one answer of the engine.").tag(config=True)

    max_workers = Int(16, help="How many calls to the engine may run at the same time.").tag(
        config=True
    )

    @default("host")
    def _host_default(self) -> str:
        return os.environ.get("DOCKER_HOST", "")

    @default("tls_verify")
    def _tls_verify_default(self) -> bool:
        return bool(os.environ.get("DOCKER_TLS_VERIFY"))

    @default("cert_path")
    def _cert_path_default(self) -> str:
        return os.environ.get("DOCKER_CERT_PATH", "")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._executor = ThreadPoolExecutor(self.max_workers, thread_name_prefix="docker")
        self._api: docker.APIClient | None = None

    @property
    def display_host(self) -> str:
        return self.host or "the local socket"

    def _connect(self) -> docker.APIClient:
        # Same conventions as the docker CLI, read from our traits instead of os.environ.
        environment = {
            "DOCKER_HOST": self.host,
            "DOCKER_TLS_VERIFY": "1" if self.tls_verify else "",
            "DOCKER_CERT_PATH": self.cert_path,
        }
        kwargs = kwargs_from_env(environment={k: v for k, v in environment.items() if v})
        return docker.APIClient(timeout=self.timeout, **kwargs)

    async def _call(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        def run() -> T:
            if self._api is None:
                self._api = self._connect()
            return method(self._api, *args, **kwargs)

        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, run)
        except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
            # An answer about the request (no such image, conflict) is not an outage.
            if (
                isinstance(exc, docker.errors.APIError)
                and exc.status_code
                and exc.status_code < 500
            ):
                raise EngineRefused(
                    str(exc.explanation or exc), exc.status_code, str(exc)
                ) from None
            raise DockerUnavailable(
                f"the Docker engine at {self.display_host} does not answer", str(exc)
            ) from None

    async def inspect_image(self, image: str) -> dict[str, Any] | None:
        """The engine's description of a local image, None if there is no such image."""
        try:
            result: dict[str, Any] = await self._call(docker.APIClient.inspect_image, image)
        except EngineRefused as refused:
            if refused.engine_status == 404:
                return None
            if refused.engine_status == 400:  # not an image name the engine understands
                raise InvalidInput(
                    f"{image!r} is not a Docker image name", refused.log_message
                ) from None
            raise
        return result

    async def list_images(self) -> list[dict[str, Any]]:
        """Every local image: id, tags, digests and labels, in one call."""
        result: list[dict[str, Any]] = await self._call(docker.APIClient.images)
        return result

    async def create_container(
        self,
        *,
        image: str,
        name: str,
        environment: dict[str, str],
        labels: dict[str, str],
        port: int,
        host_config: dict[str, Any],
        user: str | None = None,
    ) -> str:
        """Create (not start) a container; returns its id. ``user`` (``uid:gid``)
        overrides the image's user. A container of that name already is AlreadyExists;
        a request the engine refuses, InvalidInput."""

        def create(api: docker.APIClient) -> str:
            config = api.create_host_config(
                port_bindings={port: ("127.0.0.1", None)}, **host_config
            )
            try:
                created = api.create_container(
                    image,
                    name=name,
                    environment=environment,
                    labels=labels,
                    ports=[port],
                    host_config=config,
                    user=user,
                    detach=True,
                    # Never copy the engine host's proxy settings into a user's container.
                    use_config_proxy=False,
                )
            except docker.errors.APIError as exc:
                if exc.status_code == 500 and exc.explanation:
                    # An answer, not an outage: the engine cannot make such a
                    # container (a size limit its storage driver lacks, say).
                    raise StartFailed(
                        f"the Docker engine cannot create the container: {exc.explanation}",
                        str(exc),
                    ) from None
                raise
            return str(created["Id"])

        try:
            return await self._call(create)
        except EngineRefused as refused:
            if refused.engine_status == 409:
                raise AlreadyExists("this application is being started already") from None
            raise InvalidInput(
                f"the Docker engine refused to create the container: {refused.explanation}",
                refused.log_message,
            ) from None

    async def ensure_network(self, name: str, labels: dict[str, str]) -> None:
        """A bridge network on which containers cannot reach each other (inter-container
        traffic off), made if missing. Their published ports still work."""

        def ensure(api: docker.APIClient) -> None:
            # The engine's name filter matches parts of names: look for this one.
            found = [n for n in api.networks(names=[name]) if n.get("Name") == name]
            if found:
                options = found[0].get("Options") or {}
                if options.get("com.docker.network.bridge.enable_icc") != "false":
                    raise UnsafeNetwork(
                        f"the Docker network {name!r} lets containers reach each other"
                        " (inter-container traffic on): remove it, and the service makes"
                        " it anew without, or name another in c.ContainerService.network"
                    )
                return
            api.create_network(
                name,
                driver="bridge",
                options={"com.docker.network.bridge.enable_icc": "false"},
                labels=labels,
                check_duplicate=True,
            )

        try:
            await self._call(ensure)
        except EngineRefused as refused:
            if refused.engine_status != 409:  # 409: made by another service meanwhile
                raise

    async def start_container(self, container_id: str) -> None:
        """Start a created container; one the engine cannot start is StartFailed."""
        try:
            await self._call(docker.APIClient.start, container_id)
        except EngineRefused as refused:
            raise StartFailed(
                f"the Docker engine could not start the container: {refused.explanation}",
                refused.log_message,
            ) from None

    async def inspect_container(self, container_id: str) -> dict[str, Any] | None:
        """The engine's description of a container, None if it is gone."""
        try:
            result: dict[str, Any] = await self._call(
                docker.APIClient.inspect_container, container_id
            )
        except EngineRefused as refused:
            if refused.engine_status == 404:
                return None
            raise
        return result

    async def stop_container(self, container_id: str, grace: float) -> None:
        """SIGTERM, then SIGKILL after ``grace`` seconds; a gone container is fine."""
        try:
            await self._call(docker.APIClient.stop, container_id, timeout=math.ceil(grace))
        except EngineRefused as refused:
            if refused.engine_status != 404:
                raise

    async def remove_container(self, container_id: str) -> None:
        """Remove the container (killing it if it runs); a gone container is fine."""
        try:
            await self._call(docker.APIClient.remove_container, container_id, force=True, v=True)
        except EngineRefused as refused:
            # Gone, or its removal under way (two stops at once): as good as done.
            if refused.engine_status not in (404, 409):
                raise

    async def list_containers(self, labels: dict[str, str]) -> list[dict[str, Any]]:
        """Every container, running or not, that carries all of ``labels``."""
        filters = {"label": [f"{key}={value}" for key, value in labels.items()]}
        result: list[dict[str, Any]] = await self._call(
            docker.APIClient.containers, all=True, filters=filters
        )
        return result

    async def container_logs(self, container_id: str, tail: int = 50) -> str:
        try:
            logs: bytes = await self._call(docker.APIClient.logs, container_id, tail=tail)
        except EngineRefused as refused:
            if refused.engine_status == 404:
                return ""
            raise
        return logs.decode(errors="replace")

    def watch_events(
        self,
        labels: dict[str, str],
        on_connected: Callable[[], None],
        on_event: Callable[[dict[str, Any]], None],
    ) -> None:
        """Blocking: follow the engine's container events that carry ``labels``, calling
        ``on_connected`` once the stream is open and ``on_event`` for each event. Returns
        when the stream ends (the engine stopped); raises DockerUnavailable if it cannot
        be opened. Run it in a thread of its own, never in the pool."""
        filters = {
            "type": ["container"],
            "label": [f"{key}={value}" for key, value in labels.items()],
        }
        api = None
        try:
            api = self._connect()
            events = api.events(decode=True, filters=filters)
            on_connected()
            for event in events:
                on_event(event)
        except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
            raise DockerUnavailable(
                f"the Docker engine at {self.display_host} does not answer", str(exc)
            ) from None
        finally:
            if api is not None:
                api.close()

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        if self._api is not None:
            self._api.close()
