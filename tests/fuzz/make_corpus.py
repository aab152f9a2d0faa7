#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_decoder: valid MQTT 3.1.1 and 5.0 packets,
hand-encoded here (not by tpgate's encoder, so the seeds are independent of it).

Each file is two mode bytes (see the layout in fuzz_decoder.cpp) followed by
the packet bytes. Run from anywhere: python3 tests/fuzz/make_corpus.py
"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "decoder")

V311, V5 = 0, 1
ANY, CLIENT, SERVER = 0, 1, 2


def vbi(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        out.append(b | 0x80 if n else b)
        if not n:
            return bytes(out)


def u16(n):
    return struct.pack(">H", n)


def u32(n):
    return struct.pack(">I", n)


def s(text):
    data = text.encode("utf-8")
    return u16(len(data)) + data


def b(data):
    return u16(len(data)) + data


def packet(first_byte, body):
    return bytes([first_byte]) + vbi(len(body)) + body


def props(*items):
    body = b"".join(items)
    return vbi(len(body)) + body


def p_byte(pid, v):
    return bytes([pid, v])


def p_u16(pid, v):
    return bytes([pid]) + u16(v)


def p_u32(pid, v):
    return bytes([pid]) + u32(v)


def p_str(pid, v):
    return bytes([pid]) + s(v)


def p_bin(pid, v):
    return bytes([pid]) + b(v)


def p_vbi(pid, v):
    return bytes([pid]) + vbi(v)


def p_user(k, v):
    return bytes([0x26]) + s(k) + s(v)


# ---------------------------------------------------------------- 3.1.1
v311 = {
    "connect-minimal": packet(0x10, s("MQTT") + bytes([4, 0x02]) + u16(60) + s("c1")),
    "connect-full": packet(
        0x10,
        s("MQTT") + bytes([4, 0b11101110]) + u16(30) + s("gateway-01")  # user, pass, will retain, will qos 1, will, clean
        + s("status/gateway-01") + b(b"offline") + s("user") + b(b"secret"),
    ),
    "connack-accepted": packet(0x20, bytes([0x00, 0x00])),
    "connack-session-present": packet(0x20, bytes([0x01, 0x00])),
    "connack-refused": packet(0x20, bytes([0x00, 0x05])),
    "publish-qos0": packet(0x30, s("sensors/t1") + b'{"t":21.5}'),
    "publish-qos1-retain": packet(0x33, s("sensors/t1") + u16(1) + b"21.5"),
    "publish-qos2-dup": packet(0x3C, s("a/b") + u16(0xFFFF) + b""),
    "puback": packet(0x40, u16(1)),
    "pubrec": packet(0x50, u16(2)),
    "pubrel": packet(0x62, u16(2)),
    "pubcomp": packet(0x70, u16(2)),
    "subscribe": packet(0x82, u16(10) + s("sensors/+/t") + bytes([1]) + s("cmd/#") + bytes([2])),
    "suback": packet(0x90, u16(10) + bytes([0x00, 0x01, 0x02, 0x80])),
    "unsubscribe": packet(0xA2, u16(11) + s("sensors/+/t") + s("cmd/#")),
    "unsuback": packet(0xB0, u16(11)),
    "pingreq": packet(0xC0, b""),
    "pingresp": packet(0xD0, b""),
    "disconnect": packet(0xE0, b""),
}

# ---------------------------------------------------------------- 5.0
will_props = props(p_u32(0x18, 5), p_byte(0x01, 1), p_u32(0x02, 3600), p_str(0x03, "text/plain"),
                   p_str(0x08, "reply/here"), p_bin(0x09, b"\x01\x02"), p_user("k", "v"))
v5 = {
    "connect-minimal": packet(0x10, s("MQTT") + bytes([5, 0x02]) + u16(60) + props() + s("")),
    "connect-full": packet(
        0x10,
        s("MQTT") + bytes([5, 0b11110110]) + u16(120)  # user, pass, will retain, will qos 2, will, clean
        + props(p_u32(0x11, 3600), p_u16(0x21, 20), p_u32(0x27, 1 << 20), p_u16(0x22, 10),
                p_byte(0x19, 1), p_byte(0x17, 0), p_user("app", "tpgate"), p_user("app", "again"))
        + s("gateway-01") + will_props + s("status/gateway-01") + b(b"offline")
        + s("user") + b(b"secret"),
    ),
    "connect-auth": packet(
        0x10, s("MQTT") + bytes([5, 0x00]) + u16(0)
        + props(p_str(0x15, "SCRAM-SHA-1"), p_bin(0x16, b"client-first")) + s("c2"),
    ),
    "connack-minimal": packet(0x20, bytes([0x00, 0x00]) + props()),
    "connack-full": packet(
        0x20, bytes([0x01, 0x00])
        + props(p_u32(0x11, 0), p_u16(0x21, 100), p_byte(0x24, 1), p_byte(0x25, 0), p_u32(0x27, 65536),
                p_str(0x12, "auto-1234"), p_u16(0x22, 5), p_str(0x1F, "welcome"), p_user("a", "b"),
                p_byte(0x28, 1), p_byte(0x29, 0), p_byte(0x2A, 1), p_u16(0x13, 30),
                p_str(0x1A, "resp/"), p_str(0x1C, "other:1883"), p_str(0x15, "m"), p_bin(0x16, b"d")),
    ),
    "connack-refused": packet(0x20, bytes([0x00, 0x87]) + props(p_str(0x1F, "not authorized"))),
    "publish-qos0": packet(0x30, s("sensors/t1") + props() + b'{"t":21.5}'),
    "publish-props": packet(
        0x32, s("sensors/t1") + u16(7)
        + props(p_byte(0x01, 1), p_u32(0x02, 60), p_u16(0x23, 3), p_str(0x08, "reply/t1"),
                p_bin(0x09, b"corr"), p_user("unit", "C"), p_str(0x03, "application/json"))
        + b'{"t":21.5}',
    ),
    # Only the server sends Subscription Identifiers in a PUBLISH [MQTT-3.3.4-6].
    "publish-to-client-subscription-ids": packet(
        0x30, s("sensors/t1") + props(p_vbi(0x0B, 268435455), p_vbi(0x0B, 1)) + b"21.5"),
    "publish-alias-only": packet(0x34, s("") + u16(8) + props(p_u16(0x23, 3)) + b"x"),
    "publish-qos2-dup-retain": packet(0x3D, s("a/b") + u16(9) + props() + b""),
    "puback-short": packet(0x40, u16(1)),
    "puback-reason": packet(0x40, u16(1) + bytes([0x10])),
    "puback-props": packet(0x40, u16(1) + bytes([0x80]) + props(p_str(0x1F, "nope"), p_user("x", "y"))),
    "pubrec": packet(0x50, u16(2) + bytes([0x00]) + props()),
    "pubrel": packet(0x62, u16(2) + bytes([0x92]) + props(p_str(0x1F, "unknown id"))),
    "pubcomp": packet(0x70, u16(2)),
    "subscribe": packet(
        0x82, u16(10) + props(p_vbi(0x0B, 42), p_user("k", "v"))
        + s("sensors/+/t") + bytes([0b00101101])  # retain handling 2, rap, no local, qos 1
        + s("$share/g/cmd/#") + bytes([0b00010010]),
    ),
    "suback": packet(0x90, u16(10) + props(p_str(0x1F, "ok")) + bytes([0x00, 0x01, 0x02, 0x8F, 0xA2])),
    "unsubscribe": packet(0xA2, u16(11) + props(p_user("k", "v")) + s("sensors/+/t") + s("cmd/#")),
    "unsuback": packet(0xB0, u16(11) + props() + bytes([0x00, 0x11])),
    "pingreq": packet(0xC0, b""),
    "pingresp": packet(0xD0, b""),
    "disconnect-short": packet(0xE0, b""),
    "disconnect-reason": packet(0xE0, bytes([0x04])),
    "disconnect-props": packet(
        0xE0, bytes([0x8E]) + props(p_u32(0x11, 0), p_str(0x1F, "taken over"), p_str(0x1C, "srv2"))),
    "auth-short": packet(0xF0, b""),
    "auth-props": packet(0xF0, bytes([0x18]) + props(p_str(0x15, "SCRAM-SHA-1"), p_bin(0x16, b"server-first"))),
}

def role_for(name):
    """The side that receives this packet."""
    if name.startswith(("connack", "suback", "unsuback", "pingresp", "publish-to-client")):
        return CLIENT
    return SERVER


def mode(version, role, chunking):
    return bytes([version | (role << 1) | (chunking << 5), 7])


def main():
    os.makedirs(OUT, exist_ok=True)
    n = 0
    for prefix, version, table in (("v311", V311, v311), ("v5", V5, v5)):
        for i, (name, data) in enumerate(table.items()):
            # Alternate Any with the receiving role, and rotate the chunking.
            role = ANY if i % 2 == 0 else role_for(name)
            with open(os.path.join(OUT, f"{prefix}-{name}.bin"), "wb") as f:
                f.write(mode(version, role, i % 4) + data)
            n += 1
        # A whole conversation in one stream: the server side sees CONNECT
        # (which sets the version) and then the rest of the client's packets.
        stream = table["connect-full"] + b"".join(
            data for name, data in table.items()
            if not name.startswith("publish-to-client") and name.startswith(("publish", "puback", "pubrec", "pubrel", "pubcomp", "subscribe",
                                "unsubscribe", "pingreq", "disconnect")))
        # Start the decoder at the other version: the CONNECT must switch it.
        other = V5 if version == V311 else V311
        with open(os.path.join(OUT, f"{prefix}-stream-server.bin"), "wb") as f:
            f.write(mode(other, SERVER, 3) + stream)
        n += 1
    # fuzz_topic: byte 0 places the split between filter and topic name.
    topic_out = os.path.join(os.path.dirname(OUT), "topic")
    os.makedirs(topic_out, exist_ok=True)
    topic_seeds = [
        ("sport/tennis/player1/#", "sport/tennis/player1"),
        ("sport/+", "sport/"),
        ("+/+", "/finance"),
        ("#", "$SYS/broker/load"),
        ("$share/group/sensors/+/t", "sensors/a/t"),
        ("a/b#", "a/b"),
        ("caf\u00e9/+", "caf\u00e9/\u20ac"),
    ]
    for i, (flt, topic) in enumerate(topic_seeds):
        f_bytes, t_bytes = flt.encode(), topic.encode()
        rest = f_bytes + t_bytes
        split = -(-len(f_bytes) * 256 // len(rest))  # smallest byte0 with byte0*len//256 == len(filter)
        with open(os.path.join(topic_out, f"seed-{i}.bin"), "wb") as f:
            f.write(bytes([split]) + rest)
        n += 1
    print(f"wrote {n} seeds under {os.path.dirname(OUT)}")


if __name__ == "__main__":
    main()
