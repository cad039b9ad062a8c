"""Static files as whitenoise serves them, with a one-year lifetime for content-hashed names.

A hashed name never changes content (a new version gets a new name), so browsers may keep it
for a year (`max-age=31536000, immutable`, the conventional ceiling; whitenoise's own default
is ten years). Unhashed names keep whitenoise's short default.
"""

from whitenoise.middleware import WhiteNoiseMiddleware


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    FOREVER = 365 * 24 * 60 * 60
