"""The cluster id `pagewire kafka up` formats storage with: Kafka's form, never one read as an option."""

import base64

from services.localkafka.host import kafka_cluster_id


def test_an_id_starting_with_a_dash_is_drawn_again() -> None:
    draws = iter([b"\xf8" + bytes(15), bytes(range(16))])  # 0xf8... encodes as "-A..."

    cluster_id = kafka_cluster_id(lambda size: next(draws))

    assert cluster_id == "AAECAwQFBgcICQoLDA0ODw"
    assert base64.urlsafe_b64decode(cluster_id + "==") == bytes(range(16))


def test_ids_are_22_url_safe_characters() -> None:
    ids = {kafka_cluster_id() for _ in range(200)}

    assert len(ids) == 200
    assert all(len(found) == 22 and not found.startswith("-") for found in ids)
    assert all(
        set(found) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") for found in ids
    )
