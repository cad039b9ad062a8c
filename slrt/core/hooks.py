"""The handler list behind every extension point (registry.hooks, cases.hooks, programs.hooks).

A lower app keeps one `Handlers` per point; the higher app registers from its AppConfig.ready(),
and the lower app runs them in registration order, the order of INSTALLED_APPS.
"""


class Handlers(list):
    def register(self, fn):
        if fn not in self:  # ready() may run again (tests); a handler runs once
            self.append(fn)
        return fn
