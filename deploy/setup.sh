#!/usr/bin/env bash
# Install what eoscope needs on Debian 12, idempotently: apt packages, then a venv made from
# Debian's python3 with --system-site-packages (so Debian's mapscript imports), then the project.
#   deploy/setup.sh          what `make run` needs
#   deploy/setup.sh --test   plus the test clients (QGIS, GDAL command-line tools, chromium)
# Both build the web viewer (viewer/, npm ci + esbuild) when its sources are newer than the build.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNTIME_PACKAGES=(python3 python3-venv python3-dev python3-mapscript cgi-mapserver mapserver-bin gdal-bin)
# chromium + libatomic1: the browser tests drive Debian's chromium through Playwright's Python
# driver (which needs libatomic1); `playwright install` is never run, it would download.
# nginx-light + spawn-fcgi: the benchmarks' baselines (bench/fastcgi.py: mapserv FastCGI behind
# nginx; bench/wmts_tiles.py: nginx on the tile cache), started by the benchmarks themselves.
TEST_PACKAGES=(python3-qgis qgis-providers chromium libatomic1 nginx-light spawn-fcgi)
VENV=${EOSCOPE_VENV:-.venv}

packages=("${RUNTIME_PACKAGES[@]}")
extras=""
if [[ "${1:-}" == "--test" ]]; then
    packages+=("${TEST_PACKAGES[@]}")
    extras="[test]"
fi

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
# The viewer's build needs node and npm; a machine may already have them (e.g. from NodeSource),
# so Debian's packages are only added when there is no npm at all.
if ! command -v npm >/dev/null 2>&1; then
    missing+=(nodejs npm)
fi
if (( ${#missing[@]} )); then
    echo "setup: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [[ ! -x "$VENV/bin/python" ]]; then
    echo "setup: creating $VENV" >&2
    /usr/bin/python3 -m venv --system-site-packages "$VENV"
fi
stamp="$VENV/.eoscope-installed$extras"
if [[ ! -f "$stamp" || pyproject.toml -nt "$stamp" ]]; then
    echo "setup: installing eoscope$extras into $VENV" >&2
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e ".$extras"
    touch "$stamp"
fi

# pygeoapi 0.21.0's wheel installs its own test suite as a top-level "tests" package, which
# shadows eoscope's tests (tests.conftest, tests.helpers): remove that package.
stray=$("$VENV/bin/python" - <<'PY' 2>/dev/null || true
import importlib.metadata as m
files = m.distribution("pygeoapi").files or []
print(next((f.locate().parent for f in files if f.parts == ("tests", "__init__.py")), ""))
PY
)
if [[ -n "$stray" && -d "$stray" ]]; then
    echo "setup: removing pygeoapi's stray top-level tests package ($stray)" >&2
    rm -rf "$stray"
fi

# pycsw 2.6.2 (the newest on PyPI) pins OWSLib<0.29, and its __init__ makes pkg_resources verify
# that pin at import time; the tests use OWSLib 0.35. So pycsw is installed without its
# dependencies (geolinks and xmltodict are in pyproject.toml; lxml, pyproj and shapely too), and
# the pin is relaxed in its installed metadata. SQLAlchemy is not needed: eoscope's repository
# class (services/catalogue/csw) replaces pycsw's SQLAlchemy repository.
PYCSW_VERSION=2.6.2
pycsw_stamp="$VENV/.eoscope-pycsw-$PYCSW_VERSION"
if [[ ! -f "$pycsw_stamp" ]]; then
    echo "setup: installing pycsw $PYCSW_VERSION into $VENV" >&2
    "$VENV/bin/python" -m pip install -q --no-deps "pycsw==$PYCSW_VERSION" 2>&1 \
        | grep -v "dependency resolver\|pycsw .* requires OWSLib" >&2 || true
    metadata=$("$VENV/bin/python" -c 'import importlib.metadata as m
print(next(f.locate() for f in m.distribution("pycsw").files if f.name == "METADATA"))')
    sed -i 's/^Requires-Dist: OWSLib<0.29$/Requires-Dist: OWSLib/' "$metadata"
    "$VENV/bin/python" -W ignore -c "import pycsw.server"
    touch "$pycsw_stamp"
fi

# The web viewer (served at /viewer): `npm ci` from the committed lockfile when it changed, then
# the esbuild bundle into viewer/dist/ when any source is newer than the last build.
installed=viewer/node_modules/.package-lock.json
if [[ ! -f "$installed" || viewer/package-lock.json -nt "$installed" ]]; then
    echo "setup: installing the viewer's npm packages (npm ci)" >&2
    (cd viewer && npm ci --no-audit --no-fund --loglevel=error)
fi
built=viewer/dist/.built
if [[ ! -f "$built" ]] || [[ -n "$(find viewer/src viewer/index.html viewer/build.mjs \
        viewer/package-lock.json -newer "$built" -print -quit)" ]]; then
    echo "setup: building the viewer into viewer/dist" >&2
    (cd viewer && npm run --silent build)
fi
