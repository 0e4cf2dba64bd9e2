"""Instruments as code: Test Kitchen's instrument configurations, declared in `instruments/` and
compiled to what the configurator's `GET /api/v1/instruments` returns and what the
`ext.testKitchen` module embeds on each wiki.

The stages mirror the stream pipeline: `declare` builds each realm's instruments from the parsed
files (with where every field was written), `resolve` turns one into the service's object,
`render` reproduces the extension's rules for one wiki at one instant, `schedule` knows when that
changes, and `compile` puts the files of a build together. Only plain data goes in and out.
"""
