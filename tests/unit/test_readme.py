"""The README is the first thing a user runs: its diagram must render and its commands must not
litter the checkout."""

import re
from pathlib import Path

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
#: `ID[...]`, `ID((...))`, `ID{{...}}`, `ID[/.../]`, `ID[[...]]`, `ID[(...)]`: a node with its label
_DEFINED = re.compile(r"\b([A-Za-z][A-Za-z0-9_]*)\s*(?:\[|\(|\{)")
_EDGE = re.compile(r"(?:-->|-\.->|==>|---)\s*(?:\|[^|]*\|\s*)?([A-Za-z][A-Za-z0-9_]*)\b")
_SOURCE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)\s*(?:--|-\.|==)")


def _mermaid_blocks() -> list[str]:
    return re.findall(r"```mermaid\n(.*?)```", README, flags=re.S)


def test_every_node_an_edge_uses_is_defined() -> None:
    blocks = _mermaid_blocks()
    assert blocks
    for block in blocks:
        body = [line for line in block.splitlines()[1:] if line.strip() and line.strip() != "end"]
        text = "\n".join(body)
        # drop labels so words inside them are not read as node ids
        unlabelled = re.sub(r'"[^"]*"', '""', text)
        defined = set(_DEFINED.findall(unlabelled)) | set(re.findall(r"subgraph\s+([A-Za-z0-9_]+)", text))
        used = set()
        for line in unlabelled.splitlines():
            if line.strip().startswith("subgraph"):
                continue
            stripped = re.sub(r"(\[|\(|\{).*?(\]|\)|\})+", "", line)  # node labels
            used |= set(_EDGE.findall(stripped)) | set(_SOURCE.findall(stripped))
        assert used, block
        assert used <= defined, f"undefined nodes: {sorted(used - defined)}"


def test_the_readme_starts_with_the_two_commands_and_the_demo_litters_nothing_tracked() -> None:
    first = re.search(r"```bash\n(.*?)```", README, flags=re.S)
    assert first is not None and first.group(1).split("\n")[:2] == ["./scripts/dev demo", "./scripts/dev test"]
    root = Path(__file__).resolve().parents[2]
    ignored = (root / ".gitignore").read_text(encoding="utf-8").split()
    assert "mlops-demo" in ignored  # where the demo writes its summary and the overview page
