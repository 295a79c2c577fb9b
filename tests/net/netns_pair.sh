# netns_pair.sh - sourced (not run) by the namespace tests: checks the peer
# executable ($1), creates two network namespaces joined by a veth pair with
# addresses of their own (10.$net.N.1/24 and .2/24, fd00:$net:N::1/64 and
# ::2/64), and deletes them, with any process listed in $pids, on every exit
# path. Exits 77 (skip) when namespaces cannot be created (not root, no
# iproute2, no veth). Touches no other interface or address.
# The sourcing script sets: me (its name for messages), ns_prefix,
# veth_prefix (short: interface names have 15 bytes), net (a byte).
# It gets: peer, nsa, nsb, ip4a, ip4b, ip6a, ip6b, v6 (1: IPv6 addresses set).
peer=${1:?usage: $me.sh PEER}
if [ ! -x "$peer" ]; then
    echo "$me: $peer is not an executable" >&2
    exit 2
fi
if ! command -v ip >/dev/null 2>&1; then
    echo "$me: skipped: ip (iproute2) is not installed"
    exit 77
fi

tag=$$
nsa=${ns_prefix}${tag}a
nsb=${ns_prefix}${tag}b
vea=${veth_prefix}${tag}a
veb=${veth_prefix}${tag}b
n=$(od -An -N1 -tu1 /dev/urandom | tr -d ' ')
ip4a=10.$net.$n.1
ip4b=10.$net.$n.2
ip6a=fd00:$net:$n::1
ip6b=fd00:$net:$n::2
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
    echo "$me: skipped: 'ip netns add' failed (needs root and iproute2): $err"
    exit 77
}
made_a=1
err=$(ip netns add "$nsb" 2>&1) || {
    echo "$me: skipped: 'ip netns add' failed: $err"
    exit 77
}
made_b=1
err=$(ip link add "$vea" netns "$nsa" type veth peer name "$veb" netns "$nsb" 2>&1) || {
    echo "$me: skipped: cannot create a veth pair: $err"
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
