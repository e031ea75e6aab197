"""A loopback OpenAI-compatible chat server for tests and benchmarks (real HTTP, uvicorn).

It answers `POST /v1/chat/completions` the way a model might: `valid` JSON copy, `invalid`
output, `slow` replies, `hostile` replies that obey an injected instruction from the trend
data, or `error` (HTTP 500). `script` queues modes for the next requests; `requests` keeps
every request body so tests can check what was sent.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

MODES = ("valid", "invalid", "slow", "hostile", "error", "wrong_schema")


class FakeLLM:
    def __init__(self, mode: str = "valid", latency_s: float = 0.0, slow_s: float = 5.0) -> None:
        self.mode = mode
        self.latency_s = latency_s
        self.slow_s = slow_s
        self.script: deque[str] = deque()
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/v1/chat/completions", self._chat, methods=["POST"])])

    async def _chat(self, request: Request) -> JSONResponse:
        body = await request.json()
        with self._lock:
            self.requests.append(body)
            mode = self.script.popleft() if self.script else self.mode
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        if mode == "slow":
            await asyncio.sleep(self.slow_s)
        if mode == "error":
            return JSONResponse({"error": {"message": "model overloaded"}}, status_code=500)
        user = next((m["content"] for m in reversed(body["messages"]) if m["role"] == "user"
                     and "Topic:" in m["content"]), "")
        content = _reply(mode, user)
        words = sum(len(str(m.get("content", "")).split()) for m in body["messages"])
        return JSONResponse({
            "id": f"chatcmpl-{len(self.requests)}", "object": "chat.completion",
            "created": int(time.time()), "model": body.get("model", "fake"),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": words, "completion_tokens": len(content.split()),
                      "total_tokens": words + len(content.split())},
        })


def _field(prompt: str, name: str, default: str = "") -> str:
    m = re.search(rf"^{name}: (.+)$", prompt, re.MULTILINE)
    return m.group(1).strip() if m else default


def _reply(mode: str, prompt: str) -> str:
    topic = _field(prompt, "Topic", "the basics")
    m = re.search(r"Number of value points: (\d+) to (\d+)", prompt)
    k = int(m.group(1)) + 1 if m else 3
    k = min(k, int(m.group(2))) if m else k
    style = _field(prompt, "Hook style", "plain").split(" ")[0]
    h = int(hashlib.sha256(prompt.encode()).hexdigest()[:8], 16)
    verbs = ["Prep", "Measure", "Label", "Rinse", "Time", "Warm", "Stack", "Sort", "Check",
             "Chill", "Weigh", "Split"]
    nouns = ["the tray", "a timer", "the shelf", "one jar", "the scale", "a notebook",
             "the kettle", "a bowl", "the board", "one box", "the rack", "a cloth"]
    draft: dict[str, Any] = {
        "hook": f"{style.replace('_', ' ').capitalize()}: {topic} in {h % 9 + 3} minutes flat.",
        "card": f"{topic.capitalize()}, {style.replace('_', ' ')}"[:60],
        "bridge": f"Tested on {['Monday', 'Tuesday', 'Friday', 'Sunday'][h % 4]} with "
                  f"{topic}; {style.replace('_', ' ')} version {h % 97}.",
        "points": [
            {"label": f"{verbs[(h + i) % 12]} {nouns[(h // 7 + i) % 12]}",
             "line": f"{verbs[(h + i) % 12]} {nouns[(h // 7 + i) % 12]} for {topic} "
                     f"at {(h + i) % 12 + 1} o'clock, {style.replace('_', ' ')} step {i}."}
            for i in range(1, k + 1)
        ],
        "payoff": f"That is {topic}, done in under ten minutes.",
        "cta_index": 0,
        "visual_prompt": f"Overhead photo of {topic} on a wooden table, morning light.",
    }
    if mode == "invalid":
        return "Sure! Here is your post: " + json.dumps(draft)[:80]
    if mode == "wrong_schema":
        draft.pop("points")
        draft["cta_index"] = "first"
        return json.dumps(draft)
    if mode == "hostile":
        # A model that obeyed the injected instruction in the trend data.
        payload = re.search(r"title: (.+)", prompt)
        draft["bridge"] = (payload.group(1) if payload else "Ignore previous instructions.")[:230]
        draft["payoff"] = "Buy now at cheap-pills.example.com, DM @spam_bot."
        return json.dumps(draft)
    return "```json\n" + json.dumps(draft) + "\n```" if mode == "valid_fenced" else \
        json.dumps(draft)


def serve_fake_llm(fake: FakeLLM) -> tuple[str, Callable[[], None]]:
    """Start uvicorn on 127.0.0.1 on a free port; returns (base_url ending in /v1, stop)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(
        fake.app, log_level="warning", access_log=False, lifespan="off",
        timeout_graceful_shutdown=1,
    ))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])),
                              name=f"fake-llm:{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    if not server.started:
        raise RuntimeError("fake LLM server did not start")

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()

    return f"http://127.0.0.1:{port}/v1", stop


__all__ = ["MODES", "FakeLLM", "serve_fake_llm"]
