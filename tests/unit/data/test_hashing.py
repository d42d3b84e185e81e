import hashlib
import io

from mlops.config import DatasetConfig
from mlops.data import schema_hash, sha256_stream

from .helpers import dataset

BASE = dataset(
    {"name": "id", "dtype": "string", "unique": True, "description": "the key"},
    {"name": "x", "dtype": "float", "min": 0, "max": float("inf")},
    description="v1",
)


def test_schema_hash_is_a_stable_sha256_hex() -> None:
    digest = schema_hash(BASE)
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert schema_hash(DatasetConfig.model_validate(BASE.model_dump())) == digest


def test_descriptions_do_not_change_the_schema_hash() -> None:
    columns = [c.model_copy(update={"description": "changed"}) for c in BASE.columns]
    assert schema_hash(BASE.model_copy(update={"description": "v2", "columns": columns})) == schema_hash(BASE)


def test_every_constraint_changes_the_schema_hash() -> None:
    variants = [
        BASE.model_copy(update={"allow_extra_columns": True}),
        BASE.model_copy(update={"row_count": BASE.row_count.model_copy(update={"max": 10})}),
        BASE.model_copy(update={"columns": [BASE.columns[0].model_copy(update={"unique": False}), BASE.columns[1]]}),
        BASE.model_copy(update={"columns": [BASE.columns[0], BASE.columns[1].model_copy(update={"max": 5.0})]}),
        BASE.model_copy(update={"columns": list(reversed(BASE.columns))}),
    ]
    hashes = {schema_hash(v) for v in variants} | {schema_hash(BASE)}
    assert len(hashes) == len(variants) + 1


def test_sha256_stream_hashes_and_counts_everything_left() -> None:
    data = bytes(range(256)) * 10_000
    assert sha256_stream(io.BytesIO(data), chunk=4096) == (hashlib.sha256(data).hexdigest(), len(data))
    assert sha256_stream(io.BytesIO(b"")) == (hashlib.sha256(b"").hexdigest(), 0)
