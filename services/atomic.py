"""Write a generated file so that readers never see a half-written or invalid one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_validated(target: Path, content: str | bytes,
                    validate: Callable[[str], None] | None = None) -> Path:
    """Write ``content`` to ``target`` atomically once ``validate(draft_path)`` has accepted
    the draft (it raises to refuse). An unchanged file is not rewritten, so the services that
    reload on a new modification time do not reload for nothing."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and target.read_bytes() == data:
        return target
    handle, draft = tempfile.mkstemp(dir=target.parent, prefix=".generating-",
                                     suffix=target.suffix)
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    try:
        if validate:
            validate(draft)
    except BaseException:
        os.unlink(draft)
        raise
    os.replace(draft, target)
    return target
