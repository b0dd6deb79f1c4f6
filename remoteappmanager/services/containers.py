"""Turning a grant into a running, reachable, labelled, limited container, and back.

Used by the user API, the admin API and the command line alike. The Docker engine
is the truth about what runs (the `ContainerIndex` finds containers by their labels,
within the site's realm); the database is the truth about who may run what; the
`ImageCatalogue` says what images say of themselves.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import sys
import time
from contextlib import suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tornado.httpclient import AsyncHTTPClient, HTTPClientError
from traitlets import (
    Bool,
    CaselessStrEnum,
    Float,
    Instance,
    Int,
    List,
    TraitError,
    Unicode,
    default,
    observe,
    validate,
)
from traitlets.config import LoggingConfigurable

from ..db import Database
from ..docker import DockerClient
from ..docker.container import (
    MAPPING_ID_LABEL,
    ORIGIN_LABEL,
    REALM_LABEL,
    SETTINGS_LABEL,
    URL_ID_LABEL,
    URLPATH_LABEL,
    USER_LABEL,
    Container,
)
from ..docker.image import ImageInfo
from ..errors import (
    AlreadyExists,
    InvalidInput,
    NotAllowed,
    NotFound,
    OverQuota,
    RemoteAppError,
    StartFailed,
    Unavailable,
)
from ..naming import escape_name, unix_name, url_path_name
from .audit import COMMAND_LINE, AuditLog, Requester
from .catalogue import Catalogue
from .configurables import configurable_environment
from .container_index import ContainerIndex
from .images import ImageCatalogue
from .policy import WORKSPACE_TARGET, GrantPolicy, Policy, Volume
from .views import GrantView

# Docker's default capabilities without NET_RAW (raw sockets: ARP spoofing on the
# shared bridge) and MKNOD (device nodes).
DEFAULT_ALLOWED_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL",
        "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    }
)  # fmt: skip
# Capabilities no site may allow, and why.
NEVER_ALLOWED_CAPABILITIES = {
    "NET_RAW": "an app with it can forge ARP answers and take other apps' traffic",
    "NET_ADMIN": "an app with it can take another app's address on the shared bridge",
    "SYS_ADMIN": "it lets an app mount filesystems and leave its container",
    "SYS_MODULE": "it lets an app load code into the host's kernel",
}
# Seconds an app may answer 4xx where it says it is ready before its start fails.
REFUSAL_GRACE = 2.0


class ContainerService(LoggingConfigurable):
    """Start, find and stop the application containers of users."""

    database = Instance(Database)
    docker = Instance(DockerClient)
    index = Instance(ContainerIndex, help="Where the containers are found.")
    images = Instance(ImageCatalogue, help="What the images say of themselves.")

    hub_prefix = Unicode(
        "/", help="JupyterHub's base URL; users' services live at {hub_prefix}user/<name>/."
    ).tag(config=True)

    app_origin = Unicode(
        "",
        help="""Give each app its own origin, from this template: {url_id} is the app's
        random id, {user_host} the host (and port) of the user's own server, e.g.
        'http://{url_id}.{user_host}' or 'https://{url_id}.apps.example.org'. The app's
        pages then cannot reach the dashboard, the API or the Hub with the user's
        cookies. Needs the Hub's subdomain_host (the proxy routes by host only then)
        and a wildcard DNS name. Empty: apps live under the user's origin, at
        /user/<name>/containers/<url_id>/ (weaker: see the security model).""",
    ).tag(config=True)

    public_url = Unicode(
        help="""The public URL of the user's server, e.g. http://alice.hub.example.org/user/alice/,
        for {user_host} in app_origin. Default: $JUPYTERHUB_PUBLIC_URL."""
    ).tag(config=True)

    name_prefix = Unicode("remoteapp", help="Start of every container's name.").tag(config=True)

    workspace_root = Unicode(
        help="""Host directory holding each user's workspace (one directory per user,
        safely named), mounted at /workspace when a grant allows the home directory.
        Default: var/remoteappmanager/workspaces under the installation prefix.""",
    ).tag(config=True)

    home_is_workspace = Bool(
        False,
        help="""Mount the home directory of the service's unix user as the workspace
        (services of system users) instead of a directory under workspace_root.""",
    ).tag(config=True)

    start_timeout = Float(
        30.0, help="Seconds an application may take to answer after its container starts."
    ).tag(config=True)

    stop_grace = Float(
        2.0,
        help="Seconds an application gets to exit after SIGTERM before it is killed.",
    ).tag(config=True)

    mem_limit = Unicode("2g", help="Memory limit of each container (Docker syntax).").tag(
        config=True
    )
    cpu_limit = Float(1.0, help="CPUs each container may use (0: no limit).").tag(config=True)
    pids_limit = Int(512, help="Processes and threads each container may have.").tag(config=True)
    log_max_size = Unicode("10m", help="Size of a container's log before it is rotated.").tag(
        config=True
    )
    network = Unicode(
        "remoteappmanager-apps",
        help="""Docker network of the application containers, made if missing, on which
        containers cannot reach each other: one user's app cannot bypass the gateway to
        reach another's. Empty: Docker's default bridge, where they can.""",
    ).tag(config=True)

    use_init = Bool(
        True,
        help="Run Docker's init as PID 1, so apps get signals and zombies are reaped.",
    ).tag(config=True)

    workspace_max_size = Unicode(
        "",
        help="""Most a user's workspace may hold on disk when an app starts (``10G``,
        ``500M``; empty: no bound): over it, the start is refused, saying how much it
        holds. Checked at each start only: a running app can write past it (use a
        filesystem quota for a hard bound).""",
    ).tag(config=True)

    root_size = Unicode(
        "",
        help="""Size limit of each container's writable layer, as Docker writes it
        (``10G``; empty: none). Docker applies it only with some storage drivers
        (overlay2 over xfs mounted with ``pquota``, btrfs, zfs); with another one a
        start fails, saying so. Without it, a container may fill the engine's disk.""",
    ).tag(config=True)

    app_uid_base = Int(
        100000,
        min=1000,
        help="""A user's apps run as the unix uid (and gid) this plus the user's id in the
        app database: no two users share one, and none is a fixed account such as
        1000. Keep the range clear of the host's own accounts. A service running as
        root hands each user's workspace to that uid at start; a service running as
        another user (a system user's service, the hub image's) gives its apps its own
        uid, which owns the workspace already.""",
    ).tag(config=True)

    read_only_root = CaselessStrEnum(
        ["off", "labelled", "all"],
        default_value="labelled",
        help="""Which containers get a read-only root filesystem, with a tmpfs at /tmp
        (tmp_size): 'labelled', those whose image says it works so (label
        ``read-only-root=true``, as the demo images do); 'all', every one (an image
        whose start writes to its root, as the Debian images of images/ add their user
        to /etc/passwd, then fails to start); 'off', none.""",
    ).tag(config=True)

    tmp_size = Unicode(
        "256m",
        help="Size of the tmpfs at /tmp of a container with a read-only root (Docker syntax).",
    ).tag(config=True)

    allowed_capabilities = List(
        Unicode(),
        default_value=sorted(DEFAULT_ALLOWED_CAPABILITIES),
        help="""Linux capabilities an image may ask for (its label ``capabilities``):
        a container has none but those its image asks for, and an image asking for
        one not listed here does not start. The default is Docker's own set without
        NET_RAW and MKNOD. NET_RAW and NET_ADMIN may not be listed (with them an app
        can forge ARP answers or addresses and take other users' traffic on the
        shared bridge), nor SYS_ADMIN and SYS_MODULE.""",
    ).tag(config=True)

    @validate("workspace_max_size")
    def _a_size(self, proposal: Any) -> str:
        if proposal.value:
            try:
                byte_count(proposal.value)
            except InvalidInput as error:
                raise TraitError(f"c.ContainerService.workspace_max_size: {error}") from None
        return str(proposal.value)

    @validate("allowed_capabilities")
    def _never_dangerous(self, proposal: Any) -> list[str]:
        names = [name.strip().upper().removeprefix("CAP_") for name in proposal.value]
        for name in names:
            if name in NEVER_ALLOWED_CAPABILITIES:
                raise TraitError(
                    f"c.ContainerService.allowed_capabilities may not hold {name}: "
                    f"{NEVER_ALLOWED_CAPABILITIES[name]}"
                )
        return names

    @default("index")
    def _index_default(self) -> ContainerIndex:
        return ContainerIndex(parent=self, docker=self.docker)

    @default("images")
    def _images_default(self) -> ImageCatalogue:
        return ImageCatalogue(self.docker)

    @observe("docker")
    def _one_engine(self, change: Any) -> None:
        # The index and the images ask the engine the launcher starts apps on.
        if self.trait_has_value("index"):
            self.index.docker = change.new
        if self.trait_has_value("images"):
            self.images.docker = change.new

    @default("hub_prefix")
    def _hub_prefix_default(self) -> str:
        return os.environ.get("JUPYTERHUB_BASE_URL", "/")

    @default("public_url")
    def _public_url_default(self) -> str:
        return os.environ.get("JUPYTERHUB_PUBLIC_URL", "")

    _app_host: re.Pattern[str] | None = None

    def app_host_pattern(self) -> re.Pattern[str]:
        """The host names of the apps' own origins; the url_id is the group."""
        if self._app_host is None:
            template_host = urlsplit(self.app_origin).netloc
            if self.app_origin and not template_host.startswith("{url_id}."):
                raise InvalidInput(
                    "ContainerService.app_origin must be a URL whose host name starts "
                    f"with '{{url_id}}.', e.g. 'https://{{url_id}}.apps.example.org': "
                    f"not {self.app_origin!r}"
                )
            marker = "urlid" * 6
            host = urlsplit(self.origin_for(marker)).hostname or ""
            self._app_host = re.compile(re.escape(host).replace(marker, "([0-9a-f]{32})"))
        return self._app_host

    def app_origins_source(self) -> str:
        """The apps' origins as a Content-Security-Policy source ("" without them)."""
        return self.origin_for("*") if self.app_origin else ""

    def origin_for(self, url_id: str) -> str:
        """The app's own origin (``scheme://host[:port]``), "" without app origins."""
        if not self.app_origin:
            return ""
        user_host = urlsplit(self.public_url).netloc
        if "{user_host}" in self.app_origin and not user_host:
            raise Unavailable(
                "apps cannot get their own origin: the service does not know its public URL",
                "ContainerService.app_origin uses {user_host}, and public_url is empty "
                "(is the Hub's subdomain_host set?)",
            )
        url = urlsplit(self.app_origin.format(url_id=url_id, user_host=user_host))
        return f"{url.scheme}://{url.netloc}"

    @default("workspace_root")
    def _workspace_root_default(self) -> str:
        return str(Path(sys.prefix, "var", "remoteappmanager", "workspaces"))

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.policy = Policy(parent=self)  # c.Policy: what grants may mount
        self._network_ready = False  # made or found once; not asked again
        # One start at a time per grant: later callers join the start under way.
        self._starting: dict[tuple[str, str], asyncio.Task[tuple[Container, bool]]] = {}

    # -- starting --

    async def start(
        self,
        user: str,
        mapping_id: str,
        configurables: Any = None,
        requester: Requester = COMMAND_LINE,
    ) -> tuple[Container, bool]:
        """Start the user's application ``mapping_id`` and wait until it answers.

        Returns the container and whether this call created it: if the grant's
        container runs already, or another call is starting it, that one is returned,
        provided that ``configurables`` ask nothing it was not started with (else
        `AlreadyExists`).
        """
        key = (user, mapping_id)
        task = self._starting.get(key)
        if task is None:
            task = asyncio.ensure_future(self._start(user, mapping_id, configurables, requester))
            self._starting[key] = task
            task.add_done_callback(lambda _: self._starting.pop(key, None))
            container, created = await task
        else:
            container, created = (await self._join(task))[0], False
        if not created and configurables:
            await self._check_same_settings(user, mapping_id, container, configurables)
        return container, created

    async def _check_same_settings(
        self, user: str, mapping_id: str, container: Container, configurables: Any
    ) -> None:
        """A start of an app that runs already asks nothing new of it: every setting
        sent must be the running one's, else a 409 says so (it is never ignored)."""
        grant = self._load_grant(user, mapping_id)
        image = await self.images.get(grant.image, grant.display_name, grant.description)
        wanted = configurable_environment(image, grant.policy, configurables)
        running = dict(container.settings)
        if any(running.get(name) != value for name, value in wanted.items()):
            raise AlreadyExists(
                f"{image.title} is already running with other settings than these "
                f"({', '.join(sorted(configurables))}): stop it, then start it again "
                "with them"
            )

    async def _join(self, task: asyncio.Task[tuple[Container, bool]]) -> tuple[Container, bool]:
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.cancelled():
                raise AlreadyExists(
                    "the start of this application was cancelled; try again"
                ) from None
            raise

    async def _start(
        self, user: str, mapping_id: str, configurables: Any, requester: Requester
    ) -> tuple[Container, bool]:
        grant = self._load_grant(user, mapping_id)
        existing = await self.index.list_by_grant(mapping_id, user=user)
        for container in existing:
            # One that does not answer is the leftover of a start that failed while
            # the engine was out of reach: replaced below, never adopted.
            if container.running and await self._still_answers(container):
                return container, False
        image = await self.images.get(grant.image, grant.display_name, grant.description)
        url_id = secrets.token_hex(16)
        urlpath = f"{self.user_prefix(user)}containers/{url_id}/"
        origin = self.origin_for(url_id)
        settings = configurable_environment(image, grant.policy, configurables)
        environment = {
            **settings,
            "JPY_USER": user,
            "JPY_BASE_USER_URL": self.user_prefix(user).rstrip("/"),
            "USER": unix_name(user),
            "URL_ID": url_id,
        }
        if grant.policy.app_license:
            environment["APP_LICENSE"] = grant.policy.app_license
        uid = self.app_uid(grant)
        environment["APP_UID"] = environment["APP_GID"] = str(uid)
        if grant.policy.allow_home:
            await self._check_workspace_size(user)
        mounts = await self._mounts(user, grant.policy, uid)
        labels = {
            USER_LABEL: user,
            MAPPING_ID_LABEL: mapping_id,
            URL_ID_LABEL: url_id,
            URLPATH_LABEL: urlpath,
            REALM_LABEL: self.index.realm,
            # Always set: a label of the image must not choose where the app is routed.
            ORIGIN_LABEL: origin,
            SETTINGS_LABEL: json.dumps(settings, sort_keys=True),
        }
        # Leftovers of this grant would hold the container name.
        for leftover in existing:
            await self.docker.remove_container(leftover.id)

        container_id = await self._create(grant, image, environment, labels, mounts, uid)
        try:
            await self.docker.start_container(container_id)
            container = await self._describe(url_id)
            await self._wait_until_ready(container)
        except BaseException as failure:
            logs = await self._discard(container_id)
            if isinstance(failure, StartFailed):
                self.log.warning("%s; logs of %s:\n%s", failure.log_message, container_id, logs)
            raise
        self.log.info("started %s for %s at %s", grant.image, user, urlpath)
        self._record(
            user, "container.start", url_id, requester, mapping_id=mapping_id, image=grant.image
        )
        return container, True

    def _record(
        self, actor: str, action: str, target: str, requester: Requester, **details: str
    ) -> None:
        """Write to the audit log; a failure is logged and does not undo what was done."""
        try:
            with self.database.transaction() as session:
                AuditLog(session).record(actor, action, target, requester=requester, **details)
        except RemoteAppError as error:
            self.log.error("could not write %s of %s to the audit log: %s", action, target, error)

    def _load_grant(self, user: str, mapping_id: str) -> GrantView:
        with self.database.transaction(readonly=True) as session:
            return GrantView.of(Catalogue(session).get_grant(user, mapping_id))

    async def applications_of(
        self, user: str, mapping_id: str | None = None
    ) -> list[tuple[GrantView, ImageInfo, Container | None]]:
        """The user's grants (or one), each with its image and its container if any.

        One database read, then one look at the user's containers and one at the
        images, at the same time; labels are parsed once per image id.
        """
        if mapping_id is None:
            with self.database.transaction(readonly=True) as session:
                grants = [GrantView.of(each) for each in Catalogue(session).grants_of_user(user)]
        else:
            grants = [self._load_grant(user, mapping_id)]
        names = sorted({grant.image for grant in grants})
        containers, images = await asyncio.gather(
            self.index.list_for_user(user), self.images.named(names)
        )
        image_of = dict(zip(names, images, strict=True))
        container_of = {c.mapping_id: c for c in containers}
        return [
            (
                grant,
                image_of[grant.image].with_overrides(grant.display_name, grant.description),
                container_of.get(grant.mapping_id),
            )
            for grant in grants
        ]

    async def image_of_grant(self, user: str, mapping_id: str) -> ImageInfo:
        """The image of the user's grant ``mapping_id`` (`ImageInfo.missing` when the
        engine lacks it), without looking at containers; NotFound for anyone else's."""
        grant = self._load_grant(user, mapping_id)
        [image] = await self.images.named([grant.image])
        return image.with_overrides(grant.display_name, grant.description)

    def user_prefix(self, user: str) -> str:
        """``/user/<name>/`` under the Hub's base URL."""
        return f"{self.hub_prefix.rstrip('/')}/user/{url_path_name(user)}/"

    def workspace_of(self, user: str) -> Path:
        if self.home_is_workspace:
            return Path.home()
        return Path(self.workspace_root, escape_name(user))

    async def _check_workspace_size(self, user: str) -> None:
        if not self.workspace_max_size:
            return
        limit = byte_count(self.workspace_max_size)
        used = await asyncio.to_thread(disk_usage, self.workspace_of(user))
        if used > limit:
            raise OverQuota(
                f"your workspace holds {human_size(used)}, more than this site allows "
                f"({human_size(limit)}): delete files there before starting an application"
            )

    def app_uid(self, grant: GrantView) -> int:
        """The uid (and gid) the grant's app runs as, and its workspace's owner."""
        if os.geteuid() != 0:
            return os.geteuid()
        return self.app_uid_base + grant.user_id

    async def _mounts(self, user: str, policy: GrantPolicy, uid: int) -> list[dict[str, Any]]:
        mounts = []
        if policy.allow_home:
            workspace = self.workspace_of(user)
            workspace.mkdir(mode=0o700, parents=True, exist_ok=True)
            if os.geteuid() == 0 and not self.home_is_workspace:
                await asyncio.to_thread(hand_over, workspace, uid)
            mounts.append(_bind(str(workspace), WORKSPACE_TARGET, read_only=False))
        if policy.volume:
            try:
                self.check_volume(policy.volume)
            except InvalidInput as refused:
                raise NotAllowed(
                    f"{refused.message}; an administrator must change this grant"
                ) from None
            volume = policy.volume
            mounts.append(_bind(volume.source, volume.target, volume.mode == "ro"))
        return mounts

    def check_volume(self, volume: Volume) -> None:
        """Raise `InvalidInput` unless the site allows a grant to mount ``volume``:
        under c.Policy.allowed_volume_roots, and neither in nor holding the users'
        workspaces or the app database."""
        protected = [self.workspace_root]
        if self.database is not None and self.database.sqlite_path is not None:
            protected.append(str(self.database.sqlite_path))
        self.policy.check_volume(volume, protected)

    def _capabilities(self, image: ImageInfo) -> list[str]:
        """What the image asks for, if the site allows all of it."""
        refused = image.capabilities - set(self.allowed_capabilities)
        if refused:
            raise NotAllowed(
                f"{image.title} needs capabilities this site does not allow: "
                f"{', '.join(sorted(refused))} (see c.ContainerService.allowed_capabilities)"
            )
        return sorted(image.capabilities)

    def _read_only_root(self, image: ImageInfo) -> bool:
        return self.read_only_root == "all" or (
            self.read_only_root == "labelled" and image.read_only_root
        )

    def _host_config(self, mounts: list[dict[str, Any]], image: ImageInfo) -> dict[str, Any]:
        config: dict[str, Any] = {
            "cap_drop": ["ALL"],
            "cap_add": self._capabilities(image),
            "mounts": mounts,
            "mem_limit": self.mem_limit,
            "pids_limit": self.pids_limit,
            "security_opt": ["no-new-privileges"],
            "privileged": False,
            "init": self.use_init,
            "log_config": {
                "type": "json-file",
                "config": {"max-size": self.log_max_size, "max-file": "2"},
            },
        }
        if self.cpu_limit > 0:
            config["nano_cpus"] = round(self.cpu_limit * 1e9)
        if self.root_size:
            config["storage_opt"] = {"size": self.root_size}
        if self._read_only_root(image):
            config["read_only"] = True
            config["tmpfs"] = {"/tmp": f"rw,nosuid,nodev,size={self.tmp_size}"}
        if self.network:
            config["network_mode"] = self.network
        return config

    async def _create(
        self,
        grant: GrantView,
        image: ImageInfo,
        environment: dict[str, str],
        labels: dict[str, str],
        mounts: list[dict[str, Any]],
        uid: int,
    ) -> str:
        # One name per grant: the engine itself refuses a second container, even
        # one started by another process.
        name = f"{self.name_prefix}-{escape_name(grant.user)}-{grant.mapping_id}"
        if self.network and not self._network_ready:
            await self.docker.ensure_network(self.network, {REALM_LABEL: self.index.realm})
            self._network_ready = True
        creating = asyncio.ensure_future(
            self.docker.create_container(
                image=grant.image,
                name=name,
                environment=environment,
                labels=labels,
                port=image.serving.port or self.index.container_port,
                host_config=self._host_config(mounts, image),
                # An image that cannot change user (no SETUID) starts as the app's
                # user; one that can starts as its own and becomes $APP_UID itself.
                user=None if "SETUID" in image.capabilities else f"{uid}:{uid}",
            )
        )
        try:
            return await asyncio.shield(creating)
        except asyncio.CancelledError:
            # The engine makes the container all the same: remove it once it is made.
            with suppress(Exception):
                await self._discard(await creating)
            raise

    async def _describe(self, url_id: str) -> Container:
        container = await self.index.find(url_id)
        if container is None or container.address is None:
            raise StartFailed("the application stopped as soon as it started")
        return container

    def _ready_url(self, container: Container) -> str:
        return f"{container.address}{container.app_path}{container.serving.ready_path}"

    async def _answers(self, container: Container) -> bool:
        """Whether the app answers 2xx/3xx where it says it is ready; raises
        `StartFailed` on a 4xx, which waiting will hardly mend."""
        if container.address is None:
            return False
        url = self._ready_url(container)
        try:
            await AsyncHTTPClient().fetch(url, follow_redirects=False, request_timeout=5)
        except HTTPClientError as exc:
            if 400 <= exc.code < 500:
                path = f"{container.app_path}{container.serving.ready_path}"
                hint = (
                    "does the app serve under its prefix? (an app that serves at / needs "
                    "the image label strip-prefix=true)"
                    if not container.serving.strip_prefix
                    else "is the image's ready-path label right?"
                )
                raise StartFailed(
                    f"the application answered {exc.code} at {path}: {hint}", f"{url}: {exc}"
                ) from None
            return exc.code < 400
        except OSError:
            return False  # not listening (yet)
        return True

    async def _still_answers(self, container: Container) -> bool:
        try:
            return await self._answers(container)
        except StartFailed:
            return False

    async def _wait_until_ready(self, container: Container) -> None:
        """Poll the app until it answers, with backoff (5 ms growing to 100 ms) and a
        deadline; ask the engine now and then whether the app died meanwhile. A 4xx
        fails the start once it has lasted `REFUSAL_GRACE` seconds: an app may refuse
        a moment while it starts (code-server's /healthz answered 404 once, in CI)."""
        started = time.monotonic()
        deadline = started + self.start_timeout
        next_state_check = started + 0.25
        delay = 0.005
        refused_since: float | None = None
        while True:
            try:
                if await self._answers(container):
                    return
                refused_since = None
            except StartFailed:
                refused_since = refused_since or time.monotonic()
                if time.monotonic() - refused_since >= REFUSAL_GRACE:
                    raise
            now = time.monotonic()
            if now >= next_state_check:
                next_state_check = now + 0.25
                inspected = await self.docker.inspect_container(container.id)
                state = (inspected or {}).get("State") or {}
                if not state.get("Running"):
                    raise StartFailed(
                        "the application stopped during its start "
                        f"(exit code {state.get('ExitCode', 'unknown')})"
                    )
            if now + delay > deadline:
                raise StartFailed(
                    f"the application did not answer within {self.start_timeout:g} s "
                    f"at {container.app_path}{container.serving.ready_path}"
                )
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 0.1)

    async def _discard(self, container_id: str) -> str:
        """Remove a container that failed to start, whatever happens to the caller."""

        async def discard() -> str:
            logs = await self.docker.container_logs(container_id)
            await self.docker.remove_container(container_id)
            return logs

        try:
            return await asyncio.shield(discard())
        except Unavailable:
            self.log.error("could not remove the failed container %s", container_id)
            return ""

    # -- stopping --

    async def stop(
        self,
        user: str,
        url_id: str,
        actor: str | None = None,
        requester: Requester = COMMAND_LINE,
        culled_for: str | None = None,
    ) -> Container:
        """Stop and remove the user's container ``url_id``; someone else's is not found.
        ``actor`` is who asked, if not the user (an administrator); ``culled_for`` says
        why the culler stops it ("idle" or "lifetime")."""
        container = await self.index.find(url_id, user=user)
        if container is None:
            raise NotFound(f"there is no application {url_id!r} to stop")
        await self._stop(container)
        details = {"user": user, "mapping_id": container.mapping_id}
        if culled_for:
            details["reason"] = culled_for
        action = "container.cull" if culled_for else "container.stop"
        self._record(actor or user, action, url_id, requester, **details)
        return container

    async def stop_grant(self, mapping_id: str) -> list[Container]:
        """Stop every container of a grant (revoked, or its user or app removed).

        Found by mapping id in every realm: mapping ids are random and unique to
        their grant, and a revoked grant must not keep running anywhere.
        """
        containers = await self.index.list_by_grant_in_every_realm(mapping_id)
        await asyncio.gather(*(self._stop(container) for container in containers))
        return containers

    async def _stop(self, container: Container) -> None:
        self.index.forget_routes()  # at once, not when the engine's event arrives
        await self.docker.stop_container(container.id, self.stop_grace)
        await self.docker.remove_container(container.id)
        self.log.info("stopped %s of %s", container.url_id, container.user)


def hand_over(workspace: Path, uid: int) -> None:
    """Make ``uid`` the owner of the workspace and of what is in it, once: a workspace
    it owns already is left as it is. Links are changed themselves, never what they
    point to, and other filesystems mounted inside are left alone."""
    if workspace.stat().st_uid == uid:
        return
    device = workspace.stat().st_dev
    for directory, subdirectories, files in os.walk(workspace):
        subdirectories[:] = [
            name
            for name in subdirectories
            if os.lstat(os.path.join(directory, name)).st_dev == device
        ]
        for name in (*subdirectories, *files):
            os.lchown(os.path.join(directory, name), uid, uid)
    os.chown(workspace, uid, uid)  # last: an interrupted hand-over is done again


def _bind(source: str, target: str, read_only: bool) -> dict[str, Any]:
    # A bind mount, not a volume: a missing source is an error, never created empty.
    return {"Type": "bind", "Source": source, "Target": target, "ReadOnly": read_only}


SIZE_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def byte_count(size: str) -> int:
    """``"10G"`` -> bytes (K, M, G, T are powers of 1024, as Docker counts)."""
    found = re.fullmatch(r"\s*(\d+)\s*([KMGT]?)B?\s*", size.upper())
    if found is None:
        raise InvalidInput(f"{size!r} is not a size such as 500M or 10G")
    return int(found.group(1)) * SIZE_UNITS[found.group(2)]


def human_size(count: int) -> str:
    unit = "GiB" if count >= 1 << 30 else "MiB"
    return f"{count / SIZE_UNITS[unit[0]]:.1f} {unit}"


def disk_usage(top: Path) -> int:
    """Bytes the tree under ``top`` takes on its disk (links not followed, other
    mounts not entered); 0 if it does not exist."""
    try:
        device = top.lstat().st_dev
    except FileNotFoundError:
        return 0
    total = 0
    for directory, names, files in os.walk(top):
        for name in files + names:
            try:
                entry = os.lstat(os.path.join(directory, name))
            except OSError:
                continue
            total += entry.st_blocks * 512
        names[:] = [n for n in names if os.lstat(os.path.join(directory, n)).st_dev == device]
    return total
