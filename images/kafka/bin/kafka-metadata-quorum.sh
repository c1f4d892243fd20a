#!/bin/sh
# kafka-metadata-quorum.sh, as in the Apache distribution.
exec kafka-run-class.sh org.apache.kafka.tools.MetadataQuorumCommand "$@"
