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

peer=${1:?usage: netns_cc.sh CC_PEER}
if [ ! -x "$peer" ]; then
    echo "netns_cc: $peer is not an executable" >&2
    exit 2
fi
if ! command -v ip >/dev/null 2>&1; then
    echo "netns_cc: skipped: ip (iproute2) is not installed"
    exit 77
fi

tag=$$
nsa=nrtcc${tag}a
nsb=nrtcc${tag}b
vea=nrtc${tag}a
veb=nrtc${tag}b
n=$(od -An -N1 -tu1 /dev/urandom | tr -d ' ')
ip4a=10.232.$n.1
ip4b=10.232.$n.2
ip6a=fd00:232:$n::1
ip6b=fd00:232:$n::2
pids=
made_a=0
made_b=0

cleanup() {
    for p in $pids; do
        kill -9 "$p" 2>/dev/null
    done
    [ "$made_a" = 1 ] && ip netns del "$nsa" 2>/dev/null
    [ "$made_b" = 1 ] && ip netns del "$nsb" 2>/dev/null
    :
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

err=$(ip netns add "$nsa" 2>&1) || {
    echo "netns_cc: skipped: 'ip netns add' failed (needs root and iproute2): $err"
    exit 77
}
made_a=1
err=$(ip netns add "$nsb" 2>&1) || {
    echo "netns_cc: skipped: 'ip netns add' failed: $err"
    exit 77
}
made_b=1
err=$(ip link add "$vea" netns "$nsa" type veth peer name "$veb" netns "$nsb" 2>&1) || {
    echo "netns_cc: skipped: cannot create a veth pair: $err"
    exit 77
}
set -e
ip -n "$nsa" link set lo up
ip -n "$nsb" link set lo up
ip -n "$nsa" addr add "$ip4a/24" dev "$vea"
ip -n "$nsb" addr add "$ip4b/24" dev "$veb"
ip -n "$nsa" link set "$vea" up
ip -n "$nsb" link set "$veb" up
set +e
v6=1
if ! ip -n "$nsa" -6 addr add "$ip6a/64" dev "$vea" nodad 2>/dev/null ||
    ! ip -n "$nsb" -6 addr add "$ip6b/64" dev "$veb" nodad 2>/dev/null; then
    v6=0
fi
echo "netns_cc: $nsa ($ip4a, $ip6a) <-> $nsb ($ip4b, $ip6b)"
export CC_TEST_SMALL=1 NEURON_RT_LOG_LEVEL=INFO IPATH_NO_BACKTRACE=1 OPENNRT_EXEC_TIMEOUT_MS=60000
port=$((20000 + $$ % 20000))
fail=0
run_pair() { # root address (as in NEURON_RT_ROOT_COMM_ID), my address in b
    root=$1 want_b=$2
    la=$(mktemp) lb=$(mktemp)
    NEURON_RT_ROOT_COMM_ID=$root ip netns exec "$nsa" "$peer" 0 2 1 matrix >"$la" 2>&1 &
    pa=$!
    NEURON_RT_ROOT_COMM_ID=$root ip netns exec "$nsb" "$peer" 1 2 1 matrix >"$lb" 2>&1 &
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
