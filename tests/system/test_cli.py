"""The operator's command refuses a bad registry the same way from every verb: every problem
on standard error with its file and path, exit status 2, no traceback. (`make run` runs
`eoscope ingest` first and stops on its status.)"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from services.settings import PROJECT_ROOT

VERBS = [["check"], ["ingest"], ["generate"], ["reload"], ["serve", "--port", "1"],
         ["seed", "CGS_S2_NDVI"]]


def eoscope(tmp_path, *args: str, layers=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "EOSCOPE_VAR_DIR": str(tmp_path / "var"),
           "EOSCOPE_MAPFILE_DIR": str(tmp_path / "mapfiles"),
           "EOSCOPE_GENERATED_DIR": str(tmp_path / "generated"),
           "EOSCOPE_LAYERS_DIR": str(layers or PROJECT_ROOT / "layers")}
    return subprocess.run([sys.executable, "-m", "services.cli", *args], cwd=PROJECT_ROOT,
                          env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def bad_layers(tmp_path):
    layers = tmp_path / "layers"
    layers.mkdir()
    for source in ("s2_toc.yaml", "s2_ndvi.yaml"):
        (layers / source).write_text((PROJECT_ROOT / "layers" / source).read_text())
    twin = yaml.safe_load((PROJECT_ROOT / "layers" / "s2_ndvi.yaml").read_text())
    twin["id"] = "TWIN"
    (layers / "twin.yml").write_text(yaml.safe_dump(twin))
    return layers


@pytest.mark.parametrize("verb", VERBS, ids=lambda v: v[0])
def test_every_verb_refuses_a_bad_registry_with_status_2(tmp_path, bad_layers, verb):
    done = eoscope(tmp_path, *verb, layers=bad_layers)
    assert done.returncode == 2, done.stderr
    assert "twin.yml: product 'NDVI' of profile sentinel2 already used in s2_ndvi.yaml" \
        in done.stderr
    assert "Traceback" not in done.stderr


def test_bad_settings_and_demo_specs_are_status_2_too(tmp_path):
    done = subprocess.run([sys.executable, "-m", "services.cli", "check"], cwd=PROJECT_ROOT,
                          env={**os.environ, "EOSCOPE_CRS_LIST": "not json"},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "invalid settings" in done.stderr
    done = eoscope(tmp_path, "demo-data", "--output", str(tmp_path / "a"), "--missions",
                   "sentinel9")
    assert done.returncode == 2 and "unknown mission(s) sentinel9" in done.stderr
    assert "Traceback" not in done.stderr


def test_check_lists_every_layer_with_its_profile(tmp_path):
    done = eoscope(tmp_path, "check")
    assert done.returncode == 0
    assert "CGS_S5P_NO2" in done.stdout and "sentinel5p" in done.stdout
    assert "profiles probav, sentinel1, sentinel2, sentinel3, sentinel5p, spotvgt" in done.stderr
