"""What the benchmark ran on, for docs/benchmarks.md."""

import os
import platform
import re
from pathlib import Path


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def machine_info() -> dict[str, str]:
    cpuinfo = _read("/proc/cpuinfo")
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    meminfo = _read("/proc/meminfo")
    mem = re.search(r"^MemTotal:\s*(\d+) kB", meminfo, re.MULTILINE)
    return {
        "nproc": str(os.cpu_count() or "?"),
        "cpu": model.group(1).strip() if model else platform.processor() or "?",
        "memory": f"{int(mem.group(1)) / 1024 / 1024:.1f} GiB" if mem else "?",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


# docs/benchmarks.md: the registry benchmark writes the page; the others each own a section
# between `<!-- name:start -->` and `<!-- name:end -->` that every writer keeps.
SECTION = re.compile(r"<!-- (\w+):start -->.*?<!-- \1:end -->", re.S)


def sections(text: str) -> list[str]:
    """Every marked section of the page, in order."""
    return [m.group(0) for m in SECTION.finditer(text)]


def replace_section(path, section: str) -> None:
    """Replace the marked section `section` names (or append it) and keep the rest of the page."""
    path = Path(path)
    name = SECTION.match(section).group(1)
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    old = next((s for s in sections(text) if s.startswith(f"<!-- {name}:start -->")), None)
    text = text.replace(old, section) if old else text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")
