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

peer=${1:?usage: netns_sendrecv.sh SR_PEER}
if [ ! -x "$peer" ]; then
    echo "netns_sendrecv: $peer is not an executable" >&2
    exit 2
fi
if ! command -v ip >/dev/null 2>&1; then
    echo "netns_sendrecv: skipped: ip (iproute2) is not installed"
    exit 77
fi

tag=$$
nsa=nrtsr${tag}a
nsb=nrtsr${tag}b
vea=nrtv${tag}a
veb=nrtv${tag}b
n=$(od -An -N1 -tu1 /dev/urandom | tr -d ' ')
ip4a=10.231.$n.1
ip4b=10.231.$n.2
ip6a=fd00:231:$n::1
ip6b=fd00:231:$n::2
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
    echo "netns_sendrecv: skipped: 'ip netns add' failed (needs root and iproute2): $err"
    exit 77
}
made_a=1
err=$(ip netns add "$nsb" 2>&1) || {
    echo "netns_sendrecv: skipped: 'ip netns add' failed: $err"
    exit 77
}
made_b=1
err=$(ip link add "$vea" netns "$nsa" type veth peer name "$veb" netns "$nsb" 2>&1) || {
    echo "netns_sendrecv: skipped: cannot create a veth pair: $err"
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
