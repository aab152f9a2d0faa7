// The encoding steps: validation (everything the peer would reject) and the
// writing of packet bodies. Internal to the codec.
#pragma once

#include "mqtt/codec.hpp"
#include "mqtt/wire.hpp"

namespace tpgate::mqtt::detail {

// Checks `packet` as the receiver would, for `version`. Messages do not name
// the packet; the caller prefixes them.
Status validate_for_encoding(const Packet& packet, ProtocolVersion version);

// First byte of the fixed header: packet type and flags.
std::uint8_t fixed_header_byte(const Packet& packet);

// Writes (or, with a counting Writer, measures) everything after the
// Remaining Length. The packet must have passed validate_for_encoding().
void write_body(wire::Writer& out, const Packet& packet, ProtocolVersion version);

}  // namespace tpgate::mqtt::detail
