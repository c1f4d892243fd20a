"""In-container toolkit shared by every monasca-docker image.

Commands: ``templer`` (config templating), ``monasca-wait`` (wait for
dependencies), ``monasca-health`` (HEALTHCHECK probes) and
``monasca-version`` (the /VERSIONS build record).
"""
