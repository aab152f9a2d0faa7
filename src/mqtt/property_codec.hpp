// Reading and writing MQTT 5.0 properties (2.2.2), with the placement table
// that says which property may appear in which packet. Internal to the codec.
//
// Messages produced here do not name the packet first: the codec prefixes
// every message with the packet name ("CONNECT: ...").
#pragma once

#include <cstddef>
#include <string_view>

#include "mqtt/properties.hpp"
#include "mqtt/types.hpp"
#include "mqtt/wire.hpp"

namespace tpgate::mqtt::detail {

// Whether a property with identifier `id` may appear in `context` (the table
// in 2.2.2.2). Unknown identifiers are allowed nowhere.
bool property_allowed(std::uint8_t id, PropertyContext context);

// How a context is named in messages ("CONNECT", "Will Properties", "PUBACK").
std::string_view property_context_name(PropertyContext context);

// Checks what the peer would check on receipt: every property that is set may
// appear in `context` (Protocol Error otherwise), strings are well-formed
// UTF-8, binary data fits its two-byte length, and values are in range (Topic
// Alias 0, Receive Maximum 0, a byte flag other than 0 or 1, ...).
Status validate_properties(const Properties& properties, PropertyContext context);

// Bytes the property block takes on the wire, Property Length included.
std::size_t properties_wire_size(const Properties& properties);

// Writes Property Length and the properties in ascending identifier order
// (user properties and subscription identifiers in the order given).
void write_properties(wire::Writer& out, const Properties& properties);

// Reads Property Length and the properties that follow into `out` (which must
// be empty). Unknown identifier -> Malformed Packet; property not allowed in
// `context` or given twice (other than User Property, and Subscription
// Identifier in PUBLISH) -> Protocol Error; then the value checks of
// validate_properties(). On failure the error is in `in`.
bool read_properties(wire::Reader& in, PropertyContext context, Properties& out);

}  // namespace tpgate::mqtt::detail
