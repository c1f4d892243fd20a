#!/bin/sh
# monasca/zookeeper: render the configuration, then exec the ZooKeeper server
# (standalone) so that it is the process `docker stop` signals.
set -eu

# Debian's zookeeper.jar names its dependencies in its manifest, all but the
# servlet API of the AdminServer; log4j and its slf4j binding carry the log
# to stdout.
# JVM options split on white space, like zkServer.sh does.
exec monasca-start java @/etc/monasca/jvm.options \
    -cp /usr/share/java/zookeeper.jar:/usr/share/java/servlet-api.jar:/usr/share/java/slf4j-log4j12.jar:/usr/share/java/log4j-1.2.jar \
    org.apache.zookeeper.server.quorum.QuorumPeerMain /etc/monasca/zoo.cfg
