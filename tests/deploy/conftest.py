"""Fixtures for the offline deploy checks: the template and stacks made from it."""

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from tests.deploy.support import Stack, load_template


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return load_template()


@pytest.fixture
def stack(template: dict[str, Any]) -> Callable[..., Stack]:
    def deploy(parameters: Mapping[str, str] | None = None, **options: Any) -> Stack:
        return Stack(template, parameters, **options)

    return deploy
