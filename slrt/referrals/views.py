"""Web pages; see the app brief."""
