"""Volume and policy validation: the one place the CLI and the APIs share."""

from __future__ import annotations

import pytest

from remoteappmanager.errors import InvalidInput
from remoteappmanager.services.policy import GrantPolicy, Volume


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
