"""A one-agent Faust worker on pagewire's app factory: reads <prefix>echo.in, writes <prefix>echo.out.

Run by tests/integration/test_faust_agent.py as a real worker process against the real broker.
"""

from typing import Any

from services.common.settings import Settings
from services.stream.app import make_app

settings = Settings.load()
app = make_app(settings)
source = app.topic(settings.kafka.topic_prefix + "echo.in", value_serializer="raw", key_serializer="raw")
sink = app.topic(settings.kafka.topic_prefix + "echo.out", value_serializer="raw", key_serializer="raw")


@app.agent(source)
async def shout(stream: Any) -> None:
    async for key, value in stream.items():
        await sink.send(key=key, value=value.upper())


if __name__ == "__main__":
    app.main()
