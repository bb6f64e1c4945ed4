#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Channel placement across NUMA nodes, as upstream's init_vp_index(): each
# new performance channel goes to the next node in turn, and to a CPU of
# that node no performance channel has yet. On one node the same devices
# would land on CPUs 0, 1, 2, 3 in order; across two nodes they alternate
# between the nodes. make check boots a two-node guest for this test
# (selftests/run.sh --numa); elsewhere it skips.
. /hvkit/lib/tap.sh
[ -d /sys/devices/system/node/node1 ] || tap_skip_all "one NUMA node (run.sh --numa boots two)"
rmmod hvkit_echo hvkit_sim 2>/dev/null
modprobe hvkit_echo subchannels=0 && modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
tap_plan 3

node_of() { for n in /sys/devices/system/node/node*; do [ -e $n/cpu$1 ] && echo ${n##*node}; done; }
cpu_of() { d=/sys/bus/vmbus/devices/$1; cat $d/channels/$(cat $d/id)/cpu; }

cpus= nodes= devs=
for i in 1 2 3 4; do
	g=$(hvk_echo_add) || break
	devs="$devs $g"
	c=$(cpu_of $g)
	cpus="$cpus $c"
	nodes="$nodes $(node_of $c)"
done
set -- $nodes
[ $# = 4 ] && [ "$1" != "$2" ] && [ "$2" != "$3" ] && [ "$3" != "$4" ] &&
	tap_ok "four performance channels alternate between the two nodes" ||
	tap_fail "four performance channels alternate between the two nodes" "CPUs:$cpus nodes:$nodes"
[ "$(echo $cpus | tr ' ' '\n' | sort -u | wc -l)" = 4 ] &&
	tap_ok "within a node, each goes to a CPU no other performance channel has" ||
	tap_fail "within a node, each goes to a CPU no other performance channel has" "CPUs:$cpus"
ok=1
for g in $devs; do echo "20 1000" >/sys/bus/vmbus/devices/$g/echo_test || ok=0; done
[ $ok = 1 ] && tap_ok "traffic on every one of them, each on its own node's CPU" ||
	tap_fail "traffic on every one of them, each on its own node's CPU"
for g in $devs; do hvctl sim remove $g; done
for g in $devs; do wait_for 10 hvk_gone "/sys/bus/vmbus/devices/$g"; done
rmmod hvkit_echo hvkit_sim
tap_done
