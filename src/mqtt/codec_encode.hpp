// The encoding steps: validation (everything the peer would reject) and the
// writing of packet bodies. Internal to the codec.
#pragma once

#include "mqtt/codec.hpp"
#include "mqtt/wire.hpp"

namespace tpgate::mqtt::detail {

// Checks `packet` as the receiver would, for `version`. Messages do not name
// the packet; the caller prefixes them.
Status validate_for_encoding(const Packet& packet, ProtocolVersion version);

// UnsupportedProtocolVersion for a level other than 4 and 5.
Status check_version(ProtocolVersion version);

// The PUBLISH rules of validate_for_encoding(), for a view.
Status validate_publish(const PublishView& publish, ProtocolVersion version);

// Everything after the Remaining Length of a PUBLISH.
void write_publish_body(wire::Writer& out, const PublishView& publish, ProtocolVersion version);

// First byte of the fixed header: packet type and flags.
std::uint8_t fixed_header_byte(const Packet& packet);

// Writes (or, with a counting Writer, measures) everything after the
// Remaining Length. The packet must have passed validate_for_encoding().
void write_body(wire::Writer& out, const Packet& packet, ProtocolVersion version);

}  // namespace tpgate::mqtt::detail
