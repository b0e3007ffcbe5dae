"""The installable app's files (server/pwa.py): the manifest linked from `/`, icons of the
declared sizes, the favicon, the service worker at the root with the whole app shell in its
list, and Digital Asset Links from the settings."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image

from server.app import build_app
from server.config import Config, ConfigError, load
from tests.server.api_client import Api

WEB = Path(__file__).resolve().parents[2] / "web"
FINGERPRINT = ":".join(["AB"] * 32)


async def test_the_manifest_is_linked_from_the_app_and_its_icons_are_the_sizes_it_says(
    api: Api,
) -> None:
    page = await (await api.client.get("/")).text()
    links = re.findall(r'<link rel="manifest" href="([^"]+)">', page)
    assert links == ["/manifest.webmanifest"]
    response = await api.client.get(links[0])
    assert response.status == 200
    assert response.content_type == "application/manifest+json"
    manifest = json.loads(await response.text())
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    assert manifest["name"] and manifest["short_name"]
    sizes = set()
    for icon in manifest["icons"]:
        answer = await api.client.get(icon["src"])
        assert answer.status == 200 and answer.content_type == "image/png"
        image = Image.open(io.BytesIO(await answer.read()))
        assert f"{image.width}x{image.height}" == icon["sizes"]
        sizes.add(image.width)
    assert {192, 512} <= sizes  # Chromium's install criteria
    assert (await api.client.get("/icons/nothing.png")).status == 404


async def test_the_favicon_is_an_icon(api: Api) -> None:
    response = await api.client.get("/favicon.ico")
    assert response.status == 200
    image = Image.open(io.BytesIO(await response.read()))
    assert image.format == "ICO"


async def test_the_service_worker_lives_at_the_root_and_lists_every_shell_file(
    api: Api,
) -> None:
    response = await api.client.get("/sw.js")
    assert response.status == 200 and response.content_type == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    # Its own policy: it may fetch from this origin (the default for non-pages forbids it).
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "sandbox" not in policy
    text = await response.text()
    shell = json.loads(re.search(r"^const SHELL = (.*);$", text, re.MULTILINE)[1])  # type: ignore[index]
    scripts = {f"/static/{p.relative_to(WEB).as_posix()}" for p in WEB.rglob("*.js")}
    assert scripts - {"/static/sw.js"} <= set(shell)
    assert "/static/style.css" in shell
    for url in shell:
        assert (await api.client.get(url)).status == 200, url


async def test_pages_may_run_the_worker_and_read_the_manifest(api: Api) -> None:
    policy = (await api.client.get("/")).headers["Content-Security-Policy"]
    assert "worker-src 'self'" in policy and "manifest-src 'self'" in policy


async def test_asset_links_are_empty_until_an_android_app_is_configured(api: Api) -> None:
    response = await api.client.get("/.well-known/assetlinks.json")
    assert response.status == 200
    assert json.loads(await response.text()) == []


async def test_asset_links_name_the_configured_app_and_its_certificates(tmp_path: Path) -> None:
    config = Config(
        host="127.0.0.1",
        port=0,
        data_dir=tmp_path,
        android_package="id.kamar.app",
        android_cert_fingerprints=(FINGERPRINT.lower(),),
    )
    client: TestClient[Any, Any] = TestClient(TestServer(build_app(config), host="127.0.0.1"))
    await client.start_server()
    try:
        response = await client.get("/.well-known/assetlinks.json")
        assert response.status == 200
        assert json.loads(await response.text()) == [
            {
                "relation": ["delegate_permission/common.handle_all_urls"],
                "target": {
                    "namespace": "android_app",
                    "package_name": "id.kamar.app",
                    "sha256_cert_fingerprints": [FINGERPRINT],
                },
            }
        ]
    finally:
        await client.close()


@pytest.mark.parametrize(
    "settings",
    [
        {"KAMAR_ANDROID_PACKAGE": "kamar"},  # one part only
        {"KAMAR_ANDROID_PACKAGE": "id.kamar.app"},  # no fingerprint
        {"KAMAR_ANDROID_CERT_FINGERPRINTS": FINGERPRINT},  # no package
        {"KAMAR_ANDROID_PACKAGE": "id.kamar.app", "KAMAR_ANDROID_CERT_FINGERPRINTS": "AB:CD"},
    ],
)
def test_android_settings_that_cannot_work_are_refused(
    settings: dict[str, str], tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match="android"):
        load({"data_dir": tmp_path}, environ=settings)


def test_android_settings_come_from_the_environment(tmp_path: Path) -> None:
    config = load(
        {"data_dir": tmp_path},
        environ={
            "KAMAR_ANDROID_PACKAGE": "id.kamar.app",
            "KAMAR_ANDROID_CERT_FINGERPRINTS": f"{FINGERPRINT},{FINGERPRINT.replace('AB', 'CD')}",
        },
    )
    assert config.android_package == "id.kamar.app"
    assert len(config.android_cert_fingerprints) == 2
