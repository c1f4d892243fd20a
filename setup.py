"""The host tool's dependencies, which pyproject.toml cannot state alone.

The conformance rules read templates as templer does, so monasca-toolkit is
a real dependency; it is on no index but in images/base/toolkit, and a
PEP 508 direct reference must be an absolute URL, made here from this
checkout's path. packaging parses release tags and distribution names;
docutils reads the image READMEs, PyYAML their defaults.
"""
from pathlib import Path

from setuptools import setup

TOOLKIT = Path(__file__).resolve().parent / "images" / "base" / "toolkit"

setup(install_requires=["docutils==0.21.2", "PyYAML==6.0.3", "packaging==26.4",
                        f"monasca-toolkit @ {TOOLKIT.as_uri()}"])
