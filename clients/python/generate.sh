#!/usr/bin/env bash
# Generates the Python client from proto/ into ./generated with grpcio-tools.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
python=${PYTHON:-python3}
rm -rf "$here/generated" && mkdir -p "$here/generated"
protos=$(cd "$root/proto" && find probity -name '*.proto' | sort)
# google/api and google/type come from googleapis-common-protos at run time;
# only the Probity packages are generated here.
(cd "$root/proto" && "$python" -m grpc_tools.protoc -I . \
    --python_out="$here/generated" --grpc_python_out="$here/generated" --pyi_out="$here/generated" $protos)
