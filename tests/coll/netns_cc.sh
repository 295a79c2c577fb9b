#!/bin/sh
# netns_cc.sh CC_PEER - collectives between two "hosts": two network
# namespaces joined by a veth pair with addresses of their own
# (10.232.N.1/24 and .2/24, fd00:232:N::1/64 and ::2/64). One cc_peer runs
# in each (global id 0 in the first: the root listens on its address), with
# the collectives matrix (every op, dtypes, sizes, groups) over IPv4 and then
# IPv6, each checking the results; both log that the world uses
# "tcp;ofi_rxm" bound to their own namespace's address.
#
# Creates everything inside the two namespaces it adds and deletes them on
# every exit path; touches no other interface or address. Exit 77 (skip)
# when namespaces cannot be created (not root, no iproute2, no veth).
set -u

me=netns_cc ns_prefix=nrtcc veth_prefix=nrtc net=232
. "$(dirname "$0")/../net/netns_pair.sh"
echo "netns_cc: $nsa ($ip4a, $ip6a) <-> $nsb ($ip4b, $ip6b)"
export CC_TEST_SMALL=1 NEURON_RT_LOG_LEVEL=INFO IPATH_NO_BACKTRACE=1 OPENNRT_EXEC_TIMEOUT_MS=60000
port=$((20000 + $$ % 20000))
fail=0
run_pair() { # root address (as in NEURON_RT_ROOT_COMM_ID), my address in b
    root=$1 want_b=$2
    la=$(mktemp) lb=$(mktemp)
    NEURON_RT_ROOT_COMM_ID=$root ip netns exec "$nsa" timeout 300 "$peer" 0 2 1 matrix >"$la" 2>&1 &
    pa=$!
    NEURON_RT_ROOT_COMM_ID=$root ip netns exec "$nsb" timeout 300 "$peer" 1 2 1 matrix >"$lb" 2>&1 &
    pb=$!
    pids="$pa $pb"
    ra=0 rb=0
    wait "$pa" || ra=$?
    wait "$pb" || rb=$?
    pids=
    grep -h "cases" "$la" "$lb"
    if [ "$ra" != 0 ] || [ "$rb" != 0 ]; then
        echo "netns_cc: FAIL over $root: exit codes $ra and $rb"
        tail -20 "$la" "$lb"
        fail=1
    elif ! grep -q "transport tcp;ofi_rxm, bound to $want_b, global id 0 at" "$lb"; then
        echo "netns_cc: FAIL over $root: the second host did not report tcp;ofi_rxm bound to $want_b"
        grep "world of" "$la" "$lb"
        fail=1
    else
        echo "netns_cc: ok over $root (tcp;ofi_rxm, second host bound to $want_b)"
    fi
    rm -f "$la" "$lb"
}
run_pair "$ip4a:$port" "$ip4b"
if [ "$v6" = 1 ]; then
    run_pair "[$ip6a]:$((port + 1))" "$ip6b"
else
    echo "netns_cc: IPv6 addresses could not be added; IPv6 not tested"
fi
exit $fail
