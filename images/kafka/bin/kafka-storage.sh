#!/bin/sh
# kafka-storage.sh, as in the Apache distribution.
exec kafka-run-class.sh kafka.tools.StorageTool "$@"
