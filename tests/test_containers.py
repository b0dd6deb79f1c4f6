"""The container lifecycle on the real Docker engine.

SECURITY-TESTS 1 (service side), 6, 8, 17-19 (service side), 23, 24, 29, 34, 35, 37, 39.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import socket
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from traitlets import TraitError

from remoteappmanager.docker import DockerClient
from remoteappmanager.docker.container import (
    MAPPING_ID_LABEL,
    REALM_LABEL,
    URL_ID_LABEL,
    URLPATH_LABEL,
    USER_LABEL,
    Container,
)
from remoteappmanager.docker.image import LABEL_PREFIX
from remoteappmanager.errors import (
    AlreadyExists,
    DockerUnavailable,
    InvalidInput,
    NotAllowed,
    NotFound,
    OverQuota,
    StartFailed,
    UnsafeNetwork,
)
from remoteappmanager.services.catalogue import Catalogue
from remoteappmanager.services.container_index import ContainerIndex
from remoteappmanager.services.containers import DEFAULT_ALLOWED_CAPABILITIES, ContainerService
from remoteappmanager.services.policy import GrantPolicy, Volume
from remoteappmanager.services.running import RunningApps

from .support import DEMO_DESKTOP, DEMO_WEBAPP, TEST_LABEL, built_images

pytestmark = pytest.mark.docker
Grant = Callable[..., str]


def read(container: Container, path: str = "") -> str:
    url = f"{container.address}{container.urlpath}{path}"
    with urllib.request.urlopen(url, timeout=10) as response:
        body: str = response.read().decode()
        return body


def env_of(container: Container) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(read(container, "env.json"))
    return result


def realm_containers(docker_engine: Any, containers: ContainerService) -> list[Any]:
    return docker_engine.containers.list(
        all=True, filters={"label": f"{REALM_LABEL}={containers.index.realm}"}
    )


async def test_a_grant_becomes_a_running_labelled_container_and_back(
    containers: ContainerService, grant: Grant, demo_images: Any, docker_engine: Any
) -> None:
    mapping_id = grant("alice", DEMO_WEBAPP)
    container, created = await containers.start("alice", mapping_id)
    assert created and container.running

    env = env_of(container)
    assert env["JPY_USER"] == "alice"
    assert env["USER"] == "alice"
    assert env["URL_ID"] == container.url_id
    assert env["JPY_BASE_USER_URL"] == "/user/alice"
    assert container.urlpath == f"/user/alice/containers/{container.url_id}/"
    assert len(container.url_id) == 32 and container.url_id not in DEMO_WEBAPP

    labels = docker_engine.containers.get(container.id).labels
    assert labels[USER_LABEL] == "alice"
    assert labels[MAPPING_ID_LABEL] == mapping_id
    assert labels[URL_ID_LABEL] == container.url_id
    assert labels[URLPATH_LABEL] == container.urlpath
    assert labels[REALM_LABEL] == containers.index.realm

    assert [c.url_id for c in await containers.index.list_for_user("alice")] == [container.url_id]
    assert await containers.index.list_for_user("bob") == []
    assert [c.url_id for c in await containers.index.list_all()] == [container.url_id]
    assert await containers.index.find(container.url_id) == container

    stopped = await containers.stop("alice", container.url_id)
    assert stopped.id == container.id
    assert realm_containers(docker_engine, containers) == []


async def test_containers_are_limited_hardened_and_get_no_secrets(
    containers: ContainerService,
    grant: Grant,
    demo_images: Any,
    docker_engine: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SECURITY-TESTS 6 and 12: loopback only, no tokens, no Docker socket."""
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "hub-secret")
    monkeypatch.setenv("CONFIGPROXY_AUTH_TOKEN", "proxy-secret")
    container, _ = await containers.start("alice", grant("alice", DEMO_WEBAPP))
    attrs = docker_engine.containers.get(container.id).attrs
    host = attrs["HostConfig"]
    assert host["Memory"] == 2 * 1024**3
    assert host["NanoCpus"] == 1_000_000_000
    assert host["PidsLimit"] == 512
    assert host["SecurityOpt"] == ["no-new-privileges"]
    assert host["Privileged"] is False
    assert host["RestartPolicy"]["Name"] in ("", "no")
    assert host["LogConfig"]["Config"]["max-size"] == "10m"
    assert host["PortBindings"] == {"8888/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}]}
    assert all("docker.sock" not in m["Source"] for m in attrs["Mounts"])
    environment = "\n".join(attrs["Config"]["Env"])
    assert "hub-secret" not in environment and "proxy-secret" not in environment

    # Published on loopback only: no other address of this host answers on the port.
    assert container.host_ip == "127.0.0.1"
    for address in host_addresses():
        with socket.socket() as sock:
            sock.settimeout(1)
            assert sock.connect_ex((address, container.host_port)) != 0, address


async def test_one_users_app_cannot_reach_anothers_around_the_gateway(
    containers: ContainerService, grant: Grant, demo_images: Any, docker_engine: Any
) -> None:
    """Apps share a network without inter-container traffic: alice's app cannot open
    bob's app directly (which would skip the gateway's check), though both answer on
    their published ports."""
    alices, _ = await containers.start("alice", grant("alice", DEMO_WEBAPP))
    bobs, _ = await containers.start("bob", grant("bob", DEMO_WEBAPP))
    networks = docker_engine.containers.get(bobs.id).attrs["NetworkSettings"]["Networks"]
    assert list(networks) == [containers.network]
    bobs_address = networks[containers.network]["IPAddress"]
    inside_alices = docker_engine.containers.get(alices.id)

    def status_line(address: str, path: str) -> bytes:
        """GET from inside alice's app (busybox nc: its wget crashes when static)."""
        request = f"printf 'GET {path} HTTP/1.0\\r\\n\\r\\n' | nc -w 3 {address} 8888"
        return bytes(inside_alices.exec_run(["sh", "-c", request], stderr=False)[1]).split(b"\r\n")[
            0
        ]

    assert status_line("127.0.0.1", alices.urlpath) == b"HTTP/1.1 200 OK"  # nc works
    assert status_line(bobs_address, bobs.urlpath) == b""  # nothing gets through
    assert "URL_ID" in read(bobs, "env.json")  # from the host, through its port


async def test_55_the_apps_network_is_found_by_its_exact_name_and_must_keep_them_apart(
    containers: ContainerService, grant: Grant, demo_images: Any, docker_engine: Any
) -> None:
    """SECURITY-TESTS 55: a network whose name merely starts with the apps' is not
    theirs (the engine's name filter matches parts of names); one of their name that
    lets containers reach each other is refused, and nothing starts on it."""
    name = f"ram-test-apps-{secrets.token_hex(4)}"
    labels = {TEST_LABEL: "1"}
    made = [docker_engine.networks.create(f"{name}-other", labels=labels)]  # icc on
    try:
        containers.network = name
        first, _ = await containers.start("alice", grant("alice", DEMO_WEBAPP))
        attached = docker_engine.containers.get(first.id).attrs["NetworkSettings"]["Networks"]
        assert list(attached) == [name]
        ours = docker_engine.networks.get(name)
        made.append(ours)
        assert ours.attrs["Options"]["com.docker.network.bridge.enable_icc"] == "false"
        await containers.stop("alice", first.url_id)
        ours.remove()
        made.pop()

        made.append(docker_engine.networks.create(name, labels=labels))  # icc on
        docker = DockerClient()
        started_now = ContainerService(  # a service started now, which looks again
            database=containers.database,
            docker=docker,
            index=ContainerIndex(docker=docker, realm=containers.index.realm),
            workspace_root=containers.workspace_root,
            network=name,
        )
        with pytest.raises(UnsafeNetwork) as refused:
            await started_now.start("bob", grant("bob", DEMO_WEBAPP))
        started_now.docker.close()
        assert refused.value.status == 503
        assert "lets containers reach each other" in refused.value.log_message
        assert realm_containers(docker_engine, containers) == []
    finally:
        for network in made:
            network.remove()


@pytest.fixture(scope="module")
def capability_images(demo_images: Any, docker_engine: Any, tmp_path_factory: Any) -> Any:
    """The demo web app asking for capabilities: two the site allows, all it allows,
    and one it does not."""
    asked = {
        "allowed": "CHOWN, cap_setuid",
        "all-allowed": ",".join(sorted(DEFAULT_ALLOWED_CAPABILITIES)),
        "refused": "NET_ADMIN,CHOWN",
    }
    with built_images(docker_engine) as build:
        yield {
            name: build(
                tmp_path_factory.mktemp(f"capabilities-{name}"),
                f"FROM {DEMO_WEBAPP}\nLABEL {TEST_LABEL}=1 {LABEL_PREFIX}capabilities={wanted!r}\n",
                f"remoteappmanager-test/capabilities-{name}:{secrets.token_hex(4)}",
            )
            for name, wanted in asked.items()
        }


async def test_56_an_app_gets_no_capability_but_those_its_image_asks_for(
    containers: ContainerService,
    grant: Grant,
    capability_images: dict[str, str],
    docker_engine: Any,
) -> None:
    """SECURITY-TESTS 56: every capability is dropped but those the image's label asks
    for and the site allows. Alice's app, root in its container with every capability
    the site allows, can neither forge the ARP answer that once took bob's traffic
    (``arping -U`` claiming bob's address) nor take his address (``ip addr add``, which
    needs NET_ADMIN), and bob's app still answers as his."""
    plain, _ = await containers.start("erin", grant("erin", DEMO_WEBAPP))
    host = docker_engine.containers.get(plain.id).attrs["HostConfig"]
    assert host["CapDrop"] == ["ALL"] and not host["CapAdd"]
    alices, _ = await containers.start("alice", grant("alice", capability_images["all-allowed"]))
    bobs, _ = await containers.start("bob", grant("bob", DEMO_WEBAPP))
    alice = docker_engine.containers.get(alices.id)
    assert len(alice.attrs["HostConfig"]["CapAdd"]) == len(DEFAULT_ALLOWED_CAPABILITIES)
    bob = docker_engine.containers.get(bobs.id)
    bobs_address = bob.attrs["NetworkSettings"]["Networks"][containers.network]["IPAddress"]
    for spoof in (
        ["arping", "-U", "-c", "1", "-I", "eth0", "-s", bobs_address, bobs_address],
        ["ip", "addr", "add", f"{bobs_address}/32", "dev", "eth0"],
    ):
        code, output = alice.exec_run(spoof)
        assert code != 0 and b"Operation not permitted" in output, (spoof, output)
    assert json.loads(read(bobs, "env.json"))["URL_ID"] == bobs.url_id

    asking, _ = await containers.start("carol", grant("carol", capability_images["allowed"]))
    added = docker_engine.containers.get(asking.id).attrs["HostConfig"]["CapAdd"]
    assert sorted(name.removeprefix("CAP_") for name in added) == ["CHOWN", "SETUID"]
    before = realm_containers(docker_engine, containers)
    with pytest.raises(NotAllowed, match="does not allow: NET_ADMIN"):
        await containers.start("dave", grant("dave", capability_images["refused"]))
    assert realm_containers(docker_engine, containers) == before
    for never in ("cap_net_raw", "NET_ADMIN", "SYS_ADMIN", "SYS_MODULE"):
        with pytest.raises(TraitError, match=never.upper().removeprefix("CAP_")):
            ContainerService(allowed_capabilities=["CHOWN", never])


async def test_58_a_bound_on_the_writable_layer_is_applied_or_refused_clearly(
    containers: ContainerService, grant: Grant, demo_images: Any, docker_engine: Any
) -> None:
    """SECURITY-TESTS 58: ``root_size`` reaches the engine as the container's size
    limit; an engine whose storage driver cannot apply it (overlay2 over ext4, as on
    these machines) refuses the start with its own reason, and nothing is left."""
    containers.root_size = "1G"
    try:
        container, _ = await containers.start("alice", grant("alice", DEMO_WEBAPP))
    except StartFailed as refused:
        assert "storage-opt" in refused.message, refused.message
        assert "does not answer" not in refused.message
        assert realm_containers(docker_engine, containers) == []
    else:
        host = docker_engine.containers.get(container.id).attrs["HostConfig"]
        assert host["StorageOpt"] == {"size": "1G"}


async def test_59_a_workspace_over_the_sites_bound_is_said_at_start(
    containers: ContainerService,
    grant: Grant,
    demo_images: Any,
    docker_engine: Any,
    tmp_path: Path,
) -> None:
    """SECURITY-TESTS 59: over ``workspace_max_size`` a start is refused, saying how
    much the workspace holds; links are not followed (a link to a big file elsewhere
    weighs nothing)."""
    mapping_id = grant("alice", DEMO_WEBAPP, GrantPolicy(allow_home=True))
    workspace = containers.workspace_of("alice")
    workspace.mkdir(parents=True)
    (workspace / "data.bin").write_bytes(os.urandom(2 << 20))
    elsewhere = tmp_path / "big.bin"
    elsewhere.write_bytes(os.urandom(8 << 20))
    (workspace / "link").symlink_to(elsewhere)
    containers.workspace_max_size = "1M"
    said = r"holds 2\.0 MiB, more than this site allows \(1\.0 MiB\)"
    with pytest.raises(OverQuota, match=said) as over:
        await containers.start("alice", mapping_id)
    assert over.value.status == 409
    assert realm_containers(docker_engine, containers) == []
    containers.workspace_max_size = "4M"  # 2 MiB and a link: under it
    container, created = await containers.start("alice", mapping_id)
    assert created and container.running
    with pytest.raises(TraitError, match="not a size"):
        containers.workspace_max_size = "lots"


def host_addresses() -> list[str]:
    """The IPv4 addresses of this host other than loopback (docker0 among them)."""
    import subprocess

    output = subprocess.run(
        ["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True, check=True
    ).stdout
    addresses = [line.split()[3].split("/")[0] for line in output.splitlines()]
    found = [address for address in addresses if not address.startswith("127.")]
    assert found, "this host has no address besides loopback to try"
    return found


async def test_a_desktop_gets_the_resolution_it_asked_for(
    containers: ContainerService, grant: Grant, demo_images: Any
) -> None:
    container, _ = await containers.start(
        "alice", grant("alice", DEMO_DESKTOP), {"resolution": "1024x768"}
    )
    env = env_of(container)
    assert (env["X11_WIDTH"], env["X11_HEIGHT"], env["X11_DEPTH"]) == ("1024", "768", "24")
    assert "Resolution: 1024x768" in read(container)


async def test_a_running_app_is_never_started_again_with_its_new_settings_ignored(
    containers: ContainerService, grant: Grant, demo_images: Any, docker_engine: Any
) -> None:
    """Asked again with the settings it runs with (or none): the running one. With
    other settings, while it runs or while it is being started: a 409 that says so."""
    mapping_id = grant("alice", DEMO_DESKTOP)
    first, second = await asyncio.gather(
        containers.start("alice", mapping_id, {"resolution": "1024x768"}),
        containers.start("alice", mapping_id, {"resolution": "1920x1080"}),
        return_exceptions=True,
    )
    assert isinstance(first, tuple) and first[1] is True, first
    assert isinstance(second, AlreadyExists), second
    assert "already running with other settings" in second.message
    assert "stop it" in second.message
    running = first[0]
    for same in (None, {}, {"resolution": "1024x768"}):
        again, created = await containers.start("alice", mapping_id, same)
        assert (again.id, created) == (running.id, False)
    with pytest.raises(AlreadyExists, match="other settings"):
        await containers.start("alice", mapping_id, {"resolution": "800x600"})
    with pytest.raises(InvalidInput):  # a bad value is still a bad value
        await containers.start("alice", mapping_id, {"resolution": "0x0"})
    [only] = realm_containers(docker_engine, containers)
    assert only.id == running.id and env_of(running)["X11_WIDTH"] == "1024"


async def test_the_workspace_and_the_granted_volume_are_mounted(
    containers: ContainerService,
    grant: Grant,
    demo_images: Any,
    tmp_path: Path,
    docker_engine: Any,
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    policy = GrantPolicy(
        allow_home=True, volume=Volume(str(shared), "/data", "ro"), app_license="KEY-1"
    )
    workspace = containers.workspace_of("alice")
    workspace.mkdir(parents=True)
    (workspace / "notes.txt").write_text("mine")
    container, _ = await containers.start("alice", grant("alice", DEMO_WEBAPP, policy))
    env = env_of(container)
    assert env["workspace"] == ["notes.txt"]
    assert env["APP_LICENSE_SET"] is True
    mounts = {
        m["Destination"]: m for m in docker_engine.containers.get(container.id).attrs["Mounts"]
    }
    assert mounts["/workspace"]["Source"] == str(workspace) and mounts["/workspace"]["RW"]
    assert mounts["/data"]["Source"] == str(shared) and not mounts["/data"]["RW"]


async def test_a_volume_link_into_a_forbidden_place_is_refused(
    containers: ContainerService,
    grant: Grant,
    demo_images: Any,
    tmp_path: Path,
    docker_engine: Any,
) -> None:
    link = tmp_path / "innocent"
    link.symlink_to("/etc")
    mapping_id = grant("alice", DEMO_WEBAPP, GrantPolicy(volume=Volume(str(link), "/data", "ro")))
    with pytest.raises(NotAllowed, match="inside /etc"):
        await containers.start("alice", mapping_id)
    assert realm_containers(docker_engine, containers) == []


async def test_61_a_grant_left_outside_the_volume_roots_does_not_start(
    containers: ContainerService,
    grant: Grant,
    demo_images: Any,
    tmp_path: Path,
    docker_engine: Any,
) -> None:
    """SECURITY-TESTS 61: a grant made before c.Policy.allowed_volume_roots (or before
    the site narrowed them) is refused at start with the reason, never mounted."""
    granted = tmp_path / "granted"
    granted.mkdir()
    mapping_id = grant("alice", DEMO_WEBAPP, GrantPolicy(volume=Volume(str(granted), "/d", "ro")))
    containers.policy.allowed_volume_roots = [str(tmp_path / "elsewhere")]
    with pytest.raises(NotAllowed, match="outside the directories this site allows") as refused:
        await containers.start("alice", mapping_id)
    assert refused.value.status == 403
    assert "an administrator must change this grant" in refused.value.message
    assert realm_containers(docker_engine, containers) == []
    containers.policy.allowed_volume_roots = [str(tmp_path)]
    container, created = await containers.start("alice", mapping_id)
    assert created and container.running


async def test_a_missing_volume_source_is_an_error_not_an_empty_directory(
    containers: ContainerService,
    grant: Grant,
    demo_images: Any,
    tmp_path: Path,
    docker_engine: Any,
) -> None:
    missing = tmp_path / "missing"
    mapping_id = grant("alice", DEMO_WEBAPP, GrantPolicy(volume=Volume(str(missing), "/d", "ro")))
    with pytest.raises(InvalidInput, match="refused to create the container"):
        await containers.start("alice", mapping_id)
    assert not missing.exists()
    assert realm_containers(docker_engine, containers) == []


async def test_nobody_starts_or_stops_what_is_not_theirs(
    containers: ContainerService, grant: Grant, demo_images: Any, docker_engine: Any
) -> None:
    """SECURITY-TESTS 1 and 8."""
    alices = grant("alice", DEMO_WEBAPP)
    grant("bob", DEMO_DESKTOP)
    with pytest.raises(NotFound):
        await containers.start("bob", alices)
    with pytest.raises(NotFound):
        await containers.start("alice", "0" * 32)
    assert realm_containers(docker_engine, containers) == []

    container, _ = await containers.start("alice", alices)
    with pytest.raises(NotFound):
        await containers.stop("bob", container.url_id)
    assert (await containers.index.find(container.url_id, user="alice")) is not None
    assert docker_engine.containers.get(container.id).status == "running"


@pytest.mark.parametrize(
    "configurables",
    [
        {"resolution": "0x0"},
        {"resolution": None},
        {"environment": {"A": "1"}},
        {"volumes": ["/:/host"]},
        "1024x768",
        {"startupdata": "x"},
    ],
)
async def test_bad_configurables_never_reach_the_engine(
    containers: ContainerService,
    grant: Grant,
    demo_images: Any,
    docker_engine: Any,
    configurables: Any,
) -> None:
    """SECURITY-TESTS 17, 18, 19 (service side)."""
    mapping_id = grant("alice", DEMO_DESKTOP)
    with pytest.raises(InvalidInput):
        await containers.start("alice", mapping_id, configurables)
    assert realm_containers(docker_engine, containers) == []


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("a-b", "a_2Db"),
        ("alice", "Alice"),
        ("alice@example.org", "alice_40example_2eorg"),
        ("x" * 255, "x" * 254 + "y"),
    ],
)
async def test_users_whose_names_look_alike_get_their_own_containers(
    containers: ContainerService,
    grant: Grant,
    demo_images: Any,
    docker_engine: Any,
    first: str,
    second: str,
) -> None:
    """SECURITY-TESTS 23."""
    policy = GrantPolicy(allow_home=True)
    one, _ = await containers.start(first, grant(first, DEMO_WEBAPP, policy))
    two, _ = await containers.start(second, grant(second, DEMO_WEBAPP, policy))
    assert one.name != two.name
    assert (env_of(one)["JPY_USER"], env_of(two)["JPY_USER"]) == (first, second)
    assert containers.workspace_of(first) != containers.workspace_of(second)
    assert [c.id for c in await containers.index.list_for_user(first)] == [one.id]


@pytest.mark.parametrize(
    "name", ["-o", "root", "a;id", "$(id)", "<img src=x onerror='alert(1)'>", 'a "b"\u2028c']
)
async def test_hostile_user_names_stay_inside_the_workspace_root(
    containers: ContainerService, grant: Grant, demo_images: Any, name: str
) -> None:
    """SECURITY-TESTS 24."""
    policy = GrantPolicy(allow_home=True)
    container, _ = await containers.start(name, grant(name, DEMO_WEBAPP, policy))
    workspace = containers.workspace_of(name)
    assert workspace.parent == Path(containers.workspace_root) and workspace.is_dir()
    env = env_of(container)
    assert env["JPY_USER"] == name
    assert env["workspace"] == []
    assert env["USER"] != "root" and env["USER"].replace("_", "").replace("-", "").isalnum()


async def test_a_name_that_looks_like_a_path_stays_inside_the_workspace_root(
    containers: ContainerService, grant: Grant, demo_images: Any, docker_engine: Any
) -> None:
    """SECURITY-TESTS 24: the demo app itself refuses a URL with an encoded '/'."""
    name = "../../etc"
    with pytest.raises(StartFailed, match="stopped during its start"):
        await containers.start(name, grant(name, DEMO_WEBAPP, GrantPolicy(allow_home=True)))
    workspace = containers.workspace_of(name)
    assert workspace.parent == Path(containers.workspace_root) and workspace.is_dir()
    assert realm_containers(docker_engine, containers) == []


async def test_a_thousand_starts_of_one_grant_make_one_container(
    containers: ContainerService, grant: Grant, demo_images: Any, docker_engine: Any
) -> None:
    """SECURITY-TESTS 37."""
    mapping_id = grant("alice", DEMO_WEBAPP)
    results = await asyncio.gather(
        *(containers.start("alice", mapping_id) for _ in range(1000)), return_exceptions=True
    )
    started = [r for r in results if isinstance(r, tuple)]
    assert len(started) == 1000, [r for r in results if not isinstance(r, tuple)][:3]
    assert len({container.id for container, _ in started}) == 1
    assert sum(created for _, created in started) == 1
    assert len(realm_containers(docker_engine, containers)) == 1
    # Started again later: the running one.
    again, created = await containers.start("alice", mapping_id)
    assert (again.id, created) == (started[0][0].id, False)


async def test_two_services_starting_one_grant_make_one_container(
    containers: ContainerService, grant: Grant, demo_images: Any, docker_engine: Any
) -> None:
    """Two processes (the user's and an admin's service) share only the engine."""
    docker = DockerClient()
    other = ContainerService(
        database=containers.database,
        docker=docker,
        index=ContainerIndex(docker=docker, realm=containers.index.realm),
        workspace_root=containers.workspace_root,
    )
    mapping_id = grant("alice", DEMO_WEBAPP)
    results = await asyncio.gather(
        containers.start("alice", mapping_id),
        other.start("alice", mapping_id),
        return_exceptions=True,
    )
    other.docker.close()
    winners = [r for r in results if isinstance(r, tuple)]
    assert winners, results
    assert all(isinstance(r, (tuple, AlreadyExists)) for r in results), results
    assert len(realm_containers(docker_engine, containers)) == 1


async def test_an_app_that_dies_shows_stopped_and_starts_again(
    containers: ContainerService, grant: Grant, demo_images: Any, docker_engine: Any
) -> None:
    """SECURITY-TESTS 34."""
    mapping_id = grant("alice", DEMO_WEBAPP)
    first, _ = await containers.start("alice", mapping_id)
    docker_engine.containers.get(first.id).kill()
    listed = await containers.index.list_for_user("alice")
    assert [(c.id, c.running, c.address) for c in listed] == [(first.id, False, None)]
    second, created = await containers.start("alice", mapping_id)
    assert created and second.running and second.id != first.id
    assert len(realm_containers(docker_engine, containers)) == 1


@pytest.fixture(scope="module")
def silent_image(demo_images: Any, docker_engine: Any, tmp_path_factory: Any) -> Any:
    """Images that misbehave: one never answers, one exits at once, one is hostile."""
    context = tmp_path_factory.mktemp("misbehaving")
    scripts = {
        "silent": "sleep 3600",
        "exits": "echo 'giving up' >&2; exit 3",
        # A memory hog, then processes without end, next to a web server that answers.
        "hostile": (
            'mkdir -p "/tmp/www$JPY_BASE_USER_URL/containers/$URL_ID" && '
            'echo ok > "/tmp/www$JPY_BASE_USER_URL/containers/$URL_ID/index.html"; '
            "httpd -p 8888 -h /tmp/www; "
            'dd if=/dev/zero of=/dev/null bs=512M count=1; echo "dd: $?" > /tmp/dd.txt; '
            "(while :; do sleep 600 & done) & exec sleep 3600"
        ),
    }
    for name, script in scripts.items():
        (context / f"{name}.sh").write_text(script + "\n")
    with built_images(docker_engine) as build:
        yield {
            name: build(
                context,
                f"FROM {DEMO_WEBAPP}\nCOPY {name}.sh /run.sh\n"
                'ENTRYPOINT ["/bin/busybox", "sh", "/run.sh"]\n',
                f"remoteappmanager-test/{name}:latest",
            )
            for name in scripts
        }


async def test_a_static_site_runs_with_strip_prefix_on_its_own_port(
    containers: ContainerService, grant: Grant, static_site_images: dict[str, str]
) -> None:
    container, _ = await containers.start("alice", grant("alice", static_site_images["labelled"]))
    assert (container.serving.port, container.serving.strip_prefix) == (8080, True)
    assert container.app_path == "/"
    with urllib.request.urlopen(f"{container.address}/", timeout=10) as response:
        assert response.read() == b"a static site\n"


async def test_an_app_that_answers_4xx_where_it_should_serve_fails_at_once(
    containers: ContainerService,
    grant: Grant,
    static_site_images: dict[str, str],
    docker_engine: Any,
) -> None:
    """Not after the whole start_timeout: a 404 that lasts (REFUSAL_GRACE, 2 s) says
    what is wrong."""
    containers.start_timeout = 60.0
    mapping_id = grant("alice", static_site_images["unlabelled"])
    began = asyncio.get_running_loop().time()
    with pytest.raises(StartFailed) as failed:
        await containers.start("alice", mapping_id)
    assert asyncio.get_running_loop().time() - began < 20
    assert failed.value.message == (
        "the application answered 404 at /user/alice/containers/"
        f"{failed.value.log_message.split('/containers/')[1][:32]}/: does the app serve under "
        "its prefix? (an app that serves at / needs the image label strip-prefix=true)"
    )
    assert realm_containers(docker_engine, containers) == []


async def test_a_start_that_times_out_leaves_nothing(
    containers: ContainerService, grant: Grant, silent_image: dict[str, str], docker_engine: Any
) -> None:
    """SECURITY-TESTS 35."""
    containers.start_timeout = 1.0
    mapping_id = grant("alice", silent_image["silent"])
    with pytest.raises(StartFailed, match="did not answer within 1 s"):
        await containers.start("alice", mapping_id)
    assert realm_containers(docker_engine, containers) == []


async def test_an_app_that_exits_during_start_is_reported_and_removed(
    containers: ContainerService, grant: Grant, silent_image: dict[str, str], docker_engine: Any
) -> None:
    mapping_id = grant("alice", silent_image["exits"])
    with pytest.raises(StartFailed) as failed:
        await containers.start("alice", mapping_id)
    assert "stopped" in failed.value.message
    assert "giving up" in failed.value.log_message or "exit code 3" in failed.value.message
    assert realm_containers(docker_engine, containers) == []


async def test_a_cancelled_start_leaves_nothing(
    containers: ContainerService, grant: Grant, silent_image: dict[str, str], docker_engine: Any
) -> None:
    mapping_id = grant("alice", silent_image["silent"])
    task = asyncio.ensure_future(containers.start("alice", mapping_id))
    for _ in range(200):
        await asyncio.sleep(0.05)
        if realm_containers(docker_engine, containers):
            break
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(100):
        if not realm_containers(docker_engine, containers):
            break
        await asyncio.sleep(0.05)
    assert realm_containers(docker_engine, containers) == []


async def test_a_start_cancelled_while_the_engine_creates_leaves_nothing(
    containers: ContainerService, grant: Grant, demo_images: Any, docker_engine: Any
) -> None:
    """The engine makes the container after the caller has gone: it is removed."""
    created = asyncio.Event()
    create = containers.docker.create_container

    async def slow_create(**kwargs: Any) -> str:
        container_id = await create(**kwargs)
        created.set()
        await asyncio.sleep(0.5)  # the answer is still on its way when the cancel comes
        return container_id

    containers.docker.create_container = slow_create  # type: ignore[method-assign]
    task = asyncio.ensure_future(containers.start("alice", grant("alice", DEMO_WEBAPP)))
    await created.wait()
    assert len(realm_containers(docker_engine, containers)) == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert realm_containers(docker_engine, containers) == []


@pytest.mark.slow
async def test_fork_bombs_and_memory_hogs_are_confined(
    containers: ContainerService,
    grant: Grant,
    silent_image: dict[str, str],
    demo_images: Any,
    docker_engine: Any,
) -> None:
    """SECURITY-TESTS 39."""
    containers.pids_limit = 64
    containers.mem_limit = "64m"
    neighbour, _ = await containers.start("bob", grant("bob", DEMO_WEBAPP))
    hostile, _ = await containers.start("alice", grant("alice", silent_image["hostile"]))
    engine_container = docker_engine.containers.get(hostile.id)
    # The bomb forks until the limit stops it.
    processes = 0
    for _ in range(100):
        await asyncio.sleep(0.1)
        processes = len(engine_container.top()["Processes"])
        if processes >= 60:
            break
    assert processes >= 60, f"the fork bomb made only {processes} processes"
    assert b"can't fork" in engine_container.logs()
    stats = engine_container.stats(stream=False)
    assert stats["pids_stats"]["current"] <= 64
    assert stats["memory_stats"]["usage"] <= 64 * 1024 * 1024
    exit_line = engine_container.exec_run(["/bin/busybox", "cat", "/tmp/dd.txt"]).output
    # dd asked for a 512 MB buffer: the OOM killer ended it (137) instead of granting it.
    assert exit_line.strip() == b"dd: 137", exit_line
    assert "JPY_USER" in read(neighbour, "env.json")


async def test_stop_is_quick_for_an_app_that_honours_sigterm(
    containers: ContainerService, grant: Grant, demo_images: Any
) -> None:
    container, _ = await containers.start("alice", grant("alice", DEMO_WEBAPP))
    loop = asyncio.get_running_loop()
    started = loop.time()
    await containers.stop("alice", container.url_id)
    assert loop.time() - started < 2.0  # the grace period is 2 s; SIGTERM ends it sooner


async def test_stop_grant_stops_the_containers_of_a_revoked_grant(
    containers: ContainerService, grant: Grant, demo_images: Any, docker_engine: Any
) -> None:
    mapping_id = grant("alice", DEMO_WEBAPP)
    await containers.start("alice", mapping_id)
    stopped = await containers.stop_grant(mapping_id)
    assert len(stopped) == 1
    assert realm_containers(docker_engine, containers) == []


async def test_an_engine_that_does_not_answer_gives_a_clear_error(
    containers: ContainerService, grant: Grant, tmp_path: Path
) -> None:
    """SECURITY-TESTS 29, the engine gone before the start."""
    mapping_id = grant("alice", DEMO_WEBAPP)
    containers.docker = DockerClient(host=f"unix://{tmp_path}/gone.sock", timeout=2)
    with pytest.raises(DockerUnavailable, match="does not answer"):
        await containers.start("alice", mapping_id)


async def test_the_applications_of_a_user_come_with_their_images_and_containers(
    containers: ContainerService, grant: Grant, demo_images: Any
) -> None:
    untagged = DEMO_WEBAPP.removesuffix(":latest")
    webapp = grant("alice", untagged)
    desktop = grant("alice", DEMO_DESKTOP)
    absent = grant("alice", "remoteappmanager-test/absent:1")
    running, _ = await containers.start("alice", desktop)
    found = {g.mapping_id: (image, c) for g, image, c in await containers.applications_of("alice")}
    assert (found[webapp][0].title, found[webapp][0].available) == ("Demo web app", True)
    assert found[webapp][0].icon_128 is not None and found[webapp][1] is None
    assert found[desktop][0].type == "vncapp" and found[desktop][1] == running
    assert (found[absent][0].title, found[absent][0].available) == (
        "remoteappmanager-test/absent:1",
        False,
    )
    with pytest.raises(NotFound, match="not on the Docker engine"):
        await containers.start("alice", absent)


class CountingDockerClient(DockerClient):
    """The real client, counting how often containers are listed, and for whom."""

    def __init__(self) -> None:
        super().__init__()
        self.listed = 0
        self.users: list[str | None] = []

    async def list_containers(self, labels: dict[str, str]) -> list[dict[str, Any]]:
        self.listed += 1
        self.users.append(labels.get(USER_LABEL))
        return await super().list_containers(labels)


async def test_the_image_of_a_grant_gives_its_icon_without_listing_containers(
    containers: ContainerService, grant: Grant, demo_images: Any, docker_engine: Any
) -> None:
    """What the icon endpoint reads: one grant's image, for its owner only."""
    webapp = grant("alice", DEMO_WEBAPP)
    absent = grant("alice", "remoteappmanager-test/absent:1")
    counting = CountingDockerClient()
    containers.docker = counting
    image = await containers.image_of_grant("alice", webapp)
    engines = docker_engine.images.get(DEMO_WEBAPP)
    assert image.id == engines.id
    assert image.icon_png() == base64.b64decode(engines.labels[f"{LABEL_PREFIX}icon_128"])
    missing = await containers.image_of_grant("alice", absent)
    assert (missing.available, missing.icon_png()) == (False, None)
    with pytest.raises(NotFound, match="'bob' has no application"):
        await containers.image_of_grant("bob", webapp)
    assert counting.listed == 0
    counting.close()


async def test_the_gateway_route_is_remembered_until_the_engine_reports_a_change(
    containers: ContainerService, grant: Grant, demo_images: Any, docker_engine: Any
) -> None:
    counting = CountingDockerClient()
    containers.docker = counting
    container, _ = await containers.start("alice", grant("alice", DEMO_WEBAPP))
    assert await containers.index.route(container.url_id, "alice") == container
    for _ in range(100):  # until the event stream is open
        if containers.index._watching:
            break
        await asyncio.sleep(0.05)
    assert await containers.index.route(container.url_id, "alice") == container
    before = counting.listed
    for _ in range(10):
        assert await containers.index.route(container.url_id, "alice") == container
    assert counting.listed == before  # no Docker call per request
    assert await containers.index.route(container.url_id, "bob") is None

    docker_engine.containers.get(container.id).kill()  # behind the service's back
    for _ in range(100):
        routed = await containers.index.route(container.url_id, "alice")
        if routed is None or not routed.running:
            break
        await asyncio.sleep(0.05)
    assert routed is not None and routed.address is None
    counting.close()


def user_id(containers: ContainerService, user: str) -> int:
    with containers.database.transaction(readonly=True) as session:
        return Catalogue(session).get_user(user).id


def process_uids(engine_container: Any) -> set[int]:
    """The host uids the container's processes run as (the engine's `top`)."""
    top = engine_container.top(ps_args="-o pid,uid,args")
    column = top["Titles"].index("UID")
    return {int(row[column]) for row in top["Processes"]}


@pytest.mark.skipif(os.geteuid() != 0, reason="the service hands workspaces over as root only")
async def test_62_each_user_s_apps_run_as_their_own_uid_which_owns_their_workspace(
    containers: ContainerService,
    grant: Grant,
    demo_images: Any,
    docker_engine: Any,
    tmp_path: Path,
) -> None:
    """SECURITY-TESTS 62: no app runs as a fixed uid such as 1000, nor as root: each
    user's apps run as c.ContainerService.app_uid_base plus the user's id, which owns
    their workspace. A workspace an older service left to uid 1000 is handed over,
    links and all, without following a link out of it."""
    outside = tmp_path / "outside.txt"
    outside.write_text("root's")
    legacy = containers.workspace_of("bob")
    (legacy / "project").mkdir(parents=True)
    (legacy / "project" / "notes.txt").write_text("bob's")
    (legacy / "link").symlink_to(outside)
    for path in (legacy, legacy / "project", legacy / "project" / "notes.txt"):
        os.chown(path, 1000, 1000)
    os.lchown(legacy / "link", 1000, 1000)
    fresh = containers.workspace_of("alice")  # made by root, as a site's first start
    fresh.mkdir(parents=True)
    (fresh / "data.csv").write_text("1,2\n")
    started = {
        user: (
            await containers.start(user, grant(user, DEMO_WEBAPP, GrantPolicy(allow_home=True)))
        )[0]
        for user in ("alice", "bob")
    }
    uids = {user: containers.app_uid_base + user_id(containers, user) for user in started}
    assert len(set(uids.values())) == 2 and 1000 not in uids.values()
    for user, container in started.items():
        running = docker_engine.containers.get(container.id)
        assert process_uids(running) == {uids[user]}, user
        assert containers.workspace_of(user).stat().st_uid == uids[user]
        assert env_of(container)["workspace"]  # it reads its own 0700 workspace
    for path in (legacy / "project", legacy / "project" / "notes.txt", legacy / "link"):
        assert path.lstat().st_uid == uids["bob"], path
    assert outside.stat().st_uid == 0
    assert "project" in env_of(started["bob"])["workspace"]


async def test_63_a_read_only_root_with_a_tmpfs_for_tmp(
    containers: ContainerService,
    grant: Grant,
    capability_images: dict[str, str],
    docker_engine: Any,
) -> None:
    """SECURITY-TESTS 63: an image labelled ``read-only-root=true`` (the demo images)
    gets a read-only root filesystem and a bounded tmpfs at /tmp: nothing it writes
    outside /tmp lands; ``read_only_root = 'off'`` gives it a writable root again."""
    app, _ = await containers.start("alice", grant("alice", DEMO_WEBAPP))
    running = docker_engine.containers.get(app.id)
    host = running.attrs["HostConfig"]
    assert host["ReadonlyRootfs"] is True
    assert host["Tmpfs"] == {"/tmp": f"rw,nosuid,nodev,size={containers.tmp_size}"}
    code, output = running.exec_run(["sh", "-c", "echo x > /planted"])
    assert code != 0 and b"Read-only file system" in output, output
    assert running.exec_run(["sh", "-c", "echo x > /tmp/scratch"]).exit_code == 0
    assert env_of(app)["JPY_USER"] == "alice"  # its pages, written to /tmp, are served

    containers.read_only_root = "off"
    writable, _ = await containers.start("bob", grant("bob", DEMO_WEBAPP))
    assert docker_engine.containers.get(writable.id).attrs["HostConfig"]["ReadonlyRootfs"] is False
    with pytest.raises(TraitError):
        containers.read_only_root = "sometimes"


async def test_a_service_hears_of_its_owners_containers_only(
    containers: ContainerService, grant: Grant, demo_images: Any
) -> None:
    """With many users on one engine, each service's RunningApps lists its owner's
    containers again when one of them changes, not at every start of anyone's."""
    counting = CountingDockerClient()
    containers.docker = counting
    alice, bob = RunningApps(containers.index, "alice"), RunningApps(containers.index, "bob")
    heard: dict[str, list[list[str]]] = {"alice": [], "bob": []}
    for name, running in (("alice", alice), ("bob", bob)):
        running.on_change(
            lambda changes, name=name: heard[name].append([url_id for url_id, _, _ in changes])
        )
    await alice.current()
    await bob.current()
    for _ in range(100):  # until the event stream is open
        if containers.index._watching:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)  # the refreshes the stream's opening asked for
    counting.users.clear()

    started, _ = await containers.start("bob", grant("bob", DEMO_WEBAPP))
    for _ in range(100):
        if heard["bob"]:
            break
        await asyncio.sleep(0.05)
    # Created, then running: one change or two, both of bob's new container.
    assert heard["bob"] and all(ids == [started.url_id] for ids in heard["bob"])
    await asyncio.sleep(0.5)  # an event for alice would have come by now
    assert heard["alice"] == []
    assert "alice" not in counting.users and "bob" in counting.users
    counting.close()
