#!/bin/sh
# each-target.sh: runs a probe that knows one target (PTP_PORT and
# PTP_APPNAME) once per entry of PTP_TARGETS, in order, and tags its JSON
# line with the entry's column: the batch protocol of README.md for the
# probes whose start costs nothing worth sharing (compiled ones, PHP,
# PgBouncer, which starts a PgBouncer per target anyway).
#
# usage: each-target.sh COMMAND [ARG]...
for target in $PTP_TARGETS; do
	column=${target%%:*}
	rest=${target#*:}
	PTP_PORT=${rest%%:*} PTP_APPNAME=${rest#*:} "$@" </dev/null | sed "s/^{/{\"column\": \"$column\", /"
done
