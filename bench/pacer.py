"""Open-loop paced producer, run as its own process: snapshot i is due at t0 + i / rate, whatever happens.

`python -m bench.pacer --topic T --start S --count N --rate R [--seed K]` builds its N records first,
then sends each at its intended time (late ones at once, never skipped or slowed down), waits for every
ack and prints one JSON line: t0 (wall clock, the harness times outputs against t0 + i / rate), how late
the sends were, and how many were acknowledged.
"""

import argparse
import asyncio
import time

import orjson

from bench.corpus import Corpus
from services.common.kafka import producer
from services.common.settings import Settings


async def pace(topic: str, start: int, count: int, rate: float, seed: int) -> dict[str, float]:
    corpus = Corpus(seed)
    messages = [corpus.message(index) for index in range(start, start + count)]
    client = producer(Settings.load().kafka)
    await client.start()
    lateness: list[float] = []
    acks = []
    try:
        t0 = time.time() + 0.2
        for position, message in enumerate(messages):
            due = t0 + position / rate
            wait = due - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
            lateness.append(max(0.0, time.time() - due))
            acks.append(
                await client.send(topic, message.value, key=message.key, headers=list(message.headers))
            )
        sent_seconds = time.time() - t0
        await asyncio.gather(*acks)
    finally:
        await client.stop()
    lateness.sort()
    return {
        "t0": t0,
        "sent": len(acks),
        "send_seconds": round(sent_seconds, 3),
        "send_late_p99_ms": round(1000 * lateness[int(0.99 * (len(lateness) - 1))], 2),
        "send_late_max_ms": round(1000 * lateness[-1], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Send seed-like snapshots at a fixed rate.")
    parser.add_argument("--topic", required=True)
    parser.add_argument("--start", type=int, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    result = asyncio.run(pace(args.topic, args.start, args.count, args.rate, args.seed))
    print(orjson.dumps(result).decode(), flush=True)


if __name__ == "__main__":
    main()
