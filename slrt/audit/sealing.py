"""Sealing: audit rows chained into hash blocks by a scheduled job, verified by a command.

Requests only INSERT audit rows; nothing on a request's path reads or locks the chain. The
sealing job (`seal_pending`, a scheduled job, every minute) takes the rows after the last block
in id order and writes blocks of at most `SLRT_AUDIT_BLOCK_ROWS`:

    payload_hash = H(detail)                                   stored on the row
    row_hash     = H(id, at, actor, action, object, region, payload_hash)   stored on the row
    block.hash   = H(prev block's hash, number, id range, skipped ids, every (id, row_hash))

The payload is hashed apart so that the retention erasure can empty `detail` and keep the row:
its envelope still verifies against row_hash, and verify reports it as erased, not tampered.

Out-of-order commits. Ids are handed out at INSERT, but a long transaction may commit its row
after later ids are already visible, and a rolled-back INSERT leaves an id that never appears
(PostgreSQL sequences). So the job seals only rows older than `SLRT_AUDIT_SEAL_AFTER` seconds
(60) and stops at a missing id until the row after it is older than `SLRT_AUDIT_GAP_WAIT`
seconds (one hour): by then the id is taken to be rolled back and is recorded in the block's
`skipped`. A row committed later still (a transaction open for over an hour) lands inside a
sealed range and verify reports it as inserted after sealing — as it would an attacker's row.
A block with fewer rows than the maximum is sealed once its first row is `SLRT_AUDIT_BLOCK_WAIT`
seconds old (ten minutes), so a quiet desk's rows are not left unsealed for long.

Two runs at once: on PostgreSQL each block is written under a transaction-level advisory lock
(the second run skips the round); SQLite serialises writing transactions (BEGIN IMMEDIATE).
Block `number`, `first_id` and `last_id` are unique, so two blocks can never cover one row.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from . import gate, triggers
from .models import AuditBlock, AuditEvent

GENESIS = "0" * 64
_LOCK_KEY = 0x534C5254_41554454  # "SLRTAUDT": the sealing job's advisory lock on PostgreSQL
_FIELDS = ("id", "at", "actor_id", "action", "object_type", "object_id", "region_code", "detail",
           "payload_hash", "row_hash", "block_id", "erased_at")


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def payload_hash(detail) -> str:
    return hashlib.sha256(_canonical(detail)).hexdigest()


def row_hash(row: dict, payload: str) -> str:
    envelope = [row["id"], row["at"].isoformat(), row["actor_id"], row["action"], row["object_type"],
                row["object_id"], row["region_code"], payload]
    return hashlib.sha256(_canonical(envelope)).hexdigest()


def block_hash(*, prev_hash: str, number: int, first_id: int, last_id: int, skipped: list,
               rows: list[tuple[int, str]]) -> str:
    h = hashlib.sha256(_canonical([prev_hash, number, first_id, last_id, skipped]))
    for row_id, rh in rows:
        h.update(f"\n{row_id}:{rh}".encode())
    return h.hexdigest()


def _ranges(ids: list[int]) -> list[list[int]]:
    """[3, 4, 5, 9] → [[3, 5], [9, 9]]."""
    out: list[list[int]] = []
    for i in ids:
        if out and out[-1][1] == i - 1:
            out[-1][1] = i
        else:
            out.append([i, i])
    return out


def _skipped_ids(skipped: list) -> set[int]:
    return {i for a, b in skipped for i in range(a, b + 1)}


def _try_lock() -> bool:
    if connection.vendor != "postgresql":
        return True  # SQLite: the IMMEDIATE transaction already holds the only write lock
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_LOCK_KEY])
        return bool(cursor.fetchone()[0])


def _seal_one(now) -> int | None:
    """Seal the next block if one is ready; its row count, 0 if none is ready, None if locked."""
    size = _setting("SLRT_AUDIT_BLOCK_ROWS", 1000)
    ready_before = now - timedelta(seconds=_setting("SLRT_AUDIT_SEAL_AFTER", 60))
    gap_before = now - timedelta(seconds=_setting("SLRT_AUDIT_GAP_WAIT", 3600))
    partial_before = now - timedelta(seconds=_setting("SLRT_AUDIT_BLOCK_WAIT", 600))
    with transaction.atomic():
        if not _try_lock():
            return None
        last = AuditBlock.objects.order_by("-number").first()
        after = last.last_id if last else 0
        candidates = list(
            AuditEvent.objects.filter(id__gt=after).order_by("id").values(*_FIELDS)[:size]
        )
        rows, skipped, expected = [], [], (after + 1 if last else None)
        for row in candidates:
            if row["at"] >= ready_before:
                break  # too young: its transaction's neighbours may not have committed yet
            if expected is not None and row["id"] != expected:
                if row["at"] >= gap_before:
                    break  # a missing id may still commit; wait before calling it rolled back
                skipped.extend(range(expected, row["id"]))
            rows.append(row)
            expected = row["id"] + 1
        if not rows:
            return 0
        if len(rows) < size and rows[0]["at"] >= partial_before:
            return 0  # a short block waits for more rows, but not for ever
        number = last.number + 1 if last else 1
        first_id = after + 1 if last else rows[0]["id"]
        pairs, updates = [], []
        for row in rows:
            ph = payload_hash(row["detail"])
            rh = row_hash(row, ph)
            pairs.append((row["id"], rh))
            updates.append(AuditEvent(id=row["id"], payload_hash=ph, row_hash=rh))
        skipped_ranges = _ranges(skipped)
        prev = last.hash if last else GENESIS
        block = AuditBlock.objects.create(
            number=number, first_id=first_id, last_id=rows[-1]["id"], row_count=len(rows),
            skipped=skipped_ranges, prev_hash=prev, sealed_at=now,
            hash=block_hash(prev_hash=prev, number=number, first_id=first_id, last_id=rows[-1]["id"],
                            skipped=skipped_ranges, rows=pairs),
        )
        for event in updates:
            event.block_id = block.id
        AuditEvent.objects.bulk_update(updates, ["payload_hash", "row_hash", "block"], batch_size=500)
        return len(rows)


def seal_pending(*, now=None, max_blocks: int = 100) -> int:
    """Seal the rows that are ready, block by block (each its own short transaction); rows sealed."""
    now = now or timezone.now()
    sealed = 0
    for _ in range(max_blocks):
        count = _seal_one(now)
        if not count:
            break
        sealed += count
    return sealed


# --- verification ------------------------------------------------------------------------------


@dataclass
class Report:
    blocks: int = 0
    rows: int = 0
    erased: int = 0
    unsealed: int = 0
    problem: str = ""  # the first break found, in words; empty when the chain holds

    @property
    def ok(self) -> bool:
        return not self.problem


def verify(*, using: str = "default") -> Report:
    """Walk every block in order; stop at the first break. Reads one block's rows at a time."""
    report = Report()
    conn = transaction.get_connection(using)
    missing = triggers.missing(conn)
    if missing:
        report.problem = f"pemicu (trigger) pelindung hilang: {', '.join(missing)}"
        return report
    open_gates = gate.committed_gates(using)
    if open_gates:
        report.problem = f"gerbang audit tertinggal terbuka: {', '.join(open_gates)}"
        return report
    prev_hash, prev_last, expected_number = GENESIS, None, 1
    for block in AuditBlock.objects.using(using).order_by("number").iterator(chunk_size=100):
        problem = _verify_block(block, prev_hash, prev_last, expected_number, using, report)
        if problem:
            report.problem = f"blok {block.number} (id {block.first_id}–{block.last_id}): {problem}"
            return report
        report.blocks += 1
        prev_hash, prev_last, expected_number = block.hash, block.last_id, block.number + 1
    after = prev_last or 0
    stray = AuditEvent.objects.using(using).filter(id__gt=after).exclude(block=None).values_list("id", flat=True)[:1]
    if stray:
        report.problem = f"baris id {stray[0]} menyebut blok yang tidak ada lagi (blok dihapus?)"
        return report
    report.unsealed = AuditEvent.objects.using(using).filter(id__gt=after).count()
    return report


def _verify_block(block, prev_hash, prev_last, expected_number, using, report) -> str:
    if block.number != expected_number:
        return f"nomor blok melompat (diharapkan {expected_number}): blok dihapus"
    if block.prev_hash != prev_hash:
        return "hash blok sebelumnya tidak cocok: rantai terputus"
    if prev_last is not None and block.first_id != prev_last + 1:
        return f"rentang id tidak menyambung dengan blok sebelumnya (berakhir di {prev_last})"
    skipped = _skipped_ids(block.skipped)
    rows = {r["id"]: r for r in AuditEvent.objects.using(using).filter(
        id__gte=block.first_id, id__lte=block.last_id).order_by("id").values(*_FIELDS)}
    pairs = []
    for row_id in range(block.first_id, block.last_id + 1):
        row = rows.get(row_id)
        if row_id in skipped:
            if row is not None:
                return f"baris id {row_id} disisipkan setelah penyegelan"
            continue
        if row is None:
            return f"baris id {row_id} hilang (dihapus)"
        if row["block_id"] != block.id or not row["row_hash"]:
            return f"baris id {row_id} disisipkan setelah penyegelan"
        if row["erased_at"] is not None:
            if row["detail"] not in ({}, None):
                return f"baris id {row_id} diubah (ditandai terhapus tetapi isinya ada)"
            report.erased += 1
        elif payload_hash(row["detail"]) != row["payload_hash"]:
            return f"baris id {row_id} diubah (isi detail)"
        if row_hash(row, row["payload_hash"]) != row["row_hash"]:
            return f"baris id {row_id} diubah"
        pairs.append((row_id, row["row_hash"]))
    if len(pairs) != block.row_count:
        return f"jumlah baris {len(pairs)}, tersegel {block.row_count}"
    expected = block_hash(prev_hash=block.prev_hash, number=block.number, first_id=block.first_id,
                          last_id=block.last_id, skipped=block.skipped, rows=pairs)
    if expected != block.hash:
        return "hash blok tidak cocok: blok atau hash baris diubah"
    report.rows += len(pairs)
    return ""
