"""Volume and policy validation: the one place the CLI and the APIs share."""

from __future__ import annotations

from pathlib import Path

import pytest
from traitlets import TraitError

from remoteappmanager.errors import InvalidInput
from remoteappmanager.services.policy import GrantPolicy, Policy, Volume


@pytest.mark.parametrize(
    ("spec", "complaint"),
    [
        ("/:/data:ro", "root directory"),
        ("/srv/data:/:rw", "root directory"),
        ("/etc:/data:ro", "inside /etc"),
        ("/etc/passwd:/data:ro", "inside /etc"),
        ("/var/run/docker.sock:/var/run/docker.sock:rw", "inside /var/run"),
        ("/run/docker.sock:/data:rw", "inside /run"),
        ("/srv/docker.sock:/data:rw", "Docker socket"),
        ("/proc/1:/data:ro", "inside /proc"),
        ("/sys:/data:ro", "inside /sys"),
        ("/dev/sda:/data:rw", "inside /dev"),
        ("/srv/data:/etc:ro", "inside /etc"),
        ("srv/data:/data:ro", "not an absolute path"),
        ("./data:/data:ro", "not an absolute path"),
        ("/srv/data:data:ro", "not an absolute path"),
        ("/srv/../etc:/data:ro", "not normalised"),
        ("/srv/./data:/data:ro", "not normalised"),
        ("//srv/data:/data:ro", "not normalised"),
        ("/srv/data/:/data:ro", "not normalised"),
        ("/srv/da\0ta:/data:ro", "control characters"),
        ("/srv/da\nta:/data:ro", "control characters"),
        ("/srv/data:/data:rx", "neither 'ro' nor 'rw'"),
        ("/srv/data:/data:RO", "neither 'ro' nor 'rw'"),
        ("/srv/data:/data:", "neither 'ro' nor 'rw'"),
        ("/srv/data:/data", "not SOURCE:TARGET:MODE"),
        ("/srv/da:ta:/data:ro", "not SOURCE:TARGET:MODE"),
        (":/data:ro", "source is empty"),
        ("/" + "a" * 5000 + ":/data:ro", "longer than"),
    ],
)
def test_unsafe_volumes_are_refused_with_the_reason(spec: str, complaint: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        Volume.parse(spec)
    assert complaint in raised.value.message


@pytest.mark.parametrize(
    "spec",
    ["/srv/data:/data:ro", "/home/alice/work:/workspace/extra:rw", "/etcetera:/runner:ro"],
)
def test_safe_volumes_parse_and_print_back(spec: str) -> None:
    volume = Volume.parse(spec)
    assert str(volume) == spec
    assert volume == Volume(*spec.split(":"))


def test_policies_with_the_same_options_are_equal_and_survive_the_model() -> None:
    policy = GrantPolicy(
        allow_home=True, volume=Volume("/srv/data", "/data", "rw"), app_license="KEY-1"
    )
    assert GrantPolicy.from_model(policy.to_model()) == policy
    assert policy != GrantPolicy(allow_home=True)


def test_the_volume_may_not_hide_the_workspace() -> None:
    with pytest.raises(InvalidInput, match="/workspace"):
        GrantPolicy(allow_home=True, volume=Volume("/srv/data", "/workspace", "rw"))
    # Without the workspace, /workspace is free to use.
    assert GrantPolicy(volume=Volume("/srv/data", "/workspace", "rw")).volume is not None


@pytest.mark.parametrize("license_text", ["", "   ", "a\0b", "x" * 70_000])
def test_bad_licences_are_refused(license_text: str) -> None:
    with pytest.raises(InvalidInput, match="licence"):
        GrantPolicy(app_license=license_text)


# -- the site's volume roots (SECURITY-TESTS 61) --


@pytest.fixture
def roots(tmp_path: Path) -> Policy:
    """A site allowing volumes from tmp_path/data and /var."""
    (tmp_path / "data").mkdir()
    return Policy(allowed_volume_roots=[str(tmp_path / "data"), "/var"])


@pytest.mark.parametrize(
    "source",
    ["/root", "/root/.ssh", "/home", "/usr/bin", "/lib", "/var/lib/docker", "/var/spool/cron"],
)
def test_61_the_attack_s_volume_sources_are_refused(roots: Policy, source: str) -> None:
    """Each host directory the attack mounted through the API: outside the roots, or
    never mounted even inside one (/var/lib/docker under the root /var)."""
    with pytest.raises(InvalidInput, match=r"never mounted|outside the directories"):
        roots.check_volume(Volume(source, "/data", "ro"))


def test_61_a_source_under_a_root_is_allowed_and_one_holding_a_system_dir_is_not(
    roots: Policy, tmp_path: Path
) -> None:
    roots.check_volume(Volume(str(tmp_path / "data" / "results"), "/data", "ro"))
    roots.check_volume(Volume("/var/tmp", "/data", "rw"))
    with pytest.raises(InvalidInput, match=r"'/var/lib' holds /var/lib/docker"):
        roots.check_volume(Volume("/var/lib", "/data", "ro"))


def test_61_links_are_resolved_before_the_roots_are_compared(roots: Policy, tmp_path: Path) -> None:
    inside = tmp_path / "data"
    (inside / "to-etc").symlink_to("/etc")
    (inside / "to-state").symlink_to(tmp_path)
    with pytest.raises(InvalidInput, match=r"a link to '/etc'.* inside /etc"):
        roots.check_volume(Volume(str(inside / "to-etc"), "/data", "ro"))
    with pytest.raises(InvalidInput, match="outside the directories this site allows"):
        roots.check_volume(Volume(str(inside / "to-state"), "/data", "ro"))


def test_61_protected_directories_are_refused_inside_a_root(roots: Policy, tmp_path: Path) -> None:
    """The users' workspaces and the app database, given by the container service."""
    workspaces = tmp_path / "data" / "workspaces"
    database = tmp_path / "data" / "app.sqlite"
    protected = [str(workspaces), str(database)]
    for source in (workspaces / "bob", tmp_path / "data"):
        with pytest.raises(InvalidInput, match="never mounted"):
            roots.check_volume(Volume(str(source), "/data", "ro"), protected)


def test_61_no_roots_means_no_volumes_and_bad_roots_are_refused() -> None:
    with pytest.raises(InvalidInput, match=r"allows no volumes.*allowed_volume_roots"):
        Policy().check_volume(Volume("/srv/data", "/data", "ro"))
    for root in ("/", "srv", "/srv/../etc"):
        with pytest.raises(TraitError, match=r"c\.Policy\.allowed_volume_roots"):
            Policy(allowed_volume_roots=[root])
