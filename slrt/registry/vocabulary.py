"""Texts the registry's columns hold, spelled as a DTKS/DTSEN export writes them.

Plain Python (no models), so the synthetic generator (`slrt.demo.generate`) can use it before
Django is set up; the field forms' handlers map their choice slugs back to these texts.
"""

# The 26 PPKS categories of Permensos 8/2012 (as amended).
PPKS = (
    "Anak Balita Terlantar", "Anak Terlantar", "Anak yang Berhadapan dengan Hukum", "Anak Jalanan",
    "Anak dengan Kedisabilitasan", "Anak yang Menjadi Korban Tindak Kekerasan",
    "Anak yang Memerlukan Perlindungan Khusus", "Lanjut Usia Terlantar", "Penyandang Disabilitas",
    "Tuna Susila", "Gelandangan", "Pengemis", "Pemulung", "Kelompok Minoritas",
    "Bekas Warga Binaan Lembaga Pemasyarakatan", "Orang dengan HIV/AIDS", "Korban Penyalahgunaan NAPZA",
    "Korban Perdagangan Orang", "Korban Tindak Kekerasan", "Pekerja Migran Bermasalah Sosial",
    "Korban Bencana Alam", "Korban Bencana Sosial", "Perempuan Rawan Sosial Ekonomi", "Fakir Miskin",
    "Keluarga Bermasalah Sosial Psikologis", "Komunitas Adat Terpencil",
)
