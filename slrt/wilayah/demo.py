"""Demo letterheads: the demo district's secretariat and one Puskesos post get an address,
phone, email, a generated logo and a signatory, so demo letters look like an office's."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from .desks import signatories_of, validate_logo
from .models import Puskesos, Secretariat, Signatory


def demo_logo_png(text: str = "SLRT") -> bytes:
    """A round emblem drawn with Pillow (no image file shipped)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (240, 240), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, 232, 232), fill=(11, 94, 87, 255), outline=(212, 160, 23, 255), width=10)
    draw.ellipse((52, 52, 188, 188), outline=(255, 255, 255, 255), width=6)
    draw.text((120, 120), text, fill=(255, 255, 255, 255), anchor="mm", font_size=44)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _logo(desk, name: str) -> None:
    if desk.logo:
        return
    upload = SimpleUploadedFile(f"{name}.png", demo_logo_png(), content_type="image/png")
    ext = validate_logo(upload)
    desk.logo.save(f"{name}.{ext}", upload, save=False)


@transaction.atomic
def seed_letterheads(secretariat: Secretariat, post: Puskesos | None) -> None:
    kab = secretariat.region.name.title() if secretariat.region.name.isupper() else secretariat.region.name
    if not secretariat.email:
        secretariat.address = "Jl. Raya Soreang Km. 17, Kompleks Perkantoran Pemda, Soreang 40912"
        secretariat.phone = "(022) 5891 204"
        secretariat.email = "slrt@dinsos.bandungkab.go.id"
    _logo(secretariat, f"sekretariat-{secretariat.pk}")
    secretariat.save()
    if not signatories_of(secretariat).exists():
        Signatory.objects.create(secretariat=secretariat, name="Drs. H. Asep Sudrajat, M.Si.",
                                 title=f"Kepala Dinas Sosial {kab}", nip="196805121994031007",
                                 is_default=True)
    if post is None:
        return
    if not post.email:
        post.phone = "0812 2045 7731"
        post.email = f"puskesos.{post.region_id.replace('.', '')}@desa.bandungkab.go.id"
        if not post.address.startswith("Jl."):
            post.address = f"Jl. Desa No. 1, {post.address}"
    _logo(post, f"puskesos-{post.pk}")
    post.save()
    if not signatories_of(post).exists():
        Signatory.objects.create(puskesos=post, name="Euis Komalasari, S.Sos.",
                                 title=f"Koordinator {post.name}", nip="197903142006042011", is_default=True)
