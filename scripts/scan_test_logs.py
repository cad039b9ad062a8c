#!/usr/bin/env python3
"""Fail if a log file of the test run holds a NIK, KK number, name or phone number of the test data.

    scripts/scan_test_logs.py [DIR]        (default var/test-logs, written by tests/leakscan.py)

DIR holds one `<worker>.log` per pytest process and `<worker>.values.json` with the personal
values its tests had in the database. Every line of every log is checked for: any of those
values (16-digit numbers, phone numbers by their digits, names as whole words, case-insensitive),
and any 16-digit number shaped like a NIK even if no test listed it. Each finding is printed as
`file:line: kind x…y` with the value masked, never in full; the exit status is 1 if there is one.
Standard library only, so that it runs before or without the virtualenv.
"""

import json
import re
import sys
from pathlib import Path

MIN_SINGLE_NAME = 6  # a one-word name shorter than this is too likely an ordinary word
MAX_NAME_WORDS = 6
_DIGIT_RUN = re.compile(r"\d(?:[\d .\-]*\d)?")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _phone_key(raw: str) -> str:
    """The subscriber part of an Indonesian number: 0812…, +62812…, 62812… all give 812…."""
    d = _digits(raw)
    if d.startswith("62"):
        d = d[2:]
    return d.lstrip("0")


def looks_like_nik(d: str) -> bool:
    """16 digits with a plausible province and birth date (day + 40 for women), like a NIK or KK."""
    if len(d) != 16 or not 11 <= int(d[:2]) <= 99:
        return False
    day, month = int(d[6:8]), int(d[8:10])
    return (1 <= day <= 31 or 41 <= day <= 71) and 1 <= month <= 12


def mask(value: str) -> str:
    value = value.strip()
    if len(value) <= 4:
        return "*" * len(value)
    return f"{value[:2]}…{value[-2:]} ({len(value)})"


class Values:
    def __init__(self):
        self.numbers: set[str] = set()
        self.phones: set[str] = set()
        self.names: set[tuple[str, ...]] = set()

    def add_file(self, path: Path) -> None:
        data = json.loads(path.read_text(encoding="utf-8"))
        for nik in data.get("nik", []):
            d = _digits(nik)
            if len(d) == 16:
                self.numbers.add(d)
        for phone in data.get("phone", []):
            key = _phone_key(phone)
            if len(key) >= 8:
                self.phones.add(key)
        for name in data.get("name", []):
            words = tuple(w.casefold() for w in _WORD.findall(name))
            if not words or len(words) > MAX_NAME_WORDS:
                continue
            if len(words) == 1 and len(words[0]) < MIN_SINGLE_NAME:
                continue
            self.names.add(words)

    def findings(self, line: str):
        for run in _DIGIT_RUN.findall(line):
            d = _digits(run)
            for start in range(len(d) - 15):  # every 16-digit window: a NIK glued to other digits too
                window = d[start:start + 16]
                if window in self.numbers:
                    yield "nik", window
                    break
                if (start == 0 and len(d) == 16) and looks_like_nik(window):
                    yield "nik-pattern", window
                    break
            key = _phone_key(run)
            if len(key) >= 8 and any(p in key for p in self.phones if len(p) <= len(key)):
                yield "phone", run
        words = [w.casefold() for w in _WORD.findall(line)]
        for n in range(1, MAX_NAME_WORDS + 1):
            for i in range(len(words) - n + 1):
                gram = tuple(words[i:i + n])
                if gram in self.names:
                    yield "name", " ".join(gram)


def scan(folder: Path) -> list[str]:
    values = Values()
    for path in sorted(folder.glob("*.values.json")):
        values.add_file(path)
    problems = []
    for log in sorted(folder.glob("*.log")):
        with log.open(encoding="utf-8", errors="replace") as lines:
            for number, line in enumerate(lines, 1):
                for kind, value in values.findings(line):
                    problems.append(f"{log}:{number}: {kind} {mask(value)}")
    return problems


def main(argv: list[str]) -> int:
    folder = Path(argv[1] if len(argv) > 1 else "var/test-logs")
    logs = sorted(folder.glob("*.log"))
    if not logs:
        print(f"scan_test_logs: no log files in {folder}; did the test run write them?")
        return 2
    problems = scan(folder)
    for p in problems:
        print(p)
    lines = sum(1 for log in logs for _ in log.open(encoding="utf-8", errors="replace"))
    print(f"scan_test_logs: {len(logs)} log files, {lines} lines, {len(problems)} personal values found")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
