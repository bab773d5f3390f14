"""The golden corpus through the snapshot stage in process gives the very checksums the real worker gives."""

from tests.support import golden
from tests.support.stages import handle, stages


def test_the_golden_corpus_in_process_gives_the_committed_checksum_on_every_topic() -> None:
    outputs = handle(stages(), golden.corpus())

    assert golden.checksums(outputs) == golden.committed()
