"""Everything that talks to the Docker engine."""

from .client import DockerClient

__all__ = ["DockerClient"]
