#!/usr/bin/env bash
# Generates the Python client from proto/ into ./src (the `probity`
# package beside the hand-written `probity_client`) with grpcio-tools;
# then `pip install .` installs both.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
python=${PYTHON:-python3}
rm -rf "$here/src/probity" "$here/generated"
protos=$(cd "$root/proto" && find probity -name '*.proto' | sort)
# google/api and google/type come from googleapis-common-protos at run time;
# only the Probity packages are generated here.
(cd "$root/proto" && "$python" -m grpc_tools.protoc -I . \
    --python_out="$here/src" --grpc_python_out="$here/src" --pyi_out="$here/src" $protos)
