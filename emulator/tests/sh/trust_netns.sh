#!/bin/sh
# Runs the whole `iot-emulator trust` recipe inside private mount and network namespaces
# (`unshare --map-root-user --mount --net`), so the machine running it is never changed:
# /etc/hosts, /etc/ssl/certs and the Debian anchor directory are replaced by scratch
# copies that only this namespace sees, and port 443 is the namespace's own.
#
# usage: trust_netns.sh IOT_EMULATOR PYTHON DEVICE_SCRIPT SCRATCH
set -eu
exe=$1 python=$2 device=$3 scratch=$4

ip link set lo up
for dir in /etc/ssl/certs /usr/local/share/ca-certificates; do
    copy="$scratch/fs$(echo "$dir" | tr / _)"
    cp -rP "$dir" "$copy"
    mount --bind "$copy" "$dir"
done
cp /etc/hosts "$scratch/hosts" && cp /etc/hosts "$scratch/hosts.orig"
mount --bind "$scratch/hosts" /etc/hosts
cp /etc/ssl/certs/ca-certificates.crt "$scratch/bundle.orig"

# The README's recipe: MQTT also on 443, the credentials provider on 443 of another
# loopback address, then `trust --hosts`.
data="$scratch/data"
"$exe" --data-dir "$data" --api-addr 127.0.0.1:0 --mqtt-addr 127.0.0.1:0 \
    --mqtt-extra-addr 127.0.0.1:443 --credentials-addr 127.0.0.2:443 --ws-addr 127.0.0.1:0 \
    --jobs-addr 127.0.0.3:443 \
    --ready-file "$scratch/ready.json" >"$scratch/emulator.out" 2>"$scratch/emulator.err" &
emulator=$!
trap 'kill $emulator 2>/dev/null || true' EXIT
# Readiness: the ready file appears once every listener accepts.
while [ ! -s "$scratch/ready.json" ]; do
    kill -0 $emulator || { cat "$scratch/emulator.err"; exit 1; }
    sleep 0.1
done
field() { "$python" -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$scratch/ready.json" "$1"; }
api=$(field api_url) endpoint=$(field data_ats_endpoint) creds=$(field credentials_endpoint)

echo "== trust --hosts"
"$exe" --data-dir "$data" trust --hosts
echo "== trust --hosts (again)"
"$exe" --data-dir "$data" trust --hosts
grep -q "$(sed -n 2p "$data/root-ca.pem")" /etc/ssl/certs/ca-certificates.crt
echo "== device"
"$python" "$device" "$api" "$endpoint" "$creds" "$scratch" expect-ok
echo "== trust --uninstall (the root CA only)"
"$exe" --data-dir "$data" trust --uninstall
cmp "$scratch/bundle.orig" /etc/ssl/certs/ca-certificates.crt
echo "== device, names resolving but the CA untrusted"
"$python" "$device" "$api" "$endpoint" "$creds" "$scratch" expect-untrusted
echo "== trust --hosts --uninstall"
"$exe" --data-dir "$data" trust --hosts --uninstall
cmp "$scratch/hosts.orig" /etc/hosts
echo "== done"
