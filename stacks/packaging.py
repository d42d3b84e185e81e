"""Stage a Lambda asset without Docker: the handler package plus our `mlops` package.

Third-party dependencies come from AWS-managed layers (Powertools: pydantic, aws-xray-sdk;
SDK for pandas: pandas, numpy, pyarrow), so synth needs no network and no pip. The resolved
project config of the environment is shipped inside the asset as `project_config.json`:
Lambda environment variables are capped at 4 KB, a dataset schema is not.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
#: what every function's packaged config keeps: identity and the sections a valid config
#: requires. Every other section is shipped only to the functions that read it, so editing,
#: say, `deployment:` or `drift:` changes no training or ingestion function's asset (and so
#: redeploys none of them).
ALWAYS_PACKAGED = frozenset({"project", "environment", "cost_center", "datasets", "quality_gate"})
#: parts of `mlops` that never run inside a Lambda (and import CLI/emulator-only packages)
EXCLUDED_MLOPS_PACKAGES = frozenset({"cli", "local"})
CONFIG_FILE_NAME = "project_config.json"


def _python_sources(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def asset_files(function_name: str, repo_root: Path = REPO_ROOT) -> dict[str, Path]:
    """Map of path-inside-the-asset -> source file, for one function."""
    handler_dir = repo_root / "functions" / function_name
    if not (handler_dir / "handler.py").is_file():
        raise FileNotFoundError(f"no handler at {handler_dir / 'handler.py'}")
    files: dict[str, Path] = {"functions/__init__.py": repo_root / "functions" / "__init__.py"}
    for source in _python_sources(handler_dir):
        files[source.relative_to(repo_root).as_posix()] = source
    mlops_root = repo_root / "mlops"
    for source in _python_sources(mlops_root):
        relative = source.relative_to(mlops_root)
        if relative.parts[0] in EXCLUDED_MLOPS_PACKAGES:
            continue
        files[source.relative_to(repo_root).as_posix()] = source
    return files


def function_config(config_json: str, sections: frozenset[str]) -> str:
    """The part of the resolved config one function reads (the rest takes its defaults when the
    function loads it); canonical JSON, so equal parts give equal asset hashes."""
    document = json.loads(config_json)
    unknown = sections - document.keys()
    if unknown:
        raise ValueError(f"no config sections {sorted(unknown)}; known: {sorted(document)}")
    kept = {key: value for key, value in document.items() if key in ALWAYS_PACKAGED | sections}
    return json.dumps(kept, sort_keys=True, separators=(",", ":"))


def stage(function_name: str, config_json: str, build_root: Path, repo_root: Path = REPO_ROOT) -> Path:
    """Write the asset directory for `function_name` and return it.

    The directory name is a content hash, so two environments or two versions of the code
    never share (or race on) a staging directory, and re-staging the same inputs is a no-op.
    """
    files = asset_files(function_name, repo_root)
    digest = hashlib.sha256()
    for relative, source in sorted(files.items()):
        digest.update(relative.encode())
        digest.update(source.read_bytes())
    digest.update(config_json.encode())
    target = build_root / f"{function_name}-{digest.hexdigest()[:16]}"
    if target.is_dir():
        target.touch()  # recently used: kept by prune()
        prune(function_name, build_root)
        return target
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    for relative, source in files.items():
        destination = tmp / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
    (tmp / CONFIG_FILE_NAME).write_text(config_json, encoding="utf-8")
    tmp.rename(target)
    prune(function_name, build_root)
    return target


#: staged directories kept per function: every environment and config a session synthesizes
#: in a row (dev, prod, a test's variant) stays, older code versions go
STAGED_KEPT = 8


def prune(function_name: str, build_root: Path, keep: int = STAGED_KEPT) -> list[Path]:
    """Remove all but the `keep` most recently staged directories of `function_name` (or
    `sourcedir`). CDK copies an asset into the cloud assembly at synth, so an older staging
    directory is never read again. Returns what was removed."""
    pattern = re.compile(rf"^{re.escape(function_name)}-[0-9a-f]{{16}}$")
    staged = [p for p in build_root.iterdir() if p.is_dir() and pattern.match(p.name)] if build_root.is_dir() else []
    staged.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    removed = staged[keep:]
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed


def source_archive(source_dir: Path, build_root: Path) -> Path:
    """`sourcedir.tar.gz` of a training code directory, byte-for-byte reproducible (sorted
    entries, zero mtimes and owners, no gzip timestamp) so its asset hash is the code version.

    SageMaker framework containers unpack a tar.gz `sagemaker_submit_directory`, not the zip
    CDK makes of a directory asset."""
    import gzip
    import io
    import tarfile

    sources = _python_sources(source_dir)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for source in sources:
            data = source.read_bytes()
            info = tarfile.TarInfo(source.relative_to(source_dir).as_posix())
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            archive.addfile(info, io.BytesIO(data))
    compressed = gzip.compress(buffer.getvalue(), mtime=0)
    digest = hashlib.sha256(compressed).hexdigest()[:16]
    target = build_root / f"sourcedir-{digest}" / "sourcedir.tar.gz"
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_bytes(compressed)
        tmp.rename(target)
    target.parent.touch()
    prune("sourcedir", build_root)
    return target
