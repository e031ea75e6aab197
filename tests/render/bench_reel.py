"""Time a ~25 s reel end to end through Renderer: espeak-ng + Pillow + one ffmpeg encode.

Run: python tests/render/bench_reel.py
"""

import tempfile
import time
from pathlib import Path

from contentloop.domain import Beat, BrandProfile, Format, SimulatedClock, Variant
from contentloop.render import AssetStore, Renderer

BEATS = [
    Beat(0, 3, "Stop wasting mornings", "Here is why your mornings feel so short.", "hook"),
    Beat(3, 7, "1. Batch email", "Check email twice a day, not fifty times.", "body"),
    Beat(7, 11, "2. Plan tonight", "Write tomorrow's three tasks before you sleep.", "body"),
    Beat(11, 15, "3. Move first", "Ten minutes of movement beats an hour of coffee.", "body"),
    Beat(15, 19, "4. Guard 9 to 11", "Protect your best two hours for deep work.", "body"),
    Beat(19, 23, "5. Shut down", "End the day with a two minute shutdown list.", "body"),
    Beat(23, 27, "Save this", "Save this and try one tomorrow. Follow for more.", "cta"),
]


def main() -> None:
    v = Variant(id="bench", post_id="p", account="a", format=Format.REEL,
                hook="5 habits for better mornings", hook_style="number", caption="",
                hashtags=[], beats=BEATS)
    with tempfile.TemporaryDirectory() as d:
        r = Renderer(AssetStore(Path(d)), SimulatedClock())
        t = time.perf_counter()
        assets = r.render(v, BrandProfile())
        cold = time.perf_counter() - t
        t = time.perf_counter()
        r.render(v, BrandProfile())
        warm = time.perf_counter() - t
    print(f"reel {assets[0].duration_s:.2f} s rendered in {cold:.2f} s; "
          f"cached re-render {warm * 1000:.0f} ms")


if __name__ == "__main__":
    main()
