#!/usr/bin/env python3
"""Writes handmade/links.bin: RTM_NEWLINK messages built by hand for what the
capture kernel cannot make (no bond or dummy driver, no bridge VLAN
filtering) and for attributes newer than our headers.  Usage, from the
repository root:  python3 tests/data/netlink/make_handmade.py

The layout follows the kernel's uapi headers (linux/netlink.h,
linux/rtnetlink.h, linux/if_link.h) as of Linux 6.1: a 16-byte nlmsghdr, a
16-byte ifinfomsg, then attributes (u16 length, u16 type, payload padded to
4 bytes).  The messages, in order:
  10 nlt-bond0  kind bond, IFLA_BOND_MODE 1 (active-backup), UP, MASTER
  11 nlt-eth1   no kind, parent device 0000:00:04.0 on pci, master 10,
                a permanent MAC, slave kind "bond"
  12 nlt-eth2   the same on 0000:00:05.0, master 10, operstate down
  13 nlt-dummy0 kind dummy
  14 nlt-brvf   kind bridge, STP off, VLAN filtering on; nlt-dummy0 is
                not its port, 15 is
  15 nlt-unk0   kind dummy, master 14, with an attribute of type 999 at
                the top level and one of type 60 inside IFLA_LINKINFO:
                both unknown to the parser, both to be skipped
"""
import os
import struct

RTM_NEWLINK = 16
NLM_F_MULTI = 2
IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_MASTER = 1, 3, 4, 10
IFLA_OPERSTATE, IFLA_LINKINFO, IFLA_CARRIER = 16, 18, 33
IFLA_PERM_ADDRESS, IFLA_PARENT_DEV_NAME, IFLA_PARENT_DEV_BUS_NAME = 54, 56, 57
IFLA_INFO_KIND, IFLA_INFO_DATA, IFLA_INFO_SLAVE_KIND = 1, 2, 4
IFLA_BOND_MODE = 1
IFLA_BR_STP_STATE, IFLA_BR_VLAN_FILTERING = 5, 7
NLA_F_NESTED = 1 << 15
ARPHRD_ETHER = 1
IFF_UP, IFF_BROADCAST, IFF_RUNNING = 0x1, 0x2, 0x40
IFF_MASTER, IFF_SLAVE, IFF_MULTICAST, IFF_LOWER_UP = 0x400, 0x800, 0x1000, 0x10000


def pad(b):
    return b + b"\0" * (-len(b) % 4)


def attr(t, payload):
    return pad(struct.pack("=HH", 4 + len(payload), t) + payload)


def nest(t, *attrs):
    body = b"".join(attrs)
    return struct.pack("=HH", 4 + len(body), t | NLA_F_NESTED) + body


def u8(t, v):
    return attr(t, struct.pack("=B", v))


def u32(t, v):
    return attr(t, struct.pack("=I", v))


def strz(t, s):
    return attr(t, s.encode() + b"\0")


def mac(t, s):
    return attr(t, bytes(int(x, 16) for x in s.split(":")))


def newlink(ifindex, flags, *attrs, seq=1):
    body = struct.pack("=BxHiII", 0, ARPHRD_ETHER, ifindex, flags, 0) + b"".join(attrs)
    return struct.pack("=IHHII", 16 + len(body), RTM_NEWLINK, NLM_F_MULTI, seq, 0) + body


UPF = IFF_UP | IFF_BROADCAST | IFF_MULTICAST | IFF_RUNNING | IFF_LOWER_UP
msgs = [
    newlink(10, UPF | IFF_MASTER, strz(IFLA_IFNAME, "nlt-bond0"), u32(IFLA_MTU, 1500),
            mac(IFLA_ADDRESS, "02:00:00:00:0d:01"), u8(IFLA_OPERSTATE, 6),
            u8(IFLA_CARRIER, 1),
            nest(IFLA_LINKINFO, strz(IFLA_INFO_KIND, "bond"),
                 nest(IFLA_INFO_DATA, u8(IFLA_BOND_MODE, 1)))),
    newlink(11, UPF | IFF_SLAVE, strz(IFLA_IFNAME, "nlt-eth1"), u32(IFLA_MTU, 1500),
            mac(IFLA_ADDRESS, "02:00:00:00:0d:01"), mac(IFLA_PERM_ADDRESS, "52:54:00:00:04:01"),
            u32(IFLA_MASTER, 10), u8(IFLA_OPERSTATE, 6), u8(IFLA_CARRIER, 1),
            strz(IFLA_PARENT_DEV_NAME, "0000:00:04.0"), strz(IFLA_PARENT_DEV_BUS_NAME, "pci"),
            nest(IFLA_LINKINFO, strz(IFLA_INFO_SLAVE_KIND, "bond"))),
    newlink(12, IFF_BROADCAST | IFF_MULTICAST | IFF_SLAVE, strz(IFLA_IFNAME, "nlt-eth2"),
            u32(IFLA_MTU, 1500), mac(IFLA_ADDRESS, "02:00:00:00:0d:01"),
            mac(IFLA_PERM_ADDRESS, "52:54:00:00:05:01"), u32(IFLA_MASTER, 10),
            u8(IFLA_OPERSTATE, 2), u8(IFLA_CARRIER, 0),
            strz(IFLA_PARENT_DEV_NAME, "0000:00:05.0"), strz(IFLA_PARENT_DEV_BUS_NAME, "pci"),
            nest(IFLA_LINKINFO, strz(IFLA_INFO_SLAVE_KIND, "bond"))),
    newlink(13, IFF_BROADCAST | IFF_MULTICAST, strz(IFLA_IFNAME, "nlt-dummy0"),
            u32(IFLA_MTU, 1500), mac(IFLA_ADDRESS, "02:00:00:00:0d:13"),
            nest(IFLA_LINKINFO, strz(IFLA_INFO_KIND, "dummy"))),
    newlink(14, UPF, strz(IFLA_IFNAME, "nlt-brvf"), u32(IFLA_MTU, 1500),
            mac(IFLA_ADDRESS, "02:00:00:00:0d:14"),
            nest(IFLA_LINKINFO, strz(IFLA_INFO_KIND, "bridge"),
                 nest(IFLA_INFO_DATA, u32(IFLA_BR_STP_STATE, 0),
                      u8(IFLA_BR_VLAN_FILTERING, 1)))),
    newlink(15, IFF_BROADCAST | IFF_MULTICAST | IFF_SLAVE, strz(IFLA_IFNAME, "nlt-unk0"),
            attr(999, b"\x01\x02\x03\x04\x05\x06\x07\x08"), u32(IFLA_MTU, 9000),
            u32(IFLA_MASTER, 14),
            nest(IFLA_LINKINFO, attr(60, b"\xff" * 5), strz(IFLA_INFO_KIND, "dummy"))),
]

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "handmade")
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "links.bin"), "wb") as f:
    f.write(b"".join(msgs))
print(f"wrote {len(msgs)} messages to {out}/links.bin")
