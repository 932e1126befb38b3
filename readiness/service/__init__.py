"""The use cases between the core and its interfaces: the one layer that pages, the CLI and the board pack call.

``readiness.scoring`` and ``readiness.portfolio`` compute; ``readiness.store`` keeps. This package says
what the product does with them: take files in (:mod:`~readiness.service.intake`), state the
portfolio's numbers (:mod:`~readiness.service.portfolio`) and write exports
(:mod:`~readiness.service.exports`). Nothing above this layer reads store tables or applies a
scoring rule, so every surface states the same number the same way.
"""
