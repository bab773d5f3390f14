"""The faust-streaming internals pagewire relies on, exactly: an upgrade that changes one fails here, loudly.

pyproject.toml pins faust-streaming to the version these pass on. Each use in services/stream carries a
comment pointing here; tests/unit/test_stream_changelog.py and test_stream_app.py check their behaviour
over the real memory and RocksDB stores and the real producer class.
"""

import inspect
from importlib.metadata import version

import faust
import mode
from faust.assignor import PartitionAssignor
from faust.stores import memory, rocksdb
from faust.tables.manager import TableManager
from faust.tables.recovery import Recovery
from faust.transport.drivers import aiokafka as faust_aiokafka

PINNED = "0.15.3"


def parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


def test_the_installed_faust_is_the_pinned_one() -> None:
    assert version("faust-streaming") == PINNED


def test_the_producer_hooks_of_the_idempotent_transport() -> None:
    # services/stream/app.py: IdempotentTransport.Producer, IdempotentProducer._settings_extra and flush
    assert faust_aiokafka.Transport.Producer is faust_aiokafka.Producer
    assert parameters(faust_aiokafka.Producer._settings_extra) == ["self"]
    assert parameters(faust_aiokafka.Producer.flush) == ["self"]
    # IdempotentProducer.create_topic: how Faust declares its changelog topics, through the producer
    create_topic = faust_aiokafka.Producer.create_topic
    assert parameters(create_topic)[:4] == ["self", "topic", "partitions", "replication"]
    assert "await producer.client.force_metadata_update()" in inspect.getsource(create_topic)


def test_the_consumer_seek_the_transport_overrides() -> None:
    # services/stream/app.py: IdempotentTransport.Consumer, SeekingConsumer.perform_seek and the flow calls
    assert faust_aiokafka.Transport.Consumer is faust_aiokafka.Consumer
    assert parameters(faust_aiokafka.Consumer.perform_seek) == ["self"]
    assert parameters(faust_aiokafka.Consumer.stop_flow) == ["self"]
    assert parameters(faust_aiokafka.Consumer.resume_flow) == ["self"]
    assert "flow_active" in inspect.getsource(faust_aiokafka.Consumer.stop_flow)
    # SeekingConsumer.seek_to_committed: what perform_seek, and getmany once the flow stopped, seek with;
    # it runs rewind_to_committed on the consumer thread, as Faust's runs aiokafka's
    from faust.transport.consumer import Consumer as BaseConsumer

    assert "self.seek_to_committed()" in inspect.getsource(BaseConsumer.perform_seek)
    assert "await self.perform_seek()" in inspect.getsource(BaseConsumer.getmany)
    assert parameters(faust_aiokafka.Consumer.seek_to_committed) == ["self"]
    assert "_thread.seek_to_committed()" in inspect.getsource(faust_aiokafka.Consumer.seek_to_committed)
    source = inspect.getsource(faust_aiokafka.AIOKafkaConsumerThread.seek_to_committed)
    assert "self.call_thread(self._ensure_consumer().seek_to_committed)" in source


def test_recovery_still_resumes_the_streams_before_it_seeks() -> None:
    # why SeekingConsumer stops the flow for the seek: when this fails, faust-streaming seeks first and the
    # override may go (the crash suite says whether it is still needed)
    source = inspect.getsource(Recovery.on_recovery_completed)
    assert source.index("consumer.resume_partitions(") < source.index("consumer.perform_seek()")


def test_the_producer_send_takes_its_arguments_in_this_order() -> None:
    # services/stream/outputs.py (Outputs.send_queued) and changelog.py (HeldTable.send) call it positionally
    assert parameters(faust_aiokafka.Producer.send)[:7] == [
        "self",
        "topic",
        "key",
        "value",
        "partition",
        "timestamp",
        "headers",
    ]


def test_the_table_internals_the_held_changelog_uses() -> None:
    # services/stream/changelog.py: a faust.Table subclass made by hand and registered with the app
    assert {"beacon", "add"} <= set(dir(TableManager))
    assert parameters(faust.Table.on_changelog_event) == ["self", "event"]
    assert parameters(faust.Table.partition_for_key) == ["self", "key"]
    assert parameters(faust.Table._to_key) == ["self", "k"]
    assert parameters(faust.Table._to_value) == ["self", "v"]
    assert {"changelog_topic", "data"} <= set(dir(faust.Table))


def test_the_stores_apply_a_changelog_batch_reading_only_what_a_held_record_carries() -> None:
    # services/stream/changelog.py: HeldTable.acknowledged hands ChangelogRecords to apply_changelog_batch
    for store in (memory.Store, rocksdb.Store):
        assert parameters(store.apply_changelog_batch) == ["self", "batch", "to_key", "to_value"]
    source = inspect.getsource(rocksdb.Store.apply_changelog_batch)
    assert "event.message.tp, event.message.offset" in source


def test_the_assignor_and_worker_attributes() -> None:
    # services/stream/changelog.py and topology.py: the partitions this worker owns
    assert parameters(PartitionAssignor.assigned_actives) == ["self"]
    # topology.py consumer_knows: the aiokafka consumer behind Faust's consumer thread
    assert "_consumer" in inspect.getsource(faust_aiokafka.AIOKafkaConsumerThread.__init__) or hasattr(
        faust_aiokafka.AIOKafkaConsumerThread, "_consumer"
    )
    assert "_thread" in inspect.getsource(faust_aiokafka.Consumer)
    # topology.py and lag.py: the standby partitions and how far their copies have read
    assert parameters(PartitionAssignor.assigned_standbys) == ["self"]
    assert isinstance(TableManager.recovery, property)
    assert {"standby_tps", "standby_offsets"} <= set(Recovery.__annotations__)
    # lag.py standby_lag_records: a standby copy with no offset stored reads None until its first record
    assert "offsets.setdefault(tp, None)" in inspect.getsource(Recovery._add)
    # services/stream/runtime.py: the terminal spinner is switched off on the worker
    assert "spinner" in faust.Worker.__annotations__
    # runtime.py DeadlineWorker: the signal handlers of mode's worker schedule the stop here
    assert parameters(faust.Worker._schedule_shutdown) == ["self", "signal"]
    assert "self._schedule_shutdown(signal.SIGTERM)" in inspect.getsource(mode.Worker._on_sigterm)
    source = inspect.getsource(mode.Worker.execute_from_commandline)
    assert source.index("self.on_worker_shutdown()") < source.index("self.stop_and_shutdown()")


def test_a_stream_takes_its_events_from_its_channels_queue() -> None:
    # services/stream/topology.py: the snapshot agent sends its batch once stream.channel.queue is empty
    from faust.channels import Channel
    from faust.streams import Stream

    assert isinstance(inspect.getattr_static(Channel, "queue"), property)
    assert "chan.queue" in inspect.getsource(Stream._py_aiter)
    assert parameters(Channel.queue.fget) == ["self"]
