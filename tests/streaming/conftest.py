"""Fixtures of the streaming tests: a studio that builds rooms streaming now."""

from __future__ import annotations

import shutil

import pytest

from tests.factories import Factory
from tests.streaming.support import Studio


@pytest.fixture(autouse=True, scope="session")
def _ffmpeg() -> None:
    # The relay tests push real video: without ffmpeg they fail (never skip).
    if shutil.which("ffmpeg") is None:
        pytest.fail("the streaming tests need ffmpeg: apt-get install ffmpeg", pytrace=False)


@pytest.fixture
async def studio(factory: Factory) -> Studio:
    return await Studio(factory).setup()
