"""Files every application server and worker reaches: a shared folder or S3-compatible storage.

Everything that must outlive a request and be read on another machine (berita acara of a musdes,
field-work attachments, letterhead logos, registry import uploads) is written through Django's
default storage, under one root, and `manage.py backup` copies exactly that root:

- `SLRT_STORAGE=filesystem` (default): a folder, `SLRT_MEDIA_ROOT` (default VAR_DIR/media). With
  several machines it is one shared volume (NFS, CephFS…) mounted at the same path on each.
- `SLRT_STORAGE=s3`: an S3-compatible bucket through django-storages (`pip install -r
  requirements-s3.txt` for boto3): `SLRT_S3_BUCKET` (required), `SLRT_S3_ENDPOINT_URL` (MinIO,
  Ceph RGW, a provider's endpoint; empty for AWS), `SLRT_S3_REGION`, `SLRT_S3_ACCESS_KEY_ID` and
  `SLRT_S3_SECRET_ACCESS_KEY` (or boto3's own credential chain when both are empty),
  `SLRT_S3_PREFIX` (a folder inside the bucket), `SLRT_S3_ADDRESSING_STYLE` (`path` for MinIO).

Transient per-machine files stay in VAR_DIR, outside the storage: an import's progress file and
its slot locks (they describe a process on this machine and die with it), the file-system broker
of `make run`, logs.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

KINDS = ("filesystem", "s3")


def apply(s: dict) -> None:
    kind = os.environ.get("SLRT_STORAGE", "filesystem").strip().lower() or "filesystem"
    if kind not in KINDS:
        raise ImproperlyConfigured(f"SLRT_STORAGE={kind!r}: choose one of {', '.join(KINDS)}.")
    # Personal data: files and the folders made for them are readable by the service's user only.
    s["FILE_UPLOAD_PERMISSIONS"] = 0o600
    s["FILE_UPLOAD_DIRECTORY_PERMISSIONS"] = 0o700
    if kind == "filesystem":
        root = os.environ.get("SLRT_MEDIA_ROOT", "").strip()
        s["MEDIA_ROOT"] = Path(root) if root else s["VAR_DIR"] / "media"
        # No "location" option: the storage follows MEDIA_ROOT, which the tests point elsewhere.
        s["STORAGES"]["default"] = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
        return
    try:
        import boto3  # noqa: F401 - only to say clearly what is missing
    except ImportError:
        raise ImproperlyConfigured(
            "SLRT_STORAGE=s3 needs boto3, which is not installed: "
            "pip install -r requirements-s3.txt (README \"Files on several machines\")."
        ) from None
    bucket = os.environ.get("SLRT_S3_BUCKET", "").strip()
    if not bucket:
        raise ImproperlyConfigured("SLRT_STORAGE=s3 needs SLRT_S3_BUCKET (the bucket's name).")
    options = {
        "bucket_name": bucket,
        "location": os.environ.get("SLRT_S3_PREFIX", "").strip("/"),
        # Never public: files are handed out by the application's own views after its checks.
        "default_acl": "private",
        "querystring_auth": True,
        # A new upload never replaces another file of the same name (the row names one file).
        "file_overwrite": False,
    }
    for option, name in (("endpoint_url", "SLRT_S3_ENDPOINT_URL"), ("region_name", "SLRT_S3_REGION"),
                         ("access_key", "SLRT_S3_ACCESS_KEY_ID"), ("secret_key", "SLRT_S3_SECRET_ACCESS_KEY"),
                         ("addressing_style", "SLRT_S3_ADDRESSING_STYLE")):
        if os.environ.get(name, "").strip():
            options[option] = os.environ[name].strip()
    s["STORAGES"]["default"] = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
