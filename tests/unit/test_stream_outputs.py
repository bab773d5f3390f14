"""The worker's output queue: encoding, schema checks only where asked, and label routing."""

import orjson
import pytest

from services.common.catalog import load_catalog
from services.common.settings import Settings
from services.common.taxonomy_file import load_taxonomy
from services.domain.errors import SchemaError
from services.stream.outputs import Outputs

BROKEN = {"schema": "pagewire.ticker_row/1", "site": "timesca.com"}  # most required fields missing


def outputs(validate: bool) -> Outputs:
    return Outputs(load_catalog(""), load_taxonomy(), validate=validate)


def test_production_does_not_check_each_message_and_the_setting_turns_it_on() -> None:
    assert Settings.load({}).worker.validate_outputs is False
    assert Settings.load({"PAGEWIRE_WORKER_VALIDATE_OUTPUTS": "true"}).worker.validate_outputs is True

    quiet = outputs(validate=False)
    quiet.emit("ticker.rows", "timesca.com|KGS/USD", BROKEN, None)
    assert quiet.take() == [("ticker.rows", b"timesca.com|KGS/USD", orjson.dumps(BROKEN))]

    with pytest.raises(SchemaError, match=r"pagewire\.ticker_row/1"):
        outputs(validate=True).emit("ticker.rows", "timesca.com|KGS/USD", BROKEN, None)
