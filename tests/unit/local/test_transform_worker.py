"""How a local batch transform splits, batches and assembles (mlops/local/transform_worker.py)."""

import pytest

from mlops.local.transform_worker import MB, TransformError, assemble, mini_batches, records


def test_line_split_keeps_every_non_blank_line_with_its_newline() -> None:
    assert records(b"h\n1\n\n2", "Line") == [b"h\n", b"1\n", b"2\n"]
    assert records(b"whole\nobject", "None") == [b"whole\nobject"]
    assert records(b"", "None") == []
    with pytest.raises(TransformError, match="RecordIO"):
        records(b"x", "RecordIO")


def test_multi_record_batches_stay_within_the_payload_limit() -> None:
    lines = [b"x" * (MB // 2 - 1) + b"\n"] * 5
    batches = list(mini_batches(lines, "MultiRecord", 1))
    assert [(first, count) for first, count, _ in batches] == [(0, 2), (2, 2), (4, 1)]
    assert all(len(body) <= MB for _, _, body in batches)
    assert [(f, c) for f, c, _ in mini_batches([b"a\n", b"b\n"], "MultiRecord", 0)] == [(0, 2)]  # 0: no limit
    assert [(f, c) for f, c, _ in mini_batches([b"a\n", b"b\n"], "SingleRecord", 6)] == [(0, 1), (1, 1)]


def test_a_record_over_the_limit_fails_the_job() -> None:
    with pytest.raises(TransformError, match="over MaxPayloadInMB"):
        list(mini_batches([b"x" * (MB + 1)], "SingleRecord", 1))


def test_line_assembly_ends_each_response_with_a_newline_and_skips_empty_ones() -> None:
    assert assemble([b"0.1\n0.2\n", b"", b"0.3"], "Line") == b"0.1\n0.2\n0.3\n"
    assert assemble([b"a", b"b"], "None") == b"ab"
