"""S3 behaviour our flows rely on that moto 5.2.5 lacks.

- Conditional CopyObject: S3 refuses a copy with `If-None-Match: *` whose destination key
  exists (412 PreconditionFailed); moto copies over it. Ingestion stores every accepted object
  once under its content-addressed key with exactly that condition (mlops/adapters/s3.py), so
  the local cloud must refuse the same way, or an overwrite could pass unnoticed here.
"""

from __future__ import annotations

import functools
from typing import Any

from mlops.local.plugins._contract import require, run_once


@run_once
def install() -> None:
    _conditional_copy()


def _conditional_copy() -> None:
    response_class = require("moto.s3.responses", "S3Response")
    precondition_failed = require("moto.s3.exceptions", "PreconditionFailed")
    original = require("moto.s3.responses", "S3Response.copy_object")

    @functools.wraps(original)
    def copy_object(self: Any) -> Any:
        if self.headers.get("If-None-Match") == "*":
            bucket = self.backend.get_bucket(self.bucket_name)
            key_name = self.parse_key_name()
            if bucket.keys.get(key_name) is not None:
                raise precondition_failed("If-None-Match")
        return original(self)

    response_class.copy_object = copy_object
