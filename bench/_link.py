"""A weak mobile link between the client and the sandbox, as a TCP proxy in a process of its own.

    python bench/_link.py TARGET_PORT KBIT_S RTT_MS LOSS SEED
    # prints {"port": N}; forwards 127.0.0.1:N -> 127.0.0.1:TARGET_PORT until stdin closes,
    # then prints {"up": bytes, "down": bytes} (TCP payload that crossed each way)

The kernel's ``netem`` would do this, but the machines this runs on have no
``sch_netem``; so the link is modelled where the bytes pass. Each direction is one
link shared by every connection: a segment (1448 bytes of payload plus 40 of TCP/IP
headers) leaves when the link is free, takes its size over the bandwidth to send,
and arrives half a round trip later. A lost segment (probability LOSS, seeded)
arrives one round trip later than it would have (found missing by duplicate
acknowledgements and sent again), and everything behind it on that connection waits
for it, as TCP delivers in order. A new connection's first byte waits one round trip
(the handshake). Not modelled: the congestion window's shrinking after a loss, and
acknowledgements' own bytes on the opposite link (about 1.4% of it).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import threading
import time
from dataclasses import dataclass

MSS = 1448
HEADERS = 40


@dataclass
class Link:
    """One direction of the link: when it is next free to send."""

    bytes_per_second: float
    one_way: float
    loss: float
    rng: random.Random
    free_at: float = 0.0
    carried: int = 0

    def arrivals(self, data: bytes, after: float) -> list[tuple[float, bytes]]:
        """When each segment of ``data`` reaches the other end (in order, not before ``after``)."""
        now = time.monotonic()
        out = []
        for start in range(0, len(data), MSS):
            segment = data[start : start + MSS]
            self.free_at = max(self.free_at, now) + (len(segment) + HEADERS) / self.bytes_per_second
            arrival = self.free_at + self.one_way
            if self.rng.random() < self.loss:
                arrival += 2 * self.one_way
            after = max(after, arrival)
            out.append((after, segment))
            self.carried += len(segment)
        return out


async def pump(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, link: Link, opened: float
) -> None:
    queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()

    async def deliver() -> None:
        while (item := await queue.get()) is not None:
            due, segment = item
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            writer.write(segment)
            await writer.drain()
        writer.close()

    delivering = asyncio.create_task(deliver())
    last = opened + 2 * link.one_way  # the handshake's round trip
    try:
        while data := await reader.read(65536):
            for item in link.arrivals(data, last):
                last = item[0]
                queue.put_nowait(item)
    except ConnectionError:
        pass
    queue.put_nowait(None)
    await delivering


async def serve(target: int, up: Link, down: Link, ready: threading.Event) -> None:
    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        opened = time.monotonic()
        server_r, server_w = await asyncio.open_connection("127.0.0.1", target)
        await asyncio.gather(
            pump(client_r, server_w, up, opened),
            pump(server_r, client_w, down, opened),
            return_exceptions=True,
        )

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(json.dumps({"port": port}), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    threading.Thread(target=lambda: (sys.stdin.read(), loop.call_soon_threadsafe(stop.set))).start()
    await stop.wait()
    print(json.dumps({"up": up.carried, "down": down.carried}), flush=True)
    os._exit(0)  # connections the client left open end with the process, without teardown noise


def main() -> None:
    target, kbit, rtt_ms, loss, seed = sys.argv[1:6]
    rng = random.Random(int(seed))
    rate = int(kbit) * 1000 / 8
    one_way = int(rtt_ms) / 2000
    up = Link(rate, one_way, float(loss), rng)
    down = Link(rate, one_way, float(loss), rng)
    asyncio.run(serve(int(target), up, down, threading.Event()))


if __name__ == "__main__":
    main()
