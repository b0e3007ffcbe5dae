"""Screen sharing with real Chromium pages: a speaker shares a screen, a viewer decodes it in a
tile of its own beside the speaker's camera, shown large; stopping the share (by the button,
or by the browser's own "stop sharing") removes that tile again.

Headless Chromium cannot capture a real screen, so an init script replaces
`navigator.mediaDevices.getDisplayMedia` with a canvas `captureStream()` of a moving 1280x720
picture (a fake "slide"); everything after it (the second publish connection, the SFU, the
viewer's decoder) is real. Every wait polls with a deadline."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from tests.conftest import RunningServer, eventually
from tests.whole.browser.test_three_browsers import participant_id, stats

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]

WAIT_MS = 10_000
SCREEN_WIDTH, SCREEN_HEIGHT = 1280, 720

# Before any page script: a fake getDisplayMedia (see the module docstring) and a spy on the
# signalling messages the page sends.
FAKE_SCREEN = """((width, height) => {
  window.kamarSpy = { sent: [], getDisplayMedia: 0, track: null };
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    try { window.kamarSpy.sent.push(JSON.parse(data)); } catch (e) {}
    return send.call(this, data);
  };
  if (!navigator.mediaDevices) return;
  navigator.mediaDevices.getDisplayMedia = async () => {
    window.kamarSpy.getDisplayMedia += 1;
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext("2d");
    let frame = 0;
    const draw = () => {
      frame += 1;
      context.fillStyle = "#1d3557";
      context.fillRect(0, 0, width, height);
      context.fillStyle = "#f1faee";
      context.font = "64px sans-serif";
      context.fillText(`Slide ${frame}`, 80, 160);
      context.fillStyle = "#e63946";
      context.fillRect((frame * 24) % width, height / 2, 160, 160);
    };
    draw();
    const timer = setInterval(draw, 50);
    const stream = canvas.captureStream(20);
    const [track] = stream.getVideoTracks();
    track.addEventListener("ended", () => clearInterval(timer));
    window.kamarSpy.track = track;
    return stream;
  };
})(WIDTH, HEIGHT);""".replace("WIDTH", str(SCREEN_WIDTH)).replace("HEIGHT", str(SCREEN_HEIGHT))

# What the browser does when its own "stop sharing" bar is used: the track ends.
BROWSER_STOPS_SHARING = """() => {
  const track = window.kamarSpy.track;
  track.stop();
  track.dispatchEvent(new Event("ended"));
}"""


class Member:
    """One browser page in the meeting, with the errors its scripts threw."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.id = ""

    async def close(self) -> None:
        assert self.errors == [], self.errors
        await self.page.context.close()


async def join(
    browser: Browser, kamar: RunningServer, room: str, name: str, role: str, **context: Any
) -> Member:
    context_ = await browser.new_context(viewport={"width": 1280, "height": 800}, **context)
    member = Member(await context_.new_page())
    await member.page.add_init_script(FAKE_SCREEN)
    token = kamar.token(
        room, identity=name.lower(), name=name, role=role, can_publish=role != "audience"
    )
    await member.page.goto(f"{kamar.base_url}/r/{room}?token={token}")
    await member.page.wait_for_function(
        "() => window.kamarDebug && window.kamarDebug.state.phase === 'joined'"
    )
    member.id = await participant_id(member.page)
    return member


async def sent(page: Page, kind: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = await page.evaluate("window.kamarSpy.sent")
    return [message for message in messages if message.get("type") == kind]


async def decodes(page: Page, sender: str, source: str, frames: int = 0, width: int = 0) -> bool:
    entry = (await stats(page)).get(sender)
    if not entry:
        return False
    video = entry["video" if source == "camera" else "screen"]
    return bool(video["framesDecoded"] > frames and video["frameWidth"] >= width)


async def screen_tile_is_large(page: Page, sender: str, stage: bool) -> bool:
    """On a stage the share is the main tile; in a grid it is the first tile, full width."""
    return bool(
        await page.evaluate(
            """([sender, stage]) => {
          const screen = document.querySelector(`.tile.screen[data-participant-id='${sender}']`);
          if (!screen) return false;
          if (stage) return screen.classList.contains("main");
          const box = screen.getBoundingClientRect();
          return [...document.querySelectorAll(".tile:not(.screen)")].every((tile) => {
            const camera = tile.getBoundingClientRect();
            return camera.top >= box.bottom - 1 && box.width > 1.5 * camera.width;
          });
        }""",
            [sender, stage],
        )
    )


async def screen_flag(member: Member, sender: str) -> bool | None:
    """The `screen` field of `sender`'s Participant object, as `member`'s client last got it."""
    flag: bool | None = await member.page.evaluate(
        "(id) => (window.kamarDebug.client.participants.get(id) || { screen: null }).screen",
        sender,
    )
    return flag


async def shares_screen(member: Member, sender: str) -> bool:
    return await screen_flag(member, sender) is True


@pytest.mark.parametrize("viewer_role", ["speaker", "audience"])
async def test_a_speaker_shares_the_screen_and_the_viewer_sees_it_large(
    kamar: RunningServer, chromium: Browser, viewer_role: str
) -> None:
    room = f"layar-{viewer_role}"
    siti = await join(chromium, kamar, room, "Siti", "speaker")
    # The audience in Indonesian: the town-hall stage layout, labels in Indonesian.
    extra = {"locale": "id-ID"} if viewer_role == "audience" else {}
    budi = await join(chromium, kamar, room, "Budi", viewer_role, **extra)
    speaker, viewer = siti.page, budi.page
    stage = viewer_role == "audience"
    screen_tile = f".tile.screen[data-participant-id='{siti.id}']"

    await eventually(partial(decodes, viewer, siti.id, "camera"), what="Siti's camera")
    assert await screen_flag(budi, siti.id) is False
    # Speakers get a button; the audience, who may not publish, does not.
    assert await viewer.locator("#btn-screen").is_visible() is (viewer_role == "speaker")

    # Siti shares: a second publish connection; Budi decodes the screen at its full size in a
    # tile of its own, shown large, and keeps receiving her camera.
    await speaker.click("#btn-screen")
    await speaker.wait_for_selector("#btn-screen[aria-pressed='true']", timeout=WAIT_MS)
    await speaker.wait_for_selector(".tile.screen.own", timeout=WAIT_MS)  # her own preview
    (offer,) = [m for m in await sent(speaker, "publish_offer") if m.get("source") == "screen"]
    assert offer["sdp"].count("m=video") == 1 and "m=audio" not in offer["sdp"]
    await eventually(
        partial(decodes, viewer, siti.id, "screen", width=SCREEN_WIDTH),
        what="Siti's screen at 1280 pixels wide",
    )
    await viewer.wait_for_selector(screen_tile, timeout=WAIT_MS)
    await eventually(partial(shares_screen, budi, siti.id), what="Siti's participant with screen")
    label = "Siti · layar" if stage else "Siti · screen"
    assert await viewer.inner_text(f"{screen_tile} .name") == label
    await eventually(partial(screen_tile_is_large, viewer, siti.id, stage), what="a large screen")
    camera_frames = (await stats(viewer))[siti.id]["video"]["framesDecoded"]
    await eventually(
        partial(decodes, viewer, siti.id, "camera", frames=camera_frames + 3),
        what="Siti's camera beside her screen",
    )
    # The viewer reports the screen tile's size for the screen, not for the camera.
    sizes = await sent(viewer, "video_size")
    assert any(m.get("source") == "screen" and m["participant_id"] == siti.id for m in sizes)

    # Siti stops: unpublish, the capture ends, Budi's screen tile goes; her camera stays.
    await speaker.click("#btn-screen")
    await viewer.wait_for_selector(screen_tile, state="detached", timeout=WAIT_MS)
    assert await sent(speaker, "unpublish") == [{"type": "unpublish", "source": "screen"}]
    assert await speaker.evaluate("window.kamarSpy.track.readyState") == "ended"
    assert await speaker.locator(".tile.screen").count() == 0
    assert await viewer.locator(f".tile[data-participant-id='{siti.id}']").count() == 1
    assert await screen_flag(budi, siti.id) is False

    # She shares again, and this time ends it with the browser's own "stop sharing".
    await speaker.click("#btn-screen")
    await viewer.wait_for_selector(screen_tile, timeout=WAIT_MS)
    frames = (await stats(viewer))[siti.id]["screen"]["framesDecoded"]
    await eventually(partial(decodes, viewer, siti.id, "screen", frames=frames), what="new share")
    await speaker.evaluate(BROWSER_STOPS_SHARING)
    await viewer.wait_for_selector(screen_tile, state="detached", timeout=WAIT_MS)
    await speaker.wait_for_selector("#btn-screen[aria-pressed='false']", timeout=WAIT_MS)
    assert len(await sent(speaker, "unpublish")) == 2

    for member in (siti, budi):
        await member.close()


async def test_a_share_ends_when_its_speaker_goes_back_to_the_audience_or_leaves(
    kamar: RunningServer, chromium: Browser
) -> None:
    room = "layar-panggung"
    ketua = await join(chromium, kamar, room, "Ketua", "moderator")
    ani = await join(chromium, kamar, room, "Ani", "speaker")
    warga = await join(chromium, kamar, room, "Warga", "audience")

    # Ani shares; the moderator sends her back to the audience: the server ends her share
    # (no unpublish from her page), her capture stops and her button goes.
    await ani.page.click("#btn-screen")
    ani_screen = f".tile.screen[data-participant-id='{ani.id}']"
    await warga.page.wait_for_selector(f"{ani_screen}.main", timeout=WAIT_MS)
    await ketua.page.evaluate("(id) => window.kamarDebug.client.setRole(id, 'audience')", ani.id)
    await warga.page.wait_for_selector(ani_screen, state="detached", timeout=WAIT_MS)
    await ani.page.wait_for_function(
        "() => window.kamarSpy.track.readyState === 'ended' && !window.kamarDebug.client.screenPc",
        timeout=WAIT_MS,
    )
    assert await ani.page.locator("#btn-screen").is_hidden()
    assert await ani.page.locator(".tile.screen").count() == 0
    assert await sent(ani.page, "unpublish") == []

    # The moderator shares and leaves: the share goes with him.
    await ketua.page.click("#btn-screen")
    ketua_screen = f".tile.screen[data-participant-id='{ketua.id}']"
    for member in (ani, warga):
        await member.page.wait_for_selector(f"{ketua_screen}.main", timeout=WAIT_MS)
    await ketua.page.click("#btn-leave")
    assert await ketua.page.evaluate("window.kamarSpy.track.readyState") == "ended"
    for member in (ani, warga):
        await member.page.wait_for_selector(ketua_screen, state="detached", timeout=WAIT_MS)

    for member in (ketua, ani, warga):
        await member.close()
