from ninja.errors import HttpError


class ApiError(HttpError):
    """An HTTP error with a machine-readable `code` for API clients."""

    def __init__(self, status_code: int, code: str, message: str):
        super().__init__(status_code, message)
        self.code = code
