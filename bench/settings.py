"""The production settings, with the URLconf that adds the benchmarks' floor.

The benchmarks select it (DJANGO_SETTINGS_MODULE=bench.settings); the site never serves
the floor.
"""

from certguide.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
