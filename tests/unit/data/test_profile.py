"""Statistics profiles: accuracy, fixed bins, merging across files."""

import io
import math

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from mlops.data import CategoricalProfile, DatasetProfile, DatetimeProfile, NumericProfile, ProfileMismatchError
from mlops.data.accumulators import merge_profiles
from mlops.data.profile import HISTOGRAM_BINS, QUANTILES
from mlops.data.sketch import RELATIVE_ACCURACY, QuantileSketch

from .helpers import dataset, run

SCHEMA = dataset(
    {"name": "declared", "dtype": "float", "min": 0, "max": 100},
    {"name": "free", "dtype": "float"},
    {"name": "count", "dtype": "integer"},
    {"name": "color", "dtype": "category"},
    {"name": "flag", "dtype": "boolean"},
    {"name": "when", "dtype": "datetime"},
)


def csv_of(rng: np.random.Generator, rows: int) -> bytes:
    table = pa.table(
        {
            "declared": pa.array(np.round(rng.uniform(0, 100, rows), 3)).cast(pa.string()),
            "free": pa.array(np.round(rng.lognormal(0, 2, rows) * rng.choice([-1, 1], rows), 6)).cast(pa.string()),
            "count": pa.array(rng.poisson(5, rows)).cast(pa.string()),
            "color": pa.array(rng.choice(["red", "green", "blue"], rows, p=[0.6, 0.3, 0.1])),
            "flag": pa.array(rng.choice(["true", "false"], rows)),
            "when": pa.array(
                [f"2024-0{m}-1{d}" for m, d in zip(rng.integers(1, 10, rows), rng.integers(0, 10, rows), strict=True)]
            ),
        }
    )
    sink = io.BytesIO()
    pacsv.write_csv(table, sink, write_options=pacsv.WriteOptions(quoting_style="needed"))
    return sink.getvalue()


def profile_of(data: bytes) -> DatasetProfile:
    report = run(data, SCHEMA)
    assert report.verdict == "accepted", report.errors
    assert report.profile is not None
    return report.profile


def numeric(profile: DatasetProfile, name: str) -> NumericProfile:
    column = profile.columns[name]
    assert isinstance(column, NumericProfile)
    return column


def test_quantiles_are_within_the_sketch_accuracy() -> None:
    rng = np.random.default_rng(1)
    values = rng.lognormal(0, 2, 20_000) * rng.choice([-1, 1], 20_000)
    sketch = QuantileSketch()
    sketch.update(values)
    estimates = sketch.quantiles(list(QUANTILES.values()))
    assert estimates is not None
    ordered = np.sort(values)
    for q, estimate in zip(QUANTILES.values(), estimates, strict=True):
        exact = ordered[math.floor(q * (len(values) - 1) + 0.5)]
        assert abs(estimate - exact) <= RELATIVE_ACCURACY * abs(exact) + 1e-12


def test_numeric_profile_statistics() -> None:
    rng = np.random.default_rng(2)
    data = csv_of(rng, 5_000)
    profile = profile_of(data)
    free = numeric(profile, "free")
    raw = pacsv.read_csv(io.BytesIO(data)).column("free").to_numpy()
    assert free.count == 5_000 and free.null_count == 0
    assert free.min == raw.min() and free.max == raw.max()
    assert free.mean == pytest.approx(raw.mean())
    assert free.std == pytest.approx(raw.std())
    assert free.quantiles is not None and list(free.quantiles) == list(QUANTILES)


def test_declared_bounds_give_exact_fixed_bins() -> None:
    profile = profile_of(csv_of(np.random.default_rng(3), 2_000))
    histogram = numeric(profile, "declared").histogram
    assert histogram is not None
    assert histogram.source == "declared" and histogram.exact
    assert histogram.edges == list(np.linspace(0, 100, HISTOGRAM_BINS + 1))
    assert sum(histogram.counts) + histogram.underflow + histogram.overflow == 2_000


def test_without_bounds_bins_span_the_observed_range() -> None:
    profile = profile_of(csv_of(np.random.default_rng(4), 2_000))
    histogram = numeric(profile, "free").histogram
    assert histogram is not None and histogram.source == "observed" and not histogram.exact
    assert histogram.edges[0] == numeric(profile, "free").min
    assert histogram.edges[-1] == numeric(profile, "free").max
    assert sum(histogram.counts) + histogram.underflow + histogram.overflow == 2_000


def test_a_reference_profile_fixes_the_bins_of_later_data() -> None:
    baseline = profile_of(csv_of(np.random.default_rng(5), 2_000))
    report = run(csv_of(np.random.default_rng(6), 500), SCHEMA, reference=baseline)
    assert report.profile is not None
    live = numeric(report.profile, "free").histogram
    reference = numeric(baseline, "free").histogram
    assert live is not None and reference is not None
    assert live.edges == reference.edges
    assert live.source == "reference" and live.exact
    assert sum(live.counts) + live.underflow + live.overflow == 500


def test_categorical_and_boolean_frequencies() -> None:
    profile = profile_of(b"declared,free,count,color,flag,when\n1,1,1,red,TRUE,2024-01-01\n2,2,2,blue,no,2024-01-02\n")
    color = profile.columns["color"]
    assert isinstance(color, CategoricalProfile)
    assert [(f.value, f.count) for f in color.frequencies] == [("red", 1), ("blue", 1)]
    flag = profile.columns["flag"]
    assert isinstance(flag, CategoricalProfile)
    assert {f.value: f.count for f in flag.frequencies} == {"true": 1, "false": 1}
    when = profile.columns["when"]
    assert isinstance(when, DatetimeProfile)
    assert (when.min, when.max) == ("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z")


def test_the_frequency_table_is_capped_with_an_other_count() -> None:
    schema = dataset({"name": "word", "dtype": "string"})
    words = [f"w{i}" for i in range(150)] * 2
    report = run(("word\n" + "\n".join(words) + "\n").encode(), schema, chunk_rows=40)
    assert report.profile is not None
    word = report.profile.columns["word"]
    assert isinstance(word, CategoricalProfile)
    assert [f.value for f in word.frequencies] == [f"w{i}" for i in range(word.max_values)]
    assert all(f.count == 2 for f in word.frequencies)
    assert word.other_count == 2 * (150 - word.max_values)


def test_profiles_of_parts_merge_into_the_profile_of_the_whole() -> None:
    rng = np.random.default_rng(7)
    whole = csv_of(rng, 3_000)
    header, *lines = whole.decode().splitlines(keepends=True)
    first = (header + "".join(lines[:1000])).encode()
    second = (header + "".join(lines[1000:])).encode()
    merged = merge_profiles(profile_of(first), profile_of(second))
    expected = profile_of(whole)
    assert merged.files == 2 and merged.rows == expected.rows == 3_000
    for name, column in expected.columns.items():
        got = merged.columns[name]
        if isinstance(column, NumericProfile):
            assert isinstance(got, NumericProfile)
            assert got.sketch == column.sketch
            assert (got.count, got.min, got.max) == (column.count, column.min, column.max)
            assert got.mean == pytest.approx(column.mean) and got.std == pytest.approx(column.std)
            assert got.quantiles == column.quantiles
            if column.histogram is not None and column.histogram.exact:
                assert got.histogram == column.histogram
            else:  # observed bins: re-derived from the merged sketch over the merged range
                assert got.histogram is not None and column.histogram is not None
                assert got.histogram.edges == column.histogram.edges
        else:
            assert got == column


def test_merging_profiles_of_different_schemas_is_refused() -> None:
    profile = profile_of(csv_of(np.random.default_rng(8), 50))
    other = profile.model_copy(update={"schema_hash": "0" * 64})
    with pytest.raises(ProfileMismatchError):
        merge_profiles(profile, other)


def test_profile_json_round_trips() -> None:
    profile = profile_of(csv_of(np.random.default_rng(9), 200))
    assert DatasetProfile.model_validate_json(profile.model_dump_json()) == profile
    assert profile.format == "mlops.profile/v1"
