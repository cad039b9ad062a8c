"""Name normalisation for typo-tolerant search (placeholder: the search helper replaces it)."""


def name_key(nama: str) -> str:
    return " ".join(nama.lower().split())
