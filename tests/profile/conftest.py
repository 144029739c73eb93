from __future__ import annotations

from pathlib import Path

import pytest

from collector.control.settings import Settings
from tests.profile.lakefixture import Lake, make_control, settings_for


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = settings_for(tmp_path)
    make_control(s)
    return s


@pytest.fixture
def lake(settings: Settings) -> Lake:
    return Lake(settings)
