#!/bin/sh
# netns_sendrecv.sh SR_PEER - async send/receive between two "hosts": two
# network namespaces joined by a veth pair with addresses of their own
# (10.231.N.1/24 and .2/24, fd00:231:N::1/64 and ::2/64). One sr_peer runs
# in each (physical core 0 on both sides: each namespace is a host of its
# own), over IPv4 and then IPv6, moving a 1 MiB and a 64 MiB tensor with
# the data verified, and both check that the transport is "tcp;ofi_rxm":
# shm would work across namespaces (one /dev/shm), so this checks that the
# runtime tells hosts apart by their addresses.
#
# Creates everything inside the two namespaces it adds (the veth ends are
# created there directly) and deletes them on every exit path; touches no
# other interface or address. Exit 77 (skip) when namespaces cannot be
# created (not root, no iproute2, no veth).
set -u

me=netns_sendrecv ns_prefix=nrtsr veth_prefix=nrtv net=231
. "$(dirname "$0")/netns_pair.sh"
echo "netns_sendrecv: $nsa ($ip4a, $ip6a) <-> $nsb ($ip4b, $ip6b)"

sizes="1048576 67108864"
failed=0

# run LABEL IP_OF_A IP_OF_B: sender in A, receiver in B
run() {
    label=$1
    a=$2
    b=$3
    port=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000))
    env="NEURON_RT_ASYNC_SENDRECV_BOOTSTRAP_PORT=$port NEURON_RT_VISIBLE_CORES=0"
    # the receiver accepts from A's address, the sender connects to B's
    # shellcheck disable=SC2086
    ip netns exec "$nsb" env -u OPENNRT_SR_TRANSPORT $env timeout 45 "$peer" recv "$a" "tcp;ofi_rxm" $sizes &
    rpid=$!
    pids="$pids $rpid"
    # shellcheck disable=SC2086
    ip netns exec "$nsa" env -u OPENNRT_SR_TRANSPORT $env timeout 45 "$peer" send "$b" "tcp;ofi_rxm" $sizes &
    spid=$!
    pids="$pids $spid"
    wait "$spid"
    src=$?
    wait "$rpid"
    rrc=$?
    pids=
    if [ "$src" = 0 ] && [ "$rrc" = 0 ]; then
        echo "netns_sendrecv: $label: ok"
    else
        echo "netns_sendrecv: $label: FAILED (sender exit $src, receiver exit $rrc)" >&2
        failed=1
    fi
}

run "IPv4 $ip4a -> $ip4b" "$ip4a" "$ip4b"
if [ "$v6" = 1 ]; then
    run "IPv6 $ip6a -> $ip6b" "$ip6a" "$ip6b"
else
    echo "netns_sendrecv: IPv6 skipped: cannot add $ip6a/64 (IPv6 disabled?)"
fi
exit "$failed"
