"""The aiokafka internals pagewire relies on, exactly: an upgrade that changes one fails here, loudly.

pyproject.toml pins aiokafka to the version these pass on. services/common/kafka.py (stop_producer) points
here; tests/reliability/test_broker_restart.py checks its behaviour on a real broker killed -9.
"""

import inspect
from importlib.metadata import version

from aiokafka import AIOKafkaProducer
from aiokafka.producer import sender
from aiokafka.producer.message_accumulator import MessageAccumulator, MessageBatch
from aiokafka.producer.sender import Sender

PINNED = "0.14.0"


def test_the_installed_aiokafka_is_the_pinned_one() -> None:
    assert version("aiokafka") == PINNED


async def test_what_stop_producer_reaches_into() -> None:
    client = AIOKafkaProducer(bootstrap_servers="127.0.0.1:9", enable_idempotence=True)
    try:
        # the sender, stopped first as stop() does: close() cancels its task; in-flight batches go back
        assert isinstance(client._sender, Sender)
        assert "self._sender_task.cancel()" in inspect.getsource(Sender.close)
        assert "self._sender._message_accumulator.reenqueue(batch)" in inspect.getsource(sender)
        # the batches it holds, per partition and in flight, and how they are failed
        accumulator = client._message_accumulator
        assert isinstance(accumulator, MessageAccumulator)
        assert isinstance(accumulator._batches, dict) and isinstance(accumulator._pending_batches, set)
        assert "collections.defaultdict(collections.deque)" in inspect.getsource(MessageAccumulator.__init__)
        assert list(inspect.signature(accumulator.fail_all).parameters) == ["exception"]
        # a batch sent once gets a callback that takes it out of the in-flight set when it completes
        assert "self._pending_batches.remove(batch)" in inspect.getsource(MessageAccumulator._pop_batch)
        assert "self._drain_waiter.set_exception(exception)" in inspect.getsource(MessageBatch.failure)
        # an idempotent producer's batches never expire while their partition has a leader: why it exists
        assert "self._sender._txn_manager is None and batch.expired()" in inspect.getsource(sender)
    finally:
        await client.stop()
