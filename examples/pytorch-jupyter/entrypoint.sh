#!/bin/sh
# Container entrypoint: make sure Jupyter's certificate is there and valid, then run CMD.
#
#   TLSDOCK_HOME      the CA folder; keep it on a volume (default /var/lib/tlsdock)
#   JUPYTER_CERTFILE  Jupyter's certificate (default $TLSDOCK_HOME/jupyter/cert.pem)
#   JUPYTER_KEYFILE   Jupyter's key         (default $TLSDOCK_HOME/jupyter/key.pem)
#   TLSDOCK_NAMES     names you type in the browser, on top of localhost, 127.0.0.1, ::1 and the
#                     container's host name and IPs, e.g. "192.168.1.20 gpu-box.local"
#   TLSDOCK_OWNER     when the container starts as root: who gets the key (e.g. jovyan)
#
# `exec` hands this process over to tlsdock, which runs CMD with signals forwarded and passes its
# exit code back; tini (PID 1, see the Dockerfile) reaps orphans.
set -eu
: "${TLSDOCK_HOME:=/var/lib/tlsdock}"
: "${JUPYTER_CERTFILE:=$TLSDOCK_HOME/jupyter/cert.pem}"
: "${JUPYTER_KEYFILE:=$TLSDOCK_HOME/jupyter/key.pem}"
export TLSDOCK_HOME JUPYTER_CERTFILE JUPYTER_KEYFILE
exec tlsdock ensure --cert "$JUPYTER_CERTFILE" --key "$JUPYTER_KEYFILE" ${TLSDOCK_OWNER:+--owner "$TLSDOCK_OWNER"} -- "$@"
